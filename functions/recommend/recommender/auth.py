"""ID tokens for calling a private Cloud Run service, fetched in the background and reused until due.

A request never waits for a token longer than its own deadline: each fetch runs on its own short-lived
thread (one per audience at a time), requests with a cached token that is still valid use it at once,
and requests without one wait for the fetch at most until their deadline.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .deadline import Deadline
from .errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable

# Refresh this long before `exp` (Google ID tokens live one hour), in the background.
REFRESH_MARGIN_S = 300.0
# Stop using a token this long before `exp`, so it never expires in flight.
EXPIRY_MARGIN_S = 30.0
# Assumed lifetime when a token's `exp` cannot be read.
FALLBACK_LIFETIME_S = 600.0
# The whole of one fetch, every HTTP call and retry google-auth makes included.
FETCH_TIMEOUT_S = 10.0

# (audience, seconds the fetch may take) -> token.
TokenSource = Callable[[str, float], str]


def audience_for(base_url: str, auth_mode: str) -> str | None:
    """The ID-token audience for calls to `base_url`, or None when they go without a token.

    AUTH_MODE `auto` sends a token exactly when the URL is https (Cloud Run); the audience is the
    service URL, i.e. scheme and host.
    """
    parts = urlsplit(base_url)
    if auth_mode == "none" or (auth_mode == "auto" and parts.scheme != "https"):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def fetch_google_id_token(audience: str, timeout_s: float = FETCH_TIMEOUT_S) -> str:
    """An ID token from Application Default Credentials (the metadata server on Google Cloud).

    Every HTTP call google-auth makes is bounded by what is left of `timeout_s`; its metadata-server
    retries (5 x 3 s by default) therefore end with the budget.
    """
    # Imported here so that google.auth costs nothing at cold start when auth is off.
    import google.auth.exceptions
    import google.auth.transport.requests
    import google.oauth2.id_token

    expires = time.monotonic() + timeout_s

    class BoundedRequest(google.auth.transport.requests.Request):
        def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
            remaining = expires - time.monotonic()
            if remaining <= 0:
                raise google.auth.exceptions.TransportError("ID-token fetch ran out of time")
            timeout = remaining if timeout is None else min(timeout, remaining)
            return super().__call__(url, method, body, headers, timeout, **kwargs)

    try:
        return google.oauth2.id_token.fetch_id_token(BoundedRequest(), audience)
    except google.auth.exceptions.GoogleAuthError as err:
        raise UpstreamUnavailable(
            "could not obtain credentials for the model server", detail=f"ID token for {audience}: {err}"
        ) from err


def token_expiry(token: str) -> float | None:
    """The `exp` claim (epoch seconds) of a JWT, read without verifying it: the token is our own."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        expiry = claims["exp"]
    except (IndexError, ValueError, binascii.Error, KeyError, TypeError):
        return None
    return float(expiry) if isinstance(expiry, int | float) and not isinstance(expiry, bool) else None


@dataclass(frozen=True)
class _Cached:
    token: str
    refresh_at: float  # epoch seconds: from here on a fetch is started, the token still used
    usable_until: float  # epoch seconds: from here on callers wait for a new token


@dataclass
class _Fetch:
    """One fetch in flight; `done` is set when `token` or `error` is."""

    done: threading.Event = field(default_factory=threading.Event)
    token: str | None = None
    error: UpstreamError | None = None


class IdTokenCache:
    """Thread-safe per-audience token cache; at most one fetch in flight per audience."""

    def __init__(
        self, source: TokenSource = fetch_google_id_token, *, clock: Callable[[], float] = time.time
    ):
        self._source = source
        self._clock = clock
        self._lock = threading.Lock()  # guards the two dicts only, never held during a fetch
        self._tokens: dict[str, _Cached] = {}
        self._fetches: dict[str, _Fetch] = {}

    def token(self, audience: str, deadline: Deadline) -> str:
        """A token for `audience`; UpstreamTimeout when none can be had before `deadline`."""
        cached = self._tokens.get(audience)
        now = self._clock()
        if cached and now < cached.refresh_at:
            return cached.token
        fetch = self._fetch(audience)
        if cached and now < cached.usable_until:
            return cached.token  # the fetch refreshes it in the background
        if not fetch.done.wait(deadline.remaining()):
            raise UpstreamTimeout(
                "no credentials for the model server before the request deadline",
                detail=f"ID token for {audience} still being fetched",
            )
        if fetch.error is not None:
            raise fetch.error
        return fetch.token

    def invalidate(self, audience: str) -> None:
        """Forget the token for `audience` (the server rejected it), so the next call fetches anew."""
        with self._lock:
            self._tokens.pop(audience, None)

    def _fetch(self, audience: str) -> _Fetch:
        """The fetch in flight for `audience`, started now if there is none."""
        with self._lock:
            fetch = self._fetches.get(audience)
            if fetch is None:
                fetch = self._fetches[audience] = _Fetch()
                threading.Thread(
                    target=self._run_fetch, args=(audience, fetch), name="id-token-fetch", daemon=True
                ).start()
            return fetch

    def _run_fetch(self, audience: str, fetch: _Fetch) -> None:
        try:
            fetch.token = self._source(audience, FETCH_TIMEOUT_S)
        except UpstreamError as err:
            fetch.error = err
        except Exception as err:  # a bug in the source must not leave waiters hanging
            fetch.error = UpstreamUnavailable(
                "could not obtain credentials for the model server", detail=f"{type(err).__name__}: {err}"
            )
        with self._lock:
            if fetch.token is not None:
                self._tokens[audience] = self._cached(fetch.token)
            del self._fetches[audience]
        fetch.done.set()

    def _cached(self, token: str) -> _Cached:
        now = self._clock()
        lifetime = (token_expiry(token) or now + FALLBACK_LIFETIME_S) - now
        # A short-lived token is still reused for half its life rather than fetched per request.
        return _Cached(
            token,
            refresh_at=now + lifetime - min(REFRESH_MARGIN_S, lifetime / 2),
            usable_until=now + lifetime - min(EXPIRY_MARGIN_S, lifetime / 4),
        )
