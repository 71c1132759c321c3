"""Watch-time regression: the helpers on hand-made data, and the built
warehouse against independent pandas/scikit-learn computations and the generator's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from engagement_analytics.domains.feed import watch_time as wt
from engagement_analytics.domains.ml_metrics import METRIC_COLUMNS, METRIC_DTYPES
from tests.conftest import BuiltWarehouse

# ---------------------------------------------------------------------------------------------
# Helpers on hand-made data
# ---------------------------------------------------------------------------------------------

GENRE_BASE = {"comedy": 25.0, "music": 40.0, "education": 120.0}
TYPE_FACTOR = {"view": 1.0, "like": 1.3, "share": 1.4}


def synthetic_features(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Interactions with the generator's multiplicative structure and point-in-time user means."""
    rng = np.random.default_rng(seed)
    n_users = 300
    preferred = rng.choice(list(GENRE_BASE), n_users)
    user_factor = rng.lognormal(0.0, 0.4, n_users)
    user = rng.integers(0, n_users, n)
    genre = np.where(rng.random(n) < 0.6, preferred[user], rng.choice(list(GENRE_BASE), n))
    kind = rng.choice(list(TYPE_FACTOR), n, p=[0.7, 0.2, 0.1])
    match = genre == preferred[user]
    watch = (
        np.vectorize(GENRE_BASE.get)(genre)
        * np.where(match, 1.6, 1.0)
        * user_factor[user]
        * np.vectorize(TYPE_FACTOR.get)(kind)
        * rng.lognormal(0.0, 0.5, n)
    )
    clicked = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 200 * 86400, n)), unit="s")
    frame = pd.DataFrame(
        {
            "interaction_id": np.arange(1, n + 1),
            "user_id": user + 1,
            "first_clicked_at": clicked,
            "watch_time_seconds": watch,
            "interaction_type": kind,
            "preferred_genre": preferred[user],
            "video_genre": genre,
            "is_preferred_genre": match,
            "video_age_days": rng.uniform(0, 100, n),
            "video_prior_interactions": rng.integers(0, 50, n),
        }
    )
    grouped = frame.groupby("user_id")["watch_time_seconds"]
    frame["user_prior_interactions"] = grouped.cumcount()
    prior_sum = grouped.cumsum() - frame["watch_time_seconds"]
    frame["user_prior_mean_watch_time_seconds"] = (prior_sum / frame["user_prior_interactions"]).where(
        frame["user_prior_interactions"] > 0, frame["watch_time_seconds"].mean()
    )
    frame["is_cold_start_user"] = frame["user_prior_interactions"] == 0
    return frame


def test_time_split_cuts_at_the_fractions_and_keeps_ties_together():
    clicked = pd.Series(pd.to_datetime("2026-01-01") + pd.to_timedelta(np.r_[np.arange(90), [90] * 10], unit="D"))
    split = wt.time_split(clicked, validation_fraction=0.15, test_fraction=0.15)
    assert split.validation_start == pd.Timestamp("2026-03-12")  # the 71st click (index 70)
    assert split.test_start == pd.Timestamp("2026-03-27")  # index 85
    dataset_type = split.assign(clicked)
    assert dataset_type.value_counts().to_dict() == {"train": 70, "validation": 15, "test": 15}
    # Ties: ten clicks at the same instant at the end, all in test.
    assert set(dataset_type[clicked == clicked.max()]) == {"test"}
    tied = pd.Series(pd.to_datetime(["2026-01-01"] * 5 + ["2026-01-02"] * 5))
    tied_types = wt.time_split(tied, 0.2, 0.2).assign(tied)
    assert tied_types.groupby(tied).nunique().max() == 1


@pytest.mark.parametrize(("validation_fraction", "test_fraction"), [(0.0, 0.2), (0.2, 0.0), (0.5, 0.5)])
def test_time_split_rejects_fractions_that_leave_no_split(validation_fraction, test_fraction):
    clicked = pd.Series(pd.date_range("2026-01-01", periods=10, freq="D"))
    with pytest.raises(ValueError, match="fractions must be positive and leave rows to train on"):
        wt.time_split(clicked, validation_fraction, test_fraction)


