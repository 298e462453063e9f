"""The HTTP surface: read and validate request bodies, build JSON answers, apply the CORS policy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import flask

from .chain import Recommendation
from .config import MAX_K
from .errors import BadRequest, MethodNotAllowed, PayloadTooLarge, RecommendError

MAX_USER_ID_LENGTH = 128
RETRY_AFTER_S = 1
PREFLIGHT_MAX_AGE_S = 3600
_EXAMPLE = 'a JSON object like {"user_id": "15", "k": 10}'
_SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class RecommendRequest:
    user_id: str
    k: int | None


def parse_recommend_request(request: flask.Request, max_body_bytes: int) -> RecommendRequest:
    """Validate a POST /recommend request; raises BadRequest or PayloadTooLarge.

    The body is read as JSON whatever Content-Type says (curl -d sends a form type by default); a body
    that is not JSON is rejected, naming the declared type.
    """
    fields = _json_object(_read_body(request, max_body_bytes), request.mimetype)
    return RecommendRequest(user_id=_user_id(fields.get("user_id")), k=_k(fields.get("k")))


def _read_body(request: flask.Request, max_body_bytes: int) -> bytes:
    too_large = PayloadTooLarge(f"the body must be at most {max_body_bytes} bytes")
    if (request.content_length or 0) > max_body_bytes:
        raise too_large
    # Bounded read: a chunked body declares no length.
    body = request.stream.read(max_body_bytes + 1)
    if len(body) > max_body_bytes:
        raise too_large
    return body


def _json_object(body: bytes, mimetype: str) -> Mapping[str, Any]:
    if not body.strip():
        raise BadRequest(f"the body is empty; send {_EXAMPLE}", code="invalid_json")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # deeply nested arrays exhaust the parser's recursion
        declared = f" (it was sent as {mimetype})" if mimetype and "json" not in mimetype else ""
        raise BadRequest(
            f"the body is not valid JSON{declared}; send {_EXAMPLE}", code="invalid_json"
        ) from None
    if not isinstance(value, dict):
        raise BadRequest(f"the body must be {_EXAMPLE}", code="invalid_body")
    return value


def _user_id(value: Any) -> str:
    if value is None:
        raise BadRequest("user_id is required", code="missing_user_id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadRequest("user_id must be a string or an integer", code="invalid_user_id")
    if not value.strip():
        raise BadRequest("user_id must not be empty", code="invalid_user_id")
    if len(value) > MAX_USER_ID_LENGTH:
        raise BadRequest(f"user_id must be at most {MAX_USER_ID_LENGTH} characters", code="invalid_user_id")
    if not value.isprintable():
        raise BadRequest("user_id must not contain control characters", code="invalid_user_id")
    return value


def _k(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest("k must be an integer", code="invalid_k")
    if value < 1:
        raise BadRequest("k must be at least 1", code="k_out_of_range")
    if value > MAX_K:  # the model's own candidate count, known after retrieval, bounds it further
        raise BadRequest(f"k must be at most {MAX_K}", code="k_out_of_range")
    return value


def recommendation_response(user_id: str, recommendation: Recommendation) -> flask.Response:
    return json_response(
        {
            "user_id": user_id,
            "movies": recommendation.titles,
            "scores": recommendation.scores,
            "degraded": recommendation.degraded,
        }
    )


def error_response(error: RecommendError) -> flask.Response:
    """The JSON error answer for `error`, with Allow on 405 and Retry-After on 503."""
    headers = {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allow)
    if error.status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_S)
    return json_response({"error": {"code": error.code, "message": error.message}}, error.status, headers)


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    # allow_nan=False: NaN/Infinity are not JSON; browsers' JSON.parse rejects them.
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return flask.Response(
        body, status, headers={**_SECURITY_HEADERS, **(headers or {})}, mimetype="application/json"
    )


class CorsPolicy:
    """Access-Control-* headers for an allow-list of origins; `*` allows any origin."""

    ALLOWED_HEADERS = "Content-Type, Authorization"

    def __init__(self, allowed_origins: tuple[str, ...]):
        self._any = "*" in allowed_origins
        self._origins = frozenset(allowed_origins)

    def apply(self, request: flask.Request, response: flask.Response) -> flask.Response:
        """Add the allow-origin header when the request's Origin may read the answer."""
        origin = request.headers.get("Origin")
        if not self._any:
            response.vary.add("Origin")
        if origin and (self._any or origin in self._origins):
            response.headers["Access-Control-Allow-Origin"] = "*" if self._any else origin
        return response

    def preflight(self, request: flask.Request, allow: tuple[str, ...]) -> flask.Response:
        """The answer to an OPTIONS request for a path that takes the methods in `allow`."""
        response = flask.Response(status=204, headers={**_SECURITY_HEADERS, "Allow": ", ".join(allow)})
        if request.headers.get("Origin"):
            response.headers["Access-Control-Allow-Methods"] = ", ".join(allow)
            response.headers["Access-Control-Allow-Headers"] = self.ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
        return self.apply(request, response)
