"""Small SavedModels covering what the REST conformance suite needs, laid out for /models.

    python -m tests.serving.conformance_models DIR

writes DIR/models.config and one folder per model. To run the suite against real TensorFlow Serving
(the config's labels need the extra flag, for TF Serving as for the emulator):

    make serve MODELS_DIR=DIR MODEL_SERVER=docker \\
        SERVE_FLAGS=--allow_version_labels_for_unavailable_models=true
    TF_SERVING_URL=http://127.0.0.1:8501 pytest tests/serving/test_conformance.py

Models:
- half_plus_two: float `x` [-1] -> `y` [-1]; version 1 computes x/2 + 2, version 2 x/2 + 3; version 3
  exists on disk but the config's version policy does not select it. Labels: stable -> 1, canary -> 2.
  Extra signature `identity` (y = x), used to check float formatting.
- multi_io: inputs `a` float [-1,2], `b` int32 [-1], `d` double [-1], `name` string [-1], `flag` bool [-1];
  outputs `total` double (sum(a) + b + d), `greeting` and `greeting_bytes` string ("hello " + name),
  `negated` bool (not flag), `count` int64 (2 * b).
- odd_shapes: outputs TF Serving cannot write in row format or at all: `serving_default` returns a scalar
  `total` beside `doubled` [-1]; `ragged_batch` returns `doubled` [-1] and `head` [1]; `half_input` takes
  a float16 input; `half_output` returns float16; `busy` (int32 `n` [-1] -> float `y` [-1]) multiplies
  256x256 matrices n[0] times, so the emulator's own tests can hold a model call open.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import tensorflow as tf

SERVER_FLAGS = ("--allow_version_labels_for_unavailable_models=true",)

MODELS_CONFIG = """\
model_config_list {
  config {
    name: "half_plus_two"
    base_path: "/models/half_plus_two"
    model_platform: "tensorflow"
    model_version_policy { specific { versions: 1 versions: 2 } }
    version_labels { key: "stable" value: 1 }
    version_labels { key: "canary" value: 2 }
  }
  config {
    name: "multi_io"
    base_path: "/models/multi_io"
    model_platform: "tensorflow"
  }
  config {
    name: "odd_shapes"
    base_path: "/models/odd_shapes"
    model_platform: "tensorflow"
  }
}
"""

_FLOATS = tf.TensorSpec([None], tf.float32, name="x")


class HalfPlusTwo(tf.Module):
    """y = x / 2 + offset (offset 2 in version 1, 3 in version 2)."""

    def __init__(self, offset: float) -> None:
        super().__init__()
        self.offset = tf.Variable(offset, dtype=tf.float32)

    @tf.function(input_signature=[_FLOATS])
    def predict(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"y": x * 0.5 + self.offset}

    @tf.function(input_signature=[_FLOATS])
    def identity(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"y": tf.identity(x)}


class MultiIO(tf.Module):
    """Several inputs and outputs of different dtypes."""

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 2], tf.float32, name="a"),
            tf.TensorSpec([None], tf.int32, name="b"),
            tf.TensorSpec([None], tf.float64, name="d"),
            tf.TensorSpec([None], tf.string, name="name"),
            tf.TensorSpec([None], tf.bool, name="flag"),
        ]
    )
    def predict(self, a, b, d, name, flag) -> dict[str, tf.Tensor]:
        total = tf.cast(tf.reduce_sum(a, axis=1), tf.float64) + tf.cast(b, tf.float64) + d
        greeting = tf.strings.join(["hello ", name])
        return {
            "total": total,
            "greeting": greeting,
            "greeting_bytes": tf.identity(greeting),
            "negated": tf.logical_not(flag),
            "count": tf.cast(b, tf.int64) * 2,
        }


class OddShapes(tf.Module):
    """Outputs that only the columnar format can carry, and a dtype JSON cannot."""

    @tf.function(input_signature=[_FLOATS])
    def scalar_and_vector(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"total": tf.reduce_sum(x), "doubled": x * 2.0}

    @tf.function(input_signature=[_FLOATS])
    def ragged_batch(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"doubled": x * 2.0, "head": x[:1]}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float16, name="h")])
    def half_input(self, h: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"y": tf.cast(h, tf.float32)}

    @tf.function(input_signature=[_FLOATS])
    def half_output(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"y": tf.cast(x, tf.float16)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="n")])
    def busy(self, n: tf.Tensor) -> dict[str, tf.Tensor]:
        step = tf.eye(256) * 0.5 + 0.5 / 256

        def multiply(i: tf.Tensor, matrix: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return i + 1, tf.linalg.matmul(matrix, step)

        _, result = tf.while_loop(lambda i, _: i < n[0], multiply, [tf.constant(0), tf.eye(256)])
        return {"y": tf.cast(n, tf.float32) * 0.0 + tf.reduce_sum(result[0])}


def write_conformance_models(directory: Path) -> Path:
    """Write models.config and the models into `directory`; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "models.config").write_text(MODELS_CONFIG)
    for version, offset in ((1, 2.0), (2, 3.0)):
        module = HalfPlusTwo(offset)
        _save(
            module, directory / "half_plus_two" / str(version), {"identity": module.identity}, module.predict
        )
    # On disk but not selected by the version policy; a non-numeric folder is never a version.
    shutil.copytree(directory / "half_plus_two" / "2", directory / "half_plus_two" / "3", dirs_exist_ok=True)
    (directory / "half_plus_two" / "export-in-progress").mkdir(exist_ok=True)
    multi_io = MultiIO()
    _save(multi_io, directory / "multi_io" / "1", {}, multi_io.predict)
    odd = OddShapes()
    extra = {
        "ragged_batch": odd.ragged_batch,
        "half_input": odd.half_input,
        "half_output": odd.half_output,
        "busy": odd.busy,
    }
    _save(odd, directory / "odd_shapes" / "1", extra, odd.scalar_and_vector)
    return directory


def _save(module: tf.Module, path: Path, extra: dict, default) -> None:
    signatures = {"serving_default": default.get_concrete_function()}
    signatures.update({name: function.get_concrete_function() for name, function in extra.items()})
    tf.saved_model.save(module, str(path), signatures=signatures)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.serving.conformance_models DIR")
    target = write_conformance_models(Path(sys.argv[1]).resolve())
    print(f"wrote {target}/models.config; serve it with {' '.join(SERVER_FLAGS)}")
