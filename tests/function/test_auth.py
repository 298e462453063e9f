"""ID tokens for Cloud Run: sent only when configured, fetched once, reused until shortly before expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.recommend.recommender.auth import (
    EXPIRY_MARGIN_S,
    REFRESH_MARGIN_S,
    IdTokenCache,
    audience_for,
    fetch_google_id_token,
    token_expiry,
)
from functions.recommend.recommender.deadline import Deadline
from functions.recommend.recommender.errors import UpstreamTimeout, UpstreamUnavailable
from tests.function.faulty_server import FaultyServer, delay, reply
from tests.function.tokens import jwt, service_account_file

AUDIENCE = "https://models.example.run.app"
# Slack for thread scheduling on a loaded machine when checking that a deadline was kept.
SLACK_S = 0.3


def soon() -> Deadline:
    return Deadline(2.0)


class FakeTokenSource:
    """Hands out numbered tokens that expire `lifetime` seconds after the fake clock's now."""

    def __init__(self, clock: list[float], lifetime: float | None = 3600.0):
        self.clock = clock
        self.lifetime = lifetime
        self.fetches: list[str] = []

    def __call__(self, audience: str, _timeout_s: float = 10.0) -> str:
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


def eventually(condition, within: float = 2.0) -> bool:
    ends = time.monotonic() + within
    while not condition():
        if time.monotonic() > ends:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize(
    ("lifetime", "reused_until", "unusable_from"),
    [
        (3600.0, 3600 - REFRESH_MARGIN_S - 1, 3600 - EXPIRY_MARGIN_S + 1),
        (120.0, 59, 91),
        (None, 299, 600 - EXPIRY_MARGIN_S + 1),
    ],
    ids=["one-hour token", "short-lived: reused for half its life", "no expiry: ten minutes"],
)
def test_a_token_is_fetched_once_and_reused_until_it_is_due(clock, lifetime, reused_until, unusable_from):
    source = FakeTokenSource(clock, lifetime)
    cache = cache_with(source, clock)
    first = cache.token(AUDIENCE, soon())
    start = clock[0]
    clock[0] = start + reused_until
    assert cache.token(AUDIENCE, soon()) == first
    clock[0] = start + unusable_from
    assert cache.token(AUDIENCE, soon()) != first
    assert len(source.fetches) == 2


def test_a_token_due_for_refresh_is_still_used_while_a_new_one_is_fetched(clock):
    source = FakeTokenSource(clock)
    cache = cache_with(source, clock)
    first = cache.token(AUDIENCE, soon())
    clock[0] += 3600 - REFRESH_MARGIN_S + 1
    assert cache.token(AUDIENCE, soon()) == first
    assert eventually(lambda: cache.token(AUDIENCE, soon()) != first)
    assert len(source.fetches) == 2


class HangingTokenSource:
    """A token source that blocks until released, like an unreachable metadata server."""

    def __init__(self):
        self.release = threading.Event()
        self.calls = 0
        self.now = time.time

    def __call__(self, audience: str, _timeout_s: float) -> str:
        self.calls += 1
        self.release.wait(10)
        return jwt(self.now() + 3600, audience)


@pytest.fixture
def hanging() -> Iterator[HangingTokenSource]:
    source = HangingTokenSource()
    yield source
    source.release.set()


def test_a_hanging_token_source_fails_the_request_at_its_deadline(hanging):
    cache = IdTokenCache(hanging)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as raised:
        cache.token(AUDIENCE, Deadline(0.3))
    assert 0.25 <= time.monotonic() - started < 0.3 + SLACK_S
    assert raised.value.status == 504


def test_requests_waiting_for_a_hanging_fetch_share_it_and_each_keeps_its_deadline(hanging):
    cache = IdTokenCache(hanging)
    failures: list[float] = []

    def request() -> None:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout):
            cache.token(AUDIENCE, Deadline(0.3))
        failures.append(time.monotonic() - started)

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 8 and max(failures) < 0.3 + SLACK_S
    assert hanging.calls == 1


