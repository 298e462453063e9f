# Layout: apis.tf (project APIs), buckets.tf (private storage), serving.tf (TF Serving on Cloud Run + its models),
# function.tf (the Cloud Function), iam.tf (service accounts and every grant), outputs.tf. This file holds the values
# they share.

locals {
  repo_root    = "${path.module}/.."
  cloudrun_dir = "${local.repo_root}/serving/cloudrun"
  models_dir   = coalesce(var.models_dir, "${local.cloudrun_dir}/models")

  # ---- Serving image: the stock TF Serving image, pinned in one file, pulled through the Docker Hub remote repository.
  tf_serving_image = trimspace(file("${local.cloudrun_dir}/tf-serving-image.txt"))
  serving_image    = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.dockerhub.repository_id}/${local.tf_serving_image}"

  # ---- Models: exactly what TF Serving loads (models.config and the numbered version folders), nothing else.
  models_config = file("${local.models_dir}/models.config")
  model_names   = [for match in regexall("\\bname:\\s*[\"']([^\"']+)[\"']", local.models_config) : match[0]]
  model_files = setunion(
    fileset(local.models_dir, "models.config"),
    fileset(local.models_dir, "*/[0-9]*/**"),
  )

  # Text-proto fields apply in any order, so the per-instance thread count is appended to the shared file.
  batching_parameters = "${file("${local.cloudrun_dir}/batching_parameters.pbtxt")}num_batch_threads { value: ${var.serving_cpu} }\n"

  # Every model set lives under its own content-addressed prefix: a revision mounts one immutable set, a model change
  # rolls out as a new revision, and no running instance ever sees a half-uploaded set.
  models_fingerprint = sha256(join("\n", concat(
    [for f in local.model_files : "${f} ${filesha256("${local.models_dir}/${f}")}"],
    [sha256(local.batching_parameters)],
  )))
  models_prefix = "models/${substr(local.models_fingerprint, 0, 16)}"

  # ---- TF Serving flags. TF Serving sizes its thread pools from the cores it detects, which inside a Cloud Run sandbox
  # need not be the vCPUs the instance is granted, so they are set explicitly: compute pools = granted vCPUs; one HTTP
  # worker per request Cloud Run may admit (at least TF Serving's own 4 per vCPU), so none queues for a thread.
  serving_port = 8501
  models_mount = "/models"
  probe_model  = try(local.model_names[0], "") # empty only when models.config is; a precondition reports it
  serving_flags = [
    "--model_config_file=${local.models_mount}/models.config",
    "--rest_api_port=${local.serving_port}",
    "--rest_api_num_threads=${max(var.serving_concurrency, 4 * var.serving_cpu)}",
    "--rest_api_timeout_in_ms=${var.serving_timeout_s * 1000}",
    "--tensorflow_intra_op_parallelism=${var.serving_cpu}",
    "--tensorflow_inter_op_parallelism=${var.serving_cpu}",
    # The mounted model set is immutable, so polling it would only cost Cloud Storage list calls.
    "--file_system_poll_wait_seconds=0",
  ]
  batching_flags = [
    "--enable_batching=true",
    "--batching_parameters_file=${local.models_mount}/batching_parameters.pbtxt",
  ]

  # ---- Function settings this module owns; var.function_env adds to them and cannot override them.
  function_source_dir = "${local.repo_root}/functions/recommend"
  function_managed_env = {
    TF_SERVING_URL       = google_cloud_run_v2_service.serving.uri
    REQUEST_DEADLINE_S   = tostring(var.request_deadline_s)
    CORS_ALLOWED_ORIGINS = join(",", var.cors_allowed_origins)
    AUTH_MODE            = "auto"
    GOOGLE_CLOUD_PROJECT = var.project_id
    # functions-framework serves with THREADS threads (default 4 per CPU); one per admitted request avoids queueing.
    THREADS = tostring(var.function_concurrency)
  }
}
