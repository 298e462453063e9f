"""Module shape: versions, APIs, outputs and the example variables file."""

import re

from tests.terraform.terraform_module import TERRAFORM_DIR, parse_file

REQUIRED_APIS = {
    "run.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "storage.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
}


def test_requires_terraform_1_5_and_google_provider_7(module):
    settings = module.blocks["terraform"][0]
    assert settings["required_version"] == ">= 1.5"
    google = settings["required_providers"][0]["google"]
    assert google["source"] == "hashicorp/google"
    assert re.fullmatch(r">= 7\.\d+, < 8\.0", google["version"])


def test_required_apis_are_enabled_and_left_on_at_destroy(module):
    apis = module.resource("google_project_service", "enabled")
    enabled = set(re.findall(r'"([a-z]+\.googleapis\.com)"', apis["for_each"]))
    assert enabled >= REQUIRED_APIS
    assert apis["disable_on_destroy"] is False


def test_outputs_are_described_and_cover_both_urls_and_both_access_modes(module):
    outputs = module.outputs
    assert {"function_url", "serving_url", "curl_authenticated", "curl_unauthenticated"} <= set(outputs)
    for name, output in outputs.items():
        assert len(output.get("description", "")) > 20, f"output {name} has no real description"
    assert "gcloud auth print-identity-token" in outputs["curl_authenticated"]["value"]
    assert "Authorization" not in outputs["curl_unauthenticated"]["value"]


def test_example_variables_file_sets_only_declared_variables(module):
    example = parse_file(TERRAFORM_DIR / "terraform.tfvars.example")
    assert "project_id" in example
    assert set(example) <= set(module.variables)


def test_readme_documents_every_input_and_output(module):
    readme = (TERRAFORM_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", readme, re.MULTILINE))
    assert set(module.variables) | set(module.outputs) <= documented
