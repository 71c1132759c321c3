"""Claims classifier: three logistic-regression candidates (engagement features, TF-IDF of the
transcription, both) on a stratified seeded train/validation/test split, picked on validation,
reported on test, with probabilities calibrated by cross-validated Platt scaling on train.

On any input. A candidate is fitted only when the training rows hold at least
CALIBRATION_FOLDS claims and as many opinions (the calibration folds need both classes) and its
features can be built (the text candidates need words that occur in two transcriptions); when
no candidate can be fitted, every video gets the fallback CLASS_PRIOR_MODEL (the training claim
share as its probability), named as such. Metrics that a split cannot define (ROC AUC on one
class, anything on no rows) are left out; ``is_fitted`` says which candidates were fitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from engagement_analytics.domains.ml_metrics import CHANCE_ROC_AUC, has_both_classes, metric_frame, metric_row
from engagement_analytics.domains.moderation.features import ban_indicators, engagement_rates, log_counts
from engagement_analytics.domains.moderation.splits import seeded_split

CANDIDATES = ["engagement", "text", "both"]  # also the tie-break order: simpler first
CALIBRATION_FOLDS = 3  # Platt scaling has two parameters; three folds keep a fit under 10 s of CPU at SF1
MODEL_PREFIX = "claims_classifier_"
# Text features: TF-IDF of words and word pairs seen in at least two transcriptions.
TFIDF_NGRAM_RANGE = (1, 2)
TFIDF_MIN_DOCUMENTS = 2
# Iterations the logistic regression may take to converge (standardised features need few).
LOGISTIC_MAX_ITERATIONS = 2000
# Fallback when no candidate can be fitted: every video gets the training claim share.
CLASS_PRIOR_MODEL = MODEL_PREFIX + "class_prior"
# The majority-class baseline predicts a claim for every video when claims are at least this share of train.
MAJORITY_SHARE = 0.5
PREDICTION_DTYPES = {
    "video_id": "int64",
    "dataset_type": "str",
    "claim_status": "str",
    **{f"probability_{candidate}": "float64" for candidate in CANDIDATES},
    "model_name": "str",
    "claim_probability": "float64",
    "predicted_claim_status": "str",
}
IMPORTANCE_DTYPES = {
    "model_name": "str",
    "feature": "str",
    "importance": "float64",
    "direction": "str",
    "importance_rank": "int64",
}


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Engagement features (duration, log counts, per-view rates, verified, ban status) and the text."""
    inputs = pd.concat(
        [
            frame[["video_duration_seconds"]].astype("float64"),
            log_counts(frame),
            engagement_rates(frame),
            frame["is_verified"].astype("float64").rename("is_verified"),
            ban_indicators(frame),
        ],
        axis=1,
    )
    inputs["transcription_text"] = frame["transcription_text"].fillna("").astype(str)
    return inputs


def engagement_feature_names(inputs: pd.DataFrame) -> list[str]:
    return [column for column in inputs.columns if column != "transcription_text"]


def split_dataset(labels: pd.Series, seed: int, validation_share: float, test_share: float) -> np.ndarray:
    """'train', 'validation' or 'test' per row, stratified on the label and seeded (unstratified
    when a class is too rare to stratify; tiny inputs keep their rows in train: seeded_split)."""
    positions = np.arange(len(labels))
    y = labels.to_numpy()
    rest, test = seeded_split(positions, test_share, seed, y)
    train, validation = seeded_split(rest, validation_share / (1 - test_share), seed, y[rest])
    dataset_type = np.empty(len(labels), dtype=object)
    dataset_type[train], dataset_type[validation], dataset_type[test] = "train", "validation", "test"
    return dataset_type


