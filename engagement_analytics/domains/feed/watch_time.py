"""Watch-time regression: predict an interaction's watch time from what was known before it.

The point-in-time features come from the SQL model int_interactions_featurised_for_watch_time;
these helpers split them by time, fit a seeded gradient-boosted regressor on log1p(seconds),
score every interaction, and compare the model with two baselines fitted on the train split
(the global mean and the per-genre mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

from engagement_analytics.domains.ml_metrics import metric_frame, metric_row

MODEL_NAME = "watch_time_gradient_boosting"
# The per-genre mean gets its own metric rows, read against the global mean, so the shared
# metrics table (one row per model, split and metric) shows all three predictors.
GENRE_MEAN_MODEL_NAME = "watch_time_genre_mean"
TARGET = "watch_time_seconds"
TIME_COLUMN = "first_clicked_at"
CATEGORICAL_FEATURES = ["video_genre", "preferred_genre", "interaction_type"]
NUMERIC_FEATURES = [
    "is_preferred_genre",
    "is_cold_start_user",
    "user_prior_interactions",
    "user_prior_mean_watch_time_seconds",
    "video_age_days",
    "video_prior_interactions",
]
FEATURES = CATEGORICAL_FEATURES + NUMERIC_FEATURES
DATASET_TYPES = ("train", "validation", "test")
GLOBAL_MEAN_BASELINE = "global_mean"
GENRE_MEAN_BASELINE = "genre_mean"
METRICS = ("mae", "rmse", "r2")
# Column types of the scored interactions, so that an empty input still gives a typed (empty)
# table: ids stay 64-bit integers, text stays text.
SCORED_DTYPES = {
    "interaction_id": "int64",
    "dataset_type": "str",
    TARGET: "float64",
    "predicted_watch_time_seconds": "float64",
    f"{GLOBAL_MEAN_BASELINE}_prediction": "float64",
    f"{GENRE_MEAN_BASELINE}_prediction": "float64",
}
# A tree on ordinal codes takes at most this many categories per feature (scikit-learn's
# max_bins); rarer genres beyond it share one "infrequent" code.
MAX_CATEGORIES = 255


@dataclass(frozen=True)
class WatchTimeParams:
    """Model settings, read from the Python model's YAML config."""

    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    max_train_rows: int = 300_000
    max_iter: int = 300
    learning_rate: float = 0.2
    max_leaf_nodes: int = 31
    n_iter_no_change: int = 10
    seed: int = 42
    # OpenMP threads for the trees; the build runs other models beside this one, and
    # oversubscribed OpenMP threads spin (16k rows took 70 s on 2 busy cores, 2 s on one).
    n_threads: int = 1


@dataclass(frozen=True)
class TimeSplit:
    """First click times at which validation and test begin (a row at a cut goes to the later
    set); None when the set is empty because every click is earlier."""

    validation_start: pd.Timestamp | None
    test_start: pd.Timestamp | None

    def assign(self, clicked_at: pd.Series) -> pd.Series:
        never = pd.Series(False, index=clicked_at.index)
        is_test = never if self.test_start is None else clicked_at >= self.test_start
        is_validation = never if self.validation_start is None else clicked_at >= self.validation_start
        dataset_type = np.where(is_test, "test", np.where(is_validation, "validation", "train"))
        return pd.Series(dataset_type, index=clicked_at.index, name="dataset_type").astype("str")


def time_split(clicked_at: pd.Series, validation_fraction: float, test_fraction: float) -> TimeSplit:
    """Cut the time line so that about the last ``test_fraction`` of interactions are test and the
    ``validation_fraction`` before them validation. Rows sharing a timestamp stay together.

    Train is never empty: when the validation cut falls on the first instant (few rows, or most
    of them at one instant), it moves to the next instant; with a single instant every row is
    train. Validation or test can then be empty (their start is None or equals the next cut)."""
    if not (validation_fraction > 0 and test_fraction > 0 and validation_fraction + test_fraction < 1):
        raise ValueError("validation and test fractions must be positive and leave rows to train on")
    ordered = np.sort(clicked_at.to_numpy())
    if len(ordered) == 0:
        raise ValueError("no interactions to split")
    n = len(ordered)
    validation_start = ordered[int(np.floor(n * (1 - validation_fraction - test_fraction)))]
    test_start = ordered[int(np.floor(n * (1 - test_fraction)))]
    if validation_start == ordered[0]:
        later = ordered[ordered > ordered[0]]
        if len(later) == 0:
            return TimeSplit(None, None)
        validation_start = later[0]
        test_start = max(test_start, validation_start)
    return TimeSplit(pd.Timestamp(validation_start), pd.Timestamp(test_start))


