"""The TF Serving model base: models.config, one numeric version per model, warmup files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis.prediction_log_pb2 import PredictionLog

from serving.training.dataset import Ratings
from serving.training.errors import ConfigError, ExportError
from serving.training.ranking import RankingWeights
from serving.training.retrieval import RetrievalWeights
from serving.training.servables import UNFILTERED_TOP_K, RankingServable, RetrievalServable, Servable
from serving.training.warmup import ranking_requests, retrieval_requests, write_warmup

MODEL_NAMES = ("retrieval", "ranking")
MODELS_CONFIG = "models.config"
CONTAINER_BASE = "/models"  # where the folder is mounted for TF Serving, Cloud Run and the emulator


def models_config() -> str:
    """The text-proto model_config_list serving both models from the folder mounted at /models."""
    entries = "".join(
        f"  config {{\n    name: '{name}'\n    base_path: '{CONTAINER_BASE}/{name}'\n"
        "    model_platform: 'tensorflow'\n  }\n"
        for name in MODEL_NAMES
    )
    return f"model_config_list {{\n{entries}}}\n"


def seen_matrix(train: Ratings) -> np.ndarray:
    """Sorted training users x catalogue titles (the models' row order), True where the user rated it."""
    users = np.unique(train.user_ids.astype(str))
    titles = train.catalogue.astype(str)
    seen = np.zeros((len(users), len(titles)), dtype=bool)
    rows = np.searchsorted(users, train.user_ids.astype(str))
    seen[rows, np.searchsorted(titles, train.titles.astype(str))] = True
    return seen


def check_candidates(seen: np.ndarray, candidates: int) -> None:
    """The catalogue must fill the unfiltered top 100 and leave every user N unrated titles."""
    titles = seen.shape[1]
    needed = max(candidates, UNFILTERED_TOP_K)
    if titles < needed:
        raise ConfigError(f"the catalogue has {titles} titles; at least {needed} are needed")
    fewest_unseen = int(titles - seen.sum(axis=1).max())
    if fewest_unseen < candidates:
        raise ConfigError(f"--candidates {candidates}: a user has only {fewest_unseen} unrated titles left")


def next_version(models_dir: Path) -> int:
    """One more than the highest version of either model already exported (1 for an empty folder)."""
    versions = [version for name in MODEL_NAMES for version in existing_versions(models_dir / name)]
    return max(versions, default=0) + 1


def existing_versions(model_dir: Path) -> list[int]:
    """The numeric version folders of one model, as TF Serving sees them."""
    if not model_dir.is_dir():
        return []
    return sorted(int(path.name) for path in model_dir.iterdir() if path.is_dir() and path.name.isdigit())


def latest_version_dir(models_dir: Path, name: str) -> Path:
    """The folder TF Serving would serve for `name` (its highest version)."""
    versions = existing_versions(models_dir / name)
    if not versions:
        raise ExportError(f"{models_dir / name}: no numeric version folder; run `make models` first")
    return models_dir / name / str(versions[-1])


def export_models(
    models_dir: Path,
    version: int,
    retrieval: RetrievalWeights,
    ranking: RankingWeights,
    seen: np.ndarray,
    candidates: int,
) -> dict[str, Path]:
    """Save both models as `version`, then drop every other version so one pair is served."""
    servables = {
        "retrieval": (RetrievalServable(retrieval, seen, candidates), retrieval_requests(retrieval.users)),
        "ranking": (RankingServable(ranking), ranking_requests(ranking.users, ranking.titles, candidates)),
    }
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        paths = {name: _save(models_dir / name, version, *parts) for name, parts in servables.items()}
        for name in MODEL_NAMES:
            for old in existing_versions(models_dir / name):
                if old != version:
                    shutil.rmtree(models_dir / name / str(old))
        (models_dir / MODELS_CONFIG).write_text(models_config())
    except OSError as error:
        raise ExportError(f"{models_dir}: cannot write the exported models ({error})") from error
    return paths


def _save(model_dir: Path, version: int, servable: Servable, warmup: list[PredictionLog]) -> Path:
    """Save into a hidden folder first and rename it, so a server never sees a half-written version."""
    final = model_dir / str(version)
    partial = model_dir / f".partial-{version}"
    shutil.rmtree(partial, ignore_errors=True)
    tf.saved_model.save(servable, str(partial), signatures=servable.signatures())
    write_warmup(partial, warmup)
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return final
