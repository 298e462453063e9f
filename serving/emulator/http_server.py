"""The HTTP layer: a threading HTTP/1.1 server (keep-alive) in front of RestApi."""

from __future__ import annotations

import json
import logging
import socket
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serving.emulator.api import Response, RestApi
from serving.emulator.errors import ConfigError
from serving.emulator.settings import Settings

log = logging.getLogger(__name__)

SERVER_NAME = "tf-serving-emulator"
# TF Serving's limit for gzip request bodies; applied to every body here.
MAX_BODY_BYTES = 100 * 1024 * 1024
IDLE_CONNECTION_SECONDS = 60
_CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "POST, GET"),
    ("Access-Control-Allow-Headers", "Content-Type"),
)


class BodyError(Exception):
    """The request body cannot be read; the connection is answered with `status` and closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RestServer(ThreadingHTTPServer):
    """One thread per connection; connections are kept alive between requests."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, settings: Settings, api: RestApi) -> None:
        self.api = api
        self.cors = settings.rest_api_enable_cors_support
        if ":" in settings.rest_api_host:
            self.address_family = socket.AF_INET6
        try:
            super().__init__((settings.rest_api_host, settings.rest_api_port), RestRequestHandler)
        except OSError as error:
            raise ConfigError(
                f"cannot listen on {settings.rest_api_host}:{settings.rest_api_port}: {error.strerror}"
            ) from error

    def handle_error(self, request: object, client_address: tuple) -> None:
        """A client that hangs up mid-request is routine; anything else is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("connection from %s ended: %s", client_address, error)
        else:
            log.exception("error serving %s", client_address)


class RestRequestHandler(BaseHTTPRequestHandler):
    """Reads the body, lets RestApi answer, writes the answer in one buffered write."""

    server: RestServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # headers and body leave in one send; handle_one_request flushes
    timeout = IDLE_CONNECTION_SECONDS

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def do_OPTIONS(self) -> None:
        if self.server.cors and self.path.lower().startswith("/v1/"):
            origin = self.headers.get("Origin", "")
            if origin.startswith(("http://", "https://")):
                self._send(Response(200, b""))
            else:
                self._send(Response(400, b'{"error": "Origin header is missing in CORS preflight"}'))
            return
        self._answer()

    def version_string(self) -> str:
        return SERVER_NAME

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _answer(self) -> None:
        try:
            body = self._read_body()
        except BodyError as error:
            self.close_connection = True
            self._send(Response(error.status, json.dumps({"error": str(error)}).encode()))
            return
        self._send(self.server.api.handle(self.command, self.path, body))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = self._read_chunked()
        else:
            body = self.rfile.read(self._content_length())
        if self.headers.get("Content-Encoding", "").strip().lower() == "gzip":
            body = _gunzip(body)
        return body

    def _content_length(self) -> int:
        text = self.headers.get("Content-Length", "0").strip()
        if not text.isdigit():
            raise BodyError(400, f"invalid Content-Length: {text}")
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise BodyError(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        return length

    def _read_chunked(self) -> bytes:
        chunks, total = [], 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError as error:
                raise BodyError(400, "malformed chunked request body") from error
            total += size
            if total > MAX_BODY_BYTES:
                raise BodyError(413, f"request body larger than {MAX_BODY_BYTES} bytes")
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailer headers, up to the blank line
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after each chunk

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if self.server.cors:
            for name, value in _CORS_HEADERS:
                self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


def _gunzip(body: bytes) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, MAX_BODY_BYTES)
    except zlib.error as error:
        raise BodyError(400, "request body is not valid gzip") from error
    if decompressor.unconsumed_tail:
        raise BodyError(413, f"uncompressed request body larger than {MAX_BODY_BYTES} bytes")
    return data
