"""Every data source yields the same ratings and GroupLens' exact titles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from serving.training.config import DataConfig
from serving.training.dataset import Ratings, assemble, load
from serving.training.sources import (
    RawMovieLens,
    fetch_grouplens_zip,
    read_grouplens_dir,
    read_grouplens_zip,
)
from tests.serving.training.grouplens_files import uitem_line, write_grouplens, zip_folder

# Titles exactly as GroupLens u.item spells them, including its trailing spaces and its placeholder.
GROUPLENS_TITLES = {
    1: "Toy Story (1995)",
    267: "unknown",
    543: "Misérables, Les (1995)",
    1061: "Evening Star, The (1996)",
    1128: "Heidi Fleiss: Hollywood Madam (1995) ",
    1633: "Á köldum klaka (Cold Fever) (1994)",
}


def test_recbole_copy_holds_all_of_movielens_100k(movielens: Ratings) -> None:
    assert len(movielens) == 100_000
    assert len(np.unique(movielens.user_ids)) == 943
    assert len(movielens.catalogue) == 1664  # 1,682 movie ids, some listed twice under one title
    assert set(np.unique(movielens.ratings)) == {1.0, 2.0, 3.0, 4.0, 5.0}


def test_user_ids_are_strings_as_the_codelab_sends_them(movielens: Ratings) -> None:
    assert all(isinstance(user, str) for user in movielens.user_ids[:100])
    assert "15" in set(movielens.user_ids)


def test_recbole_titles_are_spelled_as_grouplens_publishes_them(recbole_raw: RawMovieLens) -> None:
    assert {movie: recbole_raw.titles[movie] for movie in GROUPLENS_TITLES} == GROUPLENS_TITLES


def test_latin1_u_item_lines_keep_accents_and_trailing_spaces(tmp_path: Path) -> None:
    lines = "".join(uitem_line(movie, title) + "\n" for movie, title in GROUPLENS_TITLES.items())
    (tmp_path / "u.item").write_bytes(lines.encode("latin-1"))
    (tmp_path / "u.data").write_text("".join(f"7\t{movie}\t4\t881250949\n" for movie in GROUPLENS_TITLES))
    assert read_grouplens_dir(tmp_path).titles == GROUPLENS_TITLES


def test_grouplens_folder_and_recbole_copy_agree(tmp_path: Path, recbole_raw: RawMovieLens) -> None:
    from_folder = assemble(read_grouplens_dir(write_grouplens(tmp_path / "ml-100k", recbole_raw)))
    from_recbole = assemble(recbole_raw)
    assert from_folder.sha256 == from_recbole.sha256
    assert list(from_folder.titles) == list(from_recbole.titles)
    assert list(from_folder.user_ids) == list(from_recbole.user_ids)
    np.testing.assert_array_equal(from_folder.ratings, from_recbole.ratings)


def test_grouplens_zip_and_folder_agree(tmp_path: Path, small_grouplens_folder: Path) -> None:
    url, sha256 = zip_folder(small_grouplens_folder, tmp_path / "ml-100k.zip")
    archive = fetch_grouplens_zip(url, sha256, tmp_path / "cache")
    assert (
        assemble(read_grouplens_zip(archive)).sha256
        == assemble(read_grouplens_dir(small_grouplens_folder)).sha256
    )


def test_zip_is_downloaded_once_then_read_from_the_cache(
    tmp_path: Path, small_grouplens_folder: Path
) -> None:
    url, sha256 = zip_folder(small_grouplens_folder, tmp_path / "ml-100k.zip")
    cached = fetch_grouplens_zip(url, sha256, tmp_path / "cache")
    (tmp_path / "ml-100k.zip").unlink()  # the "server" is gone; the cache must suffice
    assert fetch_grouplens_zip(url, sha256, tmp_path / "cache") == cached


def test_a_damaged_cached_zip_is_downloaded_again(tmp_path: Path, small_grouplens_folder: Path) -> None:
    url, sha256 = zip_folder(small_grouplens_folder, tmp_path / "ml-100k.zip")
    cached = fetch_grouplens_zip(url, sha256, tmp_path / "cache")
    cached.write_bytes(b"damaged")
    assert read_grouplens_zip(fetch_grouplens_zip(url, sha256, tmp_path / "cache")).ratings.size > 0


def test_data_dir_wins_over_every_other_source(tmp_path: Path, small_grouplens_folder: Path) -> None:
    config = DataConfig(small_grouplens_folder, "recbole", "file:///nowhere.zip", "0" * 64, tmp_path)
    assert load(config).source == f"GroupLens folder {small_grouplens_folder}"


def test_auto_prefers_a_cached_zip_to_the_recbole_copy(tmp_path: Path, small_grouplens_folder: Path) -> None:
    url, sha256 = zip_folder(small_grouplens_folder, tmp_path / "ml-100k.zip")
    fetch_grouplens_zip(url, sha256, tmp_path / "cache")
    loaded = load(DataConfig(None, "auto", url, sha256, tmp_path / "cache"))
    assert loaded.source.startswith("GroupLens archive")


@pytest.mark.parametrize("source", ["auto", "recbole"])
def test_without_data_dir_or_cached_zip_the_recbole_copy_is_used(tmp_path: Path, source: str) -> None:
    loaded = load(DataConfig(None, source, (tmp_path / "absent.zip").as_uri(), "0" * 64, tmp_path / "cache"))
    assert loaded.source.startswith("recbole")
    assert len(loaded) == 100_000
