"""Expression segments: the profile and clustering helpers on small frames, and the built marts
against independent pandas computations from staging and the generator's planted profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from engagement_analytics.face.segments import (
    FEATURE_COLUMNS,
    cluster_profiles,
    expression_profiles,
    segment_label,
    segment_labels,
    silhouettes_from_distances,
    standardise,
)
from tests.conftest import BuiltWarehouse

TYPES = ["neutral", "smile", "laugh", "surprise", "frown", "wink"]


# --- helpers ---------------------------------------------------------------------------------

def test_profiles_count_shares_and_sample_spread():
    expressions = pd.DataFrame({
        "user_id": [1, 1, 1, 1, 2, 3, 3],
        "expression_type": ["smile", "smile", "frown", "unknown", "wink", "neutral", "laugh"],
        "expression_strength": [0.2, 0.4, 0.6, 0.9, 0.5, 0.1, 0.3],
    })
    profiles = expression_profiles(expressions).set_index("user_id")
    assert list(profiles.index) == [1, 2, 3]
    assert profiles.loc[1, "expressions"] == 3  # the unknown type is ignored
    assert profiles.loc[1, "smile_share"] == pytest.approx(2 / 3)
    assert profiles.loc[1, "frown_share"] == pytest.approx(1 / 3)
    assert profiles.loc[1, "mean_strength"] == pytest.approx(0.4)
    assert profiles.loc[1, "strength_stddev"] == pytest.approx(np.std([0.2, 0.4, 0.6], ddof=1))
    assert profiles.loc[2, "strength_stddev"] == 0.0  # one expression: no spread
    shares = profiles[[f"{t}_share" for t in TYPES]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    assert list(expression_profiles(expressions, min_expressions=2)["user_id"]) == [1, 3]


def test_standardise_gives_zero_mean_unit_variance_and_zeros_for_constants():
    features = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]])
    scaled = standardise(features)
    assert np.allclose(scaled[:, 0].mean(), 0) and np.allclose(scaled[:, 0].std(), 1)
    assert np.allclose(scaled[:, 1], 0)


def blobs(sizes: list[int], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0], [0, 0, 8]], dtype=float)
    points = np.vstack([centres[i] + rng.normal(0, 0.5, (n, 3)) for i, n in enumerate(sizes)])
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return points, truth


def test_cluster_profiles_picks_k_by_silhouette_and_numbers_segments_by_size():
    points, truth = blobs([60, 20, 40])
    clustering = cluster_profiles(points, k_min=2, k_max=6, seed=3)
    assert clustering.k == 3
    assert set(clustering.mean_silhouette_by_k) == {2, 3, 4, 5, 6}
    assert max(clustering.mean_silhouette_by_k, key=clustering.mean_silhouette_by_k.get) == 3
    assert adjusted_rand_score(truth, clustering.labels) == 1.0
    # 1 is the largest segment (the 60 points), 3 the smallest (20).
    assert clustering.labels[0] == 1 and clustering.labels[60] == 3 and clustering.labels[80] == 2
    assert clustering.silhouettes.shape == (120,) and clustering.silhouettes.min() > 0.5
    again = cluster_profiles(points, k_min=2, k_max=6, seed=3)
    assert np.array_equal(again.labels, clustering.labels)


def test_silhouettes_from_distances_match_sklearn():
    from sklearn.metrics import pairwise_distances, silhouette_samples

    points, _ = blobs([15, 10, 12], seed=4)
    labels = np.random.default_rng(2).integers(0, 4, len(points))
    labels[0] = 7  # a cluster of one scores 0
    expected = silhouette_samples(points, labels)
    assert np.allclose(silhouettes_from_distances(pairwise_distances(points), labels), expected)
    assert silhouettes_from_distances(pairwise_distances(points), labels)[0] == 0.0


def test_cluster_profiles_scores_k_on_a_sample_when_there_are_many_rows():
    points, truth = blobs([300, 200, 250, 150], seed=5)
    clustering = cluster_profiles(points, k_min=2, k_max=6, seed=1, silhouette_sample=200)
    assert clustering.k == 4 and adjusted_rand_score(truth, clustering.labels) == 1.0
    assert clustering.silhouettes.shape == (900,)


def test_cluster_profiles_rejects_an_empty_k_range():
    points, _ = blobs([10, 10])
    with pytest.raises(ValueError):
        cluster_profiles(points, k_min=1, k_max=4, seed=0)
    with pytest.raises(ValueError):
        cluster_profiles(points[:2], k_min=2, k_max=4, seed=0)


def profile_row(shares: dict[str, float], mean_strength: float) -> pd.Series:
    row = {f"{t}_share": shares.get(t, 0.0) for t in TYPES}
    row.update(mean_strength=mean_strength, strength_stddev=0.1)
    return pd.Series(row)


def test_segment_label_names_what_sets_a_segment_apart():
    population = profile_row({"neutral": 0.35, "smile": 0.2, "laugh": 0.1, "surprise": 0.15, "frown": 0.1,
                              "wink": 0.1}, 0.5)
    smiles = profile_row({"neutral": 0.15, "smile": 0.5, "laugh": 0.25, "surprise": 0.05, "wink": 0.05}, 0.72)
    assert segment_label(smiles, population) == "frequent strong smiles and laughs"
    neutral = profile_row({"neutral": 0.7, "smile": 0.2, "frown": 0.1}, 0.3)
    assert segment_label(neutral, population) == "frequent subtle neutral faces"
    frowns = profile_row({"neutral": 0.5, "frown": 0.18, "smile": 0.25, "laugh": 0.07}, 0.52)
    # frown has the only lift >= 1.5; with an 18% share it is "occasional".
    assert segment_label(frowns, population) == "occasional moderate frowns"


def test_segment_labels_are_unique():
    profiles = pd.DataFrame([profile_row({"smile": 1.0}, 0.9), profile_row({"smile": 1.0}, 0.9),
                             profile_row({"neutral": 1.0}, 0.1)])
    labels = segment_labels(profiles, np.array([1, 2, 3]))
    assert len(set(labels.values())) == 3
    assert labels[1].endswith("(1)") and labels[2].endswith("(2)")


# --- built marts -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def segments(warehouse: BuiltWarehouse) -> pd.DataFrame:
    return warehouse.query("select * from marts.user_expression_segments order by user_id")


@pytest.fixture(scope="module")
def staged_profiles(warehouse: BuiltWarehouse) -> pd.DataFrame:
    """Profiles recomputed with plain pandas from staging."""
    expressions = warehouse.query(
        "select user_id, expression_type, expression_strength from staging.stg_face__expressions")
    counts = pd.crosstab(expressions["user_id"], expressions["expression_type"]).reindex(columns=TYPES, fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0).add_suffix("_share")
    strength = expressions.groupby("user_id")["expression_strength"].agg(mean_strength="mean", strength_stddev="std")
    return shares.join(strength).assign(expressions=counts.sum(axis=1))


def test_segments_recover_the_planted_profiles(warehouse: BuiltWarehouse, segments: pd.DataFrame):
    planted = segments["user_id"].map({int(k): v for k, v in warehouse.truth["face"]["profiles"].items()})
    assert planted.notna().all()
    ari = adjusted_rand_score(planted, segments["segment_id"])
    assert ari >= 0.8, ari
    assert segments["segments"].iloc[0] == len(warehouse.truth["face"]["profile_definitions"])


def test_profile_features_match_pandas(segments: pd.DataFrame, staged_profiles: pd.DataFrame):
    expected = staged_profiles[staged_profiles["expressions"] >= 5].fillna({"strength_stddev": 0.0})
    actual = segments.set_index("user_id")
    assert set(actual.index) == set(expected.index)
    for column in [*FEATURE_COLUMNS, "expressions"]:
        assert np.allclose(actual[column], expected.loc[actual.index, column], atol=1e-6), column


def test_segment_labels_describe_the_planted_profiles(warehouse: BuiltWarehouse, segments: pd.DataFrame):
    planted = segments["user_id"].map({int(k): v for k, v in warehouse.truth["face"]["profiles"].items()})
    majority = planted.groupby(segments["segment_id"]).agg(lambda s: s.mode().iloc[0])
    label = segments.groupby("segment_id")["segment_label"].first()
    expected_words = {
        "frequent_strong_smiles": ["frequent", "strong", "smiles"],
        "mostly_neutral_subtle": ["subtle", "neutral"],
        "surprised_and_winking": ["surprises", "winks"],
        "frowning_focused": ["frowns"],
    }
    for segment_id, profile in majority.items():
        for word in expected_words[profile]:
            assert word in label[segment_id], (profile, label[segment_id])
    assert label.is_unique


def test_silhouettes_are_those_of_the_published_segments(segments: pd.DataFrame):
    from sklearn.metrics import silhouette_samples

    scaled = standardise(segments[list(FEATURE_COLUMNS)].to_numpy())
    assert np.allclose(silhouette_samples(scaled, segments["segment_id"]), segments["silhouette"], atol=1e-6)


def test_product_mix_matches_pandas_and_the_planted_preference(warehouse: BuiltWarehouse, segments: pd.DataFrame):
    mix = warehouse.query("select * from marts.expression_segment_product_mix").set_index("segment_id")
    sessions = warehouse.query(
        "select user_id, product, interaction_time_seconds from staging.stg_face__product_interactions")
    sessions = sessions.merge(segments[["user_id", "segment_id"]], on="user_id", how="inner")
    seconds = sessions.pivot_table(index="segment_id", columns="product", values="interaction_time_seconds",
                                   aggfunc="sum", fill_value=0)
    counts = sessions.pivot_table(index="segment_id", columns="product", values="user_id", aggfunc="size",
                                  fill_value=0)
    users = segments.groupby("segment_id").size()
    assert (mix["users"] == users.loc[mix.index]).all()
    assert np.allclose(mix["animoji_time_share"], (seconds["Animoji"] / seconds.sum(axis=1)).loc[mix.index])
    assert np.allclose(mix["faceid_sessions_per_user"], (counts["FaceID"] / users).loc[mix.index])
    assert np.allclose(mix["animoji_sessions_per_user"], (counts["Animoji"] / users).loc[mix.index])

    definitions = warehouse.truth["face"]["profile_definitions"]
    planted = segments["user_id"].map({int(k): v for k, v in warehouse.truth["face"]["profiles"].items()})
    majority = planted.groupby(segments["segment_id"]).agg(lambda s: s.mode().iloc[0])
    # The planted session rates grow (Animoji) or shrink (FaceID) by the weekly trend; over the
    # year each product's rate averages the mean of exp(trend * week).
    weeks = np.arange(365) / 7
    growth = {p: np.exp(trend * weeks).mean() for p, trend in warehouse.truth["face"]["weekly_trend"].items()}
    for segment_id, profile in majority.items():
        animoji = definitions[profile]["animoji_share"] * growth["Animoji"]
        faceid = (1 - definitions[profile]["animoji_share"]) * growth["FaceID"]
        expected = "Animoji" if animoji > faceid else "FaceID"
        assert mix.loc[segment_id, "primary_product"] == expected, profile
        share = mix.loc[segment_id, "animoji_session_share"]
        assert share == pytest.approx(animoji / (animoji + faceid), abs=0.04), profile
