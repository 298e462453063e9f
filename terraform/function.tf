# The recommend function: Cloud Functions 2nd gen built by Cloud Build from functions/recommend/.

data "archive_file" "function_source" {
  type        = "zip"
  source_dir  = local.function_source_dir
  output_path = "${path.module}/.build/function-source.zip"
  # Fixed permissions keep the zip, hence its hash, identical on every machine for the same source.
  output_file_mode = "0644"
  excludes         = ["__pycache__", "**/__pycache__/**", "**/*.pyc", ".pytest_cache", "**/.pytest_cache/**"]
}

resource "google_storage_bucket_object" "function_source" {
  bucket = google_storage_bucket.private["source"].name
  # The content hash in the name makes every code change a new object, hence a new build and deployment.
  name   = "function-source-${data.archive_file.function_source.output_sha256}.zip"
  source = data.archive_file.function_source.output_path
}

# Images built for the function go to this repository rather than the shared default one, so the build service account
# can be granted write access to it alone.
resource "google_artifact_registry_repository" "function_images" {
  #checkov:skip=CKV_GCP_84:Built from this repository's public source; Google-managed encryption is enough and CMEK would add a KMS key to manage.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-function-images"
  description   = "Container images Cloud Build makes from functions/recommend."
  format        = "DOCKER"

  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s" # 30 days
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_cloudfunctions2_function" "recommend" {
  project     = var.project_id
  name        = var.name_prefix
  location    = var.region
  description = "Movie recommendations: retrieval then ranking on TensorFlow Serving."

  build_config {
    runtime           = "python312"
    entry_point       = "recommend"
    service_account   = google_service_account.function_build.id
    docker_repository = google_artifact_registry_repository.function_images.id

    source {
      storage_source {
        bucket = google_storage_bucket.private["source"].name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function.email
    available_memory                 = var.function_memory
    available_cpu                    = var.function_cpu
    max_instance_request_concurrency = var.function_concurrency
    min_instance_count               = var.function_min_instances
    max_instance_count               = var.function_max_instances
    timeout_seconds                  = var.function_timeout_s
    #checkov:skip=CKV_GCP_124:ALLOW_ALL is the default so browsers and curl can reach the URL; every call is still IAM-checked unless allow_unauthenticated is set, and function_ingress narrows it.
    ingress_settings               = var.function_ingress
    all_traffic_on_latest_revision = true
    environment_variables          = merge(var.function_env, local.function_managed_env)
  }

  lifecycle {
    precondition {
      condition     = var.function_concurrency == 1 || tonumber(var.function_cpu) >= 1
      error_message = "function_concurrency above 1 needs function_cpu of at least \"1\"."
    }
    precondition {
      condition     = var.function_min_instances <= var.function_max_instances
      error_message = "function_min_instances must not exceed function_max_instances."
    }
    precondition {
      condition     = var.request_deadline_s < var.function_timeout_s
      error_message = "request_deadline_s must be shorter than function_timeout_s, or the platform cuts requests off before the function can answer."
    }
  }

  depends_on = [
    google_cloud_run_service_iam_member.function_invokes_serving, # so the first request after apply is authorized
    google_project_iam_member.function_build_writes_logs,
    google_artifact_registry_repository_iam_member.function_build_pushes_images,
    google_project_iam_member.function_build_reads_sources,
  ]
}
