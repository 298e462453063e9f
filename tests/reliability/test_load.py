"""Sustained concurrent load on the real function and model server: no errors, every answer its own."""

from __future__ import annotations

import pytest
import requests

from bench.load import run_closed_loop
from tests.reliability.clients import AnswerLog, recommend
from tests.support.servers import ServerProcess

CLIENTS = 16
DURATION_S = 15.0
USERS = tuple(str(user) for user in range(1, 61))


def k_for(user: str) -> int:
    """A different k for different users, so an answer given to the wrong request shows."""
    return 3 + int(user) % 8


@pytest.fixture(scope="module")
def answers_alone(function: ServerProcess) -> dict[str, list[str]]:
    """Each user's movies, asked one at a time before any load."""
    with requests.Session() as session:
        answers = {user: recommend(session, function.url, user, k_for(user)) for user in USERS}
    assert all(answer.status == 200 for answer in answers.values())
    return {user: answer.body["movies"] for user, answer in answers.items()}


def test_sixteen_clients_get_every_answer_once_and_only_their_own(
    function: ServerProcess, answers_alone: dict[str, list[str]]
) -> None:
    log = AnswerLog()

    def call(session: requests.Session, user: str) -> None:
        log.add(user, recommend(session, function.url, user, k_for(user)))

    result = run_closed_loop(call, USERS, concurrency=CLIENTS, duration_s=DURATION_S)

    # A lost answer is a timeout or a dropped connection, which the load loop counts as an error.
    assert result.errors == 0, result.error_samples
    assert len(log.entries) > CLIENTS * 10, "the load did not really run"
    # An answer delivered to the wrong request, or twice, differs from what that user got alone.
    wrong = [
        (user, answer)
        for user, answer in log.entries
        if answer.status != 200
        or answer.body["user_id"] != user
        or answer.body["movies"] != answers_alone[user]
        or answer.body["degraded"]
    ]
    assert not wrong, wrong[:3]
