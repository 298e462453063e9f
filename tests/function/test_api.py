"""Bodies are validated into a user id and k; answers and errors are JSON; CORS follows the allow-list."""

from __future__ import annotations

import io
import json

import flask
import pytest
from werkzeug.test import EnvironBuilder

from functions.recommend.recommender.api import (
    CorsPolicy,
    RecommendRequest,
    error_response,
    json_response,
    parse_recommend_request,
    recommendation_response,
)
from functions.recommend.recommender.chain import Recommendation
from functions.recommend.recommender.errors import (
    BadRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    UpstreamTimeout,
    UpstreamUnavailable,
)

LIMIT = 256


def request_with(body: bytes | str, content_type: str | None = "application/json", **kwargs) -> flask.Request:
    return flask.Request.from_values(method="POST", data=body, content_type=content_type, **kwargs)


def parse(body: bytes | str, content_type: str | None = "application/json") -> RecommendRequest:
    return parse_recommend_request(request_with(body, content_type), LIMIT)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"user_id": "15"}', RecommendRequest("15", None)),
        ('{"user_id": 15}', RecommendRequest("15", None)),
        ('{"user_id": -3, "k": 1}', RecommendRequest("-3", 1)),
        ('{"user_id": "ünïcode", "k": 1000}', RecommendRequest("ünïcode", 1000)),
        ('{"user_id": "15", "k": null}', RecommendRequest("15", None)),
        ('{"user_id": "15", "extra": [1, 2]}', RecommendRequest("15", None)),
        ('  {"user_id": "15"}\n', RecommendRequest("15", None)),
    ],
)
def test_a_valid_body_gives_the_user_id_as_a_string_and_k(body, expected):
    assert parse(body) == expected


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_is_read_whatever_content_type_it_is_sent_with(content_type):
    assert parse('{"user_id": "7"}', content_type) == RecommendRequest("7", None)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "invalid_json"),
        ("   ", "invalid_json"),
        ("{user_id: 15}", "invalid_json"),
        ('{"user_id": "15"', "invalid_json"),
        (b"\xff\xfe{", "invalid_json"),
        ("[" * 100 + "]" * 100, "invalid_body"),
        ("[" * 100 + "]" * 100 + " x", "invalid_json"),
        ('["user_id", "15"]', "invalid_body"),
        ('"15"', "invalid_body"),
        ("null", "invalid_body"),
        ("{}", "missing_user_id"),
        ('{"user_id": null}', "missing_user_id"),
        ('{"user_id": ""}', "invalid_user_id"),
        ('{"user_id": "   "}', "invalid_user_id"),
        ('{"user_id": 1.5}', "invalid_user_id"),
        ('{"user_id": true}', "invalid_user_id"),
        ('{"user_id": ["15"]}', "invalid_user_id"),
        ('{"user_id": {"id": 15}}', "invalid_user_id"),
        ('{"user_id": "' + "9" * 129 + '"}', "invalid_user_id"),
        ('{"user_id": "15\\n16"}', "invalid_user_id"),
        ('{"user_id": "15", "k": "10"}', "invalid_k"),
        ('{"user_id": "15", "k": 2.0}', "invalid_k"),
        ('{"user_id": "15", "k": false}', "invalid_k"),
        ('{"user_id": "15", "k": NaN}', "invalid_k"),
        ('{"user_id": "15", "k": 0}', "k_out_of_range"),
        ('{"user_id": "15", "k": -1}', "k_out_of_range"),
        ('{"user_id": "15", "k": 1001}', "k_out_of_range"),
    ],
)
def test_an_invalid_body_is_a_bad_request_with_a_specific_code(body, code):
    with pytest.raises(BadRequest) as raised:
        parse(body)
    assert raised.value.code == code
    assert raised.value.status == 400


def test_deeply_nested_json_is_rejected_rather_than_crashing_the_parser():
    with pytest.raises(BadRequest) as raised:
        parse_recommend_request(request_with("[" * 5000 + "]" * 5000), 20_000)
    assert raised.value.code in ("invalid_json", "invalid_body")


def test_a_form_body_is_rejected_naming_the_type_it_was_sent_as():
    with pytest.raises(BadRequest, match="sent as application/x-www-form-urlencoded"):
        parse("user_id=15", "application/x-www-form-urlencoded")


def test_a_body_over_the_limit_is_too_large():
    with pytest.raises(PayloadTooLarge):
        parse('{"user_id": "15", "pad": "' + "x" * LIMIT + '"}')


def test_a_body_over_the_limit_without_a_declared_length_is_too_large():
    body = ('{"user_id": "15", "pad": "' + "x" * LIMIT + '"}').encode()
    # What gunicorn hands over for a chunked upload: no CONTENT_LENGTH, input marked as terminated.
    environ = EnvironBuilder(method="POST", input_stream=io.BytesIO(body)).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    request = flask.Request(environ)
    assert request.content_length is None
    with pytest.raises(PayloadTooLarge):
        parse_recommend_request(request, LIMIT)


def test_a_body_at_the_limit_is_accepted():
    body = '{"user_id": "15", "pad": "'
    body += "x" * (LIMIT - len(body) - 2) + '"}'
    assert len(body) == LIMIT
    assert parse(body).user_id == "15"


def test_a_recommendation_is_answered_in_the_codelab_compatible_shape():
    result = Recommendation(["B", "A"], [4.5, 3.0], False, 2, 10, 1.0, 2.0)
    response = recommendation_response("15", result)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "user_id": "15",
        "movies": ["B", "A"],
        "scores": [4.5, 3.0],
        "degraded": False,
    }


def test_an_error_answer_carries_its_code_and_message_and_no_detail():
    response = error_response(BadRequest("user_id is required", code="missing_user_id", detail="secret"))
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "missing_user_id", "message": "user_id is required"}}
    assert b"secret" not in response.get_data()


def test_a_405_lists_the_allowed_methods():
    response = error_response(MethodNotAllowed("no", allow=("POST", "OPTIONS")))
    assert (response.status_code, response.headers["Allow"]) == (405, "POST, OPTIONS")


def test_only_a_503_says_when_to_retry():
    assert error_response(UpstreamUnavailable("down")).headers["Retry-After"] == "1"
    assert "Retry-After" not in error_response(UpstreamTimeout("slow")).headers


def test_answers_are_strict_json_and_not_cached():
    response = json_response({"scores": [1.5]})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with pytest.raises(ValueError):
        json_response({"scores": [float("nan")]})
    assert json.loads(json_response({"title": "Amélie"}).get_data()) == {"title": "Amélie"}


def cors_answer(policy: CorsPolicy, origin: str | None) -> flask.Response:
    headers = {"Origin": origin} if origin else {}
    return policy.apply(flask.Request.from_values(headers=headers), flask.Response())


def test_any_origin_may_read_answers_by_default():
    assert cors_answer(CorsPolicy(("*",)), "https://a.example").headers["Access-Control-Allow-Origin"] == "*"


def test_an_allow_list_echoes_listed_origins_only():
    policy = CorsPolicy(("https://app.example.com", "http://localhost:5000"))
    listed = cors_answer(policy, "http://localhost:5000")
    assert listed.headers["Access-Control-Allow-Origin"] == "http://localhost:5000"
    assert "Origin" in listed.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in cors_answer(policy, "https://evil.example").headers
    assert "Access-Control-Allow-Origin" not in cors_answer(policy, None).headers


def test_a_preflight_allows_the_routes_methods_and_json_content():
    request = flask.Request.from_values(
        method="OPTIONS",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )
    response = CorsPolicy(("https://app.example.com",)).preflight(request, ("POST", "OPTIONS"))
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0
