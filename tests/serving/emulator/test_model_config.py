"""models.config reading and version selection: what gets loaded, and which configurations are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving.emulator.errors import ConfigError
from serving.emulator.model_config import ModelConfig, VersionPolicy, plan_servables, read_model_configs
from tests.serving.emulator.conftest import settings_for

# The codelab's file, single quotes included.
CODELAB_CONFIG = """
model_config_list {
  config { name: 'retrieval' base_path: '/models/retrieval' model_platform: 'tensorflow' }
  config { name: 'ranking' base_path: '/models/ranking' model_platform: 'tensorflow' }
}
"""


def write_config(folder: Path, text: str) -> Path:
    (folder / "models.config").write_text(text)
    return folder


def make_versions(base: Path, *names: str) -> Path:
    for name in names:
        (base / name).mkdir(parents=True)
    return base


def test_codelab_config_maps_base_paths_through_the_mount(tmp_path: Path) -> None:
    configs = read_model_configs(settings_for(write_config(tmp_path, CODELAB_CONFIG)))
    assert [(c.name, c.base_path) for c in configs] == [
        ("retrieval", tmp_path / "retrieval"),
        ("ranking", tmp_path / "ranking"),
    ]
    assert all(c.policy == VersionPolicy() for c in configs)


def test_version_policy_and_labels_are_read(tmp_path: Path) -> None:
    text = """model_config_list { config {
        name: "m" base_path: "/models/m" model_platform: "tensorflow"
        model_version_policy { specific { versions: 1 versions: 3 } }
        version_labels { key: "stable" value: 1 }
    } }"""
    (config,) = read_model_configs(settings_for(write_config(tmp_path, text)))
    assert config.policy == VersionPolicy("specific", versions=(1, 3))
    assert dict(config.labels) == {"stable": 1}


def test_labels_at_startup_need_the_flag_tf_serving_needs(tmp_path: Path) -> None:
    text = """model_config_list { config {
        name: "m" base_path: "/models/m" model_platform: "tensorflow" version_labels { key: "a" value: 2 }
    } }"""
    settings = settings_for(write_config(tmp_path, text), allow_version_labels_for_unavailable_models=False)
    with pytest.raises(ConfigError, match="Request to assign label to version 2 of model m"):
        read_model_configs(settings)


def test_single_model_mode_serves_the_base_path(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, model_config_file="", model_name="ranking", model_base_path="/models/r")
    assert read_model_configs(settings) == (ModelConfig("ranking", tmp_path / "r"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model_config_list { config { name: 'm' ", "malformed model config file .*models.config: 1:"),
        ("model_config_list { config { nme: 'm' } }", "malformed model config file .*has no field named"),
        ("custom_model_config { }", "has no model_config_list"),
        ("model_config_list { }", "lists no models"),
        (
            "model_config_list { config { base_path: '/models/m' model_platform: 'tensorflow' } }",
            "has no name",
        ),
        ("model_config_list { config { name: 'm' model_platform: 'tensorflow' } }", "has no base_path"),
        (
            "model_config_list { config { name: 'm' base_path: '/models/m' } }",
            r"Illegal setting neither model_type\(deprecated\) nor model_platform.",
        ),
        (
            "model_config_list { config { name: 'm' base_path: '/models/m' model_platform: 'pytorch' } }",
            "model_platform 'pytorch' is not served here",
        ),
        (
            "model_config_list { config { name: 'm' base_path: '/a' model_platform: 'tensorflow' }"
            " config { name: 'm' base_path: '/b' model_platform: 'tensorflow' } }",
            "model m is listed more than once",
        ),
    ],
)
def test_bad_configs_are_refused_with_a_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_model_configs(settings_for(write_config(tmp_path, text)))


def test_a_missing_config_file_suggests_the_mount(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, mounts=())
    with pytest.raises(ConfigError, match=r"cannot read model config file /models/models.config.*--mount"):
        read_model_configs(settings)


def test_latest_version_is_the_highest_number_and_other_folders_are_ignored(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "m", "1", "2", "10", "tmp", "3.bak")
    (base / "20").write_text("a file, not a version folder")
    specs = plan_servables(ModelConfig("m", base))
    assert [(s.version, s.path) for s in specs] == [(10, base / "10")]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (VersionPolicy("latest", num_versions=2), [10, 2]),
        (VersionPolicy("all"), [10, 2, 1]),
        (VersionPolicy("specific", versions=(1, 2)), [2, 1]),
    ],
)
def test_version_policies_select_versions(tmp_path: Path, policy: VersionPolicy, expected: list[int]) -> None:
    base = make_versions(tmp_path / "m", "1", "2", "10")
    assert [s.version for s in plan_servables(ModelConfig("m", base, policy))] == expected


def test_a_missing_base_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"base path {tmp_path}/m for model m does not exist"):
        plan_servables(ModelConfig("m", tmp_path / "m"))


def test_a_base_path_without_numeric_versions_is_refused(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "m", "latest")
    with pytest.raises(ConfigError, match="No versions of servable m found under base path"):
        plan_servables(ModelConfig("m", base))


def test_a_specific_version_that_is_not_on_disk_is_refused(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "m", "1")
    with pytest.raises(ConfigError, match=r"version\(s\) 2, 5 requested by model_version_policy"):
        plan_servables(ModelConfig("m", base, VersionPolicy("specific", versions=(5, 1, 2))))
