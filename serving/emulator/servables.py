"""Loaded model versions (servables) and their signatures, called through TensorFlow's SavedModel API."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import tensorflow as tf
from google.protobuf import message as protobuf_message
from google.protobuf import text_format
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from serving.emulator.errors import ModelLoadError, ServingError, StatusCode
from serving.emulator.json_response import Output
from serving.emulator.model_config import ServableSpec

DEFAULT_SIGNATURE = "serving_default"

# Eager errors wrap the kernel's message in Python-side context that TF Serving's C++ session has not.
_EAGER_NOISE = (
    re.compile(r"^Graph execution error:\s*"),
    re.compile(r"^Detected at node .* defined at \(most recent call last\):\n", re.M),
    re.compile(r"^<stack traces unavailable>\n", re.M),
    re.compile(r"^  File .*\n\n?", re.M),
    re.compile(r"\s*\[Op:__inference_[^\]]*\]\s*$"),
)


@dataclass(frozen=True)
class Signature:
    """A callable signature: input aliases with their DataType, and the concrete function."""

    name: str
    inputs: Mapping[str, int]
    function: Callable[..., Mapping[str, tf.Tensor]] | None

    def run(self, arrays: Mapping[str, np.ndarray]) -> dict[str, Output]:
        """Call the signature; TensorFlow errors become ServingErrors with the same status code."""
        if self.function is None:
            raise ServingError.unimplemented(
                f"signature {self.name} cannot be called through the SavedModel API"
            )
        try:
            results = self.function(**{name: _tensor(array) for name, array in arrays.items()})
        except tf.errors.OpError as error:
            raise ServingError(StatusCode(error.error_code), tensorflow_message(error.message)) from error
        except (TypeError, ValueError) as error:  # the inputs do not bind to the function's specs
            raise ServingError.invalid_argument(str(error).strip()) from error
        return {
            alias: Output(tensor.dtype.as_datatype_enum, tensor.numpy()) for alias, tensor in results.items()
        }


@dataclass(frozen=True)
class Servable:
    """One loaded version of a model."""

    name: str
    version: int
    path: Path
    signature_defs: Mapping[str, meta_graph_pb2.SignatureDef]
    signatures: Mapping[str, Signature]
    # Keeps the loaded object (and so the signatures' variables) alive.
    loaded: Any = field(default=None, repr=False, compare=False)

    def signature(self, name: str) -> Signature:
        """The signature a request names ("" = serving_default), with TF Serving's error texts."""
        key = name or DEFAULT_SIGNATURE
        if key not in self.signature_defs:
            raise ServingError.invalid_argument(f'Serving signature name: "{key}" not found in signature def')
        signature = self.signatures.get(key)
        if signature is None or not signature.inputs:
            raise ServingError.invalid_argument(f"Failed to get input map for signature: {name or 'DEFAULT'}")
        return signature


def _tensor(array: np.ndarray) -> tf.Tensor:
    # The arrays already have the signature's dtypes; tf.constant without a dtype is the fastest path.
    # Strings are object arrays, whose dtype (an empty one in particular) must be given.
    return tf.constant(array, dtype=tf.string) if array.dtype == object else tf.constant(array)


def tensorflow_message(message: str) -> str:
    """A TensorFlow error message without the eager runtime's extra context."""
    for pattern in _EAGER_NOISE:
        message = pattern.sub("", message)
    return message.strip()


def load_servable(spec: ServableSpec, tags: Sequence[str]) -> Servable:
    """Load one SavedModel version; raises ModelLoadError with a one-line reason."""
    try:
        signature_defs = read_signature_defs(spec.path, tags)
        loaded = tf.saved_model.load(str(spec.path), tags=list(tags))
    except (OSError, ValueError, RuntimeError, tf.errors.OpError, protobuf_message.DecodeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelLoadError(
            f"{{name: {spec.name} version: {spec.version}}} at {spec.path}: {reason}"
        ) from error
    callables = getattr(loaded, "signatures", {})
    signatures = {
        key: Signature(key, _input_dtypes(definition), callables.get(key))
        for key, definition in signature_defs.items()
    }
    return Servable(
        spec.name,
        spec.version,
        spec.path,
        MappingProxyType(signature_defs),
        MappingProxyType(signatures),
        loaded,
    )


def read_signature_defs(path: Path, tags: Sequence[str]) -> dict[str, meta_graph_pb2.SignatureDef]:
    """The SignatureDefs of the MetaGraph tagged `tags`, read from saved_model.pb(txt)."""
    saved_model = saved_model_pb2.SavedModel()
    binary, text = path / "saved_model.pb", path / "saved_model.pbtxt"
    if binary.is_file():
        saved_model.ParseFromString(binary.read_bytes())
    elif text.is_file():
        text_format.Parse(text.read_text(), saved_model)
    else:
        raise OSError(f"SavedModel file does not exist at: {path}/{{saved_model.pbtxt|saved_model.pb}}")
    for meta_graph in saved_model.meta_graphs:
        if set(meta_graph.meta_info_def.tags) == set(tags):
            return dict(meta_graph.signature_def)
    raise ValueError(f"MetaGraphDef associated with tags {','.join(tags)!r} could not be found in SavedModel")


def _input_dtypes(definition: meta_graph_pb2.SignatureDef) -> Mapping[str, int]:
    return MappingProxyType({alias: info.dtype for alias, info in definition.inputs.items()})
