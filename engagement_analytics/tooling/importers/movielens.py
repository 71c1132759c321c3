"""MovieLens 100K -> the feed files of the raw-data contract.

Reads the MovieLens 100K layout from a folder (the files are not in this repository: their
licence forbids redistribution):

- ``u.data``: tab-separated user id, item id, rating, unix timestamp; no header.
- ``u.item``: pipe-separated, latin-1: item id, title, release date (``01-Jan-1995``), video
  release date, IMDb URL, then 19 genre flags (0/1) in the order of ``u.genre``.
- ``u.genre``: pipe-separated genre name and its index (0..18).

Writes ``users.parquet``, ``videos.parquet`` and ``interactions.parquet`` with the contract's
column types, and nothing else:

- a movie is a video; its genre is the first flagged genre in ``u.genre`` order (``unknown``
  when no flag is set); its upload_date is the release date, or, when that is missing or does
  not parse, the day of its first rating (a movie with neither is written without a date, and
  staging quarantines it). A release date is a theatrical date: some ratings come before it
  (231 in MovieLens 100K). They are written as they are; staging keeps them and moves the
  movie's upload date back to the day of its first rating (the effective upload date);
- a rating is an interaction: watch_time = the rating (1..5), first_click_timestamp = the unix
  time (UTC), interaction_type ``view``, shares 0; interaction ids number the ratings in order
  of time, then user, then item;
- every user in ``u.data`` is a user; preferred_genre is the genre (of the videos, as above)
  the user rated most often, ties going to the genre first in ``u.genre`` order; last_active
  is the day of the user's last rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engagement_analytics.tooling.generator.common import write_parquet
from engagement_analytics.tooling.generator.writer import CONTRACT_FILES

FEED_FILES = ("users.parquet", "videos.parquet", "interactions.parquet")
NO_GENRE = "unknown"


@dataclass
class MovieLensFeed:
    users: pd.DataFrame
    videos: pd.DataFrame
    interactions: pd.DataFrame


def read_genres(path: Path) -> list[str]:
    """Genre names of ``u.genre`` in index order."""
    frame = pd.read_csv(
        path,
        sep="|",
        header=None,
        names=["genre", "index"],
        encoding="latin-1",
        dtype={"genre": str},
        skip_blank_lines=True,
    ).dropna()
    frame["index"] = frame["index"].astype(int)
    return frame.sort_values("index")["genre"].tolist()


def read_ratings(path: Path) -> pd.DataFrame:
    """``u.data`` as user_id, video_id, rating, rated_at (UTC timestamps)."""
    frame = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=["user_id", "video_id", "rating", "unix_time"],
        dtype={"user_id": np.int64, "video_id": np.int64, "rating": float, "unix_time": np.int64},
    )
    frame["rated_at"] = pd.to_datetime(frame["unix_time"], unit="s")
    return frame.drop(columns="unix_time")


def read_items(path: Path, genres: list[str]) -> pd.DataFrame:
    """``u.item`` as video_id, genre (first flagged), release_date (NaT when missing)."""
    columns = ["video_id", "title", "release_date", "video_release_date", "url", *genres]
    frame = pd.read_csv(
        path, sep="|", header=None, names=columns, encoding="latin-1", dtype=str, keep_default_na=False, quoting=3
    )
    flags = frame[genres].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy() > 0
    first = np.where(flags.any(axis=1), flags.argmax(axis=1), -1)
    return pd.DataFrame(
        {
            "video_id": frame["video_id"].astype(np.int64),
            "genre": [genres[i] if i >= 0 else NO_GENRE for i in first],
            "release_date": pd.to_datetime(frame["release_date"].str.strip(), format="%d-%b-%Y", errors="coerce"),
        }
    )


def convert(source: Path) -> MovieLensFeed:
    """The three feed frames of the contract from a MovieLens 100K folder."""
    genres = read_genres(source / "u.genre")
    ratings = read_ratings(source / "u.data")
    items = read_items(source / "u.item", genres)

    first_rating = ratings.groupby("video_id")["rated_at"].min().dt.normalize()
    upload = items["release_date"].fillna(items["video_id"].map(first_rating))
    videos = pd.DataFrame({"video_id": items["video_id"], "genre": items["genre"], "upload_date": upload.dt.date})

    ratings = ratings.sort_values(["rated_at", "user_id", "video_id"], kind="stable").reset_index(drop=True)
    interactions = pd.DataFrame(
        {
            "interaction_id": np.arange(1, len(ratings) + 1, dtype=np.int64),
            "user_id": ratings["user_id"],
            "video_id": ratings["video_id"],
            "watch_time": ratings["rating"],
            "first_click_timestamp": ratings["rated_at"],
            "interaction_type": "view",
            "shares": np.zeros(len(ratings), dtype=np.int32),
        }
    )

    genre_order = {name: position for position, name in enumerate(genres)}
    genre_order.setdefault(NO_GENRE, len(genres))
    rated = ratings.merge(items[["video_id", "genre"]], on="video_id", how="left")
    rated["genre"] = rated["genre"].fillna(NO_GENRE)
    counts = rated.groupby(["user_id", "genre"]).size().rename("ratings").reset_index()
    counts["order"] = counts["genre"].map(genre_order)
    counts = counts.sort_values(["user_id", "ratings", "order"], ascending=[True, False, True])
    preferred = counts.drop_duplicates("user_id").set_index("user_id")["genre"]
    last_active = ratings.groupby("user_id")["rated_at"].max().dt.normalize()
    users = pd.DataFrame({"user_id": np.sort(ratings["user_id"].unique())})
    users["preferred_genre"] = users["user_id"].map(preferred)
    users["last_active"] = users["user_id"].map(last_active).dt.date
    return MovieLensFeed(users=users, videos=videos, interactions=interactions)


def import_movielens(source: Path, out: Path) -> dict[str, int]:
    """Convert a MovieLens 100K folder and write the feed contract files into ``out``; row counts."""
    source, out = Path(source), Path(out)
    missing = [name for name in ("u.data", "u.item", "u.genre") if not (source / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{source} lacks {', '.join(missing)} (the MovieLens 100K layout)")
    if out.resolve() == source.resolve():
        raise ValueError("write the contract files into a folder other than the MovieLens source")
    feed = convert(source)
    out.mkdir(parents=True, exist_ok=True)
    frames = dict(zip(FEED_FILES, (feed.users, feed.videos, feed.interactions), strict=True))
    return {name: write_parquet(frame, out / name, CONTRACT_FILES[name]) for name, frame in frames.items()}
