"""The feed domain on files we did not make: interactions before their video's upload date, ids
anywhere in BIGINT (above 2**53, near the limit, negative), three years of data and an
as_of_month inside it, one short month (every evaluated user cold, an empty trending window), a
genre without fans, a fan of a genre without videos, and header-only files.

Each folder holds only the three feed files and gets one `--select` build of the feed models;
every check is against pandas on the raw files or on staging."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from engagement_analytics.tooling.generator import CONTRACT_FILES, generate
from tests.conftest import build_paths, build_warehouse

FEED_FILES = ("users.parquet", "videos.parquet", "interactions.parquet")
# Every feed model and its tests, nothing that needs another domain's files.
FEED_SELECT = ("--select", "+path:models/marts/feed", "path:python_models/feed", "--indirect-selection", "cautious")
N = 10  # feed_recommendations_per_user
FRESH_DAYS = 7
HOLDOUT_DAYS = 14
EVAL_K = (5, 10)
FEED_MARTS = (
    "genre_fan_watch_time_monthly",
    "genre_watch_time_drops",
    "genre_decline_contributors",
    "user_video_recommendations",
    "recommendation_offline_eval",
    "video_coview_neighbors",
    "video_top_coview_match",
    "watch_time_predictions",
)
BIGINT_MAX = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Folders and builds
# ---------------------------------------------------------------------------------------------


@dataclass
class FeedBuild:
    base: Path
    raw: Path
    result: subprocess.CompletedProcess
    run_results: dict

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(build_paths(self.base, self.raw).warehouse_db), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def values(self, sql: str) -> list:
        """Rows as Python values (exact integers, no pandas conversion)."""
        con = duckdb.connect(str(build_paths(self.base, self.raw).warehouse_db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def failures(self) -> list[tuple[str, str]]:
        return [
            (r["unique_id"], r["status"])
            for r in self.run_results["results"]
            if r["status"] not in ("success", "pass", "warn")
        ]


def build_feed(base: Path, raw: Path, *extra: str) -> FeedBuild:
    result, run_results = build_warehouse(base, raw, *FEED_SELECT, *extra)
    return FeedBuild(base, raw, result, run_results)


def write_feed_files(raw: Path, frames: dict[str, str], con: duckdb.DuckDBPyConnection) -> None:
    """Write each feed file from a SQL query, cast to the contract's column types."""
    raw.mkdir(parents=True, exist_ok=True)
    for name in FEED_FILES:
        casts = ", ".join(
            f'cast("{column}" as {sql_type}) as "{column}"' for column, sql_type in CONTRACT_FILES[name].items()
        )
        con.execute(f"copy (select {casts} from ({frames[name]})) to '{raw / name}' (format parquet)")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated folder whose feed files the folders below transform."""
    folder = tmp_path_factory.mktemp("generated")
    generate(0.005, 11, folder, progress=False)
    return folder


def read_raw(raw: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect()
    return {Path(name).stem: con.execute(f"select * from read_parquet('{raw / name}')").df() for name in FEED_FILES}


# ---------------------------------------------------------------------------------------------
# Independent computations (pandas)
# ---------------------------------------------------------------------------------------------


def effective_upload_dates(videos: pd.DataFrame, interactions: pd.DataFrame) -> pd.Series:
    """The declared upload date, or the day of the first interaction when that is earlier."""
    first = interactions.groupby("video_id")["first_click_timestamp"].min().dt.normalize()
    declared = pd.to_datetime(videos.set_index("video_id")["upload_date"])
    return pd.concat([declared, first.reindex(declared.index)], axis=1).min(axis=1)


def fan_watch_months(interactions: pd.DataFrame, videos: pd.DataFrame, users: pd.DataFrame) -> pd.DataFrame:
    """Fan watch time per user, genre and month."""
    rows = interactions.merge(videos[["video_id", "genre"]], on="video_id").merge(
        users[["user_id", "preferred_genre"]], on="user_id"
    )
    rows = rows[rows["genre"] == rows["preferred_genre"]].copy()
    rows["month"] = rows["first_click_timestamp"].dt.to_period("M").dt.to_timestamp()
    return rows.groupby(["user_id", "genre", "month"], as_index=False)["watch_time"].sum()


def expected_drops(
    interactions: pd.DataFrame, videos: pd.DataFrame, users: pd.DataFrame, analysis_month: pd.Timestamp
) -> pd.DataFrame:
    """Per genre: fan watch time in the analysis month and the month before (null before the
    first month with interactions), the delta, and the rank among the genres that fell."""
    months = fan_watch_months(interactions, videos, users)
    genres = sorted(set(users["preferred_genre"]) | set(videos["genre"]))
    totals = months.groupby(["genre", "month"])["watch_time"].sum()
    first_month = interactions["first_click_timestamp"].min().to_period("M").to_timestamp()
    previous = analysis_month - pd.offsets.MonthBegin(1)
    frame = pd.DataFrame({"genre": genres})
    frame["now"] = [totals.get((g, analysis_month), 0.0) for g in genres]
    frame["before"] = [totals.get((g, previous), 0.0) if previous >= first_month else np.nan for g in genres]
    frame["delta"] = frame["now"] - frame["before"]
    fell = frame[frame["delta"] < 0].sort_values(["delta", "genre"])
    frame["rank"] = frame["genre"].map(dict(zip(fell["genre"], range(1, len(fell) + 1), strict=True)))
    return frame.set_index("genre")


def assert_drops_match(build: FeedBuild, raw: dict[str, pd.DataFrame], analysis_month: pd.Timestamp) -> None:
    expected = expected_drops(raw["interactions"], raw["videos"], raw["users"], analysis_month)
    mart = build.query("select * from marts.genre_watch_time_drops").set_index("genre")
    assert sorted(mart.index) == sorted(expected.index)
    assert set(pd.to_datetime(mart["analysis_month"])) == {analysis_month}
    mart = mart.loc[expected.index]
    np.testing.assert_allclose(mart["fan_watch_time_seconds"], expected["now"], rtol=1e-9)
    np.testing.assert_allclose(mart["prev_month_fan_watch_time_seconds"].astype(float), expected["before"], rtol=1e-9)
    assert mart["drop_rank"].astype("Float64").fillna(0).tolist() == expected["rank"].fillna(0).tolist()


def assert_lists_are_complete_and_unwatched(build: FeedBuild) -> pd.DataFrame:
    """Every staged user gets min(N, videos existing at the end of the data that they have not
    watched) distinct videos ranked 1..n, none watched."""
    users = build.query("select user_id from staging.stg_feed__users")
    videos = build.query("select video_id, upload_date from staging.stg_feed__videos")
    interactions = build.query("select user_id, video_id, first_clicked_at from staging.stg_feed__interactions")
    recs = build.query("select * from marts.user_video_recommendations")
    end = interactions["first_clicked_at"].max().normalize() + pd.Timedelta(days=1)
    existing = set(videos.loc[pd.to_datetime(videos["upload_date"]) < end, "video_id"])
    watched = interactions.groupby("user_id")["video_id"].agg(set)
    assert set(recs["user_id"]) == set(users["user_id"])
    for user_id, frame in recs.groupby("user_id"):
        seen = watched.get(user_id, set())
        assert not set(frame["video_id"]) & seen, user_id
        assert set(frame["video_id"]) <= existing, user_id
        assert sorted(frame["recommendation_rank"]) == list(range(1, min(N, len(existing - seen)) + 1)), user_id
        assert frame["video_id"].nunique() == len(frame)
    return recs


# ---------------------------------------------------------------------------------------------
# Wide: ids across BIGINT, three years, interactions before the declared upload date
# ---------------------------------------------------------------------------------------------

WINDOW_START = "2025-10-01"
STRETCH = 3  # twelve generated months become thirty-six
LATE_DECLARED_DAYS = 200  # every fifth video declares an upload date this much later
FRESH_EXTRA = 6  # videos uploaded the day before the last click, never watched


def wide_sql(generated: Path) -> dict[str, str]:
    """Map ids into three ranges (near the BIGINT limit, just above 2**53 and odd, negative),
    stretch time threefold, let every fifth video declare its upload 200 days late, and add
    never-watched videos uploaded the day before the last click."""
    user = (
        "case user_id % 3 when 0 then 9223372036854775807 - user_id "
        "when 1 then 9007199254740993 + 2 * user_id else -user_id - 1 end"
    )
    video = "case video_id % 2 when 0 then 9223372036854775806 - video_id else -4611686018427387904 - video_id end"
    stretched = f"timestamp '{WINDOW_START}' + (first_click_timestamp - timestamp '{WINDOW_START}') * {STRETCH}"
    interactions = f"read_parquet('{generated / 'interactions.parquet'}')"
    last_day = f"(select cast(max({stretched}) as date) from {interactions})"
    return {
        "users.parquet": f"""
            select {user} as user_id, preferred_genre, last_active
            from read_parquet('{generated / "users.parquet"}')""",
        "videos.parquet": f"""
            select
                {video} as video_id,
                genre,
                cast(timestamp '{WINDOW_START}' + (cast(upload_date as timestamp) - timestamp '{WINDOW_START}')
                    * {STRETCH} as date)
                + case when video_id % 5 = 0 then {LATE_DECLARED_DAYS} else 0 end as upload_date
            from read_parquet('{generated / "videos.parquet"}')
            union all
            select
                9223372036854775807 - 1000000 - n as video_id,
                genre,
                {last_day} - 1 as upload_date
            from range({FRESH_EXTRA}) as r(n)
            cross join (select min(genre) as genre from read_parquet('{generated / "videos.parquet"}'))""",
        "interactions.parquet": f"""
            select
                4611686018427387904 + 3 * interaction_id as interaction_id,
                {user.replace("user_id", "i.user_id")} as user_id,
                {video.replace("video_id", "i.video_id")} as video_id,
                watch_time,
                {stretched} as first_click_timestamp,
                interaction_type,
                shares
            from {interactions} as i""",
    }


@pytest.fixture(scope="module")
def wide(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> FeedBuild:
    base = tmp_path_factory.mktemp("wide")
    write_feed_files(base / "raw", wide_sql(generated), duckdb.connect())
    return build_feed(base, base / "raw")


def test_wide_folder_builds(wide: FeedBuild):
    assert wide.result.returncode == 0, wide.result.stdout[-3000:]
    assert wide.failures() == []


def test_wide_ids_survive_exactly_to_the_marts(wide: FeedBuild):
    con = duckdb.connect()

    def raw_ids(column: str, file_name: str) -> set[int]:
        return {r[0] for r in con.execute(f"select {column} from read_parquet('{wide.raw / file_name}')").fetchall()}

    raw_users = raw_ids("user_id", "users.parquet")
    raw_videos = raw_ids("video_id", "videos.parquet")
    raw_interactions = raw_ids("interaction_id", "interactions.parquet")
    # The folder really holds ids beyond float precision, near the limit and below zero.
    assert max(raw_users) > BIGINT_MAX - 1000
    assert min(raw_users) < 0
    assert any(2**53 < u < 2**54 and u % 2 == 1 for u in raw_users)
    assert max(raw_videos) > BIGINT_MAX - 2000
    assert min(raw_videos) < -(2**62)

    def ids(sql: str) -> set[int]:
        return {row[0] for row in wide.values(sql)}

    assert ids("select user_id from marts.user_video_recommendations") == raw_users
    assert ids("select video_id from marts.user_video_recommendations") <= raw_videos
    assert ids("select interaction_id from marts.watch_time_predictions") == raw_interactions
    assert ids("select user_id from marts.genre_decline_contributors") <= raw_users
    assert (
        ids("select video_id from marts.video_coview_neighbors")
        | ids("select neighbor_video_id from marts.video_coview_neighbors")
        <= raw_videos
    )
    assert ids("select matched_video_id from marts.video_top_coview_match") <= raw_videos


def test_wide_upload_dates_move_back_to_the_first_interaction(wide: FeedBuild):
    raw = read_raw(wide.raw)
    expected = effective_upload_dates(raw["videos"], raw["interactions"])
    staged = wide.query("select * from staging.stg_feed__videos").set_index("video_id")
    assert len(staged) == len(raw["videos"])  # no video is lost
    assert (pd.to_datetime(staged["upload_date"]) == expected.loc[staged.index]).all()
    declared = pd.to_datetime(raw["videos"].set_index("video_id")["upload_date"])
    moved = expected < declared
    assert moved.sum() > 0  # the late declarations planted above
    assert staged.loc[moved[moved].index, "is_upload_date_moved_back"].all()
    assert not staged.loc[moved[~moved].index, "is_upload_date_moved_back"].any()
    assert (pd.to_datetime(staged["declared_upload_date"]) == declared.loc[staged.index]).all()
    # Every interaction is kept, and none is earlier than its video's upload.
    assert wide.values("select count(*) from staging.stg_feed__interactions")[0][0] == len(raw["interactions"])
    assert (
        wide.values("select min(video_age_days) from intermediate.int_interactions_featurised_for_watch_time")[0][0]
        >= 0
    )


def test_wide_three_years_of_months_and_the_drops(wide: FeedBuild):
    raw = read_raw(wide.raw)
    clicks = raw["interactions"]["first_click_timestamp"]
    months = pd.period_range(clicks.min(), clicks.max(), freq="M")
    assert len(months) >= 36
    monthly = wide.query("select genre, activity_month from marts.genre_fan_watch_time_monthly")
    genres = set(raw["users"]["preferred_genre"]) | set(raw["videos"]["genre"])
    assert len(monthly) == len(genres) * len(months)
    assert_drops_match(wide, raw, months[-1].to_timestamp())


def test_wide_fresh_rotation_uses_any_id(wide: FeedBuild):
    """A user who has watched no fresh video gets, in the fresh slot, the fresh video of their
    genre at position user_id mod (fresh videos of the genre), ordered by video_id, or among all
    fresh videos when their genre has none: Python's exact integer modulo, which is 0..count - 1
    for negative ids too."""
    videos = wide.query("select video_id, genre, upload_date from staging.stg_feed__videos")
    interactions = wide.query("select user_id, video_id, first_clicked_at from staging.stg_feed__interactions")
    users = wide.values("select user_id, preferred_genre from staging.stg_feed__users")
    recs = wide.values("select user_id, video_id from marts.user_video_recommendations where reason = 'fresh'")
    end = interactions["first_clicked_at"].max().normalize() + pd.Timedelta(days=1)
    uploaded = pd.to_datetime(videos["upload_date"])
    # Uploaded in the last FRESH_DAYS days, and not after the data (such a video does not exist yet).
    fresh = videos[(uploaded >= end - pd.Timedelta(days=FRESH_DAYS)) & (uploaded < end)]
    assert len(fresh) >= FRESH_EXTRA
    fresh_all = sorted(int(v) for v in fresh["video_id"])
    fresh_by_genre = {g: sorted(int(v) for v in f["video_id"]) for g, f in fresh.groupby("genre")}
    watched_fresh = set(interactions.loc[interactions["video_id"].isin(fresh_all), "user_id"])
    picks = dict(recs)
    checked = 0
    for user_id, genre in users:
        if user_id in watched_fresh:
            continue
        pool = fresh_by_genre.get(genre) or fresh_all
        assert picks[user_id] == pool[user_id % len(pool)], user_id
        checked += 1
    assert checked > 0.5 * len(users)


def test_wide_lists_are_complete(wide: FeedBuild):
    assert_lists_are_complete_and_unwatched(wide)


def test_wide_as_of_month_inside_the_span(wide: FeedBuild, tmp_path: Path):
    """Rebuilding the genre marts with as_of_month (any day of the month) on a copy of the wide
    warehouse analyses that month against the one before."""
    raw = read_raw(wide.raw)
    months = pd.period_range(
        raw["interactions"]["first_click_timestamp"].min(), raw["interactions"]["first_click_timestamp"].max(), freq="M"
    )
    as_of = months[len(months) // 2].to_timestamp()
    shutil.copyfile(build_paths(wide.base, wide.raw).warehouse_db, build_paths(tmp_path, wide.raw).warehouse_db)
    result, run_results = build_warehouse(
        tmp_path,
        wide.raw,
        "--select",
        "int_analysis_months_resolved+",
        "--indirect-selection",
        "cautious",
        "--vars",
        f"{{as_of_month: '{(as_of + pd.Timedelta(days=14)).date()}'}}",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    rebuilt = FeedBuild(tmp_path, wide.raw, result, run_results)
    assert_drops_match(rebuilt, raw, as_of)
    contributors = rebuilt.query("select * from marts.genre_decline_contributors")
    top = rebuilt.query("select genre from marts.genre_watch_time_drops where is_top_drop")["genre"]
    assert set(contributors["genre"]) <= set(top)


# ---------------------------------------------------------------------------------------------
# Short: ten days of one month, a genre without fans, a fan of a genre without videos
# ---------------------------------------------------------------------------------------------

SHORT_DAYS = 10
NO_FANS_GENRE = "polka"
NO_VIDEOS_GENRE = "opera"


def short_sql(generated: Path) -> dict[str, str]:
    interactions = f"read_parquet('{generated / 'interactions.parquet'}')"
    start = f"(select cast(max(first_click_timestamp) as date) - {SHORT_DAYS - 1} from {interactions})"
    return {
        "users.parquet": f"""
            select user_id, preferred_genre, last_active from read_parquet('{generated / "users.parquet"}')
            union all
            select 900001, '{NO_VIDEOS_GENRE}', null""",
        "videos.parquet": f"""
            select video_id, genre, upload_date from read_parquet('{generated / "videos.parquet"}')
            union all
            select 900000 + n, '{NO_FANS_GENRE}', {start} + 1 from range(1, 4) as r(n)""",
        "interactions.parquet": f"""
            select * exclude (first_click_timestamp), first_click_timestamp from {interactions}
            where first_click_timestamp >= {start}
            union all
            select
                9000000 + n, n, 900000 + 1 + n % 3, 30.0, 'view', 0,
                cast({start} + 2 as timestamp) + to_minutes(n)
            from range(1, 6) as r(n)
            union all
            select 9000100, 900001, 900001, 12.0, 'like', 0, cast({start} + 3 as timestamp)""",
    }


@pytest.fixture(scope="module")
def short(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> FeedBuild:
    base = tmp_path_factory.mktemp("short")
    write_feed_files(base / "raw", short_sql(generated), duckdb.connect())
    return build_feed(base, base / "raw")


def test_short_folder_builds(short: FeedBuild):
    assert short.result.returncode == 0, short.result.stdout[-3000:]
    assert short.failures() == []


def test_one_month_has_no_previous_month_and_no_drops(short: FeedBuild):
    raw = read_raw(short.raw)
    months = raw["interactions"]["first_click_timestamp"].dt.to_period("M").unique()
    assert len(months) == 1
    monthly = short.query("select * from marts.genre_fan_watch_time_monthly")
    genres = set(raw["users"]["preferred_genre"]) | set(raw["videos"]["genre"])
    assert len(monthly) == len(genres)
    assert monthly["prev_month_fan_watch_time_seconds"].isna().all()
    assert_drops_match(short, raw, months[0].to_timestamp())
    drops = short.query("select * from marts.genre_watch_time_drops")
    assert drops["drop_rank"].isna().all()
    assert not drops["is_top_drop"].any()
    assert short.values("select count(*) from marts.genre_decline_contributors")[0][0] == 0


def test_a_genre_without_fans_and_a_fan_without_videos(short: FeedBuild):
    monthly = short.query("select * from marts.genre_fan_watch_time_monthly").set_index("genre")
    # Watched, but by nobody who prefers it: no fan watch time.
    assert monthly.loc[NO_FANS_GENRE, "fan_watch_time_seconds"] == 0
    assert monthly.loc[NO_FANS_GENRE, "active_fans"] == 0
    assert monthly.loc[NO_VIDEOS_GENRE, "fan_watch_time_seconds"] == 0
    recs = assert_lists_are_complete_and_unwatched(short)
    fan = recs[recs["user_id"] == 900001]
    assert len(fan) == N
    assert "genre_trending" not in set(fan["reason"])


def test_offline_eval_with_every_evaluated_user_cold(short: FeedBuild):
    """Ten days of data lie inside the fourteen-day holdout: the fit window has no interaction,
    so every evaluated user is cold there and its trending window is empty. Popularity then
    lists the videos that exist before the holdout by video_id; pandas recomputes its metrics."""
    interactions = short.query("select user_id, video_id, first_clicked_at from staging.stg_feed__interactions")
    videos = short.query("select video_id, upload_date from staging.stg_feed__videos")
    evaluation = short.query("select * from marts.recommendation_offline_eval").set_index(["strategy", "k"])
    holdout_start = interactions["first_clicked_at"].max().normalize() - pd.Timedelta(days=HOLDOUT_DAYS - 1)
    assert (interactions["first_clicked_at"] >= holdout_start).all()
    assert set(evaluation.index) == {
        (s, k) for s in ("popularity", "genre_trending", "co_view", "blended") for k in EVAL_K
    }
    relevant = interactions.groupby("user_id")["video_id"].agg(set)
    assert (evaluation["users_evaluated"] == len(relevant)).all()
    existing = sorted(videos.loc[pd.to_datetime(videos["upload_date"]) < holdout_start, "video_id"])
    for k in EVAL_K:
        listed = set(existing[:k])
        hits = relevant.map(lambda rel, listed=listed: len(rel & listed))
        row = evaluation.loc[("popularity", k)]
        assert row["precision_at_k"] == pytest.approx((hits / k).mean())
        assert row["recall_at_k"] == pytest.approx((hits / relevant.map(len)).mean())
        assert row["hit_rate_at_k"] == pytest.approx((hits > 0).mean())
        # No fit-window history: no co-view neighbours to recommend from.
        assert evaluation.loc[("co_view", k), "precision_at_k"] == 0


def test_short_watch_time_model_scores_every_interaction(short: FeedBuild):
    assert short.values("select count(*) from marts.watch_time_predictions")[0][0] == len(
        read_raw(short.raw)["interactions"]
    )
    metrics = short.query("select * from intermediate.watch_time_model_metrics")
    assert not metrics.duplicated(["model_name", "dataset_type", "metric"]).any()
    assert metrics["value"].notna().all()


# ---------------------------------------------------------------------------------------------
# Header-only files: every feed mart builds, empty, with its types
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> FeedBuild:
    base = tmp_path_factory.mktemp("empty")
    frames = {
        name: "select " + ", ".join(f"null as {column}" for column in CONTRACT_FILES[name]) + " where false"
        for name in FEED_FILES
    }
    write_feed_files(base / "raw", frames, duckdb.connect())
    return build_feed(base, base / "raw")


def test_header_only_files_build_every_feed_mart(empty: FeedBuild):
    assert empty.result.returncode == 0, empty.result.stdout[-3000:]
    assert empty.failures() == []
    for mart in FEED_MARTS:
        assert empty.values(f"select count(*) from marts.{mart}")[0][0] == 0, mart


def test_python_models_return_typed_empty_tables(empty: FeedBuild):
    def types(table: str) -> dict[str, str]:
        return dict(
            empty.values(
                "select column_name, data_type from information_schema.columns "
                f"where table_schema = 'intermediate' and table_name = '{table}'"
            )
        )

    assert types("watch_time_model_predictions") == {
        "interaction_id": "BIGINT",
        "dataset_type": "VARCHAR",
        "watch_time_seconds": "DOUBLE",
        "predicted_watch_time_seconds": "DOUBLE",
        "global_mean_prediction": "DOUBLE",
        "genre_mean_prediction": "DOUBLE",
    }
    assert types("watch_time_model_metrics") == {
        "model_name": "VARCHAR",
        "dataset_type": "VARCHAR",
        "metric": "VARCHAR",
        "value": "DOUBLE",
        "baseline_name": "VARCHAR",
        "baseline_value": "DOUBLE",
    }


# ---------------------------------------------------------------------------------------------
# The rule on hand-written rows
# ---------------------------------------------------------------------------------------------


def test_interactions_before_the_declared_upload_are_kept_and_move_the_date(tmp_path: Path):
    """Video 10 declares 2026-03-10 (a re-upload, say) but was watched on 2026-02-20: for every
    model it is uploaded on 2026-02-20. Its click is kept with a non-negative age, it is not
    fresh at the end of the data (fresh = uploaded on or after 03-06, the last day 03-12 minus
    6), and it exists in the evaluation fit window (before 02-27), where it was watched and is
    fresh."""
    raw = tmp_path / "raw"
    write_feed_files(
        raw,
        {
            "users.parquet": """select * from (values (1, 'drama', null), (2, 'drama', null))
                            as t(user_id, preferred_genre, last_active)""",
            "videos.parquet": """select * from (values
            (10, 'drama', date '2026-03-10'), (20, 'drama', date '2026-01-01'), (30, 'drama', date '2026-03-11')
        ) as t(video_id, genre, upload_date)""",
            "interactions.parquet": """select * from (values
            (1, 2, 10, 40.0, timestamp '2026-02-20 23:30:00', 'view', 0),
            (2, 2, 20, 60.0, timestamp '2026-02-01 08:00:00', 'view', 0),
            (3, 1, 20, 10.0, timestamp '2026-03-12 10:00:00', 'like', 0)
        ) as t(interaction_id, user_id, video_id, watch_time, first_click_timestamp, interaction_type, shares)""",
        },
        duckdb.connect(),
    )
    build = build_feed(tmp_path, raw)
    assert build.result.returncode == 0, build.result.stdout[-3000:]
    assert build.failures() == []
    videos = {
        row[0]: row[1:]
        for row in build.values(
            "select video_id, upload_date, declared_upload_date, is_upload_date_moved_back "
            "from staging.stg_feed__videos"
        )
    }
    assert videos == {
        10: (dt.date(2026, 2, 20), dt.date(2026, 3, 10), True),
        20: (dt.date(2026, 1, 1), dt.date(2026, 1, 1), False),
        30: (dt.date(2026, 3, 11), dt.date(2026, 3, 11), False),
    }
    assert (
        build.values("select count(*) from staging.base_feed__interactions where quarantine_reason is null")[0][0] == 3
    )
    ages = dict(
        build.values(
            "select interaction_id, video_age_days from intermediate.int_interactions_featurised_for_watch_time"
        )
    )
    assert ages[1] == pytest.approx(23.5 / 24)  # 2026-02-20 00:00 to 23:30
    assert min(ages.values()) >= 0
    # The evaluation fit ends on 02-27, so its fresh videos are those uploaded from 02-20 on.
    fits = build.values("select fit_id, video_id, is_fresh from intermediate.int_fit_videos_ranked")
    assert sorted(fits) == [(1, 10, False), (1, 20, False), (1, 30, True), (2, 10, True), (2, 20, False)]
    # User 1 has not watched video 10: it is recommended, but not as a fresh video.
    recs = dict(build.values("select video_id, reason from marts.user_video_recommendations where user_id = 1"))
    assert recs[30] == "fresh"
    assert recs[10] != "fresh"
