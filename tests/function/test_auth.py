"""ID tokens for Cloud Run: sent only when configured, fetched once, reused until shortly before expiry."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from functions.recommend.recommender.auth import (
    REFRESH_MARGIN_S,
    IdTokenCache,
    audience_for,
    fetch_google_id_token,
    token_expiry,
)
from functions.recommend.recommender.errors import UpstreamUnavailable
from tests.function.faulty_server import FaultyServer, reply
from tests.function.tokens import jwt, service_account_file

AUDIENCE = "https://models.example.run.app"


class FakeTokenSource:
    """Hands out numbered tokens that expire `lifetime` seconds after the fake clock's now."""

    def __init__(self, clock: list[float], lifetime: float | None = 3600.0):
        self.clock = clock
        self.lifetime = lifetime
        self.fetches: list[str] = []

    def __call__(self, audience: str) -> str:
        self.fetches.append(audience)
        expiry = None if self.lifetime is None else self.clock[0] + self.lifetime
        return jwt(expiry, audience, subject=str(len(self.fetches)))


@pytest.fixture
def clock() -> list[float]:
    return [1_000_000.0]


def cache_with(source: FakeTokenSource, clock: list[float]) -> IdTokenCache:
    return IdTokenCache(source, clock=lambda: clock[0])


@pytest.mark.parametrize(
    ("url", "mode", "audience"),
    [
        ("https://models-abc-uc.a.run.app", "auto", "https://models-abc-uc.a.run.app"),
        ("https://models-abc-uc.a.run.app/prefix", "auto", "https://models-abc-uc.a.run.app"),
        ("http://localhost:8501", "auto", None),
        ("http://models.internal:8501", "id_token", "http://models.internal:8501"),
        ("https://models-abc-uc.a.run.app", "none", None),
    ],
)
def test_a_token_is_sent_for_https_in_auto_mode_and_always_or_never_when_forced(url, mode, audience):
    assert audience_for(url, mode) == audience


def test_the_expiry_is_read_from_the_token_without_verifying_it():
    assert token_expiry(jwt(1_700_000_000)) == 1_700_000_000.0


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.!!!.c", "a.e30.c", jwt(None), "a.eyJleHAiOnRydWV9.c"])
def test_an_unreadable_expiry_is_none(token: str):
    assert token_expiry(token) is None


@pytest.mark.parametrize(
    ("lifetime", "reused_until", "refetched_from"),
    [
        (3600.0, 3600 - REFRESH_MARGIN_S - 1, 3600 - REFRESH_MARGIN_S + 1),
        (120.0, 59, 61),
        (None, 299, 301),
    ],
    ids=[
        "refreshed five minutes before expiry",
        "short-lived: reused for half its life",
        "no expiry: ten minutes",
    ],
)
def test_a_token_is_fetched_once_and_reused_until_it_is_due(clock, lifetime, reused_until, refetched_from):
    source = FakeTokenSource(clock, lifetime)
    cache = cache_with(source, clock)
    first = cache.token(AUDIENCE)
    start = clock[0]
    clock[0] = start + reused_until
    assert cache.token(AUDIENCE) == first
    clock[0] = start + refetched_from
    assert cache.token(AUDIENCE) != first
    assert len(source.fetches) == 2


def test_each_audience_has_its_own_token(clock):
    source = FakeTokenSource(clock)
    cache = cache_with(source, clock)
    retrieval, ranking = cache.token(AUDIENCE), cache.token("https://ranking.example.run.app")
    assert retrieval != ranking
    assert cache.token(AUDIENCE) == retrieval
    assert source.fetches == [AUDIENCE, "https://ranking.example.run.app"]


def test_an_invalidated_token_is_fetched_again(clock):
    source = FakeTokenSource(clock)
    cache = cache_with(source, clock)
    first = cache.token(AUDIENCE)
    cache.invalidate(AUDIENCE)
    assert cache.token(AUDIENCE) != first


def test_concurrent_first_requests_share_one_fetch(clock):
    source = FakeTokenSource(clock)

    def slow_source(audience: str) -> str:
        time.sleep(0.05)
        return source(audience)

    cache = IdTokenCache(slow_source, clock=lambda: clock[0])
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(cache.token(AUDIENCE))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(tokens) == 16
    assert len(source.fetches) == 1


def test_google_credentials_yield_the_token_from_the_token_endpoint(
    scripted: FaultyServer, tmp_path: Path, monkeypatch
):
    token = jwt(time.time() + 3600, AUDIENCE)
    scripted.script("", "/token", reply(200, {"id_token": token}))
    monkeypatch.setenv(
        "GOOGLE_APPLICATION_CREDENTIALS", str(service_account_file(tmp_path, scripted.url + "/token"))
    )
    assert fetch_google_id_token(AUDIENCE) == token
    (grant,) = scripted.requests(route="/token")
    assert b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in grant.body


def test_missing_credentials_become_an_unavailable_upstream(tmp_path: Path, monkeypatch):
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(broken))
    with pytest.raises(UpstreamUnavailable) as raised:
        fetch_google_id_token(AUDIENCE)
    assert raised.value.status == 503
    assert "credentials" in raised.value.message
