"""Interaction-time forecasts: the panel, baseline and model helpers on small synthetic arrays, and
the built marts against independent pandas computations from staging and the planted truth."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from engagement_analytics.domains.face.forecasting import (
    BACKTEST_DTYPES,
    FALLBACK_NAME,
    FORECAST_DTYPES,
    MODEL_NAME,
    MOVING_AVERAGE,
    SEASONAL_NAIVE,
    ModelParams,
    Panel,
    backtest,
    damped_steps,
    forecast_panel,
    moving_average,
    panel_from_sessions,
    row_quantiles,
    seasonal_damped_trend,
    seasonal_naive,
    seasonal_scale,
    weekday_of,
)
from tests.conftest import BuiltWarehouse

HORIZON = 14
MODELS = {MODEL_NAME, SEASONAL_NAIVE, MOVING_AVERAGE}


# --- helpers ---------------------------------------------------------------------------------


def test_panel_from_sessions_sums_days_starts_series_on_their_first_day_and_fills_gaps():
    con = duckdb.connect()
    sessions = con.sql("""
        select * from (values
            (2, timestamp '2026-01-03 08:00', 'FaceID', 3.0),
            (1, timestamp '2026-01-05 08:00', 'FaceID', 4.0),
            (1, timestamp '2026-01-05 21:00', 'FaceID', 4.5),
            (1, timestamp '2026-01-01 08:00', 'Animoji', 30.0),
            (1, timestamp '2026-01-04 08:00', 'Animoji', 20.0)
        ) as t(user_id, started_at, product, interaction_time_seconds)""")
    panel = panel_from_sessions(sessions)
    assert panel.first_date == np.datetime64("2026-01-01")
    assert panel.dates[-1] == np.datetime64("2026-01-05")
    assert list(panel.keys.itertuples(index=False, name=None)) == [(1, "Animoji"), (1, "FaceID"), (2, "FaceID")]
    expected = np.array(
        [
            [30.0, 0.0, 0.0, 20.0, 0.0],
            [np.nan, np.nan, np.nan, np.nan, 8.5],
            [np.nan, np.nan, 3.0, 0.0, 0.0],
        ]
    )
    assert np.array_equal(panel.values, expected, equal_nan=True)


def test_weekday_of_counts_from_monday():
    assert list(weekday_of(np.datetime64("2026-01-05"), 3)) == [0, 1, 2]  # a Monday
    assert weekday_of(np.datetime64("2026-01-05"), 1, offset=6)[0] == 6


def test_baselines_and_the_mase_scale():
    history = np.array([[np.nan] * 3 + list(range(1, 15)), [2.0] * 17])
    assert np.array_equal(seasonal_naive(history, 9)[0], [8, 9, 10, 11, 12, 13, 14, 8, 9])
    assert np.allclose(moving_average(history, 2)[0], np.mean(range(1, 15)))
    assert np.allclose(moving_average(history, 2, window=4)[0], 12.5)
    assert np.allclose(seasonal_scale(history), [7.0, 0.0])


def testrow_quantiles_match_numpy():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5, 30))
    values[1, :10] = np.nan
    values[2] = np.nan
    expected = np.nanquantile(values[[0, 1, 3, 4]], [0.1, 0.5, 0.9], axis=1).T
    got = row_quantiles(values, (0.1, 0.5, 0.9))
    assert np.allclose(got[[0, 1, 3, 4]], expected)
    assert np.array_equal(got[2], [0.0, 0.0, 0.0])


def test_damped_steps():
    assert np.allclose(damped_steps(3, 0.5), [0.5, 0.75, 0.875])
    assert np.allclose(damped_steps(3, 1.0), [1, 2, 3])


def noiseless(slope: float, factors: np.ndarray, days: int = 210, first_weekday: int = 2) -> np.ndarray:
    t = np.arange(days + HORIZON)
    return (100 + slope * t) * factors[(first_weekday + t) % 7]


WEEKEND_HEAVY = np.array([0.9, 0.9, 0.9, 0.9, 0.9, 1.2, 1.3]) / np.mean([0.9, 0.9, 0.9, 0.9, 0.9, 1.2, 1.3])
EXACT = ModelParams(fit_window_days=182, level_half_life_days=56, trend_damping=1.0, seasonal_shrinkage=0.0)


@pytest.mark.parametrize(("slope", "factors"), [(0.0, WEEKEND_HEAVY), (0.5, np.ones(7))])
def test_model_reproduces_a_noiseless_season_or_trend_exactly(slope: float, factors: np.ndarray):
    truth = noiseless(slope, factors)
    history = np.vstack([truth[:210], 2 * truth[:210]])
    forecast, lower, upper = seasonal_damped_trend(history, HORIZON, 2, np.array(["a", "a"]), EXACT)
    assert np.allclose(forecast[0], truth[210:])
    assert np.allclose(forecast[1], 2 * truth[210:])
    assert np.allclose(lower, forecast)
    assert np.allclose(upper, forecast)


def test_model_follows_a_noiseless_seasonal_trend_closely():
    truth = noiseless(0.5, WEEKEND_HEAVY)
    forecast, _, _ = seasonal_damped_trend(truth[None, :210], HORIZON, 2, np.array(["a"]), EXACT)
    assert np.allclose(forecast[0], truth[210:], rtol=0.01)


def test_pooled_weekday_profile_is_shared_within_a_product():
    rng = np.random.default_rng(1)
    base = noiseless(0.0, WEEKEND_HEAVY)[:210]
    history = np.vstack([base * rng.uniform(0.5, 2), base * 0 + 50.0, base * rng.uniform(0.5, 2)])
    pooled_only = ModelParams(seasonal_shrinkage=1.0)
    forecast, _, _ = seasonal_damped_trend(history, 7, 2, np.array(["a", "b", "a"]), pooled_only)
    weekday = (2 + 210 + np.arange(7)) % 7
    assert np.allclose(forecast[0] / forecast[0].mean(), WEEKEND_HEAVY[weekday])
    assert np.allclose(forecast[1], 50.0)  # its own product has a flat profile


def seasonal_counts(n_series: int, days: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """Compound Poisson daily totals with a weekend factor and a trend, like the generator's."""
    rng = np.random.default_rng(seed)
    first_weekday = 2
    weekday = (first_weekday + np.arange(days)) % 7
    rate = rng.lognormal(0, 0.5, n_series)[:, None] * np.where(weekday >= 5, 1.35, 1.0)[None, :]
    rate = rate * np.exp(0.008 * np.arange(days) / 7)[None, :]
    sessions = rng.poisson(rate)
    values = np.array([[rng.lognormal(np.log(40), 0.4, k).sum() for k in row] for row in sessions])
    return values, first_weekday


