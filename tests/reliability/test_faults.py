"""Faults upstream of the function: it answers clearly, within its deadline, and recovers by itself."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from bench.load import run_closed_loop
from tests.reliability.clients import DEADLINE_S, SLACK_S, AnswerLog, recommend
from tests.reliability.faultproxy import GARBAGE, HANG_UP, HTML_ERROR_PAGE, Fault, FaultProxy
from tests.reliability.restartable import RestartableServer
from tests.support.servers import ServerProcess

USERS = tuple(str(user) for user in range(1, 31))
WITHIN_DEADLINE_S = DEADLINE_S + SLACK_S


def run_load_in_background(base_url: str, duration_s: float, log: AnswerLog) -> threading.Thread:
    """Four clients asking for recommendations for `duration_s`, every answer kept in `log`."""

    def call(session: requests.Session, user: str) -> None:
        log.add(user, recommend(session, base_url, user, 5, timeout=WITHIN_DEADLINE_S + 5))

    thread = threading.Thread(
        target=run_closed_loop, args=(call, USERS), kwargs={"concurrency": 4, "duration_s": duration_s}
    )
    thread.start()
    return thread


def test_model_server_stopped_mid_run_gives_503_within_deadline_then_full_recovery(
    restartable_emulator: RestartableServer, function_of_restartable_emulator: ServerProcess
) -> None:
    log = AnswerLog()
    load = run_load_in_background(function_of_restartable_emulator.url, 4.0, log)
    time.sleep(1.5)
    stopping_at = time.monotonic()
    restartable_emulator.stop()
    stopped_at = time.monotonic()
    load.join()

    before = [answer for _, answer in log.entries if answer.started_s + answer.elapsed_s < stopping_at]
    after = [answer for _, answer in log.entries if answer.started_s > stopped_at]
    assert before and all(answer.status == 200 for answer in before)
    assert after and all(answer.status == 503 and answer.is_json for answer in after)
    assert {answer.error_code() for answer in after} == {"upstream_unavailable"}
    assert max(answer.elapsed_s for _, answer in log.entries) <= WITHIN_DEADLINE_S

    restartable_emulator.start_again()
    log = AnswerLog()
    run_load_in_background(function_of_restartable_emulator.url, 2.0, log).join()
    assert log.entries and all(
        answer.status == 200 and not answer.body["degraded"] for _, answer in log.entries
    )


def test_slow_ranking_gives_degraded_answer_within_deadline(
    fault_proxy: FaultProxy, proxied_function: ServerProcess
) -> None:
    with requests.Session() as session:
        candidates = session.post(
            fault_proxy.upstream_url + "/v1/models/retrieval:predict",
            json={"inputs": {"user_id": ["42"]}},
            timeout=10,
        ).json()["outputs"]["movie_titles"][0]
        with fault_proxy.inject("/models/ranking", Fault(delay_s=DEADLINE_S + 1.0)):
            answer = recommend(session, proxied_function.url, "42", 5)

    assert answer.status == 200
    assert answer.body["degraded"] is True
    assert answer.body["movies"] == candidates[:5]
    assert answer.elapsed_s <= WITHIN_DEADLINE_S


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (GARBAGE, 502, "upstream_bad_response"),
        (HTML_ERROR_PAGE, 502, "upstream_bad_response"),
        (HANG_UP, 503, "upstream_unavailable"),
    ],
    ids=["garbage", "html-error-page", "hang-up"],
)
def test_unusable_retrieval_answer_gives_clear_5xx_within_deadline(
    fault_proxy: FaultProxy, proxied_function: ServerProcess, fault: Fault, status: int, code: str
) -> None:
    with requests.Session() as session, fault_proxy.inject("/models/retrieval", fault):
        answer = recommend(session, proxied_function.url, "42", 5)

    assert answer.status == status
    assert answer.is_json and answer.error_code() == code
    assert answer.elapsed_s <= WITHIN_DEADLINE_S


@pytest.mark.parametrize(
    "fault", [GARBAGE, HTML_ERROR_PAGE, HANG_UP], ids=["garbage", "html-error-page", "hang-up"]
)
def test_unusable_ranking_answer_gives_degraded_answer_within_deadline(
    fault_proxy: FaultProxy, proxied_function: ServerProcess, fault: Fault
) -> None:
    with requests.Session() as session, fault_proxy.inject("/models/ranking", fault):
        answer = recommend(session, proxied_function.url, "42", 5)

    assert answer.status == 200
    assert answer.body["degraded"] is True and len(answer.body["movies"]) == 5
    assert answer.elapsed_s <= WITHIN_DEADLINE_S


def _hang_up(port: int, request: bytes) -> None:
    """Send `request` (maybe cut short) on a fresh connection and close it without reading the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as rude:
        rude.sendall(request)


def test_clients_hanging_up_early_do_not_disturb_the_others(
    fault_proxy: FaultProxy, proxied_function: ServerProcess
) -> None:
    body = b'{"user_id": "7", "k": 5}'
    head = (
        f"POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    rude_requests = [head + body, head + body[:5], head[:20], b""]
    log = AnswerLog()
    # Slow ranking keeps each request in flight long enough for the rude clients to hang up mid-chain.
    with fault_proxy.inject("/models/ranking", Fault(delay_s=0.2)):
        load = run_load_in_background(proxied_function.url, 3.0, log)
        for _ in range(10):
            for request in rude_requests:
                _hang_up(proxied_function.port, request)
            time.sleep(0.1)
        load.join()

    assert log.entries and all(
        answer.status == 200 and not answer.body["degraded"] and answer.elapsed_s <= WITHIN_DEADLINE_S
        for _, answer in log.entries
    )
