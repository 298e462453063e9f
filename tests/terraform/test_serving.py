"""TF Serving on Cloud Run: pinned image, port 8501, explicit flags, read-only models, probes."""

import json
import re

import pytest

from tests.support.servers import REPO_ROOT
from tests.terraform.terraform_module import CLOUDRUN_DIR, flags, one, resolve

SERVING = ("google_cloud_run_v2_service", "serving")
# Flags tensorflow_model_server defines (model_servers/main.cc). It only warns about unknown ones and starts
# anyway, so a misspelt flag would silently do nothing.
TF_SERVING_FLAGS = {
    "--port",
    "--rest_api_port",
    "--rest_api_num_threads",
    "--rest_api_timeout_in_ms",
    "--rest_api_enable_cors_support",
    "--model_config_file",
    "--model_config_file_poll_wait_seconds",
    "--file_system_poll_wait_seconds",
    "--enable_batching",
    "--batching_parameters_file",
    "--enable_model_warmup",
    "--tensorflow_session_parallelism",
    "--tensorflow_intra_op_parallelism",
    "--tensorflow_inter_op_parallelism",
    "--monitoring_config_file",
}
# The fields of tensorflow.serving.BatchingParameters (session_bundle_config.proto).
BATCHING_FIELDS = {
    "max_batch_size",
    "batch_timeout_micros",
    "max_enqueued_batches",
    "num_batch_threads",
    "thread_pool_name",
    "allowed_batch_sizes",
    "pad_variable_length_inputs",
    "enable_large_batch_splitting",
    "max_execution_batch_size",
}


@pytest.fixture(scope="module")
def template(module):
    return one(module.resource(*SERVING)["template"])


@pytest.fixture(scope="module")
def container(template):
    return one(template["containers"])


@pytest.fixture(scope="module")
def serving_flags(module):
    return flags([resolve(argument, module) for argument in module.locals["serving_flags"]])


def test_every_flag_is_one_tf_serving_knows(module):
    given = module.locals["serving_flags"] + module.locals["batching_flags"]
    assert set(flags(given)) <= TF_SERVING_FLAGS


def test_container_listens_on_8501_and_tf_serving_is_told_so(module, container, serving_flags):
    assert resolve(one(container["ports"])["container_port"], module) == 8501
    assert serving_flags["--rest_api_port"] == "8501"


def test_models_config_is_read_from_the_read_only_models_mount(module, template, container, serving_flags):
    volume = one(template["volumes"])
    mount = one(container["volume_mounts"])
    assert mount["name"] == volume["name"]
    assert resolve(mount["mount_path"], module) == "/models"
    assert serving_flags["--model_config_file"] == "/models/models.config"
    bucket_volume = one(volume["gcs"])
    assert bucket_volume["read_only"] is True
    assert bucket_volume["bucket"] == '${google_storage_bucket.private["models"].name}'


def test_each_revision_mounts_only_its_own_content_addressed_model_set(module, template):
    mount_options = one(one(template["volumes"])["gcs"])["mount_options"]
    assert "only-dir=${local.models_prefix}" in mount_options
    assert "local.models_fingerprint" in module.locals["models_prefix"]
    uploads = module.resource("google_storage_bucket_object", "models")
    assert uploads["name"].startswith("${local.models_prefix}/")


def test_cloud_storage_volumes_get_the_second_generation_environment(template):
    assert template["execution_environment"] == "EXECUTION_ENVIRONMENT_GEN2"


def test_thread_pools_follow_the_granted_vcpus(serving_flags):
    assert serving_flags["--tensorflow_intra_op_parallelism"] == "${var.serving_cpu}"
    assert serving_flags["--tensorflow_inter_op_parallelism"] == "${var.serving_cpu}"
    assert "var.serving_concurrency" in serving_flags["--rest_api_num_threads"]


def test_tf_serving_times_out_like_cloud_run(template, serving_flags):
    assert template["timeout"] == "${var.serving_timeout_s}s"
    assert serving_flags["--rest_api_timeout_in_ms"] == "${var.serving_timeout_s * 1000}"


