"""TF Serving REST conformance, table-driven, against any server serving the conformance models.

    pytest tests/serving/test_conformance.py                                     # the emulator
    TF_SERVING_URL=http://127.0.0.1:8501 pytest tests/serving/test_conformance.py  # any real server

(`python -m tests.serving.conformance_models DIR` writes the models for a real server.)
Each case states what TensorFlow Serving answers, after its source code and tests (see
serving/emulator/README.md). `inferred=True` marks behaviour read from the source, not observed in
a TF Serving test. A case with `emulator=` is a known difference: the emulator is held to that
expectation instead, and `why` says why it differs.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.serving.conftest import ModelServer

HALF = "/v1/models/half_plus_two"
MULTI = "/v1/models/multi_io"
ODD = "/v1/models/odd_shapes"
MULTI_ROW = {"a": [1.0, 2.0], "b": 3, "d": 0.5, "name": "ana", "flag": True}
MULTI_COLUMNS = {"a": [[1.0, 2.0]], "b": [3], "d": [0.5], "name": ["ana"], "flag": [True]}


@dataclass(frozen=True)
class Expect:
    """What a response must be: status, and at most one way of checking its body."""

    status: int = 200
    error: str | None = None  # the exact `error` message
    error_contains: str | None = None
    body: Any = None  # the whole JSON body
    numbers: list[str] | None = None  # every number token, as written (float formatting)
    has_number: str | None = None  # one number token that must appear as written
    check: Callable[[Any], None] | None = None  # assertions on the JSON body
    empty_body: bool = False
    any_error: bool = False  # any 4xx/5xx with a JSON error (used where TF Serving's text is not pinned)

    def verify(self, response: requests.Response) -> None:
        if self.any_error:
            assert response.status_code >= 400, response.text
            assert "error" in response.json()
            return
        assert response.status_code == self.status, response.text
        if self.empty_body:
            assert response.content == b""
            return
        if self.status == 404 and self.error is None:
            return  # outside /v1 TF Serving answers libevent's HTML page
        assert response.headers["Content-Type"] == "application/json"
        document = response.json()
        if self.error is not None:
            assert document == {"error": self.error}
        if self.error_contains is not None:
            assert self.error_contains in document["error"]
        if self.body is not None:
            assert document == self.body
        if self.numbers is not None:
            assert number_tokens(response.text) == self.numbers
        if self.has_number is not None:
            assert self.has_number in number_tokens(response.text), response.text
        if self.check is not None:
            self.check(document)


@dataclass(frozen=True)
class Case:
    """One request and what TF Serving answers to it."""

    id: str
    method: str
    path: str
    body: Any = None  # a str is sent as is, anything else as JSON
    expect: Expect = field(default_factory=Expect)
    emulator: Expect | None = None
    why: str = ""
    inferred: bool = False


def error(status: int, message: str | None = None, *, contains: str | None = None) -> Expect:
    return Expect(status=status, error=message, error_contains=contains)


def predictions(*values: Any) -> Expect:
    return Expect(body={"predictions": list(values)})


def number_tokens(text: str) -> list[str]:
    """The numbers in a JSON text exactly as written, strings left out."""
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    return re.findall(r"-?Infinity|NaN|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", without_strings)


def post(path: str, body: Any, expect: Expect, case_id: str, **options: Any) -> Case:
    return Case(case_id, "POST", path, body, expect, **options)


def get(path: str, expect: Expect, case_id: str, **options: Any) -> Case:
    return Case(case_id, "GET", path, None, expect, **options)


# --- checks on JSON bodies ---------------------------------------------------------------------------


def versions_available(*versions: str) -> Callable[[Any], None]:
    def check(document: Any) -> None:
        entries = document["model_version_status"]
        assert sorted(entry["version"] for entry in entries) == sorted(versions)
        for entry in entries:
            assert entry["state"] == "AVAILABLE"
            assert entry["status"] == {"error_code": "OK", "error_message": ""}

    return check


def metadata_of(version: str, signatures: set[str]) -> Callable[[Any], None]:
    def check(document: Any) -> None:
        assert document["model_spec"] == {"name": "half_plus_two", "signature_name": "", "version": version}
        defined = document["metadata"]["signature_def"]["signature_def"]
        assert signatures <= set(defined)
        x = defined["serving_default"]["inputs"]["x"]
        assert x["dtype"] == "DT_FLOAT"
        assert x["tensor_shape"]["dim"] == [{"size": "-1", "name": ""}]
        assert defined["serving_default"]["method_name"] == "tensorflow/serving/predict"

    return check


def multi_io_dtypes(document: Any) -> None:
    signature = document["metadata"]["signature_def"]["signature_def"]["serving_default"]
    inputs = {name: spec["dtype"] for name, spec in signature["inputs"].items()}
    outputs = {name: spec["dtype"] for name, spec in signature["outputs"].items()}
    assert inputs == {
        "a": "DT_FLOAT",
        "b": "DT_INT32",
        "d": "DT_DOUBLE",
        "name": "DT_STRING",
        "flag": "DT_BOOL",
    }
    assert outputs == {
        "total": "DT_DOUBLE",
        "greeting": "DT_STRING",
        "greeting_bytes": "DT_STRING",
        "negated": "DT_BOOL",
        "count": "DT_INT64",
    }
    assert signature["inputs"]["a"]["tensor_shape"]["dim"] == [
        {"size": "-1", "name": ""},
        {"size": "2", "name": ""},
    ]


def b64(text: str) -> dict[str, str]:
    return {"b64": base64.b64encode(text.encode()).decode()}


MULTI_ROW_ANSWER = {
    "total": 6.5,
    "greeting": "hello ana",
    "greeting_bytes": b64("hello ana"),
    "negated": False,
    "count": 6,
}

CASES = [
    # --- model status (GET /v1/models/{name}[/versions/{v}|/labels/{l}]) ---------------------------
    get(HALF, Expect(check=versions_available("1", "2")), "status_lists_each_loaded_version_as_available"),
    get(f"{HALF}/versions/1", Expect(check=versions_available("1")), "status_of_one_version"),
    get(
        f"{HALF}/labels/canary",
        Expect(check=versions_available("1", "2")),
        "status_ignores_labels",
        inferred=True,
    ),
    get(
        f"{HALF}/versions/3",
        error(404, "Could not find version 3 of model half_plus_two"),
        "status_of_a_version_the_policy_leaves_out_is_404",
    ),
    get(
        "/v1/models/nope",
        error(404, "Could not find any versions of model nope"),
        "status_of_unknown_model_is_404",
    ),
    get("/v1/models", error(400, "Missing model name in request."), "status_without_a_model_name_is_400"),
    get(
        f"{HALF}/METADATA",
        Expect(check=versions_available("1", "2")),
        "uppercase_metadata_is_status",
        inferred=True,
    ),
    # --- metadata -------------------------------------------------------------------------------------
    get(
        f"{HALF}/metadata",
        Expect(check=metadata_of("2", {"serving_default", "identity"})),
        "metadata_of_latest",
    ),
    get(
        f"{HALF}/versions/1/metadata",
        Expect(check=metadata_of("1", {"serving_default"})),
        "metadata_of_version",
    ),
    get(
        f"{HALF}/labels/stable/metadata",
        Expect(check=metadata_of("1", {"serving_default"})),
        "metadata_by_label",
    ),
    get(f"{MULTI}/metadata", Expect(check=multi_io_dtypes), "metadata_shows_dtypes_and_shapes"),
    get(
        "/v1/models/nope/metadata",
        error(404, "Servable not found for request: Latest(nope)"),
        "metadata_of_unknown_model_is_404",
    ),
    get(
        f"{HALF}/labels/nope/metadata",
        error(400, "Unrecognized servable version label: nope"),
        "metadata_with_unknown_label_is_400",
    ),
    # --- routing --------------------------------------------------------------------------------------
    get("/", error(404), "root_is_404_outside_the_v1_api"),
    get("/healthz", error(404), "healthz_is_404_outside_the_v1_api"),
    get("/v2/models/half_plus_two", error(404), "v2_is_404_outside_the_v1_api"),
    post(
        f"{HALF}/version/1:predict",
        {"instances": [1.0]},
        error(400, "Malformed request: POST /v1/models/half_plus_two/version/1:predict"),
        "singular_version_segment_is_malformed",
    ),
    get(
        f"{HALF}:predict",
        error(400, "Malformed request: GET /v1/models/half_plus_two:predict"),
        "get_on_predict_is_malformed",
    ),
    Case(
        "put_is_malformed",
        "PUT",
        f"{HALF}:predict",
        {"instances": [1.0]},
        error(400, "Malformed request: PUT /v1/models/half_plus_two:predict"),
    ),
    Case(
        "delete_is_malformed",
        "DELETE",
        HALF,
        None,
        error(400, "Malformed request: DELETE /v1/models/half_plus_two"),
    ),
    post(
        f"{HALF}:PREDICT",
        {"instances": [1.0]},
        error(400, "Malformed request: POST /v1/models/half_plus_two:PREDICT"),
        "uppercase_verb_is_malformed",
    ),
    post(
        f"{HALF}:predict?debug=1",
        {"instances": [1.0]},
        error(400, "Malformed request: POST /v1/models/half_plus_two:predict?debug=1"),
        "query_string_is_malformed",
        inferred=True,
    ),
    post(
        f"{HALF}/metadata",
        {},
        error(400, "Malformed request: POST /v1/models/half_plus_two/metadata"),
        "post_metadata_is_malformed",
    ),
    post(
        f"{HALF}/versions/1/labels/stable:predict",
        {"instances": [1.0]},
        error(400, "Malformed request: POST /v1/models/half_plus_two/versions/1/labels/stable:predict"),
        "version_and_label_together_are_malformed",
    ),
    get(
        f"{HALF}/",
        error(400, "Malformed request: GET /v1/models/half_plus_two/"),
        "trailing_slash_is_malformed",
    ),
    post("/V1/MODELS/half_plus_two:predict", {"instances": [1.0]}, predictions(3.5), "path_case_is_ignored"),
    post(
        "/v1/models/half%5Fplus%5Ftwo:predict",
        {"instances": [1.0]},
        predictions(3.5),
        "model_name_is_url_decoded",
    ),
    post(
        f"{HALF}/versions/99999999999999999999:predict",
        {"instances": [1.0]},
        Expect(status=400, empty_body=True),
        "version_beyond_int64_is_400_with_empty_body",
        inferred=True,
    ),
    # --- model, version and label lookup on predict ---------------------------------------------------
    post(
        f"{HALF}:predict", {"instances": [1.0]}, predictions(3.5), "predict_uses_the_highest_loaded_version"
    ),
    post(
        f"{HALF}/versions/1:predict",
        {"instances": [1.0, 2.0, 5.0]},
        predictions(2.5, 3.0, 4.5),
        "a_version_number_selects_that_version",
    ),
    post(
        f"{HALF}/labels/stable:predict", {"instances": [1.0]}, predictions(2.5), "label_stable_is_version_1"
    ),
    post(
        f"{HALF}/labels/canary:predict", {"instances": [1.0]}, predictions(3.5), "label_canary_is_version_2"
    ),
    post(
        f"{HALF}/versions/3:predict",
        {"instances": [1.0]},
        error(404, "Servable not found for request: Specific(half_plus_two, 3)"),
        "version_outside_the_policy_is_not_served",
    ),
    post(
        "/v1/models/nope:predict",
        {"instances": [1.0]},
        error(404, "Servable not found for request: Latest(nope)"),
        "unknown_model_is_404",
    ),
    post(
        f"{HALF}/labels/nope:predict",
        {"instances": [1.0]},
        error(400, "Unrecognized servable version label: nope"),
        "unknown_label_is_400",
    ),
    post(
        "/v1/models/nope:predict",
        "{bad",
        error(400, "JSON Parse error: Missing a name for object member. at offset: 1"),
        "body_errors_come_before_model_lookup",
    ),
    post(
        "/v1/models/nope:predict",
        {"signature_name": 1, "instances": [1.0]},
        error(400, contains="'signature_name' key must be a string value."),
        "signature_name_type_is_checked_before_model_lookup",
    ),
    post(
        f"{HALF}:regress",
        {"examples": [{"x": 1.0}]},
        Expect(any_error=True),
        "regress_on_a_predict_signature_fails",
        emulator=error(501, contains="answers predict only"),
        why="the emulator implements predict only (the project calls nothing else)",
    ),
    # --- request body --------------------------------------------------------------------------------
    post(
        f"{HALF}:predict",
        "",
        error(400, "JSON Parse error: The document is empty"),
        "an_empty_body_is_a_parse_error",
    ),
    post(
        f"{HALF}:predict",
        "   ",
        error(400, "JSON Parse error: The document is empty. at offset: 3"),
        "a_blank_body_is_an_empty_document",
        inferred=True,
    ),
    post(
        f"{HALF}:predict",
        "x",
        error(400, "JSON Parse error: Invalid value. at offset: 0"),
        "invalid_json_is_a_parse_error_with_offset",
    ),
    post(
        f"{HALF}:predict",
        "nope",
        error(400, "JSON Parse error: Invalid value. at offset: 1"),
        "a_broken_literal_fails_where_it_diverges",
        inferred=True,
    ),
    post(
        f"{HALF}:predict",
        '{"instances": [1.0,]}',
        error(400, "JSON Parse error: Invalid value. at offset: 19"),
        "a_trailing_comma_is_an_invalid_value",
        inferred=True,
    ),
    post(f"{HALF}:predict", [1, 2], error(400, contains=" Is not object"), "top_level_must_be_an_object"),
    post(
        f"{HALF}:predict",
        {},
        error(400, "Missing 'inputs' or 'instances' key"),
        "neither_instances_nor_inputs",
    ),
    post(
        f"{HALF}:predict",
        {"instances": [1.0], "inputs": [1.0]},
        error(
            400,
            contains="Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ",
        ),
        "both_instances_and_inputs",
    ),
    post(
        f"{HALF}:predict",
        {"instances": 1.0},
        error(400, contains="'instances' to be an list/array"),
        "instances_must_be_a_list",
    ),
    post(
        f"{HALF}:predict",
        {"instances": []},
        error(400, contains="No values in 'instances' array"),
        "instances_must_not_be_empty",
    ),
    post(
        f"{HALF}:predict",
        {"signature_name": "nope", "instances": [1.0]},
        error(400, 'Serving signature name: "nope" not found in signature def'),
        "an_unknown_signature_is_400",
    ),
    post(
        f"{HALF}:predict",
        {"instances": [1.0], "extra": True},
        predictions(3.5),
        "unknown_top_level_keys_are_ignored",
    ),
    post(
        f"{HALF}:predict",
        '{"instances": [1.0]} trailing',
        predictions(3.5),
        "bytes_after_the_document_are_ignored",
        inferred=True,
    ),
    # --- row format ----------------------------------------------------------------------------------
    post(
        f"{HALF}:predict",
        {"instances": [{"x": 1.0}, {"x": 2.0}]},
        predictions(3.5, 4.0),
        "rows_may_name_the_single_input",
    ),
    post(f"{HALF}:predict", {"instances": [1, 2]}, predictions(3.5, 4.0), "integers_are_accepted_as_floats"),
    post(
        f"{HALF}:predict",
        {"instances": [{"x": 1.0}, 2.0]},
        error(400, "Expecting object but got list at item 1 of input list"),
        "rows_cannot_mix_objects_then_values",
    ),
    post(
        f"{HALF}:predict",
        {"instances": [1.0, {"x": 2.0}]},
        error(400, "Expecting value/list but got object at item 1 of input list"),
        "rows_cannot_mix_values_then_objects",
    ),
    post(
        f"{HALF}:predict",
        {"instances": ["a"]},
        error(
            400,
            "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: "
            'JSON Value: "a" Type: String is not of expected type: float',
        ),
        "a_string_is_not_a_float",
    ),
    post(
        f"{HALF}:predict",
        {"instances": [True]},
        error(400, contains="JSON Value: true Type: True is not of expected type: float"),
        "a_bool_is_not_a_float",
    ),
    post(
        f"{HALF}:predict",
        {"instances": [None]},
        error(400, contains="JSON Value: null Type: Null is not of expected type: float"),
        "null_is_not_a_float",
    ),
    post(
        f"{HALF}:predict",
        {"instances": [[1.0, 2.0], [[3.0], [4.0]]]},
        error(
            400,
            "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: "
            "Expecting shape [2] but got: [2,1]",
        ),
        "rows_must_share_one_shape",
    ),
    post(
        MULTI + ":predict",
        {"instances": [MULTI_ROW, {**MULTI_ROW, "b": 0, "name": "bo", "flag": False}]},
        predictions(
            MULTI_ROW_ANSWER,
            {
                "total": 3.5,
                "greeting": "hello bo",
                "greeting_bytes": b64("hello bo"),
                "negated": True,
                "count": 0,
            },
        ),
        "several_outputs_give_an_object_per_row",
    ),
    post(
        MULTI + ":predict",
        {"instances": [1.0]},
        error(
            400,
            "instances is a plain list, but expecting list of objects as multiple input tensors required "
            "as per tensorinfo_map",
        ),
        "several_inputs_need_named_rows",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{key: value for key, value in MULTI_ROW.items() if key != "flag"}]},
        error(400, contains="keys must be equal to: a,b,d,flag,name"),
        "a_row_missing_an_input_is_400",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{**MULTI_ROW, "zzz": 1}]},
        error(
            400,
            "Failed to process element: 0 key: zzz of 'instances' list. Error: INVALID_ARGUMENT: "
            "JSON object: does not have named input: zzz",
        ),
        "a_row_with_an_unknown_input_is_400",
    ),
    post(
        MULTI + ":predict",
        {"instances": [MULTI_ROW, {**MULTI_ROW, "a": [1.0, 2.0, 3.0]}]},
        error(
            400,
            "Failed to process element: 1 key: a of 'instances' list. Error: INVALID_ARGUMENT: "
            "Expecting tensor size: 2 but got: 3",
        ),
        "rows_must_share_one_size",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{**MULTI_ROW, "b": 1.0}]},
        error(400, contains="JSON Value: 1.0 Type: Number is not of expected type: int32"),
        "a_decimal_is_not_an_int32",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{**MULTI_ROW, "b": 2147483648}]},
        error(400, contains="JSON Value: 2147483648 Type: Number is not of expected type: int32"),
        "int32_values_must_fit_32_bits",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{**MULTI_ROW, "flag": 1}]},
        error(400, contains="JSON Value: 1 Type: Number is not of expected type: bool"),
        "a_number_is_not_a_bool",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{**MULTI_ROW, "name": 5}]},
        error(400, contains="JSON Value: 5 Type: Number is not of expected type: string"),
        "a_number_is_not_a_string",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{**MULTI_ROW, "name": b64("zoë")}]},
        Expect(check=lambda doc: _assert_equal(doc["predictions"][0]["greeting"], "hello zoë")),
        "b64_objects_carry_string_bytes",
    ),
    post(
        MULTI + ":predict",
        {"instances": [{**MULTI_ROW, "name": {"b64": "aGk=", "x": 1}}]},
        error(400, contains="not formatted correctly for base64 data"),
        "a_b64_object_has_exactly_one_key",
    ),
    post(
        f"{HALF}:predict",
        {"instances": [{"b64": "AAAA"}]},
        error(400, contains="Type: Object is not of expected type: float"),
        "a_b64_object_is_not_a_float",
    ),
    post(
        f"{ODD}:predict",
        {"signature_name": "half_input", "instances": [1.5]},
        error(
            400,
            "Failed to process element: 0 of 'instances' list. Error: UNIMPLEMENTED: "
            "Conversion of JSON Value: 1.5 to type: half",
        ),
        "float16_inputs_cannot_be_read_from_rows",
    ),
    post(
        f"{ODD}:predict",
        {"instances": [1.0, 2.0]},
        error(400, "Tensor name: total has no shape information "),
        "scalar_output_cannot_be_rows",
    ),
    post(
        f"{ODD}:predict",
        {"signature_name": "ragged_batch", "instances": [1.0, 2.0]},
        error(400, contains="has inconsistent batch size: "),
        "outputs_of_different_batch_size_cannot_be_rows",
    ),
    post(
        f"{ODD}:predict",
        {"signature_name": "half_output", "instances": [1.5]},
        error(400, "Failed to write JSON value for tensor type: half"),
        "float16_outputs_cannot_be_written",
    ),
    # --- columnar format ---------------------------------------------------------------------------------
    post(
        f"{HALF}:predict",
        {"inputs": [1.0, 2.0]},
        Expect(body={"outputs": [3.5, 4.0]}),
        "columnar_single_input_gives_outputs",
    ),
    post(
        f"{HALF}:predict",
        {"inputs": {"x": [1.0]}},
        Expect(body={"outputs": [3.5]}),
        "columnar_input_may_be_named",
    ),
    post(
        MULTI + ":predict",
        {"inputs": {**MULTI_COLUMNS, "extra": 1}},
        Expect(body={"outputs": {key: [value] for key, value in MULTI_ROW_ANSWER.items()}}),
        "columnar_several_inputs_and_outputs_extra_keys_ignored",
    ),
    post(
        MULTI + ":predict",
        {"inputs": {key: value for key, value in MULTI_COLUMNS.items() if key != "flag"}},
        error(400, "Missing named input: flag in 'inputs' object."),
        "columnar_missing_input_is_400",
    ),
    post(
        MULTI + ":predict",
        {"inputs": [1.0]},
        error(
            400,
            "inputs is a plain value/list, but expecting an object as multiple input tensors required "
            "as per tensorinfo_map",
        ),
        "several_inputs_need_a_columnar_object",
    ),
    post(
        MULTI + ":predict",
        {"inputs": {**MULTI_COLUMNS, "a": [[1.0, 2.0], [3.0]]}},
        error(400, "Encountered list at unexpected size: 1 at level: 1 expected size: 2"),
        "columnar_tensors_must_not_be_ragged",
    ),
    post(
        MULTI + ":predict",
        {"inputs": {**MULTI_COLUMNS, "a": [[1.0, [2.0]]]}},
        error(400, "Encountered list at unexpected level: 2 expected < 2"),
        "columnar_lists_must_not_nest_too_deep",
    ),
    post(
        MULTI + ":predict",
        {"inputs": {**MULTI_COLUMNS, "a": [[[1.0, 2.0]], 3.0]}},
        error(400, "JSON Value: 3.0 found at incorrect level: 2 in the JSON DOM. Expected at level: 3"),
        "columnar_values_must_sit_at_full_depth",
    ),
    post(
        MULTI + ":predict",
        {"inputs": {**MULTI_COLUMNS, "name": [{"b64": "!!!"}]}},
        error(400, "Unable to base64 decode"),
        "bad_base64_is_400",
    ),
    post(
        f"{ODD}:predict",
        {"signature_name": "half_input", "inputs": [1.5]},
        error(501, "Conversion of JSON Value: 1.5 to type: half"),
        "float16_input_in_columns_is_unimplemented",
    ),
    post(
        f"{ODD}:predict",
        {"inputs": [1.0, 2.0]},
        Expect(body={"outputs": {"total": 3.0, "doubled": [2.0, 4.0]}}),
        "columnar_carries_scalar_outputs",
    ),
    # --- errors raised by the model itself ---------------------------------------------------------------
    post(
        MULTI + ":predict",
        {"inputs": {**MULTI_COLUMNS, "a": [[1.0, 2.0], [3.0, 4.0]], "b": [1, 2, 3], "d": [0.5, 0.5]}},
        Expect(
            status=400, check=lambda doc: _assert_startswith(doc["error"], "Incompatible shapes: [2] vs. [3]")
        ),
        "a_graph_error_keeps_its_code_and_kernel_message",
        inferred=True,
    ),
    # --- number formatting (json_tensor_test.cc float cases) -----------------------------------------
    post(
        f"{HALF}:predict",
        '{"signature_name": "identity", "instances": '
        "[9000000, 999999, 0.5, 0.0003, 3e-05, 3, 555557.5, NaN, Infinity, -Infinity]}",
        Expect(
            numbers=[
                "9e+06",
                "999999.0",
                "0.5",
                "0.0003",
                "3e-05",
                "3.0",
                "555557.5",
                "NaN",
                "Infinity",
                "-Infinity",
            ]
        ),
        "floats_are_written_like_tf_serving",
    ),
    post(
        f"{HALF}:predict",
        {"signature_name": "identity", "instances": [3.6799188]},
        Expect(numbers=["3.67991877"]),
        "a_float_is_written_with_nine_digits_when_six_do_not_round_trip",
    ),
    post(
        MULTI + ":predict",
        {"inputs": {**MULTI_COLUMNS, "a": [[0.1, 0.0]], "b": [0], "d": [0.2]}},
        Expect(has_number="0.30000000149011613"),
        "a_double_is_written_with_seventeen_digits_when_six_do_not_round_trip",
    ),
]


def _assert_equal(actual: Any, expected: Any) -> None:
    assert actual == expected


def _assert_startswith(text: str, prefix: str) -> None:
    assert text.startswith(prefix), text


def send(server: ModelServer, case: Case) -> requests.Response:
    if case.body is None:
        data = None
    elif isinstance(case.body, str):
        data = case.body.encode()
    else:
        data = json.dumps(case.body).encode()
    return requests.request(case.method, server.url + case.path, data=data, timeout=30)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_server_answers_like_tf_serving(case: Case, model_server: ModelServer) -> None:
    expect = case.emulator if case.emulator is not None and model_server.is_emulator else case.expect
    expect.verify(send(model_server, case))


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES)


def test_known_differences_say_why() -> None:
    assert all(case.why for case in CASES if case.emulator is not None)
