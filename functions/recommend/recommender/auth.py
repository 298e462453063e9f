"""ID tokens for calling a private Cloud Run service, fetched once and reused until shortly before expiry."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from .errors import UpstreamUnavailable

# Refresh this long before `exp` so a token never expires in flight (Google ID tokens live one hour).
REFRESH_MARGIN_S = 300.0
# Assumed lifetime when a token's `exp` cannot be read.
FALLBACK_LIFETIME_S = 600.0

TokenSource = Callable[[str], str]


def audience_for(base_url: str, auth_mode: str) -> str | None:
    """The ID-token audience for calls to `base_url`, or None when they go without a token.

    AUTH_MODE `auto` sends a token exactly when the URL is https (Cloud Run); the audience is the
    service URL, i.e. scheme and host.
    """
    parts = urlsplit(base_url)
    if auth_mode == "none" or (auth_mode == "auto" and parts.scheme != "https"):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def fetch_google_id_token(audience: str) -> str:
    """An ID token from Application Default Credentials (the metadata server on Google Cloud)."""
    # Imported here so that google.auth costs nothing at cold start when auth is off.
    import google.auth.exceptions
    import google.auth.transport.requests
    import google.oauth2.id_token

    try:
        return google.oauth2.id_token.fetch_id_token(google.auth.transport.requests.Request(), audience)
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


class IdTokenCache:
    """Thread-safe per-audience cache in front of a token source; one fetch at a time per cache."""

    def __init__(
        self, source: TokenSource = fetch_google_id_token, *, clock: Callable[[], float] = time.time
    ):
        self._source = source
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}

    def token(self, audience: str) -> str:
        """A token for `audience` valid for at least REFRESH_MARGIN_S more seconds."""
        with self._lock:
            cached = self._tokens.get(audience)
            if cached and self._clock() < cached[1]:
                return cached[0]
            token = self._source(audience)
            now = self._clock()
            lifetime = (token_expiry(token) or now + FALLBACK_LIFETIME_S) - now
            # A short-lived token is still reused for half its life rather than fetched per request.
            self._tokens[audience] = (token, now + lifetime - min(REFRESH_MARGIN_S, lifetime / 2))
            return token

    def invalidate(self, audience: str) -> None:
        """Forget the token for `audience` (the server rejected it), so the next call fetches anew."""
        with self._lock:
            self._tokens.pop(audience, None)
