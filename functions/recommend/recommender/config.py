"""Configuration: read once from the environment, validated, frozen. A bad value names its variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_SERVING_URL = "http://localhost:8501"
MAX_K = 1000
AUTH_MODES = ("auto", "id_token", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# TF Serving's REST routes take a model name or label as one path segment without ':' (`[^/:]+`).
_NAME = re.compile(r"[^/:\s]+")
_ORIGIN = re.compile(r"https?://[^/\s]+")
T = TypeVar("T", int, float)


@dataclass(frozen=True)
class Config:
    """Everything the function can be told; see functions/recommend/README.md for each variable."""

    retrieval_url: str = DEFAULT_SERVING_URL
    ranking_url: str = DEFAULT_SERVING_URL
    retrieval_model: str = "retrieval"
    ranking_model: str = "ranking"
    model_version_label: str | None = None
    retrieval_titles_output: str | None = None
    retrieval_scores_output: str | None = None
    ranking_user_input: str | None = None
    ranking_title_input: str | None = None
    ranking_output: str | None = None
    request_deadline_s: float = 2.0
    connect_timeout_s: float = 0.5
    upstream_retries: int = 2
    http_pool_size: int = 8
    default_k: int = 10
    max_body_bytes: int = 16384
    cors_allowed_origins: tuple[str, ...] = ("*",)
    auth_mode: str = "auto"
    ca_bundle: str | None = None
    log_level: str = "INFO"
    project_id: str | None = None


def load_config(env: Mapping[str, str] = os.environ) -> Config:
    """Build the configuration from `env`; raises ConfigError naming the first bad variable."""
    reader = _EnvReader(env)
    serving_url = reader.url("TF_SERVING_URL", DEFAULT_SERVING_URL)
    return Config(
        retrieval_url=reader.url("RETRIEVAL_URL", serving_url),
        ranking_url=reader.url("RANKING_URL", serving_url),
        retrieval_model=reader.name("RETRIEVAL_MODEL", Config.retrieval_model),
        ranking_model=reader.name("RANKING_MODEL", Config.ranking_model),
        model_version_label=reader.optional_name("MODEL_VERSION_LABEL"),
        retrieval_titles_output=reader.optional_name("RETRIEVAL_TITLES_OUTPUT"),
        retrieval_scores_output=reader.optional_name("RETRIEVAL_SCORES_OUTPUT"),
        ranking_user_input=reader.optional_name("RANKING_USER_INPUT"),
        ranking_title_input=reader.optional_name("RANKING_TITLE_INPUT"),
        ranking_output=reader.optional_name("RANKING_OUTPUT"),
        request_deadline_s=reader.bounded("REQUEST_DEADLINE_S", Config.request_deadline_s, 0.05, 60.0),
        connect_timeout_s=reader.bounded("CONNECT_TIMEOUT_S", Config.connect_timeout_s, 0.01, 30.0),
        upstream_retries=reader.bounded("UPSTREAM_RETRIES", Config.upstream_retries, 0, 5),
        http_pool_size=reader.bounded("HTTP_POOL_SIZE", _default_pool_size(reader), 1, 256),
        default_k=reader.bounded("DEFAULT_K", Config.default_k, 1, MAX_K),
        max_body_bytes=reader.bounded("MAX_BODY_BYTES", Config.max_body_bytes, 64, 1 << 20),
        cors_allowed_origins=reader.origins("CORS_ALLOWED_ORIGINS", Config.cors_allowed_origins),
        auth_mode=reader.choice("AUTH_MODE", Config.auth_mode, AUTH_MODES),
        ca_bundle=reader.existing_path("REQUESTS_CA_BUNDLE"),
        log_level=reader.choice("LOG_LEVEL", Config.log_level, LOG_LEVELS, fold=str.upper),
        project_id=reader.text("GOOGLE_CLOUD_PROJECT"),
    )


def _default_pool_size(reader: _EnvReader) -> int:
    """One upstream connection per request thread: functions-framework runs THREADS (default 4 per CPU)."""
    return reader.bounded("THREADS", 4 * (os.cpu_count() or 1), 1, 1024)


class _EnvReader:
    """Typed, range-checked reads of environment variables; blank counts as unset."""

    def __init__(self, env: Mapping[str, str]):
        self._env = env

    def text(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def bounded(self, name: str, default: T, low: T, high: T) -> T:
        """A number within [low, high], parsed as the type of `default` (int or float)."""
        raw = self.text(name)
        if raw is None:
            return default
        kind = type(default)
        try:
            value = kind(raw)
        except ValueError:
            expected = "an integer" if kind is int else "a number"
            raise ConfigError(name, f"expected {expected}, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(name, f"must be between {low} and {high}, got {raw}")
        return value

    def choice(self, name: str, default: str, allowed: tuple[str, ...], fold=str.lower) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        value = fold(raw)
        if value not in allowed:
            raise ConfigError(name, f"must be one of {', '.join(allowed)}, got {raw!r}")
        return value

    def url(self, name: str, default: str) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(name, f"expected an http:// or https:// URL with a host, got {raw!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ConfigError(name, "must not carry credentials, a query or a fragment")
        return raw.rstrip("/")

    def existing_path(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is not None and not os.path.exists(raw):
            raise ConfigError(name, f"no such file or directory: {raw!r}")
        return raw

    def name(self, name: str, default: str) -> str:
        return self.optional_name(name) or default

    def optional_name(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is not None and not _NAME.fullmatch(raw):
            raise ConfigError(name, f"must not contain '/', ':' or spaces, got {raw!r}")
        return raw

    def origins(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self.text(name)
        if raw is None:
            return default
        origins = tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ConfigError(
                    name, f"expected '*' or origins like https://app.example.com, got {origin!r}"
                )
        if not origins:
            raise ConfigError(name, "lists no origin")
        return origins
