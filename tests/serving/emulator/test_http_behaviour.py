"""The emulator's HTTP behaviour beyond the REST contract: connections, concurrency, bodies, deadlines."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

from serving.emulator.registry import Registry
from tests.serving.emulator.conftest import serving, settings_for
from tests.support.servers import ServerProcess

PREDICT = "/v1/models/half_plus_two/versions/1:predict"
BUSY = "/v1/models/odd_shapes:predict"


def busy_request(url: str, iterations: int) -> requests.Response:
    body = {"signature_name": "busy", "instances": [iterations]}
    return requests.post(url + BUSY, json=body, timeout=120)


def iterations_lasting(url: str, seconds: float) -> int:
    """How many `busy` iterations take about `seconds` on this machine, now."""
    busy_request(url, 1).raise_for_status()  # the first call of a signature is slower
    started = time.monotonic()
    busy_request(url, 200).raise_for_status()
    per_iteration = max((time.monotonic() - started) / 200, 1e-5)
    return max(200, int(seconds / per_iteration))


def test_one_connection_serves_many_requests(conformance_emulator: ServerProcess) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", conformance_emulator.port, timeout=30)
    answers = []
    for method, path, body in [
        ("GET", "/v1/models/half_plus_two", None),
        ("POST", PREDICT, b'{"instances": [1.0]}'),
        ("POST", PREDICT, b"{broken"),
        ("GET", "/not-v1", None),
        ("POST", PREDICT, b'{"inputs": [2.0]}'),
    ]:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        answers.append((response.status, response.read()))
        if method == "GET" and path.startswith("/v1"):
            first_socket = connection.sock
    assert [status for status, _ in answers] == [200, 200, 400, 404, 200]
    assert json.loads(answers[-1][1]) == {"outputs": [3.0]}
    assert connection.sock is first_socket  # never reconnected
    connection.close()


def test_a_slow_model_call_does_not_hold_up_other_requests(conformance_emulator: ServerProcess) -> None:
    url = conformance_emulator.url
    iterations = iterations_lasting(url, 2.0)
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(busy_request, url, iterations)
        time.sleep(0.3)  # the slow request is inside its model call by now
        fast = requests.post(url + PREDICT, json={"instances": [1.0]}, timeout=30)
        assert fast.json() == {"predictions": [2.5]}
        assert not slow.done(), "the fast request waited for the slow model call"
        assert slow.result().status_code == 200


def test_gzip_request_bodies_are_decompressed(conformance_emulator: ServerProcess) -> None:
    body = gzip.compress(b'{"instances": [1.0, 3.0]}')
    response = requests.post(
        conformance_emulator.url + PREDICT, data=body, headers={"Content-Encoding": "gzip"}, timeout=30
    )
    assert response.json() == {"predictions": [2.5, 3.5]}


def test_a_broken_gzip_body_is_400(conformance_emulator: ServerProcess) -> None:
    response = requests.post(
        conformance_emulator.url + PREDICT, data=b"plain", headers={"Content-Encoding": "gzip"}, timeout=30
    )
    assert response.status_code == 400
    assert response.json() == {"error": "request body is not valid gzip"}


def test_chunked_request_bodies_are_read(conformance_emulator: ServerProcess) -> None:
    chunks = (part for part in [b'{"instances"', b": [1.0,", b" 5.0]}"])
    response = requests.post(conformance_emulator.url + PREDICT, data=chunks, timeout=30)
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.json() == {"predictions": [2.5, 4.5]}


def test_an_oversized_body_is_refused_without_reading_it(conformance_emulator: ServerProcess) -> None:
    host = urlsplit(conformance_emulator.url)
    with socket.create_connection((host.hostname, host.port), timeout=30) as connection:
        connection.sendall(
            f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n".encode()
        )
        reply = connection.makefile("rb").read()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"Connection: close" in head
    assert json.loads(body) == {"error": "request body larger than 104857600 bytes"}


def test_a_model_call_past_the_deadline_is_504(
    registry: Registry, conformance_models: Path, conformance_emulator: ServerProcess
) -> None:
    iterations = iterations_lasting(conformance_emulator.url, 1.0)
    with serving(registry, settings_for(conformance_models, rest_api_timeout_in_ms=100)) as url:
        response = busy_request(url, iterations)
    assert response.status_code == 504
    assert response.json()["error"].startswith("Deadline exceeded")


def test_cors_headers_and_preflight_when_enabled(registry: Registry, conformance_models: Path) -> None:
    with serving(registry, settings_for(conformance_models, rest_api_enable_cors_support=True)) as url:
        status = requests.get(url + "/v1/models/half_plus_two", timeout=30)
        preflight = requests.options(url + PREDICT, headers={"Origin": "https://app.example"}, timeout=30)
        no_origin = requests.options(url + PREDICT, timeout=30)
    assert status.headers["Access-Control-Allow-Origin"] == "*"
    assert status.headers["Access-Control-Allow-Methods"] == "POST, GET"
    assert preflight.status_code == 200
    assert no_origin.status_code == 400
    assert no_origin.json() == {"error": "Origin header is missing in CORS preflight"}


def test_no_cors_headers_by_default(conformance_emulator: ServerProcess) -> None:
    response = requests.get(conformance_emulator.url + "/v1/models/half_plus_two", timeout=30)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_clients_hanging_up_mid_request_leave_no_traceback(conformance_emulator: ServerProcess) -> None:
    host = urlsplit(conformance_emulator.url)
    for _ in range(5):
        with socket.create_connection((host.hostname, host.port), timeout=30) as connection:
            connection.sendall(
                f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{{".encode()
            )
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    answer = requests.post(conformance_emulator.url + PREDICT, json={"instances": [1.0]}, timeout=30)
    assert answer.json() == {"predictions": [2.5]}
    assert "Traceback" not in conformance_emulator.log()
