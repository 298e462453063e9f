"""Fixtures for the function's tests: misbehaving model servers and function processes pointed at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.recommend.recommender.deadline import Deadline
from functions.recommend.recommender.tfserving import ModelEndpoint, TFServingClient
from tests.function.faulty_server import FaultyServer
from tests.support.servers import ServerProcess, start_function

# Short enough to keep fault tests quick, long enough for a loaded 2-core machine to answer normally.
FAULT_DEADLINE_S = 1.5


def _cleared(server: FaultyServer) -> Iterator[FaultyServer]:
    server.clear()
    yield server
    server.clear()


def _closed_after(server: FaultyServer) -> Iterator[FaultyServer]:
    yield server
    server.close()


@pytest.fixture(scope="session")
def _scripted_server() -> Iterator[FaultyServer]:
    yield from _closed_after(FaultyServer())


@pytest.fixture
def scripted(_scripted_server: FaultyServer) -> Iterator[FaultyServer]:
    """A model server that only plays what the test scripts (404 otherwise); fresh for each test."""
    yield from _cleared(_scripted_server)


@pytest.fixture
def client() -> Iterator[TFServingClient]:
    """A TF Serving client with two retries, no sleeping between them, and no auth."""
    tfserving = TFServingClient(pool_size=4, connect_timeout_s=0.5, retries=2, sleep=lambda _: None)
    yield tfserving
    tfserving.close()


@pytest.fixture
def endpoint(scripted: FaultyServer) -> ModelEndpoint:
    return ModelEndpoint(scripted.url, "retrieval")


@pytest.fixture
def deadline() -> Deadline:
    return Deadline(2.0)


@pytest.fixture(scope="session")
def _faulty_upstream(emulator: ServerProcess) -> Iterator[FaultyServer]:
    yield from _closed_after(FaultyServer(upstream=emulator.url))


@pytest.fixture
def faults(_faulty_upstream: FaultyServer) -> Iterator[FaultyServer]:
    """The emulator behind a server that injects the faults a test scripts; cleared for each test."""
    yield from _cleared(_faulty_upstream)


@pytest.fixture(scope="session")
def faulty_function(_faulty_upstream: FaultyServer) -> Iterator[ServerProcess]:
    """The function process calling the models through the fault-injecting server."""
    with start_function(
        _faulty_upstream.url,
        REQUEST_DEADLINE_S=str(FAULT_DEADLINE_S),
        CONNECT_TIMEOUT_S="0.2",
        UPSTREAM_RETRIES="2",
    ) as server:
        yield server
