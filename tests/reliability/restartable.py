"""A model server that a test may stop and start again on the same port, as after a crash."""

from __future__ import annotations

from tests.support.servers import ServerProcess, models_available, start_server


class RestartableServer:
    """Wraps a running model server; `start_again` brings it back with the same command line and port."""

    def __init__(self, server: ServerProcess):
        self.server = server
        self.url = server.url

    def stop(self) -> None:
        self.server.stop()

    def start_again(self) -> None:
        """Returns once every model is AVAILABLE again."""
        old = self.server
        self.server = start_server(old.cmd, port=old.port, ready=models_available, timeout=180)
