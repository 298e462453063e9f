"""Session-wide servers: the model-server emulator and the real function process, on free ports.

Each server starts once per test session, the first time a test asks for it, and stops at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import (
    COMMITTED_MODELS,
    ServerProcess,
    start_emulator,
    start_function,
)


@pytest.fixture(scope="session")
def codelab_like_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated model pair with the codelab's signatures, laid out for /models."""
    from tests.support.savedmodels import write_codelab_like_models

    return write_codelab_like_models(tmp_path_factory.mktemp("codelab-like-models"))


@pytest.fixture(scope="session")
def emulator() -> Iterator[ServerProcess]:
    """The emulator serving the committed models in serving/cloudrun/models."""
    with start_emulator(COMMITTED_MODELS) as server:
        yield server


@pytest.fixture(scope="session")
def codelab_emulator(codelab_like_models: Path) -> Iterator[ServerProcess]:
    """The emulator serving the generated codelab-shaped models."""
    with start_emulator(codelab_like_models) as server:
        yield server


@pytest.fixture(scope="session")
def function(emulator: ServerProcess) -> Iterator[ServerProcess]:
    """The recommend function, as a functions-framework process, in front of the committed models."""
    with start_function(emulator.url) as server:
        yield server


@pytest.fixture(scope="session")
def codelab_function(codelab_emulator: ServerProcess) -> Iterator[ServerProcess]:
    """The recommend function in front of the codelab-shaped models, configured by environment only."""
    with start_function(codelab_emulator.url) as server:
        yield server
