"""A process tree's memory and CPU time, from /proc.

Memory is the resident set (RSS) and the proportional set (PSS), each summed over the tree.

RSS counts pages shared between gunicorn's master and its forked worker twice, so it is the pessimistic
figure; PSS splits shared pages between the processes that map them, which is closer to what a container's
memory limit sees.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Memory:
    """Memory of a process tree in MiB."""

    rss_mb: float
    pss_mb: float


def _parent_of(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields after its closing ')' are fixed.
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants that are alive now."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (parent := _parent_of(int(entry.name))) is not None:
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def _kib_field(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by `root` and its live descendants."""
    ticks = 0
    for pid in process_tree(root):
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        utime, stime = stat.rsplit(")", 1)[1].split()[11:13]
        ticks += int(utime) + int(stime)
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_memory(root: int) -> Memory:
    """Current RSS and PSS of `root` and its descendants."""
    pids = process_tree(root)
    rss = sum(_kib_field(PROC / str(pid) / "status", "VmRSS") for pid in pids)
    pss = sum(_kib_field(PROC / str(pid) / "smaps_rollup", "Pss") for pid in pids)
    return Memory(round(rss / 1024, 1), round(pss / 1024, 1))


class PeakMemory:
    """Sample a process tree's memory every `interval_s` in a background thread and keep the peaks.

    Use as a context manager around the load; `peak` holds the highest RSS and PSS seen.
    """

    def __init__(self, root: int, interval_s: float = 0.1):
        self._root, self._interval_s = root, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak = Memory(0.0, 0.0)

    def _sample(self) -> None:
        while True:
            now = tree_memory(self._root)
            self.peak = Memory(max(self.peak.rss_mb, now.rss_mb), max(self.peak.pss_mb, now.pss_mb))
            if self._stop.wait(self._interval_s):
                return

    def __enter__(self) -> PeakMemory:
        if not os.path.exists(PROC / str(self._root)):
            raise ProcessLookupError(self._root)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
