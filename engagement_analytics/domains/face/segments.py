"""Expression segments: a per-user expression profile, standardised and clustered with k-means.

The profile of a user is the share of every expression type present in the data among their
recorded expressions, and the mean and spread (sample standard deviation) of expression
strength. The vocabulary is open: whatever types the classifier wrote are features, known or
not. Profiles are standardised (zero mean, unit variance per feature), clustered with k-means
for every k in a range, and the k with the highest mean silhouette wins. Segments are numbered
by size (1 is the largest) and get a readable label from the profile's centre.

The profile itself is computed in SQL (int_expression_profiles_aggregated and
int_expression_type_shares_aggregated), so the marts and the clustering share one definition;
these functions take those two frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances, silhouette_samples
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

# Plural nouns for labels of the types we know; any other type is named "<type> expressions".
EXPRESSION_NOUNS: dict[str, str] = {
    "neutral": "neutral faces",
    "smile": "smiles",
    "laugh": "laughs",
    "surprise": "surprises",
    "frown": "frowns",
    "wink": "winks",
}
STRENGTH_COLUMNS: tuple[str, ...] = ("mean_strength", "strength_stddev")
# An expression is distinctive for a segment when its share is this many times the population's.
DISTINCTIVE_LIFT = 1.5
# A segment's top expression is "frequent" from this share of its expressions, "occasional" below
# the second share; a second distinctive expression is named from the third.
FREQUENT_SHARE = 0.4
OCCASIONAL_SHARE = 0.2
SECOND_EXPRESSION_SHARE = 0.15
# Mean strength this far above (below) the population's is "strong" ("subtle").
STRENGTH_DELTA = 0.1
# Population shares are floored here, so an expression nobody shows gives a finite lift.
SHARE_FLOOR = 1e-9
# Segments only exist from two on; k-means restarts per k; rows the silhouette that picks k is
# computed on (a seeded sample; 5,000 rows take 100 MB of float32 distances).
MIN_SEGMENTS = 2
KMEANS_RESTARTS = 10
SILHOUETTE_SAMPLE_ROWS = 5_000
# The frame behind user_expression_segments, with its dtypes (also when there is no profile).
SEGMENT_DTYPES: dict[str, str] = {
    "user_id": "int64",
    "segment_id": "int64",
    "segment_label": "string",
    "expressions": "int64",
    "mean_strength": "float64",
    "strength_stddev": "float64",
    "silhouette": "float64",
    "segments": "int64",
    "segments_mean_silhouette": "float64",
}


@dataclass(frozen=True)
class Clustering:
    """The chosen k-means clustering of standardised profiles."""

    labels: np.ndarray  # segment id per row, 1 = largest segment
    silhouettes: np.ndarray  # silhouette of each row under the chosen clustering (NaN with one segment)
    k: int
    mean_silhouette_by_k: dict[int, float]


def expression_noun(expression_type: str) -> str:
    """The plural used in labels: "smiles" for smile, "<type> expressions" for a type we do not know."""
    return EXPRESSION_NOUNS.get(expression_type, f"{expression_type} expressions")


def share_matrix(type_shares: pd.DataFrame, user_ids: np.ndarray) -> pd.DataFrame:
    """Users x expression types (columns sorted by name) of shares; a type a user never showed is 0.

    ``type_shares`` is long: user_id, expression_type, type_share.
    """
    wide = type_shares.pivot_table(
        index="user_id", columns="expression_type", values="type_share", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(index=pd.Index(user_ids, name="user_id"), fill_value=0.0)
    wide = wide.reindex(columns=sorted(wide.columns), fill_value=0.0).astype(float)
    wide.columns.name = None
    return wide


def standardise(features: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance per column; a constant column becomes all zeros."""
    return StandardScaler().fit_transform(np.asarray(features, dtype=float))


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Cluster ids 1..k, 1 for the largest cluster (ties broken by the smaller original id)."""
    ids, sizes = np.unique(labels, return_counts=True)
    order = ids[np.lexsort((ids, -sizes))]
    mapping = np.empty(ids.max() + 1, dtype=np.int64)
    mapping[order] = np.arange(1, len(order) + 1)
    return mapping[labels]


def silhouettes_from_distances(distances: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-row silhouettes from a square distance matrix (as sklearn's silhouette_samples).

    One matrix product gives every row's summed distance to every cluster, so scoring another
    labelling of the same rows costs O(n^2 k) arithmetic and no new distances. Rows alone in
    their cluster score 0.
    """
    _, cluster = np.unique(labels, return_inverse=True)
    rows = np.arange(len(labels))
    one_hot = np.zeros((len(labels), cluster.max() + 1), dtype=distances.dtype)
    one_hot[rows, cluster] = 1
    sums = (distances @ one_hot).astype(float)
    sizes = one_hot.sum(axis=0).astype(float)
    own_size = sizes[cluster]
    within = sums[rows, cluster] / np.maximum(own_size - 1, 1)
    to_others = sums / sizes
    to_others[rows, cluster] = np.inf
    nearest = to_others.min(axis=1)
    denominator = np.maximum(within, nearest)
    scores = np.where(denominator > 0, (nearest - within) / np.where(denominator > 0, denominator, 1), 0.0)
    return np.where(own_size > 1, scores, 0.0)