def candidate_pipeline(candidate: str, numeric_columns: list[str], seed: int, l2_c: float = 1.0) -> Pipeline:
    """Standardised engagement features and/or TF-IDF (words and word pairs) into a logistic regression."""
    parts = []
    if candidate in ("engagement", "both"):
        parts.append(("engagement", StandardScaler(), numeric_columns))
    if candidate in ("text", "both"):
        parts.append(
            (
                "text",
                TfidfVectorizer(ngram_range=TFIDF_NGRAM_RANGE, min_df=TFIDF_MIN_DOCUMENTS, sublinear_tf=True),
                "transcription_text",
            )
        )
    if not parts:
        raise ValueError(f"unknown candidate {candidate!r}; expected one of {CANDIDATES}")
    return Pipeline(
        [
            ("features", ColumnTransformer(parts)),
            ("logistic", LogisticRegression(C=l2_c, max_iter=LOGISTIC_MAX_ITERATIONS, random_state=seed)),
        ]
    )


def calibrated(pipeline: Pipeline, seed: int) -> CalibratedClassifierCV:
    """Platt scaling fitted on out-of-fold scores from CALIBRATION_FOLDS seeded stratified folds of
    the training rows, on top of one model fitted on all of them (ensemble=False)."""
    return CalibratedClassifierCV(
        pipeline,
        method="sigmoid",
        ensemble=False,
        cv=StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed),
    )


