"""Measure several targets side by side: the same users, the same concurrency, alternating slices.

Alternating short slices, rather than one long run per target, spread a noisy neighbour on the machine over
all targets alike. The CPU time of each target's own server, and of the model server side, is counted per
slice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bench.config import BenchConfig
from bench.load import Call, LoadResult, run_closed_loop
from bench.proctree import tree_cpu_s

log = logging.getLogger("bench")


@dataclass(frozen=True)
class Target:
    """One thing to measure: its Call and the process serving it, if any, whose CPU time is counted."""

    call: Call
    server_pid: int | None = None


@dataclass
class Measured:
    """A target's load result and the CPU seconds its server and the model server side spent meanwhile."""

    load: LoadResult = field(default_factory=LoadResult)
    server_cpu_s: float = 0.0
    upstream_cpu_s: float = 0.0

    def cpu_ms_per_request(self) -> dict[str, float | None]:
        """CPU milliseconds per successful request: the target's own server, and the model server side."""
        done = len(self.load.latencies_s)
        return {
            "server": round(self.server_cpu_s * 1000 / done, 3) if done else None,
            "upstream": round(self.upstream_cpu_s * 1000 / done, 3) if done else None,
        }


def _cpu_s(pids: list[int]) -> float:
    return sum(tree_cpu_s(pid) for pid in pids)


def measure(targets: dict[str, Target], upstream_pids: list[int], config: BenchConfig) -> dict[str, Measured]:
    """Warm each target up, then measure them in `config.rounds` alternating slices."""
    users = config.user_ids
    for name, target in targets.items():
        log.info(f"warming up {name}")
        run_closed_loop(target.call, users, concurrency=config.concurrency, duration_s=config.warmup_s)
    results = {name: Measured() for name in targets}
    for round_number in range(1, config.rounds + 1):
        for name, target in targets.items():
            log.info(f"round {round_number}/{config.rounds}: {name}")
            own = [target.server_pid] if target.server_pid else []
            own_before, upstream_before = _cpu_s(own), _cpu_s(upstream_pids)
            load = run_closed_loop(
                target.call,
                users,
                concurrency=config.concurrency,
                duration_s=config.duration_s / config.rounds,
            )
            result = results[name]
            result.load = result.load.merge(load)
            result.server_cpu_s += _cpu_s(own) - own_before
            result.upstream_cpu_s += _cpu_s(upstream_pids) - upstream_before
    return results
