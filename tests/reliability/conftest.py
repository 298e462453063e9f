"""Reliability fixtures: a fault-injecting proxy, functions behind it, a restartable model server.

Every function started here runs with a short request deadline, so that fault tests finish quickly and can
assert that answers come back within it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.clients import DEADLINE_S
from tests.reliability.faultproxy import FaultProxy
from tests.reliability.restartable import RestartableServer
from tests.support.servers import COMMITTED_MODELS, ServerProcess, start_emulator, start_function


@pytest.fixture(scope="session")
def fault_proxy(emulator: ServerProcess) -> Iterator[FaultProxy]:
    """A transparent proxy in front of the session's model server, until a test injects a fault."""
    with FaultProxy(emulator.url) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def proxied_function(fault_proxy: FaultProxy) -> Iterator[ServerProcess]:
    """The function, reaching the model server only through the fault proxy."""
    with start_function(fault_proxy.url, REQUEST_DEADLINE_S=str(DEADLINE_S)) as server:
        yield server


@pytest.fixture
def restartable_emulator() -> Iterator[RestartableServer]:
    """A model server of the test's own serving the committed models, to stop and restart."""
    emulator = RestartableServer(start_emulator(COMMITTED_MODELS))
    yield emulator
    emulator.stop()


@pytest.fixture
def function_of_restartable_emulator(restartable_emulator: RestartableServer) -> Iterator[ServerProcess]:
    """The function in front of the test's own model server."""
    with start_function(restartable_emulator.url, REQUEST_DEADLINE_S=str(DEADLINE_S)) as server:
        yield server
