"""The MovieLens 100K importer on a small hand-written fixture in that layout (no MovieLens data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from engagement_analytics.tooling import warehouse
from engagement_analytics.tooling.cli import main
from engagement_analytics.tooling.generator.writer import CONTRACT_FILES
from engagement_analytics.tooling.importers.movielens import convert, import_movielens
from tests.conftest import build_paths
from tests.test_feed_any_data import (
    FeedBuild,
    assert_drops_match,
    assert_lists_are_complete_and_unwatched,
    build_feed,
    fan_watch_months,
    read_raw,
)

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
        7: "Drama",
        8: "Comedy",
        9: "Comedy",
        10: "Drama",
    }
    assert videos.loc[1, "upload_date"] == dt.date(1995, 1, 1)
    assert videos.loc[2, "upload_date"] == dt.date(1996, 3, 15)
    # No release date: the day of the first rating (875050000 = 1997-09-23 21:26:40 UTC).
    assert videos.loc[3, "upload_date"] == dt.date(1997, 9, 23)
    # Rated before its (theatrical) release: the importer keeps the release date; staging moves it.
    assert videos.loc[7, "upload_date"] == dt.date(1998, 1, 16)
    # Neither a release date nor a rating: no upload date (staging quarantines the video).
    assert pd.isna(videos.loc[8, "upload_date"])


def test_ratings_become_interactions_in_time_order():
    interactions = convert(FIXTURE).interactions
    ratings = sorted(fixture_ratings(), key=lambda r: (r[3], r[0], r[1]))
    assert interactions["interaction_id"].tolist() == list(range(1, len(ratings) + 1))
    assert list(zip(interactions["user_id"], interactions["video_id"], interactions["watch_time"], strict=True)) == [
        (u, i, r) for u, i, r, _ in ratings
    ]
    expected_times = [dt.datetime.fromtimestamp(t, dt.UTC).replace(tzinfo=None) for *_, t in ratings]
    assert [t.to_pydatetime() for t in interactions["first_click_timestamp"]] == expected_times
    assert set(interactions["interaction_type"]) == {"view"}
    assert set(interactions["shares"]) == {0}


def test_preferred_genre_is_the_most_rated_with_ties_in_genre_order():
    users = convert(FIXTURE).users.set_index("user_id")
    assert users["preferred_genre"].to_dict() == {
        1: "Action",  # two Action ratings, one each of Animation, Comedy, Drama
        2: "Animation",  # one Animation, one Comedy: Animation comes first in u.genre
        3: "Drama",  # two Drama, one unknown, one Action
        4: "Action",
        5: "Drama",  # users 5, 6 and 10 rated one movie each
        6: "Action",
        7: "Drama",
        8: "Drama",
        9: "Comedy",
        10: "Comedy",
    }
    assert users.loc[1, "last_active"] == dt.date(1997, 10, 4)  # 876000000
    assert users.loc[4, "last_active"] == dt.date(1997, 10, 4)  # 876000000
    assert users.loc[8, "last_active"] == dt.date(1998, 1, 17)  # 885000000


def test_cli_writes_only_the_feed_files_with_contract_types(tmp_path: Path, capsys: pytest.CaptureFixture):
    out = tmp_path / "raw"
    assert main(["import-movielens", "--source", str(FIXTURE), "--out", str(out)]) == 0
    assert "interactions.parquet (27 rows)" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == FEED_FILES
    con = duckdb.connect()
    for name in FEED_FILES:
        described = con.execute(f"describe select * from read_parquet('{out / name}')").fetchall()
        assert {row[0]: row[1].lower() for row in described} == CONTRACT_FILES[name], name
    assert con.execute(f"select count(*) from read_parquet('{out / 'interactions.parquet'}')").fetchall()[0][0] == 27


def test_refuses_an_incomplete_source_and_writing_into_it(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"u\.data"):
        import_movielens(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match="a folder other than the MovieLens source"):
        import_movielens(FIXTURE, FIXTURE)


# ---------------------------------------------------------------------------------------------
# The fixture end to end: import, then build the feed
# ---------------------------------------------------------------------------------------------


def fixture_items() -> pd.DataFrame:
    """u.item read straight from the fixture: item id and release date (NaT when empty)."""
    rows = [line.split("|") for line in (FIXTURE / "u.item").read_text(encoding="latin-1").splitlines() if line]
    return pd.DataFrame(
        {
            "video_id": [int(r[0]) for r in rows],
            "release": pd.to_datetime([r[2] or None for r in rows], format="%d-%b-%Y"),
        }
    )


@pytest.fixture(scope="module")
def movielens_feed(tmp_path_factory: pytest.TempPathFactory) -> FeedBuild:
    """The fixture imported and built with a `--select` of the feed models (the folder holds only
    the feed files)."""
    base = tmp_path_factory.mktemp("movielens")
    import_movielens(FIXTURE, base / "raw")
    return build_feed(base, base / "raw")


def test_feed_build_succeeds_on_the_fixture(movielens_feed: FeedBuild):
    assert movielens_feed.result.returncode == 0, movielens_feed.result.stdout[-3000:]
    assert movielens_feed.failures() == []


def test_every_rating_is_kept_and_only_the_undated_unrated_movie_is_quarantined(movielens_feed: FeedBuild):
    staged = {
        name: movielens_feed.values(f"select count(*) from staging.stg_feed__{name}")[0][0]
        for name in ("users", "videos", "interactions")
    }
    assert staged == {"users": 4 + 6, "videos": 10 - 1, "interactions": len(fixture_ratings())}
    quarantined = movielens_feed.values(
        "select video_id, quarantine_reason from staging.base_feed__videos where quarantine_reason is not null"
    )
    assert quarantined == [(8, "missing_timestamp")]  # no release date and no rating to date it by


def test_ratings_before_the_release_date_move_the_upload_date_back(movielens_feed: FeedBuild):
    """Computed from the fixture files: a movie's upload date is its release date, or the day of
    its first rating when that is earlier or the release date is missing."""
    ratings = pd.DataFrame(fixture_ratings(), columns=["user_id", "video_id", "rating", "unix_time"])
    first = pd.to_datetime(ratings.groupby("video_id")["unix_time"].min(), unit="s").dt.normalize()
    items = fixture_items().set_index("video_id")
    expected = pd.concat([items["release"], first.reindex(items.index)], axis=1).min(axis=1).dropna()
    before_release = ratings.merge(items, left_on="video_id", right_index=True)
    before_release = before_release[pd.to_datetime(before_release["unix_time"], unit="s") < before_release["release"]]
    assert len(before_release) > 0
    assert before_release["video_id"].nunique() == 2
    staged = movielens_feed.query("select * from staging.stg_feed__videos").set_index("video_id")
    assert sorted(staged.index) == sorted(expected.index)
    assert (pd.to_datetime(staged["upload_date"]) == expected.loc[staged.index]).all()
    moved = set(staged.index[staged["is_upload_date_moved_back"]])
    assert moved == set(before_release["video_id"])
    ages = movielens_feed.query("select video_age_days from intermediate.int_interactions_featurised_for_watch_time")[
        "video_age_days"
    ]
    assert len(ages) == len(ratings)
    assert (ages >= 0).all()


def test_feed_marts_answer_on_the_fixture(movielens_feed: FeedBuild):
    raw = read_raw(movielens_feed.raw)
    raw["videos"] = raw["videos"].dropna(subset=["upload_date"])  # the quarantined movie
    last_month = raw["interactions"]["first_click_timestamp"].max().to_period("M").to_timestamp()
    assert_drops_match(movielens_feed, raw, last_month)
    drops = movielens_feed.query("select genre from marts.genre_watch_time_drops where is_top_drop")
    assert len(drops) >= 1  # the fixture plants a drop in the last month
    # Contributors: fans of the top drops whose own fan watch time fell, recomputed in pandas.
    months = (
        fan_watch_months(raw["interactions"], raw["videos"], raw["users"])
        .pivot_table(index="user_id", columns="month", values="watch_time", aggfunc="sum")
        .fillna(0.0)
    )
    previous = last_month - pd.offsets.MonthBegin(1)
    fans = raw["users"][raw["users"]["preferred_genre"].isin(drops["genre"])]["user_id"]
    delta = (months.get(last_month, 0.0) - months.get(previous, 0.0)).reindex(fans, fill_value=0.0)
    contributors = movielens_feed.query("select user_id, user_delta_seconds from marts.genre_decline_contributors")
    assert sorted(contributors["user_id"]) == sorted(delta[delta < 0].index)
    recs = assert_lists_are_complete_and_unwatched(movielens_feed)
    # No movie was uploaded in the last seven days of ratings: no fresh slot, the lists fill without.
    end = raw["interactions"]["first_click_timestamp"].max().normalize() + pd.Timedelta(days=1)
    uploaded = pd.to_datetime(movielens_feed.query("select upload_date from staging.stg_feed__videos")["upload_date"])
    assert not ((uploaded >= end - pd.Timedelta(days=7)) & (uploaded < end)).any()
    assert "fresh" not in set(recs["reason"])
    assert movielens_feed.values("select count(*) from marts.watch_time_predictions")[0][0] == len(raw["interactions"])
    evaluation = movielens_feed.query("select * from marts.recommendation_offline_eval")
    holdout_start = raw["interactions"]["first_click_timestamp"].max().normalize() - pd.Timedelta(days=13)
    holdout_users = raw["interactions"].loc[raw["interactions"]["first_click_timestamp"] >= holdout_start, "user_id"]
    assert len(evaluation) == 8
    assert (evaluation["users_evaluated"] == holdout_users.nunique()).all()


def test_publishing_build_on_the_movielens_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`import-movielens`, then the publishing build with no selection: the build finds that only
    the feed files are present, builds the feed and publishes the warehouse."""
    raw = tmp_path / "raw"
    assert main(["import-movielens", "--source", str(FIXTURE), "--out", str(raw)]) == 0
    paths = build_paths(tmp_path, raw)
    monkeypatch.setenv("WAREHOUSE_RAW_DIR", str(raw))
    monkeypatch.setenv("WAREHOUSE_DB", str(paths.warehouse_db))
    monkeypatch.setenv("DBT_TARGET_PATH", str(paths.target_dir))
    monkeypatch.setenv("DBT_LOG_PATH", str(paths.log_dir))
    assert warehouse.build() == 0
    con = duckdb.connect(str(paths.warehouse_db), read_only=True)
    for mart in (
        "genre_watch_time_drops",
        "user_video_recommendations",
        "recommendation_offline_eval",
        "watch_time_predictions",
        "video_coview_neighbors",
    ):
        assert con.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] > 0, mart
