"""Landmark consistency and capture anomalies, checked against pandas
computations straight from the raw Parquet file and against the generator's planted anomalies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import BuiltWarehouse

ANOMALY_REASONS = ["deviation", "missing_landmarks", "duplicate_capture", "out_of_range"]
KEY = ["user_id", "captured_at"]


@pytest.fixture(scope="module")
def raw_landmarks(warehouse: BuiltWarehouse) -> pd.DataFrame:
    frame = warehouse.raw("select * from read_parquet('{raw}/user_facial_data.parquet')")
    return frame


@pytest.fixture(scope="module")
def expected_variance(raw_landmarks: pd.DataFrame) -> pd.DataFrame:
    """Per user, calendar month and landmark: count and pandas sample variances (ddof=1)."""
    frame = raw_landmarks.assign(period_start=raw_landmarks["captured_at"].dt.to_period("M").dt.start_time)
    grouped = frame.groupby(["user_id", "period_start", "landmark_id"])
    expected = grouped.agg(
        captures=("x", "size"),
        var_x=("x", lambda s: s.var(ddof=1)),
        var_y=("y", lambda s: s.var(ddof=1)),
        var_z=("z", lambda s: s.var(ddof=1)),
    )
    expected["total_variance"] = expected[["var_x", "var_y", "var_z"]].sum(axis=1, min_count=3)
    return expected.reset_index()


@pytest.fixture(scope="module")
def anomalies(warehouse: BuiltWarehouse) -> pd.DataFrame:
    frame = warehouse.query("select * from marts.landmark_capture_anomalies")
    frame["captured_at"] = frame["captured_at"].astype("datetime64[us]")
    return frame


@pytest.fixture(scope="module")
def planted(warehouse: BuiltWarehouse) -> pd.DataFrame:
    frame = pd.DataFrame(warehouse.truth["face"]["anomalies"])
    frame["captured_at"] = pd.to_datetime(frame["captured_at"]).astype("datetime64[us]")
    frame["user_id"] = frame["user_id"].astype("int64")
    return frame


def test_variance_matches_pandas_sample_variance(warehouse: BuiltWarehouse, expected_variance: pd.DataFrame):
    mart = warehouse.query("select * from marts.user_landmark_variance")
    mart["period_start"] = pd.to_datetime(mart["period_start"])
    assert len(mart) == len(expected_variance)
    merged = expected_variance.merge(
        mart,
        on=["user_id", "period_start", "landmark_id"],
        how="left",
        suffixes=("_expected", ""),
        validate="one_to_one",
    )
    assert (merged["captures"] == merged["captures_expected"]).all()
    for column in ["var_x", "var_y", "var_z", "total_variance"]:
        np.testing.assert_allclose(
            merged[column].to_numpy(dtype=float),
            merged[f"{column}_expected"].to_numpy(dtype=float),
            rtol=1e-9,
            atol=1e-15,
            equal_nan=True,
        )


def test_period_end_is_the_last_day_of_the_month(warehouse: BuiltWarehouse):
    periods = warehouse.query("select distinct period_start, period_end from marts.user_landmark_variance")
    start = pd.to_datetime(periods["period_start"])
    assert (start.dt.day == 1).all()
    assert (pd.to_datetime(periods["period_end"]) == start + pd.offsets.MonthEnd(0)).all()
    assert len(periods) == 12


def test_single_capture_landmarks_have_null_variance(warehouse: BuiltWarehouse, expected_variance: pd.DataFrame):
    singles = expected_variance[expected_variance["captures"] == 1]
    assert len(singles) > 0, "the generated data should contain single-capture months"
    mart = warehouse.query("select captures, total_variance from marts.user_landmark_variance")
    assert mart.loc[mart["captures"] == 1, "total_variance"].isna().all()
    assert mart.loc[mart["captures"] > 1, "total_variance"].notna().all()


def test_consistency_percentile_definition(
    warehouse: BuiltWarehouse, raw_landmarks: pd.DataFrame, expected_variance: pd.DataFrame
):
    """Percentile = 100 x share of the month's other ranked users with a strictly higher mean variance."""
    means = (
        expected_variance.groupby(["user_id", "period_start"])["total_variance"]
        .mean()
        .rename("mean_total_variance")
        .reset_index()
    )
    captures = (
        raw_landmarks.assign(period_start=raw_landmarks["captured_at"].dt.to_period("M").dt.start_time)
        .groupby(["user_id", "period_start"])["captured_at"]
        .nunique()
        .rename("captures")
        .reset_index()
    )
    expected = captures.merge(means, on=["user_id", "period_start"], how="left")
    ranked = expected.dropna(subset=["mean_total_variance"]).copy()
    group = ranked.groupby("period_start")["mean_total_variance"]
    higher = group.rank(method="min", ascending=False) - 1
    ranked["percentile_expected"] = 100 * higher / (group.transform("size") - 1)
    expected = expected.merge(
        ranked[["user_id", "period_start", "percentile_expected"]], on=["user_id", "period_start"], how="left"
    )

    mart = warehouse.query("select * from marts.user_landmark_consistency")
    mart["period_start"] = pd.to_datetime(mart["period_start"])
    assert len(mart) == len(expected)
    merged = expected.merge(mart, on=["user_id", "period_start"], suffixes=("_expected", ""), validate="one_to_one")
    assert (merged["captures"] == merged["captures_expected"]).all()
    np.testing.assert_allclose(
        merged["mean_total_variance"].to_numpy(dtype=float),
        merged["mean_total_variance_expected"].to_numpy(dtype=float),
        rtol=1e-9,
        equal_nan=True,
    )
    np.testing.assert_allclose(
        merged["consistency_percentile"].to_numpy(dtype=float),
        merged["percentile_expected"].to_numpy(dtype=float),
        rtol=1e-9,
        equal_nan=True,
    )
    # The least steady user of each month is at 0 (the steadiest at 100 unless tied).
    per_month = mart.dropna(subset=["consistency_percentile"]).groupby("period_start")["consistency_percentile"]
    assert (per_month.min() == 0).all()
    assert (per_month.max() > 90).all()


