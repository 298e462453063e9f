"""Entry point: flags -> configuration -> loaded models -> listening REST server, until SIGTERM/SIGINT.

Like TF Serving, the port opens only once every configured model version has loaded; any
configuration or load problem ends the process first, with one line on stderr and exit status 1.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from serving.emulator.errors import StartupError
from serving.emulator.model_config import plan_servables, read_model_configs
from serving.emulator.settings import Settings, parse_settings

if TYPE_CHECKING:
    from serving.emulator.http_server import RestServer

log = logging.getLogger("serving.emulator")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator; returns the process exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = parse_settings(sys.argv[1:] if argv is None else argv)
        server = _start(settings)
    except StartupError as error:
        print(f"serving.emulator: failed to start: {error}", file=sys.stderr, flush=True)
        return 1
    _serve_until_signalled(server)
    return 0


def _start(settings: Settings) -> RestServer:
    started = time.monotonic()
    configs = read_model_configs(settings)
    specs = [spec for config in configs for spec in plan_servables(config)]
    # TensorFlow takes seconds to import: configuration mistakes are reported before paying for it.
    from serving.emulator.api import RestApi
    from serving.emulator.http_server import RestServer
    from serving.emulator.loader import load_registry
    from serving.emulator.predict import Predictor

    registry = load_registry(configs, specs, settings.saved_model_tags, settings.enable_model_warmup)
    predictor = Predictor(registry, settings.rest_api_num_threads, settings.request_timeout_seconds)
    server = RestServer(settings, RestApi(registry, predictor))
    log.info(
        "Exporting HTTP/REST API at:%s:%d (%d model(s) ready in %.1f s) - a development stand-in for "
        "TensorFlow Serving",
        settings.rest_api_host,
        settings.rest_api_port,
        len(configs),
        time.monotonic() - started,
    )
    return server


def _serve_until_signalled(server: RestServer) -> None:
    def stop(signum: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        # shutdown() waits for serve_forever to return, so it cannot run on the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        server.api.close()
