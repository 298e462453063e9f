locals {
  example_request = "curl -sS -X POST '${google_cloudfunctions2_function.recommend.url}/recommend' -H 'Content-Type: application/json' -d '{\"user_id\": \"15\", \"k\": 10}'"
}

output "function_url" {
  description = "HTTPS URL of the recommend function (POST /recommend, GET /healthz)."
  value       = google_cloudfunctions2_function.recommend.url
}

output "serving_url" {
  description = "URL of the private TensorFlow Serving service; only the function's service account may call it."
  value       = google_cloud_run_v2_service.serving.uri
}

output "curl_authenticated" {
  description = "Ready-to-run request with your gcloud identity token (works for project owners/editors and invoker_members)."
  value       = "${local.example_request} -H \"Authorization: Bearer $(gcloud auth print-identity-token)\""
}

output "curl_unauthenticated" {
  description = "Ready-to-run request without a token; answered only when allow_unauthenticated = true (otherwise 403)."
  value       = local.example_request
}

output "function_service_account" {
  description = "Email of the function's runtime service account, the serving service's only invoker."
  value       = google_service_account.function.email
}

output "serving_image" {
  description = "TensorFlow Serving image the serving service runs, pulled through the Docker Hub remote repository."
  value       = local.serving_image
}

output "models_location" {
  description = "Cloud Storage folder holding the model set the current serving revision mounts at /models."
  value       = "gs://${google_storage_bucket.private["models"].name}/${local.models_prefix}"
}
