"""The MovieLens 100K importer on a small hand-written fixture in that layout (no MovieLens data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from engagement_analytics.cli import main
from engagement_analytics.generator.writer import CONTRACT_FILES
from engagement_analytics.importers.movielens import convert, import_movielens
from tests.conftest import build_paths, build_warehouse

FIXTURE = Path(__file__).parent / "fixtures" / "movielens"
FEED_FILES = ["interactions.parquet", "users.parquet", "videos.parquet"]


def fixture_ratings() -> list[tuple[int, int, float, int]]:
    rows = [line.split("\t") for line in (FIXTURE / "u.data").read_text().splitlines() if line.strip()]
    return [(int(u), int(i), float(r), int(t)) for u, i, r, t in rows]


def test_movies_become_videos_with_the_first_flagged_genre():
    videos = convert(FIXTURE).videos.set_index("video_id")
    assert videos["genre"].to_dict() == {
        1: "Animation",  # Animation, Children's and Comedy flagged: the first in u.genre order
        2: "Action",
        3: "Drama",
        4: "Action",
        5: "unknown",  # no flag set
        6: "Comedy",
    }
    assert videos.loc[1, "upload_date"] == dt.date(1995, 1, 1)
    assert videos.loc[2, "upload_date"] == dt.date(1996, 3, 15)
    # No release date: the day of the first rating (875050000 = 1997-09-23 21:26:40 UTC).
    assert videos.loc[3, "upload_date"] == dt.date(1997, 9, 23)


def test_ratings_become_interactions_in_time_order():
    interactions = convert(FIXTURE).interactions
    ratings = sorted(fixture_ratings(), key=lambda r: (r[3], r[0], r[1]))
    assert interactions["interaction_id"].tolist() == list(range(1, len(ratings) + 1))
    assert list(zip(interactions["user_id"], interactions["video_id"], interactions["watch_time"])) == [
        (u, i, r) for u, i, r, _ in ratings]
    expected_times = [dt.datetime.fromtimestamp(t, dt.UTC).replace(tzinfo=None) for *_, t in ratings]
    assert [t.to_pydatetime() for t in interactions["first_click_timestamp"]] == expected_times
    assert set(interactions["interaction_type"]) == {"view"}
    assert set(interactions["shares"]) == {0}


def test_preferred_genre_is_the_most_rated_with_ties_in_genre_order():
    users = convert(FIXTURE).users.set_index("user_id")
    assert users["preferred_genre"].to_dict() == {
        1: "Action",  # two Action ratings, one Animation, one Comedy
        2: "Animation",  # one Animation, one Comedy: Animation comes first in u.genre
        3: "unknown",  # one each of unknown, Drama, Action: unknown is genre 0
        4: "Action",
    }
    assert users.loc[1, "last_active"] == dt.date(1997, 9, 24)  # 875090000
    assert users.loc[4, "last_active"] == dt.date(1997, 10, 4)  # 876000000


def test_cli_writes_only_the_feed_files_with_contract_types(tmp_path: Path, capsys: pytest.CaptureFixture):
    out = tmp_path / "raw"
    assert main(["import-movielens", "--source", str(FIXTURE), "--out", str(out)]) == 0
    assert "interactions.parquet (12 rows)" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == FEED_FILES
    con = duckdb.connect()
    for name in FEED_FILES:
        described = con.execute(f"describe select * from read_parquet('{out / name}')").fetchall()
        assert {row[0]: row[1].lower() for row in described} == CONTRACT_FILES[name], name
    assert con.execute(f"select count(*) from read_parquet('{out / 'interactions.parquet'}')").fetchall()[0][0] == 12


def test_refuses_an_incomplete_source_and_writing_into_it(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="u.data"):
        import_movielens(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError):
        import_movielens(FIXTURE, FIXTURE)


def test_staging_keeps_every_imported_row(tmp_path: Path):
    raw = tmp_path / "raw"
    counts = import_movielens(FIXTURE, raw)
    result, run_results = build_warehouse(
        tmp_path, raw, "--select", "+stg_feed__users", "+stg_feed__videos", "+stg_feed__interactions",
        "--indirect-selection", "cautious")
    assert result.returncode == 0, result.stdout[-3000:]
    con = duckdb.connect(str(build_paths(tmp_path, raw).warehouse_db), read_only=True)
    staged = {
        name: con.execute(f"select count(*) from staging.stg_feed__{name.split('.')[0]}").fetchall()[0][0]
        for name in counts
    }
    assert staged == counts
