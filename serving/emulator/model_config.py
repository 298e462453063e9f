"""What to serve: models.config (or --model_name/--model_base_path) resolved to servable folders on disk.

The config is parsed with TF Serving's own protobuf schema, so anything TF Serving would reject as
malformed is rejected here too. Unlike TF Serving, which keeps polling a base path that has no
version yet, the emulator stops at once with a message: a development server that never opens its
port is harder to diagnose than one that says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from google.protobuf import text_format
from tensorflow_serving.config import file_system_storage_path_source_pb2, model_server_config_pb2

from serving.emulator.errors import ConfigError
from serving.emulator.settings import Settings

TENSORFLOW_PLATFORM = "tensorflow"
_VERSION_DIR = re.compile(r"\d+")


@dataclass(frozen=True)
class VersionPolicy:
    """`model_version_policy`: the latest N versions (default 1), all of them, or specific ones."""

    kind: str = "latest"
    num_versions: int = 1
    versions: tuple[int, ...] = ()

    def select(self, available: list[int]) -> list[int]:
        """The versions to load, highest first, out of those found on disk."""
        newest_first = sorted(available, reverse=True)
        if self.kind == "all":
            return newest_first
        if self.kind == "specific":
            return [v for v in newest_first if v in self.versions]
        return newest_first[: self.num_versions]


@dataclass(frozen=True)
class ModelConfig:
    """One `config { ... }` entry, with its base path mapped to this machine."""

    name: str
    base_path: Path
    policy: VersionPolicy = VersionPolicy()
    labels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ServableSpec:
    """One model version to load: its name, number and SavedModel folder."""

    name: str
    version: int
    path: Path


def read_model_configs(settings: Settings) -> tuple[ModelConfig, ...]:
    """The models the flags ask for; raises ConfigError if the configuration cannot be served."""
    if settings.model_config_file:
        configs = _parse_config_file(settings)
    else:
        configs = (ModelConfig(settings.model_name, settings.host_path(settings.model_base_path)),)
    _check_unique_names(configs)
    if not settings.allow_version_labels_for_unavailable_models:
        _check_no_startup_labels(configs)
    return configs


def plan_servables(config: ModelConfig) -> list[ServableSpec]:
    """The version folders `config` selects; raises ConfigError if none (or a requested one) exists."""
    if not config.base_path.is_dir():
        raise ConfigError(f"base path {config.base_path} for model {config.name} does not exist")
    found = [int(p.name) for p in config.base_path.iterdir() if p.is_dir() and _VERSION_DIR.fullmatch(p.name)]
    if not found:
        raise ConfigError(
            f"No versions of servable {config.name} found under base path {config.base_path}. "
            "Did you forget to name your leaf directory as a number (eg. '/1/')?"
        )
    missing = sorted(set(config.policy.versions) - set(found)) if config.policy.kind == "specific" else []
    if missing:
        raise ConfigError(
            f"model {config.name}: version(s) {', '.join(map(str, missing))} requested by "
            f"model_version_policy are not under {config.base_path}"
        )
    return [ServableSpec(config.name, v, config.base_path / str(v)) for v in config.policy.select(found)]


def _parse_config_file(settings: Settings) -> tuple[ModelConfig, ...]:
    path = settings.host_path(settings.model_config_file)
    try:
        text = path.read_text()
    except OSError as error:
        hint = "" if settings.mounts else " (map its folder with --mount=HOSTDIR:/models)"
        raise ConfigError(f"cannot read model config file {path}: {error.strerror}{hint}") from error
    message = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as error:
        raise ConfigError(f"malformed model config file {path}: {error}") from error
    if message.WhichOneof("config") != "model_config_list":
        raise ConfigError(f"model config file {path} has no model_config_list (the only kind served here)")
    if not message.model_config_list.config:
        raise ConfigError(f"model config file {path} lists no models")
    return tuple(_model_config(entry, settings, path) for entry in message.model_config_list.config)


def _model_config(
    entry: model_server_config_pb2.ModelConfig, settings: Settings, source: Path
) -> ModelConfig:
    if not entry.name:
        raise ConfigError(f"a model in {source} has no name")
    if not entry.base_path:
        raise ConfigError(f"model {entry.name} in {source} has no base_path")
    if not entry.model_platform and not entry.model_type:
        raise ConfigError("Illegal setting neither model_type(deprecated) nor model_platform.")
    if entry.model_platform and entry.model_platform != TENSORFLOW_PLATFORM:
        raise ConfigError(
            f"model {entry.name}: model_platform {entry.model_platform!r} is not served here "
            f"(only {TENSORFLOW_PLATFORM!r})"
        )
    return ModelConfig(
        name=entry.name,
        base_path=settings.host_path(entry.base_path),
        policy=_version_policy(entry.model_version_policy),
        labels=MappingProxyType(dict(entry.version_labels)),
    )


def _version_policy(
    policy: file_system_storage_path_source_pb2.FileSystemStoragePathSourceConfig.ServableVersionPolicy,
) -> VersionPolicy:
    kind = policy.WhichOneof("policy_choice")
    if kind == "all":
        return VersionPolicy("all")
    if kind == "specific":
        return VersionPolicy("specific", versions=tuple(policy.specific.versions))
    if kind == "latest":
        return VersionPolicy("latest", num_versions=max(1, policy.latest.num_versions))
    return VersionPolicy()


def _check_unique_names(configs: tuple[ModelConfig, ...]) -> None:
    seen: set[str] = set()
    for config in configs:
        if config.name in seen:
            raise ConfigError(f"model {config.name} is listed more than once")
        seen.add(config.name)


def _check_no_startup_labels(configs: tuple[ModelConfig, ...]) -> None:
    """TF Serving assigns labels before any version is loaded, so it refuses them at startup."""
    labelled = next((config for config in configs if config.labels), None)
    if labelled is not None:
        version = next(iter(labelled.labels.values()))
        raise ConfigError(
            f"Request to assign label to version {version} of model {labelled.name}, which is not "
            "currently available for inference (start with "
            "--allow_version_labels_for_unavailable_models=true, as TF Serving needs too)"
        )
