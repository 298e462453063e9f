"""Predict request bodies -> input arrays, with TF Serving's rules and error texts.

Mirrors tensorflow_serving/util/json_tensor.cc: the body must be a JSON object holding either
`instances` (row format: one element per example, stacked into a batch) or `inputs` (columnar
format: whole tensors), values are checked against each signature input's dtype, and a string may
be given as `{"b64": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from tensorflow.core.framework import types_pb2

from serving.emulator.errors import ServingError, StatusCode
from serving.emulator.json_text import dtype_name, echo, json_type

DT = types_pb2.DataType
_DECODER = json.JSONDecoder()
_JSON_WHITESPACE = " \t\n\r"


class RequestFormat(enum.Enum):
    """Which request key carried the inputs; the response mirrors it."""

    ROW = "instances"
    COLUMNAR = "inputs"


# ---------------------------------------------------------------------------------------------------
# Parsing the body


def parse_document(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; errors carry RapidJSON's message texts and byte offsets."""
    if not body:
        raise ServingError.invalid_argument("JSON Parse error: The document is empty")
    # surrogateescape keeps undecodable bytes: RapidJSON does not validate UTF-8 either.
    text = body.decode("utf-8", "surrogateescape")
    start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
    if start == len(text):
        raise _parse_error("The document is empty.", text, start)
    try:
        # raw_decode ignores what follows the first value, like RapidJSON's kParseStopWhenDoneFlag.
        document, _ = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as error:
        message, position = _rapidjson_error(error, text)
        raise _parse_error(message, text, position) from error
    except (ValueError, RecursionError) as error:
        raise ServingError.invalid_argument(f"JSON Parse error: {error}") from error
    if not isinstance(document, dict):
        raise ServingError.invalid_argument(f"JSON Value: {echo(document)} Is not object")
    return document


def _parse_error(message: str, text: str, position: int) -> ServingError:
    offset = len(text[:position].encode("utf-8", "surrogateescape"))
    return ServingError.invalid_argument(f"JSON Parse error: {message} at offset: {offset}")


def _rapidjson_error(error: json.JSONDecodeError, text: str) -> tuple[str, int]:
    """RapidJSON's wording (rapidjson/error/en.h) and error position for a Python decode error."""
    reason, position = error.msg, error.pos
    if reason == "Expecting value":
        return "Invalid value.", position + _literal_prefix_length(text, position)
    if (
        reason.startswith("Expecting property name")
        or reason == "Illegal trailing comma before end of object"
    ):
        return "Missing a name for object member.", position
    if reason == "Expecting ':' delimiter":
        return "Missing a colon after a name of object member.", position
    if reason == "Expecting ',' delimiter":
        if _innermost_container(text, position) == "{":
            return "Missing a comma or '}' after an object member.", position
        return "Missing a comma or ']' after an array element.", position
    if reason == "Illegal trailing comma before end of array":
        return "Invalid value.", position
    if reason.startswith("Unterminated string"):
        return "Missing a closing quotation mark in string.", len(text)
    if reason.startswith("Invalid control character"):
        return "Invalid encoding in string.", position
    if reason.startswith("Invalid \\uXXXX"):
        return "Incorrect hex digit after \\u escape in string.", position
    if reason.startswith("Invalid \\escape"):
        return "Invalid escape character in string.", position
    return reason, position


def _literal_prefix_length(text: str, position: int) -> int:
    """RapidJSON consumes a literal's matching letters before failing (`nul` -> offset + 3)."""
    for literal in ("null", "true", "false"):
        if text.startswith(literal[0], position):
            length = 1
            while length < len(literal) and text.startswith(literal[length], position + length):
                length += 1
            return length
    return 0


