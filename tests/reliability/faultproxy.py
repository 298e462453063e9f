"""A fault-injecting HTTP proxy for tests: forwards to the model server, or delays, garbles or fakes answers.

It runs in the test process on a free loopback port. Faults are chosen per request path (substring match) and
apply only inside `with proxy.inject(...)`, so every test leaves the proxy transparent again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

# Headers that describe one connection or one encoding of the body, which the proxy re-does itself.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"},
)


@dataclass(frozen=True)
class Fault:
    """What to do to a matching request: wait `delay_s`, then forward it, or answer `status` with `body`,
    or hang up without answering (`hang_up`)."""

    delay_s: float = 0.0
    status: int | None = None
    body: bytes = b""
    content_type: str = "application/json"
    hang_up: bool = False


GARBAGE = Fault(status=200, body=b'{"outputs": {"movie_titles": [[\x00\xff garbage')
HTML_ERROR_PAGE = Fault(
    status=502,
    content_type="text/html; charset=UTF-8",
    body=b"<!DOCTYPE html><html><head><title>502 Server Error</title></head>"
    b"<body><h1>Error: Server Error</h1><p>The server encountered a temporary error.</p></body></html>",
)
HANG_UP = Fault(hang_up=True)


class FaultProxy:
    """Forwards every request to `upstream_url` unless a fault injected for its path says otherwise."""

    def __init__(self, upstream_url: str):
        self.upstream_url = upstream_url
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @contextlib.contextmanager
    def inject(self, path_part: str, fault: Fault) -> Iterator[None]:
        """Apply `fault` to requests whose path contains `path_part` until the block ends."""
        with self._lock:
            self._faults[path_part] = fault
        try:
            yield
        finally:
            with self._lock:
                del self._faults[path_part]

    def fault_for(self, path: str) -> Fault | None:
        with self._lock:
            return next((fault for part, fault in self._faults.items() if part in path), None)

    def session(self) -> requests.Session:
        """A pooled upstream session per proxy thread."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault = proxy.fault_for(self.path)
            if fault and fault.delay_s:
                time.sleep(fault.delay_s)
            if fault and fault.hang_up:
                self.close_connection = True
                return
            if fault and fault.status is not None:
                self._answer(fault.status, fault.content_type, fault.body)
                return
            try:
                upstream = proxy.session().request(
                    self.command,
                    proxy.upstream_url + self.path,
                    data=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP},
                    timeout=30,
                )
            except requests.RequestException:
                self.close_connection = True
                return
            self._answer(upstream.status_code, upstream.headers.get("Content-Type", ""), upstream.content)

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            with contextlib.suppress(ConnectionError):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests assert on behaviour, not on the proxy's access log."""

    return Handler
