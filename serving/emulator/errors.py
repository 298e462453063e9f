"""The emulator's errors: startup failures, and request failures carrying TF Serving's status codes."""

from __future__ import annotations

import enum


class StatusCode(enum.IntEnum):
    """absl / TensorFlow status codes, numbered as in `tf.errors`."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @property
    def http_status(self) -> int:
        """The HTTP status TF Serving answers with for this code (model_servers/http_server.cc)."""
        return _HTTP_STATUS.get(self, 500)


_HTTP_STATUS = {
    StatusCode.OK: 200,
    StatusCode.CANCELLED: 499,
    StatusCode.UNKNOWN: 500,
    StatusCode.INVALID_ARGUMENT: 400,
    StatusCode.DEADLINE_EXCEEDED: 504,
    StatusCode.NOT_FOUND: 404,
    StatusCode.ALREADY_EXISTS: 409,
    StatusCode.PERMISSION_DENIED: 403,
    StatusCode.RESOURCE_EXHAUSTED: 429,
    StatusCode.FAILED_PRECONDITION: 400,
    StatusCode.ABORTED: 409,
    StatusCode.OUT_OF_RANGE: 400,
    StatusCode.UNIMPLEMENTED: 501,
    StatusCode.INTERNAL: 500,
    StatusCode.UNAVAILABLE: 503,
    StatusCode.DATA_LOSS: 500,
    StatusCode.UNAUTHENTICATED: 401,
}


class EmulatorError(Exception):
    """Base of every error the emulator raises on purpose."""


class StartupError(EmulatorError):
    """The emulator cannot start serving; the message is one line meant for the person starting it."""


class ConfigError(StartupError):
    """Flags, models.config or the model folders are wrong."""


class ModelLoadError(StartupError):
    """A configured SavedModel could not be loaded (or its warmup requests failed)."""


class ServingError(EmulatorError):
    """A request failed with a status code and TF Serving's message text."""

    def __init__(self, code: StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def invalid_argument(cls, message: str) -> ServingError:
        return cls(StatusCode.INVALID_ARGUMENT, message)

    @classmethod
    def not_found(cls, message: str) -> ServingError:
        return cls(StatusCode.NOT_FOUND, message)

    @classmethod
    def unimplemented(cls, message: str) -> ServingError:
        return cls(StatusCode.UNIMPLEMENTED, message)

    def status_string(self) -> str:
        """`absl::Status::ToString()`, which TF Serving embeds in some wrapped messages."""
        return f"{self.code.name}: {self.message}"
