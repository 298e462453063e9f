"""TF Serving's JSON text conventions (tensorflow_serving/util/json_tensor.cc).

Floats are written the way TF Serving writes them, not the way Python does: six significant digits
when that round-trips, else full precision; `.0` appended to whole numbers; NaN / Infinity as bare
tokens. Error messages quote the offending JSON value the way RapidJSON re-serializes it.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
from tensorflow.core.framework import types_pb2

# json.encoder's C string escaper (non-ASCII kept as is, as RapidJSON's writer does).
json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]

# TF Serving 2.20 caps quoted request values in messages; the exact cut-off format is not specified.
_MAX_ECHO_CHARS = 256
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_FLOAT32 = struct.Struct("f")


def float32_text(value: float) -> str:
    """A DT_FLOAT value as TF Serving writes it: `3.0`, `0.5`, `9e+06`, `3.67991877`, `NaN`."""
    if not math.isfinite(value):
        return _non_finite_text(value)
    text = f"{value:g}"
    if _as_float32(float(text)) != value:
        text = f"{value:.9g}"
    return _with_decimal_point(text)


def _as_float32(value: float) -> float:
    """`value` rounded to float32 (struct is several times faster than numpy for one number)."""
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def float64_text(value: float) -> str:
    """A DT_DOUBLE value as TF Serving writes it: `0.1`, `0.30000000000000004`, `1e+100`."""
    if not math.isfinite(value):
        return _non_finite_text(value)
    text = f"{value:g}"
    if float(text) != value:
        text = f"{value:.17g}"
    return _with_decimal_point(text)


def _non_finite_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "-Infinity" if value < 0 else "Infinity"


def _with_decimal_point(text: str) -> str:
    # TF Serving marks whole numbers as decimals so clients do not read a float tensor as ints.
    return text if "." in text or "e" in text else text + ".0"


def dtype_name(dtype: int) -> str:
    """TensorFlow's DataTypeString for a DataType enum value: DT_FLOAT -> `float`."""
    try:
        return types_pb2.DataType.Name(dtype).removeprefix("DT_").lower()
    except ValueError:
        return f"unknown dtype {dtype}"


def json_type(value: object) -> str:
    """RapidJSON's type name, as TF Serving's type errors print it."""
    if value is None:
        return "Null"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, str):
        return "String"
    return "Number"


def echo(value: object) -> str:
    """A request value quoted in an error message (RapidJSON PrettyWriter style, 4-space indent)."""
    if isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, float):
        text = float32_text(value) if abs(value) <= _FLOAT32_MAX else float64_text(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = json_string(value)
    else:
        text = json.dumps(value, indent=4, ensure_ascii=False)
    return text if len(text) <= _MAX_ECHO_CHARS else text[:_MAX_ECHO_CHARS] + "..."