def test_one_anomaly_row_per_capture_with_independent_deviation(anomalies: pd.DataFrame, raw_landmarks: pd.DataFrame):
    """landmarks_present and capture_deviation (RMS distance to the per-landmark median shape)."""
    typical = raw_landmarks.groupby(["user_id", "landmark_id"])[["x", "y", "z"]].median()
    points = raw_landmarks.merge(typical.add_suffix("_typical").reset_index(), on=["user_id", "landmark_id"])
    points["squared"] = sum((points[a] - points[f"{a}_typical"]) ** 2 for a in "xyz")
    expected = points.groupby(KEY).agg(landmarks=("squared", "size"), mean_squared=("squared", "mean"))
    expected["deviation"] = np.sqrt(expected["mean_squared"])
    merged = expected.reset_index().merge(anomalies, on=KEY, how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["landmarks"] == merged["landmarks_present"]).all()
    np.testing.assert_allclose(merged["capture_deviation"], merged["deviation"], rtol=1e-9, atol=1e-12)


def test_anomalies_reach_recall_and_precision(anomalies: pd.DataFrame, planted: pd.DataFrame):
    flagged = anomalies[anomalies["is_anomaly"]]
    hits = flagged.merge(planted, on=KEY)
    recall = len(hits) / len(planted)
    precision = len(hits) / len(flagged)
    assert recall >= 0.9, f"recall {recall:.3f}"
    assert precision >= 0.8, f"precision {precision:.3f}"


@pytest.mark.parametrize("kind", ANOMALY_REASONS)
def test_each_reason_fires_on_its_planted_kind(anomalies: pd.DataFrame, planted: pd.DataFrame, kind: str):
    of_kind = planted[planted["kind"] == kind].merge(anomalies, on=KEY, how="left")
    assert len(of_kind) > 0
    assert of_kind["is_anomaly"].mean() >= 0.9
    assert (of_kind["reason"] == kind).mean() >= 0.9
    # The reason is not given to captures that were not planted with that kind.
    given = anomalies[anomalies["reason"] == kind].merge(planted, on=KEY, how="left")
    assert (given["kind"] == kind).mean() >= 0.8


def test_one_bad_capture_cannot_hide_by_inflating_the_spread(anomalies: pd.DataFrame, planted: pd.DataFrame):
    """Every user's planted deviation stands out even in users with two or more planted deviations."""
    deviations = planted[planted["kind"] == "deviation"].merge(anomalies, on=KEY)
    normal = anomalies[~anomalies.set_index(KEY).index.isin(planted.set_index(KEY).index)]
    assert deviations["anomaly_score"].min() > normal["anomaly_score"].max()


def test_normal_captures_have_reason_none(anomalies: pd.DataFrame):
    assert set(anomalies["reason"]) <= {"none", *ANOMALY_REASONS}
    assert (anomalies["is_anomaly"] == (anomalies["reason"] != "none")).all()
    assert anomalies["reason"].notna().all()
