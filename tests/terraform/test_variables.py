"""Inputs: every variable is typed and described, and Terraform itself rejects out-of-range values."""

import re

import pytest

# Inputs with a closed range or a fixed set of values; each must carry a validation block.
BOUNDED_VARIABLES = {
    "project_id",
    "region",
    "name_prefix",
    "serving_cpu",
    "serving_memory",
    "serving_concurrency",
    "serving_min_instances",
    "serving_max_instances",
    "serving_timeout_s",
    "function_memory",
    "function_cpu",
    "function_concurrency",
    "function_min_instances",
    "function_max_instances",
    "function_timeout_s",
    "request_deadline_s",
    "function_ingress",
    "invoker_members",
    "cors_allowed_origins",
    "function_env",
}


def test_every_variable_has_a_type_and_a_description(module):
    for name, variable in module.variables.items():
        assert variable.get("type"), f"variable {name} has no type"
        assert len(variable.get("description", "")) > 20, f"variable {name} has no real description"


def test_project_id_must_be_given_explicitly(module):
    assert "default" not in module.variables["project_id"]


def test_bounded_and_enumerated_inputs_are_validated(module):
    missing = sorted(name for name in BOUNDED_VARIABLES if not module.variables[name].get("validation"))
    assert missing == []


def test_public_access_is_off_by_default(module):
    assert module.variables["allow_unauthenticated"]["default"] is False
    assert module.variables["invoker_members"]["default"] == []


def test_defaults_pass_validation(validate_variables):
    completed = validate_variables()
    assert completed.returncode == 0, completed.stderr


def test_a_project_id_alone_is_enough_to_plan(validate_variables):
    completed = validate_variables(project_id="recommend-demo-42")
    assert completed.returncode == 0, completed.stderr


def test_the_longest_names_still_fit_googles_limits(module, validate_variables):
    longest_project, longest_prefix = "p" * 30, "r" * 21
    completed = validate_variables(
        project_id=longest_project, name_prefix=longest_prefix, region="europe-west10"
    )
    assert completed.returncode == 0, completed.stderr
    buckets = module.resource("google_storage_bucket", "private")
    for key in re.findall(r'"([a-z-]+)"', buckets["for_each"]):
        assert len(f"{longest_project}-{longest_prefix}-{key}") <= 63, f"bucket {key} name too long"
    for account in module.resources("google_service_account").values():
        account_id = account["account_id"].replace("${var.name_prefix}", longest_prefix)
        assert len(account_id) <= 30, f"service account ID {account_id} too long"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("project_id", "Bad_Project", "project_id must be a Google Cloud project ID"),
        ("region", "us central", "region must be a Google Cloud region name"),
        ("name_prefix", "a-name-prefix-far-too-long", "name_prefix must be 4-21"),
        ("serving_cpu", 3, "serving_cpu must be one of 1, 2, 4, 6 or 8"),
        ("serving_memory", "2GB", "serving_memory must be a quantity"),
        ("serving_concurrency", 0, "serving_concurrency must be a whole number from 1 to 1000"),
        ("serving_max_instances", 2.5, "serving_max_instances must be a whole number"),
        ("function_cpu", "lots", "function_cpu must be a number of vCPUs"),
        ("function_ingress", "ALLOW_EVERYONE", "function_ingress must be ALLOW_ALL"),
        ("invoker_members", ["allUsers"], "use allow_unauthenticated for public access"),
        ("invoker_members", ["allAuthenticatedUsers"], "invoker_members must be IAM principals"),
        ("cors_allowed_origins", ["https://app.example.com/path"], "cors_allowed_origins must list"),
        ("cors_allowed_origins", [], "cors_allowed_origins must list at least one entry"),
        ("request_deadline_s", 120, "request_deadline_s must be between 0.05 and 60"),
        ("function_env", {"TF_SERVING_URL": "http://elsewhere"}, "function_env must not set TF_SERVING_URL"),
    ],
)
def test_out_of_range_values_are_rejected_with_a_clear_message(validate_variables, name, value, reason):
    completed = validate_variables(**{name: value})
    assert completed.returncode != 0
    assert "Invalid value for variable" in completed.stderr
    # Terraform wraps long messages; compare with whitespace collapsed.
    assert reason in " ".join(completed.stderr.split())


def test_well_formed_access_settings_are_accepted(validate_variables):
    completed = validate_variables(
        invoker_members=["user:ana@example.com", "serviceAccount:app@p.iam.gserviceaccount.com"],
        cors_allowed_origins=["https://app.example.com", "http://localhost:3000"],
        function_env={"LOG_LEVEL": "DEBUG"},
        allow_unauthenticated=True,
    )
    assert completed.returncode == 0, completed.stderr
