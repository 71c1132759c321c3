"""The moderation helpers (engagement_analytics/domains/moderation) on hand-made frames and on a synthetic
claims file written by the generator in the published layout, checked against scipy/sklearn or
hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import f1_score, precision_score, recall_score

from engagement_analytics.domains.ml_metrics import METRIC_COLUMNS, metric_frame, metric_row
from engagement_analytics.domains.moderation import claims_classifier as cc
from engagement_analytics.domains.moderation.features import (
    engagement_rates,
    transcription_opener,
    variance_inflation_factors,
)
from engagement_analytics.domains.moderation.group_comparison import compare_groups, mann_whitney_u_test, welch_t_test
from engagement_analytics.domains.moderation.leakage import best_category_rule, best_threshold_rule, leakage_audit
from engagement_analytics.domains.moderation.verified_status import (
    f1_threshold,
    fit_verified_status_model,
    verified_status_design,
)
from engagement_analytics.tooling.generator.claims import write_claims
from engagement_analytics.tooling.generator.common import rng_for

COUNTS = ["view_count", "like_count", "share_count", "download_count", "comment_count"]


def staged_like(raw: pd.DataFrame) -> pd.DataFrame:
    """The labelled rows of a claims file with the staged column names (as stg_moderation__claims_videos)."""
    raw = raw.rename(
        columns={
            "#": "id",
            "video_duration_sec": "video_duration_seconds",
            "video_transcription_text": "transcription_text",
            **{f"video_{c}": c for c in COUNTS},
        }
    )
    labelled = raw.dropna(subset=["claim_status", *COUNTS]).copy()
    labelled["is_claim"] = labelled["claim_status"] == "claim"
    labelled["is_verified"] = labelled["verified_status"] == "verified"
    for column in COUNTS:
        labelled[column] = labelled[column].astype("int64")
    return labelled.reset_index(drop=True)


@pytest.fixture(scope="module")
def synthetic_claims(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict]:
    """A generated claims file (SF0.2: about 3,900 rows) read like staging reads it."""
    path = Path(tmp_path_factory.mktemp("claims")) / "claims_videos.csv"
    truth = write_claims(rng_for(11, "claims"), 0.2, path)
    return staged_like(pd.read_csv(path)), truth


# --- Welch and Mann-Whitney -----------------------------------------------------------------


def test_welch_matches_scipy_including_interval():
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(3, 1, 40), rng.lognormal(3.4, 0.5, 300)
    ours = welch_t_test(a, b)
    reference = stats.ttest_ind(a, b, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert ours["statistic"] == pytest.approx(reference.statistic, rel=1e-12)
    assert ours["degrees_of_freedom"] == pytest.approx(reference.df, rel=1e-12)
    assert ours["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert (ours["ci_lower"], ours["ci_upper"]) == pytest.approx((interval.low, interval.high), rel=1e-9)


def test_hedges_g_by_hand():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 5.0, 7.0, 9.0, 1.0])
    pooled = np.sqrt((3 * np.var(a, ddof=1) + 4 * np.var(b, ddof=1)) / 7)
    expected = (a.mean() - b.mean()) / pooled * (1 - 3 / (4 * 9 - 9))
    assert welch_t_test(a, b)["effect_size"] == pytest.approx(expected, rel=1e-12)


def test_welch_needs_two_rows_per_group():
    with pytest.raises(ValueError, match="at least two observations per group"):
        welch_t_test(np.array([1.0]), np.array([1.0, 2.0]))


def test_mann_whitney_matches_scipy_and_rank_biserial():
    a, b = np.array([1.0, 5.0, 5.0, 9.0]), np.array([2.0, 3.0, 5.0, 6.0, 7.0, 8.0])
    ours = mann_whitney_u_test(a, b)
    reference = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    assert ours["statistic"] == reference.statistic
    assert ours["p_value"] == pytest.approx(reference.pvalue, rel=1e-12)
    wins = sum((x > y) + 0.5 * (x == y) for x in a for y in b)
    assert ours["effect_size"] == pytest.approx(2 * wins / (len(a) * len(b)) - 1)


def test_compare_groups_has_one_row_per_test():
    values = pd.Series([1.0, 2, 3, 10, 11, 12, 13])
    is_a = pd.Series([True, True, True, False, False, False, False])
    frame = compare_groups(values, is_a, "verified", "not verified")
    assert list(frame["test_name"]) == ["welch_t_test", "mann_whitney_u"]
    assert frame["n_a"].tolist() == [3, 3]
    assert frame["n_b"].tolist() == [4, 4]
    assert frame.loc[0, "mean_difference"] == pytest.approx(2 - 11.5)
    assert np.isnan(frame.loc[1, "degrees_of_freedom"])
    assert np.isnan(frame.loc[1, "ci_lower"])


# --- features and metrics layout ------------------------------------------------------------


def test_transcription_opener_handles_escapes_case_and_nulls():
    text = pd.Series(["My colleagues\\' position is that x", "  I think  that y", None, "single"])
    assert transcription_opener(text).tolist() == ["my colleagues\\'", "i think", "", "single"]
    assert transcription_opener(text, 3).tolist()[1] == "i think that"


def test_engagement_rates_treat_zero_views_as_one():
    frame = pd.DataFrame(
        {
            "view_count": [0, 10],
            "like_count": [2, 5],
            "share_count": [0, 1],
            "download_count": [0, 0],
            "comment_count": [1, 2],
        }
    )
    rates = engagement_rates(frame)
    assert rates["likes_per_view"].tolist() == [2.0, 0.5]
    assert list(rates.columns) == ["likes_per_view", "shares_per_view", "downloads_per_view", "comments_per_view"]


def test_vif_is_one_for_independent_columns_and_large_for_near_copies():
    rng = np.random.default_rng(0)
    x = rng.normal(size=5_000)
    independent = pd.DataFrame({"a": x, "b": rng.normal(size=5_000)})
    assert variance_inflation_factors(independent).to_numpy() == pytest.approx([1, 1], abs=0.01)
    copies = pd.DataFrame({"a": x, "b": x + rng.normal(scale=0.1, size=5_000)})
    assert variance_inflation_factors(copies).min() > 50


def test_metric_frame_keeps_the_shared_layout():
    frame = metric_frame([metric_row("m", "test", "f1", 1, "majority_class", 0.5), metric_row("m", "test", "rows", 3)])
    assert list(frame.columns) == METRIC_COLUMNS
    assert frame["baseline_value"].dtype == "float64"
    assert np.isnan(frame.loc[1, "baseline_value"])
    assert list(metric_frame([]).columns) == METRIC_COLUMNS


# --- leakage audit --------------------------------------------------------------------------


def test_best_threshold_rule_finds_the_cut_and_its_direction():
    values = pd.Series([1, 2, 3, 10, 11, 12])
    assert best_threshold_rule(values, pd.Series([0, 0, 0, 1, 1, 1])) == (1.0, 3.0, "claim")
    assert best_threshold_rule(values, pd.Series([1, 1, 1, 0, 0, 0])) == (1.0, 3.0, "opinion")
    accuracy, _, _ = best_threshold_rule(values, pd.Series([0, 1, 0, 1, 1, 1]))
    assert accuracy == pytest.approx(5 / 6)


def test_best_threshold_rule_on_a_constant_is_the_majority():
    accuracy, threshold, above = best_threshold_rule(pd.Series([5, 5, 5, 5]), pd.Series([1, 1, 1, 0]))
    assert (accuracy, above) == (0.75, "claim")
    assert np.isinf(threshold)


def test_best_category_rule_is_the_majority_per_value():
    categories = pd.Series(["a", "a", "a", "b", "b", None])
    assert best_category_rule(categories, pd.Series([1, 1, 0, 0, 0, 1])) == pytest.approx(5 / 6)


def test_leakage_audit_flags_the_opener_on_synthetic_claims(synthetic_claims):
    frame, truth = synthetic_claims
    audit = leakage_audit(frame).set_index("feature")
    # planted: every opinion has fewer than opinion_max_views views, and each opener belongs to one class
    assert audit.loc["view_count", "best_rule"].endswith("-> claim, else opinion")
    assert float(audit.loc["view_count", "best_rule"].split(" > ")[1].split(" ")[0]) < truth["opinion_max_views"]
    assert not set(truth["transcription_openers"]["claim"]) & set(truth["transcription_openers"]["opinion"])
    assert audit.loc["transcription_first_2_words", "accuracy"] == 1.0
    assert audit.loc["transcription_first_2_words", "is_leaky"]
    assert not audit.loc["video_duration_seconds", "is_leaky"]
    assert (audit["videos"] == len(frame)).all()
    assert set(audit.index) >= {*COUNTS, "video_duration_seconds"}


# --- verified-status regression -------------------------------------------------------------


def test_verified_design_has_no_raw_count_collinearity(synthetic_claims):
    frame, _ = synthetic_claims
    design = verified_status_design(frame)
    assert list(design.columns) == [
        "video_duration_seconds",
        "is_claim",
        "author_under_review",
        "author_banned",
        "log_view_count",
        "likes_per_view",
        "shares_per_view",
        "downloads_per_view",
        "comments_per_view",
    ]
    assert variance_inflation_factors(design).max() < 10


def test_f1_threshold_picks_the_best_cut():
    y = np.array([0, 0, 1, 1, 0, 1])
    probability = np.array([0.1, 0.2, 0.3, 0.8, 0.25, 0.9])
    threshold = f1_threshold(y, probability)
    assert f1_score(y, probability >= threshold) == 1.0


def test_verified_model_is_seeded_and_keeps_the_class_mix(synthetic_claims):
    frame, truth = synthetic_claims
    first, second = fit_verified_status_model(frame, seed=5), fit_verified_status_model(frame, seed=5)
    pd.testing.assert_frame_equal(first.coefficients, second.coefficients)
    coefficients = first.coefficients.set_index("feature")
    assert np.exp(coefficients["coefficient"]).to_numpy() == pytest.approx(coefficients["odds_ratio"].to_numpy())
    # planted: verified authors post opinions more often, so is_claim lowers the odds
    planted = truth["verified_probability"]
    assert planted["claim"] < planted["opinion"]
    assert coefficients.loc["is_claim", "coefficient"] < 0
    by_label = frame.groupby("claim_status")["is_verified"].mean()
    assert by_label.to_dict() == pytest.approx(planted, abs=0.02)
    metrics = first.metrics.set_index(["dataset_type", "metric"])["value"]
    assert metrics[("test", "positive_share")] == pytest.approx(frame["is_verified"].mean(), abs=0.01)
    assert metrics[("test", "rows")] == pytest.approx(0.2 * len(frame), abs=1)
    assert metrics[("test", "roc_auc")] > 0.5


# --- claims classifier ----------------------------------------------------------------------


def test_split_is_stratified_seeded_and_complete():
    labels = pd.Series([True] * 600 + [False] * 400)
    split = cc.split_dataset(labels, seed=1, validation_share=0.2, test_share=0.2)
    assert (split == cc.split_dataset(labels, seed=1, validation_share=0.2, test_share=0.2)).all()
    assert not (split == cc.split_dataset(labels, seed=2, validation_share=0.2, test_share=0.2)).all()
    counts = pd.crosstab(split, labels)
    assert counts.loc["test"].tolist() == [80, 120]
    assert counts.loc["validation"].tolist() == [80, 120]
    assert counts.loc["train"].tolist() == [240, 360]


def test_expected_calibration_error_by_hand():
    y = np.array([1, 0, 1, 1])
    probability = np.array([0.95, 0.05, 0.65, 0.65])
    # bins: 0.0-0.1 (one row, error 0.05), 0.6-0.7 (two rows, error 0.35), 0.9-1.0 (one row, error 0.05)
    assert cc.expected_calibration_error(y, probability) == pytest.approx(0.25 * 0.05 + 0.5 * 0.35 + 0.25 * 0.05)


def test_select_candidate_breaks_ties_by_log_loss_then_simplicity():
    def rows(name, f1, loss):
        return [metric_row(name, "validation", "f1", f1), metric_row(name, "validation", "log_loss", loss)]

    metrics = metric_frame(
        [
            *rows("claims_classifier_engagement", 0.9, 0.1),
            *rows("claims_classifier_text", 1.0, 0.2),
            *rows("claims_classifier_both", 1.0, 0.2),
        ]
    )
    assert cc.select_candidate(metrics) == "claims_classifier_text"
    metrics.loc[(metrics["model_name"] == "claims_classifier_both") & (metrics["metric"] == "log_loss"), "value"] = 0.1
    assert cc.select_candidate(metrics) == "claims_classifier_both"


def test_unknown_candidate_is_refused():
    with pytest.raises(ValueError, match="unknown candidate 'images'"):
        cc.candidate_pipeline("images", [], seed=0)


@pytest.fixture(scope="module")
def classified(synthetic_claims) -> pd.DataFrame:
    frame, _ = synthetic_claims
    return cc.run_claims_classifier(frame, seed=3)


def test_classifier_scores_every_labelled_video(synthetic_claims, classified):
    frame, truth = synthetic_claims
    assert len(frame) == truth["claims"] + truth["opinions"]
    assert sorted(classified["video_id"]) == sorted(frame["video_id"])
    assert classified["claim_probability"].between(0, 1).all()
    assert set(classified["dataset_type"]) == {"train", "validation", "test"}
    expected = np.where(classified["claim_probability"] >= 0.5, "claim", "opinion")
    assert (classified["predicted_claim_status"] == expected).all()


def test_classifier_is_deterministic_for_a_seed(synthetic_claims, classified):
    frame, _ = synthetic_claims
    pd.testing.assert_frame_equal(classified, cc.run_claims_classifier(frame, seed=3))


def test_classifier_metrics_agree_with_sklearn_on_the_test_rows(classified):
    metrics = cc.classifier_metrics(classified, threshold=0.5)
    selected = classified["model_name"].iloc[0]
    test = classified[classified["dataset_type"] == "test"]
    y, predicted = test["claim_status"] == "claim", test["predicted_claim_status"] == "claim"
    reported = metrics[(metrics["model_name"] == selected) & (metrics["dataset_type"] == "test")].set_index("metric")
    assert reported.loc["precision", "value"] == pytest.approx(precision_score(y, predicted))
    assert reported.loc["recall", "value"] == pytest.approx(recall_score(y, predicted))
    assert reported.loc["f1", "value"] == pytest.approx(f1_score(y, predicted))
    assert reported.loc["f1", "value"] >= 0.99  # the opener gives the label away in generated data too
    assert reported.loc["f1", "baseline_value"] < 0.7
    chosen = metrics[metrics["metric"] == "is_selected"].set_index("model_name")["value"]
    assert chosen.sum() == 1
    assert chosen[selected] == 1
    assert not metrics.duplicated(["model_name", "dataset_type", "metric"]).any()


def test_importance_is_top_n_per_candidate(synthetic_claims):
    frame, _ = synthetic_claims
    importance = cc.candidate_importance(frame, seed=3, top_n=5)
    assert importance.groupby("model_name").size().to_dict() == {
        "claims_classifier_both": 5,
        "claims_classifier_engagement": 5,
        "claims_classifier_text": 5,
    }
    assert (importance["importance"] >= 0).all()
    top_engagement = importance[importance["model_name"] == "claims_classifier_engagement"].iloc[0]
    assert top_engagement["feature"] == "log_view_count"
    assert top_engagement["direction"] == "claim"


# --- other people's files: no rows, a handful of rows, one class only ---------------------------

STAGED_DTYPES = {
    "claim_row_id": "int64",
    "video_id": "int64",
    "claim_status": "str",
    "is_claim": "bool",
    "video_duration_seconds": "float64",
    "transcription_text": "str",
    "verified_status": "str",
    "author_ban_status": "str",
    "is_verified": "bool",
    **dict.fromkeys(COUNTS, "int64"),
}


def staged_rows(claims: int, opinions: int) -> pd.DataFrame:
    """Hand-made rows of stg_moderation__claims_videos: claims first, ids above 2**53, varied counts."""
    n = claims + opinions
    position = np.arange(n)
    frame = pd.DataFrame(
        {
            "claim_row_id": position + 1,
            "video_id": 2**60 + position,
            "claim_status": ["claim"] * claims + ["opinion"] * opinions,
            "is_claim": position < claims,
            "video_duration_seconds": 5.0 + (position * 7) % 50,
            "transcription_text": [
                f"someone told me fact {i}" if i < claims else f"i think opinion {i}" for i in range(n)
            ],
            "verified_status": np.where(position % 3 == 0, "verified", "not verified"),
            "author_ban_status": "active",
            **{column: (position * (k + 3) * 37) % 1000 for k, column in enumerate(COUNTS)},
        }
    )
    frame["is_verified"] = frame["verified_status"] == "verified"
    return frame.astype(STAGED_DTYPES)


def duckdb_types(frame: pd.DataFrame) -> dict[str, str]:
    """The column types DuckDB gives a frame, as dbt-duckdb stores a Python model's result."""
    import duckdb

    return {name: kind for name, kind, *_ in duckdb.sql("describe select * from frame").fetchall()}