def test_time_split_never_leaves_train_empty():
    day = pd.Timestamp("2026-01-01")
    # Three clicks: the validation cut (index 2) is also the test cut; two train rows remain.
    three = pd.Series([day, day + pd.Timedelta(hours=1), day + pd.Timedelta(hours=2)])
    assert wt.time_split(three, 0.15, 0.15).assign(three).tolist() == ["train", "train", "test"]
    # Most clicks at the first instant: the cut moves to the next instant.
    tied = pd.Series([day] * 8 + [day + pd.Timedelta(days=1), day + pd.Timedelta(days=2)])
    assigned = wt.time_split(tied, 0.15, 0.15).assign(tied)
    assert (assigned[:8] == "train").all()
    assert set(assigned[8:]) <= {"validation", "test"}
    # One instant: everything is train.
    same = pd.Series([day] * 5)
    split = wt.time_split(same, 0.15, 0.15)
    assert (split.validation_start, split.test_start) == (None, None)
    assert set(split.assign(same)) == {"train"}
    with pytest.raises(ValueError, match="no interactions to split"):
        wt.time_split(pd.Series([], dtype="datetime64[us]"), 0.15, 0.15)


def test_scoring_and_metrics_on_no_interactions_are_typed_and_empty():
    features = synthetic_features(10).iloc[0:0]
    scored = wt.score_interactions(features, wt.WatchTimeParams())
    assert scored.empty
    assert scored.dtypes.astype(str).to_dict() == wt.SCORED_DTYPES
    metrics = wt.metrics_frame(scored)
    assert metrics.empty
    assert list(metrics.columns) == METRIC_COLUMNS
    assert metrics.dtypes.astype(str).to_dict() == METRIC_DTYPES


@pytest.mark.parametrize("rows", [1, 2, 5])
def test_a_handful_of_clicks_is_scored(rows):
    features = synthetic_features(rows, seed=1)
    scored = wt.score_interactions(features, wt.WatchTimeParams())
    assert sorted(scored["interaction_id"]) == sorted(features["interaction_id"])
    assert (scored["dataset_type"] == "train").any()
    assert np.isfinite(scored["predicted_watch_time_seconds"]).all()
    train = scored[scored["dataset_type"] == "train"]
    np.testing.assert_allclose(scored["global_mean_prediction"], train["watch_time_seconds"].mean())
    metrics = wt.metrics_frame(scored)
    assert metrics["value"].notna().all()
    assert not metrics.duplicated(["model_name", "dataset_type", "metric"]).any()


def test_undefined_r2_has_no_row_and_equal_actuals_still_score():
    scored = pd.DataFrame(
        {
            "interaction_id": range(4),
            "dataset_type": ["train", "train", "test", "test"],
            "watch_time_seconds": [10.0, 30.0, 20.0, 20.0],
            "predicted_watch_time_seconds": [12.0, 28.0, 18.0, 25.0],
            "global_mean_prediction": [20.0] * 4,
            "genre_mean_prediction": [20.0] * 4,
        }
    )
    metrics = wt.metrics_frame(scored).set_index(["model_name", "dataset_type", "metric"])
    assert ("watch_time_gradient_boosting", "train", "r2") in metrics.index
    # Both test actuals are 20: R2 is undefined there, MAE is not.
    assert ("watch_time_gradient_boosting", "test", "r2") not in metrics.index
    assert metrics.loc[("watch_time_gradient_boosting", "test", "mae"), "value"] == pytest.approx(3.5)


def test_more_genres_than_a_tree_takes_are_grouped_not_an_error():
    features = synthetic_features(3000, seed=6)
    rng = np.random.default_rng(6)
    features["video_genre"] = [f"genre_{i}" for i in rng.integers(0, 400, len(features))]
    scored = wt.score_interactions(features, wt.WatchTimeParams(max_iter=20))
    assert len(scored) == len(features)
    assert np.isfinite(scored["predicted_watch_time_seconds"]).all()


def test_ids_beyond_float_precision_survive_scoring():
    features = synthetic_features(200, seed=8)
    features["interaction_id"] = (2**63 - 1) - np.arange(len(features), dtype=np.int64) * 2
    scored = wt.score_interactions(features, wt.WatchTimeParams(max_iter=10))
    assert scored["interaction_id"].dtype == "int64"
    assert sorted(int(i) for i in scored["interaction_id"]) == sorted(int(i) for i in features["interaction_id"])