def test_backtest_model_beats_both_baselines_on_seasonal_counts():
    values, first_weekday = seasonal_counts(150, 280)
    first_date = np.datetime64("2026-01-05") + np.timedelta64(first_weekday, "D")
    keys = pd.DataFrame({"user_id": np.arange(150), "product": "Animoji"})

    result = backtest(Panel(keys, values, first_date), HORIZON, origins=3, min_history_days=56, params=ModelParams())
    assert set(result["model_name"]) == MODELS
    assert len(result) == 3 * HORIZON
    assert (result["origins"] == 3).all()
    assert (result["forecasts"] == 450).all()
    means = result.groupby("model_name")[["mae", "smape", "mase"]].mean()
    for metric in ("mae", "smape", "mase"):
        assert means.loc[MODEL_NAME, metric] < means.loc[SEASONAL_NAIVE, metric], metric
        assert means.loc[MODEL_NAME, metric] < means.loc[MOVING_AVERAGE, metric], metric
    coverage = result.loc[result["model_name"] == MODEL_NAME, "interval_coverage_80"].mean()
    assert 0.7 <= coverage <= 0.95


def test_forecast_panel_rows_dates_and_short_history_fallback():
    values, first_weekday = seasonal_counts(3, 100)
    values[2, :80] = np.nan  # a series that started 20 days ago
    first_date = np.datetime64("2026-01-05") + np.timedelta64(first_weekday, "D")
    keys = pd.DataFrame({"user_id": [1, 2, 3], "product": ["Animoji", "FaceID", "Animoji"]})

    frame = forecast_panel(Panel(keys, values, first_date), HORIZON, min_history_days=56, params=ModelParams())
    assert len(frame) == 3 * HORIZON
    last = first_date + np.timedelta64(99, "D")
    dates = frame.loc[frame["user_id"] == 1, "forecast_date"].to_numpy().astype("datetime64[D]")
    assert np.array_equal(dates, last + np.arange(1, HORIZON + 1).astype("timedelta64[D]"))
    names = frame.groupby("user_id")["model_name"].first()
    assert names.loc[1] == MODEL_NAME
    assert names.loc[3] == FALLBACK_NAME
    fallback = frame[frame["user_id"] == 3]
    assert np.allclose(fallback["forecast_seconds"], np.mean(values[2, -28:][~np.isnan(values[2, -28:])]))
    assert (frame["lower_80"] <= frame["forecast_seconds"]).all()
    assert (frame["forecast_seconds"] <= frame["upper_80"]).all()
    assert (frame["lower_80"] >= 0).all()