def test_batching_is_opt_in_and_reads_the_uploaded_parameters_file(module, container):
    assert module.variables["serving_enable_batching"]["default"] is False
    assert container["args"] == (
        "${concat(local.serving_flags, var.serving_enable_batching ? local.batching_flags : [])}"
    )
    batching = flags([resolve(argument, module) for argument in module.locals["batching_flags"]])
    assert batching["--enable_batching"] == "true"
    uploaded = module.resource("google_storage_bucket_object", "batching_parameters")
    assert resolve(uploaded["name"], module).endswith("/batching_parameters.pbtxt")
    assert batching["--batching_parameters_file"] == "/models/batching_parameters.pbtxt"


def test_batching_parameters_file_is_a_valid_text_proto_without_thread_count():
    text = (CLOUDRUN_DIR / "batching_parameters.pbtxt").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    fields = {re.match(r"(\w+)", line).group(1) for line in lines}
    assert fields <= BATCHING_FIELDS
    # Terraform appends the thread count per instance size; a second one would be a parse error.
    assert "num_batch_threads" not in fields
    allowed = [int(value) for value in re.findall(r"^allowed_batch_sizes:\s*(\d+)", text, re.MULTILINE)]
    max_batch_size = int(re.search(r"max_batch_size\s*\{\s*value:\s*(\d+)", text).group(1))
    # TF Serving refuses to start unless the allowed sizes increase and end at max_batch_size.
    if allowed:
        assert allowed == sorted(set(allowed))
        assert allowed[-1] == max_batch_size
    # ...and rejects a request with more rows than max_batch_size: the ranking request has one
    # row per retrieved candidate.
    candidates = json.loads((CLOUDRUN_DIR / "models" / "metrics.json").read_text())["candidates"]
    assert max_batch_size >= candidates


def test_terraform_appends_the_thread_count_matching_the_vcpus(module):
    parameters = module.locals["batching_parameters"]
    assert parameters.startswith('${file("${local.cloudrun_dir}/batching_parameters.pbtxt")}')
    assert parameters.endswith("num_batch_threads { value: ${var.serving_cpu} }\n")


def test_image_is_the_pinned_stock_image_through_the_docker_hub_remote_repository(module, container):
    assert resolve(container["image"], module) == (
        "${var.region}-docker.pkg.dev/${var.project_id}/"
        "${google_artifact_registry_repository.dockerhub.repository_id}/"
        '${trimspace(file("${path.module}/../serving/cloudrun/tf-serving-image.txt"))}'
    )
    remote = module.resource("google_artifact_registry_repository", "dockerhub")
    assert remote["mode"] == "REMOTE_REPOSITORY"
    assert (
        one(one(remote["remote_repository_config"])["docker_repository"])["public_repository"] == "DOCKER_HUB"
    )


def test_pinned_image_matches_the_tensorflow_that_exports_the_models():
    image = (CLOUDRUN_DIR / "tf-serving-image.txt").read_text().strip()
    match = re.fullmatch(r"tensorflow/serving:(\d+\.\d+\.\d+)", image)
    assert match, f"{image!r} is not pinned to a release (latest and floating tags are not allowed)"
    requirements = (REPO_ROOT / "requirements-dev.txt").read_text()
    assert f"tensorflow=={match.group(1)}" in requirements.splitlines()


def test_startup_probe_waits_for_the_models_status_route(module, container):
    probe = one(container["startup_probe"])
    request = one(probe["http_get"])
    assert request["path"] == "/v1/models/${local.probe_model}"
    assert resolve(request["port"], module) == 8501
    # Cloud Run gives up after failure_threshold x period_seconds, which may not exceed 240 s.
    assert probe["failure_threshold"] * probe["period_seconds"] <= 240
    assert "local.model_names" in module.locals["probe_model"]


def test_startup_cpu_boost_and_request_based_billing(container):
    resources = one(container["resources"])
    assert resources["startup_cpu_boost"] is True
    assert resources["cpu_idle"] is True


def test_size_and_scaling_come_from_variables(template, container):
    limits = one(container["resources"])["limits"]
    assert limits == {"cpu": "${tostring(var.serving_cpu)}", "memory": "${var.serving_memory}"}
    assert template["max_instance_request_concurrency"] == "${var.serving_concurrency}"
    assert one(template["scaling"]) == {
        "min_instance_count": "${var.serving_min_instances}",
        "max_instance_count": "${var.serving_max_instances}",
    }


def test_serving_runs_as_its_own_service_account(template):
    assert template["service_account"] == "${google_service_account.serving.email}"
