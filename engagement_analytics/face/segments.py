"""Expression segments: a per-user expression profile, standardised and clustered with k-means.

The profile of a user is the share of each expression type among their recorded expressions
and the mean and spread (sample standard deviation) of expression strength. Profiles are
standardised (zero mean, unit variance per feature), clustered with k-means for every k in a
range, and the k with the highest mean silhouette wins. Segments are numbered by size (1 is the
largest) and get a readable label from the profile's centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances, silhouette_samples
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

EXPRESSION_TYPES: tuple[str, ...] = ("neutral", "smile", "laugh", "surprise", "frown", "wink")
# Plural nouns used in segment labels.
EXPRESSION_NOUNS: dict[str, str] = {
    "neutral": "neutral faces", "smile": "smiles", "laugh": "laughs", "surprise": "surprises",
    "frown": "frowns", "wink": "winks",
}
SHARE_COLUMNS: tuple[str, ...] = tuple(f"{t}_share" for t in EXPRESSION_TYPES)
FEATURE_COLUMNS: tuple[str, ...] = (*SHARE_COLUMNS, "mean_strength", "strength_stddev")
# An expression is distinctive for a segment when its share is this many times the population's.
DISTINCTIVE_LIFT = 1.5


@dataclass(frozen=True)
class Clustering:
    """The chosen k-means clustering of standardised profiles."""

    labels: np.ndarray  # segment id per row, 1 = largest segment
    silhouettes: np.ndarray  # silhouette of each row under the chosen clustering
    k: int
    mean_silhouette_by_k: dict[int, float]


def expression_profiles(expressions: pd.DataFrame, min_expressions: int = 1) -> pd.DataFrame:
    """One row per user: expressions, the share of each expression type, mean and spread of strength.

    ``expressions`` needs user_id, expression_type and expression_strength. Types outside
    EXPRESSION_TYPES are ignored. The spread is the sample standard deviation (0 for a user with
    one expression). Users with fewer than ``min_expressions`` expressions are left out.
    """
    known = expressions[expressions["expression_type"].isin(EXPRESSION_TYPES)]
    counts = (known.groupby(["user_id", "expression_type"]).size()
              .unstack(fill_value=0).reindex(columns=list(EXPRESSION_TYPES), fill_value=0))
    total = counts.sum(axis=1)
    shares = counts.div(total, axis=0)
    shares.columns = list(SHARE_COLUMNS)
    strength = known.groupby("user_id")["expression_strength"].agg(["mean", "std"])
    profiles = pd.concat([total.rename("expressions"), shares,
                          strength["mean"].rename("mean_strength"),
                          strength["std"].fillna(0.0).rename("strength_stddev")], axis=1)
    profiles = profiles[profiles["expressions"] >= min_expressions]
    profiles.index.name = "user_id"
    return profiles.reset_index().sort_values("user_id", ignore_index=True)


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


def cluster_profiles(scaled: np.ndarray, k_min: int, k_max: int, seed: int,
                     silhouette_sample: int = 5_000) -> Clustering:
    """k-means for each k in k_min..k_max (seeded); keeps the k with the best mean silhouette.

    The mean silhouette that chooses k is computed on a seeded sample of at most
    ``silhouette_sample`` rows, from one distance matrix shared by every k (float32, so 5,000
    rows take 100 MB); the per-row silhouettes returned are exact for the chosen clustering.
    """
    n = len(scaled)
    if n < 3:
        raise ValueError("clustering needs at least three profiles")
    k_max = min(k_max, n - 1)
    if k_min < 2 or k_min > k_max:
        raise ValueError(f"k range {k_min}..{k_max} is empty or below 2")
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
        for k in range(k_min, k_max + 1):
            labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(scaled)
            if len(np.unique(labels[sample])) < 2:
                continue
            fits[k] = labels
            scores[k] = float(silhouettes_from_distances(distances, labels[sample]).mean())
        best_k = max(scores, key=lambda k: (scores[k], -k))
        silhouettes = silhouette_samples(scaled, fits[best_k])
    return Clustering(labels=_relabel_by_size(fits[best_k]), silhouettes=silhouettes, k=best_k,
                      mean_silhouette_by_k=scores)


def segment_label(centre: pd.Series, population: pd.Series) -> str:
    """A readable description of a segment centre, e.g. "frequent strong smiles".

    The expression named is the most common one among those the segment shows at least 1.5
    times as often as the whole population (so a segment is named for what sets it apart; the
    highest lift when none reaches 1.5); "frequent" when that expression makes up
    at least 40% of the segment's expressions, "occasional" below 20%. Strength is "strong"
    when the segment's mean strength is 0.1 above the population mean, "subtle" when 0.1 below,
    otherwise "moderate". A second distinctive expression (lift >= 1.5 and share >= 15%) is added
    with "and".
    """
    lift = pd.Series({t: centre[f"{t}_share"] / max(population[f"{t}_share"], 1e-9) for t in EXPRESSION_TYPES})
    shares = pd.Series({t: centre[f"{t}_share"] for t in EXPRESSION_TYPES})
    distinctive = shares[lift >= DISTINCTIVE_LIFT].sort_values(ascending=False, kind="stable")
    ranked = (distinctive if len(distinctive) else lift.sort_values(ascending=False, kind="stable"))
    top = ranked.index[0]
    top_share = centre[f"{top}_share"]
    frequency = "frequent" if top_share >= 0.4 else "occasional" if top_share < 0.2 else ""
    delta = centre["mean_strength"] - population["mean_strength"]
    strength = "strong" if delta >= 0.1 else "subtle" if delta <= -0.1 else "moderate"
    nouns = EXPRESSION_NOUNS[top]
    if len(distinctive) > 1 and distinctive.index[1] != top and distinctive.iloc[1] >= 0.15:
        second = distinctive.index[1]
        nouns = f"{nouns} and {EXPRESSION_NOUNS[second]}"
    return " ".join(part for part in (frequency, strength, nouns) if part)


def segment_labels(profiles: pd.DataFrame, segment_ids: np.ndarray) -> dict[int, str]:
    """A label per segment id from the segment's mean profile; duplicates get the id appended."""
    features = profiles[list(FEATURE_COLUMNS)]
    population = features.mean()
    centres = features.groupby(np.asarray(segment_ids)).mean()
    labels = {int(seg): segment_label(centre, population) for seg, centre in centres.iterrows()}
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {seg: (f"{label} ({seg})" if seen[label] > 1 else label) for seg, label in labels.items()}


def segment_users(expressions: pd.DataFrame, k_min: int, k_max: int, seed: int,
                  min_expressions: int = 1, silhouette_sample: int = 5_000) -> pd.DataFrame:
    """Profiles, segment and silhouette per user: the frame behind `user_expression_segments`."""
    profiles = expression_profiles(expressions, min_expressions=min_expressions)
    clustering = cluster_profiles(standardise(profiles[list(FEATURE_COLUMNS)].to_numpy()), k_min, k_max, seed,
                                  silhouette_sample=silhouette_sample)
    labels = segment_labels(profiles, clustering.labels)
    out = profiles.copy()
    out.insert(1, "segment_id", clustering.labels.astype("int64"))
    out.insert(2, "segment_label", [labels[int(s)] for s in clustering.labels])
    out["silhouette"] = clustering.silhouettes
    out["segments"] = clustering.k
    out["segments_mean_silhouette"] = clustering.mean_silhouette_by_k[clustering.k]
    out["expressions"] = out["expressions"].astype("int64")
    out["user_id"] = out["user_id"].astype("int64")
    return out
