"""Structured logging: one JSON line per request on stdout, which Cloud Logging parses into an entry.

google-cloud-logging's StructuredLogHandler adds the trace of the request being served (from
`traceparent` or `X-Cloud-Trace-Context`) so the line is grouped with the request in Cloud Logging.
Request bodies and user ids are never logged.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import IO, Any

from google.cloud.logging_v2.handlers.structured_log import StructuredLogHandler

from .chain import Recommendation
from .errors import RecommendError

LOGGER_NAME = "recommend"


def configure_logging(level: str, project_id: str | None, stream: IO[str] | None = None) -> logging.Logger:
    """The function's logger, writing structured JSON lines to `stream` (stdout by default)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in [h for h in logger.handlers if isinstance(h, StructuredLogHandler)]:
        logger.removeHandler(handler)
    logger.addHandler(StructuredLogHandler(stream=stream or sys.stdout, project_id=project_id))
    logger.setLevel(level)
    logger.propagate = False
    return logger


@dataclass
class RequestLog:
    """What one request did, gathered while it runs and written as one line at the end."""

    method: str
    path: str
    k: int | None = None
    candidates: int | None = None
    retrieval_ms: float | None = None
    ranking_ms: float | None = None
    degraded: bool = False
    code: str | None = None
    detail: str | None = None

    def recommended(self, recommendation: Recommendation) -> None:
        self.k = recommendation.k
        self.candidates = recommendation.candidate_count
        self.retrieval_ms = recommendation.retrieval_ms
        self.ranking_ms = recommendation.ranking_ms
        self.degraded = recommendation.degraded
        if recommendation.degraded_by is not None:
            self.failed(recommendation.degraded_by)

    def failed(self, error: RecommendError) -> None:
        self.code = error.code
        self.detail = error.detail or error.message

    def emit(
        self, logger: logging.Logger, status: int, total_ms: float, *, exception: BaseException | None = None
    ) -> None:
        """Write the line: ERROR for 5xx, WARNING when degraded, INFO otherwise."""
        level = logging.ERROR if status >= 500 else logging.WARNING if self.degraded else logging.INFO
        fields: dict[str, Any] = {
            "status": status,
            "k": self.k,
            "candidates": self.candidates,
            "retrieval_ms": _rounded(self.retrieval_ms),
            "ranking_ms": _rounded(self.ranking_ms),
            "total_ms": _rounded(total_ms),
            "degraded": self.degraded,
            "error_code": self.code,
            "error_detail": self.detail,
        }
        http_request = {
            "requestMethod": self.method,
            "requestUrl": self.path,
            "status": status,
            "latency": f"{total_ms / 1000:.6f}s",
        }
        logger.log(
            level,
            "%s %s %d",
            self.method,
            self.path,
            status,
            exc_info=exception,
            extra={"json_fields": fields, "http_request": http_request},
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
