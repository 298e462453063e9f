"""TensorFlow Serving REST client: pooled keep-alive connections, deadline-bounded attempts, bounded retries.

Calls run on the request's own thread. The socket timeouts come from the deadline (connect: the smaller
of CONNECT_TIMEOUT_S and the time left; each read: the time left), the body is read in chunks with the
deadline checked between them, and `watchdog.deadline_guard` cuts off a server that keeps a read alive
by trickling bytes; so an attempt ends within a tick of the deadline.
"""

from __future__ import annotations

import functools
import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from .auth import IdTokenCache
from .deadline import Deadline
from .errors import UpstreamBadResponse, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from .watchdog import Guard, GuardedAdapter, deadline_guard

MAX_RESPONSE_BYTES = 8 << 20
READ_CHUNK_BYTES = 64 * 1024
BACKOFF_BASE_S = 0.05
# Not worth starting an attempt (or a retry) with less time than this left on the deadline.
MIN_ATTEMPT_S = 0.02
RETRY_STATUSES = frozenset({502, 503, 504})
# Cloud Run's answers to a missing, expired or not-yet-authorised ID token (IAM takes a while to apply).
AUTH_STATUSES = frozenset({401, 403})
DETAIL_LIMIT = 200
# A quoted string in an error text: TF Serving's 400s quote input values (`JSON Value: "15"`).
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_GET_HEADERS = {"Accept": "application/json", "User-Agent": "recommend-function"}
_POST_HEADERS = {**_GET_HEADERS, "Content-Type": "application/json"}
_NO_PROXIES: dict[str, str] = {}
# The body is read from urllib3 directly, so its errors arrive unwrapped by requests.
_TIMED_OUT = (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError)
_BROKEN = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
)


@dataclass(frozen=True)
class ModelEndpoint:
    """Where one model is served: base URL, model name, optional version label, ID-token audience."""

    base_url: str
    model: str
    label: str | None = None
    audience: str | None = None

    @cached_property
    def status_url(self) -> str:
        # The status route ignores labels (it always lists every version), so none is added.
        return _normalized_url(f"{self.base_url}/v1/models/{quote(self.model, safe='')}")

    @cached_property
    def metadata_url(self) -> str:
        return _normalized_url(self._model_url + "/metadata")

    @cached_property
    def predict_url(self) -> str:
        return _normalized_url(self._model_url + ":predict")

    @property
    def _model_url(self) -> str:
        label = f"/labels/{quote(self.label, safe='')}" if self.label else ""
        return f"{self.base_url}/v1/models/{quote(self.model, safe='')}{label}"


@functools.lru_cache(maxsize=64)
def _normalized_url(url: str) -> str:
    """`url` as requests would send it (IDNA host, quoting), worked out once rather than per call."""
    request = requests.PreparedRequest()
    request.prepare_url(url, None)
    return request.url


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes


class _Retryable(Exception):
    """An attempt failed in a way that another attempt may fix; carries the error to raise if none does.

    `rejected_token` marks a 401/403: the next attempt should carry a freshly fetched ID token.
    """

    def __init__(self, error: UpstreamError, *, rejected_token: bool = False):
        super().__init__(error.message)
        self.error = error
        self.rejected_token = rejected_token


