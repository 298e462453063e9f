"""Closed-loop load: N worker threads, each with its own pooled HTTP session, call a target back to back."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import requests

# One request of a target: given the worker's session and a user id, do the work or raise.
Call = Callable[[requests.Session, str], None]


class TargetError(Exception):
    """A target answered, but not with a valid recommendation."""


@dataclass(frozen=True)
class Summary:
    """Latency percentiles in milliseconds (None when no call succeeded), requests per second, errors."""

    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    rps: float
    errors: int


@dataclass
class LoadResult:
    """Latencies of the successful calls, failures, and the wall time they were measured over."""

    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    def merge(self, other: LoadResult) -> LoadResult:
        """Both measurements as one (slices of the same target taken at different times)."""
        return LoadResult(
            self.latencies_s + other.latencies_s,
            self.errors + other.errors,
            self.elapsed_s + other.elapsed_s,
            (self.error_samples + other.error_samples)[:5],
        )

    def summary(self) -> Summary:
        """Percentiles of the successful calls, and how many succeeded per second."""
        rps = round(len(self.latencies_s) / self.elapsed_s, 1) if self.elapsed_s else 0.0
        if not self.latencies_s:
            return Summary(None, None, None, rps, self.errors)
        p50, p95, p99 = np.percentile(np.array(self.latencies_s) * 1000.0, [50, 95, 99])
        return Summary(round(float(p50), 2), round(float(p95), 2), round(float(p99), 2), rps, self.errors)


def run_closed_loop(call: Call, users: Sequence[str], *, concurrency: int, duration_s: float) -> LoadResult:
    """Run `concurrency` workers calling `call` until `duration_s` has passed; each worker cycles the users.

    Workers start at different offsets in `users`, so concurrent requests are for different users.
    """
    result = LoadResult()
    lock = threading.Lock()
    stop_at = time.monotonic() + duration_s

    def worker(offset: int) -> None:
        latencies, errors, samples = [], 0, []
        with requests.Session() as session:
            for user in itertools.islice(itertools.cycle(users), offset, None):
                if time.monotonic() >= stop_at:
                    break
                started = time.perf_counter()
                try:
                    call(session, user)
                except (requests.RequestException, TargetError, ValueError, LookupError, TypeError) as error:
                    errors += 1
                    samples.append(f"{type(error).__name__}: {error}"[:300])
                    continue
                latencies.append(time.perf_counter() - started)
        with lock:
            result.latencies_s.extend(latencies)
            result.errors += errors
            result.error_samples.extend(samples[: max(0, 5 - len(result.error_samples))])

    step = max(1, len(users) // concurrency)
    threads = [threading.Thread(target=worker, args=(i * step,), daemon=True) for i in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed_s = time.monotonic() - started
    return result