def sessions_relation(con: duckdb.DuckDBPyConnection, days: int, users: list[int]) -> duckdb.DuckDBPyRelation:
    """One FaceID session a day for each user over ``days`` days from 2026-01-01."""
    rows = [
        (u, pd.Timestamp("2026-01-01 09:00") + pd.Timedelta(days=d), "FaceID", 4.0 + (d % 7))
        for u in users
        for d in range(days)
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "started_at", "product", "interaction_time_seconds"])
    frame["user_id"] = frame["user_id"].astype("int64")
    return con.from_df(frame)


def assert_typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> None:
    assert list(frame.columns) == list(dtypes)
    for column, dtype in dtypes.items():
        assert frame[column].dtype == pd.Series(dtype=dtype).dtype, column


def test_no_sessions_give_typed_empty_forecasts_and_backtest():
    con = duckdb.connect()
    empty = con.sql(
        "select 1::bigint as user_id, timestamp '2026-01-01' as started_at, 'FaceID' as product, "
        "1.0::double as interaction_time_seconds where false"
    )
    panel = panel_from_sessions(empty)
    assert panel.values.shape == (0, 0)
    forecasts = forecast_panel(panel, HORIZON, min_history_days=56, params=ModelParams())
    result = backtest(panel, HORIZON, origins=4, min_history_days=56, params=ModelParams())
    assert len(forecasts) == 0
    assert len(result) == 0
    assert_typed(forecasts, FORECAST_DTYPES)
    assert_typed(result, BACKTEST_DTYPES)


@pytest.mark.parametrize("days", [1, 20, 40])
def test_spans_shorter_than_the_backtest_forecast_with_the_fallback(days: int):
    """Fewer days than horizon x origins: every series falls back, and no origin can be backtested."""
    con = duckdb.connect()
    big = 2**60 + 7
    panel = panel_from_sessions(sessions_relation(con, days, [big, 3]))
    forecasts = forecast_panel(panel, HORIZON, min_history_days=56, params=ModelParams())
    assert_typed(forecasts, FORECAST_DTYPES)
    assert set(forecasts["user_id"]) == {big, 3}  # an id above 2**53 is exact
    assert (forecasts["model_name"] == FALLBACK_NAME).all()
    assert (forecasts["history_days"] == days).all()
    expected = np.mean([4.0 + (d % 7) for d in range(max(0, days - 28), days)])
    assert np.allclose(forecasts["forecast_seconds"], expected)
    result = backtest(panel, HORIZON, origins=4, min_history_days=56, params=ModelParams())
    assert len(result) == 0
    assert_typed(result, BACKTEST_DTYPES)


