"""Bad configuration stops the real emulator process before it listens, with one clear line on stderr."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from serving.emulator.errors import ConfigError
from serving.emulator.registry import Registry
from tests.serving.emulator.conftest import serving, settings_for
from tests.support.servers import REPO_ROOT, free_port, python_cmd

TWO_MODELS = """model_config_list {
  config { name: "good" base_path: "/models/good" model_platform: "tensorflow" }
  config { name: "broken" base_path: "/models/broken" model_platform: "tensorflow" }
}
"""


def run_emulator(models: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    cmd = python_cmd(
        "-m",
        "serving.emulator",
        f"--rest_api_port={free_port()}",
        "--model_config_file=/models/models.config",
        f"--mount={models}:/models",
        *flags,
    )
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)


def failure_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line the emulator printed about why it did not start."""
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "failed to start" in line]
    assert len(lines) == 1, result.stderr
    assert result.stderr.rstrip().endswith(lines[0])
    return lines[0]


def test_missing_models_folder(tmp_path: Path) -> None:
    line = failure_line(run_emulator(tmp_path / "absent"))
    assert f"host folder {tmp_path}/absent does not exist" in line


def test_malformed_models_config(tmp_path: Path) -> None:
    (tmp_path / "models.config").write_text("model_config_list { config { name: 'a' base_path: }")
    line = failure_line(run_emulator(tmp_path))
    assert "malformed model config file" in line
    assert str(tmp_path / "models.config") in line


def test_missing_models_config(tmp_path: Path) -> None:
    assert "cannot read model config file" in failure_line(run_emulator(tmp_path))


def test_base_path_without_a_numeric_version(tmp_path: Path) -> None:
    (tmp_path / "models.config").write_text(TWO_MODELS)
    (tmp_path / "good" / "latest").mkdir(parents=True)
    assert "No versions of servable good found under base path" in failure_line(run_emulator(tmp_path))


def test_an_unreadable_savedmodel_stops_every_model_from_being_served(
    tmp_path: Path, conformance_models: Path
) -> None:
    (tmp_path / "models.config").write_text(TWO_MODELS)
    shutil.copytree(conformance_models / "half_plus_two" / "1", tmp_path / "good" / "1")
    (tmp_path / "broken" / "7").mkdir(parents=True)
    (tmp_path / "broken" / "7" / "saved_model.pb").write_bytes(b"not a protobuf")
    line = failure_line(run_emulator(tmp_path))
    assert "1 servable(s) did not become available: {name: broken version: 7}" in line


def test_a_busy_port_is_reported(registry: Registry, conformance_models: Path) -> None:
    settings = settings_for(conformance_models)
    busy = f"cannot listen on 127.0.0.1:{settings.rest_api_port}: Address already in use"
    with serving(registry, settings), pytest.raises(ConfigError, match=busy), serving(registry, settings):
        pass
