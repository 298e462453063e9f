"""Request-body details the HTTP conformance table does not reach: byte offsets, raw bytes, integer widths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving.emulator.errors import ServingError, StatusCode
from serving.emulator.json_request import RequestFormat, parse_document, request_tensors

DT = types_pb2.DataType


def parse_error(body: bytes) -> str:
    with pytest.raises(ServingError) as caught:
        parse_document(body)
    assert caught.value.code is StatusCode.INVALID_ARGUMENT
    return caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"a": "é" x}'.encode(), "Missing a comma or '}' after an object member. at offset: 11"),
        (b"[1 2]", "Missing a comma or ']' after an array element. at offset: 3"),
        (b'{"a" 1}', "Missing a colon after a name of object member. at offset: 5"),
        (b'{"a": "abc', "Missing a closing quotation mark in string. at offset: 10"),
        (b'{"a": "\\q"}', "Invalid escape character in string. at offset: 7"),
        (b'{"a": tru}', "Invalid value. at offset: 9"),
    ],
)
def test_parse_errors_use_rapidjson_texts_and_byte_offsets(body: bytes, message: str) -> None:
    assert parse_error(body) == f"JSON Parse error: {message}"


def test_undecodable_bytes_reach_a_string_tensor_unchanged() -> None:
    document = parse_document(b'{"inputs": ["caf\xe9"]}')
    _, tensors = request_tensors(document, {"s": DT.DT_STRING})
    assert tensors["s"].tolist() == [b"caf\xe9"]


def test_columnar_tensors_keep_their_nesting() -> None:
    request_format, tensors = request_tensors({"inputs": [[1, 2, 3], [4, 5, 6]]}, {"x": DT.DT_INT64})
    assert request_format is RequestFormat.COLUMNAR
    assert tensors["x"].dtype == np.int64
    assert tensors["x"].shape == (2, 3)


def test_rows_stack_into_a_batch_dimension() -> None:
    request_format, tensors = request_tensors({"instances": [[1.5, 2.5], [3.5, 4.5]]}, {"x": DT.DT_FLOAT})
    assert request_format is RequestFormat.ROW
    assert tensors["x"].dtype == np.float32
    assert tensors["x"].tolist() == [[1.5, 2.5], [3.5, 4.5]]


def test_an_empty_list_is_a_zero_length_tensor() -> None:
    _, tensors = request_tensors({"inputs": []}, {"s": DT.DT_STRING})
    assert tensors["s"].shape == (0,)


def test_narrow_integers_wrap_as_tf_serving_stores_them_in_32_bits() -> None:
    _, tensors = request_tensors({"inputs": [300, -1]}, {"u": DT.DT_UINT8})
    assert tensors["u"].tolist() == [44, 255]


@pytest.mark.parametrize(
    ("dtype", "accepted", "refused"),
    [
        (DT.DT_INT64, [-(2**63), 2**63 - 1], 2**63),
        (DT.DT_UINT32, [0, 2**32 - 1], -1),
        (DT.DT_UINT64, [0, 2**64 - 1], 2**64),
        (DT.DT_DOUBLE, [1, 0.25], "1"),
    ],
)
def test_integer_ranges_follow_rapidjson_number_kinds(dtype: int, accepted: list, refused: object) -> None:
    _, tensors = request_tensors({"inputs": accepted}, {"v": dtype})
    assert tensors["v"].tolist() == accepted
    with pytest.raises(ServingError, match="is not of expected type"):
        request_tensors({"inputs": [refused]}, {"v": dtype})


def test_numbers_beyond_float_range_become_infinity() -> None:
    _, tensors = request_tensors({"inputs": [1e39, -(10**400)]}, {"x": DT.DT_FLOAT})
    assert tensors["x"].tolist() == [math.inf, -math.inf]


def test_an_unsupported_input_dtype_is_unimplemented() -> None:
    with pytest.raises(ServingError) as caught:
        request_tensors({"inputs": [1]}, {"c": DT.DT_COMPLEX64})
    assert caught.value.code is StatusCode.UNIMPLEMENTED
    assert caught.value.message == "Conversion of JSON Value: 1 to type: complex64"
