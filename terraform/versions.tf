terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # mount_options on Cloud Run storage volumes reached the GA provider in September 2025
      # (GoogleCloudPlatform/magic-modules#15154); every release from 7.5 has it.
      version = ">= 7.5, < 8.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
  }
}
