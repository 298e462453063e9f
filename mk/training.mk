# Trained models (serving/training): train + export into $(MODELS_DIR), or re-measure what is there.
.PHONY: models evaluate

TRAINING_FLAGS ?=

models: $(VENV_STAMP) ## Train both models on MovieLens 100K and export them into serving/cloudrun/models
	$(PY) -m serving.training train --models $(MODELS_DIR) $(TRAINING_FLAGS)

evaluate: $(VENV_STAMP) ## Print the held-out figures of the exported models as JSON
	$(PY) -m serving.training evaluate --models $(MODELS_DIR) $(TRAINING_FLAGS)
