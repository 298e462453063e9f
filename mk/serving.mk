# Model serving: `make serve` runs serving/serve.sh, which picks TensorFlow Serving, Docker or the emulator.

MODEL_SERVER ?= auto
SERVE_FLAGS ?=

.PHONY: serve

serve: $(VENV_STAMP) ## Serve MODELS_DIR on TF_SERVING_PORT (TF Serving, else Docker, else the emulator)
	@MODELS_DIR=$(MODELS_DIR) TF_SERVING_PORT=$(TF_SERVING_PORT) MODEL_SERVER=$(MODEL_SERVER) PY=$(PY) \
		bash serving/serve.sh $(SERVE_FLAGS)
