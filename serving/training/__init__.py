"""Train, evaluate and export the retrieval and ranking models for TensorFlow Serving."""

import os

# TensorFlow Recommenders 0.7.7 needs Keras 2 (tf-keras); this must be set before TensorFlow is imported.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
