"""How the reliability tests call the function and keep what came back."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests

# The request deadline of every function this suite starts, and what answers may take beyond it: scheduling,
# process and JSON overhead on a busy 2-core machine.
DEADLINE_S = 1.0
SLACK_S = 0.75


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, JSON body (None when the body is not JSON), and timing."""

    status: int
    body: object
    content_type: str
    started_s: float
    elapsed_s: float

    @property
    def is_json(self) -> bool:
        return self.content_type.startswith("application/json") and self.body is not None

    def error_code(self) -> str | None:
        """The `error.code` of an error answer, or None when the body has no such field."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code")
        return None


def ask(
    session: requests.Session,
    url: str,
    *,
    method: str = "POST",
    json: object = None,
    timeout: float = 10.0,
    **kwargs: object,
) -> Answer:
    """Send one request and return its Answer; a hang past `timeout` raises requests.Timeout."""
    started = time.monotonic()
    response = session.request(method, url, json=json, timeout=timeout, **kwargs)
    elapsed = time.monotonic() - started
    try:
        body = response.json()
    except ValueError:
        body = None
    return Answer(response.status_code, body, response.headers.get("Content-Type", ""), started, elapsed)


def recommend(session: requests.Session, base_url: str, user: str, k: int, **kwargs: object) -> Answer:
    """POST /recommend for `user` and `k`."""
    return ask(session, base_url + "/recommend", json={"user_id": user, "k": k}, **kwargs)


class AnswerLog:
    """(user, Answer) pairs collected from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[tuple[str, Answer]] = []

    def add(self, user: str, answer: Answer) -> None:
        with self._lock:
            self.entries.append((user, answer))
