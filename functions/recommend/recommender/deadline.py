"""A request-wide time budget that every upstream call, retry and wait draws from."""

from __future__ import annotations

import time
from collections.abc import Callable


class Deadline:
    """A point in monotonic time; `remaining()` is never negative."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._started = clock()
        self._expires = self._started + seconds

    def remaining(self) -> float:
        """Seconds left before the deadline, 0.0 once it has passed."""
        return max(0.0, self._expires - self._clock())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def elapsed_ms(self) -> float:
        """Milliseconds since the deadline was set."""
        return (self._clock() - self._started) * 1000.0