def new_session(pool_size: int, ca_bundle: str | None = None) -> requests.Session:
    """A session keeping up to `pool_size` connections alive per host; retries are ours, not urllib3's.

    It trusts `ca_bundle` (a file or directory of PEM certificates) instead of certifi's roots when given.
    """
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc credentials picked up from the environment
    session.verify = ca_bundle or True
    adapter = GuardedAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class TFServingClient:
    """Calls the REST API of one or more TF Serving endpoints; one instance per process."""

    def __init__(
        self,
        *,
        pool_size: int,
        connect_timeout_s: float,
        retries: int,
        tokens: IdTokenCache | None = None,
        ca_bundle: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._session = new_session(pool_size, ca_bundle)
        self._connect_timeout_s = connect_timeout_s
        self._retries = retries
        self._tokens = tokens
        self._sleep = sleep

    def predict(self, endpoint: ModelEndpoint, inputs: Mapping[str, Any], deadline: Deadline) -> Any:
        """POST a columnar predict request; returns its `outputs` value."""
        body = json.dumps({"inputs": inputs}, separators=(",", ":")).encode()
        answer = self._call("POST", endpoint, endpoint.predict_url, body, deadline)
        if "outputs" not in answer:
            raise UpstreamBadResponse(f"{endpoint.model} model answered without outputs")
        return answer["outputs"]

    def metadata(self, endpoint: ModelEndpoint, deadline: Deadline) -> dict[str, Any]:
        """GET the model's signature metadata."""
        return self._call("GET", endpoint, endpoint.metadata_url, None, deadline)

    def status(self, endpoint: ModelEndpoint, deadline: Deadline) -> dict[str, Any]:
        """GET the model's version status list."""
        return self._call("GET", endpoint, endpoint.status_url, None, deadline)

    def close(self) -> None:
        self._session.close()

    def _call(
        self, method: str, endpoint: ModelEndpoint, url: str, body: bytes | None, deadline: Deadline
    ) -> dict[str, Any]:
        failure: UpstreamError | None = None
        token_refreshed = False
        for attempt in range(self._retries + 1):
            if attempt:
                pause = BACKOFF_BASE_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
                if deadline.remaining() < pause + MIN_ATTEMPT_S:
                    break
                self._sleep(pause)
            if deadline.remaining() < MIN_ATTEMPT_S:
                break
            try:
                reply = self._attempt(method, endpoint, url, body, deadline)
                return _decode(endpoint, reply)
            except _Retryable as retryable:
                failure = retryable.error
                if retryable.rejected_token:
                    if token_refreshed:  # a new token did not help: permissions not there (yet)
                        break
                    self._tokens.invalidate(endpoint.audience)
                    token_refreshed = True
        raise failure or UpstreamTimeout(
            f"{endpoint.model} model: no time left before the request deadline", detail=url
        )

    def _attempt(
        self, method: str, endpoint: ModelEndpoint, url: str, body: bytes | None, deadline: Deadline
    ) -> _Reply:
        request = self._prepare(method, endpoint, url, body, deadline)
        remaining = deadline.remaining()
        with deadline_guard(remaining) as guard:
            try:
                reply = self._exchange(request, endpoint, deadline, remaining, guard)
            except _TIMED_OUT as err:
                raise _timeout(endpoint, err) from err
            except _BROKEN as err:
                raise _broken(endpoint, guard, err) from err
            except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
                raise UpstreamBadResponse(
                    f"{endpoint.model} model answer is unreadable", detail=str(err)
                ) from err
            except (ValueError, OSError) as err:
                # A socket shut down by the watchdog mid-TLS-record surfaces as ssl or socket errors.
                if guard.release():
                    raise _timeout(endpoint, err) from err
                raise
        return self._checked(endpoint, reply)

    def _prepare(
        self, method: str, endpoint: ModelEndpoint, url: str, body: bytes | None, deadline: Deadline
    ) -> requests.PreparedRequest:
        """The request, built directly: Session.request would merge cookies, settings and env per call."""
        headers = CaseInsensitiveDict(_GET_HEADERS if body is None else _POST_HEADERS)
        if body is not None:
            headers["Content-Length"] = str(len(body))
        if endpoint.audience and self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens.token(endpoint.audience, deadline)}"
        request = requests.PreparedRequest()
        request.method, request.url, request.headers, request.body = method, url, headers, body
        return request

    def _exchange(
        self,
        request: requests.PreparedRequest,
        endpoint: ModelEndpoint,
        deadline: Deadline,
        remaining: float,
        guard: Guard,
    ) -> _Reply:
        """One HTTP exchange; each socket wait is bounded by the time left.

        The guard is released (by the pool, see watchdog.py) before the connection goes back to the pool,
        so the watchdog can never shut down a connection another exchange has taken from it; releasing
        it again here tells whether it fired.
        """
        timeout = (min(self._connect_timeout_s, remaining), remaining)
        with self._session.send(
            request, timeout=timeout, stream=True, allow_redirects=False, proxies=_NO_PROXIES
        ) as response:
            reply = _Reply(response.status_code, _read_body(endpoint, response.raw, deadline))
            if guard.release():  # cut off at the deadline; leaving the block closes the connection
                raise _timeout(endpoint, "cut off at the deadline")
            return reply

    def _checked(self, endpoint: ModelEndpoint, reply: _Reply) -> _Reply:
        if reply.status in AUTH_STATUSES and endpoint.audience and self._tokens:
            error = UpstreamUnavailable(
                f"{endpoint.model} model server refused the function's credentials",
                detail=f"HTTP {reply.status}: {_sanitized(reply.body)}",
                upstream_status=reply.status,
            )
            raise _Retryable(error, rejected_token=True)
        if reply.status in RETRY_STATUSES:
            raise _Retryable(_status_error(endpoint, reply))
        return reply


