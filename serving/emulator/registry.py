"""The loaded models, looked up by name, version or label with TF Serving's errors and messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from serving.emulator.errors import ServingError
from serving.emulator.servables import Servable


@dataclass(frozen=True)
class Model:
    """Every loaded version of one configured model, and its version labels."""

    name: str
    versions: Mapping[int, Servable]
    labels: Mapping[str, int]


@dataclass(frozen=True)
class ModelRef:
    """What a request URL names: a model, optionally a version or a label (never both)."""

    name: str
    version: int | None = None
    label: str | None = None


class Registry:
    """Read-only after startup, so request threads share it without locking."""

    def __init__(self, models: Iterable[Model]) -> None:
        self._models = {model.name: model for model in models}

    @property
    def models(self) -> tuple[Model, ...]:
        return tuple(self._models.values())

    def servable(self, ref: ModelRef) -> Servable:
        """The servable a predict or metadata request addresses (the highest version by default)."""
        model = self._models.get(ref.name)
        version = ref.version
        if ref.label is not None:
            if model is None or ref.label not in model.labels:
                raise ServingError.invalid_argument(f"Unrecognized servable version label: {ref.label}")
            version = model.labels[ref.label]
        if version is None:
            if model is None or not model.versions:
                raise ServingError.not_found(f"Servable not found for request: Latest({ref.name})")
            return model.versions[max(model.versions)]
        if model is None or version not in model.versions:
            raise ServingError.not_found(f"Servable not found for request: Specific({ref.name}, {version})")
        return model.versions[version]

    def status_versions(self, ref: ModelRef) -> list[int]:
        """The versions a status request reports; like TF Serving, a label is ignored there."""
        model = self._models.get(ref.name)
        if ref.version is None:
            if model is None or not model.versions:
                raise ServingError.not_found(f"Could not find any versions of model {ref.name}")
            return sorted(model.versions, reverse=True)
        if model is None or ref.version not in model.versions:
            raise ServingError.not_found(f"Could not find version {ref.version} of model {ref.name}")
        return [ref.version]
