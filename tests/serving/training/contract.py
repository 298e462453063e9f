"""Checks of the serving contract the function and the emulator rely on, for any exported model base."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from serving.training.warmup import MAX_RECORDS, read_warmup


def signature(version_dir: Path, name: str = "serving_default") -> tf.types.experimental.ConcreteFunction:
    return tf.saved_model.load(str(version_dir)).signatures[name]


def assert_retrieval_contract(version_dir: Path, candidates: int) -> None:
    """user_id string [-1] -> scores float32 [-1, N], movie_titles string [-1, N]."""
    serve = signature(version_dir)
    assert serve.structured_input_signature[1] == {
        "user_id": tf.TensorSpec([None], tf.string, name="user_id")
    }
    assert serve.structured_outputs == {
        "scores": tf.TensorSpec([None, candidates], tf.float32, name="scores"),
        "movie_titles": tf.TensorSpec([None, candidates], tf.string, name="movie_titles"),
    }


def assert_ranking_contract(version_dir: Path) -> None:
    """user_id, movie_title string [-1] -> output_1 float32 [-1, 1] (the codelab's contract)."""
    serve = signature(version_dir)
    assert serve.structured_input_signature[1] == {
        "user_id": tf.TensorSpec([None], tf.string, name="user_id"),
        "movie_title": tf.TensorSpec([None], tf.string, name="movie_title"),
    }
    assert serve.structured_outputs == {"output_1": tf.TensorSpec([None, 1], tf.float32, name="output_1")}


def assert_warmup_replays(version_dir: Path, model_name: str) -> None:
    """The warmup file holds real Predict requests for this model that its signatures answer."""
    records = read_warmup(version_dir)
    assert 0 < len(records) <= MAX_RECORDS
    model = tf.saved_model.load(str(version_dir))
    for record in records:
        request = record.predict_log.request
        assert request.model_spec.name == model_name
        inputs = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
        outputs = model.signatures[request.model_spec.signature_name](
            **{k: tf.constant(v) for k, v in inputs.items()}
        )
        rows = len(next(iter(inputs.values())))
        assert all(value.shape[0] == rows for value in outputs.values())


def warmup_batch_sizes(version_dir: Path) -> list[int]:
    """Rows per warmup request."""
    return [
        int(
            np.prod(
                [dim.size for dim in next(iter(record.predict_log.request.inputs.values())).tensor_shape.dim]
            )
        )
        for record in read_warmup(version_dir)
    ]