def single_segment(n: int) -> Clustering:
    """Everyone in segment 1: too few distinct profiles to split (silhouettes are undefined)."""
    return Clustering(
        labels=np.ones(n, dtype=np.int64), silhouettes=np.full(n, np.nan), k=1, mean_silhouette_by_k={1: float("nan")}
    )


def cluster_profiles(
    scaled: np.ndarray, k_min: int, k_max: int, seed: int, silhouette_sample: int = SILHOUETTE_SAMPLE_ROWS
) -> Clustering:
    """k-means for each k in k_min..k_max (seeded); keeps the k with the best mean silhouette.

    The range is configuration and must satisfy 2 <= k_min <= k_max. The data may allow less:
    k stops at n - 1 rows, and when no k of at least 2 splits the rows (fewer than three rows,
    or every profile alike), every row is in one segment. The mean silhouette that chooses k is
    computed on a seeded sample of at most ``silhouette_sample`` rows, from one distance matrix
    shared by every k (float32, so 5,000 rows take 100 MB); the per-row silhouettes returned
    are exact for the chosen clustering.
    """
    if k_min < MIN_SEGMENTS or k_min > k_max:
        raise ValueError(f"k range {k_min}..{k_max} is empty or below 2")
    n = len(scaled)
    k_max = min(k_max, n - 1)
    k_min = min(k_min, k_max)
    if k_max < MIN_SEGMENTS:
        return single_segment(n)
    # One thread for BLAS and OpenMP: on a shared 2-core machine their spinning threads make
    # these small products and fits several times slower.
    with threadpool_limits(limits=1):
        rng = np.random.default_rng(seed)
        sample = np.arange(n)
        if n > silhouette_sample:
            sample = np.sort(rng.choice(n, size=silhouette_sample, replace=False))
        distances = pairwise_distances(scaled[sample].astype(np.float32))
        scores: dict[int, float] = {}
        fits: dict[int, np.ndarray] = {}
        distinct = len(np.unique(scaled, axis=0))
        for k in range(k_min, min(k_max, distinct) + 1):
            labels = KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=seed).fit_predict(scaled)
            if len(np.unique(labels[sample])) < MIN_SEGMENTS:
                continue
            fits[k] = labels
            scores[k] = float(silhouettes_from_distances(distances, labels[sample]).mean())
        if not scores:
            return single_segment(n)
        best_k = max(scores, key=lambda k: (scores[k], -k))
        silhouettes = silhouette_samples(scaled, fits[best_k])
    return Clustering(
        labels=_relabel_by_size(fits[best_k]), silhouettes=silhouettes, k=best_k, mean_silhouette_by_k=scores
    )


