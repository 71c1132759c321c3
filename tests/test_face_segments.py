"""Expression segments: the profile and clustering helpers on small frames, and the built marts
against independent pandas computations from staging and the generator's planted profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from engagement_analytics.domains.face.segments import (
    SEGMENT_DTYPES,
    cluster_profiles,
    segment_label,
    segment_labels,
    segment_users,
    share_matrix,
    silhouettes_from_distances,
    standardise,
)
from tests.conftest import BuiltWarehouse

TYPES = ["neutral", "smile", "laugh", "surprise", "frown", "wink"]


# --- helpers ---------------------------------------------------------------------------------


def test_share_matrix_has_every_type_sorted_and_zero_for_types_a_user_never_showed():
    long = pd.DataFrame(
        {
            "user_id": [2**60 + 1, 2**60 + 1, 7],
            "expression_type": ["smile", "smirk", "wink"],
            "type_share": [0.25, 0.75, 1.0],
        }
    )
    wide = share_matrix(long, np.array([7, 2**60 + 1, 9], dtype=np.int64))
    assert list(wide.columns) == ["smile", "smirk", "wink"]
    assert list(wide.index) == [7, 2**60 + 1, 9]  # ids above 2**53 stay exact
    assert wide.loc[2**60 + 1].tolist() == [0.25, 0.75, 0.0]
    assert wide.loc[9].tolist() == [0.0, 0.0, 0.0]


def test_standardise_gives_zero_mean_unit_variance_and_zeros_for_constants():
    features = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]])
    scaled = standardise(features)
    assert np.allclose(scaled[:, 0].mean(), 0)
    assert np.allclose(scaled[:, 0].std(), 1)
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
    assert clustering.labels[0] == 1
    assert clustering.labels[60] == 3
    assert clustering.labels[80] == 2
    assert clustering.silhouettes.shape == (120,)
    assert clustering.silhouettes.min() > 0.5
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
    assert clustering.k == 4
    assert adjusted_rand_score(truth, clustering.labels) == 1.0
    assert clustering.silhouettes.shape == (900,)


def test_cluster_profiles_rejects_a_k_range_below_2_but_not_too_few_rows():
    points, _ = blobs([10, 10])
    with pytest.raises(ValueError, match=r"k range 1\.\.4 is empty or below 2"):
        cluster_profiles(points, k_min=1, k_max=4, seed=0)
    with pytest.raises(ValueError, match=r"k range 5\.\.4 is empty or below 2"):
        cluster_profiles(points, k_min=5, k_max=4, seed=0)
    # Data, not configuration: two rows, or rows all alike, are one segment without silhouettes.
    for rows in (points[:2], np.zeros((6, 3))):
        clustering = cluster_profiles(rows, k_min=2, k_max=4, seed=0)
        assert clustering.k == 1
        assert (clustering.labels == 1).all()
        assert np.isnan(clustering.silhouettes).all()
    # k stops below the number of distinct rows.
    three = np.repeat(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 4, axis=0)
    assert cluster_profiles(three, k_min=2, k_max=8, seed=0).k == 3


def shares(values: dict[str, float]) -> pd.Series:
    return pd.Series({t: values.get(t, 0.0) for t in TYPES})


def test_segment_label_names_what_sets_a_segment_apart():
    population = shares({"neutral": 0.35, "smile": 0.2, "laugh": 0.1, "surprise": 0.15, "frown": 0.1, "wink": 0.1})
    smiles = shares({"neutral": 0.15, "smile": 0.5, "laugh": 0.25, "surprise": 0.05, "wink": 0.05})
    assert segment_label(smiles, population, 0.72, 0.5) == "frequent strong smiles and laughs"
    neutral = shares({"neutral": 0.7, "smile": 0.2, "frown": 0.1})
    assert segment_label(neutral, population, 0.3, 0.5) == "frequent subtle neutral faces"
    frowns = shares({"neutral": 0.5, "frown": 0.18, "smile": 0.25, "laugh": 0.07})
    # frown has the only lift >= 1.5; with an 18% share it is "occasional".
    assert segment_label(frowns, population, 0.52, 0.5) == "occasional moderate frowns"


def test_segment_label_names_a_type_outside_the_known_list():
    population = pd.Series({"neutral": 0.5, "smile": 0.4, "eye_roll": 0.1})
    rolling = pd.Series({"neutral": 0.3, "smile": 0.2, "eye_roll": 0.5})
    assert segment_label(rolling, population, 0.5, 0.5) == "frequent moderate eye_roll expressions"


def test_segment_labels_are_unique():
    wide = pd.DataFrame([shares({"smile": 1.0}), shares({"smile": 1.0}), shares({"neutral": 1.0})])
    labels = segment_labels(wide, np.array([0.9, 0.9, 0.1]), np.array([1, 2, 3]))
    assert len(set(labels.values())) == 3
    assert labels[1].endswith("(1)")
    assert labels[2].endswith("(2)")


def test_segment_users_returns_typed_frames_for_no_one_and_for_too_few_users():
    long = pd.DataFrame(
        {
            "user_id": pd.Series(dtype="int64"),
            "expression_type": pd.Series(dtype="str"),
            "type_share": pd.Series(dtype="float64"),
        }
    )
    profiles = pd.DataFrame(
        {
            "user_id": pd.Series(dtype="int64"),
            "expressions": pd.Series(dtype="int64"),
            "mean_strength": pd.Series(dtype="float64"),
            "strength_stddev": pd.Series(dtype="float64"),
        }
    )
    empty = segment_users(profiles, long, k_min=2, k_max=8, seed=0)
    assert len(empty) == 0
    assert empty.dtypes.astype(str).to_dict() == {c: str(pd.Series(dtype=d).dtype) for c, d in SEGMENT_DTYPES.items()}
    two = pd.DataFrame(
        {"user_id": [2**60 + 3, 5], "expressions": [6, 9], "mean_strength": [0.2, 0.8], "strength_stddev": [0.1, 0.0]}
    )
    two_long = pd.DataFrame(
        {"user_id": [2**60 + 3, 5], "expression_type": ["smirk", "smile"], "type_share": [1.0, 1.0]}
    )
    out = segment_users(two, two_long, k_min=2, k_max=8, seed=0)
    assert out["user_id"].tolist() == [5, 2**60 + 3]
    assert (out["segment_id"] == 1).all()
    assert (out["segments"] == 1).all()
    assert out["silhouette"].isna().all()
    assert out.dtypes.astype(str).to_dict() == empty.dtypes.astype(str).to_dict()


# --- built marts -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def segments(warehouse: BuiltWarehouse) -> pd.DataFrame:
    return warehouse.query("select * from marts.user_expression_segments order by user_id")


@pytest.fixture(scope="module")
def staged_profiles(warehouse: BuiltWarehouse) -> pd.DataFrame:
    """Profiles recomputed with plain pandas from staging: every type present, known or not."""
    expressions = warehouse.query(
        "select user_id, expression_type, expression_strength from staging.stg_face__expressions"
    )
    counts = pd.crosstab(expressions["user_id"], expressions["expression_type"])
    shares = counts.div(counts.sum(axis=1), axis=0)
    strength = expressions.groupby("user_id")["expression_strength"].agg(mean_strength="mean", strength_stddev="std")
    profiles = shares.join(strength).assign(expressions=counts.sum(axis=1)).fillna({"strength_stddev": 0.0})
    return profiles[profiles["expressions"] >= 5]


@pytest.fixture(scope="module")
def type_shares(warehouse: BuiltWarehouse) -> pd.DataFrame:
    return warehouse.query("select * from marts.user_expression_type_shares")


def test_segments_recover_the_planted_profiles(warehouse: BuiltWarehouse, segments: pd.DataFrame):
    planted = segments["user_id"].map({int(k): v for k, v in warehouse.truth["face"]["profiles"].items()})
    assert planted.notna().all()
    ari = adjusted_rand_score(planted, segments["segment_id"])
    assert ari >= 0.8, ari
    assert segments["segments"].iloc[0] == len(warehouse.truth["face"]["profile_definitions"])


def test_profile_features_match_pandas(
    segments: pd.DataFrame, staged_profiles: pd.DataFrame, type_shares: pd.DataFrame
):
    actual = segments.set_index("user_id")
    assert set(actual.index) == set(staged_profiles.index)
    for column in ["mean_strength", "strength_stddev", "expressions"]:
        assert np.allclose(actual[column], staged_profiles.loc[actual.index, column], atol=1e-6), column
    wide = type_shares.pivot(index="user_id", columns="expression_type", values="type_share")
    types = [t for t in staged_profiles.columns if t not in ("mean_strength", "strength_stddev", "expressions")]
    assert sorted(wide.columns) == sorted(types) == sorted(TYPES)
    assert np.allclose(wide[types].to_numpy(), staged_profiles.loc[wide.index, types].to_numpy())
    assert type_shares["is_known_expression_type"].all()
    assert (type_shares.groupby("user_id")["segment_id"].first() == actual.loc[wide.index, "segment_id"]).all()


def test_segment_type_shares_are_the_segment_centres(
    segments: pd.DataFrame, type_shares: pd.DataFrame, warehouse: BuiltWarehouse
):
    mix = warehouse.query("select * from marts.expression_segment_type_shares").set_index(
        ["segment_id", "expression_type"]
    )
    centres = type_shares.groupby(["segment_id", "expression_type"])["type_share"].mean()
    population = type_shares.groupby("expression_type")["type_share"].mean()
    assert np.allclose(mix.loc[centres.index, "mean_share"], centres)
    lift = centres / population.reindex(centres.index.get_level_values("expression_type")).to_numpy()
    assert np.allclose(mix.loc[centres.index, "lift"], lift)
    assert np.allclose(mix.groupby("segment_id")["mean_share"].sum(), 1.0)
    users = segments.groupby("segment_id").size()
    assert (mix["segment_users"].groupby("segment_id").first() == users.loc[users.index]).all()


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


def test_silhouettes_are_those_of_the_published_segments(segments: pd.DataFrame, type_shares: pd.DataFrame):
    from sklearn.metrics import silhouette_samples

    wide = type_shares.pivot(index="user_id", columns="expression_type", values="type_share")
    features = wide.loc[segments["user_id"]].to_numpy()
    features = np.column_stack([features, segments[["mean_strength", "strength_stddev"]].to_numpy()])
    scaled = standardise(features)
    assert np.allclose(silhouette_samples(scaled, segments["segment_id"]), segments["silhouette"], atol=1e-6)


def test_product_mix_matches_pandas_and_the_planted_preference(warehouse: BuiltWarehouse, segments: pd.DataFrame):
    mix = warehouse.query("select * from marts.expression_segment_product_mix").set_index("segment_id")
    sessions = warehouse.query(
        "select user_id, product, interaction_time_seconds from staging.stg_face__product_interactions"
    )
    sessions = sessions.merge(segments[["user_id", "segment_id"]], on="user_id", how="inner")
    seconds = sessions.pivot_table(
        index="segment_id", columns="product", values="interaction_time_seconds", aggfunc="sum", fill_value=0
    )
    counts = sessions.pivot_table(index="segment_id", columns="product", values="user_id", aggfunc="size", fill_value=0)
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
