"""Interaction-time forecasts: daily totals per user and product, forecast with a seasonal
damped-trend model, checked against two baselines in a rolling-origin backtest.

Every function works on all series at once: a panel is a (series x days) float matrix whose
cells before a series' first active day are NaN (the series did not exist yet) and whose
later days without a session are 0.

The model (``seasonal_damped_trend``), per series:
1. day-of-week factors: the series' own weekday profile over the fit window (ratio to the
   centred 7-day moving average), shrunk towards the profile pooled over every series of the
   same product;
2. the deseasonalised values are fitted with a straight line by exponentially weighted least
   squares (recent days weigh more), giving a level and a slope;
3. the expected value h days ahead is (level + slope * (phi + phi^2 + ... + phi^h)) times the
   day-of-week factor of the target day (a damped trend), never below zero;
4. daily totals are skewed and often 0, so the point forecast is the median: the expected
   value times the median of the series' in-window ratios of deseasonalised value to fitted
   line (the median minimises absolute error, hence MAE and MASE); the 80% interval uses the
   10% and 90% ratios.
Series with less history than ``min_history_days`` fall back to the moving-average baseline
over the days they have, and their model_name says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

MODEL_NAME = "seasonal_damped_trend"
SEASONAL_NAIVE = "seasonal_naive_weekly"
MOVING_AVERAGE = "moving_average_28d"
FALLBACK_NAME = "moving_average_fallback_short_history"
MOVING_AVERAGE_DAYS = 28
SEASON_DAYS = 7
# Day of week (Monday = 0) of 1970-01-01, a Thursday.
EPOCH_WEEKDAY = 3
# Weekday factors are floored here, so deseasonalising never divides by zero.
WEEKDAY_FACTOR_FLOOR = 1e-6
# A weighted least-squares system with a determinant at or below this has no trend (slope 0).
SINGULAR_DETERMINANT = 1e-9
# 10% and 90% quantiles: an 80% interval.
INTERVAL_QUANTILES = (0.1, 0.9)
# Quantiles of value / fitted mean: the 80% interval and the median (the point forecast).
RATIO_QUANTILES = (0.1, 0.5, 0.9)
# The frames behind the forecast and backtest marts, with their dtypes (also when empty).
FORECAST_DTYPES: dict[str, str] = {
    "user_id": "int64",
    "product": "string",
    "forecast_date": "datetime64[s]",
    "horizon_days": "int64",
    "forecast_seconds": "float64",
    "lower_80": "float64",
    "upper_80": "float64",
    "model_name": "string",
    "history_days": "int64",
}
BACKTEST_DTYPES: dict[str, str] = {
    "model_name": "string",
    "horizon_days": "int64",
    "series": "int64",
    "origins": "int64",
    "forecasts": "int64",
    "mae": "float64",
    "smape": "float64",
    "mase": "float64",
    "interval_coverage_80": "float64",
}


def typed_frame(columns: dict[str, object], dtypes: dict[str, str]) -> pd.DataFrame:
    """A frame with exactly ``dtypes``' columns, in order and typed; empty when ``columns`` is."""
    return pd.DataFrame({name: pd.Series(columns.get(name, []), dtype=dtype) for name, dtype in dtypes.items()})


@dataclass(frozen=True)
class ModelParams:
    """Tuning of the seasonal damped-trend model; the defaults are the project's vars."""

    fit_window_days: int = 182
    level_half_life_days: float = 56.0
    trend_damping: float = 0.9
    seasonal_shrinkage: float = 0.8  # weight of the pooled weekday profile, 0..1


@dataclass(frozen=True)
class Panel:
    """Daily values of many series: keys (one row per series) and a (series x days) matrix."""

    keys: pd.DataFrame
    values: np.ndarray
    first_date: np.datetime64  # the date of column 0

    @property
    def dates(self) -> np.ndarray:
        return self.first_date + np.arange(self.values.shape[1]).astype("timedelta64[D]")


