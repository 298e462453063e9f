"""Predict outputs -> response JSON text, formatted as TF Serving writes it.

Row requests get `{"predictions": ...}` (one entry per example; an object per example when the
signature has several outputs), columnar requests `{"outputs": ...}` (whole tensors). Output aliases
ending in `_bytes` are written as `{"b64": ...}`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from tensorflow.core.framework import types_pb2

from serving.emulator.errors import ServingError
from serving.emulator.json_request import RequestFormat
from serving.emulator.json_text import dtype_name, float32_text, float64_text, json_string

DT = types_pb2.DataType
_BYTES_SUFFIX = "_bytes"


@dataclass(frozen=True)
class Output:
    """One output tensor of a signature call."""

    dtype: int
    value: np.ndarray


def predict_response(request_format: RequestFormat, outputs: Mapping[str, Output]) -> str:
    """The JSON text answering a predict request made in `request_format`."""
    if request_format is RequestFormat.ROW:
        return '{"predictions": ' + _predictions(outputs) + "}"
    return '{"outputs": ' + _columns(outputs) + "}"


def _predictions(outputs: Mapping[str, Output]) -> str:
    batch_size = _batch_size(outputs)
    texts = {alias: _leaf_texts(alias, output) for alias, output in outputs.items()}
    if len(texts) == 1:
        return _nested(next(iter(texts.values())))
    rows = (
        _object({alias: _nested(leaves[row]) for alias, leaves in texts.items()}) for row in range(batch_size)
    )
    return "[" + ", ".join(rows) + "]"


def _batch_size(outputs: Mapping[str, Output]) -> int:
    """The shared first dimension every output must have for a row-format answer."""
    batch_size = None
    for alias, output in outputs.items():
        if output.value.ndim == 0:
            raise ServingError.invalid_argument(f"Tensor name: {alias} has no shape information ")
        if batch_size is None:
            batch_size = output.value.shape[0]
        elif output.value.shape[0] != batch_size:
            raise ServingError.invalid_argument(
                f"Tensor name: {alias} has inconsistent batch size: {output.value.shape[0]} "
                f"expecting: {batch_size}"
            )
    return batch_size or 0


def _columns(outputs: Mapping[str, Output]) -> str:
    if len(outputs) == 1:
        alias, output = next(iter(outputs.items()))
        return _nested(_leaf_texts(alias, output))
    return _object({alias: _nested(_leaf_texts(alias, output)) for alias, output in outputs.items()})


def _object(fields: Mapping[str, str]) -> str:
    """A JSON object from keys and the JSON texts of their values."""
    return "{" + ", ".join(f"{json_string(key)}: {text}" for key, text in fields.items()) + "}"


def _nested(texts: list | str) -> str:
    """JSON text of nested lists of leaf texts."""
    if isinstance(texts, str):
        return texts
    return "[" + ", ".join(map(_nested, texts)) + "]"


def _leaf_texts(alias: str, output: Output) -> list | str:
    """The JSON text of every element of `output`, nested as the tensor is (a str for a scalar)."""
    if output.dtype == DT.DT_STRING and alias.endswith(_BYTES_SUFFIX):
        write = _b64_text
    else:
        write = _WRITERS.get(output.dtype)
    if write is None:
        raise ServingError.invalid_argument(
            f"Failed to write JSON value for tensor type: {dtype_name(output.dtype)}"
        )
    flat = [write(item) for item in output.value.ravel().tolist()]
    texts = np.empty(len(flat), dtype=object)
    texts[:] = flat  # element-wise, so numpy keeps the strings as objects
    return texts.reshape(output.value.shape).tolist()


def _b64_text(value: bytes) -> str:
    return '{"b64": "' + base64.b64encode(value).decode("ascii") + '"}'


def _string_text(value: bytes) -> str:
    # TF Serving writes the bytes as they are; undecodable bytes go out unchanged (surrogateescape).
    return json_string(value.decode("utf-8", "surrogateescape"))


_WRITERS: dict[int, Callable[[object], str]] = {
    DT.DT_FLOAT: float32_text,
    DT.DT_DOUBLE: float64_text,
    DT.DT_STRING: _string_text,
    DT.DT_BOOL: lambda value: "true" if value else "false",
    **dict.fromkeys(
        (
            DT.DT_INT8,
            DT.DT_UINT8,
            DT.DT_INT16,
            DT.DT_UINT16,
            DT.DT_INT32,
            DT.DT_UINT32,
            DT.DT_INT64,
            DT.DT_UINT64,
        ),
        str,
    ),
}
