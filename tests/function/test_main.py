"""The function as deployed: a real functions-framework process in front of the emulator, over HTTP."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.servers import ServerProcess, start_function

USER = {"user_id": "15"}


def post(function: ServerProcess, path: str = "/recommend", **kwargs) -> requests.Response:
    return requests.post(function.url + path, timeout=10, **kwargs)


def error_code(response: requests.Response) -> str:
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]


@pytest.mark.parametrize("path", ["/recommend", "/", "/recommend/"])
def test_recommendations_are_served_at_recommend_and_at_the_root(function, path):
    response = post(function, path, json=USER)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user_id", "movies", "scores", "degraded"}
    assert (body["user_id"], len(body["movies"]), len(body["scores"]), body["degraded"]) == (
        "15",
        10,
        10,
        False,
    )
    assert all(isinstance(title, str) and title for title in body["movies"])
    assert body["scores"] == sorted(body["scores"], reverse=True)


def test_the_codelab_request_works_unchanged(function):
    # The codelab's Flutter app posts exactly this: a JSON body with the user id as a string.
    response = post(
        function, data=json.dumps({"user_id": "42"}), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert len(response.json()["movies"]) == 10


def test_concurrent_requests_all_get_the_same_answer(function):
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda _: post(function, json={"user_id": "7", "k": 5}), range(32)))
    assert {response.status_code for response in responses} == {200}
    assert len({tuple(response.json()["movies"]) for response in responses}) == 1


def test_health_answers_head_requests_too(function):
    assert requests.head(function.url + "/healthz", timeout=10).status_code == 200


def test_a_bad_setting_stops_the_process_at_start_naming_the_variable():
    with pytest.raises(RuntimeError, match="REQUEST_DEADLINE_S: must be between"):
        start_function("http://127.0.0.1:9", REQUEST_DEADLINE_S="0")


def test_health_reports_both_models_available(function):
    response = requests.get(function.url + "/healthz", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: model["state"] for name, model in body["models"].items()} == {
        "retrieval": "AVAILABLE",
        "ranking": "AVAILABLE",
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "invalid_json"),
        (b"", "invalid_json"),
        (b'["15"]', "invalid_body"),
        (b"{}", "missing_user_id"),
        (b'{"user_id": ""}', "invalid_user_id"),
        (b'{"user_id": ["15"]}', "invalid_user_id"),
        (b'{"user_id": "' + b"1" * 200 + b'"}', "invalid_user_id"),
        (b'{"user_id": "15", "k": "3"}', "invalid_k"),
        (b'{"user_id": "15", "k": 0}', "k_out_of_range"),
        (b'{"user_id": "15", "k": 101}', "k_out_of_range"),
        (b"[" * 3000 + b"]" * 3000, "invalid_json"),
    ],
)
def test_bad_input_gets_a_400_with_a_json_error(function, body, code):
    response = post(function, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_code(response) == code


def test_a_large_body_gets_a_413(function):
    response = post(function, json={"user_id": "15", "padding": "x" * 20_000})
    assert (response.status_code, error_code(response)) == (413, "payload_too_large")


def test_a_large_chunked_body_gets_a_413(function):
    chunks = (b'{"user_id": "15", "padding": "' + b"x" * 1000 for _ in range(40))
    response = post(function, data=chunks, headers={"Content-Type": "application/json"})
    assert (response.status_code, error_code(response)) == (413, "payload_too_large")


@pytest.mark.parametrize(("method", "path"), [("GET", "/recommend"), ("PUT", "/"), ("POST", "/healthz")])
def test_a_wrong_method_gets_a_405_listing_the_allowed_ones(function, method, path):
    response = requests.request(method, function.url + path, timeout=10)
    assert (response.status_code, error_code(response)) == (405, "method_not_allowed")
    assert "OPTIONS" in response.headers["Allow"]


def test_an_unknown_path_gets_a_404(function):
    response = post(function, "/v1/models/retrieval:predict", json=USER)
    assert (response.status_code, error_code(response)) == (404, "not_found")


@pytest.mark.parametrize("path", ["/robots.txt", "/favicon.ico"])
def test_paths_functions_framework_answers_itself_get_the_same_json_404(function, path):
    response = requests.get(function.url + path, headers={"Origin": "https://app.example.com"}, timeout=10)
    assert (response.status_code, error_code(response)) == (404, "not_found")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_browser_preflight_is_answered_for_any_origin_by_default(function):
    response = requests.options(
        function.url + "/recommend",
        headers={
            "Origin": "https://movies.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


def test_answers_and_errors_carry_the_cors_header(function):
    origin = {"Origin": "https://movies.example.com"}
    assert post(function, json=USER, headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    assert post(function, json={}, headers=origin).headers["Access-Control-Allow-Origin"] == "*"


def test_each_request_is_one_structured_log_line_without_the_user_id(function):
    marker = "user-5550123"
    post(function, json={"user_id": marker, "k": 3})
    entries = [json.loads(line) for line in function.log().splitlines() if line.startswith("{")]
    served = [entry for entry in entries if entry.get("k") == 3 and entry.get("status") == 200]
    assert served, "no log line for the request"
    entry = served[-1]
    assert entry["message"] == "POST /recommend 200"
    assert entry["candidates"] == 100 and entry["degraded"] is False
    assert entry["total_ms"] >= entry["retrieval_ms"] > 0 and entry["ranking_ms"] > 0
    assert marker not in function.log()