def test_a_three_year_span_forecasts_and_backtests_every_origin():
    values, first_weekday = seasonal_counts(40, 3 * 365, seed=2)
    first_date = np.datetime64("2024-01-03") + np.timedelta64(first_weekday, "D")
    keys = pd.DataFrame({"user_id": np.arange(40, dtype=np.int64) + 2**60, "product": "Animoji"})
    panel = Panel(keys, values, first_date)
    forecasts = forecast_panel(panel, HORIZON, min_history_days=56, params=ModelParams())
    assert len(forecasts) == 40 * HORIZON
    assert (forecasts["model_name"] == MODEL_NAME).all()
    assert forecasts["forecast_seconds"].notna().all()
    assert set(forecasts["user_id"]) == set(keys["user_id"])
    result = backtest(panel, HORIZON, origins=4, min_history_days=56, params=ModelParams())
    assert len(result) == 3 * HORIZON
    assert (result["origins"] == 4).all()
    assert (result["forecasts"] == 160).all()
    assert_typed(result, BACKTEST_DTYPES)


# --- built marts -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staged_daily(warehouse: BuiltWarehouse) -> pd.DataFrame:
    """Daily totals per user and product, straight from staging with pandas."""
    sessions = warehouse.query(
        "select user_id, product, started_at, interaction_time_seconds from staging.stg_face__product_interactions"
    )
    sessions["activity_date"] = sessions["started_at"].dt.normalize()
    return (
        sessions.groupby(["user_id", "product", "activity_date"])["interaction_time_seconds"]
        .sum()
        .rename("seconds")
        .reset_index()
    )


@pytest.fixture(scope="module")
def backtest_mart(warehouse: BuiltWarehouse) -> pd.DataFrame:
    return warehouse.query("select * from marts.interaction_time_forecast_backtest")


def test_forecasts_cover_every_series_for_the_next_days(warehouse: BuiltWarehouse, staged_daily: pd.DataFrame):
    forecasts = warehouse.query("select * from marts.interaction_time_forecasts")
    last = staged_daily["activity_date"].max()
    expected_dates = set(pd.date_range(last + pd.Timedelta(days=1), periods=HORIZON))
    assert set(pd.to_datetime(forecasts["forecast_date"])) == expected_dates
    series = staged_daily[["user_id", "product"]].drop_duplicates()
    assert len(forecasts) == len(series) * HORIZON
    got = forecasts[["user_id", "product"]].drop_duplicates().merge(series, how="outer", indicator=True)
    assert (got["_merge"] == "both").all()
    first_day = staged_daily.groupby(["user_id", "product"])["activity_date"].min()
    history = ((last - first_day).dt.days + 1).rename("expected_history").reset_index()
    checked = forecasts.merge(history, on=["user_id", "product"])
    assert (checked["history_days"] == checked["expected_history"]).all()
    short = checked["expected_history"] < 56
    assert (checked.loc[short, "model_name"] == FALLBACK_NAME).all()
    assert (checked.loc[~short, "model_name"] == MODEL_NAME).all()


def test_forecasts_carry_the_planted_weekend_factor(warehouse: BuiltWarehouse):
    forecasts = warehouse.query("""
        select isodow(forecast_date) >= 6 as is_weekend, avg(forecast_seconds) as mean_seconds
        from marts.interaction_time_forecasts group by 1""").set_index("is_weekend")["mean_seconds"]
    ratio = forecasts.loc[True] / forecasts.loc[False]
    assert ratio == pytest.approx(warehouse.truth["face"]["weekend_factor"], abs=0.12)