def test_regression_metrics_match_scikit_learn():
    rng = np.random.default_rng(3)
    actual = rng.lognormal(3, 1, 500)
    predicted = actual * rng.lognormal(0, 0.3, 500)
    metrics = wt.regression_metrics(actual, predicted)
    assert metrics["mae"] == pytest.approx(mean_absolute_error(actual, predicted), rel=1e-12)
    assert metrics["rmse"] == pytest.approx(np.sqrt(mean_squared_error(actual, predicted)), rel=1e-12)
    assert metrics["r2"] == pytest.approx(r2_score(actual, predicted), rel=1e-12)
    assert wt.regression_metrics(actual, np.full(500, actual.mean()))["r2"] == pytest.approx(0.0, abs=1e-12)


def test_baselines_come_from_train_only_and_unseen_genres_fall_back_to_the_global_mean():
    train = pd.DataFrame({"video_genre": ["a", "a", "b"], "watch_time_seconds": [10.0, 20.0, 60.0]})
    scored = pd.DataFrame({"video_genre": ["a", "b", "c", None]})
    baselines = wt.baseline_predictions(train, scored)
    assert baselines["global_mean"].tolist() == [30.0] * 4
    assert baselines["genre_mean"].tolist() == [15.0, 60.0, 30.0, 30.0]


def test_feature_matrix_keeps_missing_values_visible():
    frame = synthetic_features(50)
    frame.loc[0, "preferred_genre"] = None
    frame.loc[1, "user_prior_mean_watch_time_seconds"] = None
    matrix = wt.feature_matrix(frame)
    assert list(matrix.columns) == wt.FEATURES
    assert matrix.loc[0, "preferred_genre"] == "<missing>"
    assert np.isnan(matrix.loc[1, "user_prior_mean_watch_time_seconds"])
    assert matrix["is_preferred_genre"].dtype == "float64"


def test_model_learns_the_planted_structure_and_beats_both_baselines():
    features = synthetic_features()
    params = wt.WatchTimeParams(seed=5)
    scored = wt.score_interactions(features, params)
    test = scored[scored["dataset_type"] == "test"]
    model = wt.regression_metrics(test["watch_time_seconds"], test["predicted_watch_time_seconds"])
    for baseline in ("global_mean", "genre_mean"):
        reference = wt.regression_metrics(test["watch_time_seconds"], test[f"{baseline}_prediction"])
        assert model["mae"] < reference["mae"]
        assert model["rmse"] < reference["rmse"]
        assert model["r2"] > reference["r2"]
    # Within a genre and interaction type, predictions for matches sit about the planted 1.6 above.
    assert match_factor(features.assign(**scored.drop(columns="watch_time_seconds"))) == pytest.approx(1.6, rel=0.15)


def match_factor(scored: pd.DataFrame) -> float:
    """The median over (genre, interaction type) cells of the ratio of geometric-mean predictions,
    genre matches over the rest, on the test split."""
    test = scored[scored["dataset_type"] == "test"].assign(
        is_match=lambda f: f["preferred_genre"] == f["video_genre"],
        log_prediction=lambda f: np.log(f["predicted_watch_time_seconds"]),
    )
    cells = test.groupby(["video_genre", "interaction_type", "is_match"])["log_prediction"].mean().unstack()
    return float(np.exp((cells[True] - cells[False]).median()))


def test_fit_is_reproducible_and_smearing_restores_the_mean():
    features = synthetic_features(3000, seed=4)
    params = wt.WatchTimeParams(seed=11)
    first = wt.score_interactions(features, params)
    second = wt.score_interactions(features, params)
    pd.testing.assert_frame_equal(first, second)
    train = first[first["dataset_type"] == "train"]
    # Back-transformed log predictions estimate the median; with the smearing factor the mean
    # prediction on the training rows is close to the mean watch time.
    assert train["predicted_watch_time_seconds"].mean() == pytest.approx(train["watch_time_seconds"].mean(), rel=0.05)


