"""The ranking model: biased matrix factorisation fitted exactly by alternating least squares.

rating(u, m) = global mean + user bias + movie bias + <user factors, movie factors>, with L2 penalties
on factors and biases. Each half-step solves one small ridge regression per user (or per movie).
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
    rng = np.random.default_rng(seed)
    user_params = _initial(rng, len(users), config.dim)
    title_params = _initial(rng, len(titles), config.dim)
    penalty = np.diag([config.l2] * config.dim + [config.bias_l2])
    by_user, by_title = _group(user_rows, len(users)), _group(title_rows, len(titles))
    for iteration in range(1, config.iterations + 1):
        _solve(user_params, title_params, by_user, title_rows, targets - global_mean, penalty)
        _solve(title_params, user_params, by_title, user_rows, targets - global_mean, penalty)
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


def _solve(
    solved: np.ndarray,
    fixed: np.ndarray,
    groups: list[np.ndarray],
    other_rows: np.ndarray,
    residuals: np.ndarray,
    penalty: np.ndarray,
) -> None:
    """Ridge-solve every row of `solved` (factors + bias) with `fixed` held constant.

    An entity without ratings gets zeros: unknown to the model, it predicts the global mean.
    """
    for entity, ratings in enumerate(groups):
        if ratings.size == 0:
            solved[entity] = 0.0
            continue
        others = fixed[other_rows[ratings]]
        design = np.hstack([others[:, :-1], np.ones((ratings.size, 1))])
        target = residuals[ratings] - others[:, -1]
        solved[entity] = np.linalg.solve(design.T @ design + penalty, design.T @ target)


def _predict(global_mean: float, user_params: np.ndarray, title_params: np.ndarray) -> np.ndarray:
    raw = global_mean + user_params[:, -1] + title_params[:, -1]
    raw += np.sum(user_params[:, :-1] * title_params[:, :-1], axis=1)
    return np.clip(raw, *RATING_RANGE)
