"""Errors the function answers with, and the one table that maps them to HTTP statuses and codes."""

from __future__ import annotations


class ConfigError(ValueError):
    """An environment variable holds a value the function cannot run with."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class RecommendError(Exception):
    """Base of every error that becomes an HTTP error answer.

    `message` is safe to show to the caller; `detail` is for the server log only.
    """

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or _lookup(type(self))[1]
        self.detail = detail

    @property
    def status(self) -> int:
        return _lookup(type(self))[0]


class InternalError(RecommendError):
    """Something unexpected went wrong inside the function."""


class BadRequest(RecommendError):
    """The request body or its fields are invalid."""


class PayloadTooLarge(RecommendError):
    """The body is larger than MAX_BODY_BYTES."""


class NotFound(RecommendError):
    """No such path."""


class MethodNotAllowed(RecommendError):
    """The path exists but not for this method; `allow` lists the methods it takes."""

    def __init__(self, message: str, *, allow: tuple[str, ...]):
        super().__init__(message)
        self.allow = allow


class UpstreamError(RecommendError):
    """The model server could not give a usable answer; `upstream_status` is its HTTP status, if any."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        detail: str | None = None,
        upstream_status: int | None = None,
    ):
        super().__init__(message, code=code, detail=detail)
        self.upstream_status = upstream_status


class UpstreamUnavailable(UpstreamError):
    """The model server is unreachable or says it is unavailable: worth retrying later."""


class UpstreamTimeout(UpstreamError):
    """The model server did not answer within the request deadline."""


class UpstreamBadResponse(UpstreamError):
    """The model server answered with an error or with something that is not a valid prediction."""


# The one table: HTTP status and default error code for each error class.
HTTP_ERRORS: dict[type[RecommendError], tuple[int, str]] = {
    RecommendError: (500, "internal"),
    InternalError: (500, "internal"),
    BadRequest: (400, "bad_request"),
    NotFound: (404, "not_found"),
    MethodNotAllowed: (405, "method_not_allowed"),
    PayloadTooLarge: (413, "payload_too_large"),
    UpstreamError: (502, "upstream_error"),
    UpstreamBadResponse: (502, "upstream_bad_response"),
    UpstreamUnavailable: (503, "upstream_unavailable"),
    UpstreamTimeout: (504, "upstream_timeout"),
}


def _lookup(cls: type[RecommendError]) -> tuple[int, str]:
    """The table entry of `cls` or of its nearest listed ancestor."""
    for klass in cls.__mro__:
        if klass in HTTP_ERRORS:
            return HTTP_ERRORS[klass]
    raise TypeError(f"{cls.__name__} is not a RecommendError")
