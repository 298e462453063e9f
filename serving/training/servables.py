"""The TensorFlow modules exported for TF Serving, with the exact signatures the function relies on.

retrieval `serving_default`: user_id string [-1] -> scores float32 [-1, N], movie_titles string [-1, N],
the N best titles the user has not rated in training. `including_seen` (used by evaluation): the same
without that exclusion, top max(N, 100).
ranking `serving_default`: user_id, movie_title string [-1] -> output_1 float32 [-1, 1], the predicted rating.
Unknown users and titles map to an all-zero row: retrieval then ranks by popularity bias alone and
ranking predicts from the known side's bias and the global mean.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from serving.training.ranking import RATING_RANGE, RankingWeights
from serving.training.retrieval import RetrievalWeights

UNFILTERED_TOP_K = 100
USER_IDS = tf.TensorSpec([None], tf.string, name="user_id")
MOVIE_TITLES = tf.TensorSpec([None], tf.string, name="movie_title")


def _row_lookup(keys: np.ndarray) -> tf.lookup.StaticHashTable:
    """Key -> row index, with every unknown key mapped to the extra last row."""
    initializer = tf.lookup.KeyValueTensorInitializer(
        tf.constant(keys.astype(str)), tf.range(len(keys), dtype=tf.int64)
    )
    return tf.lookup.StaticHashTable(initializer, default_value=len(keys))


def _with_zero_row(values: np.ndarray) -> tf.Variable:
    """A frozen variable of `values` plus one all-zero row for unknown keys."""
    padded = np.concatenate([values, np.zeros((1, *values.shape[1:]), values.dtype)])
    return tf.Variable(padded, trainable=False)


class Servable(tf.Module):
    """A module TF Serving can load: its tf.functions become the SavedModel's signatures."""

    def signatures(self) -> dict[str, tf.types.experimental.PolymorphicFunction]:
        """Signature name -> function, `serving_default` first."""
        raise NotImplementedError


class RetrievalServable(Servable):
    """Brute-force top-N over every title, minus the titles each user rated in training."""

    def __init__(self, weights: RetrievalWeights, seen: np.ndarray, candidates: int) -> None:
        super().__init__()
        self._user_rows = _row_lookup(weights.users)
        self._user_vectors = _with_zero_row(weights.user_vectors.astype(np.float32))
        self._title_vectors = tf.Variable(weights.title_vectors.astype(np.float32), trainable=False)
        self._title_bias = tf.Variable(weights.title_bias.astype(np.float32), trainable=False)
        self._titles = tf.Variable(
            weights.titles.astype(str).astype(object), dtype=tf.string, trainable=False
        )
        self._seen = _with_zero_row(seen)
        self._candidates = candidates
        self._unfiltered = max(candidates, UNFILTERED_TOP_K)

    def signatures(self) -> dict[str, tf.types.experimental.PolymorphicFunction]:
        """The function's signature and the evaluation's."""
        return {"serving_default": self.serve, "including_seen": self.including_seen}

    @tf.function(input_signature=[USER_IDS])
    def serve(self, user_id: tf.Tensor) -> dict[str, tf.Tensor]:
        """The N best titles each user has not rated yet, best first."""
        rows = self._user_rows.lookup(user_id)
        scores = tf.where(tf.gather(self._seen, rows), tf.float32.min, self._scores(rows))
        return self._top(scores, self._candidates)

    @tf.function(input_signature=[USER_IDS])
    def including_seen(self, user_id: tf.Tensor) -> dict[str, tf.Tensor]:
        """The best titles without excluding rated ones (the TFRS factorized top-K view)."""
        return self._top(self._scores(self._user_rows.lookup(user_id)), self._unfiltered)

    def _scores(self, rows: tf.Tensor) -> tf.Tensor:
        users = tf.gather(self._user_vectors, rows)
        return tf.matmul(users, self._title_vectors, transpose_b=True) + self._title_bias

    def _top(self, scores: tf.Tensor, k: int) -> dict[str, tf.Tensor]:
        best = tf.math.top_k(scores, k=k)
        return {"scores": best.values, "movie_titles": tf.gather(self._titles, best.indices)}


class RankingServable(Servable):
    """Predicted rating of (user, title) pairs from the biased matrix factorisation."""

    def __init__(self, weights: RankingWeights) -> None:
        super().__init__()
        self._user_rows = _row_lookup(weights.users)
        self._title_rows = _row_lookup(weights.titles)
        self._global_mean = tf.constant(weights.global_mean, tf.float32)
        self._user_bias = _with_zero_row(weights.user_bias)
        self._user_factors = _with_zero_row(weights.user_factors)
        self._title_bias = _with_zero_row(weights.title_bias)
        self._title_factors = _with_zero_row(weights.title_factors)

    def signatures(self) -> dict[str, tf.types.experimental.PolymorphicFunction]:
        """Only the codelab's signature."""
        return {"serving_default": self.serve}

    @tf.function(input_signature=[USER_IDS, MOVIE_TITLES])
    def serve(self, user_id: tf.Tensor, movie_title: tf.Tensor) -> dict[str, tf.Tensor]:
        """Predicted rating in [1, 5] for each (user_id[i], movie_title[i]), shape [-1, 1]."""
        tf.debugging.assert_equal(
            tf.size(user_id),
            tf.size(movie_title),
            message="user_id and movie_title must have the same length",
        )
        users = self._user_rows.lookup(user_id)
        titles = self._title_rows.lookup(movie_title)
        interaction = tf.reduce_sum(
            tf.gather(self._user_factors, users) * tf.gather(self._title_factors, titles), axis=1
        )
        rating = self._global_mean + tf.gather(self._user_bias, users) + tf.gather(self._title_bias, titles)
        clipped = tf.clip_by_value(rating + interaction, *RATING_RANGE)
        return {"output_1": clipped[:, tf.newaxis]}
