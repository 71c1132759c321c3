"""The moderation marts and ml_model_metrics, built from the real TikTok claims file, against
independent computations from the raw file (pandas, scipy, sklearn) and the facts in
tests/fixtures/tiktok_claims/README.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import f1_score, precision_score, recall_score

from tests.conftest import BuiltWarehouse

COUNTS = ["view_count", "like_count", "share_count", "download_count", "comment_count"]
MODERATION_MODELS = [
    "claims_engagement_summary",
    "claims_view_count_test",
    "verified_status_coefficients",
    "claim_predictions",
    "claims_feature_importance",
    "claims_leakage_audit",
    "ml_model_metrics",
    "ml_model_headline_metrics",
]


@pytest.fixture(scope="module")
def raw_claims(warehouse: BuiltWarehouse) -> pd.DataFrame:
    if not warehouse.uses_real_claims:
        pytest.fail("the session build uses the real claims file from tests/fixtures/tiktok_claims")
    raw = pd.read_csv(warehouse.raw_dir / "claims_videos.csv")
    return raw.rename(columns={"#": "id", **{f"video_{c}": c for c in COUNTS}})


@pytest.fixture(scope="module")
def labelled(raw_claims: pd.DataFrame) -> pd.DataFrame:
    return raw_claims.dropna(subset=["claim_status"]).reset_index(drop=True)


def test_moderation_models_built(warehouse: BuiltWarehouse):
    built = {r["unique_id"].split(".")[-1]: r["status"] for r in warehouse.run_results["results"]}
    assert {name: built.get(name) for name in MODERATION_MODELS} == dict.fromkeys(MODERATION_MODELS, "success")


def test_unlabelled_rows_lack_counts_too_and_are_all_quarantined(warehouse: BuiltWarehouse, raw_claims):
    unlabelled = raw_claims[raw_claims["claim_status"].isna()]
    assert len(raw_claims) == 19_382
    assert len(unlabelled) == 298
    assert unlabelled[[*COUNTS, "video_transcription_text"]].isna().all().all()
    assert raw_claims.dropna(subset=["claim_status"])[COUNTS].notna().all().all()
    quarantined = warehouse.query(
        "select record_key from staging.quarantined_rows "
        "where source_table = 'claims_videos' and quarantine_reason = 'missing_label'"
    )
    assert sorted(quarantined["record_key"].astype("int64")) == sorted(unlabelled["video_id"])


def test_engagement_summary_matches_pandas(warehouse: BuiltWarehouse, labelled):
    keys = ["claim_status", "verified_status", "author_ban_status"]
    groups = labelled.groupby(keys)
    expected = groups.size().rename("videos").to_frame()
    for column in COUNTS:
        expected[f"mean_{column}"] = groups[column].mean()
        expected[f"median_{column}"] = groups[column].median()
    sums = groups[COUNTS].sum()
    for column in COUNTS[1:]:
        expected[f"{column.removesuffix('_count')}s_per_view"] = sums[column] / sums["view_count"]
    mart = warehouse.query("select * from marts.claims_engagement_summary").set_index(keys).sort_index()
    assert len(mart) == len(expected) == 12
    assert mart["videos"].sum() == 19_084
    pd.testing.assert_frame_equal(
        mart[expected.columns].astype("float64"), expected.sort_index().astype("float64"), rtol=1e-9, check_names=False
    )


def test_welch_row_matches_scipy(warehouse: BuiltWarehouse, labelled):
    verified = labelled.loc[labelled["verified_status"] == "verified", "view_count"].to_numpy()
    others = labelled.loc[labelled["verified_status"] == "not verified", "view_count"].to_numpy()
    reference = stats.ttest_ind(verified, others, equal_var=False)
    interval = reference.confidence_interval(0.95)
    row = warehouse.query("select * from marts.claims_view_count_test where test_name = 'welch_t_test'").iloc[0]
    assert (row["n_a"], row["n_b"]) == (1_200, 17_884)
    assert row["mean_a"] == pytest.approx(verified.mean(), rel=1e-9)
    assert row["mean_b"] == pytest.approx(others.mean(), rel=1e-9)
    assert row["statistic"] == pytest.approx(reference.statistic, rel=1e-6)
    assert row["degrees_of_freedom"] == pytest.approx(reference.df, rel=1e-6)
    assert row["p_value"] == pytest.approx(reference.pvalue, rel=1e-6)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((interval.low, interval.high), rel=1e-6)
    # the facts measured on the file
    assert abs(row["statistic"]) == pytest.approx(25.5, abs=0.01)
    assert row["p_value"] == pytest.approx(2.6e-120, rel=0.01)
    pooled = np.sqrt(
        ((len(verified) - 1) * verified.var(ddof=1) + (len(others) - 1) * others.var(ddof=1))
        / (len(verified) + len(others) - 2)
    )
    g = (verified.mean() - others.mean()) / pooled * (1 - 3 / (4 * (len(verified) + len(others)) - 9))
    assert row["effect_size"] == pytest.approx(g, rel=1e-6)
    assert row["effect_size_measure"] == "hedges_g"


def test_mann_whitney_row_matches_scipy(warehouse: BuiltWarehouse, labelled):
    verified = labelled.loc[labelled["verified_status"] == "verified", "view_count"]
    others = labelled.loc[labelled["verified_status"] == "not verified", "view_count"]
    reference = stats.mannwhitneyu(verified, others, alternative="two-sided")
    row = warehouse.query("select * from marts.claims_view_count_test where test_name = 'mann_whitney_u'").iloc[0]
    assert row["statistic"] == pytest.approx(reference.statistic, rel=1e-9)
    assert row["p_value"] == pytest.approx(reference.pvalue, rel=1e-6)
    assert row["median_a"] == verified.median()
    assert row["median_b"] == others.median()


def test_verified_coefficients_are_readable_and_not_collinear(warehouse: BuiltWarehouse, labelled):
    coefficients = warehouse.query("select * from marts.verified_status_coefficients").set_index("feature")
    assert {
        "intercept",
        "video_duration_seconds",
        "is_claim",
        "author_under_review",
        "author_banned",
        "log_view_count",
    } <= set(coefficients.index)
    assert not set(coefficients.index) & {f"log_{c}" for c in COUNTS[1:]}  # raw counts merged into rates
    assert coefficients["odds_ratio"].to_numpy() == pytest.approx(np.exp(coefficients["coefficient"]).to_numpy())
    assert coefficients["variance_inflation_factor"].dropna().max() < 10
    # independent: the raw log counts the design replaces are badly collinear
    logs = np.log1p(labelled[COUNTS].astype("float64"))
    assert np.diag(np.linalg.inv(np.corrcoef(logs.to_numpy(), rowvar=False))).max() > 10
    # claims are far less often by verified authors (3.3% vs 9.3%), so the sign must be negative
    assert coefficients.loc["is_claim", "coefficient"] < 0


def test_verified_model_is_evaluated_on_the_true_class_mix(warehouse: BuiltWarehouse, labelled):
    metrics = warehouse.query("select * from marts.ml_model_metrics where model_name = 'verified_status_logistic'")
    test = metrics[metrics["dataset_type"] == "test"].set_index("metric")
    share = (labelled["verified_status"] == "verified").mean()
    assert test.loc["positive_share", "value"] == pytest.approx(share, abs=0.002)
    assert test.loc["rows", "value"] == pytest.approx(0.2 * len(labelled), abs=1)
    assert test.loc["roc_auc", "value"] > test.loc["roc_auc", "baseline_value"]
    assert test.loc["average_precision", "baseline_value"] == pytest.approx(share, abs=0.002)
    assert test.loc["f1", "value"] > test.loc["f1", "baseline_value"]


def test_every_labelled_video_has_one_prediction(warehouse: BuiltWarehouse, labelled):
    predictions = warehouse.query("select * from marts.claim_predictions")
    assert len(predictions) == len(labelled) == 19_084
    merged = predictions.merge(labelled[["video_id", "claim_status"]], on="video_id", suffixes=("", "_raw"))
    assert len(merged) == len(labelled)
    assert (merged["claim_status"] == merged["claim_status_raw"]).all()
    shares = predictions["dataset_type"].value_counts(normalize=True)
    assert shares.to_dict() == pytest.approx({"train": 0.6, "validation": 0.2, "test": 0.2}, abs=0.002)
    claim_share = predictions.groupby("dataset_type")["claim_status"].apply(lambda s: (s == "claim").mean())
    assert claim_share.max() - claim_share.min() < 0.002  # stratified


def test_review_priority_follows_claim_probability(warehouse: BuiltWarehouse):
    predictions = warehouse.query("select * from marts.claim_predictions order by review_priority")
    assert predictions["review_priority"].tolist() == list(range(1, len(predictions) + 1))
    assert predictions["claim_probability"].is_monotonic_decreasing
    assert ((predictions["claim_probability"] >= 0.5) == (predictions["predicted_claim_status"] == "claim")).all()


def test_claims_test_metrics_match_the_predictions_and_reach_f1_099(warehouse: BuiltWarehouse, labelled):
    predictions = warehouse.query("select * from marts.claim_predictions where dataset_type = 'test'")
    test = predictions.merge(labelled[["video_id", "claim_status"]], on="video_id", suffixes=("", "_raw"))
    y, predicted = test["claim_status_raw"] == "claim", test["predicted_claim_status"] == "claim"
    metrics = warehouse.query(
        "select * from marts.ml_model_metrics where model_name like 'claims_classifier_%' and dataset_type = 'test'"
    )
    assert metrics["model_name"].nunique() == 1
    assert metrics["model_name"].iloc[0] == predictions["model_name"].iloc[0]
    values = metrics.set_index("metric")["value"]
    assert values["precision"] == pytest.approx(precision_score(y, predicted), rel=1e-9)
    assert values["recall"] == pytest.approx(recall_score(y, predicted), rel=1e-9)
    assert values["f1"] == pytest.approx(f1_score(y, predicted), rel=1e-9)
    assert values["f1"] >= 0.99


def test_three_candidates_compared_on_validation(warehouse: BuiltWarehouse):
    validation = warehouse.query(
        "select * from marts.ml_model_metrics where model_name like 'claims_classifier_%' "
        "and dataset_type = 'validation'"
    )
    assert set(validation["model_name"]) == {
        "claims_classifier_engagement",
        "claims_classifier_text",
        "claims_classifier_both",
    }
    f1 = validation[validation["metric"] == "f1"].set_index("model_name")["value"]
    selected = validation[(validation["metric"] == "is_selected") & (validation["value"] == 1)]["model_name"]
    assert len(selected) == 1
    assert f1[selected.iloc[0]] == f1.max()
    importance = warehouse.query("select * from marts.claims_feature_importance")
    assert set(importance["model_name"]) == set(f1.index)


def test_leakage_audit_flags_the_opener_and_views(warehouse: BuiltWarehouse, labelled):
    audit = warehouse.query("select * from marts.claims_leakage_audit").set_index("feature")
    opener = labelled["video_transcription_text"].str.lower().str.split().str[:2].str.join(" ")
    majority = pd.crosstab(opener, labelled["claim_status"]).max(axis=1).sum() / len(labelled)
    assert majority == 1.0
    assert audit.loc["transcription_first_2_words", "accuracy"] == pytest.approx(majority)
    assert audit.loc["transcription_first_2_words", "is_leaky"]
    # independent brute force over every view-count cut: 'views >= cut -> claim'
    views, is_claim = labelled["view_count"].to_numpy(), (labelled["claim_status"] == "claim").to_numpy()
    cuts = np.unique(views)
    best = max(((views >= cut) == is_claim).mean() for cut in [*cuts[::7].tolist(), 10_000])
    assert audit.loc["view_count", "accuracy"] >= best >= 0.99
    assert audit.loc["view_count", "is_leaky"]
    assert not audit.loc["video_duration_seconds", "is_leaky"]
    assert set(audit.index) >= {*COUNTS, "video_duration_seconds"}


def test_ml_model_metrics_rows_are_unique_with_baselines(warehouse: BuiltWarehouse):
    metrics = warehouse.query("select * from marts.ml_model_metrics")
    assert not metrics.duplicated(["model_name", "dataset_type", "metric"]).any()
    assert set(metrics["dataset_type"]) <= {"train", "validation", "test"}
    with_baseline = metrics[metrics["baseline_name"].notna()]
    assert with_baseline["baseline_value"].notna().all()
    assert "verified_status_logistic" in set(metrics["model_name"])
    assert metrics["model_name"].str.startswith("claims_classifier_").any()


# Written here independently of the seed ml_metric_directions.
LOWER_IS_BETTER = {
    "log_loss",
    "brier_score",
    "expected_calibration_error",
    "mae",
    "rmse",
    "max_variance_inflation_factor",
    "mase",
    "smape",
}


def test_beats_baseline_agrees_with_an_independent_reading(warehouse: BuiltWarehouse):
    metrics = warehouse.query("select * from marts.ml_model_metrics")
    compared = metrics[metrics["baseline_name"].notna()]
    lower = compared["metric"].isin(LOWER_IS_BETTER)
    expected = (lower & (compared["value"] < compared["baseline_value"])) | (
        ~lower & (compared["value"] > compared["baseline_value"])
    )
    assert compared["metric_direction"].ne("unknown").all()
    assert (compared["beats_baseline"].astype(bool) == expected).all()
    assert metrics.loc[metrics["baseline_name"].isna(), "beats_baseline"].isna().all()
    assert set(metrics["domain"]) == {"moderation", "feed", "face"}


def test_every_model_beats_its_baseline_on_the_real_file(warehouse: BuiltWarehouse):
    headline = warehouse.query(
        "select * from marts.ml_model_headline_metrics where domain = 'moderation' and dataset_type = 'test'"
    ).set_index("model_name")
    selected = warehouse.query("select distinct model_name from marts.claim_predictions")["model_name"].iloc[0]
    assert set(headline.index) == {selected, "verified_status_logistic"}
    assert headline["headline_metric"].tolist() == ["f1", "f1"]
    assert headline["beats_baseline"].all()
    assert headline.loc[selected, "value"] >= 0.99
    assert headline.loc[selected, "baseline_name"] == "majority_class"
