"""In-process fixtures for the emulator's own tests: the conformance models loaded once, servers on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from serving.emulator.api import RestApi
from serving.emulator.http_server import RestServer
from serving.emulator.loader import load_registry
from serving.emulator.model_config import plan_servables, read_model_configs
from serving.emulator.predict import Predictor
from serving.emulator.registry import Registry
from serving.emulator.settings import Mount, Settings
from tests.support.servers import free_port


def settings_for(models: Path, **overrides: object) -> Settings:
    """Settings serving `models` at /models, as the command line of the conformance emulator says."""
    base = Settings(
        rest_api_port=free_port(),
        model_config_file="/models/models.config",
        mounts=(Mount(models, PurePosixPath("/models")),),
        allow_version_labels_for_unavailable_models=True,
    )
    return replace(base, **overrides)


@pytest.fixture(scope="session")
def registry(conformance_models: Path) -> Registry:
    """The conformance models loaded in this process (warmup included), as the emulator loads them."""
    settings = settings_for(conformance_models)
    configs = read_model_configs(settings)
    specs = [spec for config in configs for spec in plan_servables(config)]
    return load_registry(configs, specs, settings.saved_model_tags, warmup=True)


@contextmanager
def serving(registry: Registry, settings: Settings) -> Iterator[str]:
    """A RestServer for `registry` on its own thread; yields its base URL."""
    predictor = Predictor(registry, settings.rest_api_num_threads, settings.request_timeout_seconds)
    server = RestServer(settings, RestApi(registry, predictor))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{settings.rest_api_port}"
    finally:
        server.shutdown()
        server.server_close()
        predictor.close()
        thread.join(5)
