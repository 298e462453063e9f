"""TF Serving's REST routes: URL parsing, dispatch, and error responses (http_rest_api_handler.cc)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from serving.emulator.errors import ServingError, StatusCode
from serving.emulator.metadata import metadata_json, status_json
from serving.emulator.predict import Predictor
from serving.emulator.registry import ModelRef, Registry

log = logging.getLogger(__name__)

JSON_TYPE = "application/json"
_V1_PATH = re.compile(r"/v1/.*", re.IGNORECASE | re.DOTALL)
_POST_ROUTE = re.compile(
    r"/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)",
    re.IGNORECASE,
)
_GET_ROUTE = re.compile(
    r"/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?",
    re.IGNORECASE,
)
_INT64_MAX = 2**63 - 1
# libevent's evhttp_send_error page: what TF Serving answers for any path outside /v1/.
_NOT_FOUND_PAGE = (
    b"<HTML><HEAD>\n<TITLE>404 Not Found</TITLE>\n</HEAD><BODY>\n<H1>Not Found</H1>\n</BODY></HTML>\n"
)


@dataclass(frozen=True)
class Response:
    """An HTTP answer: status, body and its content type."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE

    @classmethod
    def json_text(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8", "surrogateescape"))

    @classmethod
    def error(cls, error: ServingError) -> Response:
        body = json.dumps({"error": error.message}, ensure_ascii=False)
        return cls.json_text(body, error.code.http_status)


@dataclass(frozen=True)
class _Route:
    ref: ModelRef
    action: str  # predict / classify / regress / metadata / status


class RestApi:
    """Maps (method, path, body) to a Response, the way TF Serving's REST handler does."""

    def __init__(self, registry: Registry, predictor: Predictor) -> None:
        self._registry = registry
        self._predictor = predictor

    def close(self) -> None:
        """Stop the model-call pool (at shutdown)."""
        self._predictor.close()

    def handle(self, method: str, path: str, body: bytes) -> Response:
        """Answer one request; never raises."""
        if not _V1_PATH.fullmatch(path):
            return Response(404, _NOT_FOUND_PAGE, "text/html")
        try:
            return self._dispatch(method, path, body)
        except _EmptyBodyError:
            return Response(400, b"")
        except ServingError as error:
            return Response.error(error)
        except Exception:  # a bug in the emulator: log it, answer like a server error, never a traceback
            log.exception("internal error answering %s %s", method, path)
            return Response.error(
                ServingError(StatusCode.INTERNAL, "internal error in the TF Serving emulator")
            )

    def _dispatch(self, method: str, path: str, body: bytes) -> Response:
        route = _parse_route(method, path)
        if route is None:
            raise ServingError.invalid_argument(f"Malformed request: {method} {path}")
        if route.action == "predict":
            return Response.json_text(self._predictor.predict(route.ref, body))
        if route.action in ("classify", "regress"):
            raise ServingError.unimplemented(
                f"The TF Serving emulator answers predict only, not {route.action}; use TensorFlow Serving"
            )
        if not route.ref.name:
            raise ServingError.invalid_argument("Missing model name in request.")
        if route.action == "metadata":
            return Response.json_text(metadata_json(self._registry.servable(route.ref)))
        return Response.json_text(status_json(self._registry.status_versions(route.ref)))


def _parse_route(method: str, path: str) -> _Route | None:
    """The route a request addresses, or None for TF Serving's `Malformed request`."""
    pattern = {"POST": _POST_ROUTE, "GET": _GET_ROUTE}.get(method)
    match = pattern.fullmatch(path) if pattern else None
    if match is None:
        return None
    name, version, label, verb = match.groups()
    ref = ModelRef(_decode(name) if name else "", _version(version), _decode(label) if label else None)
    if method == "POST":
        # The route regex ignores case but the verb is compared exactly: `:PREDICT` is malformed.
        return _Route(ref, verb) if verb in ("predict", "classify", "regress") else None
    return _Route(ref, "metadata" if verb == "metadata" else "status")


def _version(text: str | None) -> int | None:
    if text is None:
        return None
    version = int(text)
    if version > _INT64_MAX:
        # TF Serving returns this parse error before building a JSON body: 400 with an empty body.
        raise _EmptyBodyError(f"Failed to convert version: {text} to numeric.")
    return version


def _decode(text: str) -> str:
    return unquote_to_bytes(text).decode("utf-8", "surrogateescape")


class _EmptyBodyError(ServingError):
    """A URL parse error that TF Serving answers with status 400 and no body."""

    def __init__(self, message: str) -> None:
        super().__init__(StatusCode.INVALID_ARGUMENT, message)
