"""The three things measured, each as one `Call`: the model calls alone, our function, the codelab's pattern.

All three do the same work for a user: retrieve candidates, rank them, keep the best `k`.
"""

from __future__ import annotations

import requests

from bench.load import Call, TargetError

# The serving contract of serving/cloudrun/models (see serving/training).
RETRIEVAL_URL_PATH = "/v1/models/retrieval:predict"
RANKING_URL_PATH = "/v1/models/ranking:predict"
TITLES_OUTPUT = "movie_titles"
UPSTREAM_TIMEOUT_S = 10.0


def _json_of(answer: requests.Response) -> dict:
    if answer.status_code != 200:
        raise TargetError(f"HTTP {answer.status_code}: {answer.text[:200]}")
    return answer.json()


def direct(serving_url: str, k: int, verify: str | bool = True) -> Call:
    """The floor: retrieval then ranking straight against the model server, columnar, on a pooled session."""

    def call(session: requests.Session, user: str) -> None:
        retrieved = _json_of(
            session.post(
                serving_url + RETRIEVAL_URL_PATH,
                json={"inputs": {"user_id": [user]}},
                timeout=UPSTREAM_TIMEOUT_S,
                verify=verify,
            )
        )
        titles = retrieved["outputs"][TITLES_OUTPUT][0]
        ranked = _json_of(
            session.post(
                serving_url + RANKING_URL_PATH,
                json={"inputs": {"user_id": [user] * len(titles), "movie_title": titles}},
                timeout=UPSTREAM_TIMEOUT_S,
                verify=verify,
            )
        )
        ratings = [row[0] for row in ranked["outputs"]]
        best = sorted(zip(ratings, titles, strict=True), reverse=True)[:k]
        if len(best) != k:
            raise TargetError(f"{len(best)} candidates for k={k}")

    return call


def recommend_endpoint(base_url: str, k: int) -> Call:
    """Our function (or the codelab app): POST /recommend, check the answer is this user's k movies."""

    def call(session: requests.Session, user: str) -> None:
        body = _json_of(session.post(base_url + "/recommend", json={"user_id": user, "k": k}, timeout=30))
        movies = body["movies"]
        if len(movies) != k or len(set(movies)) != k:
            raise TargetError(f"expected {k} distinct movies, got {movies!r:.200}")
        if body.get("user_id", user) != user or body.get("degraded", False):
            raise TargetError(f"wrong or degraded answer for user {user}: {body!r:.200}")

    return call
