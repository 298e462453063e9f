# Two private buckets: "models" holds the model sets the serving service mounts, "source" the zipped function code
# Cloud Build reads. Both hold only what this repository generates, so teardown may empty them. Keys stay short:
# bucket names are at most 63 characters and start with the project ID (up to 30) and name_prefix (up to 21).
resource "google_storage_bucket" "private" {
  #checkov:skip=CKV_GCP_62:Reads are recorded by Cloud Audit Logs (data access); legacy usage logs would need one more bucket.
  for_each = toset(["models", "source"])

  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-${each.key}"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  # Versions of replaced or deleted objects stay recoverable for 30 days, then go.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}
