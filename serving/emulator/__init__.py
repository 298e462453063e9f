"""A TensorFlow-Serving-compatible REST server for machines that cannot run TensorFlow Serving.

Development stand-in only: production serves the same models with TensorFlow Serving.
Run it as `python -m serving.emulator --rest_api_port=8501 --model_config_file=/models/models.config
--mount=HOSTDIR:/models`.
"""
