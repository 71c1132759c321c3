"""Logistic regression of verified_status on a video's duration, label, author ban status and
engagement, with the collinearity of the raw counts removed before fitting.

The five counts are near-copies of each other (log-scale correlations 0.86-0.95, VIF up to 24 on
the real data): likes scale with views, shares with likes and so on. The design keeps one size
measure, log(1 + views), and replaces the other counts by per-view rates (likes, shares,
downloads and comments per view), which carry the engagement mix without the shared scale
(VIF at most about 3). Every column is standardised and the fit has a mild L2 penalty, so each
coefficient is the change in log-odds per standard deviation of its feature."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from engagement_analytics.domains.ml_metrics import CHANCE_ROC_AUC, has_both_classes, metric_frame, metric_row
from engagement_analytics.domains.moderation.claims_classifier import LOGISTIC_MAX_ITERATIONS
from engagement_analytics.domains.moderation.features import (
    ban_indicators,
    engagement_rates,
    log_counts,
    variance_inflation_factors,
)
from engagement_analytics.domains.moderation.splits import seeded_split

MODEL_NAME = "verified_status_logistic"
COEFFICIENT_DTYPES = {
    "feature": "str",
    "coefficient": "float64",
    "odds_ratio": "float64",
    "variance_inflation_factor": "float64",
}


@dataclass
class VerifiedStatusResult:
    coefficients: pd.DataFrame
    metrics: pd.DataFrame


def verified_status_design(frame: pd.DataFrame) -> pd.DataFrame:
    """The regression's features: duration, is_claim, ban indicators, log views and per-view rates."""
    return pd.concat(
        [
            frame[["video_duration_seconds"]].astype("float64"),
            frame["is_claim"].astype("float64").rename("is_claim"),
            ban_indicators(frame),
            log_counts(frame, ["view_count"]),
            engagement_rates(frame),
        ],
        axis=1,
    )


def split_verified(labels: pd.Series, seed: int, test_share: float) -> np.ndarray:
    """'train' or 'test' per row: a seeded split stratified on the label, so both keep the true mix
    (unstratified when a class is too rare to stratify; all train under two rows: seeded_split)."""
    positions = np.arange(len(labels))
    _, test_positions = seeded_split(positions, test_share, seed, labels.to_numpy())
    dataset_type = np.full(len(labels), "train", dtype=object)
    dataset_type[test_positions] = "test"
    return dataset_type


def f1_threshold(y: np.ndarray, probability: np.ndarray) -> float:
    """The probability cut-off with the best F1 for the positive class (ties: the higher cut-off)."""
    precision, recall, thresholds = precision_recall_curve(y, probability)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-300), 0.0)[:-1]
    best = np.flatnonzero(f1 == f1.max()).max()
    return float(thresholds[best])


def _split_counts(y: np.ndarray, dataset_type: str) -> list[dict]:
    """What is known of a split without a model: its rows and its share of verified authors."""
    rows = [metric_row(MODEL_NAME, dataset_type, "rows", len(y))]
    if len(y):
        rows.append(metric_row(MODEL_NAME, dataset_type, "positive_share", y.mean()))
    return rows


