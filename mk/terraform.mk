# Deployment (terraform/): provision TF Serving on Cloud Run and the function; offline checks of the module.
# Deploying needs only terraform and gcloud; the checks use checkov from its own virtualenv (its `hcl2` module would
# shadow python-hcl2 in the main one).
.PHONY: deploy destroy tf-fmt tf-validate tf-checkov checkov-venv

TERRAFORM ?= terraform
TF_DIR := terraform
TFVARS ?= $(TF_DIR)/terraform.tfvars
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# terraform runs with -chdir, so the paths it is given must not be relative to the repository root.
TF_ARGS = -var-file=$(abspath $(TFVARS)) -var=models_dir=$(abspath $(MODELS_DIR))

deploy: ## Create or update everything on Google Cloud (TFVARS=terraform/terraform.tfvars)
	@command -v $(TERRAFORM) >/dev/null || { echo "terraform is not installed: https://developer.hashicorp.com/terraform/install"; exit 1; }
	@test -f $(TFVARS) || { echo "$(TFVARS) is missing: copy $(TF_DIR)/terraform.tfvars.example there and set project_id"; exit 1; }
	@test -f $(MODELS_DIR)/models.config || { echo "No models in $(MODELS_DIR): run 'make models' first"; exit 1; }
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false
	$(TERRAFORM) -chdir=$(TF_DIR) apply $(TF_ARGS)

destroy: ## Delete everything `make deploy` created (the enabled APIs stay on)
	@test -f $(TFVARS) || { echo "$(TFVARS) is missing: destroy needs the same variables as deploy"; exit 1; }
	@test -f $(MODELS_DIR)/models.config || { echo "No models in $(MODELS_DIR): terraform reads them even to destroy"; exit 1; }
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false
	$(TERRAFORM) -chdir=$(TF_DIR) destroy $(TF_ARGS)

tf-fmt: ## Rewrite the Terraform files in canonical format
	$(TERRAFORM) fmt -recursive $(TF_DIR)

tf-validate: ## terraform fmt -check, then validate where the providers can be downloaded
	@command -v $(TERRAFORM) >/dev/null || { echo "terraform checks skipped: terraform is not installed"; exit 0; }; \
	$(TERRAFORM) fmt -check -recursive $(TF_DIR) || exit 1; \
	log=$$(mktemp); \
	if $(TERRAFORM) -chdir=$(TF_DIR) init -backend=false -input=false -no-color >$$log 2>&1; then \
		$(TERRAFORM) -chdir=$(TF_DIR) validate || { rm -f $$log; exit 1; }; \
	else \
		echo "terraform validate skipped, the providers could not be installed:"; grep -m1 "Error" $$log; \
	fi; \
	rm -f $$log

$(CHECKOV_STAMP): $(TF_DIR)/requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q -r $<
	@touch $@

checkov-venv: $(CHECKOV_STAMP) ## Create .venv-checkov with the pinned checkov

tf-checkov: $(CHECKOV_STAMP) ## Scan the Terraform module with checkov (skips are justified inline)
	$(CHECKOV_VENV)/bin/checkov --config-file $(TF_DIR)/.checkov.yaml --compact --quiet

# The core targets pick these up: make test needs checkov, make lint runs the Terraform checks.
test: $(CHECKOV_STAMP)
lint: tf-validate
