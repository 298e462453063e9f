# recommend: two-stage movie recommendations on Cloud Functions + TensorFlow Serving.
# `make help` lists the targets. Each concern adds its own targets in mk/*.mk.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
MODELS_DIR ?= serving/cloudrun/models
TF_SERVING_PORT ?= 8501
FUNCTION_PORT ?= 8080

# Legacy Keras is what TensorFlow Recommenders 0.7.7 needs; the quieter C++ log keeps output readable.
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: help setup run test lint

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV_STAMP): requirements-dev.txt functions/recommend/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11+ is required (PYTHON=$(PYTHON) is $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	# recbole ships MovieLens 100K; only its data files are used, so none of its dependencies.
	$(PY) -m pip install -q --no-deps recbole==1.2.1
	@touch $@

setup: $(VENV_STAMP) ## Create the virtualenv with every development dependency

run: $(VENV_STAMP) ## Serve recommendations locally: model server (:8501) + function (:8080); Ctrl-C stops both
	@MODELS_DIR=$(MODELS_DIR) TF_SERVING_PORT=$(TF_SERVING_PORT) FUNCTION_PORT=$(FUNCTION_PORT) \
		PY=$(PY) bash scripts/run.sh

test: $(VENV_STAMP) ## Run every test suite (models, serving, function, terraform, reliability)
	$(PY) -m pytest

lint: $(VENV_STAMP) ## ruff and terraform checks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

include $(wildcard mk/*.mk)