def panel_from_sessions(sessions: duckdb.DuckDBPyRelation) -> Panel:
    """The panel of daily interaction seconds per user and product, grouped and indexed by DuckDB.

    ``sessions`` needs user_id, started_at, product and interaction_time_seconds. Columns run
    from the first to the last session day of all series; a series starts on its own first
    session day (NaN before) and later days without a session are 0. Only integer indexes and
    numbers cross into Python (moving strings row by row is what costs time); the keys come
    once per series.
    """
    cells = sessions.query(
        "sessions",
        """
        with daily as (
            select user_id, product, cast(started_at as date) as activity_date,
                sum(interaction_time_seconds) as seconds
            from sessions
            group by user_id, product, cast(started_at as date)
        )
        select
            dense_rank() over (order by user_id, product) - 1 as series_index,
            date_diff('day', min(activity_date) over (), activity_date) as day_index,
            seconds
        from daily
    """,
    ).fetchnumpy()
    keys = sessions.query(
        "sessions",
        """
        select distinct user_id, product from sessions order by user_id, product
    """,
    ).df()
    first_date = sessions.query("sessions", "select min(cast(started_at as date)) as d from sessions").fetchall()[0][0]
    keys["user_id"] = keys["user_id"].astype(np.int64)
    keys["product"] = keys["product"].astype(object)
    if first_date is None:  # no sessions: no series and no days
        return Panel(keys=keys, values=np.zeros((0, 0)), first_date=np.datetime64("1970-01-01", "D"))
    series_index = np.asarray(cells["series_index"], dtype=np.int64)
    day = np.asarray(cells["day_index"], dtype=np.int64)
    n_days = int(day.max()) + 1
    values = np.zeros((len(keys), n_days))
    np.add.at(values, (series_index, day), np.asarray(cells["seconds"], dtype=float))
    start = np.full(len(keys), n_days, dtype=np.int64)
    np.minimum.at(start, series_index, day)
    values[np.arange(n_days)[None, :] < start[:, None]] = np.nan
    return Panel(keys=keys, values=values, first_date=np.datetime64(first_date, "D"))


