"""The Cloud Function: built from functions/recommend, pointed at the serving service, sized by variables."""

import pytest

from tests.terraform.terraform_module import one, resolve


@pytest.fixture(scope="module")
def function(module):
    return module.resource("google_cloudfunctions2_function", "recommend")


@pytest.fixture(scope="module")
def build(function):
    return one(function["build_config"])


@pytest.fixture(scope="module")
def service(function):
    return one(function["service_config"])


def test_runs_the_recommend_entry_point_on_python_312(build):
    assert build["runtime"] == "python312"
    assert build["entry_point"] == "recommend"


def test_tf_serving_url_is_the_cloud_run_services_uri(module, service):
    assert (
        module.locals["function_managed_env"]["TF_SERVING_URL"]
        == "${google_cloud_run_v2_service.serving.uri}"
    )
    # Later maps win in merge(): the module's own settings override anything in function_env.
    assert service["environment_variables"] == "${merge(var.function_env, local.function_managed_env)}"


def test_extra_environment_cannot_shadow_the_managed_settings(module):
    reserved = module.variables["function_env"]["validation"][0]["condition"]
    for name in module.locals["function_managed_env"]:
        assert f'"{name}"' in reserved, f"function_env validation does not reserve {name}"


def test_function_settings_reach_its_environment(module):
    env = module.locals["function_managed_env"]
    assert env["REQUEST_DEADLINE_S"] == "${tostring(var.request_deadline_s)}"
    assert env["CORS_ALLOWED_ORIGINS"] == '${join(",", var.cors_allowed_origins)}'
    assert env["AUTH_MODE"] == "auto"
    assert env["GOOGLE_CLOUD_PROJECT"] == "${var.project_id}"


def test_functions_framework_gets_one_thread_per_admitted_request(module):
    assert module.locals["function_managed_env"]["THREADS"] == "${tostring(var.function_concurrency)}"


def test_source_is_the_function_folder_zipped_with_its_hash_in_the_object_name(module, build):
    archive = module.blocks["data"][0]["archive_file"]["function_source"]
    assert resolve(archive["source_dir"], module) == "${path.module}/../functions/recommend"
    source = module.resource("google_storage_bucket_object", "function_source")
    assert "${data.archive_file.function_source.output_sha256}" in source["name"]
    storage = one(one(build["source"])["storage_source"])
    assert storage["object"] == "${google_storage_bucket_object.function_source.name}"


def test_builds_and_runs_under_separate_dedicated_service_accounts(build, service):
    assert build["service_account"] == "${google_service_account.function_build.id}"
    assert build["docker_repository"] == "${google_artifact_registry_repository.function_images.id}"
    assert service["service_account_email"] == "${google_service_account.function.email}"


def test_size_scaling_and_ingress_come_from_variables(service):
    assert service["available_memory"] == "${var.function_memory}"
    assert service["available_cpu"] == "${var.function_cpu}"
    assert service["max_instance_request_concurrency"] == "${var.function_concurrency}"
    assert service["min_instance_count"] == "${var.function_min_instances}"
    assert service["max_instance_count"] == "${var.function_max_instances}"
    assert service["ingress_settings"] == "${var.function_ingress}"


def test_concurrency_above_one_is_refused_without_a_full_vcpu(function):
    conditions = [check["condition"] for check in one(function["lifecycle"])["precondition"]]
    assert "${var.function_concurrency == 1 || tonumber(var.function_cpu) >= 1}" in conditions