def segment_label(
    centre_shares: pd.Series, population_shares: pd.Series, centre_strength: float, population_strength: float
) -> str:
    """A readable description of a segment centre, e.g. "frequent strong smiles".

    Shares are indexed by expression type. The expression named is the most common one among
    those the segment shows at least 1.5 times as often as the whole population (so a segment
    is named for what sets it apart; the highest lift when none reaches 1.5); "frequent" when
    that expression makes up at least 40% of the segment's expressions, "occasional" below 20%.
    Strength is "strong" when the segment's mean strength is 0.1 above the population mean,
    "subtle" when 0.1 below, otherwise "moderate". A second distinctive expression (lift >= 1.5
    and share >= 15%) is added with "and". Ties go to the type that sorts first.
    """
    shares = centre_shares.sort_index()
    lift = shares / population_shares.reindex(shares.index).clip(lower=SHARE_FLOOR)
    distinctive = shares[lift >= DISTINCTIVE_LIFT].sort_values(ascending=False, kind="stable")
    ranked = distinctive if len(distinctive) else lift.sort_values(ascending=False, kind="stable")
    top = ranked.index[0]
    top_share = shares[top]
    frequency = "frequent" if top_share >= FREQUENT_SHARE else "occasional" if top_share < OCCASIONAL_SHARE else ""
    delta = centre_strength - population_strength
    strength = "strong" if delta >= STRENGTH_DELTA else "subtle" if delta <= -STRENGTH_DELTA else "moderate"
    nouns = expression_noun(top)
    if len(distinctive) > 1 and distinctive.index[1] != top and distinctive.iloc[1] >= SECOND_EXPRESSION_SHARE:
        nouns = f"{nouns} and {expression_noun(distinctive.index[1])}"
    return " ".join(part for part in (frequency, strength, nouns) if part)


def segment_labels(shares: pd.DataFrame, mean_strength: np.ndarray, segment_ids: np.ndarray) -> dict[int, str]:
    """A label per segment id from the segment's mean profile; duplicates get the id appended.

    ``shares`` is users x types (share_matrix), ``mean_strength`` each user's mean strength.
    """
    ids = np.asarray(segment_ids)
    centres = shares.groupby(ids).mean()
    strength = pd.Series(np.asarray(mean_strength, dtype=float)).groupby(ids).mean()
    population, population_strength = shares.mean(), float(np.mean(mean_strength))
    labels = {
        int(seg): segment_label(centre, population, float(strength[seg]), population_strength)
        for seg, centre in centres.iterrows()
    }
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {seg: (f"{label} ({seg})" if seen[label] > 1 else label) for seg, label in labels.items()}


def empty_segments() -> pd.DataFrame:
    """The typed frame of user_expression_segments with no rows."""
    return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in SEGMENT_DTYPES.items()})


def segment_users(
    profiles: pd.DataFrame,
    type_shares: pd.DataFrame,
    k_min: int,
    k_max: int,
    seed: int,
    silhouette_sample: int = SILHOUETTE_SAMPLE_ROWS,
) -> pd.DataFrame:
    """Segment, label and silhouette per profiled user: the frame behind `user_expression_segments`.

    ``profiles``: one row per user (user_id, expressions, mean_strength, strength_stddev);
    ``type_shares``: one row per user and expression type (user_id, expression_type, type_share).
    The features are the share of every type in ``type_shares`` and the two strength columns.
    """
    if profiles.empty:
        return empty_segments()
    profiles = profiles.sort_values("user_id", ignore_index=True)
    user_ids = profiles["user_id"].to_numpy(dtype=np.int64)
    shares = share_matrix(type_shares, user_ids)
    features = np.column_stack([shares.to_numpy(), profiles[list(STRENGTH_COLUMNS)].to_numpy(dtype=float)])
    clustering = cluster_profiles(standardise(features), k_min, k_max, seed, silhouette_sample=silhouette_sample)
    labels = segment_labels(shares, profiles["mean_strength"].to_numpy(dtype=float), clustering.labels)
    out = pd.DataFrame(
        {
            "user_id": user_ids,
            "segment_id": clustering.labels.astype(np.int64),
            "segment_label": [labels[int(s)] for s in clustering.labels],
            "expressions": profiles["expressions"].to_numpy(dtype=np.int64),
            "mean_strength": profiles["mean_strength"].to_numpy(dtype=float),
            "strength_stddev": profiles["strength_stddev"].to_numpy(dtype=float),
            "silhouette": np.asarray(clustering.silhouettes, dtype=float),
            "segments": np.int64(clustering.k),
            "segments_mean_silhouette": clustering.mean_silhouette_by_k[clustering.k],
        }
    )
    return out.astype(SEGMENT_DTYPES)
