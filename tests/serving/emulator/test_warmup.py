"""Warmup records (assets.extra/tf_serving_warmup_requests) replay at load; a bad one fails the load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tensorflow as tf
from tensorflow_serving.apis import classification_pb2, predict_pb2, prediction_log_pb2

from serving.emulator.errors import ModelLoadError
from serving.emulator.loader import load_registry
from serving.emulator.model_config import ModelConfig, ServableSpec
from serving.emulator.registry import ModelRef
from serving.emulator.servables import load_servable
from serving.emulator.warmup import WARMUP_FILE, replay_warmup


def predict_record(signature: str = "", **inputs: tf.Tensor) -> bytes:
    request = predict_pb2.PredictRequest()
    request.model_spec.signature_name = signature
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    ).SerializeToString()


def classify_record() -> bytes:
    return prediction_log_pb2.PredictionLog(
        classify_log=prediction_log_pb2.ClassifyLog(request=classification_pb2.ClassificationRequest())
    ).SerializeToString()


def model_with_warmup(conformance_models: Path, folder: Path, records: list[bytes]) -> ServableSpec:
    """A copy of half_plus_two version 1 whose warmup file holds `records`."""
    version = folder / "half_plus_two" / "1"
    shutil.copytree(conformance_models / "half_plus_two" / "1", version)
    (version / WARMUP_FILE).parent.mkdir()
    with tf.io.TFRecordWriter(str(version / WARMUP_FILE)) as writer:
        for record in records:
            writer.write(record)
    return ServableSpec("half_plus_two", 1, version)


def test_predict_records_are_replayed_and_others_skipped(conformance_models: Path, tmp_path: Path) -> None:
    records = [
        predict_record(x=tf.constant([1.0, 2.0])),
        predict_record("identity", x=tf.constant([3.0])),
        classify_record(),
    ]
    spec = model_with_warmup(conformance_models, tmp_path, records)
    assert replay_warmup(load_servable(spec, ["serve"])) == 3


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (predict_record("nope", x=tf.constant([1.0])), 'Serving signature name: "nope" not found'),
        (predict_record(x=tf.constant([1], dtype=tf.int32)), "input x is int32, the signature expects float"),
        (b"\xff\xff not a PredictionLog", "Failed to parse warmup record 1"),
    ],
    ids=["unknown_signature", "wrong_dtype", "not_a_prediction_log"],
)
def test_a_failing_record_fails_the_load(
    conformance_models: Path, tmp_path: Path, record: bytes, reason: str
) -> None:
    spec = model_with_warmup(conformance_models, tmp_path, [record])
    with pytest.raises(ModelLoadError, match=reason):
        replay_warmup(load_servable(spec, ["serve"]))


def test_a_warmup_file_that_is_not_tfrecord_fails_the_load(conformance_models: Path, tmp_path: Path) -> None:
    spec = model_with_warmup(conformance_models, tmp_path, [])
    (spec.path / WARMUP_FILE).write_bytes(b"plain text, no TFRecord framing")
    with pytest.raises(ModelLoadError, match="Please verify your warmup data is in TFRecord format"):
        replay_warmup(load_servable(spec, ["serve"]))


def test_startup_loading_reports_a_broken_warmup_as_a_failed_servable(
    conformance_models: Path, tmp_path: Path
) -> None:
    spec = model_with_warmup(conformance_models, tmp_path, [predict_record("nope", x=tf.constant([1.0]))])
    config = ModelConfig("half_plus_two", spec.path.parent)
    with pytest.raises(ModelLoadError, match=r"1 servable\(s\) did not become available: warmup record 1"):
        load_registry([config], [spec], ["serve"], warmup=True)
    without_warmup = load_registry([config], [spec], ["serve"], warmup=False)
    assert without_warmup.servable(ModelRef("half_plus_two")).version == 1
