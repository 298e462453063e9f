"""serving/serve.sh (`make serve`): which server it picks, and the command line it gives each.

tensorflow_model_server and a Docker daemon cannot run here, so they are stand-in scripts that print
their arguments; the emulator case also runs for real.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import requests

from tests.serving.conformance_models import SERVER_FLAGS
from tests.support.servers import REPO_ROOT, free_port, start_server

SCRIPT = REPO_ROOT / "serving" / "serve.sh"
IMAGE = (REPO_ROOT / "serving" / "cloudrun" / "tf-serving-image.txt").read_text().strip()
PRINT_ARGS = '#!/bin/sh\nprintf "%s\\n" "$(basename "$0")" "$@"\n'


def fake_command(folder: Path, name: str, script: str = PRINT_ARGS) -> Path:
    path = folder / name
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def fakes(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    fake_command(folder, "python")
    return folder


def run_serve(fakes: Path, models: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": f"{fakes}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "TMPDIR": str(fakes),
        "MODELS_DIR": str(models),
        "TF_SERVING_PORT": "9123",
        "PY": str(fakes / "python"),
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def printed_command(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The stand-in's arguments: everything after serve.sh's own announcement line."""
    assert result.returncode == 0, result.stderr
    announcement, *command = result.stdout.splitlines()
    assert announcement.startswith("serve: ")
    return command


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "models.config").write_text(
        "model_config_list { config {"
        " name: 'ranking' base_path: '/models/ranking' model_platform: 'tensorflow' } }"
    )
    return folder


def test_tensorflow_model_server_on_the_path_comes_first(fakes: Path, models: Path) -> None:
    fake_command(fakes, "tensorflow_model_server")
    fake_command(fakes, "docker", "#!/bin/sh\nexit 0\n")
    result = run_serve(fakes, models, "--enable_batching=true")
    command = printed_command(result)
    assert command[:3] == ["tensorflow_model_server", "--port=8500", "--rest_api_port=9123"]
    assert command[-1] == "--enable_batching=true"
    config = Path(command[3].removeprefix("--model_config_file="))
    assert f"base_path: '{models}/ranking'" in config.read_text()
    assert "with " + str(fakes / "tensorflow_model_server") in result.stdout


def test_docker_with_a_running_daemon_serves_the_pinned_image(fakes: Path, models: Path) -> None:
    fake_command(fakes, "docker", '#!/bin/sh\n[ "$1" = info ] && exit 0\nprintf "%s\\n" docker "$@"\n')
    command = printed_command(run_serve(fakes, models))
    assert command[:2] == ["docker", "run"]
    assert command[command.index("--platform") + 1] == "linux/amd64"
    assert command[command.index("-p") + 1] == "127.0.0.1:9123:8501"
    assert command[command.index("-v") + 1] == f"{models}:/models:ro"
    assert command[command.index("--entrypoint") + 1] == "tensorflow_model_server"
    assert "--init" in command  # Ctrl-C reaches the server
    assert command[command.index(IMAGE) + 1 :] == [
        "--port=8500",
        "--rest_api_port=8501",
        "--model_config_file=/models/models.config",
    ]


def test_without_a_docker_daemon_the_emulator_serves(fakes: Path, models: Path) -> None:
    fake_command(fakes, "docker", "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    result = run_serve(fakes, models)
    assert printed_command(result) == [
        "python",
        "-m",
        "serving.emulator",
        "--rest_api_port=9123",
        "--model_config_file=/models/models.config",
        f"--mount={models}:/models",
    ]
    assert "TF Serving emulator (a development stand-in" in result.stdout


def test_model_server_picks_the_emulator_explicitly(fakes: Path, models: Path) -> None:
    fake_command(fakes, "tensorflow_model_server")
    command = printed_command(run_serve(fakes, models, MODEL_SERVER="emulator"))
    assert command[:3] == ["python", "-m", "serving.emulator"]


def test_a_folder_without_models_config_is_refused(fakes: Path, tmp_path: Path) -> None:
    result = run_serve(fakes, tmp_path)
    assert result.returncode == 1
    assert f"serve: {tmp_path}/models.config not found" in result.stderr


def test_an_unknown_model_server_choice_is_refused(fakes: Path, models: Path) -> None:
    result = run_serve(fakes, models, MODEL_SERVER="podman")
    assert result.returncode == 1
    assert "MODEL_SERVER must be auto, native, docker or emulator" in result.stderr


def test_make_serve_runs_the_emulator_here(conformance_models: Path) -> None:
    port = free_port()
    env = {"MODELS_DIR": str(conformance_models), "TF_SERVING_PORT": str(port), "MODEL_SERVER": "auto"}
    cmd = ["make", "--no-print-directory", "serve", f"SERVE_FLAGS={' '.join(SERVER_FLAGS)}"]
    server = start_server(
        cmd, port=port, ready=lambda url: requests.get(url + "/v1/models/multi_io").ok, env=env
    )
    try:
        answer = requests.post(
            f"{server.url}/v1/models/half_plus_two:predict", json={"inputs": [1.0]}, timeout=30
        )
        assert answer.json() == {"outputs": [3.5]}
        assert "with the TF Serving emulator" in server.log()
    finally:
        server.stop()