def _read_body(endpoint: ModelEndpoint, raw: urllib3.BaseHTTPResponse, deadline: Deadline) -> bytes:
    """The whole body, at most MAX_RESPONSE_BYTES, read as it arrives; stops at the deadline."""
    chunks, size = [], 0
    while chunk := raw.read1(READ_CHUNK_BYTES, decode_content=True):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise UpstreamBadResponse(
                f"{endpoint.model} model answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )
        if deadline.expired():
            raise UpstreamTimeout(f"{endpoint.model} model did not answer in time", detail="body too slow")
        chunks.append(chunk)
    return b"".join(chunks)


def _timeout(endpoint: ModelEndpoint, why: object) -> UpstreamTimeout:
    return UpstreamTimeout(f"{endpoint.model} model did not answer in time", detail=str(why))


def _broken(endpoint: ModelEndpoint, guard: Guard, err: Exception) -> Exception:
    """A dropped connection: the watchdog's doing at the deadline (a timeout), else worth a retry."""
    if guard.release():
        return _timeout(endpoint, err)
    error = UpstreamUnavailable(f"{endpoint.model} model server is unreachable", detail=str(err))
    return _Retryable(error)


def _decode(endpoint: ModelEndpoint, reply: _Reply) -> dict[str, Any]:
    if reply.status != 200:
        raise _status_error(endpoint, reply)
    try:
        answer = json.loads(reply.body)
    except ValueError as err:
        raise UpstreamBadResponse(
            f"{endpoint.model} model answered with invalid JSON", detail=_sanitized(reply.body)
        ) from err
    if not isinstance(answer, dict):
        raise UpstreamBadResponse(f"{endpoint.model} model answered with JSON that is not an object")
    return answer


def _status_error(endpoint: ModelEndpoint, reply: _Reply) -> UpstreamError:
    """The error for a non-200 answer; TF Serving's own message goes to the log only."""
    message = f"{endpoint.model} model answered HTTP {reply.status}"
    error_class = {429: UpstreamUnavailable, 503: UpstreamUnavailable, 504: UpstreamTimeout}.get(
        reply.status, UpstreamBadResponse
    )
    return error_class(message, detail=_sanitized(reply.body), upstream_status=reply.status)


def _sanitized(body: bytes) -> str:
    """TF Serving's error text fit for the log: quoted values (user ids, titles) blanked, length capped.

    Its 400s echo the request's values (`JSON Value: "15" Type: String is not of expected type: float`).
    """
    text = body[:4096].decode("utf-8", errors="replace")
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        text = answer["error"]
    text = _QUOTED.sub("<value>", text).split('"')[0]  # and drop an unterminated quote's tail
    return " ".join(text.split())[:DETAIL_LIMIT]