def _evaluate(
    y: np.ndarray, probability: np.ndarray, prevalence: float, dataset_type: str, threshold: float
) -> list[dict]:
    """The split's metrics beside their baselines; ROC AUC and average precision only where the
    split holds both classes (they are undefined otherwise), nothing but the counts on no rows."""
    if len(y) == 0:
        return _split_counts(y, dataset_type)
    predicted = probability >= threshold
    constant = np.full(len(y), prevalence)
    everyone = np.ones(len(y), dtype=bool)
    ranking = (
        [
            metric_row(MODEL_NAME, dataset_type, "roc_auc", roc_auc_score(y, probability), "chance", CHANCE_ROC_AUC),
            metric_row(
                MODEL_NAME,
                dataset_type,
                "average_precision",
                average_precision_score(y, probability),
                "class_prior",
                y.mean(),
            ),
        ]
        if has_both_classes(y)
        else []
    )
    return [
        *ranking,
        metric_row(
            MODEL_NAME,
            dataset_type,
            "log_loss",
            log_loss(y, probability, labels=[0, 1]),
            "class_prior",
            log_loss(y, constant, labels=[0, 1]),
        ),
        metric_row(
            MODEL_NAME,
            dataset_type,
            "brier_score",
            brier_score_loss(y, probability),
            "class_prior",
            brier_score_loss(y, constant),
        ),
        metric_row(
            MODEL_NAME,
            dataset_type,
            "precision",
            precision_score(y, predicted, zero_division=0),
            "all_verified",
            precision_score(y, everyone, zero_division=0),
        ),
        metric_row(
            MODEL_NAME,
            dataset_type,
            "recall",
            recall_score(y, predicted, zero_division=0),
            "all_verified",
            recall_score(y, everyone, zero_division=0),
        ),
        metric_row(
            MODEL_NAME,
            dataset_type,
            "f1",
            f1_score(y, predicted, zero_division=0),
            "all_verified",
            f1_score(y, everyone, zero_division=0),
        ),
        metric_row(MODEL_NAME, dataset_type, "decision_threshold", threshold),
        *_split_counts(y, dataset_type),
    ]


def fit_verified_status_model(
    frame: pd.DataFrame, seed: int, test_share: float = 0.2, l2_c: float = 1.0
) -> VerifiedStatusResult:
    """Fit on a stratified train split, evaluate on the untouched test split (true class mix).

    ``frame`` has the columns of stg_moderation__claims_videos. The fit is unweighted, so the
    probabilities estimate the real share of verified authors (about 6%) and rarely reach 0.5;
    precision, recall and F1 are therefore taken at the cut-off with the best F1 on the training
    rows (f1_threshold), and compared with flagging every author as verified.

    On any input: when the training rows do not hold both verified and not verified authors (no
    rows, a tiny file, one class only) nothing is fitted: no coefficients, and the metrics keep
    only each split's rows and verified share, with ``is_fitted`` 0 (1 when fitted)."""
    design = verified_status_design(frame)
    y = frame["is_verified"].astype(int).to_numpy()
    dataset_type = split_verified(frame["is_verified"], seed, test_share)
    train = dataset_type == "train"
    if not has_both_classes(y[train]):
        rows = [row for name in ("train", "test") for row in _split_counts(y[dataset_type == name], name)]
        rows.append(metric_row(MODEL_NAME, "train", "is_fitted", 0))
        return VerifiedStatusResult(
            pd.DataFrame(columns=list(COEFFICIENT_DTYPES)).astype(COEFFICIENT_DTYPES), metric_frame(rows)
        )
    pipeline = make_pipeline(
        StandardScaler(), LogisticRegression(C=l2_c, max_iter=LOGISTIC_MAX_ITERATIONS, random_state=seed)
    )
    pipeline.fit(design[train], y[train])
    logistic = pipeline[-1]
    vif = variance_inflation_factors(design[train])
    coefficients = pd.DataFrame(
        {
            "feature": ["intercept", *design.columns],
            "coefficient": [float(logistic.intercept_[0]), *map(float, logistic.coef_[0])],
            "variance_inflation_factor": [np.nan, *vif.to_numpy()],
        }
    )
    coefficients["odds_ratio"] = np.exp(coefficients["coefficient"])
    prevalence = float(y[train].mean())
    probability = pipeline.predict_proba(design)[:, 1]
    threshold = f1_threshold(y[train], probability[train])
    rows: list[dict] = []
    for name in ("train", "test"):
        mask = dataset_type == name
        rows += _evaluate(y[mask], probability[mask], prevalence, name, threshold)
    raw_vif = variance_inflation_factors(log_counts(frame[train]))
    if vif.notna().any() and raw_vif.notna().any():
        rows.append(
            metric_row(MODEL_NAME, "train", "max_variance_inflation_factor", vif.max(), "raw_log_counts", raw_vif.max())
        )
    rows.append(metric_row(MODEL_NAME, "train", "is_fitted", 1))
    return VerifiedStatusResult(coefficients[list(COEFFICIENT_DTYPES)].astype(COEFFICIENT_DTYPES), metric_frame(rows))
