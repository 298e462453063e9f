# ---------------------------------------------------------------------------------------------------------------------
# Project and naming
# ---------------------------------------------------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "ID of the Google Cloud project to deploy into (billing must be enabled)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region for the function, the serving service, the buckets and the Artifact Registry repositories."
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region name such as us-central1 or europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name; also the function's name, so it appears in the function URL."
  default     = "recommend"

  validation {
    # Service account IDs are at most 30 characters and the longest suffix used is "-fn-build" (9).
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-21 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that supports them (on top of app = name_prefix)."
  default     = {}
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the serving Cloud Run service against deletion; `make destroy` fails while this is true."
  default     = false
}

# ---------------------------------------------------------------------------------------------------------------------
# Serving: TensorFlow Serving on Cloud Run
# ---------------------------------------------------------------------------------------------------------------------

variable "models_dir" {
  type        = string
  description = "Folder holding models.config and the numbered SavedModel versions; null means serving/cloudrun/models of this repository."
  default     = null
}

variable "serving_cpu" {
  type        = number
  description = "vCPUs of one serving instance. TF Serving's compute thread pools are sized to it."
  default     = 1

  validation {
    condition     = contains([1, 2, 4, 6, 8], var.serving_cpu)
    error_message = "serving_cpu must be one of 1, 2, 4, 6 or 8 (Cloud Run accepts whole vCPUs above 1)."
  }
}

variable "serving_memory" {
  type        = string
  description = "Memory of one serving instance, e.g. 1Gi. It holds the models, TF Serving and the Cloud Storage FUSE caches."
  default     = "1Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.serving_memory))
    error_message = "serving_memory must be a quantity such as 512Mi or 2Gi."
  }
}

variable "serving_concurrency" {
  type        = number
  description = "Maximum concurrent requests one serving instance accepts; TF Serving gets one HTTP worker thread per request."
  default     = 32

  validation {
    condition     = var.serving_concurrency >= 1 && var.serving_concurrency <= 1000 && floor(var.serving_concurrency) == var.serving_concurrency
    error_message = "serving_concurrency must be a whole number from 1 to 1000."
  }
}

variable "serving_min_instances" {
  type        = number
  description = "Serving instances kept warm when idle. 0 scales to zero (cheapest, cold starts load the models); each warm instance is billed at the idle rate."
  default     = 0

  validation {
    condition     = var.serving_min_instances >= 0 && var.serving_min_instances <= 100 && floor(var.serving_min_instances) == var.serving_min_instances
    error_message = "serving_min_instances must be a whole number from 0 to 100."
  }
}

variable "serving_max_instances" {
  type        = number
  description = "Upper bound on serving instances, which caps cost under load."
  default     = 5

  validation {
    condition     = var.serving_max_instances >= 1 && var.serving_max_instances <= 1000 && floor(var.serving_max_instances) == var.serving_max_instances
    error_message = "serving_max_instances must be a whole number from 1 to 1000."
  }
}

variable "serving_timeout_s" {
  type        = number
  description = "Seconds a model request may take, applied both by Cloud Run and by TF Serving (--rest_api_timeout_in_ms)."
  default     = 30

  validation {
    condition     = var.serving_timeout_s >= 1 && var.serving_timeout_s <= 300 && floor(var.serving_timeout_s) == var.serving_timeout_s
    error_message = "serving_timeout_s must be a whole number of seconds from 1 to 300."
  }
}

variable "serving_enable_batching" {
  type        = bool
  description = "Turn on TF Serving's server-side batching with serving/cloudrun/batching_parameters.pbtxt."
  default     = false
}

# ---------------------------------------------------------------------------------------------------------------------
# Function: Cloud Functions 2nd gen
# ---------------------------------------------------------------------------------------------------------------------

variable "function_memory" {
  type        = string
  description = "Memory of one function instance, e.g. 512Mi."
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(M|Mi|G|Gi)$", var.function_memory))
    error_message = "function_memory must be a quantity such as 256M, 512Mi or 1Gi."
  }
}

variable "function_cpu" {
  type        = string
  description = "vCPUs of one function instance as Cloud Functions spells them, e.g. \"0.583\" or \"1\". Concurrency above 1 needs at least \"1\"."
  default     = "1"

  validation {
    condition     = can(tonumber(var.function_cpu)) && try(tonumber(var.function_cpu) >= 0.083 && tonumber(var.function_cpu) <= 8, false)
    error_message = "function_cpu must be a number of vCPUs between 0.083 and 8, written as a string."
  }
}

