"""One structured JSON line per request, with the request's trace, and never a body or a user id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import flask
import pytest

from functions.recommend.recommender.chain import Recommendation
from functions.recommend.recommender.errors import InternalError, UpstreamUnavailable
from functions.recommend.recommender.logs import RequestLog, configure_logging

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
APP = flask.Flask(__name__)


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    yield configure_logging("INFO", "my-project", stream), stream
    configure_logging("INFO", None)


def lines(stream: io.StringIO) -> list[dict]:
    """The JSON lines written, without the library's one-off instrumentation line."""
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [entry for entry in entries if "logging.googleapis.com/diagnostic" not in entry]


def emit_in_request(logger, log: RequestLog, status: int, headers=None, body=None, **kwargs) -> None:
    with APP.test_request_context("/recommend", method="POST", headers=headers or {}, data=body):
        log.emit(logger, status, 12.3456, **kwargs)


def test_a_served_request_is_one_info_line_with_its_figures(logged):
    logger, stream = logged
    log = RequestLog("POST", "/recommend")
    log.recommended(Recommendation(["A"], [4.0], False, 1, 100, 5.5, 7.25))
    emit_in_request(logger, log, 200)
    (entry,) = lines(stream)
    assert entry["severity"] == "INFO"
    assert entry["message"] == "POST /recommend 200"
    assert {
        key: entry[key] for key in ("status", "k", "candidates", "retrieval_ms", "ranking_ms", "total_ms")
    } == {
        "status": 200,
        "k": 1,
        "candidates": 100,
        "retrieval_ms": 5.5,
        "ranking_ms": 7.25,
        "total_ms": 12.35,
    }
    assert (entry["degraded"], entry["error_code"]) == (False, None)
    assert entry["httpRequest"] == {
        "requestMethod": "POST",
        "requestUrl": "/recommend",
        "status": 200,
        "latency": "0.012346s",
    }


def test_a_degraded_answer_is_a_warning_naming_the_ranking_failure(logged):
    logger, stream = logged
    log = RequestLog("POST", "/recommend")
    failure = UpstreamUnavailable("ranking model answered HTTP 503", detail="queue full")
    log.recommended(Recommendation(["A"], [1.0], True, 1, 10, 3.0, 1.0, failure))
    emit_in_request(logger, log, 200)
    (entry,) = lines(stream)
    assert (entry["severity"], entry["degraded"]) == ("WARNING", True)
    assert (entry["error_code"], entry["error_detail"]) == ("upstream_unavailable", "queue full")


def test_an_upstream_failure_is_an_error_line(logged):
    logger, stream = logged
    log = RequestLog("POST", "/recommend")
    log.failed(UpstreamUnavailable("retrieval model server is unreachable", detail="connection refused"))
    emit_in_request(logger, log, 503)
    (entry,) = lines(stream)
    assert (entry["severity"], entry["status"], entry["error_detail"]) == ("ERROR", 503, "connection refused")


def test_an_unexpected_exception_is_logged_with_its_trace(logged):
    logger, stream = logged
    log = RequestLog("POST", "/recommend")
    log.failed(InternalError("internal error"))
    try:
        raise KeyError("the bug")
    except KeyError as error:
        emit_in_request(logger, log, 500, exception=error)
    (entry,) = lines(stream)
    assert entry["severity"] == "ERROR"
    assert "Traceback" in entry["message"] and "KeyError: 'the bug'" in entry["message"]


def test_the_w3c_trace_header_correlates_the_line_with_the_request(logged):
    logger, stream = logged
    emit_in_request(
        logger, RequestLog("POST", "/recommend"), 200, {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
    )
    (entry,) = lines(stream)
    assert entry["logging.googleapis.com/trace"] == f"projects/my-project/traces/{TRACE_ID}"
    assert entry["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    assert entry["logging.googleapis.com/trace_sampled"] is True


def test_the_cloud_trace_header_correlates_too(logged):
    logger, stream = logged
    emit_in_request(
        logger, RequestLog("GET", "/healthz"), 200, {"X-Cloud-Trace-Context": f"{TRACE_ID}/1;o=0"}
    )
    (entry,) = lines(stream)
    assert entry["logging.googleapis.com/trace"] == f"projects/my-project/traces/{TRACE_ID}"
    assert entry["logging.googleapis.com/trace_sampled"] is False


def test_neither_the_body_nor_the_user_id_is_logged(logged):
    logger, stream = logged
    log = RequestLog("POST", "/recommend")
    log.recommended(Recommendation(["Secret Title"], [4.0], False, 1, 10, 1.0, 1.0))
    emit_in_request(logger, log, 200, body=json.dumps({"user_id": "user-8675309"}))
    assert "8675309" not in stream.getvalue()
    assert "Secret Title" not in stream.getvalue()


def test_the_level_filters_lines(logged):
    _, stream = logged
    logger = configure_logging("WARNING", None, stream)
    emit_in_request(logger, RequestLog("GET", "/healthz"), 200)
    emit_in_request(logger, RequestLog("GET", "/healthz"), 503)
    assert [entry["status"] for entry in lines(stream)] == [503]


def test_configuring_twice_keeps_one_handler(logged):
    logger, stream = logged
    configure_logging("INFO", "my-project", stream)
    emit_in_request(logger, RequestLog("GET", "/healthz"), 200)
    assert len(lines(stream)) == 1