def every_model_output(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What each moderation Python model returns for these staged rows."""
    predictions = cc.run_claims_classifier(frame, seed=42)
    verified = fit_verified_status_model(frame, seed=42)
    return {
        "int_claims_view_counts_compared": compare_groups(
            frame["view_count"], frame["is_verified"], "verified", "not verified"
        ),
        "int_verified_status_coefficients_fitted": verified.coefficients,
        "verified_status_model_metrics": verified.metrics,
        "int_claims_videos_classified": predictions,
        "claims_classifier_metrics": cc.classifier_metrics(predictions, threshold=0.5),
        "int_claims_features_ranked": cc.candidate_importance(frame, seed=42),
        "int_claims_features_audited": leakage_audit(frame),
    }


EXPECTED_TYPES = {
    "int_claims_view_counts_compared": {
        "test_name": "VARCHAR",
        "group_a": "VARCHAR",
        "group_b": "VARCHAR",
        "n_a": "BIGINT",
        "n_b": "BIGINT",
        **dict.fromkeys(
            [
                "mean_a",
                "mean_b",
                "median_a",
                "median_b",
                "mean_difference",
                "statistic",
                "degrees_of_freedom",
                "p_value",
                "ci_lower",
                "ci_upper",
                "effect_size",
            ],
            "DOUBLE",
        ),
        "effect_size_measure": "VARCHAR",
        "skipped_reason": "VARCHAR",
    },
    "int_verified_status_coefficients_fitted": {
        "feature": "VARCHAR",
        "coefficient": "DOUBLE",
        "odds_ratio": "DOUBLE",
        "variance_inflation_factor": "DOUBLE",
    },
    "verified_status_model_metrics": dict(
        zip(METRIC_COLUMNS, ["VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE", "VARCHAR", "DOUBLE"], strict=True)
    ),
    "int_claims_videos_classified": {
        "video_id": "BIGINT",
        "dataset_type": "VARCHAR",
        "claim_status": "VARCHAR",
        "probability_engagement": "DOUBLE",
        "probability_text": "DOUBLE",
        "probability_both": "DOUBLE",
        "model_name": "VARCHAR",
        "claim_probability": "DOUBLE",
        "predicted_claim_status": "VARCHAR",
    },
    "claims_classifier_metrics": dict(
        zip(METRIC_COLUMNS, ["VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE", "VARCHAR", "DOUBLE"], strict=True)
    ),
    "int_claims_features_ranked": {
        "model_name": "VARCHAR",
        "feature": "VARCHAR",
        "importance": "DOUBLE",
        "direction": "VARCHAR",
        "importance_rank": "BIGINT",
    },
    "int_claims_features_audited": {
        "feature": "VARCHAR",
        "feature_kind": "VARCHAR",
        "best_rule": "VARCHAR",
        "accuracy": "DOUBLE",
        "distinct_values": "BIGINT",
        "videos": "BIGINT",
        "is_leaky": "BOOLEAN",
    },
}


@pytest.mark.parametrize(("claims", "opinions"), [(0, 0), (1, 0), (10, 0), (0, 10), (5, 5)])
def test_every_model_returns_a_typed_frame_on_empty_and_tiny_inputs(claims: int, opinions: int):
    outputs = every_model_output(staged_rows(claims, opinions))
    assert {name: duckdb_types(frame) for name, frame in outputs.items()} == EXPECTED_TYPES


def test_no_labelled_videos_publish_both_test_rows_and_what_was_not_fitted():
    outputs = every_model_output(staged_rows(0, 0))
    tests = outputs["int_claims_view_counts_compared"].set_index("test_name")
    assert tests["n_a"].tolist() == [0, 0]
    assert tests["p_value"].isna().all()
    assert tests["skipped_reason"].to_dict() == {
        "welch_t_test": "fewer_than_two_videos_in_a_group",
        "mann_whitney_u": "empty_group",
    }
    for name in (
        "int_verified_status_coefficients_fitted",
        "int_claims_videos_classified",
        "int_claims_features_ranked",
        "int_claims_features_audited",
    ):
        assert outputs[name].empty, name
    flags = outputs["claims_classifier_metrics"].pivot(index="model_name", columns="metric", values="value")
    assert flags.to_dict("list") == {"is_fitted": [0.0] * 3, "is_selected": [0.0] * 3}
    verified = outputs["verified_status_model_metrics"].set_index(["dataset_type", "metric"])["value"]
    assert verified.to_dict() == {("train", "rows"): 0, ("test", "rows"): 0, ("train", "is_fitted"): 0}


def test_one_class_only_falls_back_to_the_class_prior_and_says_so():
    frame = staged_rows(10, 0)
    predictions = cc.run_claims_classifier(frame, seed=42)
    assert sorted(predictions["video_id"]) == sorted(frame["video_id"])  # every video, ids above 2**53 intact
    assert set(predictions["model_name"]) == {cc.CLASS_PRIOR_MODEL}
    assert predictions[[f"probability_{c}" for c in cc.CANDIDATES]].isna().all().all()
    assert (predictions["claim_probability"] == 1.0).all()
    assert (predictions["predicted_claim_status"] == "claim").all()
    metrics = cc.classifier_metrics(predictions, threshold=0.5)
    fitted = metrics[metrics["metric"] == "is_fitted"]
    assert len(fitted) == 3
    assert (fitted["value"] == 0).all()
    assert "roc_auc" not in set(metrics["metric"])  # undefined on one class: left out, not a number
    test = metrics[(metrics["model_name"] == cc.CLASS_PRIOR_MODEL) & (metrics["dataset_type"] == "test")]
    assert test.set_index("metric").loc["rows", "value"] == (predictions["dataset_type"] == "test").sum()
    assert cc.candidate_importance(frame, seed=42).empty
    assert leakage_audit(frame)["accuracy"].eq(1.0).all()  # one class: every rule is right


def test_one_verified_class_fits_no_regression_and_says_so():
    frame = staged_rows(5, 5)
    frame["verified_status"], frame["is_verified"] = "not verified", False
    result = fit_verified_status_model(frame, seed=42)
    assert result.coefficients.empty
    metrics = result.metrics.set_index(["dataset_type", "metric"])["value"]
    assert metrics[("train", "is_fitted")] == 0
    assert metrics[("train", "rows")] + metrics[("test", "rows")] == 10
    assert result.metrics["baseline_name"].isna().all()


def test_a_small_two_class_file_fits_and_leaves_out_undefined_metrics():
    frame = staged_rows(5, 5)
    predictions = cc.run_claims_classifier(frame, seed=42)
    assert cc.fitted_candidates(predictions)  # 3 claims and 3 opinions in train: calibration folds work
    assert predictions["model_name"].iloc[0] in {cc.MODEL_PREFIX + c for c in cc.CANDIDATES}
    metrics = cc.classifier_metrics(predictions, threshold=0.5)
    assert not metrics.duplicated(["model_name", "dataset_type", "metric"]).any()
    assert metrics["value"].notna().all()
    verified = fit_verified_status_model(frame, seed=42).metrics
    assert verified.set_index(["dataset_type", "metric"]).loc[("train", "is_fitted"), "value"] == 1


def test_candidates_need_calibration_folds_of_each_class():
    assert cc.can_fit(np.array([1, 1, 1, 0, 0, 0]))
    assert not cc.can_fit(np.array([1, 1, 1, 1, 0, 0]))
    assert not cc.can_fit(np.array([], dtype=int))


def test_welch_skips_groups_without_spread_and_mann_whitney_empty_groups():
    same = compare_groups(pd.Series([7.0, 7, 7, 7]), pd.Series([True, True, False, False]), "a", "b")
    assert same.loc[0, "skipped_reason"] == "no_variance_in_both_groups"
    assert np.isnan(same.loc[0, "p_value"])
    assert pd.isna(same.loc[1, "skipped_reason"])
    assert same.loc[1, "p_value"] == 1.0
    one_sided = compare_groups(pd.Series([1.0, 2.0, 3.0]), pd.Series([False] * 3), "a", "b")
    assert one_sided["skipped_reason"].tolist() == ["fewer_than_two_videos_in_a_group", "empty_group"]
    assert one_sided.loc[0, "mean_b"] == 2.0
    assert np.isnan(one_sided.loc[0, "mean_a"])


def test_split_falls_back_from_stratified_to_plain_to_all_train():
    rare = pd.Series([True] + [False] * 9)  # one claim: cannot be stratified
    split = cc.split_dataset(rare, seed=1, validation_share=0.2, test_share=0.2)
    assert (split == cc.split_dataset(rare, seed=1, validation_share=0.2, test_share=0.2)).all()
    assert sorted(pd.Series(split).value_counts().to_dict().items()) == [("test", 2), ("train", 6), ("validation", 2)]
    assert cc.split_dataset(pd.Series([True]), seed=1, validation_share=0.2, test_share=0.2).tolist() == ["train"]
    assert cc.split_dataset(pd.Series([], dtype=bool), seed=1, validation_share=0.2, test_share=0.2).size == 0


def test_vif_leaves_out_columns_that_do_not_vary():
    design = pd.DataFrame({"a": [1.0, 2, 3, 4], "banned": [0.0] * 4, "b": [2.0, 1, 4, 3]})
    vif = variance_inflation_factors(design)
    assert np.isnan(vif["banned"])
    r = np.corrcoef(design["a"], design["b"])[0, 1]
    assert vif[["a", "b"]].to_numpy() == pytest.approx([1 / (1 - r**2)] * 2)
    assert variance_inflation_factors(design.head(1)).isna().all()


def test_metric_frame_leaves_out_metrics_that_could_not_be_computed():
    frame = metric_frame(
        [metric_row("m", "test", "f1", float("nan"), "majority_class", 0.5), metric_row("m", "test", "rows", 0)]
    )
    assert frame["metric"].tolist() == ["rows"]
