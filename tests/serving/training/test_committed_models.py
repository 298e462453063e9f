"""The committed models in serving/cloudrun/models honour the serving contract and the quality targets."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

from serving.training.dataset import Ratings, Split
from serving.training.evaluation import evaluate
from serving.training.export import MODEL_NAMES, existing_versions, latest_version_dir, models_config
from tests.serving.training.contract import (
    assert_ranking_contract,
    assert_retrieval_contract,
    assert_warmup_replays,
    signature,
    warmup_batch_sizes,
)
from tests.support.servers import REPO_ROOT

MODELS = REPO_ROOT / "serving" / "cloudrun" / "models"
CANDIDATES = 100


@pytest.fixture(scope="module")
def metrics() -> dict:
    return json.loads((MODELS / "metrics.json").read_text())


@pytest.fixture(scope="module")
def retrieve() -> tf.types.experimental.ConcreteFunction:
    return signature(latest_version_dir(MODELS, "retrieval"))


@pytest.fixture(scope="module")
def rank() -> tf.types.experimental.ConcreteFunction:
    return signature(latest_version_dir(MODELS, "ranking"))


def titles_for(retrieve: tf.types.experimental.ConcreteFunction, users: list[str]) -> np.ndarray:
    return np.vectorize(bytes.decode, otypes=[object])(
        retrieve(user_id=tf.constant(users))["movie_titles"].numpy()
    )


def test_models_config_serves_both_models_from_slash_models() -> None:
    assert (MODELS / "models.config").read_text() == models_config()
    assert "base_path: '/models/retrieval'" in models_config()
    assert "base_path: '/models/ranking'" in models_config()


def test_exactly_one_version_of_each_model_is_committed(metrics: dict) -> None:
    assert [existing_versions(MODELS / name) for name in MODEL_NAMES] == [[metrics["version"]]] * 2


def test_retrieval_signature_matches_the_contract() -> None:
    assert_retrieval_contract(latest_version_dir(MODELS, "retrieval"), CANDIDATES)


def test_ranking_signature_matches_the_codelab_contract() -> None:
    assert_ranking_contract(latest_version_dir(MODELS, "ranking"))


def test_models_are_small_enough_to_commit() -> None:
    size = sum(path.stat().st_size for path in MODELS.rglob("*") if path.is_file())
    assert size < 10 * 2**20


def test_no_user_is_offered_a_movie_rated_in_training(held_out_split: Split, retrieve) -> None:
    train = held_out_split.train
    users = sorted(set(train.user_ids))
    offered = titles_for(retrieve, users)
    rated = {(user, title) for user, title in zip(train.user_ids, train.titles, strict=True)}
    assert not [
        (user, title)
        for user, row in zip(users, offered, strict=True)
        for title in row
        if (user, title) in rated
    ]


def test_each_user_gets_n_distinct_catalogue_titles(movielens: Ratings, retrieve) -> None:
    offered = titles_for(retrieve, ["1", "15", "405"])
    assert all(len(set(row)) == CANDIDATES for row in offered)
    assert set(offered.ravel()) <= set(movielens.catalogue)


def test_unknown_user_gets_popular_movies(held_out_split: Split, retrieve) -> None:
    most_rated = {title for title, _ in Counter(held_out_split.train.titles).most_common(50)}
    offered = titles_for(retrieve, ["no-such-user", ""])
    assert len(set(offered[0])) == CANDIDATES
    assert set(offered[0][:10]) <= most_rated
    assert list(offered[0]) == list(offered[1])


def test_ranking_prefers_what_a_user_loved_to_what_they_hated(held_out_split: Split, rank) -> None:
    train = held_out_split.train
    user = "15"
    mine = train.user_ids == user
    loved, hated = train.titles[mine & (train.ratings == 5)], train.titles[mine & (train.ratings == 1)]
    predicted = rank(
        user_id=tf.constant([user] * (len(loved) + len(hated))), movie_title=tf.constant([*loved, *hated])
    )
    scores = predicted["output_1"].numpy()[:, 0]
    assert scores[: len(loved)].mean() > scores[len(loved) :].mean() + 0.5


def test_ranking_handles_unknown_ids_with_a_rating_in_range(rank) -> None:
    users = tf.constant(["no-such-user", "15", "no-such-user"])
    titles = tf.constant(["Star Wars (1977)", "No Such Movie (2099)", "No Such Movie (2099)"])
    scores = rank(user_id=users, movie_title=titles)["output_1"].numpy()
    assert scores.shape == (3, 1)
    assert np.all((scores >= 1) & (scores <= 5))


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_warmup_requests_replay_against_the_committed_model(model: str) -> None:
    assert_warmup_replays(latest_version_dir(MODELS, model), model)


def test_ranking_warmup_includes_the_functions_100_pair_batch() -> None:
    assert CANDIDATES in warmup_batch_sizes(latest_version_dir(MODELS, "ranking"))


def test_saved_figures_meet_the_targets(metrics: dict) -> None:
    assert metrics["ranking_rmse"] <= 0.93
    assert metrics["retrieval_recall_at_100"] >= 0.24
    assert metrics["chain_recall_at_10"] >= 2 * metrics["codelab_chain_recall_at_10"]


def test_saved_figures_are_those_of_the_committed_models(
    metrics: dict, held_out_split: Split, movielens: Ratings
) -> None:
    assert metrics["data"]["sha256"] == movielens.sha256
    measured = evaluate(MODELS, held_out_split)
    assert measured == pytest.approx({figure: metrics[figure] for figure in measured}, abs=1e-6)


def test_ranking_rejects_inputs_of_different_lengths_clearly(rank) -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="user_id and movie_title must have the same"):
        rank(user_id=tf.constant(["15", "16"]), movie_title=tf.constant(["Star Wars (1977)"]))
