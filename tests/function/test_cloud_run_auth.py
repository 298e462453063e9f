"""Calling a private Cloud Run service: every model call carries an ID token, fetched once, for its URL.

google-auth runs for real: it signs a grant with a service-account key and posts it to the key's token
endpoint, which here is the local server standing in front of the emulator.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Iterator

import pytest
import requests

from tests.function.faulty_server import FaultyServer, reply
from tests.function.tokens import jwt, service_account_file
from tests.support.servers import ServerProcess, start_function


@pytest.fixture(scope="module")
def token_issuer(emulator: ServerProcess) -> Iterator[tuple[FaultyServer, str]]:
    """The emulator behind a server that also issues one ID token at /token."""
    server = FaultyServer(upstream=emulator.url)
    token = jwt(time.time() + 3600, audience=server.url)
    server.always("", "/token", reply(200, {"id_token": token}))
    yield server, token
    server.close()


@pytest.fixture(scope="module")
def authenticated_function(token_issuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server, _ = token_issuer
    key = service_account_file(tmp_path_factory.mktemp("credentials"), server.url + "/token")
    settings = {"AUTH_MODE": "id_token", "GOOGLE_APPLICATION_CREDENTIALS": str(key)}
    with start_function(server.url, **settings) as function:
        yield function


def grant_claims(body: bytes) -> dict:
    assertion = urllib.parse.parse_qs(body.decode())["assertion"][0]
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_every_model_call_carries_one_cached_id_token_for_the_service_url(
    authenticated_function, token_issuer
):
    server, token = token_issuer
    for user in ("1", "2", "3"):
        response = requests.post(
            authenticated_function.url + "/recommend", json={"user_id": user}, timeout=10
        )
        assert (response.status_code, response.json()["degraded"]) == (200, False)
    model_calls = server.requests(route="predict") + server.requests(route="metadata")
    assert len(model_calls) >= 6
    assert {call.headers.get("Authorization") for call in model_calls} == {f"Bearer {token}"}
    (grant,) = server.requests(route="/token")
    assert grant_claims(grant.body)["target_audience"] == server.url
