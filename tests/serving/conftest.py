"""Serving fixtures: the conformance models, and the model server the conformance suite talks to."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.servers import ServerProcess, http_ok, start_emulator

EMULATOR_SERVER_HEADER = "tf-serving-emulator"


@dataclass(frozen=True)
class ModelServer:
    """A TF-Serving-compatible server serving the conformance models."""

    url: str
    is_emulator: bool


@pytest.fixture(scope="session")
def conformance_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The conformance SavedModels and their models.config, laid out for /models."""
    from tests.serving.conformance_models import write_conformance_models

    return write_conformance_models(tmp_path_factory.mktemp("conformance-models"))


@pytest.fixture(scope="session")
def conformance_emulator(conformance_models: Path) -> Iterator[ServerProcess]:
    """The emulator process serving the conformance models."""
    with start_emulator_on(conformance_models) as server:
        yield server


@pytest.fixture(scope="session")
def model_server(request: pytest.FixtureRequest) -> ModelServer:
    """TF_SERVING_URL if set (it must serve the conformance models), else the conformance emulator."""
    url = os.environ.get("TF_SERVING_URL", "").rstrip("/")
    if url:
        return ModelServer(url, _is_emulator(url))
    emulator: ServerProcess = request.getfixturevalue("conformance_emulator")
    return ModelServer(emulator.url, is_emulator=True)


def start_emulator_on(models: Path) -> ServerProcess:
    """The emulator serving `models` (a /models folder with models.config) on a free port."""
    from tests.serving.conformance_models import SERVER_FLAGS

    return start_emulator(models, *SERVER_FLAGS, ready=http_ok("/v1/models/half_plus_two"))


def _is_emulator(url: str) -> bool:
    answer = requests.get(f"{url}/v1/models/half_plus_two", timeout=10)
    return answer.headers.get("Server", "") == EMULATOR_SERVER_HEADER
