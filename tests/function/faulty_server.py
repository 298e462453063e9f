"""A local HTTP server that plays a TF Serving badly on purpose.

Faults are scripted per model and route (metadata, predict, status) and used up one per request;
unscripted requests are forwarded to a real model server when one is given, else answered 404.
Every request is recorded so tests can count attempts and read what the function sent.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

_MODEL_PATH = re.compile(
    r"/v1/models/(?P<model>[^/:]+)(?:/(?:labels|versions)/[^/:]+)?(?P<verb>:predict|/metadata)?$"
)
_ROUTES = {":predict": "predict", "/metadata": "metadata", None: "status"}

Behaviour = Callable[["_Handler"], None]


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    model: str
    route: str
    headers: dict[str, str]
    body: bytes
    client_port: int

    def json(self) -> Any:
        return json.loads(self.body)


def reply(status: int, body: bytes | str | dict, content_type: str = "application/json") -> Behaviour:
    """Answer with `body` (a dict is sent as JSON)."""
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    payload = payload.encode() if isinstance(payload, str) else payload
    return lambda handler: handler.send(status, payload, content_type)


def forward(handler: _Handler) -> None:
    """Pass the request to the real model server and its answer back."""
    if handler.server.upstream is None:
        handler.send(404, b'{"error": "no upstream"}', "application/json")
        return
    answer = requests.request(
        handler.command,
        handler.server.upstream + handler.path,
        data=handler.body or None,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    handler.send(answer.status_code, answer.content, answer.headers.get("Content-Type", "application/json"))


def delay(seconds: float, then: Behaviour = forward) -> Behaviour:
    """Wait `seconds` before behaving as `then`."""

    def behave(handler: _Handler) -> None:
        time.sleep(seconds)
        then(handler)

    return behave


def reset(handler: _Handler) -> None:
    """Drop the connection without answering (TCP RST)."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def trickle(handler: _Handler, interval: float = 0.1, limit: float = 5.0) -> None:
    """Send a status line one byte at a time and never finish the headers."""
    stop = time.monotonic() + limit
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"." * 1000:
        if time.monotonic() > stop:
            break
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            break
        time.sleep(interval)
    handler.close_connection = True


def trickle_body(handler: _Handler, interval: float = 0.1, limit: float = 5.0) -> None:
    """Send complete headers, then a long body one byte at a time."""
    stop = time.monotonic() + limit
    body = b'{"outputs": "' + b"." * 1000 + b'"}'
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            if time.monotonic() > stop:
                break
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(interval)
    except OSError:
        pass
    handler.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _MODEL_PATH.match(self.path)
        model, route = (match["model"], _ROUTES[match["verb"]]) if match else ("", self.path)
        self.server.record(
            Seen(self.command, self.path, model, route, dict(self.headers), self.body, self.client_address[1])
        )
        self.server.next_behaviour(model, route)(self)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str | None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.lock = threading.Lock()
        self.scripts: dict[tuple[str, str], deque[Behaviour]] = defaultdict(deque)
        self.seen: list[Seen] = []

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def next_behaviour(self, model: str, route: str) -> Behaviour:
        with self.lock:
            script = self.scripts.get((model, route))
            return script.popleft() if script else forward

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # faults end connections abruptly on purpose


class FaultyServer:
    """The server, started on a free loopback port in a background thread."""

    def __init__(self, upstream: str | None = None, tls: ssl.SSLContext | None = None):
        """With `tls` (a server-side context) it speaks HTTPS."""
        self._server = _Server(upstream)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def script(self, model: str, route: str, *behaviours: Behaviour) -> None:
        """Behave as `behaviours`, in order, for the next requests to `model`'s `route`."""
        with self._server.lock:
            self._server.scripts[(model, route)].extend(behaviours)

    def always(self, model: str, route: str, behaviour: Behaviour, times: int = 50) -> None:
        """Behave as `behaviour` for every one of the next `times` requests to `model`'s `route`."""
        self.script(model, route, *[behaviour] * times)

    def requests(self, model: str | None = None, route: str | None = None) -> list[Seen]:
        with self._server.lock:
            return [s for s in self._server.seen if model in (None, s.model) and route in (None, s.route)]

    def clear(self) -> None:
        """Forget scripts and recorded requests."""
        with self._server.lock:
            self._server.scripts.clear()
            self._server.seen.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