def expected_calibration_error(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """Share-weighted mean |observed claim share - mean probability| over equal-width probability bins."""
    index = np.minimum((probability * bins).astype(int), bins - 1)
    error = 0.0
    for b in np.unique(index):
        in_bin = index == b
        error += in_bin.mean() * abs(y[in_bin].mean() - probability[in_bin].mean())
    return float(error)


def classification_metrics(
    model_name: str, dataset_type: str, y: np.ndarray, probability: np.ndarray, threshold: float, train_prior: float
) -> list[dict]:
    """Precision, recall and F1 for claims, accuracy, ROC AUC, log loss, Brier score and calibration
    error, each beside its baseline: the training majority class (or the training claim share).
    A split with no rows has only its ``rows``; ROC AUC needs both classes in the split."""
    if len(y) == 0:
        return [metric_row(model_name, dataset_type, "rows", 0)]
    predicted = (probability >= threshold).astype(int)
    majority = np.full(len(y), int(train_prior >= MAJORITY_SHARE))
    prior = np.full(len(y), train_prior)
    return [
        metric_row(
            model_name,
            dataset_type,
            "precision",
            precision_score(y, predicted, zero_division=0),
            "majority_class",
            precision_score(y, majority, zero_division=0),
        ),
        metric_row(
            model_name,
            dataset_type,
            "recall",
            recall_score(y, predicted, zero_division=0),
            "majority_class",
            recall_score(y, majority, zero_division=0),
        ),
        metric_row(
            model_name,
            dataset_type,
            "f1",
            f1_score(y, predicted, zero_division=0),
            "majority_class",
            f1_score(y, majority, zero_division=0),
        ),
        metric_row(
            model_name,
            dataset_type,
            "accuracy",
            accuracy_score(y, predicted),
            "majority_class",
            accuracy_score(y, majority),
        ),
        *(
            [metric_row(model_name, dataset_type, "roc_auc", roc_auc_score(y, probability), "chance", CHANCE_ROC_AUC)]
            if has_both_classes(y)
            else []
        ),
        metric_row(
            model_name,
            dataset_type,
            "log_loss",
            log_loss(y, probability, labels=[0, 1]),
            "class_prior",
            log_loss(y, prior, labels=[0, 1]),
        ),
        metric_row(
            model_name,
            dataset_type,
            "brier_score",
            brier_score_loss(y, probability),
            "class_prior",
            brier_score_loss(y, prior),
        ),
        metric_row(
            model_name,
            dataset_type,
            "expected_calibration_error",
            expected_calibration_error(y, probability),
            "class_prior",
            expected_calibration_error(y, prior),
        ),
        metric_row(model_name, dataset_type, "rows", len(y)),
    ]


def coefficient_importance(pipeline: Pipeline, train_inputs: pd.DataFrame, model_name: str, top_n: int) -> pd.DataFrame:
    """|coefficient| x standard deviation of the transformed feature on train (the effect of a
    one-SD change in log-odds), top_n per model; direction says which class the feature pushes to."""
    transformed = pipeline.named_steps["features"].transform(train_inputs)
    if hasattr(transformed, "toarray"):
        squared_mean = np.asarray(transformed.multiply(transformed).mean(axis=0)).ravel()
        mean = np.asarray(transformed.mean(axis=0)).ravel()
    else:
        squared_mean = (np.asarray(transformed) ** 2).mean(axis=0)
        mean = np.asarray(transformed).mean(axis=0)
    spread = np.sqrt(np.maximum(squared_mean - mean**2, 0.0))
    coefficient = pipeline.named_steps["logistic"].coef_[0]
    names = [name.split("__", 1)[1] for name in pipeline.named_steps["features"].get_feature_names_out()]
    frame = pd.DataFrame(
        {
            "model_name": model_name,
            "feature": names,
            "importance": np.abs(coefficient) * spread,
            "direction": np.where(coefficient >= 0, "claim", "opinion"),
        }
    )
    frame = frame.sort_values(["importance", "feature"], ascending=[False, True]).head(top_n)
    frame["importance_rank"] = np.arange(1, len(frame) + 1)
    return frame.reset_index(drop=True)


def select_candidate(validation_metrics: pd.DataFrame) -> str:
    """The candidate with the best validation F1; ties: lower validation log loss, then the simpler
    candidate (CANDIDATES order). A candidate without a validation F1 (no validation rows) ranks
    after those with one."""
    scores = validation_metrics.pivot(index="model_name", columns="metric", values="value")
    scores = scores.reindex(columns=sorted({*scores.columns, "f1", "log_loss"}))
    order = {MODEL_PREFIX + candidate: position for position, candidate in enumerate(CANDIDATES)}
    ranking = sorted(
        scores.index,
        key=lambda name: (
            -np.nan_to_num(scores.loc[name, "f1"], nan=-np.inf),
            np.nan_to_num(scores.loc[name, "log_loss"], nan=np.inf),
            order[name],
        ),
    )
    return ranking[0]


def fitted_candidates(predictions: pd.DataFrame) -> list[str]:
    """The candidates that scored the videos (their probability column is not empty)."""
    return [candidate for candidate in CANDIDATES if predictions[f"probability_{candidate}"].notna().any()]


def candidate_metrics(predictions: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Validation metrics of every fitted candidate (from its probability_<candidate> column)."""
    y = (predictions["claim_status"] == "claim").astype(int).to_numpy()
    train = (predictions["dataset_type"] == "train").to_numpy()
    validation = (predictions["dataset_type"] == "validation").to_numpy()
    prior = float(y[train].mean()) if train.any() else np.nan
    rows = []
    for candidate in fitted_candidates(predictions):
        probability = predictions[f"probability_{candidate}"].to_numpy()
        rows += classification_metrics(
            MODEL_PREFIX + candidate, "validation", y[validation], probability[validation], threshold, prior
        )
    return metric_frame(rows)


def classifier_metrics(predictions: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """ml_model_metrics rows from the predictions of run_claims_classifier: is_fitted and
    is_selected for every candidate, validation metrics of every fitted candidate, and train and
    test metrics of the model that scored the videos (the candidate picked, or the class-prior
    fallback). No videos: only is_fitted and is_selected, all 0."""
    fitted = fitted_candidates(predictions)
    selected = str(predictions["model_name"].iloc[0]) if len(predictions) else None
    rows = [
        metric_row(MODEL_PREFIX + candidate, "validation", flag, float(is_true))
        for candidate in CANDIDATES
        for flag, is_true in (("is_fitted", candidate in fitted), ("is_selected", MODEL_PREFIX + candidate == selected))
    ]
    if selected is None:
        return metric_frame(rows)
    y = (predictions["claim_status"] == "claim").astype(int).to_numpy()
    prior = float(y[(predictions["dataset_type"] == "train").to_numpy()].mean())
    probability = predictions["claim_probability"].to_numpy()
    for split in ("train", "test"):
        mask = (predictions["dataset_type"] == split).to_numpy()
        rows += classification_metrics(selected, split, y[mask], probability[mask], threshold, prior)
    return metric_frame([*candidate_metrics(predictions, threshold).to_dict("records"), *rows])


def can_fit(y: np.ndarray) -> bool:
    """Whether training labels allow a calibrated candidate: CALIBRATION_FOLDS of each class."""
    y = np.asarray(y)
    return min(int(y.sum()), int(len(y) - y.sum())) >= CALIBRATION_FOLDS


def fit_candidate(
    candidate: str, inputs: pd.DataFrame, y: np.ndarray, seed: int, l2_c: float
) -> CalibratedClassifierCV | None:
    """One candidate fitted on the given (training) rows and calibrated out of fold; None when it
    cannot be fitted on them (can_fit fails, or scikit-learn refuses the features, e.g. no word
    occurs in two transcriptions of a calibration fold)."""
    if not can_fit(y):
        return None
    numeric = engagement_feature_names(inputs)
    try:
        return calibrated(candidate_pipeline(candidate, numeric, seed, l2_c), seed).fit(inputs, y)
    except ValueError:
        return None


def run_claims_classifier(
    frame: pd.DataFrame,
    seed: int,
    validation_share: float = 0.2,
    test_share: float = 0.2,
    threshold: float = 0.5,
    l2_c: float = 1.0,
) -> pd.DataFrame:
    """Fit the three calibrated candidates on train, score every video with each, pick the best on
    validation (select_candidate) and return one row per video: its split, true label, each
    candidate's probability, and the picked candidate's probability and predicted label.
    ``frame`` has the columns of stg_moderation__claims_videos (labelled rows only). A candidate
    that cannot be fitted has null probabilities; with none fitted, CLASS_PRIOR_MODEL scores every
    video. No rows: an empty, typed frame."""
    frame = frame.reset_index(drop=True)
    inputs = model_inputs(frame)
    y = frame["is_claim"].astype(int).to_numpy()
    dataset_type = split_dataset(frame["is_claim"], seed, validation_share, test_share)
    train = dataset_type == "train"
    predictions = pd.DataFrame(
        {
            "video_id": frame["video_id"].astype("int64"),
            "dataset_type": dataset_type.astype(str),
            "claim_status": frame["claim_status"].astype(str),
        }
    )
    for candidate in CANDIDATES:
        model = fit_candidate(candidate, inputs[train], y[train], seed, l2_c)
        predictions[f"probability_{candidate}"] = np.nan if model is None else model.predict_proba(inputs)[:, 1]
    if fitted_candidates(predictions):
        selected = select_candidate(candidate_metrics(predictions, threshold))
        predictions["claim_probability"] = predictions[f"probability_{selected.removeprefix(MODEL_PREFIX)}"]
    else:
        selected = CLASS_PRIOR_MODEL
        predictions["claim_probability"] = float(y[train].mean()) if train.any() else np.nan
    predictions["model_name"] = selected
    predictions["predicted_claim_status"] = np.where(predictions["claim_probability"] >= threshold, "claim", "opinion")
    return predictions[list(PREDICTION_DTYPES)].astype(PREDICTION_DTYPES)


def candidate_importance(
    frame: pd.DataFrame,
    seed: int,
    validation_share: float = 0.2,
    test_share: float = 0.2,
    top_n: int = 25,
    l2_c: float = 1.0,
) -> pd.DataFrame:
    """Top-n features of each candidate's logistic regression fitted on the same train split
    (the model the calibration wraps), by coefficient_importance. Only candidates that can be
    fitted there (the rule of fit_candidate) have rows; none: an empty, typed frame."""
    frame = frame.reset_index(drop=True)
    inputs = model_inputs(frame)
    numeric = engagement_feature_names(inputs)
    y = frame["is_claim"].astype(int).to_numpy()
    train = split_dataset(frame["is_claim"], seed, validation_share, test_share) == "train"
    parts = [pd.DataFrame(columns=list(IMPORTANCE_DTYPES)).astype(IMPORTANCE_DTYPES)]
    if can_fit(y[train]):
        for candidate in CANDIDATES:
            try:
                pipeline = candidate_pipeline(candidate, numeric, seed, l2_c).fit(inputs[train], y[train])
            except ValueError:  # the features cannot be built on these rows (see fit_candidate)
                continue
            parts.append(coefficient_importance(pipeline, inputs[train], MODEL_PREFIX + candidate, top_n))
    return pd.concat(parts, ignore_index=True).astype(IMPORTANCE_DTYPES)
