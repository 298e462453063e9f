"""Number and value text as TF Serving writes it (json_tensor.cc WriteDecimal, JsonValueToString)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from serving.emulator.json_text import echo, float32_text, float64_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e100, "1e+100"),
        (2.0, "2.0"),
        (-0.0, "-0.0"),
        (123456789.0, "123456789.0"),
        (math.nan, "NaN"),
        (-math.inf, "-Infinity"),
    ],
)
def test_doubles_round_trip_with_at_most_seventeen_digits(value: float, text: str) -> None:
    assert float64_text(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (float(np.float32(0.1)), "0.1"),
        (float(np.finfo(np.float32).max), "3.40282347e+38"),
        (float(np.float32(16777216)), "16777216.0"),
        (float(np.float32(1 / 3)), "0.333333343"),
    ],
)
def test_floats_round_trip_as_float32(value: float, text: str) -> None:
    assert float32_text(value) == text
    assert np.float32(text) == np.float32(value)


def test_echo_writes_values_as_rapidjson_does() -> None:
    assert echo('a"b') == '"a\\"b"'
    assert echo(1.0) == "1.0"
    assert echo(True) == "true"
    assert echo(None) == "null"
    assert echo({"b64": 1}) == '{\n    "b64": 1\n}'


def test_echo_caps_long_values() -> None:
    text = echo(list(range(1000)))
    assert len(text) == 259
    assert text.endswith("...")
