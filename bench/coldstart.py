"""Cold start of the function: from process start to its first 200 answer on /recommend.

The model server is already up and warm, so the figure is the function's own share of a cold request: Python
start, imports, configuration, gunicorn's fork, and the first chain call on fresh connections.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import requests

from bench.processes import function_cmd
from tests.support.servers import REPO_ROOT, free_port

POLL_S = 0.005


class ColdStartError(Exception):
    """The function did not answer 200 in time, or exited."""


def time_one_start(env: Mapping[str, str], user: str, source: Path, *, timeout_s: float = 30.0) -> float:
    """Seconds from spawning the function in `source` to its first 200 on POST /recommend for `user`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/recommend"
    started = time.perf_counter()
    process = subprocess.Popen(
        function_cmd(port, source),
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with requests.Session() as session:
            while time.perf_counter() - started < timeout_s:
                if process.poll() is not None:
                    raise ColdStartError(f"the function exited with {process.returncode}")
                try:
                    if session.post(url, json={"user_id": user}, timeout=timeout_s).status_code == 200:
                        return time.perf_counter() - started
                except requests.ConnectionError:
                    pass
                time.sleep(POLL_S)
        raise ColdStartError(f"no 200 from {url} within {timeout_s:.0f} s")
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group (gunicorn's master and worker), SIGKILL if it lingers."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def median_cold_start(env: Mapping[str, str], users: list[str], source: Path) -> tuple[float, list[float]]:
    """Median and all of one cold start per user in `users` (a different user each, so no cache helps)."""
    times = [time_one_start(env, user, source) for user in users]
    return statistics.median(times), times
