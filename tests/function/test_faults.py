"""Upstream faults, injected between the function process and the emulator, become clear answers in time.

Ranking trouble degrades to the retrieval order (200, degraded); retrieval trouble is a 503, 504 or 502
JSON error. Nothing takes longer than the request deadline.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.function.conftest import FAULT_DEADLINE_S
from tests.function.faulty_server import FaultyServer, delay, reply, reset, trickle
from tests.support.servers import ServerProcess

# Slack over the deadline for process scheduling on a loaded 2-core machine.
SLACK_S = 0.5
USER = "15"


def timed_recommend(function: ServerProcess, k: int = 10) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.post(function.url + "/recommend", json={"user_id": USER, "k": k}, timeout=10)
    return response, time.monotonic() - started


def retrieval_order(emulator: ServerProcess) -> tuple[list[str], list[float]]:
    answer = requests.post(
        f"{emulator.url}/v1/models/retrieval:predict", json={"instances": [USER]}, timeout=30
    )
    prediction = answer.json()["predictions"][0]
    return prediction["movie_titles"], prediction["scores"]


def assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "fault",
    [
        reply(503, {"error": "Model is overloaded"}),
        reply(500, "<html><h1>Internal Server Error</h1></html>", "text/html"),
        reply(200, "definitely not json", "text/plain"),
        reply(200, {"outputs": [[4.0]]}),
        reset,
    ],
    ids=["503", "html 500", "garbage", "wrong number of ratings", "connection reset"],
)
def test_a_failing_ranking_model_degrades_to_the_retrieval_order(faulty_function, faults, emulator, fault):
    faults.always("ranking", "predict", fault)
    response, took = timed_recommend(faulty_function, k=5)
    assert response.status_code == 200
    titles, scores = retrieval_order(emulator)
    body = response.json()
    assert (body["movies"], body["degraded"]) == (titles[:5], True)
    assert body["scores"] == pytest.approx(scores[:5], rel=1e-6)
    assert took < FAULT_DEADLINE_S + SLACK_S


def test_a_slow_ranking_model_degrades_within_the_deadline(faulty_function, faults, emulator):
    faults.always("ranking", "predict", delay(FAULT_DEADLINE_S + 2))
    response, took = timed_recommend(faulty_function)
    assert (response.status_code, response.json()["degraded"]) == (200, True)
    assert response.json()["movies"] == retrieval_order(emulator)[0][:10]
    assert took < FAULT_DEADLINE_S + SLACK_S


def test_transient_retrieval_errors_are_retried_unseen_by_the_caller(faulty_function, faults):
    faults.script("retrieval", "predict", reply(503, {"error": "busy"}), reset)
    response, _ = timed_recommend(faulty_function)
    assert (response.status_code, response.json()["degraded"]) == (200, False)
    assert len(faults.requests("retrieval", "predict")) == 3


def test_an_unreachable_retrieval_model_is_a_503_to_retry_later(faulty_function, faults):
    faults.always("retrieval", "predict", reset)
    response, took = timed_recommend(faulty_function)
    assert_error(response, 503, "upstream_unavailable")
    assert response.headers["Retry-After"] == "1"
    assert len(faults.requests("retrieval", "predict")) == 3
    assert took < FAULT_DEADLINE_S + SLACK_S


@pytest.mark.parametrize(
    "fault",
    [delay(FAULT_DEADLINE_S + 2), lambda handler: trickle(handler, interval=0.1, limit=FAULT_DEADLINE_S + 2)],
    ids=["slow", "trickle"],
)
def test_a_retrieval_model_that_does_not_answer_in_time_is_a_504_at_the_deadline(
    faulty_function, faults, fault
):
    faults.script("retrieval", "predict", fault)
    response, took = timed_recommend(faulty_function)
    assert_error(response, 504, "upstream_timeout")
    assert FAULT_DEADLINE_S - 0.1 < took < FAULT_DEADLINE_S + SLACK_S


@pytest.mark.parametrize(
    "fault",
    [
        reply(500, "<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html"),
        reply(404, {"error": "Servable not found for request: Latest(retrieval)"}),
        reply(200, "{truncated", "application/json"),
        reply(200, {"outputs": {"scores": [[1.0]]}}),
    ],
    ids=["html 500", "404", "garbage", "missing titles"],
)
def test_a_retrieval_model_answering_nonsense_is_a_502_that_leaks_nothing(faulty_function, faults, fault):
    faults.script("retrieval", "predict", fault)
    response, _ = timed_recommend(faulty_function)
    assert_error(response, 502, "upstream_bad_response")
    assert "html" not in response.text.lower() and "Servable" not in response.text
    assert len(faults.requests("retrieval", "predict")) == 1


def test_health_is_503_when_a_model_cannot_be_asked(faulty_function, faults):
    faults.always("ranking", "status", reply(503, {"error": "down"}))
    response = requests.get(faulty_function.url + "/healthz", timeout=10)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    models = response.json()["models"]
    assert models["retrieval"]["state"] == "AVAILABLE"
    assert models["ranking"]["state"] == "UNKNOWN"


def test_each_request_ranks_all_candidates_in_one_call_and_reuses_the_discovered_signatures(
    faulty_function, faults: FaultyServer
):
    for _ in range(3):
        assert timed_recommend(faulty_function, k=3)[0].status_code == 200
    rankings = faults.requests("ranking", "predict")
    assert len(rankings) == 3
    inputs = rankings[0].json()["inputs"]
    assert inputs["user_id"] == [USER] * 100 and len(set(inputs["movie_title"])) == 100
    assert len(faults.requests(route="metadata")) <= 2
