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


def _terraform_code() -> str:
    """Every .tf file of the module, comments removed."""
    text = "\n".join(path.read_text() for path in sorted(TERRAFORM_DIR.glob("*.tf")))
    return re.sub(r"(?m)^\s*#.*$|\s#(?!checkov).*$", "", text)


def test_every_reference_names_something_the_module_declares():
    # Stands in for `terraform validate` (its providers cannot be downloaded here) on its commonest finding.
    code = _terraform_code()
    resources = set(re.findall(r'resource\s+"(\w+)"\s+"(\w+)"', code))
    data = set(re.findall(r'data\s+"(\w+)"\s+"(\w+)"', code))
    variables = set(re.findall(r'variable\s+"(\w+)"', code))
    locals_blocks = "\n".join(re.findall(r"locals\s*\{(.*?)\n\}", code, re.S))
    locals_ = set(re.findall(r"(?m)^\s{2}(\w+)\s*=", locals_blocks))
    for kind, name in set(re.findall(r"(?<!data\.)\b((?:google|archive)_\w+)\.(\w+)", code)):
        assert (kind, name) in resources, f"{kind}.{name} is not declared"
    for kind, name in set(re.findall(r"\bdata\.(\w+)\.(\w+)", code)):
        assert (kind, name) in data, f"data.{kind}.{name} is not declared"
    assert set(re.findall(r"\bvar\.(\w+)", code)) <= variables
    assert set(re.findall(r"\blocal\.(\w+)", code)) <= locals_