def feature_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs: categories as text, flags and counts as floats (missing stays NaN)."""
    frame = pd.DataFrame(index=features.index)
    for column in CATEGORICAL_FEATURES:
        frame[column] = features[column].astype("object").where(features[column].notna(), "<missing>").astype(str)
    for column in NUMERIC_FEATURES:
        frame[column] = pd.to_numeric(features[column].astype("float64"), errors="coerce")
    return frame


def build_encoder() -> ColumnTransformer:
    """Categories ordinal-encoded (unseen or missing ones become NaN, which the trees route
    as missing), numbers passed through; categorical columns come first."""
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=MAX_CATEGORIES,
    )
    return ColumnTransformer(
        [("categories", encoder, CATEGORICAL_FEATURES), ("numbers", "passthrough", NUMERIC_FEATURES)],
        verbose_feature_names_out=False,
    )


def build_regressor(params: WatchTimeParams, early_stopping: bool = True) -> HistGradientBoostingRegressor:
    """A seeded gradient-boosted tree on log1p(seconds); boosting stops when the loss on the
    validation split has not improved for ``n_iter_no_change`` rounds (without a validation
    split it runs all ``max_iter`` rounds)."""
    return HistGradientBoostingRegressor(
        loss="squared_error",
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_leaf_nodes=params.max_leaf_nodes,
        categorical_features=list(range(len(CATEGORICAL_FEATURES))),
        early_stopping=early_stopping,
        scoring="loss",
        n_iter_no_change=params.n_iter_no_change,
        random_state=params.seed,
    )


def training_sample(train: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` training rows, drawn with a seed (all of them when there are fewer)."""
    if len(train) <= max_rows:
        return train
    return train.sample(n=max_rows, random_state=seed)


@dataclass
class FittedWatchTimeModel:
    """The encoder, the regressor on log1p(seconds), and Duan's smearing factor that turns the
    back-transformed prediction into an estimate of the mean rather than the median."""

    encoder: ColumnTransformer
    regressor: HistGradientBoostingRegressor
    smearing_factor: float

    def predict_log1p(self, features: pd.DataFrame) -> np.ndarray:
        return self.regressor.predict(self.encoder.transform(feature_matrix(features)))

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        # Duan: log1p(y) = f(x) + e, so E[y | x] = exp(f(x)) * E[exp(e)] - 1.
        return np.clip(np.exp(self.predict_log1p(features)) * self.smearing_factor - 1.0, 0.0, None)


def fit_watch_time_model(
    train: pd.DataFrame, validation: pd.DataFrame, params: WatchTimeParams
) -> FittedWatchTimeModel:
    """Fit on log1p(watch time), which tames the skewed target; the validation split (later in
    time than every training row) decides when boosting stops. The smearing factor comes from
    the training rows only."""
    if train.empty:
        raise ValueError("no training rows")
    sample = training_sample(train, params.max_train_rows, params.seed)
    encoder = build_encoder().fit(feature_matrix(sample))
    x_train = encoder.transform(feature_matrix(sample))
    y_train = np.log1p(sample[TARGET].to_numpy(dtype="float64"))
    with threadpool_limits(limits=params.n_threads):
        if validation.empty:
            regressor = build_regressor(params, early_stopping=False).fit(x_train, y_train)
        else:
            x_validation = encoder.transform(feature_matrix(validation))
            y_validation = np.log1p(validation[TARGET].to_numpy(dtype="float64"))
            regressor = build_regressor(params).fit(x_train, y_train, X_val=x_validation, y_val=y_validation)
        residuals = y_train - regressor.predict(x_train)
    return FittedWatchTimeModel(encoder, regressor, float(np.mean(np.exp(residuals))))


