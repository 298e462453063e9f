"""Write small MovieLens folders and archives in GroupLens' published ml-100k layout, for tests."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import numpy as np

from serving.training.sources import RawMovieLens

GENRE_FLAGS = 19


def uitem_line(movie: int, title: str) -> str:
    """A u.item line: id|title|release date|video release date|IMDb URL|19 genre flags."""
    year = re.search(r"\((\d{4})\)\s*$", title)
    released = f"01-Jan-{year.group(1)}" if year else ""
    url = "http://us.imdb.com/M/title-exact?" + title.strip().replace(" ", "%20") if year else ""
    return "|".join([str(movie), title, released, "", url, *["0"] * GENRE_FLAGS])


def write_grouplens(folder: Path, data: RawMovieLens, *, with_info: bool = True) -> Path:
    """u.data (tab-separated), u.item (latin-1, pipe-separated) and u.info for `data`."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = zip(data.users, data.items, data.ratings, data.timestamps, strict=True)
    (folder / "u.data").write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in rows), encoding="ascii")
    items = "".join(uitem_line(movie, title) + "\n" for movie, title in sorted(data.titles.items()))
    (folder / "u.item").write_bytes(items.encode("latin-1"))
    if with_info:
        info = f"{len(np.unique(data.users))} users\n{len(data.titles)} items\n{len(data.ratings)} ratings\n"
        (folder / "u.info").write_text(info, encoding="ascii")
    return folder


def zip_folder(folder: Path, archive: Path) -> tuple[str, str]:
    """Zip `folder` as ml-100k/<file>, like GroupLens; return its file:// URL and SHA-256."""
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.iterdir()):
            zipped.write(path, f"ml-100k/{path.name}")
    return archive.as_uri(), hashlib.sha256(archive.read_bytes()).hexdigest()


def first_users(data: RawMovieLens, count: int) -> RawMovieLens:
    """The ratings of users 1..count, with the whole movie list (so titles stay complete)."""
    keep = data.users <= count
    return RawMovieLens(
        source=data.source,
        users=data.users[keep],
        items=data.items[keep],
        ratings=data.ratings[keep],
        timestamps=data.timestamps[keep],
        titles=data.titles,
        expected=None,
    )