def _innermost_container(text: str, position: int) -> str:
    """'{' or '[': the container open at `position` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:position]:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def signature_name(document: Mapping[str, Any]) -> str:
    """The requested signature name ("" = default)."""
    name = document.get("signature_name", "")
    if not isinstance(name, str):
        raise ServingError.invalid_argument(
            f"JSON Value: {echo(document)} not formatted correctly. "
            "'signature_name' key must be a string value."
        )
    return name


# ---------------------------------------------------------------------------------------------------
# Inputs


def request_tensors(
    document: Mapping[str, Any], inputs: Mapping[str, int]
) -> tuple[RequestFormat, dict[str, np.ndarray]]:
    """The input arrays for a signature whose inputs are `{alias: DataType}`, and the request format."""
    has_rows, has_columns = "instances" in document, "inputs" in document
    if has_rows and has_columns:
        raise ServingError.invalid_argument(
            f"JSON Value: {echo(document)} Not formatted correctly expecting only one of 'inputs' or "
            "'instances' keys to exist "
        )
    if has_rows:
        return RequestFormat.ROW, _row_tensors(document, inputs)
    if has_columns:
        return RequestFormat.COLUMNAR, _columnar_tensors(document["inputs"], inputs)
    raise ServingError.invalid_argument("Missing 'inputs' or 'instances' key")


def _row_tensors(document: Mapping[str, Any], inputs: Mapping[str, int]) -> dict[str, np.ndarray]:
    instances = document["instances"]
    if not isinstance(instances, list):
        raise ServingError.invalid_argument(
            f"JSON Value: {echo(document)} Expecting 'instances' to be an list/array"
        )
    if not instances:
        raise ServingError.invalid_argument(f"JSON Value: {echo(document)} No values in 'instances' array")
    if not isinstance(instances[0], dict) and len(inputs) > 1:
        raise ServingError.invalid_argument(
            "instances is a plain list, but expecting list of objects as multiple input tensors required "
            "as per tensorinfo_map"
        )
    batches = {name: _Batch(dtype) for name, dtype in inputs.items()}
    if _is_named_object(instances[0]):
        _add_named_rows(instances, batches)
    else:
        _add_plain_rows(instances, batches[next(iter(inputs))])
    return {name: batch.array(len(instances)) for name, batch in batches.items()}


def _add_named_rows(instances: list[Any], batches: Mapping[str, _Batch]) -> None:
    names = set(batches)
    for index, element in enumerate(instances):
        if not _is_named_object(element):
            raise ServingError.invalid_argument(
                f"Expecting object but got list at item {index} of input list"
            )
        for key, value in element.items():
            try:
                if key not in batches:
                    raise ServingError.invalid_argument(f"JSON object: does not have named input: {key}")
                batches[key].add(value)
            except ServingError as error:
                raise ServingError.invalid_argument(
                    f"Failed to process element: {index} key: {key} of 'instances' list. "
                    f"Error: {error.status_string()}"
                ) from error
        if element.keys() != names:
            raise ServingError.invalid_argument(
                f"Failed to process element: {index} of 'instances' list. JSON object: {echo(element)} "
                f"keys must be equal to: {','.join(sorted(names))}"
            )


def _add_plain_rows(instances: list[Any], batch: _Batch) -> None:
    for index, element in enumerate(instances):
        if _is_named_object(element):
            raise ServingError.invalid_argument(
                f"Expecting value/list but got object at item {index} of input list"
            )
        try:
            batch.add(element)
        except ServingError as error:
            raise ServingError.invalid_argument(
                f"Failed to process element: {index} of 'instances' list. Error: {error.status_string()}"
            ) from error


def _columnar_tensors(value: Any, inputs: Mapping[str, int]) -> dict[str, np.ndarray]:
    if not _is_named_object(value):
        if len(inputs) > 1:
            raise ServingError.invalid_argument(
                "inputs is a plain value/list, but expecting an object as multiple input tensors required "
                "as per tensorinfo_map"
            )
        name, dtype = next(iter(inputs.items()))
        return {name: _tensor(value, dtype)}
    tensors = {}
    for name, dtype in inputs.items():  # keys the signature does not have are ignored, as in TF Serving
        if name not in value:
            raise ServingError.invalid_argument(f"Missing named input: {name} in 'inputs' object.")
        tensors[name] = _tensor(value[name], dtype)
    return tensors


class _Batch:
    """One input's row-format elements, which must all share one shape."""

    def __init__(self, dtype: int) -> None:
        self.dtype = dtype
        self.values: list[Any] = []
        self.shape: list[int] | None = None
        self.size = 0

    def add(self, element: Any) -> None:
        if isinstance(element, list):
            shape = _dense_shape(element)
            values: list[Any] = []
            _fill(element, 0, shape, self.dtype, values)
        else:  # the common case of one value per example, without the walk
            shape, values = [], [_leaf(element, self.dtype)]
        if self.shape is None:
            self.shape, self.size = shape, len(values)
        elif len(values) != self.size:
            raise ServingError.invalid_argument(f"Expecting tensor size: {self.size} but got: {len(values)}")
        elif shape != self.shape:
            raise ServingError.invalid_argument(
                f"Expecting shape {_shape_text(self.shape)} but got: {_shape_text(shape)}"
            )
        self.values.extend(values)

    def array(self, count: int) -> np.ndarray:
        return _array(self.values, self.dtype, [count, *(self.shape or [])])


def _tensor(value: Any, dtype: int) -> np.ndarray:
    shape = _dense_shape(value)
    values: list[Any] = []
    _fill(value, 0, shape, dtype, values)
    return _array(values, dtype, shape)


