"""Every setting of `python -m serving.training`, read from the command line in one place."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from serving.training.sources import ML100K_SHA256, ML100K_URL

COMMANDS = ("train", "evaluate")
SOURCES = ("auto", "grouplens", "recbole")
DEFAULT_MODELS_DIR = Path("serving/cloudrun/models")
CHAIN_TOP = 10  # the chain returns this many movies, so retrieval must return at least as many


@dataclass(frozen=True)
class DataConfig:
    """Where the ratings come from: `data_dir` if given, else `source` ('auto' = first one present)."""

    data_dir: Path | None
    source: str
    url: str
    sha256: str
    cache_dir: Path


@dataclass(frozen=True)
class RetrievalConfig:
    """Two-tower retrieval model trained with a softmax over the whole catalogue."""

    dim: int
    epochs: int
    l2: float
    learning_rate: float
    batch_size: int


@dataclass(frozen=True)
class RankingConfig:
    """Biased matrix factorisation fitted by alternating least squares."""

    dim: int
    l2: float
    bias_l2: float
    iterations: int
    missing_weight: float
    missing_rating: float


@dataclass(frozen=True)
class TrainingConfig:
    """One run: the command, the data, the split, both models and where they are exported."""

    command: str
    models_dir: Path
    data: DataConfig
    seed: int
    test_fraction: float
    candidates: int
    version: int | None
    retrieval: RetrievalConfig
    ranking: RankingConfig


def parse_args(argv: Sequence[str]) -> TrainingConfig:
    """Parse `[train|evaluate] [flags]` (train when no command is given)."""
    arguments = list(argv)
    if not arguments or arguments[0] not in COMMANDS:
        arguments.insert(0, "train")
    options = _parser().parse_args(arguments)
    return TrainingConfig(
        command=options.command,
        models_dir=options.models,
        data=DataConfig(
            data_dir=options.data_dir,
            source=options.source,
            url=options.dataset_url,
            sha256=options.dataset_sha256.lower(),
            cache_dir=options.cache_dir,
        ),
        seed=options.seed,
        test_fraction=options.test_fraction,
        candidates=options.candidates,
        version=options.version,
        retrieval=_section(options, RetrievalConfig, "retrieval_"),
        ranking=_section(options, RankingConfig, "ranking_"),
    )


def _section(options: argparse.Namespace, section: type, prefix: str):
    """Build a settings dataclass from the flags named `--<prefix><field>`."""
    return section(**{field.name: getattr(options, prefix + field.name) for field in fields(section)})


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "recommend"


def _checked(convert: Callable[[str], float], valid: Callable[[float], bool], meaning: str) -> Callable:
    """An argparse type that converts a flag value and rejects it unless `valid`."""

    def parse(text: str) -> float:
        value = convert(text)
        if not valid(value):
            raise argparse.ArgumentTypeError(f"{text} is not {meaning}")
        return value

    return parse


_positive_int = _checked(int, lambda value: value > 0, "a positive integer")
_chain_candidates = _checked(int, lambda value: value >= CHAIN_TOP, f"at least {CHAIN_TOP}")
_fraction = _checked(float, lambda value: 0 < value < 1, "strictly between 0 and 1")
_unit_interval = _checked(float, lambda value: 0 <= value < 1, "in [0, 1)")
_non_negative = _checked(float, lambda value: value >= 0, "zero or more")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m serving.training",
        description="Train the retrieval and ranking models on MovieLens 100K and export them for TF Serving "
        "(train), or measure exported models on the held-out split (evaluate).",
    )
    parser.add_argument("command", choices=COMMANDS, help="train (default) or evaluate")
    parser.add_argument(
        "--models", type=Path, default=DEFAULT_MODELS_DIR, help="TF Serving model base (/models)"
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data-dir", type=Path, help="a GroupLens ml-100k folder (u.data, u.item); wins if given"
    )
    data.add_argument(
        "--source", choices=SOURCES, default="auto", help="auto: cached zip, else recbole, else download"
    )
    data.add_argument("--dataset-url", default=ML100K_URL, help="GroupLens zip URL (https or file)")
    data.add_argument("--dataset-sha256", default=ML100K_SHA256, help="SHA-256 the zip must have")
    data.add_argument("--cache-dir", type=Path, default=_default_cache_dir(), help="where the zip is kept")
    data.add_argument("--seed", type=int, default=42, help="seed of the split and of training")
    data.add_argument("--test-fraction", type=_fraction, default=0.2, help="share of ratings held out")
    export = parser.add_argument_group("export")
    export.add_argument("--candidates", type=_chain_candidates, default=100, help="N, titles per retrieval")
    export.add_argument("--version", type=_positive_int, help="model version (default: highest present + 1)")
    retrieval = parser.add_argument_group("retrieval model")
    retrieval.add_argument("--retrieval-dim", type=_positive_int, default=64)
    retrieval.add_argument("--retrieval-epochs", type=_positive_int, default=5)
    retrieval.add_argument("--retrieval-l2", type=_non_negative, default=0.03)
    retrieval.add_argument("--retrieval-learning-rate", type=float, default=0.01)
    retrieval.add_argument("--retrieval-batch-size", type=_positive_int, default=1024)
    ranking = parser.add_argument_group("ranking model")
    ranking.add_argument("--ranking-dim", type=_positive_int, default=32)
    ranking.add_argument("--ranking-l2", type=_non_negative, default=15.0)
    ranking.add_argument("--ranking-bias-l2", type=_non_negative, default=15.0)
    ranking.add_argument("--ranking-iterations", type=_positive_int, default=15)
    ranking.add_argument(
        "--ranking-missing-weight", type=_unit_interval, default=0.01, help="weight of unrated pairs"
    )
    ranking.add_argument(
        "--ranking-missing-rating", type=float, default=2.5, help="rating unrated pairs lean to"
    )
    return parser
