"""HTTPS model servers: a private CA named by REQUESTS_CA_BUNDLE is trusted, and nothing else is."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.tls import write_self_signed_cert
from functions.recommend.recommender.deadline import Deadline
from functions.recommend.recommender.errors import UpstreamUnavailable
from functions.recommend.recommender.tfserving import ModelEndpoint, TFServingClient
from tests.function.faulty_server import FaultyServer, reply
from tests.function.model_answers import retrieval_outputs
from tests.support.servers import ServerProcess, start_function

OK = retrieval_outputs(["A", "B"], [2.0, 1.0])


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key."""
    return write_self_signed_cert(tmp_path_factory.mktemp("tls"))


def _server_context(private_ca: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*private_ca)
    return context


@pytest.fixture(scope="module")
def https_emulator(private_ca, emulator: ServerProcess) -> Iterator[FaultyServer]:
    """The emulator behind an HTTPS front end whose certificate only the private CA vouches for."""
    server = FaultyServer(upstream=emulator.url, tls=_server_context(private_ca))
    yield server
    server.close()


@pytest.fixture
def https_scripted(private_ca) -> Iterator[FaultyServer]:
    server = FaultyServer(tls=_server_context(private_ca))
    yield server
    server.close()


def _client(ca_bundle: Path | None) -> TFServingClient:
    return TFServingClient(
        pool_size=2, connect_timeout_s=0.5, retries=0, ca_bundle=None if ca_bundle is None else str(ca_bundle)
    )


def test_a_server_certified_by_the_ca_bundle_is_trusted(private_ca, https_scripted):
    https_scripted.script("retrieval", "predict", reply(200, OK))
    client = _client(private_ca[0])
    try:
        outputs = client.predict(ModelEndpoint(https_scripted.url, "retrieval"), {"u": ["1"]}, Deadline(2.0))
    finally:
        client.close()
    assert outputs == OK["outputs"]


def test_without_the_ca_bundle_a_self_signed_server_is_refused(https_scripted):
    client = _client(None)
    try:
        with pytest.raises(UpstreamUnavailable) as raised:
            client.predict(ModelEndpoint(https_scripted.url, "retrieval"), {"u": ["1"]}, Deadline(2.0))
    finally:
        client.close()
    assert "CERTIFICATE_VERIFY_FAILED" in raised.value.detail
    assert https_scripted.requests() == []


def test_the_function_calls_an_https_model_server_it_trusts_through_requests_ca_bundle(
    private_ca, https_emulator
):
    settings = {"REQUESTS_CA_BUNDLE": str(private_ca[0]), "AUTH_MODE": "none"}
    with start_function(https_emulator.url, **settings) as function:
        response = requests.post(function.url + "/recommend", json={"user_id": "15", "k": 3}, timeout=10)
    assert response.status_code == 200, response.text
    assert (len(response.json()["movies"]), response.json()["degraded"]) == (3, False)
    assert {seen.route for seen in https_emulator.requests()} >= {"metadata", "predict"}