def weekday_of(first_date: np.datetime64, n_days: int, offset: int = 0) -> np.ndarray:
    """Day of week (Monday = 0) of ``n_days`` consecutive days starting ``offset`` days after first_date."""
    days = (np.datetime64(first_date, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64) + offset
    return (days + np.arange(n_days) + EPOCH_WEEKDAY) % SEASON_DAYS


def history_days(history: np.ndarray) -> np.ndarray:
    """Days of history per series (the cells that are not NaN)."""
    return np.sum(~np.isnan(history), axis=1)


def seasonal_naive(history: np.ndarray, horizon: int) -> np.ndarray:
    """Weekly seasonal naive: the value of the same weekday in the last observed week."""
    last_week = history[:, -SEASON_DAYS:]
    return last_week[:, np.arange(horizon) % SEASON_DAYS]


def moving_average(history: np.ndarray, horizon: int, window: int = MOVING_AVERAGE_DAYS) -> np.ndarray:
    """Mean of the last ``window`` days (of the days a series has), flat over the horizon."""
    recent = history[:, -window:]
    counts = np.sum(~np.isnan(recent), axis=1)
    mean = np.where(counts > 0, np.nansum(recent, axis=1) / np.maximum(counts, 1), np.nan)
    return np.repeat(mean[:, None], horizon, axis=1)


def seasonal_scale(history: np.ndarray) -> np.ndarray:
    """In-sample MAE of the weekly seasonal-naive forecast per series (the MASE denominator)."""
    diffs = np.abs(history[:, SEASON_DAYS:] - history[:, :-SEASON_DAYS])
    counts = np.sum(~np.isnan(diffs), axis=1)
    return np.where(counts > 0, np.nansum(diffs, axis=1) / np.maximum(counts, 1), np.nan)


def centred_moving_average(window: np.ndarray) -> np.ndarray:
    """Centred 7-day mean of each day (NaN where the seven days are not all present)."""
    valid = ~np.isnan(window)
    zero = np.zeros((len(window), 1))
    sums = np.concatenate([zero, np.cumsum(np.where(valid, window, 0.0), axis=1)], axis=1)
    counts = np.concatenate([zero, np.cumsum(valid, axis=1)], axis=1)
    week_sums = sums[:, SEASON_DAYS:] - sums[:, :-SEASON_DAYS]
    week_counts = counts[:, SEASON_DAYS:] - counts[:, :-SEASON_DAYS]
    out = np.full(window.shape, np.nan)
    half = SEASON_DAYS // 2
    out[:, half : window.shape[1] - half] = np.where(week_counts == SEASON_DAYS, week_sums / SEASON_DAYS, np.nan)
    return out


def weekday_factors(window: np.ndarray, weekdays: np.ndarray, groups: np.ndarray, shrinkage: float) -> np.ndarray:
    """(series x 7) multiplicative weekday factors, each series' profile shrunk to its group's.

    A profile is, per weekday, the day's values summed over the window divided by their centred
    7-day means summed (classical ratio-to-moving-average, so a linear trend does not leak into
    the factors), scaled to average 1. A series without a usable value on some weekday takes its
    group's profile; the group's profile sums every member's days.
    """
    average = centred_moving_average(window)
    usable = ~np.isnan(average) & ~np.isnan(window)
    one_hot = (weekdays[:, None] == np.arange(SEASON_DAYS)[None, :]).astype(float)
    values = np.where(usable, window, 0.0) @ one_hot
    baselines = np.where(usable, average, 0.0) @ one_hot
    pooled = np.ones((len(window), SEASON_DAYS))
    for group in np.unique(groups):
        members = groups == group
        base = baselines[members].sum(axis=0)
        if (base > 0).all():
            profile = values[members].sum(axis=0) / base
            if profile.mean() > 0:
                pooled[members] = profile / profile.mean()
    has_own = (baselines > 0).all(axis=1)
    own = values / np.where(baselines > 0, baselines, 1.0)
    own_mean = own.mean(axis=1, keepdims=True)
    has_own &= own_mean[:, 0] > 0
    own = np.where(has_own[:, None], own / np.where(own_mean > 0, own_mean, 1.0), pooled)
    factors = shrinkage * pooled + (1 - shrinkage) * own
    return np.maximum(factors, WEEKDAY_FACTOR_FLOOR)


@dataclass(frozen=True)
class TrendFit:
    level: np.ndarray  # deseasonalised level at the last history day
    slope: np.ndarray  # deseasonalised change per day
    factors: np.ndarray  # (series x 7) weekday factors
    ratio_quantiles: np.ndarray  # (series x 3) quantiles 10/50/90% of value / fitted mean


def fit_seasonal_trend(history: np.ndarray, first_weekday: int, groups: np.ndarray, params: ModelParams) -> TrendFit:
    """Weekday factors and an exponentially weighted least-squares line through each series."""
    window = history[:, -params.fit_window_days :]
    n_days = window.shape[1]
    weekdays = (first_weekday + history.shape[1] - n_days + np.arange(n_days)) % SEASON_DAYS
    factors = weekday_factors(window, weekdays, groups, params.seasonal_shrinkage)
    season = factors[:, weekdays]
    deseasonalised = window / season
    valid = ~np.isnan(deseasonalised)
    t = np.arange(n_days, dtype=float) - (n_days - 1)  # 0 on the last history day
    w = np.where(valid, 0.5 ** (-t / params.level_half_life_days)[None, :], 0.0)
    z = np.where(valid, deseasonalised, 0.0)
    s_w, s_t, s_tt = w.sum(axis=1), w @ t, w @ (t * t)
    s_z, s_tz = (w * z).sum(axis=1), (w * z) @ t
    det = s_w * s_tt - s_t * s_t
    slope = np.where(
        det > SINGULAR_DETERMINANT, (s_w * s_tz - s_t * s_z) / np.where(det > SINGULAR_DETERMINANT, det, 1), 0.0
    )
    level = np.where(s_w > 0, (s_z - slope * s_t) / np.where(s_w > 0, s_w, 1), 0.0)
    fitted = level[:, None] + slope[:, None] * t[None, :]
    ratios = np.where(valid & (fitted > 0), deseasonalised / np.where(fitted > 0, fitted, 1), np.nan)
    quantiles = row_quantiles(ratios, RATIO_QUANTILES)
    return TrendFit(level=level, slope=slope, factors=factors, ratio_quantiles=quantiles)


def row_quantiles(values: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """Quantiles of each row ignoring NaN (0 for an all-NaN row), sorted once for all rows."""
    ordered = np.sort(values, axis=1)  # NaN sort last
    counts = np.sum(~np.isnan(values), axis=1)
    out = np.zeros((len(values), len(quantiles)))
    rows = np.arange(len(values))
    for j, q in enumerate(quantiles):
        position = q * np.maximum(counts - 1, 0)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, np.maximum(counts - 1, 0))
        frac = position - low
        value = ordered[rows, low] * (1 - frac) + ordered[rows, high] * frac
        out[:, j] = np.where(counts > 0, value, 0.0)
    return out


def damped_steps(horizon: int, damping: float) -> np.ndarray:
    """phi + phi^2 + ... + phi^h for h = 1..horizon."""
    return np.cumsum(damping ** np.arange(1, horizon + 1))


def seasonal_damped_trend(
    history: np.ndarray, horizon: int, first_weekday: int, groups: np.ndarray, params: ModelParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point forecasts and 80% bounds (each series x horizon) of the seasonal damped-trend model."""
    fit = fit_seasonal_trend(history, first_weekday, groups, params)
    target_weekdays = (first_weekday + history.shape[1] + np.arange(horizon)) % SEASON_DAYS
    season = fit.factors[:, target_weekdays]
    deseasonalised = fit.level[:, None] + fit.slope[:, None] * damped_steps(horizon, params.trend_damping)[None, :]
    mean = np.maximum(deseasonalised * season, 0.0)
    lower, forecast, upper = (mean * fit.ratio_quantiles[:, [j]] for j in range(len(RATIO_QUANTILES)))
    return forecast, lower, upper


def _fallback_bounds(history: np.ndarray, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """80% bounds of a flat forecast from the spread of the recent days around their mean."""
    recent = history[:, -MOVING_AVERAGE_DAYS:]
    quantiles = row_quantiles(recent - forecast[:, [0]], INTERVAL_QUANTILES)
    lower = np.clip(forecast + quantiles[:, [0]], 0.0, forecast)
    upper = np.maximum(forecast + quantiles[:, [1]], forecast)
    return lower, upper


def forecast_panel(panel: Panel, horizon: int, min_history_days: int, params: ModelParams) -> pd.DataFrame:
    """The next ``horizon`` days of every series: one row per series and forecast date.

    Series with fewer than ``min_history_days`` days of history get the moving-average
    fallback, named in model_name. Any number of days works, one included; no series gives a
    typed empty frame.
    """
    history = panel.values
    if history.shape[0] == 0 or history.shape[1] == 0:
        return typed_frame({}, FORECAST_DTYPES)
    first_weekday = int(weekday_of(panel.first_date, 1)[0])
    groups = panel.keys["product"].to_numpy()
    forecast, lower, upper = seasonal_damped_trend(history, horizon, first_weekday, groups, params)
    short = history_days(history) < min_history_days
    if short.any():
        fallback = moving_average(history[short], horizon)
        forecast[short] = fallback
        lower[short], upper[short] = _fallback_bounds(history[short], fallback)
    n_series = len(history)
    last = panel.first_date + np.timedelta64(history.shape[1] - 1, "D")
    dates = last + np.arange(1, horizon + 1).astype("timedelta64[D]")
    return typed_frame(
        {
            "user_id": np.repeat(panel.keys["user_id"].to_numpy(dtype=np.int64), horizon),
            "product": np.repeat(panel.keys["product"].to_numpy(), horizon),
            "forecast_date": np.tile(dates, n_series),
            "horizon_days": np.tile(np.arange(1, horizon + 1), n_series).astype(np.int64),
            "forecast_seconds": forecast.ravel(),
            "lower_80": lower.ravel(),
            "upper_80": upper.ravel(),
            "model_name": np.repeat(np.where(short, FALLBACK_NAME, MODEL_NAME), horizon),
            "history_days": np.repeat(history_days(history), horizon).astype(np.int64),
        },
        FORECAST_DTYPES,
    )


def _errors(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> dict[str, np.ndarray]:
    abs_error = np.abs(actual - forecast)
    denominator = np.abs(actual) + np.abs(forecast)
    smape = np.where(denominator > 0, 200.0 * abs_error / np.where(denominator > 0, denominator, 1), 0.0)
    mase = np.where(scale[:, None] > 0, abs_error / np.where(scale[:, None] > 0, scale[:, None], 1), np.nan)
    return {"abs_error": abs_error, "smape": smape, "mase": mase, "covered": np.full(abs_error.shape, np.nan)}


def backtest(panel: Panel, horizon: int, origins: int, min_history_days: int, params: ModelParams) -> pd.DataFrame:
    """Rolling-origin backtest of the model and both baselines, one row per model and horizon day.

    Origins are the last ``origins`` non-overlapping blocks of ``horizon`` days: at each, every
    model sees only the days before it and forecasts the block. A series takes part at an origin
    when it has ``min_history_days`` of history there. MAE is in seconds, sMAPE in percent
    (0..200, 0 when forecast and actual are both 0), MASE divides each absolute error by the
    series' in-sample weekly seasonal-naive MAE (series with a zero scale are left out of MASE;
    NaN when every series has a zero scale). Origins that leave no eligible series, as on a span
    shorter than ``min_history_days`` plus a horizon, are skipped; with none left the frame is
    typed and empty.
    """
    values = panel.values
    n_days = values.shape[1]
    first_weekday = int(weekday_of(panel.first_date, 1)[0])
    groups = panel.keys["product"].to_numpy()
    collected: dict[str, list[dict[str, np.ndarray]]] = {MODEL_NAME: [], SEASONAL_NAIVE: [], MOVING_AVERAGE: []}
    evaluated_series = np.zeros(len(values), dtype=bool)
    used_origins = 0
    for k in range(origins, 0, -1):
        origin = n_days - k * horizon
        if origin <= SEASON_DAYS:
            continue
        history, actual = values[:, :origin], values[:, origin : origin + horizon]
        eligible = history_days(history) >= max(min_history_days, SEASON_DAYS + 1)
        if not eligible.any():
            continue
        used_origins += 1
        evaluated_series |= eligible
        history, actual = history[eligible], actual[eligible]
        scale = seasonal_scale(history)
        model, lower, upper = seasonal_damped_trend(history, horizon, first_weekday, groups[eligible], params)
        model_errors = _errors(actual, model, scale)
        model_errors["covered"] = ((actual >= lower) & (actual <= upper)).astype(float)
        collected[MODEL_NAME].append(model_errors)
        collected[SEASONAL_NAIVE].append(_errors(actual, seasonal_naive(history, horizon), scale))
        collected[MOVING_AVERAGE].append(_errors(actual, moving_average(history, horizon), scale))
    rows = []
    for name, parts in collected.items():
        if not parts:
            continue
        stacked = {metric: np.vstack([p[metric] for p in parts]) for metric in parts[0]}
        for h in range(horizon):
            covered = stacked["covered"][:, h]
            rows.append(
                {
                    "model_name": name,
                    "horizon_days": h + 1,
                    "series": int(evaluated_series.sum()),
                    "origins": used_origins,
                    "forecasts": int(stacked["abs_error"].shape[0]),
                    "mae": float(stacked["abs_error"][:, h].mean()),
                    "smape": float(stacked["smape"][:, h].mean()),
                    "mase": _nan_mean(stacked["mase"][:, h]),
                    "interval_coverage_80": float(np.nanmean(covered)) if np.isfinite(covered).any() else np.nan,
                }
            )
    return typed_frame({column: [row[column] for row in rows] for column in BACKTEST_DTYPES}, BACKTEST_DTYPES)


def _nan_mean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN (no warning) when there are none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")
