"""The ratings in one canonical form, their checksum, and the one train/test split."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from serving.training.config import DataConfig
from serving.training.errors import DataCorrupt
from serving.training.sources import (
    RawMovieLens,
    cached_grouplens_zip,
    fetch_grouplens_zip,
    read_grouplens_dir,
    read_grouplens_zip,
    read_recbole,
    recbole_installed,
)


@dataclass(frozen=True)
class Ratings:
    """Ratings sorted by (user, movie id, timestamp); user ids and titles are strings.

    Movies sharing a title (MovieLens lists a few twice) are one movie to the models, as in the codelab.
    """

    source: str
    user_ids: np.ndarray
    titles: np.ndarray
    ratings: np.ndarray
    catalogue: np.ndarray
    sha256: str

    def __len__(self) -> int:
        return len(self.ratings)

    def take(self, rows: np.ndarray) -> Ratings:
        """The ratings at `rows` (same catalogue, source and checksum)."""
        return Ratings(
            self.source,
            self.user_ids[rows],
            self.titles[rows],
            self.ratings[rows],
            self.catalogue,
            self.sha256,
        )


@dataclass(frozen=True)
class Split:
    """The held-out split every model is trained on and every figure is measured on."""

    train: Ratings
    test: Ratings


def load(config: DataConfig) -> Ratings:
    """Ratings from the first source given or present: --data-dir, cached zip, recbole wheel, download."""
    return assemble(_read(config))


def _read(config: DataConfig) -> RawMovieLens:
    if config.data_dir is not None:
        return read_grouplens_dir(config.data_dir)
    if config.source == "recbole":
        return read_recbole()
    if config.source == "grouplens":
        return read_grouplens_zip(fetch_grouplens_zip(config.url, config.sha256, config.cache_dir))
    if cached := cached_grouplens_zip(config.sha256, config.cache_dir):
        return read_grouplens_zip(cached)
    if recbole_installed():
        return read_recbole()
    return read_grouplens_zip(fetch_grouplens_zip(config.url, config.sha256, config.cache_dir))


def assemble(raw: RawMovieLens) -> Ratings:
    """Validate a source's ratings against its movie list and declared counts; return them canonically."""
    unknown = sorted(set(np.unique(raw.items).tolist()) - raw.titles.keys())
    if unknown:
        raise DataCorrupt(
            f"{raw.source}: ratings refer to movie ids missing from the movie list: {unknown[:5]}"
        )
    _check_counts(raw)
    order = np.lexsort((raw.timestamps, raw.items, raw.users))
    users, items = raw.users[order], raw.items[order]
    ratings, timestamps = raw.ratings[order], raw.timestamps[order]
    titles_by_id = np.array([raw.titles.get(movie, "") for movie in range(max(raw.titles) + 1)], dtype=object)
    return Ratings(
        source=raw.source,
        user_ids=users.astype(str).astype(object),
        titles=titles_by_id[items],
        ratings=ratings.astype(np.float32),
        catalogue=np.array(sorted(set(raw.titles.values())), dtype=object),
        sha256=_checksum(users, items, ratings, timestamps, raw.titles),
    )


def split(ratings: Ratings, seed: int, test_fraction: float) -> Split:
    """A random split of the canonical order with a fixed seed, so every source gives the same split."""
    order = np.random.default_rng(seed).permutation(len(ratings))
    held_out = round(len(ratings) * test_fraction)
    return Split(train=ratings.take(np.sort(order[held_out:])), test=ratings.take(np.sort(order[:held_out])))


def _check_counts(raw: RawMovieLens) -> None:
    if raw.expected is None:
        return
    found = {"users": len(np.unique(raw.users)), "items": len(raw.titles), "ratings": len(raw.ratings)}
    for what, count in found.items():
        declared = getattr(raw.expected, what)
        if count != declared:
            raise DataCorrupt(
                f"{raw.source}: has {count} {what}, expected {declared} (truncated or altered?)"
            )


def _checksum(
    users: np.ndarray, items: np.ndarray, ratings: np.ndarray, timestamps: np.ndarray, titles: dict[int, str]
) -> str:
    """SHA-256 of a canonical text rendering, so identical data from any source has the same digest."""
    digest = hashlib.sha256()
    for row in zip(users.tolist(), items.tolist(), ratings.tolist(), timestamps.tolist(), strict=True):
        digest.update(("\t".join(map(str, row)) + "\n").encode())
    for movie in sorted(titles):
        digest.update(f"{movie}\t{titles[movie]}\n".encode())
    return digest.hexdigest()
