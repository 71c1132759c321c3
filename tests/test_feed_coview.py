"""Video co-view correlation marts against an independent dense numpy computation on staging,
and against the generator's planted video series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import BuiltWarehouse

CAP = 500  # coview_max_videos_per_user default
K = 20  # coview_neighbors_k default
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def dense(warehouse: BuiltWarehouse) -> dict:
    """Per-user watch totals as a dense users x videos matrix over every staging user, capped like
    the definition says, with Pearson's r from np.corrcoef (mean-centred, not the sums formula)."""
    user_ids = np.sort(warehouse.query("select user_id from staging.stg_feed__users")["user_id"].to_numpy())
    interactions = warehouse.query(
        "select user_id, video_id, cast(watch_time_seconds as double) as watch_time_seconds "
        "from staging.stg_feed__interactions"
    )
    totals = interactions.groupby(["user_id", "video_id"], as_index=False)["watch_time_seconds"].sum()
    totals = totals.sort_values(["user_id", "watch_time_seconds", "video_id"], ascending=[True, False, True])
    totals = totals[totals.groupby("user_id").cumcount() < CAP]
    video_ids = np.sort(totals["video_id"].unique())
    x = np.zeros((len(user_ids), len(video_ids)))
    rows = np.searchsorted(user_ids, totals["user_id"].to_numpy())
    cols = np.searchsorted(video_ids, totals["video_id"].to_numpy())
    x[rows, cols] = totals["watch_time_seconds"].to_numpy()
    watched = np.zeros_like(x)
    watched[rows, cols] = 1.0
    defined = x.std(axis=0) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(x, rowvar=False)
    r[~defined, :] = np.nan
    r[:, ~defined] = np.nan
    np.fill_diagonal(r, np.nan)
    co_viewers = watched.T @ watched
    np.fill_diagonal(co_viewers, 0)
    return {"video_ids": video_ids, "r": r, "co_viewers": co_viewers, "defined": defined}


@pytest.fixture(scope="module")
def top_match(warehouse: BuiltWarehouse) -> pd.DataFrame:
    return warehouse.query("select * from marts.video_top_coview_match order by video_id")


@pytest.fixture(scope="module")
def neighbors(warehouse: BuiltWarehouse) -> pd.DataFrame:
    return warehouse.query("select * from marts.video_coview_neighbors order by video_id, neighbor_rank")


def test_every_video_with_a_co_viewer_has_one_top_match(dense: dict, top_match: pd.DataFrame):
    has_partner = ((dense["co_viewers"] > 0) & dense["defined"][None, :]).any(axis=1) & dense["defined"]
    expected = set(dense["video_ids"][has_partner].tolist())
    assert set(top_match["video_id"]) == expected
    assert top_match["video_id"].is_unique


def test_every_top_match_is_the_highest_correlation_tie_aware(dense: dict, top_match: pd.DataFrame):
    ids, r = dense["video_ids"], dense["r"]
    wrong = []
    for row in top_match.itertuples(index=False):
        a = np.searchsorted(ids, row.video_id)
        b = np.searchsorted(ids, row.matched_video_id)
        best = np.nanmax(r[a])
        tied = ids[r[a] >= best - TOLERANCE]  # every video within a float tie of the best
        lowest = np.searchsorted(ids, tied.min())
        ok = (
            abs(r[a, b] - best) <= TOLERANCE
            and abs(row.correlation - r[a, b]) <= TOLERANCE
            and (row.matched_video_id == tied.min() or r[a, lowest] < r[a, b] - 1e-12)
            and row.co_viewers == dense["co_viewers"][a, b]
        )
        if not ok:
            wrong.append((row.video_id, row.matched_video_id, row.correlation, tied.tolist(), best))
    assert wrong == []


def test_neighbors_are_the_top_k_co_viewed_videos(dense: dict, neighbors: pd.DataFrame):
    ids, r, co_viewers = dense["video_ids"], dense["r"], dense["co_viewers"]
    wrong = []
    for video_id, group in neighbors.groupby("video_id"):
        a = np.searchsorted(ids, video_id)
        candidates = np.flatnonzero((co_viewers[a] > 0) & ~np.isnan(r[a]))
        expected = np.sort(r[a, candidates])[::-1][:K]
        cols = np.searchsorted(ids, group["neighbor_video_id"].to_numpy())
        if (
            list(group["neighbor_rank"]) != list(range(1, len(expected) + 1))
            or not np.allclose(group["correlation"].to_numpy(), expected, atol=TOLERANCE, rtol=0)
            or not np.allclose(r[a, cols], group["correlation"].to_numpy(), atol=TOLERANCE, rtol=0)
            or not (co_viewers[a, cols] == group["co_viewers"].to_numpy()).all()
        ):
            wrong.append(video_id)
    assert wrong == []
    # Ranks break ties by the lower neighbour id.
    ordered = neighbors.sort_values(["video_id", "correlation", "neighbor_video_id"], ascending=[True, False, True])
    assert (ordered.groupby("video_id").cumcount() + 1).tolist() == ordered["neighbor_rank"].tolist()


def test_planted_series_videos_match_within_their_series(warehouse: BuiltWarehouse, top_match: pd.DataFrame):
    series = warehouse.truth["feed"]["series"]
    series_of = {video: index for index, members in enumerate(series) for video in members}
    matches = top_match[top_match["video_id"].isin(series_of)]
    assert len(matches) >= 0.9 * len(series_of)
    same_series = matches.apply(lambda m: series_of.get(m.matched_video_id) == series_of[m.video_id], axis=1)
    assert same_series.mean() >= 0.8, same_series.mean()
