"""Start real server processes on free loopback ports and wait until they answer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED_MODELS = REPO_ROOT / "serving" / "cloudrun" / "models"
FUNCTION_SOURCE = REPO_ROOT / "functions" / "recommend" / "main.py"
MODEL_NAMES = ("retrieval", "ranking")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """A running server process, its base URL and its captured output."""

    url: str
    port: int
    process: subprocess.Popen
    log_path: Path
    cmd: Sequence[str] = field(default_factory=list)

    def log(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the process (SIGTERM, then SIGKILL) and wait for it."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


def http_ok(path: str) -> Callable[[str], bool]:
    """A readiness check: GET base_url + path answers 200."""

    def check(base_url: str) -> bool:
        return requests.get(base_url + path, timeout=2).status_code == 200

    return check


def start_server(
    cmd: Sequence[str],
    *,
    port: int,
    ready: Callable[[str], bool],
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
    cwd: Path = REPO_ROOT,
) -> ServerProcess:
    """Start `cmd` in its own process group and return once `ready(url)` is true.

    Raises RuntimeError with the process log if it exits or is not ready within `timeout` seconds.
    """
    log_file = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)  # noqa: SIM115
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = subprocess.Popen(
        list(cmd), cwd=cwd, env=full_env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = ServerProcess(f"http://127.0.0.1:{port}", port, process, Path(log_file.name), list(cmd))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited with {process.returncode}:\n{server.log()}")
        try:
            if ready(server.url):
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{cmd[0]} not ready after {timeout:.0f}s:\n{server.log()}")


def python_cmd(*args: str) -> list[str]:
    """The current interpreter running `args` (so tests use the project's virtualenv)."""
    return [sys.executable, *args]


def models_available(base_url: str, names: Sequence[str] = MODEL_NAMES) -> bool:
    """True once every named model reports a version in state AVAILABLE."""
    for name in names:
        answer = requests.get(f"{base_url}/v1/models/{name}", timeout=2)
        states = [v["state"] for v in answer.json().get("model_version_status", [])] if answer.ok else []
        if "AVAILABLE" not in states:
            return False
    return True


def emulator_cmd(port: int, models_dir: Path, *flags: str) -> list[str]:
    """The emulator's command line serving `models_dir` (laid out for /models), as `make serve` runs it."""
    return python_cmd(
        "-m",
        "serving.emulator",
        f"--rest_api_port={port}",
        "--model_config_file=/models/models.config",
        f"--mount={models_dir}:/models",
        *flags,
    )


def start_emulator(
    models_dir: Path, *flags: str, ready: Callable[[str], bool] = models_available
) -> ServerProcess:
    """Serve `models_dir` with the emulator on a free port; return once `ready(url)`."""
    port = free_port()
    return start_server(emulator_cmd(port, models_dir, *flags), port=port, ready=ready, timeout=180)


def function_cmd(port: int, source: Path = FUNCTION_SOURCE) -> list[str]:
    """The functions-framework command line serving `source`'s `recommend` on 127.0.0.1:`port`."""
    return python_cmd(
        "-m",
        "functions_framework",
        f"--source={source}",
        "--target=recommend",
        "--host=127.0.0.1",
        f"--port={port}",
    )


def start_function(serving_url: str, source: Path = FUNCTION_SOURCE, **env: str) -> ServerProcess:
    """Run the function from `source` in a real functions-framework process pointed at `serving_url`."""
    port = free_port()
    settings = {"TF_SERVING_URL": serving_url, **env}
    return start_server(
        function_cmd(port, source), port=port, ready=_answers_health_checks, env=settings, timeout=60
    )


def _answers_health_checks(base_url: str) -> bool:
    """Any HTTP answer on /healthz means the function process is serving (requests raise until then)."""
    requests.get(base_url + "/healthz", timeout=2)
    return True
