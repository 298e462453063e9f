"""One deterministic 80/20 split, the same whichever source the ratings came from."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from serving.training.dataset import Ratings, Split, assemble, split
from serving.training.sources import RawMovieLens, read_grouplens_dir
from tests.serving.training.conftest import SEED, TEST_FRACTION
from tests.serving.training.grouplens_files import write_grouplens


def rows(ratings: Ratings) -> Counter:
    return Counter(zip(ratings.user_ids, ratings.titles, ratings.ratings.tolist(), strict=True))


def test_split_holds_out_a_fifth(held_out_split: Split) -> None:
    assert (len(held_out_split.train), len(held_out_split.test)) == (80_000, 20_000)


def test_split_partitions_the_ratings(movielens: Ratings, held_out_split: Split) -> None:
    assert rows(held_out_split.train) + rows(held_out_split.test) == rows(movielens)


def test_same_seed_gives_the_same_split(movielens: Ratings, held_out_split: Split) -> None:
    again = split(movielens, SEED, TEST_FRACTION)
    assert rows(again.test) == rows(held_out_split.test)


def test_another_seed_gives_another_split(movielens: Ratings, held_out_split: Split) -> None:
    other = split(movielens, SEED + 1, TEST_FRACTION)
    assert rows(other.test) != rows(held_out_split.test)


def test_split_does_not_depend_on_the_source_or_its_row_order(
    tmp_path: Path, recbole_raw: RawMovieLens
) -> None:
    reversed_raw = RawMovieLens(
        source="reversed",
        users=recbole_raw.users[::-1],
        items=recbole_raw.items[::-1],
        ratings=recbole_raw.ratings[::-1],
        timestamps=recbole_raw.timestamps[::-1],
        titles=recbole_raw.titles,
        expected=None,
    )
    from_folder = assemble(read_grouplens_dir(write_grouplens(tmp_path / "ml-100k", reversed_raw)))
    assert rows(split(from_folder, SEED, TEST_FRACTION).test) == rows(
        split(assemble(recbole_raw), SEED, TEST_FRACTION).test
    )