def _dense_shape(value: Any) -> list[int]:
    """The shape implied by the first element at each nesting level."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _fill(value: Any, level: int, shape: list[int], dtype: int, out: list[Any]) -> None:
    """Append the leaves of `value` to `out`, checking it is a dense tensor of `shape`."""
    rank = len(shape)
    if not isinstance(value, list):
        if level != rank:
            raise ServingError.invalid_argument(
                f"JSON Value: {echo(value)} found at incorrect level: {level + 1} in the JSON DOM. "
                f"Expected at level: {rank}"
            )
        out.append(_leaf(value, dtype))
        return
    if level >= rank:
        raise ServingError.invalid_argument(
            f"Encountered list at unexpected level: {level} expected < {rank}"
        )
    if len(value) != shape[level]:
        raise ServingError.invalid_argument(
            f"Encountered list at unexpected size: {len(value)} at level: {level} "
            f"expected size: {shape[level]}"
        )
    for item in value:
        _fill(item, level + 1, shape, dtype, out)


def _shape_text(shape: list[int]) -> str:
    return "[" + ",".join(map(str, shape)) + "]"


def _is_named_object(value: Any) -> bool:
    return isinstance(value, dict) and not _is_b64_object(value)


def _is_b64_object(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


# ---------------------------------------------------------------------------------------------------
# Leaf values


def _leaf(value: Any, dtype: int) -> Any:
    if isinstance(value, dict):
        if dtype == DT.DT_STRING:
            return _b64_bytes(value)
        raise _type_error(value, dtype)
    convert = _CONVERTERS.get(dtype)
    if convert is None:
        raise ServingError(
            StatusCode.UNIMPLEMENTED, f"Conversion of JSON Value: {echo(value)} to type: {dtype_name(dtype)}"
        )
    return convert(value, dtype)


def _b64_bytes(value: dict[str, Any]) -> bytes:
    if not _is_b64_object(value):
        raise ServingError.invalid_argument(
            f"JSON Value: {echo(value)} not formatted correctly for base64 data"
        )
    encoded = value["b64"].strip()
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ServingError.invalid_argument("Unable to base64 decode") from error


def _type_error(value: Any, dtype: int) -> ServingError:
    return ServingError.invalid_argument(
        f"JSON Value: {echo(value)} Type: {json_type(value)} is not of expected type: {dtype_name(dtype)}"
    )


def _decimal(value: Any, dtype: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(value, dtype)
    try:
        return float(value)
    except OverflowError:  # an integer beyond double range: RapidJSON reads it as a double too
        return math.inf if value > 0 else -math.inf


def _integer_in(low: int, high: int) -> Callable[[Any, int], int]:
    def convert(value: Any, dtype: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _type_error(value, dtype)
        return value

    return convert


def _boolean(value: Any, dtype: int) -> bool:
    if not isinstance(value, bool):
        raise _type_error(value, dtype)
    return value


def _string(value: Any, dtype: int) -> bytes:
    if not isinstance(value, str):
        raise _type_error(value, dtype)
    return value.encode("utf-8", "surrogateescape")


_INT32 = _integer_in(-(2**31), 2**31 - 1)
_CONVERTERS: dict[int, Callable[[Any, int], Any]] = {
    DT.DT_FLOAT: _decimal,
    DT.DT_DOUBLE: _decimal,
    DT.DT_INT32: _INT32,
    DT.DT_INT16: _INT32,
    DT.DT_INT8: _INT32,
    DT.DT_UINT8: _INT32,
    DT.DT_INT64: _integer_in(-(2**63), 2**63 - 1),
    DT.DT_UINT32: _integer_in(0, 2**32 - 1),
    DT.DT_UINT64: _integer_in(0, 2**64 - 1),
    DT.DT_BOOL: _boolean,
    DT.DT_STRING: _string,
}
_NUMPY_TYPES = {
    DT.DT_FLOAT: np.float32,
    DT.DT_DOUBLE: np.float64,
    DT.DT_INT32: np.int32,
    DT.DT_INT16: np.int16,
    DT.DT_INT8: np.int8,
    DT.DT_UINT8: np.uint8,
    DT.DT_INT64: np.int64,
    DT.DT_UINT32: np.uint32,
    DT.DT_UINT64: np.uint64,
    DT.DT_BOOL: np.bool_,
    DT.DT_STRING: object,
}
# TF Serving stores these in the proto's 32-bit int_val and narrows them, so out-of-range values wrap.
_NARROW_INTS = {DT.DT_INT16, DT.DT_INT8, DT.DT_UINT8}


def _array(values: list[Any], dtype: int, shape: list[int]) -> np.ndarray:
    if dtype in _NARROW_INTS:
        return np.array(values, dtype=np.int32).astype(_NUMPY_TYPES[dtype]).reshape(shape)
    with np.errstate(over="ignore"):  # JSON numbers beyond float32 range become +-inf, as in TF Serving
        return np.array(values, dtype=_NUMPY_TYPES[dtype]).reshape(shape)
