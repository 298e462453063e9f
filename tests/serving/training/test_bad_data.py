"""Missing, truncated or corrupt data stops training with an error naming the source and the fault."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from serving.training.dataset import assemble
from serving.training.errors import ChecksumMismatch, DataCorrupt, DataMissing, DownloadFailed
from serving.training.sources import fetch_grouplens_zip, read_grouplens_dir, read_grouplens_zip
from tests.serving.training.grouplens_files import zip_folder
from tests.support.servers import REPO_ROOT, python_cmd


@pytest.fixture
def folder(tmp_path: Path, small_grouplens_folder: Path) -> Path:
    """A private, writable copy of the small GroupLens folder to damage."""
    return Path(shutil.copytree(small_grouplens_folder, tmp_path / "ml-100k"))


def read(folder: Path) -> None:
    assemble(read_grouplens_dir(folder))


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataMissing, match=rf"GroupLens folder {tmp_path / 'nope'}: no such directory"):
        read(tmp_path / "nope")


@pytest.mark.parametrize("name", ["u.data", "u.item"])
def test_missing_file_is_named(folder: Path, name: str) -> None:
    (folder / name).unlink()
    with pytest.raises(DataMissing, match=rf"GroupLens folder .*ml-100k: {name} is missing"):
        read(folder)


def test_file_cut_mid_line_is_reported_with_its_line(folder: Path) -> None:
    data = (folder / "u.data").read_bytes()
    (folder / "u.data").write_bytes(data[: data.index(b"\t", len(data) // 2) + 1])
    with pytest.raises(DataCorrupt, match=r"u\.data line \d+ has [123] fields, expected 4 \(truncated"):
        read(folder)


def test_file_cut_between_lines_is_caught_by_the_declared_counts(folder: Path) -> None:
    lines = (folder / "u.data").read_text().splitlines(keepends=True)
    (folder / "u.data").write_text("".join(lines[:-10]))
    with pytest.raises(DataCorrupt, match=rf"has {len(lines) - 10} ratings, expected {len(lines)}"):
        read(folder)


def test_empty_file_is_reported(folder: Path) -> None:
    (folder / "u.item").write_bytes(b"")
    with pytest.raises(DataCorrupt, match=r"u\.item is empty"):
        read(folder)


@pytest.mark.parametrize(
    ("bad_line", "fault"),
    [
        ("1\t1\tfive\t881250949\n", r"u\.data line 1: 'five' is not a number"),
        ("1\t1\t7\t881250949\n", r"rating 7 .* is outside 1\.\.5"),
        ("1\t99999\t4\t881250949\n", r"movie ids missing from the movie list: \[99999\]"),
    ],
)
def test_corrupt_rating_is_reported(folder: Path, bad_line: str, fault: str) -> None:
    lines = (folder / "u.data").read_text().splitlines(keepends=True)
    (folder / "u.data").write_text(bad_line + "".join(lines[1:]))
    with pytest.raises(DataCorrupt, match=fault):
        read(folder)


def test_archive_with_the_wrong_checksum_is_refused_and_not_kept(tmp_path: Path, folder: Path) -> None:
    url, _ = zip_folder(folder, tmp_path / "ml-100k.zip")
    with pytest.raises(ChecksumMismatch, match=rf"{url}: SHA-256 is [0-9a-f]{{64}}, expected f{{64}}"):
        fetch_grouplens_zip(url, "f" * 64, tmp_path / "cache")
    assert not any((tmp_path / "cache").iterdir())


def test_unreachable_archive_is_reported(tmp_path: Path) -> None:
    url = (tmp_path / "absent.zip").as_uri()
    with pytest.raises(DownloadFailed, match=rf"{url}: download failed"):
        fetch_grouplens_zip(url, "0" * 64, tmp_path / "cache")


def test_insecure_url_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DownloadFailed, match="unsupported URL scheme 'ftp'"):
        fetch_grouplens_zip("ftp://example.org/ml-100k.zip", "0" * 64, tmp_path)


def test_archive_that_is_not_a_zip_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ml-100k.zip").write_bytes(b"<html>Service unavailable</html>")
    with pytest.raises(DataCorrupt, match=r"GroupLens archive .*ml-100k\.zip: not a readable zip"):
        read_grouplens_zip(tmp_path / "ml-100k.zip")


def test_archive_without_ratings_is_reported(tmp_path: Path, folder: Path) -> None:
    (folder / "u.data").unlink()
    zip_folder(folder, tmp_path / "ml-100k.zip")
    with pytest.raises(DataMissing, match=r"ml-100k\.zip: u\.data is missing"):
        read_grouplens_zip(tmp_path / "ml-100k.zip")


def test_command_line_prints_one_clear_line_and_fails(tmp_path: Path) -> None:
    result = subprocess.run(
        python_cmd("-m", "serving.training", "--data-dir", str(tmp_path / "nope"), "--models", str(tmp_path)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"error: GroupLens folder {tmp_path / 'nope'}: no such directory" in result.stderr
    assert "Traceback" not in result.stderr
