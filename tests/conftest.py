"""Session-wide servers: the model-server emulator and the real function process, on free ports.

Each server starts once per test session, the first time a test asks for it, and stops at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.servers import REPO_ROOT, ServerProcess, free_port, python_cmd, start_server

COMMITTED_MODELS = REPO_ROOT / "serving" / "cloudrun" / "models"
FUNCTION_SOURCE = REPO_ROOT / "functions" / "recommend" / "main.py"
MODEL_NAMES = ("retrieval", "ranking")


def models_available(base_url: str) -> bool:
    """True once every model reports a version in state AVAILABLE."""
    for name in MODEL_NAMES:
        answer = requests.get(f"{base_url}/v1/models/{name}", timeout=2)
        states = [v["state"] for v in answer.json().get("model_version_status", [])] if answer.ok else []
        if "AVAILABLE" not in states:
            return False
    return True


def start_emulator(models_dir: Path) -> ServerProcess:
    """Serve `models_dir` (laid out for /models) with the emulator, as `make serve` would."""
    port = free_port()
    cmd = python_cmd(
        "-m",
        "serving.emulator",
        f"--rest_api_port={port}",
        "--model_config_file=/models/models.config",
        f"--mount={models_dir}:/models",
    )
    return start_server(cmd, port=port, ready=models_available, timeout=180)


def start_function(serving_url: str, **env: str) -> ServerProcess:
    """Run the function in a real functions-framework process pointed at `serving_url`."""
    port = free_port()
    cmd = python_cmd(
        "-m",
        "functions_framework",
        f"--source={FUNCTION_SOURCE}",
        "--target=recommend",
        "--host=127.0.0.1",
        f"--port={port}",
    )
    settings = {"TF_SERVING_URL": serving_url, **env}
    return start_server(cmd, port=port, ready=_answers_health_checks, env=settings, timeout=60)


def _answers_health_checks(base_url: str) -> bool:
    """Any HTTP answer on /healthz means the function process is serving (requests raise until then)."""
    requests.get(base_url + "/healthz", timeout=2)
    return True


def _serve(server: ServerProcess) -> Iterator[ServerProcess]:
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def codelab_like_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated model pair with the codelab's signatures, laid out for /models."""
    from tests.support.savedmodels import write_codelab_like_models

    return write_codelab_like_models(tmp_path_factory.mktemp("codelab-like-models"))


@pytest.fixture(scope="session")
def emulator() -> Iterator[ServerProcess]:
    """The emulator serving the committed models in serving/cloudrun/models."""
    yield from _serve(start_emulator(COMMITTED_MODELS))


@pytest.fixture(scope="session")
def codelab_emulator(codelab_like_models: Path) -> Iterator[ServerProcess]:
    """The emulator serving the generated codelab-shaped models."""
    yield from _serve(start_emulator(codelab_like_models))


@pytest.fixture(scope="session")
def function(emulator: ServerProcess) -> Iterator[ServerProcess]:
    """The recommend function, as a functions-framework process, in front of the committed models."""
    yield from _serve(start_function(emulator.url))


@pytest.fixture(scope="session")
def codelab_function(codelab_emulator: ServerProcess) -> Iterator[ServerProcess]:
    """The recommend function in front of the codelab-shaped models, configured by environment only."""
    yield from _serve(start_function(codelab_emulator.url))
