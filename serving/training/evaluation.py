"""Held-out figures measured on the exported SavedModels through their serving signatures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from serving.training.config import CHAIN_TOP
from serving.training.dataset import Ratings, Split
from serving.training.export import latest_version_dir
from serving.training.servables import UNFILTERED_TOP_K

LIKED = 4.0  # held-out ratings of 4 or 5 are the movies the chain should find


def evaluate(models_dir: Path, data: Split) -> dict[str, float]:
    """ranking_rmse, retrieval_recall_at_100, chain_recall_at_10, codelab_chain_recall_at_10."""
    retrieval = tf.saved_model.load(str(latest_version_dir(models_dir, "retrieval")))
    ranking_model = tf.saved_model.load(str(latest_version_dir(models_dir, "ranking")))
    ranking = ranking_model.signatures["serving_default"]
    test = data.test
    users = np.unique(test.user_ids.astype(str))
    unfiltered = _titles(retrieval.signatures["including_seen"], users)
    candidates = _titles(retrieval.signatures["serving_default"], users)
    liked = test.take(np.flatnonzero(test.ratings >= LIKED))
    # Ranking 10 candidates and keeping 10 keeps the same set: the codelab chain is its top 10 as retrieved.
    codelab_chain = unfiltered[:, :CHAIN_TOP]
    return {
        "ranking_rmse": _rmse(ranking, test),
        "retrieval_recall_at_100": _recall(users, unfiltered[:, :UNFILTERED_TOP_K], test),
        "chain_recall_at_10": _recall(users, _rank(ranking, users, candidates)[:, :CHAIN_TOP], liked),
        "codelab_chain_recall_at_10": _recall(users, codelab_chain, liked),
    }


def _titles(signature: tf.types.experimental.ConcreteFunction, users: np.ndarray) -> np.ndarray:
    titles = signature(user_id=tf.constant(users))["movie_titles"].numpy()
    return np.vectorize(bytes.decode, otypes=[object])(titles)


def _predict(
    ranking: tf.types.experimental.ConcreteFunction, users: np.ndarray, titles: np.ndarray
) -> np.ndarray:
    outputs = ranking(user_id=tf.constant(users.astype(str)), movie_title=tf.constant(titles.astype(str)))
    return outputs["output_1"].numpy()[:, 0]


def _rmse(ranking: tf.types.experimental.ConcreteFunction, test: Ratings) -> float:
    errors = _predict(ranking, test.user_ids, test.titles) - test.ratings
    return float(np.sqrt(np.mean(errors**2)))


def _rank(
    ranking: tf.types.experimental.ConcreteFunction, users: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """Each user's candidates reordered by predicted rating, best first (ties keep retrieval order)."""
    predicted = _predict(ranking, np.repeat(users, candidates.shape[1]), candidates.ravel())
    order = np.argsort(-predicted.reshape(candidates.shape), axis=1, kind="stable")
    return np.take_along_axis(candidates, order, axis=1)


def _recall(users: np.ndarray, lists: np.ndarray, held_out: Ratings) -> float:
    """Share of held-out (user, title) ratings whose title is in that user's list."""
    listed = {(user, title) for user, row in zip(users, lists, strict=True) for title in row}
    hits = sum(
        (user, title) in listed for user, title in zip(held_out.user_ids, held_out.titles, strict=True)
    )
    return hits / len(held_out)