def baseline_predictions(train: pd.DataFrame, features: pd.DataFrame) -> dict[str, np.ndarray]:
    """The two baselines, fitted on the train split: its mean watch time, and its mean per video
    genre (a genre not seen in training falls back to the global mean)."""
    target = train[TARGET].astype("float64")
    global_mean = float(target.mean())
    genre_means = target.groupby(train["video_genre"]).mean()
    per_genre = features["video_genre"].map(genre_means).astype("float64").fillna(global_mean).to_numpy()
    return {
        GLOBAL_MEAN_BASELINE: np.full(len(features), global_mean),
        GENRE_MEAN_BASELINE: per_genre,
    }


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Mean absolute error, root mean squared error and R² (1 - SSE / SST around the actual mean)."""
    actual = np.asarray(actual, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    if len(actual) == 0:
        raise ValueError("no rows to evaluate")
    errors = actual - predicted
    total = float(np.sum((actual - actual.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(errors))),
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "r2": 1.0 - float(np.sum(errors**2)) / total if total > 0 else float("nan"),
    }


def score_interactions(features: pd.DataFrame, params: WatchTimeParams) -> pd.DataFrame:
    """Split, fit on train, and score every interaction with the model and both baselines.

    Returns one row per interaction: interaction_id, dataset_type, watch_time_seconds (actual),
    predicted_watch_time_seconds and one column per baseline (``<baseline>_prediction``), typed
    as SCORED_DTYPES (an empty frame when there are no interactions).
    """
    if features["interaction_id"].duplicated().any():
        raise ValueError("features must have one row per interaction_id")
    if features.empty:
        return empty_frame(SCORED_DTYPES)
    clicked_at = pd.to_datetime(features[TIME_COLUMN])
    split = time_split(clicked_at, params.validation_fraction, params.test_fraction)
    dataset_type = split.assign(clicked_at)
    train = features[dataset_type == "train"]
    model = fit_watch_time_model(train, features[dataset_type == "validation"], params)
    with threadpool_limits(limits=params.n_threads):
        predictions = model.predict(features)
    scored = pd.DataFrame(
        {
            "interaction_id": features["interaction_id"].astype("int64").to_numpy(),
            "dataset_type": dataset_type.to_numpy(),
            TARGET: features[TARGET].astype("float64").to_numpy(),
            "predicted_watch_time_seconds": predictions,
        }
    )
    for name, values in baseline_predictions(train, features).items():
        scored[f"{name}_prediction"] = values
    return scored.astype(SCORED_DTYPES)


def empty_frame(dtypes: dict[str, str]) -> pd.DataFrame:
    """No rows, but every column with its type."""
    return pd.DataFrame({column: pd.Series([], dtype=dtype) for column, dtype in dtypes.items()})


def metrics_frame(scored: pd.DataFrame) -> pd.DataFrame:
    """Long metrics in the shape of the shared ml_model_metrics mart, one row per model, split
    and metric: the model read against the stronger baseline (genre_mean), the genre mean read
    against the global mean, and the model's row count per split (no baseline). A split without
    rows has no rows here, and neither has R² where it is undefined (every actual value of the
    split equal); typed as ml_metrics.METRIC_DTYPES, also when empty."""
    comparisons = [
        (MODEL_NAME, "predicted_watch_time_seconds", GENRE_MEAN_BASELINE),
        (GENRE_MEAN_MODEL_NAME, f"{GENRE_MEAN_BASELINE}_prediction", GLOBAL_MEAN_BASELINE),
    ]
    rows = []
    for dataset_type in DATASET_TYPES:
        part = scored[scored["dataset_type"] == dataset_type]
        if part.empty:
            continue
        actual = part[TARGET].to_numpy(dtype="float64")
        for model_name, column, baseline in comparisons:
            model_metrics = regression_metrics(actual, part[column].to_numpy())
            baseline_metrics = regression_metrics(actual, part[f"{baseline}_prediction"].to_numpy())
            for metric in METRICS:
                rows.append(
                    metric_row(
                        model_name, dataset_type, metric, model_metrics[metric], baseline, baseline_metrics[metric]
                    )
                )
        rows.append(metric_row(MODEL_NAME, dataset_type, "rows", len(part)))
    return metric_frame(rows)
