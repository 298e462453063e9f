# TensorFlow Serving on Cloud Run: the stock image through an Artifact Registry remote repository (no local Docker, no
# Cloud Build), the models in a private bucket (buckets.tf) mounted read-only at /models.

resource "google_artifact_registry_repository" "dockerhub" {
  #checkov:skip=CKV_GCP_84:A pull-through cache of a public image holds nothing confidential; Google-managed encryption is enough and CMEK would add a KMS key to manage.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-dockerhub"
  description   = "Pull-through cache of Docker Hub for the TensorFlow Serving image."
  format        = "DOCKER"
  mode          = "REMOTE_REPOSITORY"

  remote_repository_config {
    description = "Docker Hub"
    docker_repository {
      public_repository = "DOCKER_HUB"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_object" "models" {
  for_each = local.model_files

  bucket = google_storage_bucket.private["models"].name
  name   = "${local.models_prefix}/${each.value}"
  source = "${local.models_dir}/${each.value}"
}

resource "google_storage_bucket_object" "batching_parameters" {
  bucket  = google_storage_bucket.private["models"].name
  name    = "${local.models_prefix}/batching_parameters.pbtxt"
  content = local.batching_parameters
}

resource "google_cloud_run_v2_service" "serving" {
  project     = var.project_id
  name        = "${var.name_prefix}-serving"
  location    = var.region
  description = "TensorFlow Serving: retrieval and ranking models for ${var.name_prefix}."
  # The function reaches the service over the internet (no VPC connector to pay for), so ingress is ALL; every request
  # still needs an ID token of the function's service account, the only invoker (iam.tf).
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.serving.email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2" # Cloud Storage volumes need the second generation.
    max_instance_request_concurrency = var.serving_concurrency
    timeout                          = "${var.serving_timeout_s}s"

    # Changes with the model set, so a retrained model always rolls out as a new revision.
    labels = {
      models = substr(local.models_fingerprint, 0, 16)
    }

    scaling {
      min_instance_count = var.serving_min_instances
      max_instance_count = var.serving_max_instances
    }

    volumes {
      name = "models"
      gcs {
        bucket    = google_storage_bucket.private["models"].name
        read_only = true
        # Only this revision's model set, and folders derived from object names (uploads create no folder objects).
        mount_options = ["only-dir=${local.models_prefix}", "implicit-dirs=true"]
      }
    }

    containers {
      image = local.serving_image
      args  = concat(local.serving_flags, var.serving_enable_batching ? local.batching_flags : [])

      ports {
        container_port = local.serving_port
      }

      resources {
        limits = {
          cpu    = tostring(var.serving_cpu)
          memory = var.serving_memory
        }
        cpu_idle          = true # request-based billing: no CPU charge between requests
        startup_cpu_boost = true # model loading and warmup get extra CPU
      }

      volume_mounts {
        name       = "models"
        mount_path = local.models_mount
      }

      # TF Serving opens its REST port only after every model in models.config is loaded and warmed up, so the first
      # 200 from a model's status route means the instance can serve. 48 x 5 s is Cloud Run's 240 s ceiling.
      startup_probe {
        initial_delay_seconds = 0
        period_seconds        = 5
        timeout_seconds       = 3
        failure_threshold     = 48
        http_get {
          path = "/v1/models/${local.probe_model}"
          port = local.serving_port
        }
      }

      liveness_probe {
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
        http_get {
          path = "/v1/models/${local.probe_model}"
          port = local.serving_port
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.serving_min_instances <= var.serving_max_instances
      error_message = "serving_min_instances must not exceed serving_max_instances."
    }
    precondition {
      condition     = length(local.model_names) > 0
      error_message = "models.config names no model; export the models first (make models)."
    }
  }

  depends_on = [
    google_storage_bucket_object.models,
    google_storage_bucket_object.batching_parameters,
    google_storage_bucket_iam_member.serving_reads_models,
  ]
}
