"""Start the processes a benchmark talks to: model server, function, codelab baseline, TLS terminator.

The model server and the function start exactly as the test suite starts them (tests/support/servers.py); the
function's source file may be another one, to measure a candidate change side by side.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import requests

from tests.support.servers import (
    ServerProcess,
    free_port,
    function_cmd,
    python_cmd,
    start_emulator,
    start_function,
    start_server,
)

__all__ = [
    "function_cmd",
    "start_codelab",
    "start_emulator",
    "start_function",
    "start_tls_terminator",
]


def _answers_http(base_url: str) -> bool:
    """Any HTTP answer means the server is up (requests raises until then)."""
    requests.get(base_url + "/recommend", timeout=2)
    return True


def start_codelab(serving_url: str, **env: str) -> ServerProcess:
    """The codelab baseline (bench/codelab.py) in its own process, pointed at `serving_url`."""
    port = free_port()
    cmd = python_cmd("-m", "bench.codelab", f"--port={port}")
    return start_server(cmd, port=port, ready=_answers_http, env={"TF_SERVING_URL": serving_url, **env})


def start_tls_terminator(upstream_port: int, cert: Path, key: Path) -> ServerProcess:
    """HTTPS on a free port relaying to the plain-HTTP model server; the returned url is https://."""
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    cmd = python_cmd(
        "-m",
        "bench.tls",
        f"--port={port}",
        f"--upstream-port={upstream_port}",
        f"--cert={cert}",
        f"--key={key}",
    )

    def relays_to_the_models(_: str) -> bool:
        return requests.get(url + "/v1/models/retrieval", verify=str(cert), timeout=2).ok

    server = start_server(cmd, port=port, ready=relays_to_the_models, timeout=30)
    return dataclasses.replace(server, url=url)