variable "function_concurrency" {
  type        = number
  description = "Maximum concurrent requests one function instance handles. The function mostly waits on TF Serving, so more than 1 saves instances."
  default     = 16

  validation {
    condition     = var.function_concurrency >= 1 && var.function_concurrency <= 1000 && floor(var.function_concurrency) == var.function_concurrency
    error_message = "function_concurrency must be a whole number from 1 to 1000."
  }
}

variable "function_min_instances" {
  type        = number
  description = "Function instances kept warm when idle (0 scales to zero)."
  default     = 0

  validation {
    condition     = var.function_min_instances >= 0 && var.function_min_instances <= 100 && floor(var.function_min_instances) == var.function_min_instances
    error_message = "function_min_instances must be a whole number from 0 to 100."
  }
}

variable "function_max_instances" {
  type        = number
  description = "Upper bound on function instances, which caps cost under load."
  default     = 10

  validation {
    condition     = var.function_max_instances >= 1 && var.function_max_instances <= 1000 && floor(var.function_max_instances) == var.function_max_instances
    error_message = "function_max_instances must be a whole number from 1 to 1000."
  }
}

variable "function_timeout_s" {
  type        = number
  description = "Seconds Cloud Functions lets one invocation run before cutting it off."
  default     = 60

  validation {
    condition     = var.function_timeout_s >= 1 && var.function_timeout_s <= 3600 && floor(var.function_timeout_s) == var.function_timeout_s
    error_message = "function_timeout_s must be a whole number of seconds from 1 to 3600."
  }
}

variable "request_deadline_s" {
  type        = number
  description = "Seconds the function allows the whole retrieval + ranking chain before answering with a 5xx error (REQUEST_DEADLINE_S). With serving_min_instances = 0 it must cover a TF Serving cold start."
  default     = 10

  validation {
    condition     = var.request_deadline_s >= 0.05 && var.request_deadline_s <= 60
    error_message = "request_deadline_s must be between 0.05 and 60 seconds (the range the function accepts)."
  }
}

variable "function_ingress" {
  type        = string
  description = "Where the function accepts traffic from: ALLOW_ALL (internet, still IAM-checked), ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  default     = "ALLOW_ALL"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.function_ingress)
    error_message = "function_ingress must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "allow_unauthenticated" {
  type        = bool
  description = "Let anyone on the internet call the function without a Google identity token. Off by default."
  default     = false
}

variable "invoker_members" {
  type        = list(string)
  description = "IAM principals allowed to call the function with an identity token, e.g. [\"user:ana@example.com\", \"serviceAccount:app@p.iam.gserviceaccount.com\"]."
  default     = []

  validation {
    condition     = alltrue([for m in var.invoker_members : can(regex("^(user|serviceAccount|group|domain|principal|principalSet):.+$", m))])
    error_message = "invoker_members must be IAM principals such as user:..., serviceAccount:..., group:... or domain:...; use allow_unauthenticated for public access."
  }
}

variable "cors_allowed_origins" {
  type        = list(string)
  description = "Browser origins allowed to call the function (CORS_ALLOWED_ORIGINS): [\"*\"] for any, or e.g. [\"https://app.example.com\"]. Calls still need a token unless allow_unauthenticated is set."
  default     = ["*"]

  validation {
    condition     = length(var.cors_allowed_origins) > 0 && alltrue([for o in var.cors_allowed_origins : can(regex("^(https?://[^/\\s,]+|\\*)$", o))])
    error_message = "cors_allowed_origins must list at least one entry, each \"*\" or an origin such as https://app.example.com (scheme and host, no path)."
  }
}

variable "function_env" {
  type        = map(string)
  description = "Extra environment variables for the function, e.g. { LOG_LEVEL = \"DEBUG\" } (functions/recommend/README.md lists them). The ones this module sets itself cannot be overridden here."
  default     = {}

  validation {
    condition = length(setintersection(keys(var.function_env), [
      "TF_SERVING_URL", "REQUEST_DEADLINE_S", "CORS_ALLOWED_ORIGINS", "AUTH_MODE", "GOOGLE_CLOUD_PROJECT", "THREADS",
    ])) == 0
    error_message = "function_env must not set TF_SERVING_URL, REQUEST_DEADLINE_S, CORS_ALLOWED_ORIGINS, AUTH_MODE, GOOGLE_CLOUD_PROJECT or THREADS: this module sets them from its own variables."
  }
}
