"""MovieLens 100K from its three sources: a GroupLens folder, the GroupLens zip, the RecBole wheel.

Every reader returns the same `RawMovieLens`: the ratings as published and the GroupLens title of
every movie id, exactly as GroupLens u.item spells it (latin-1 decoded, trailing spaces kept).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.training.errors import (
    ChecksumMismatch,
    DataCorrupt,
    DataMissing,
    DownloadFailed,
)

ML100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
# Published in tensorflow/datasets, tensorflow_datasets/url_checksums/movielens.txt (4,924,029 bytes);
# it matches GroupLens' own ml-100k.zip.md5 (0e33842e24a9c977be4e0107933c0723) for the same file.
ML100K_SHA256 = "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229"
ZIP_FOLDER = "ml-100k"
ZIP_NAME = "ml-100k.zip"  # the cached copy, whatever URL it came from (its SHA-256 is checked on every use)
UITEM_FIELDS = 24  # id | title | release date | video release date | IMDb URL | 19 genre flags
RECBOLE_VERSION = "1.2.1"
# RecBole's converter stripped the trailing space GroupLens has on three titles and misspelt the
# placeholder title of movie 267; these restore the u.item spelling so every source agrees.
RECBOLE_TITLE_FIXES = {
    267: "unknown",
    1128: "Heidi Fleiss: Hollywood Madam (1995) ",
    1201: "Marlene Dietrich: Shadow and Light (1996) ",
    1635: "Two Friends (1986) ",
}
DOWNLOAD_TIMEOUT_S = 60
ALLOWED_URL_SCHEMES = ("https", "http", "file")


@dataclass(frozen=True)
class Counts:
    """How many users, movies and ratings a source declares."""

    users: int
    items: int
    ratings: int


ML100K_COUNTS = Counts(users=943, items=1682, ratings=100_000)


@dataclass(frozen=True)
class RawMovieLens:
    """Ratings as published (user id, movie id, rating, timestamp columns) and movie id -> title."""

    source: str
    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    timestamps: np.ndarray
    titles: dict[int, str]
    expected: Counts | None


def read_grouplens_dir(folder: Path) -> RawMovieLens:
    """Read a GroupLens `ml-100k` folder (u.data, u.item, and u.info when present)."""
    source = f"GroupLens folder {folder}"
    if not folder.is_dir():
        raise DataMissing(f"{source}: no such directory")

    def read(name: str) -> bytes | None:
        path = folder / name
        try:
            return path.read_bytes() if path.is_file() else None
        except OSError as error:
            raise DataMissing(f"{source}: cannot read {name} ({error.strerror})") from error

    return _parse_grouplens(source, read)


def read_grouplens_zip(archive: Path) -> RawMovieLens:
    """Read the GroupLens `ml-100k.zip` without extracting it."""
    source = f"GroupLens archive {archive}"
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = set(zipped.namelist())

            def read(name: str) -> bytes | None:
                member = f"{ZIP_FOLDER}/{name}"
                return zipped.read(member) if member in members else None

            return _parse_grouplens(source, read)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as error:
        raise DataCorrupt(f"{source}: not a readable zip archive ({error})") from error


def read_recbole() -> RawMovieLens:
    """Read the MovieLens 100K copy shipped in the recbole wheel, located through its metadata."""
    source = f"recbole=={RECBOLE_VERSION} wheel"
    inter_path, item_path = _recbole_files(source)
    inter = _recbole_table(
        source, inter_path, ("user_id:token", "item_id:token", "rating:float", "timestamp:float")
    )
    item = _recbole_table(source, item_path, ("item_id:token", "movie_title:token_seq", "release_year:token"))
    users, items, ratings, timestamps = _integer_columns(source, inter_path.name, inter)
    titles = {}
    for line_number, (item_id, title, year) in item:
        movie = _as_int(source, item_path.name, line_number, item_id)
        titles[movie] = RECBOLE_TITLE_FIXES.get(movie, f"{title} ({year})")
    _check_ratings_range(source, inter_path.name, ratings)
    return RawMovieLens(source, users, items, ratings, timestamps, titles, ML100K_COUNTS)


def fetch_grouplens_zip(url: str, sha256: str, cache_dir: Path) -> Path:
    """Return the cached archive, downloading it once; either way its SHA-256 must match."""
    if intact := cached_grouplens_zip(sha256, cache_dir):
        return intact
    cached = cache_dir / ZIP_NAME
    if cached.is_file():
        print(f"Cached {cached} does not have the expected SHA-256; downloading it again.", flush=True)
        cached.unlink()
    _download(url, sha256, cached)
    return cached


def cached_grouplens_zip(sha256: str, cache_dir: Path) -> Path | None:
    """The cached archive if it is already there and intact, else None."""
    cached = cache_dir / ZIP_NAME
    return cached if cached.is_file() and _sha256_of(cached) == sha256 else None


def recbole_installed() -> bool:
    """Whether the recbole wheel (the fallback data source) is installed."""
    try:
        importlib.metadata.distribution("recbole")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _download(url: str, sha256: str, target: Path) -> None:
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in ALLOWED_URL_SCHEMES:
        raise DownloadFailed(f"{url}: unsupported URL scheme {scheme!r} (use one of {ALLOWED_URL_SCHEMES})")
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"Downloading {url} into {target.parent} ...", flush=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".download-", delete=False) as partial:
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    partial.write(chunk)
        except (urllib.error.URLError, OSError) as error:
            Path(partial.name).unlink(missing_ok=True)
            raise DownloadFailed(f"{url}: download failed ({error})") from error
    if digest.hexdigest() != sha256:
        Path(partial.name).unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"{url}: SHA-256 is {digest.hexdigest()}, expected {sha256}; the file was discarded"
        )
    os.replace(partial.name, target)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_grouplens(source: str, read: Callable[[str], bytes | None]) -> RawMovieLens:
    data, item = read("u.data"), read("u.item")
    for name, content in (("u.data", data), ("u.item", item)):
        if content is None:
            raise DataMissing(f"{source}: {name} is missing")
    info = read("u.info")
    rows = _split_lines(source, "u.data", data.decode("ascii", errors="replace"), "\t", 4)
    users, items, ratings, timestamps = _integer_columns(source, "u.data", rows)
    _check_ratings_range(source, "u.data", ratings)
    titles = {}
    # u.item is latin-1 (e.g. "Misérables, Les (1995)"); its titles are kept byte for byte.
    for line_number, fields in _split_lines(source, "u.item", item.decode("latin-1"), "|", UITEM_FIELDS):
        titles[_as_int(source, "u.item", line_number, fields[0])] = fields[1]
    expected = _parse_info(source, info.decode("ascii", errors="replace")) if info is not None else None
    return RawMovieLens(source, users, items, ratings, timestamps, titles, expected)


def _parse_info(source: str, text: str) -> Counts:
    declared = {}
    for line in text.split("\n"):
        if parts := line.split():
            if len(parts) != 2 or not parts[0].isdigit():
                raise DataCorrupt(f"{source}: u.info line {line!r} is not '<count> <what>'")
            declared[parts[1]] = int(parts[0])
    try:
        return Counts(users=declared["users"], items=declared["items"], ratings=declared["ratings"])
    except KeyError as missing:
        raise DataCorrupt(f"{source}: u.info does not declare a count of {missing.args[0]}") from missing


def _split_lines(
    source: str, name: str, text: str, separator: str, fields: int
) -> list[tuple[int, list[str]]]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise DataCorrupt(f"{source}: {name} is empty")
    rows = []
    for number, line in enumerate(lines, start=1):
        values = line.rstrip("\r").split(separator)
        if len(values) != fields:
            raise DataCorrupt(
                f"{source}: {name} line {number} has {len(values)} fields, expected {fields} "
                f"(truncated or not the GroupLens format): {line[:80]!r}"
            )
        rows.append((number, values))
    return rows


def _integer_columns(source: str, name: str, rows: list[tuple[int, list[str]]]) -> tuple[np.ndarray, ...]:
    table = np.empty((len(rows), 4), dtype=np.int64)
    for index, (number, values) in enumerate(rows):
        table[index] = [_as_int(source, name, number, value) for value in values[:4]]
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]


def _as_int(source: str, name: str, line_number: int, value: str) -> int:
    try:
        # RecBole stores ratings and timestamps as floats ("3" or "3.0"); GroupLens as integers.
        number = float(value) if "." in value else int(value)
    except ValueError as error:
        raise DataCorrupt(f"{source}: {name} line {line_number}: {value!r} is not a number") from error
    if number != int(number):
        raise DataCorrupt(f"{source}: {name} line {line_number}: {value!r} is not a whole number")
    return int(number)


def _check_ratings_range(source: str, name: str, ratings: np.ndarray) -> None:
    bad = np.flatnonzero((ratings < 1) | (ratings > 5))
    if bad.size:
        raise DataCorrupt(
            f"{source}: {name} rating {ratings[bad[0]]} at data row {bad[0] + 1} is outside 1..5"
        )


def _recbole_files(source: str) -> tuple[Path, Path]:
    try:
        distribution = importlib.metadata.distribution("recbole")
    except importlib.metadata.PackageNotFoundError as error:
        raise DataMissing(
            f"{source}: recbole is not installed (pip install --no-deps recbole=={RECBOLE_VERSION})"
        ) from error
    if distribution.version != RECBOLE_VERSION:
        raise DataMissing(
            f"{source}: recbole {distribution.version} is installed, expected {RECBOLE_VERSION}"
        )
    wanted = {"ml-100k.inter": None, "ml-100k.item": None}
    for file in distribution.files or ():
        if file.name in wanted and file.parent.name == "ml-100k":
            wanted[file.name] = Path(str(file.locate()))
    for name, path in wanted.items():
        if path is None or not path.is_file():
            raise DataMissing(f"{source}: dataset_example/ml-100k/{name} is missing")
    return wanted["ml-100k.inter"], wanted["ml-100k.item"]


def _recbole_table(source: str, path: Path, columns: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Rows of an atomic file (tab-separated, typed header), reduced to `columns` in that order."""
    text = path.read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    names = header.rstrip("\r").split("\t")
    missing = [column for column in columns if column not in names]
    if missing:
        raise DataCorrupt(f"{source}: {path.name} header lacks {missing} (has {names})")
    positions = [names.index(column) for column in columns]
    rows = _split_lines(source, path.name, body, "\t", len(names))
    return [(number + 1, [values[position] for position in positions]) for number, values in rows]
