"""Replay a SavedModel's warmup requests (assets.extra/tf_serving_warmup_requests) as TF Serving does.

TF Serving fails a model's load when a warmup record is unreadable or its request fails, so the
emulator does too: a broken warmup file is found on a laptop, not at the Cloud Run deploy.
Only predict records are replayed (the emulator serves predict only); others are counted and skipped.
"""

from __future__ import annotations

import logging
from pathlib import Path

import tensorflow as tf
from google.protobuf import message as protobuf_message
from tensorflow_serving.apis import prediction_log_pb2

from serving.emulator.errors import ModelLoadError, ServingError
from serving.emulator.json_text import dtype_name
from serving.emulator.servables import Servable

log = logging.getLogger(__name__)

WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
MAX_RECORDS = 1000


def replay_warmup(servable: Servable) -> int:
    """Run every warmup record against `servable`; returns how many were read (0 without a file)."""
    path = servable.path / WARMUP_FILE
    if not path.is_file():
        log.info("No warmup data file found at %s", path)
        return 0
    count = 0
    try:
        for record in tf.data.TFRecordDataset(str(path)):
            count += 1
            _replay(servable, record.numpy(), count)
            if count > MAX_RECORDS:
                raise ModelLoadError(
                    f"Number of warmup records exceeds the maximum ({MAX_RECORDS}) at {path}"
                )
    except tf.errors.OpError as error:
        raise ModelLoadError(
            f"{path}: {error.message} Please verify your warmup data is in TFRecord format."
        ) from error
    log.info("Finished reading warmup data for model at %s. Number of warmup records read: %d.", path, count)
    return count


def _replay(servable: Servable, record: bytes, number: int) -> None:
    entry = prediction_log_pb2.PredictionLog()
    try:
        entry.ParseFromString(record)
    except protobuf_message.DecodeError as error:
        raise ModelLoadError(f"Failed to parse warmup record {number} of {servable.path}: {error}") from error
    kind = entry.WhichOneof("log_type")
    if kind != "predict_log":
        log.warning("warmup record %d of %s is %s, which the emulator skips", number, servable.path, kind)
        return
    request = entry.predict_log.request
    try:
        signature = servable.signature(request.model_spec.signature_name)
        for name, tensor in request.inputs.items():
            expected = signature.inputs.get(name)
            if expected is not None and tensor.dtype != expected:
                raise ServingError.invalid_argument(
                    f"input {name} is {dtype_name(tensor.dtype)}, "
                    f"the signature expects {dtype_name(expected)}"
                )
        signature.run({name: tf.make_ndarray(tensor) for name, tensor in request.inputs.items()})
    except ServingError as error:
        raise ModelLoadError(
            f"warmup record {number} of {servable.name} version {servable.version} failed: {error.message}"
        ) from error
