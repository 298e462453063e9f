"""Benchmark parameters, read once from the command line into a frozen dataclass."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTION_SOURCE = REPO_ROOT / "functions" / "recommend" / "main.py"


@dataclass(frozen=True)
class BenchConfig:
    """What to measure and for how long.

    `duration_s` is the measured time per target and scheme, split into `rounds` slices that alternate between
    the targets so that a noisy neighbour on the machine hits all of them alike.
    """

    models_dir: Path
    output: Path
    concurrency: int
    duration_s: float
    warmup_s: float
    rounds: int
    users: int
    k: int
    cold_starts: int
    function_threads: int | None
    function_source: Path

    @property
    def user_ids(self) -> tuple[str, ...]:
        """MovieLens-style user ids "1".."users", the same set for every target."""
        return tuple(str(i) for i in range(1, self.users + 1))


def _positive(kind: type):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def parse_config(argv: Sequence[str] | None = None) -> BenchConfig:
    """Parse `python -m bench` flags; each flag's dest is the BenchConfig field it sets."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure the model calls alone, the function and the codelab pattern, side by side.",
    )
    add = parser.add_argument
    add("--models-dir", type=Path, default=REPO_ROOT / "serving" / "cloudrun" / "models")
    add("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "latest.json")
    add("--concurrency", type=_positive(int), default=8, help="closed-loop clients per target")
    add("--duration", dest="duration_s", type=_positive(float), default=20.0, help="measured s per target")
    add("--warmup", dest="warmup_s", type=_positive(float), default=2.0, help="unmeasured s per target")
    add("--rounds", type=_positive(int), default=5, help="alternating slices per target")
    add("--users", type=_positive(int), default=200, help="distinct user ids, cycled")
    add("--k", type=_positive(int), default=10, help="recommendations asked per request")
    add("--cold-starts", type=_positive(int), default=5, help="function starts to time")
    add(
        "--function-threads",
        type=_positive(int),
        default=None,
        help="gunicorn THREADS for the function (default: unset, so functions-framework's 4 per CPU)",
    )
    add(
        "--function-source",
        type=Path,
        default=FUNCTION_SOURCE,
        help="the function's main.py (default: functions/recommend/main.py); to measure a candidate change",
    )
    args = parser.parse_args(argv)
    resolved = {"models_dir": args.models_dir.resolve(), "function_source": args.function_source.resolve()}
    return BenchConfig(**{**vars(args), **resolved})
