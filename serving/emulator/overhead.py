"""Measure what the emulator adds to a ranking predict of N (user, title) pairs.

    python -m serving.emulator.overhead [--models serving/cloudrun/models] [--pairs 100] [--repeats 300]

Three timings of the same request, interleaved so machine load affects them alike:
  tensorflow  the ranking signature called directly on ready-made tensors (the floor),
  in-process  the emulator's predict path without HTTP: JSON body -> tensors -> call -> JSON text,
  http        a POST to a running emulator process over one keep-alive connection.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
import tensorflow as tf

from serving.emulator.model_config import ModelConfig, plan_servables
from serving.emulator.registry import Model, ModelRef, Registry
from serving.emulator.servables import load_servable

RANKING = "ranking"


def main() -> None:
    options = _options()
    models = Path(options.models).resolve()
    (spec,) = plan_servables(ModelConfig(RANKING, models / RANKING))
    servable = load_servable(spec, ["serve"])
    signature = servable.signature("")
    titles = [f"Movie {i}" for i in range(options.pairs)]
    body = json.dumps({"instances": [{"user_id": "42", "movie_title": t} for t in titles]}).encode()
    tensors = {"user_id": tf.constant(["42"] * options.pairs), "movie_title": tf.constant(titles)}

    from serving.emulator.predict import Predictor

    predictor = Predictor(Registry([Model(RANKING, {spec.version: servable}, {})]), 4, None)
    server, url = _start_emulator(models)
    try:
        session = requests.Session()
        timings = _interleaved(
            {
                "tensorflow": lambda: signature.function(**tensors)["output_1"].numpy(),
                "in-process": lambda: predictor.predict(ModelRef(RANKING), body),
                "http": lambda: session.post(url, data=body, timeout=30).raise_for_status(),
            },
            options.repeats,
        )
    finally:
        server.terminate()
        server.wait(30)
        predictor.close()
    _report(timings, options)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="serving/cloudrun/models", help="a folder laid out for /models")
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=300)
    return parser.parse_args()


def _start_emulator(models: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "serving.emulator",
        f"--rest_api_port={port}",
        "--model_config_file=/models/models.config",
        f"--mount={models}:/models",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/models/{RANKING}", timeout=2).ok:
                return server, f"http://127.0.0.1:{port}/v1/models/{RANKING}:predict"
        except requests.ConnectionError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the emulator did not start within 180 s")


def _interleaved(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(20):  # warm every path first
        for call in calls.values():
            call()
    for _ in range(repeats):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def _report(timings: dict[str, list[float]], options: argparse.Namespace) -> None:
    floor = statistics.median(timings["tensorflow"])
    print(f"ranking predict of {options.pairs} pairs, {options.repeats} runs each (milliseconds)")
    for name, values in timings.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(
            f"  {name:<11} median {median:6.2f}  p90 {p90:6.2f}  added over tensorflow {median - floor:+6.2f}"
        )


if __name__ == "__main__":
    main()