def test_training_rows_are_sampled_with_the_seed():
    frame = pd.DataFrame({"x": range(100)})
    first = wt.training_sample(frame, 10, seed=1)
    assert len(first) == 10
    assert first.equals(wt.training_sample(frame, 10, seed=1))
    assert wt.training_sample(frame, 1000, seed=1) is frame


def test_score_interactions_returns_one_row_per_interaction_and_metrics_for_every_split():
    features = synthetic_features(2000, seed=2)
    scored = wt.score_interactions(features, wt.WatchTimeParams(max_train_rows=500))
    assert sorted(scored["interaction_id"]) == sorted(features["interaction_id"])
    assert set(scored["dataset_type"]) == set(wt.DATASET_TYPES)
    duplicated = features.iloc[[0, 0]]
    with pytest.raises(ValueError, match="one row per interaction_id"):
        wt.score_interactions(duplicated, wt.WatchTimeParams())


def test_metrics_frame_has_one_row_per_model_split_and_metric():
    scored = pd.DataFrame(
        {
            "interaction_id": range(6),
            "dataset_type": ["train"] * 3 + ["test"] * 3,
            "watch_time_seconds": [10.0, 20.0, 30.0, 10.0, 20.0, 60.0],
            "predicted_watch_time_seconds": [12.0, 18.0, 30.0, 10.0, 25.0, 50.0],
            "global_mean_prediction": [20.0] * 6,
            "genre_mean_prediction": [15.0, 15.0, 30.0, 15.0, 15.0, 30.0],
        }
    )
    metrics = wt.metrics_frame(scored)
    assert list(metrics.columns) == ["model_name", "dataset_type", "metric", "value", "baseline_name", "baseline_value"]
    assert not metrics.duplicated(["model_name", "dataset_type", "metric"]).any()
    assert len(metrics) == 2 * (3 + 3 + 1)
    row = metrics.set_index(["model_name", "dataset_type", "metric"])
    model_mae = row.loc[("watch_time_gradient_boosting", "test", "mae")]
    assert model_mae["value"] == pytest.approx((0 + 5 + 10) / 3)
    assert model_mae["baseline_name"] == "genre_mean"
    assert model_mae["baseline_value"] == pytest.approx((5 + 5 + 30) / 3)
    genre_mae = row.loc[("watch_time_genre_mean", "test", "mae")]
    assert genre_mae["value"] == pytest.approx(model_mae["baseline_value"])
    assert genre_mae["baseline_name"] == "global_mean"
    assert genre_mae["baseline_value"] == pytest.approx((10 + 0 + 40) / 3)
    assert row.loc[("watch_time_gradient_boosting", "test", "rows"), "value"] == 3
    assert pd.isna(row.loc[("watch_time_gradient_boosting", "test", "rows"), "baseline_name"])


# ---------------------------------------------------------------------------------------------
# The built warehouse, checked against independent computations
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def interactions(warehouse: BuiltWarehouse) -> pd.DataFrame:
    """Clean interactions with genres, read from staging (the contract's clean rows)."""
    return warehouse.query("""
        select i.interaction_id, i.user_id, i.video_id, i.first_clicked_at,
               cast(i.watch_time_seconds as double) as watch_time_seconds,
               i.interaction_type, u.preferred_genre, v.genre as video_genre, v.upload_date
        from staging.stg_feed__interactions as i
        inner join staging.stg_feed__users as u on i.user_id = u.user_id
        inner join staging.stg_feed__videos as v on i.video_id = v.video_id
    """)


@pytest.fixture(scope="module")
def predictions(warehouse: BuiltWarehouse, interactions: pd.DataFrame) -> pd.DataFrame:
    mart = warehouse.query("select * from marts.watch_time_predictions")
    return mart.merge(interactions, on="interaction_id", how="left", validate="one_to_one")


def test_every_clean_interaction_has_exactly_one_prediction(interactions: pd.DataFrame, predictions: pd.DataFrame):
    assert sorted(predictions["interaction_id"]) == sorted(interactions["interaction_id"])
    assert predictions["watch_time_seconds"].notna().all()  # every prediction joins a clean interaction
    assert (predictions["predicted_watch_time_seconds"] >= 0).all()
    assert np.isfinite(predictions["predicted_watch_time_seconds"]).all()


