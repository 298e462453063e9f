"""The error table: every error class answers with its HTTP status and a stable code."""

from __future__ import annotations

import pytest

from functions.recommend.recommender.errors import (
    HTTP_ERRORS,
    BadRequest,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RecommendError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (BadRequest("x"), 400, "bad_request"),
        (NotFound("x"), 404, "not_found"),
        (MethodNotAllowed("x", allow=("POST",)), 405, "method_not_allowed"),
        (PayloadTooLarge("x"), 413, "payload_too_large"),
        (InternalError("x"), 500, "internal"),
        (UpstreamBadResponse("x"), 502, "upstream_bad_response"),
        (UpstreamUnavailable("x"), 503, "upstream_unavailable"),
        (UpstreamTimeout("x"), 504, "upstream_timeout"),
    ],
)
def test_each_error_has_its_status_and_code(error: RecommendError, status: int, code: str):
    assert (error.status, error.code) == (status, code)


def test_a_specific_code_overrides_the_default_but_not_the_status():
    error = BadRequest("k must be an integer", code="invalid_k")
    assert (error.status, error.code, error.message) == (400, "invalid_k", "k must be an integer")


def test_an_unlisted_subclass_inherits_its_parents_entry():
    class RankingDown(UpstreamUnavailable):
        pass

    assert (RankingDown("x").status, RankingDown("x").code) == (503, "upstream_unavailable")


def test_every_upstream_error_is_a_5xx():
    upstream = [cls for cls in HTTP_ERRORS if issubclass(cls, UpstreamError)]
    assert len(upstream) == 4
    assert all(500 <= HTTP_ERRORS[cls][0] < 600 for cls in upstream)
