"""Generate a small SavedModel pair with the codelab's exact serving contracts.

The codelab's retrieval model takes one positional string input (`input_1`, shape [-1]) and returns
`output_1` (float scores, [-1, 10]) and `output_2` (titles, [-1, 10]); its ranking model takes `user_id`
and `movie_title` ([-1]) and returns `output_1` ([-1, 1]). The weights here are random but seeded, so the
answers are deterministic and differ per user, which is all the chain tests need.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

CANDIDATES = 10
TITLES = tuple(f"Generated Movie {i:02d} ({1970 + i})" for i in range(40))
EMBEDDING_DIM = 8
HASH_BUCKETS = 97
VERSION = "1"

MODELS_CONFIG = """model_config_list {
  config {
    name: 'retrieval'
    base_path: '/models/retrieval'
    model_platform: 'tensorflow'
  }
  config {
    name: 'ranking'
    base_path: '/models/ranking'
    model_platform: 'tensorflow'
  }
}
"""


def _embeddings(seed: int, rows: int):
    return tf.constant(np.random.default_rng(seed).normal(size=(rows, EMBEDDING_DIM)), dtype="float32")


class _Retrieval:
    def __init__(self):
        self.module = tf.Module()
        self.module.users = tf.Variable(_embeddings(1, HASH_BUCKETS))
        self.module.items = tf.Variable(_embeddings(2, len(TITLES)))
        self.module.titles = tf.constant(TITLES)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="input_1")])
        def serve(input_1):
            users = tf.gather(self.module.users, tf.strings.to_hash_bucket_fast(input_1, HASH_BUCKETS))
            scores, indices = tf.math.top_k(tf.matmul(users, self.module.items, transpose_b=True), CANDIDATES)
            return {"output_1": scores, "output_2": tf.gather(self.module.titles, indices)}

        self.module.serve = serve


class _Ranking:
    def __init__(self):
        self.module = tf.Module()
        self.module.users = tf.Variable(_embeddings(3, HASH_BUCKETS))
        self.module.items = tf.Variable(_embeddings(4, HASH_BUCKETS))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None], tf.string, name="user_id"),
                tf.TensorSpec([None], tf.string, name="movie_title"),
            ]
        )
        def serve(user_id, movie_title):
            users = tf.gather(self.module.users, tf.strings.to_hash_bucket_fast(user_id, HASH_BUCKETS))
            items = tf.gather(self.module.items, tf.strings.to_hash_bucket_fast(movie_title, HASH_BUCKETS))
            return {"output_1": 3.0 + tf.reduce_sum(users * items, axis=1, keepdims=True) / 4.0}

        self.module.serve = serve


def write_codelab_like_models(root: Path) -> Path:
    """Write retrieval/1, ranking/1 and models.config under `root` (laid out for /models) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    for name, model in (("retrieval", _Retrieval()), ("ranking", _Ranking())):
        tf.saved_model.save(
            model.module, str(root / name / VERSION), signatures={"serving_default": model.module.serve}
        )
    (root / "models.config").write_text(MODELS_CONFIG)
    return root


if __name__ == "__main__":
    print(write_codelab_like_models(Path(sys.argv[1])))