def test_split_is_by_time_with_the_configured_fractions(predictions: pd.DataFrame):
    clicked = predictions.groupby("dataset_type")["first_clicked_at"].agg(["min", "max", "size"])
    assert clicked.loc["train", "max"] < clicked.loc["validation", "min"]
    assert clicked.loc["validation", "max"] < clicked.loc["test", "min"]
    shares = clicked["size"] / clicked["size"].sum()
    assert shares["test"] == pytest.approx(0.15, abs=0.01)
    assert shares["validation"] == pytest.approx(0.15, abs=0.01)


def independent_test_metrics(predictions: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Model and baseline metrics on the test split, recomputed with pandas and scikit-learn."""
    train = predictions[predictions["dataset_type"] == "train"]
    test = predictions[predictions["dataset_type"] == "test"]
    global_mean = train["watch_time_seconds"].mean()
    genre_mean = test["video_genre"].map(train.groupby("video_genre")["watch_time_seconds"].mean()).fillna(global_mean)
    candidates = {
        "model": test["predicted_watch_time_seconds"],
        "global_mean": pd.Series(global_mean, index=test.index),
        "genre_mean": genre_mean,
    }
    actual = test["watch_time_seconds"]
    return {
        name: {
            "mae": mean_absolute_error(actual, values),
            "rmse": float(np.sqrt(mean_squared_error(actual, values))),
            "r2": r2_score(actual, values),
        }
        for name, values in candidates.items()
    }


def test_model_beats_both_baselines_on_the_test_split(predictions: pd.DataFrame):
    metrics = independent_test_metrics(predictions)
    for baseline in ("global_mean", "genre_mean"):
        assert metrics["model"]["mae"] < metrics[baseline]["mae"]
        assert metrics["model"]["rmse"] < metrics[baseline]["rmse"]
        assert metrics["model"]["r2"] > metrics[baseline]["r2"]
    # Not a marginal win: the planted user and genre-match factors explain much more than genre.
    assert metrics["model"]["r2"] > metrics["genre_mean"]["r2"] + 0.1


def test_metrics_table_agrees_with_the_independent_computation(warehouse: BuiltWarehouse, predictions: pd.DataFrame):
    expected = independent_test_metrics(predictions)
    table = warehouse.query("select * from intermediate.watch_time_model_metrics where dataset_type = 'test'")
    rows = table.set_index(["model_name", "metric"])
    for metric in ("mae", "rmse", "r2"):
        model = rows.loc[("watch_time_gradient_boosting", metric)]
        genre = rows.loc[("watch_time_genre_mean", metric)]
        assert model["value"] == pytest.approx(expected["model"][metric], rel=1e-9, abs=1e-9)
        assert (model["baseline_name"], genre["baseline_name"]) == ("genre_mean", "global_mean")
        assert model["baseline_value"] == pytest.approx(expected["genre_mean"][metric], rel=1e-9, abs=1e-9)
        assert genre["value"] == pytest.approx(expected["genre_mean"][metric], rel=1e-9, abs=1e-9)
        assert genre["baseline_value"] == pytest.approx(expected["global_mean"][metric], rel=1e-9, abs=1e-9)
    assert rows.loc[("watch_time_gradient_boosting", "rows"), "value"] == (predictions["dataset_type"] == "test").sum()


def test_model_recovers_the_planted_genre_match_factor(warehouse: BuiltWarehouse, predictions: pd.DataFrame):
    """Within a genre and interaction type, the test-split predictions for fans are about the
    planted genre-match factor above those for everyone else (the user factor is independent
    of genre, so it averages out)."""
    planted = warehouse.truth["feed"]["watch_time_model"]["genre_match_factor"]
    assert match_factor(predictions) == pytest.approx(planted, rel=0.15)


def test_features_use_only_strictly_earlier_interactions(warehouse: BuiltWarehouse, interactions: pd.DataFrame):
    """Recompute the point-in-time features for sample rows from staging with pandas, using for
    each row only the interactions strictly before its click."""
    features = warehouse.query("select * from intermediate.int_interactions_featurised_for_watch_time")
    assert len(features) == len(interactions)
    # Sample rows with a history, cold-start rows, and rows that share their click instant.
    tied = interactions[interactions.duplicated(["user_id", "first_clicked_at"], keep=False)]
    sample_ids = pd.concat(
        [
            features[~features["is_cold_start_user"]].sample(150, random_state=1)["interaction_id"],
            features[features["is_cold_start_user"]].sample(40, random_state=2)["interaction_id"],
            tied["interaction_id"].head(10),
        ]
    ).unique()
    by_id = features.set_index("interaction_id")
    genre_day = interactions.assign(day=interactions["first_clicked_at"].dt.normalize())
    for interaction_id in sample_ids:
        row = interactions.loc[interactions["interaction_id"] == interaction_id].iloc[0]
        earlier = interactions[interactions["first_clicked_at"] < row["first_clicked_at"]]
        user_earlier = earlier[earlier["user_id"] == row["user_id"]]
        got = by_id.loc[interaction_id]
        assert got["user_prior_interactions"] == len(user_earlier)
        assert got["is_cold_start_user"] == user_earlier.empty
        assert got["video_prior_interactions"] == (earlier["video_id"] == row["video_id"]).sum()
        age = (row["first_clicked_at"] - pd.Timestamp(row["upload_date"])).total_seconds() / 86400
        assert got["video_age_days"] == pytest.approx(age, abs=1e-9)
        assert bool(got["is_preferred_genre"]) == (row["preferred_genre"] == row["video_genre"])
        if user_earlier.empty:
            fallback = genre_day[
                (genre_day["video_genre"] == row["video_genre"])
                & (genre_day["day"] < row["first_clicked_at"].normalize())
            ]
            expected = fallback["watch_time_seconds"].mean() if len(fallback) else np.nan
        else:
            expected = user_earlier["watch_time_seconds"].mean()
        if np.isnan(expected):
            assert pd.isna(got["user_prior_mean_watch_time_seconds"])
        else:
            assert got["user_prior_mean_watch_time_seconds"] == pytest.approx(expected, rel=1e-9)


def test_features_do_not_change_when_the_future_is_removed(warehouse: BuiltWarehouse, interactions: pd.DataFrame):
    """Leakage check by truncation: the user features of every row before a cut, recomputed with
    pandas from the interactions before the cut only, equal the warehouse's (computed on all)."""
    features = warehouse.query(
        "select interaction_id, user_prior_interactions, user_prior_mean_watch_time_seconds, "
        "is_cold_start_user from intermediate.int_interactions_featurised_for_watch_time"
    )
    cut = interactions["first_clicked_at"].quantile(0.5)
    past = interactions[interactions["first_clicked_at"] < cut].sort_values(["user_id", "first_clicked_at"])
    per_instant = past.groupby(["user_id", "first_clicked_at"])["watch_time_seconds"].agg(["sum", "size"])
    running = per_instant.groupby(level="user_id").cumsum() - per_instant
    expected = past.join(running, on=["user_id", "first_clicked_at"]).set_index("interaction_id")
    got = features.set_index("interaction_id").loc[expected.index]
    assert (got["user_prior_interactions"].to_numpy() == expected["size"].to_numpy()).all()
    warm = expected["size"] > 0
    np.testing.assert_allclose(
        got.loc[warm, "user_prior_mean_watch_time_seconds"].to_numpy(),
        (expected.loc[warm, "sum"] / expected.loc[warm, "size"]).to_numpy(),
        rtol=1e-9,
    )


def test_shared_ml_model_metrics_carries_the_watch_time_rows(warehouse: BuiltWarehouse):
    own = warehouse.query("select * from intermediate.watch_time_model_metrics")
    shared = warehouse.query("select * from marts.ml_model_metrics where model_name like 'watch_time_%'")
    key = ["model_name", "dataset_type", "metric"]
    merged = own.merge(shared, on=key, suffixes=("", "_shared"), validate="one_to_one")
    assert len(merged) == len(own) == len(shared)
    np.testing.assert_allclose(merged["value_shared"], merged["value"], rtol=1e-12)
    assert (merged["baseline_name_shared"].fillna("") == merged["baseline_name"].fillna("")).all()
