"""TensorFlow Serving REST client: pooled keep-alive connections, deadline-bounded attempts, bounded retries.

Every attempt runs on a worker thread and the caller waits at most the time left on its deadline, so
nothing (DNS, a server that trickles bytes, an ID-token fetch) can hold a request past the deadline;
the socket timeouts are set from the same deadline so abandoned attempts end soon after.
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from .auth import IdTokenCache
from .deadline import Deadline
from .errors import UpstreamBadResponse, UpstreamError, UpstreamTimeout, UpstreamUnavailable

MAX_RESPONSE_BYTES = 8 << 20
BACKOFF_BASE_S = 0.05
# Not worth starting an attempt (or a retry) with less time than this left on the deadline.
MIN_ATTEMPT_S = 0.02
SOCKET_GRACE_S = 0.25
RETRY_STATUSES = frozenset({502, 503, 504})
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass(frozen=True)
class ModelEndpoint:
    """Where one model is served: base URL, model name, optional version label, ID-token audience."""

    base_url: str
    model: str
    label: str | None = None
    audience: str | None = None

    def status_url(self) -> str:
        # The status route ignores labels (it always lists every version), so none is added.
        return f"{self.base_url}/v1/models/{quote(self.model, safe='')}"

    def model_url(self) -> str:
        label = f"/labels/{quote(self.label, safe='')}" if self.label else ""
        return self.status_url() + label


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes


class _Retryable(Exception):
    """An attempt failed in a way that another attempt may fix; carries the error to raise if none does."""

    def __init__(self, error: UpstreamError):
        super().__init__(error.message)
        self.error = error


def new_session(pool_size: int) -> requests.Session:
    """A session keeping up to `pool_size` connections alive per host; retries are ours, not urllib3's."""
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc credentials picked up from the environment
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
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
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._session = new_session(pool_size)
        # Twice the pool so attempts abandoned at their deadline cannot starve new ones.
        self._executor = concurrent.futures.ThreadPoolExecutor(2 * pool_size, thread_name_prefix="tfserving")
        self._connect_timeout_s = connect_timeout_s
        self._retries = retries
        self._tokens = tokens
        self._sleep = sleep

    def predict(self, endpoint: ModelEndpoint, inputs: Mapping[str, Any], deadline: Deadline) -> Any:
        """POST a columnar predict request; returns its `outputs` value."""
        answer = self._call("POST", endpoint, endpoint.model_url() + ":predict", {"inputs": inputs}, deadline)
        if "outputs" not in answer:
            raise UpstreamBadResponse(f"{endpoint.model} model answered without outputs")
        return answer["outputs"]

    def metadata(self, endpoint: ModelEndpoint, deadline: Deadline) -> dict[str, Any]:
        """GET the model's signature metadata."""
        return self._call("GET", endpoint, endpoint.model_url() + "/metadata", None, deadline)

    def status(self, endpoint: ModelEndpoint, deadline: Deadline) -> dict[str, Any]:
        """GET the model's version status list."""
        return self._call("GET", endpoint, endpoint.status_url(), None, deadline)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._session.close()

    def _call(
        self, method: str, endpoint: ModelEndpoint, url: str, payload: Any, deadline: Deadline
    ) -> dict[str, Any]:
        body = None if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        failure: UpstreamError | None = None
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
        raise failure or UpstreamTimeout(
            f"{endpoint.model} model: no time left before the request deadline", detail=url
        )

    def _attempt(
        self, method: str, endpoint: ModelEndpoint, url: str, body: bytes | None, deadline: Deadline
    ) -> _Reply:
        remaining = deadline.remaining()
        # The socket may wait a little longer than the caller, so that the caller's wait decides (504).
        timeout = (min(self._connect_timeout_s, remaining), remaining + SOCKET_GRACE_S)
        future = self._executor.submit(self._send, method, endpoint, url, body, timeout)
        try:
            reply = future.result(timeout=remaining)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise UpstreamTimeout(f"{endpoint.model} model did not answer in time", detail=url) from None
        except requests.ReadTimeout as err:
            raise UpstreamTimeout(f"{endpoint.model} model did not answer in time", detail=str(err)) from err
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
            error = UpstreamUnavailable(f"{endpoint.model} model server is unreachable", detail=str(err))
            raise _Retryable(error) from err
        except requests.RequestException as err:
            raise UpstreamBadResponse(
                f"{endpoint.model} model answer is unreadable", detail=str(err)
            ) from err
        if reply.status == 401 and endpoint.audience and self._tokens:
            self._tokens.invalidate(endpoint.audience)
            raise _Retryable(_status_error(endpoint, reply))
        if reply.status in RETRY_STATUSES:
            raise _Retryable(_status_error(endpoint, reply))
        return reply

    def _send(
        self, method: str, endpoint: ModelEndpoint, url: str, body: bytes | None, timeout: tuple[float, float]
    ) -> _Reply:
        """One HTTP exchange (runs on a worker thread)."""
        headers = dict(_HEADERS)
        if endpoint.audience and self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens.token(endpoint.audience)}"
        with self._session.request(
            method, url, data=body, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as response:
            return _Reply(response.status_code, _read_limited(endpoint, response))


def _read_limited(endpoint: ModelEndpoint, response: requests.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise UpstreamBadResponse(
                f"{endpoint.model} model answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(endpoint: ModelEndpoint, reply: _Reply) -> dict[str, Any]:
    if reply.status != 200:
        raise _status_error(endpoint, reply)
    try:
        answer = json.loads(reply.body)
    except ValueError as err:
        raise UpstreamBadResponse(
            f"{endpoint.model} model answered with invalid JSON", detail=_excerpt(reply.body)
        ) from err
    if not isinstance(answer, dict):
        raise UpstreamBadResponse(f"{endpoint.model} model answered with JSON that is not an object")
    return answer


def _status_error(endpoint: ModelEndpoint, reply: _Reply) -> UpstreamError:
    """The error for a non-200 answer; TF Serving's own message goes to the log only."""
    message = f"{endpoint.model} model answered HTTP {reply.status}"
    if reply.status in (429, 503):
        return UpstreamUnavailable(message, detail=_excerpt(reply.body))
    if reply.status == 504:
        return UpstreamTimeout(message, detail=_excerpt(reply.body))
    return UpstreamBadResponse(message, detail=_excerpt(reply.body))


def _excerpt(body: bytes, limit: int = 300) -> str:
    return body[:limit].decode("utf-8", errors="replace")
