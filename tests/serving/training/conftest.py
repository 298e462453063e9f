"""Fixtures for the training tests: the recbole copy of MovieLens 100K and GroupLens-format copies of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving.training.dataset import Ratings, Split, assemble, split
from serving.training.sources import RawMovieLens, read_recbole
from tests.serving.training.grouplens_files import first_users, write_grouplens

SEED = 42
TEST_FRACTION = 0.2
SMALL_USERS = 40  # users 1..40 rate about 4,000 times: enough to train a smoke model in seconds


@pytest.fixture(scope="session")
def recbole_raw() -> RawMovieLens:
    """MovieLens 100K as read from the recbole wheel."""
    return read_recbole()


@pytest.fixture(scope="session")
def movielens(recbole_raw: RawMovieLens) -> Ratings:
    """All 100,000 ratings in canonical form."""
    return assemble(recbole_raw)


@pytest.fixture(scope="session")
def held_out_split(movielens: Ratings) -> Split:
    """The split the committed models were trained and measured on."""
    return split(movielens, SEED, TEST_FRACTION)


@pytest.fixture(scope="session")
def small_raw(recbole_raw: RawMovieLens) -> RawMovieLens:
    """A small real subset: the ratings of the first users, every movie."""
    return first_users(recbole_raw, SMALL_USERS)


@pytest.fixture(scope="session")
def small_grouplens_folder(tmp_path_factory: pytest.TempPathFactory, small_raw: RawMovieLens) -> Path:
    """The small subset written as a GroupLens ml-100k folder."""
    return write_grouplens(tmp_path_factory.mktemp("small") / "ml-100k", small_raw)
