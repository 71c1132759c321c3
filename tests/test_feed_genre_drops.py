"""Genre fan watch time, drops and decline contributors, against pandas on staging and the
generator's planted drop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import BuiltWarehouse


@pytest.fixture(scope="module")
def fan_months(warehouse: BuiltWarehouse) -> pd.DataFrame:
    """Fan watch time per user and month, computed in pandas from the staging tables."""
    interactions = warehouse.query(
        "select user_id, video_id, watch_time_seconds, first_clicked_at from staging.stg_feed__interactions"
    )
    videos = warehouse.query("select video_id, genre from staging.stg_feed__videos")
    users = warehouse.query("select user_id, preferred_genre from staging.stg_feed__users")
    # Staging keeps watch time as the warehouse's float type; sum in double, as the warehouse does.
    interactions["watch_time_seconds"] = interactions["watch_time_seconds"].astype("float64")
    rows = interactions.merge(videos, on="video_id").merge(users, on="user_id")
    rows = rows[rows["genre"] == rows["preferred_genre"]].copy()
    rows["activity_month"] = rows["first_clicked_at"].dt.to_period("M").dt.to_timestamp()
    return rows.groupby(["user_id", "genre", "activity_month"], as_index=False)["watch_time_seconds"].sum()


@pytest.fixture(scope="module")
def expected_monthly(warehouse: BuiltWarehouse, fan_months: pd.DataFrame) -> pd.DataFrame:
    users = warehouse.query("select preferred_genre from staging.stg_feed__users")
    videos = warehouse.query("select genre from staging.stg_feed__videos")
    clicks = warehouse.query("select first_clicked_at from staging.stg_feed__interactions")["first_clicked_at"]
    genres = sorted(set(users["preferred_genre"].dropna()) | set(videos["genre"].dropna()))
    months = pd.period_range(clicks.min(), clicks.max(), freq="M").to_timestamp()
    grid = pd.MultiIndex.from_product([genres, months], names=["genre", "activity_month"])
    totals = fan_months.groupby(["genre", "activity_month"]).agg(
        fan_watch_time_seconds=("watch_time_seconds", "sum"), active_fans=("user_id", "nunique")
    )
    monthly = totals.reindex(grid, fill_value=0).reset_index()
    monthly["prev"] = monthly.groupby("genre")["fan_watch_time_seconds"].shift(1)
    monthly["delta"] = monthly["fan_watch_time_seconds"] - monthly["prev"]
    return monthly


def test_monthly_fan_watch_time_matches_pandas_with_zero_months(
    warehouse: BuiltWarehouse, expected_monthly: pd.DataFrame
):
    mart = warehouse.query("select * from marts.genre_fan_watch_time_monthly order by genre, activity_month")
    mart["activity_month"] = pd.to_datetime(mart["activity_month"])
    assert len(mart) == len(expected_monthly)
    merged = expected_monthly.merge(
        mart, on=["genre", "activity_month"], how="left", suffixes=("", "_mart"), validate="one_to_one"
    )
    assert merged["fan_watch_time_seconds_mart"].notna().all()
    np.testing.assert_allclose(merged["fan_watch_time_seconds_mart"], merged["fan_watch_time_seconds"], rtol=1e-9)
    np.testing.assert_array_equal(merged["active_fans_mart"], merged["active_fans"])
    np.testing.assert_allclose(merged["prev_month_fan_watch_time_seconds"].astype(float), merged["prev"], rtol=1e-9)
    np.testing.assert_allclose(merged["watch_time_delta_seconds"].astype(float), merged["delta"], rtol=1e-9, atol=1e-6)


def test_top_three_drops_are_the_planted_genres_in_order(warehouse: BuiltWarehouse, expected_monthly: pd.DataFrame):
    truth = warehouse.truth["feed"]
    drops = warehouse.query("select * from marts.genre_watch_time_drops")
    assert set(drops["analysis_month"].astype(str)) == {truth["analysis_month"]}
    top = drops[drops["drop_rank"] <= 3].sort_values("drop_rank")
    assert top["genre"].tolist() == truth["drop_genres"]
    assert top["is_top_drop"].all()
    assert drops["is_top_drop"].sum() == 3
    # The same ranking from pandas, over every genre that fell.
    analysis = expected_monthly[expected_monthly["activity_month"] == pd.Timestamp(truth["analysis_month"])]
    fell = analysis[analysis["delta"] < 0].sort_values(["delta", "genre"])
    ranked = drops.dropna(subset=["drop_rank"]).sort_values("drop_rank")
    assert ranked["genre"].tolist() == fell["genre"].tolist()
    assert ranked["drop_rank"].tolist() == list(range(1, len(fell) + 1))
    # The planted drop (seconds against the previous month) is what the mart measures.
    for genre, seconds in truth["drop_seconds"].items():
        delta = drops.loc[drops["genre"] == genre, "watch_time_delta_seconds"].item()
        assert delta == pytest.approx(-seconds, rel=1e-4)


def test_decline_contributors_match_the_pandas_ranking(warehouse: BuiltWarehouse, fan_months: pd.DataFrame):
    drops = warehouse.query(
        "select genre, watch_time_delta_seconds from marts.genre_watch_time_drops where drop_rank <= 3"
    )
    users = warehouse.query("select user_id, preferred_genre as genre from staging.stg_feed__users")
    mart = warehouse.query("select * from marts.genre_decline_contributors")
    analysis = pd.Timestamp(warehouse.truth["feed"]["analysis_month"])
    watch = fan_months.pivot_table(
        index="user_id", columns="activity_month", values="watch_time_seconds", aggfunc="sum"
    )
    current = watch.get(analysis, pd.Series(dtype=float))
    previous = watch.get(analysis - pd.offsets.MonthBegin(1), pd.Series(dtype=float))
    assert set(mart["genre"]) == set(drops["genre"])
    for genre, genre_delta in zip(drops["genre"], drops["watch_time_delta_seconds"], strict=True):
        fans = users.loc[users["genre"] == genre, "user_id"]
        frame = pd.DataFrame({"user_id": fans.to_numpy()})
        frame["now"] = frame["user_id"].map(current).fillna(0.0)
        frame["before"] = frame["user_id"].map(previous).fillna(0.0)
        frame["delta"] = frame["now"] - frame["before"]
        expected = frame[frame["delta"] < 0].sort_values(["delta", "user_id"])
        got = mart[mart["genre"] == genre].sort_values("contribution_rank")
        assert got["user_id"].tolist() == expected["user_id"].tolist(), genre
        assert got["contribution_rank"].tolist() == list(range(1, len(expected) + 1))
        np.testing.assert_allclose(got["user_delta_seconds"], expected["delta"], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(got["share_of_genre_drop"], expected["delta"] / genre_delta, rtol=1e-9)


def test_planted_drivers_are_decline_contributors(warehouse: BuiltWarehouse, fan_months: pd.DataFrame):
    truth = warehouse.truth["feed"]
    mart = warehouse.query("select user_id, genre, fan_watch_time_seconds from marts.genre_decline_contributors")
    previous = pd.Timestamp(truth["analysis_month"]) - pd.offsets.MonthBegin(1)
    watched_before = set(fan_months.loc[fan_months["activity_month"] == previous, "user_id"])
    for genre, drivers in truth["drop_drivers"].items():
        listed = mart[mart["genre"] == genre]
        # A driver stopped watching their genre in the analysis month: if they watched it the month
        # before, they are a contributor with 0 seconds now.
        expected = {u for u in drivers if u in watched_before}
        assert expected <= set(listed["user_id"]), genre
        assert (listed.loc[listed["user_id"].isin(expected), "fan_watch_time_seconds"] == 0).all()