def test_backtest_has_every_model_and_horizon_and_the_model_wins(backtest_mart: pd.DataFrame):
    assert set(backtest_mart["model_name"]) == MODELS
    assert len(backtest_mart) == len(MODELS) * HORIZON
    assert set(backtest_mart["horizon_days"]) == set(range(1, HORIZON + 1))
    means = backtest_mart.groupby("model_name")[["mae", "smape", "mase"]].mean()
    for metric in ("mae", "smape", "mase"):
        assert means.loc[MODEL_NAME, metric] < means.loc[SEASONAL_NAIVE, metric], metric
        assert means.loc[MODEL_NAME, metric] < means.loc[MOVING_AVERAGE, metric], metric
    by_horizon = backtest_mart.pivot(index="horizon_days", columns="model_name", values="mase")
    assert (by_horizon[MODEL_NAME] < by_horizon[SEASONAL_NAIVE]).all()
    assert (by_horizon[MODEL_NAME] < by_horizon[MOVING_AVERAGE]).mean() >= 0.8
    coverage = backtest_mart.loc[backtest_mart["model_name"] == MODEL_NAME, "interval_coverage_80"]
    assert coverage.between(0.7, 0.95).all()
    assert backtest_mart.loc[backtest_mart["model_name"] != MODEL_NAME, "interval_coverage_80"].isna().all()


def test_backtest_seasonal_naive_matches_pandas(staged_daily: pd.DataFrame, backtest_mart: pd.DataFrame):
    wide = staged_daily.pivot_table(
        index=["user_id", "product"], columns="activity_date", values="seconds", aggfunc="sum"
    )
    all_days = pd.date_range(staged_daily["activity_date"].min(), staged_daily["activity_date"].max())
    wide = wide.reindex(columns=all_days)
    started = wide.notna().cumsum(axis=1) > 0
    wide = wide.fillna(0.0).where(started)  # NaN before a series' first day, 0 on later gaps
    n_days = len(all_days)
    errors: dict[int, list[float]] = {h: [] for h in range(1, HORIZON + 1)}
    scaled: dict[int, list[float]] = {h: [] for h in range(1, HORIZON + 1)}
    for k in range(4, 0, -1):
        origin = n_days - k * HORIZON
        history = wide.iloc[:, :origin]
        eligible = history.notna().sum(axis=1) >= 56
        history = history[eligible]
        actual = wide.iloc[:, origin : origin + HORIZON][eligible]
        scale = (history - history.shift(7, axis=1)).abs().mean(axis=1)
        for h in range(1, HORIZON + 1):
            naive = history.iloc[:, origin - 7 + (h - 1) % 7]
            err = (actual.iloc[:, h - 1] - naive).abs()
            errors[h].extend(err)
            scaled[h].extend((err / scale)[scale > 0])
    naive_rows = backtest_mart[backtest_mart["model_name"] == SEASONAL_NAIVE].set_index("horizon_days")
    for h in range(1, HORIZON + 1):
        assert naive_rows.loc[h, "mae"] == pytest.approx(np.mean(errors[h]), rel=1e-6)
        assert naive_rows.loc[h, "mase"] == pytest.approx(np.mean(scaled[h]), rel=1e-6)


