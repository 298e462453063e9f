"""TF Serving warmup records: real requests replayed when a model version loads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
MAX_RECORDS = 1000  # TF Serving refuses a warmup file with more records
UNKNOWN_ID = "no-such-id"


def predict_log(
    model: str, signature: str, inputs: Mapping[str, Sequence[str]]
) -> prediction_log_pb2.PredictionLog:
    """One PredictionLog holding a Predict request for `model`'s `signature`."""
    request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name=model, signature_name=signature))
    for name, values in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(np.array(values, dtype=object), dtype=tf.string))
    return prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))


def retrieval_requests(users: np.ndarray) -> list[prediction_log_pb2.PredictionLog]:
    """A single known user, a small batch, an unknown user, and the evaluation signature."""
    known = [str(user) for user in users[:8]]
    return [
        predict_log("retrieval", "serving_default", {"user_id": known[:1]}),
        predict_log("retrieval", "serving_default", {"user_id": known}),
        predict_log("retrieval", "serving_default", {"user_id": [UNKNOWN_ID]}),
        predict_log("retrieval", "including_seen", {"user_id": known[:1]}),
    ]


def ranking_requests(
    users: np.ndarray, titles: np.ndarray, batch: int
) -> list[prediction_log_pb2.PredictionLog]:
    """One pair, the function's usual batch (one user, `batch` titles), and unknown ids."""
    user = str(users[0])
    some_titles = [str(title) for title in titles[:batch]]
    return [
        predict_log("ranking", "serving_default", {"user_id": [user], "movie_title": some_titles[:1]}),
        predict_log(
            "ranking", "serving_default", {"user_id": [user] * len(some_titles), "movie_title": some_titles}
        ),
        predict_log("ranking", "serving_default", {"user_id": [UNKNOWN_ID], "movie_title": [UNKNOWN_ID]}),
    ]


def write_warmup(version_dir: Path, records: Sequence[prediction_log_pb2.PredictionLog]) -> Path:
    """Write the records where TF Serving looks for them in a SavedModel version folder."""
    if len(records) > MAX_RECORDS:
        raise ValueError(f"{len(records)} warmup records; TF Serving accepts at most {MAX_RECORDS}")
    path = version_dir / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for record in records:
            writer.write(record.SerializeToString())
    return path


def read_warmup(version_dir: Path) -> list[prediction_log_pb2.PredictionLog]:
    """Parse a version's warmup file back into PredictionLog protos."""
    path = version_dir / WARMUP_FILE
    return [
        prediction_log_pb2.PredictionLog.FromString(raw.numpy()) for raw in tf.data.TFRecordDataset(str(path))
    ]
