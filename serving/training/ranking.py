"""The ranking model: biased matrix factorisation fitted exactly by alternating least squares.

rating(u, m) = global mean + user bias + movie bias + <user factors, movie factors>, with L2 penalties
on factors and biases. Ratings are not missing at random (people watch what they expect to like), so a
model fitted to observed ratings alone is over-optimistic about obscure movies and ranks them first.
Following Steck (KDD 2010), every unobserved (user, movie) pair also counts as a weak rating of
`missing_rating` with weight `missing_weight`; each half-step is still one small ridge regression per
user (or movie), with the all-pairs term computed once per half-step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from serving.training.config import RankingConfig
from serving.training.dataset import Ratings

RATING_RANGE = (1.0, 5.0)
INIT_SCALE = 0.1


@dataclass(frozen=True)
class RankingWeights:
    """Trained parameters; row i of the user (movie) arrays belongs to users[i] (titles[i])."""

    users: np.ndarray
    titles: np.ndarray
    global_mean: float
    user_bias: np.ndarray
    user_factors: np.ndarray
    title_bias: np.ndarray
    title_factors: np.ndarray


def train_ranking(train: Ratings, config: RankingConfig, seed: int) -> RankingWeights:
    """Fit the model to the training ratings, printing the training RMSE after every iteration."""
    users, user_rows = np.unique(train.user_ids.astype(str), return_inverse=True)
    titles = train.catalogue.astype(str)
    title_rows = np.searchsorted(titles, train.titles.astype(str))
    targets = train.ratings.astype(np.float64)
    global_mean = float(targets.mean())
    solver = _HalfStep(config, residuals=targets - global_mean, missing=config.missing_rating - global_mean)
    by_user, by_title = _group(user_rows, len(users)), _group(title_rows, len(titles))
    rng = np.random.default_rng(seed)
    user_params = _initial(rng, len(users), config.dim)
    title_params = _initial(rng, len(titles), config.dim)
    for iteration in range(1, config.iterations + 1):
        solver.solve(user_params, title_params, by_user, title_rows)
        solver.solve(title_params, user_params, by_title, user_rows)
        predicted = _predict(global_mean, user_params[user_rows], title_params[title_rows])
        rmse = float(np.sqrt(np.mean((predicted - targets) ** 2)))
        print(f"ranking: iteration {iteration}/{config.iterations} training RMSE {rmse:.4f}", flush=True)
    return RankingWeights(
        users=users,
        titles=titles,
        global_mean=global_mean,
        user_bias=user_params[:, -1].astype(np.float32),
        user_factors=user_params[:, :-1].astype(np.float32),
        title_bias=title_params[:, -1].astype(np.float32),
        title_factors=title_params[:, :-1].astype(np.float32),
    )


def _initial(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    """Small random factors and a zero bias in the last column."""
    params = np.zeros((rows, dim + 1))
    params[:, :-1] = rng.normal(0.0, INIT_SCALE, (rows, dim))
    return params


def _group(rows: np.ndarray, count: int) -> list[np.ndarray]:
    """For each of `count` entities, the indices of its ratings."""
    order = np.argsort(rows, kind="stable")
    return np.split(order, np.searchsorted(rows[order], np.arange(1, count)))


class _HalfStep:
    """One side's exact update with the other side (factors + bias in the last column) held fixed."""

    def __init__(self, config: RankingConfig, residuals: np.ndarray, missing: float) -> None:
        self._penalty = np.diag([config.l2] * config.dim + [config.bias_l2])
        self._weight = config.missing_weight
        self._residuals = residuals
        self._missing = missing

    def solve(
        self, solved: np.ndarray, fixed: np.ndarray, groups: list[np.ndarray], partners: np.ndarray
    ) -> None:
        """Ridge-solve every row of `solved`; `groups[e]` are entity e's ratings, rated with `partners`.

        Observed pairs weigh 1; every other pair weighs `missing_weight` towards the missing rating, computed
        as the all-pairs Gram matrix minus the observed part. An entity without ratings gets zeros: unknown
        to the model, it predicts from the other side's bias and the global mean.
        """
        design = np.hstack([fixed[:, :-1], np.ones((len(fixed), 1))])
        missing_target = self._missing - fixed[:, -1]
        all_pairs = self._weight * design.T @ design + self._penalty
        all_pairs_moment = self._weight * design.T @ missing_target
        for entity, ratings in enumerate(groups):
            if ratings.size == 0:
                solved[entity] = 0.0
                continue
            others = partners[ratings]
            rated = design[others]
            target = self._residuals[ratings] - fixed[others, -1]
            gram = (1 - self._weight) * rated.T @ rated + all_pairs
            moment = rated.T @ (target - self._weight * missing_target[others]) + all_pairs_moment
            solved[entity] = np.linalg.solve(gram, moment)


def _predict(global_mean: float, user_params: np.ndarray, title_params: np.ndarray) -> np.ndarray:
    raw = global_mean + user_params[:, -1] + title_params[:, -1]
    raw += np.sum(user_params[:, :-1] * title_params[:, :-1], axis=1)
    return np.clip(raw, *RATING_RANGE)