def test_usage_trends_match_numpy_and_the_planted_trend(warehouse: BuiltWarehouse, staged_daily: pd.DataFrame):
    trends = warehouse.query("select * from marts.user_product_usage_trends")
    first, last = staged_daily["activity_date"].min(), staged_daily["activity_date"].max()
    weekly = staged_daily.assign(
        week_start=staged_daily["activity_date"]
        - pd.to_timedelta(staged_daily["activity_date"].dt.day_of_week, unit="D")
    )
    weekly = weekly.groupby(["user_id", "product", "week_start"])["seconds"].sum()
    complete_weeks = [
        w
        for w in pd.date_range(first - pd.Timedelta(days=first.weekday()), last, freq="7D")
        if w >= first and w + pd.Timedelta(days=6) <= last
    ]
    rng = np.random.default_rng(0)
    series = trends[["user_id", "product"]].drop_duplicates().reset_index(drop=True)
    for _, (user_id, product) in series.iloc[rng.choice(len(series), 25, replace=False)].iterrows():
        own = weekly.loc[(user_id, product)]
        weeks = [w for w in complete_weeks if w >= own.index.min()]
        y = own.reindex(weeks, fill_value=0.0).to_numpy()
        x = np.array([(w - weeks[0]).days / 7 for w in weeks])
        slope = np.polyfit(x, y, 1)[0]
        row = trends[(trends["user_id"] == user_id) & (trends["product"] == product)].iloc[0]
        assert row["trend_slope_seconds_per_week"] == pytest.approx(slope, rel=1e-6, abs=1e-6)
        assert row["trend_sign"] == np.sign(slope)
        assert row["trend_weeks"] == len(weeks)
    # The planted weekly trend: Animoji grows, FaceID declines.
    complete = trends[trends["is_complete_week"]]
    means = complete.groupby(["user_id", "product"])["interaction_seconds"].mean()
    slopes = trends.drop_duplicates(["user_id", "product"]).set_index(["user_id", "product"])[
        "trend_slope_seconds_per_week"
    ]
    # Relative trend of all series together: summed slope over summed mean weekly seconds.
    pooled = slopes.groupby("product").sum() / means.groupby("product").sum()
    for product, planted in warehouse.truth["face"]["weekly_trend"].items():
        assert np.sign(pooled[product]) == np.sign(planted), product
        assert pooled[product] == pytest.approx(planted, abs=0.004), product


def test_model_metrics_hold_the_backtest_headline_against_the_stronger_baseline(
    warehouse: BuiltWarehouse, backtest_mart: pd.DataFrame
):
    metrics = warehouse.query("select * from intermediate.interaction_time_forecast_model_metrics").set_index("metric")
    assert set(metrics.index) == {"mae", "smape", "mase", "interval_coverage_80", "rows"}
    assert (metrics["model_name"] == "interaction_time_forecast_seasonal_damped_trend").all()
    assert (metrics["dataset_type"] == "test").all()
    weighted = (
        backtest_mart.assign(weight=backtest_mart["forecasts"])
        .groupby("model_name")
        .apply(lambda g: pd.Series({m: np.average(g[m], weights=g["weight"]) for m in ("mae", "smape", "mase")}))
    )
    for metric in ("mae", "smape", "mase"):
        assert metrics.loc[metric, "value"] == pytest.approx(weighted.loc[MODEL_NAME, metric], rel=1e-9)
        baselines = weighted.drop(index=MODEL_NAME)[metric]
        assert metrics.loc[metric, "baseline_name"] == baselines.idxmin()
        assert metrics.loc[metric, "baseline_value"] == pytest.approx(baselines.min(), rel=1e-9)
    assert (
        metrics.loc["rows", "value"] == backtest_mart.loc[backtest_mart["model_name"] == MODEL_NAME, "forecasts"].sum()
    )
    assert pd.isna(metrics.loc["interval_coverage_80", "baseline_name"])
    shared = warehouse.query(
        "select * from marts.ml_model_metrics where model_name = 'interaction_time_forecast_seasonal_damped_trend'"
    )
    assert len(shared) == len(metrics)


def test_losing_to_a_baseline_is_a_warning_not_an_error(warehouse: BuiltWarehouse):
    """The beats-baselines check on the forecast is configured to warn; it ran and did not error."""
    node = [
        r
        for r in warehouse.run_results["results"]
        if r["unique_id"].startswith("test.") and "interaction_time_forecast_beats_its_baselines" in r["unique_id"]
    ]
    assert len(node) == 1
    assert node[0]["status"] in ("pass", "warn")
    manifest = json.loads((warehouse.paths.target_dir / "manifest.json").read_text())
    test_node = manifest["nodes"][node[0]["unique_id"]]
    assert test_node["config"]["severity"].lower() == "warn"
