# One service account per job, each with only the grants its job needs, scoped to single resources where IAM allows.

resource "google_service_account" "serving" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-serving"
  display_name = "${var.name_prefix} TF Serving runtime"
  description  = "Identity of the TensorFlow Serving Cloud Run service: reads the model bucket, nothing else."
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "function" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-fn"
  display_name = "${var.name_prefix} function runtime"
  description  = "Identity of the recommend function: may invoke the serving service, nothing else."
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "function_build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-fn-build"
  display_name = "${var.name_prefix} function build"
  description  = "Identity of the Cloud Build runs that turn functions/recommend into an image."
  depends_on   = [google_project_service.enabled]
}

# ---- Serving runtime ------------------------------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "serving_reads_models" {
  bucket = google_storage_bucket.private["models"].name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.serving.email}"
}

# The serving service is private: the function's identity is its only invoker (no allUsers, no allAuthenticatedUsers).
resource "google_cloud_run_service_iam_member" "function_invokes_serving" {
  project  = var.project_id
  location = var.region
  service  = google_cloud_run_v2_service.serving.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.function.email}"
}

# ---- Function build -------------------------------------------------------------------------------------------------

resource "google_project_iam_member" "function_build_writes_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter" # build logs; this role has no narrower scope than the project
  member  = "serviceAccount:${google_service_account.function_build.email}"
}

resource "google_artifact_registry_repository_iam_member" "function_build_pushes_images" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.function_images.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.function_build.email}"
}

# 2nd gen copies the uploaded zip into a Google-created staging bucket (gcf-v2-sources-<project number>-<region>) and
# builds from there; that bucket is not ours to grant on, so reading sources needs the project-level role (as in
# GoogleCloudPlatform/terraform-google-cloud-functions' list of the build account's minimum roles).
resource "google_project_iam_member" "function_build_reads_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.function_build.email}"
}

# ---- Who may call the function ----------------------------------------------------------------------------------------
# A 2nd gen function is served by a Cloud Run service, and invocation is checked there: callers need roles/run.invoker
# on that service (roles/cloudfunctions.invoker on the function is not enough, and the function's own IAM rejects
# roles/run.invoker).

resource "google_cloud_run_service_iam_member" "function_invokers" {
  for_each = toset(var.invoker_members)

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.recommend.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}

resource "google_cloud_run_service_iam_member" "function_public" {
  #checkov:skip=CKV_GCP_102:Opt-in public access to the function only (allow_unauthenticated, default false); the serving service is never public.
  count = var.allow_unauthenticated ? 1 : 0

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.recommend.service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}
