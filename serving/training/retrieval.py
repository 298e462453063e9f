"""The retrieval model: a TensorFlow Recommenders two-tower model with a per-movie popularity bias.

The catalogue is small (1,664 titles), so the loss is an exact softmax over every title rather than the
in-batch sampled softmax of the TFRS tutorial: no sampling bias against popular movies, which is what
lifts top-100 recall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from serving.training.config import RetrievalConfig
from serving.training.dataset import Ratings

FEATURES = ("user_id", "movie_title")


@dataclass(frozen=True)
class RetrievalWeights:
    """Trained parameters; row i of the user (title) arrays belongs to users[i] (titles[i])."""

    users: np.ndarray
    titles: np.ndarray
    user_vectors: np.ndarray
    title_vectors: np.ndarray
    title_bias: np.ndarray


class TwoTowerModel(tfrs.Model):
    """User tower and title tower; score(u, m) = <user(u), title(m)> + bias(m)."""

    def __init__(self, users: np.ndarray, titles: np.ndarray, config: RetrievalConfig) -> None:
        super().__init__()
        # Index 0 of each lookup is the out-of-vocabulary row; no rating trains it.
        self.user_tower = tf.keras.Sequential(
            [
                tf.keras.layers.StringLookup(vocabulary=users, mask_token=None),
                tf.keras.layers.Embedding(len(users) + 1, config.dim),
            ]
        )
        self.title_lookup = tf.keras.layers.StringLookup(vocabulary=titles, mask_token=None)
        self.title_tower = tf.keras.layers.Embedding(len(titles) + 1, config.dim)
        self.title_bias = tf.keras.layers.Embedding(len(titles) + 1, 1, embeddings_initializer="zeros")
        self.l2 = config.l2

    def compute_loss(self, features: dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        """Softmax cross-entropy of each rated title against the whole catalogue, plus L2 on used rows."""
        users = self.user_tower(features["user_id"])
        title_rows = self.title_lookup(features["movie_title"])
        rated = self.title_tower(title_rows)  # also builds the layer before its table is read below
        self.title_bias(title_rows)
        catalogue = self.title_tower.embeddings[1:]
        logits = tf.matmul(users, catalogue, transpose_b=True) + tf.transpose(self.title_bias.embeddings[1:])
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(title_rows - 1, logits))
        penalty = tf.reduce_mean(tf.reduce_sum(users**2, axis=1)) + tf.reduce_mean(
            tf.reduce_sum(rated**2, axis=1)
        )
        return loss + self.l2 * penalty


def train_retrieval(train: Ratings, config: RetrievalConfig, seed: int) -> RetrievalWeights:
    """Fit the two towers on every training rating (as implicit feedback); Keras prints each epoch."""
    tf.keras.utils.set_random_seed(seed)
    users = np.unique(train.user_ids.astype(str))
    titles = train.catalogue.astype(str)
    model = TwoTowerModel(users, titles, config)
    model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
    examples = tf.data.Dataset.from_tensor_slices(
        {"user_id": train.user_ids.astype(str), "movie_title": train.titles.astype(str)}
    )
    batches = examples.shuffle(len(train), seed=seed, reshuffle_each_iteration=True).batch(config.batch_size)
    print(f"retrieval: {config.epochs} epochs over {len(train)} ratings", flush=True)
    model.fit(batches, epochs=config.epochs, verbose=2)
    return RetrievalWeights(
        users=users,
        titles=titles,
        user_vectors=model.user_tower.layers[1].embeddings.numpy()[1:],
        title_vectors=model.title_tower.embeddings.numpy()[1:],
        title_bias=model.title_bias.embeddings.numpy()[1:, 0],
    )
