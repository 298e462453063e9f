"""The two commands: train (data -> split -> both models -> export -> figures) and evaluate."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict
from importlib.metadata import version as version_of
from pathlib import Path
from typing import TypeVar

import tensorflow as tf

from serving.training.config import TrainingConfig
from serving.training.dataset import Split, load, split
from serving.training.errors import ExportError
from serving.training.evaluation import evaluate
from serving.training.export import check_candidates, export_models, next_version, seen_matrix
from serving.training.ranking import train_ranking
from serving.training.retrieval import train_retrieval

METRICS_FILE = "metrics.json"
T = TypeVar("T")
LIBRARIES = ("tensorflow", "tensorflow-recommenders", "tf-keras", "tensorflow-serving-api", "numpy")


def run(config: TrainingConfig) -> dict:
    """Execute the configured command and return the JSON object it prints."""
    data = load_split(config)
    if config.command == "evaluate":
        return evaluate(config.models_dir, data)
    return train(config, data)


def load_split(config: TrainingConfig) -> Split:
    """Read the ratings from the configured source and split them."""
    ratings = load(config.data)
    parts = split(ratings, config.seed, config.test_fraction)
    print(
        f"data: {len(ratings)} ratings from {ratings.source} (sha256 {ratings.sha256[:12]}...), "
        f"{len(parts.train)} train / {len(parts.test)} held out",
        flush=True,
    )
    return parts


def train(config: TrainingConfig, data: Split) -> dict:
    """Train, export and measure both models; save the figures beside them."""
    tf.config.experimental.enable_op_determinism()
    seen = seen_matrix(data.train)
    check_candidates(seen, config.candidates)
    version = config.version or next_version(config.models_dir)
    clock = _Stopwatch()
    ranking = clock.time("ranking", train_ranking, data.train, config.ranking, config.seed)
    retrieval = clock.time("retrieval", train_retrieval, data.train, config.retrieval, config.seed)
    models = config.models_dir
    clock.time("export", export_models, models, version, retrieval, ranking, seen, config.candidates)
    print(f"export: version {version} in {models}", flush=True)
    report = {
        **evaluate(models, data),
        "version": version,
        "data": {
            "source": data.train.source,
            "sha256": data.train.sha256,
            "ratings": len(data.train) + len(data.test),
        },
        "split": {"seed": config.seed, "test_fraction": config.test_fraction, "held_out": len(data.test)},
        "candidates": config.candidates,
        "retrieval": asdict(config.retrieval),
        "ranking": asdict(config.ranking),
        "training_seconds": clock.seconds,
        "libraries": {"python": platform.python_version(), **{name: version_of(name) for name in LIBRARIES}},
    }
    write_metrics(models, report)
    return report


class _Stopwatch:
    """Wall time of each named step, in seconds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, step: str, function: Callable[..., T], *args: object) -> T:
        started = time.monotonic()
        result = function(*args)
        self.seconds[step] = round(time.monotonic() - started, 1)
        return result


def write_metrics(models_dir: Path, report: dict) -> Path:
    """metrics.json beside the models (TF Serving ignores files that are not version folders)."""
    path = models_dir / METRICS_FILE
    try:
        path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        raise ExportError(f"{path}: cannot write the figures ({error})") from error
    return path