def test_a_valid_cached_token_is_served_at_once_while_its_refresh_hangs(clock, hanging):
    cache = IdTokenCache(hanging, clock=lambda: clock[0])
    hanging.now = lambda: clock[0]
    hanging.release.set()
    first = cache.token(AUDIENCE, soon())
    hanging.release.clear()
    clock[0] += 3600 - REFRESH_MARGIN_S + 1
    started = time.monotonic()
    assert [cache.token(AUDIENCE, soon()) for _ in range(5)] == [first] * 5
    assert time.monotonic() - started < 0.05
    assert hanging.calls == 2


def test_a_hanging_fetch_for_one_audience_does_not_delay_another(hanging, clock):
    other = FakeTokenSource(clock)

    def source(audience: str, timeout_s: float) -> str:
        return hanging(audience, timeout_s) if audience == AUDIENCE else other(audience)

    cache = IdTokenCache(source, clock=lambda: clock[0])

    def wait_for_the_hanging_fetch() -> None:
        with pytest.raises(UpstreamTimeout):
            cache.token(AUDIENCE, Deadline(1))

    waiting = threading.Thread(target=wait_for_the_hanging_fetch)
    waiting.start()
    started = time.monotonic()
    assert cache.token("https://ranking.example.run.app", soon())
    assert time.monotonic() - started < 0.2
    waiting.join()


def test_a_failed_fetch_is_an_unavailable_upstream_and_is_tried_again(clock):
    attempts: list[str] = []

    def failing(audience: str, _timeout_s: float) -> str:
        attempts.append(audience)
        raise UpstreamUnavailable("could not obtain credentials for the model server")

    cache = IdTokenCache(failing, clock=lambda: clock[0])
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            cache.token(AUDIENCE, soon())
    assert attempts == [AUDIENCE, AUDIENCE]


def test_each_audience_has_its_own_token(clock):
    source = FakeTokenSource(clock)
    cache = cache_with(source, clock)
    retrieval, ranking = cache.token(AUDIENCE, soon()), cache.token("https://ranking.example.run.app", soon())
    assert retrieval != ranking
    assert cache.token(AUDIENCE, soon()) == retrieval
    assert source.fetches == [AUDIENCE, "https://ranking.example.run.app"]


def test_an_invalidated_token_is_fetched_again(clock):
    source = FakeTokenSource(clock)
    cache = cache_with(source, clock)
    first = cache.token(AUDIENCE, soon())
    cache.invalidate(AUDIENCE)
    assert cache.token(AUDIENCE, soon()) != first


def test_concurrent_first_requests_share_one_fetch(clock):
    source = FakeTokenSource(clock)

    def slow_source(audience: str, _timeout_s: float) -> str:
        time.sleep(0.05)
        return source(audience)

    cache = IdTokenCache(slow_source, clock=lambda: clock[0])
    tokens: list[str] = []
    threads = [
        threading.Thread(target=lambda: tokens.append(cache.token(AUDIENCE, soon()))) for _ in range(16)
    ]
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


def test_the_google_token_fetch_gives_up_when_its_time_is_spent(
    scripted: FaultyServer, tmp_path: Path, monkeypatch
):
    scripted.script("", "/token", delay(3.0, reply(200, {"id_token": jwt(time.time() + 3600)})))
    monkeypatch.setenv(
        "GOOGLE_APPLICATION_CREDENTIALS", str(service_account_file(tmp_path, scripted.url + "/token"))
    )
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        fetch_google_id_token(AUDIENCE, timeout_s=0.5)
    assert time.monotonic() - started < 0.5 + SLACK_S + 0.5  # + signing the grant with RSA


def test_missing_credentials_become_an_unavailable_upstream(tmp_path: Path, monkeypatch):
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(broken))
    with pytest.raises(UpstreamUnavailable) as raised:
        fetch_google_id_token(AUDIENCE)
    assert raised.value.status == 503
    assert "credentials" in raised.value.message
