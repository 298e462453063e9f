"""Command-line flags: TF Serving's names and parsing rules, plus the emulator's --mount."""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

import pytest

from serving.emulator.errors import ConfigError
from serving.emulator.settings import Mount, parse_settings

REQUIRED = ["--rest_api_port=8501", "--model_config_file=/models/models.config"]


def test_tf_serving_flag_names_are_read() -> None:
    settings = parse_settings(
        [
            *REQUIRED,
            "--rest_api_num_threads=3",
            "--rest_api_timeout_in_ms=250",
            "--rest_api_enable_cors_support",
            "--saved_model_tags=serve,gpu",
            "--enable_model_warmup=false",
            "--allow_version_labels_for_unavailable_models=true",
        ]
    )
    assert settings.rest_api_port == 8501
    assert settings.model_config_file == "/models/models.config"
    assert settings.rest_api_num_threads == 3
    assert settings.request_timeout_seconds == 0.25
    assert settings.rest_api_enable_cors_support is True
    assert settings.saved_model_tags == ("serve", "gpu")
    assert settings.enable_model_warmup is False
    assert settings.allow_version_labels_for_unavailable_models is True


def test_defaults_bind_loopback_with_warmup_and_a_30_second_deadline() -> None:
    settings = parse_settings(REQUIRED)
    assert settings.rest_api_host == "127.0.0.1"
    assert settings.enable_model_warmup is True
    assert settings.request_timeout_seconds == 30.0
    assert settings.rest_api_num_threads >= 4


def test_a_later_flag_overrides_an_earlier_one_as_docker_args_do() -> None:
    assert parse_settings([*REQUIRED, "--rest_api_port=8080"]).rest_api_port == 8080


def test_a_zero_timeout_disables_the_deadline() -> None:
    assert parse_settings([*REQUIRED, "--rest_api_timeout_in_ms=0"]).request_timeout_seconds is None


def test_single_model_flags_replace_the_config_file() -> None:
    settings = parse_settings(
        ["--rest_api_port=1", "--model_name=ranking", "--model_base_path=/models/ranking"]
    )
    assert (settings.model_name, settings.model_base_path) == ("ranking", "/models/ranking")


def test_unknown_and_unsupported_flags_are_reported_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        settings = parse_settings([*REQUIRED, "--enable_batching=true", "--port=8500", "--no_such_flag=1"])
    assert settings.rest_api_port == 8501
    assert "ignoring --enable_batching" in caplog.text
    assert "ignoring --port" in caplog.text
    assert "unknown argument: --no_such_flag=1" in caplog.text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model_config_file=/m/models.config"], "--rest_api_port must be a TCP port"),
        (["--rest_api_port=70000", "--model_config_file=/m"], "--rest_api_port must be a TCP port"),
        (["--rest_api_port=1"], "one of --model_config_file or --model_base_path is required"),
        ([*REQUIRED, "--rest_api_num_threads=0"], "--rest_api_num_threads must be positive"),
        ([*REQUIRED, "--rest_api_port=http"], "invalid int value"),
        ([*REQUIRED, "--enable_model_warmup=maybe"], "expected true or false"),
        ([*REQUIRED, "--mount=/no/such/folder:/models"], "host folder /no/such/folder does not exist"),
        ([*REQUIRED, "--mount=relative"], "expected HOSTDIR:/CONTAINER/DIR"),
    ],
)
def test_unusable_flags_stop_with_a_message(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_settings(argv)


def test_mount_maps_the_container_folder_and_nothing_else(tmp_path: Path) -> None:
    settings = parse_settings([*REQUIRED, f"--mount={tmp_path}:/models"])
    assert settings.mounts == (Mount(tmp_path.resolve(), PurePosixPath("/models")),)
    assert settings.host_path("/models/models.config") == tmp_path.resolve() / "models.config"
    assert settings.host_path("/models") == tmp_path.resolve()
    assert settings.host_path("/modelsX/a") == Path("/modelsX/a")
    assert settings.host_path("/elsewhere/ranking") == Path("/elsewhere/ranking")


def test_the_most_specific_mount_wins(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    settings = parse_settings([*REQUIRED, f"--mount={tmp_path}:/models", f"--mount={inner}:/models/ranking"])
    assert settings.host_path("/models/ranking/1") == inner.resolve() / "1"
    assert settings.host_path("/models/retrieval/1") == tmp_path.resolve() / "retrieval" / "1"
