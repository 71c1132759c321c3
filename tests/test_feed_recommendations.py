"""Recommendations and their offline evaluation, against pandas on staging and the generator's
cold-start users and fresh videos."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import BuiltWarehouse

N = 10  # feed_recommendations_per_user
FRESH_SLOTS = 1  # round(N * feed_fresh_share)
FRESH_DAYS = 7
TRENDING_DAYS = 14
HOLDOUT_DAYS = 14
EVAL_K = (5, 10)


@pytest.fixture(scope="module")
def feed(warehouse: BuiltWarehouse) -> dict[str, pd.DataFrame]:
    return {
        "users": warehouse.query("select user_id, preferred_genre from staging.stg_feed__users"),
        "videos": warehouse.query("select video_id, genre, upload_date from staging.stg_feed__videos"),
        "interactions": warehouse.query(
            "select user_id, video_id, watch_time_seconds, first_clicked_at from staging.stg_feed__interactions"
        ),
        "recs": warehouse.query("select * from marts.user_video_recommendations"),
    }


def trending(interactions: pd.DataFrame, videos: pd.DataFrame, fit_end: pd.Timestamp) -> pd.DataFrame:
    """Videos existing before fit_end with viewers and recent viewers, in genre-trending order."""
    fit = interactions[interactions["first_clicked_at"] < fit_end]
    last = fit.groupby(["user_id", "video_id"])["first_clicked_at"].max().reset_index()
    stats = pd.DataFrame(
        {
            "viewers": last.groupby("video_id").size(),
            "recent_viewers": last[last["first_clicked_at"] >= fit_end - pd.Timedelta(days=TRENDING_DAYS)]
            .groupby("video_id")
            .size(),
        }
    )
    out = videos[pd.to_datetime(videos["upload_date"]) < fit_end].set_index("video_id").join(stats).fillna(0)
    return out.reset_index().sort_values(
        ["genre", "recent_viewers", "viewers", "video_id"], ascending=[True, False, False, True]
    )


def test_every_user_gets_n_distinct_videos(feed):
    recs, users = feed["recs"], feed["users"]
    assert set(recs["user_id"]) == set(users["user_id"])
    per_user = recs.groupby("user_id").agg(
        rows=("video_id", "size"),
        videos=("video_id", "nunique"),
        ranks=("recommendation_rank", lambda r: sorted(r) == list(range(1, N + 1))),
    )
    assert (per_user["rows"] == N).all()
    assert (per_user["videos"] == N).all()
    assert per_user["ranks"].all()
    assert set(recs["reason"]) <= {"co_view", "genre_trending", "fresh", "popular"}


def test_no_recommendation_was_already_watched(feed):
    watched = feed["interactions"][["user_id", "video_id"]].drop_duplicates()
    overlap = feed["recs"].merge(watched, on=["user_id", "video_id"])
    assert overlap.empty


def test_cold_start_users_get_their_genre_trending_then_popular(warehouse: BuiltWarehouse, feed):
    recs, users, interactions, videos = feed["recs"], feed["users"], feed["interactions"], feed["videos"]
    cold = set(warehouse.truth["feed"]["cold_start_user_ids"]) - set(interactions["user_id"])
    assert cold, "the generator plants cold-start users"
    cold_recs = recs[recs["user_id"].isin(cold)]
    assert cold_recs["user_id"].nunique() == len(cold & set(users["user_id"]))
    assert set(cold_recs["reason"]) <= {"genre_trending", "fresh", "popular"}
    fit_end = pd.Timestamp(interactions["first_clicked_at"].max().date()) + pd.Timedelta(days=1)
    ranked = trending(interactions, videos, fit_end)
    genre_of = users.set_index("user_id")["preferred_genre"]
    for user_id, group in cold_recs.groupby("user_id"):
        frame = group.sort_values("recommendation_rank")
        picks = frame.loc[frame["reason"] == "genre_trending", "video_id"].tolist()
        fresh = set(frame.loc[frame["reason"] == "fresh", "video_id"])
        expected = [v for v in ranked.loc[ranked["genre"] == genre_of[user_id], "video_id"] if v not in fresh]
        assert picks == expected[: len(picks)], user_id
        # genre_trending comes before popular for a user without history
        reasons = frame.loc[frame["reason"] != "fresh", "reason"].tolist()
        assert reasons == sorted(reasons, key=lambda r: r != "genre_trending")


def test_fresh_share_is_honoured(feed):
    recs, videos, interactions = feed["recs"], feed["videos"], feed["interactions"]
    last_day = interactions["first_clicked_at"].max().normalize()
    fresh = set(
        videos.loc[pd.to_datetime(videos["upload_date"]) > last_day - pd.Timedelta(days=FRESH_DAYS), "video_id"]
    )
    assert fresh, "the generator plants fresh videos"
    fresh_recs = recs[recs["reason"] == "fresh"]
    assert set(fresh_recs["video_id"]) <= fresh
    watched = interactions.groupby("user_id")["video_id"].agg(set)
    unwatched_fresh = (
        recs[["user_id"]]
        .drop_duplicates()
        .assign(available=lambda d: d["user_id"].map(lambda u: len(fresh - watched.get(u, set()))))
    )
    counts = fresh_recs.groupby("user_id").size().reindex(unwatched_fresh["user_id"], fill_value=0).to_numpy()
    np.testing.assert_array_equal(counts, np.minimum(FRESH_SLOTS, unwatched_fresh["available"].to_numpy()))
    # The explore slot sits at the end of the list, and rotation spreads exposure over fresh videos.
    assert (fresh_recs["recommendation_rank"] == N).all()
    assert fresh_recs["video_id"].nunique() == min(len(fresh), len(fresh_recs))


def test_co_view_picks_are_neighbours_of_recent_videos(warehouse: BuiltWarehouse, feed):
    recs, interactions = feed["recs"], feed["interactions"]
    neighbors = warehouse.query(
        "select video_id, neighbor_video_id, correlation from marts.video_coview_neighbors where correlation > 0"
    )
    last = interactions.groupby(["user_id", "video_id"])["first_clicked_at"].max().reset_index()
    last = last.sort_values(["user_id", "first_clicked_at", "video_id"], ascending=[True, False, False])
    seeds = last.groupby("user_id").head(10)[["user_id", "video_id"]]
    reachable = seeds.merge(neighbors, on="video_id")
    scores = reachable.groupby(["user_id", "neighbor_video_id"])["correlation"].sum()
    co_view = recs[recs["reason"] == "co_view"]
    assert not co_view.empty
    got = co_view.set_index(["user_id", "video_id"])["score"]
    expected = scores.reindex(got.index)
    assert expected.notna().all()
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_offline_eval_matches_pandas_for_popularity_and_blended_beats_it(feed, warehouse: BuiltWarehouse):
    interactions, videos = feed["interactions"], feed["videos"]
    evaluation = warehouse.query("select * from marts.recommendation_offline_eval")
    assert set(evaluation["strategy"]) == {"popularity", "genre_trending", "co_view", "blended"}
    assert sorted(set(evaluation["k"])) == list(EVAL_K)
    holdout_start = interactions["first_clicked_at"].max().normalize() - pd.Timedelta(days=HOLDOUT_DAYS - 1)
    assert set(pd.to_datetime(evaluation["holdout_start_date"])) == {holdout_start}
    fit = interactions[interactions["first_clicked_at"] < holdout_start]
    holdout = interactions[interactions["first_clicked_at"] >= holdout_start]
    users = sorted(holdout["user_id"].unique())
    assert (evaluation["users_evaluated"] == len(users)).all()

    # Popularity from scratch: distinct fit viewers (ties: watch time, lower video_id), unwatched.
    existing = videos.loc[pd.to_datetime(videos["upload_date"]) < holdout_start, "video_id"]
    per_video = fit.groupby("video_id").agg(viewers=("user_id", "nunique"), seconds=("watch_time_seconds", "sum"))
    per_video = per_video.reindex(existing, fill_value=0).reset_index()
    order = per_video.sort_values(["viewers", "seconds", "video_id"], ascending=[False, False, True])["video_id"]
    watched = fit.groupby("user_id")["video_id"].agg(set)
    relevant = holdout.groupby("user_id")["video_id"].agg(set)
    top = order.head(2000).tolist()
    for k in EVAL_K:
        precision, recall, ndcg, hit = [], [], [], []
        for u in users:
            seen = watched.get(u, set())
            rel = relevant[u] - seen
            listed = [v for v in top if v not in seen][:k]
            gains = [1.0 if v in rel else 0.0 for v in listed]
            hits = sum(gains)
            dcg = sum(g / np.log2(i + 2) for i, g in enumerate(gains))
            ideal = sum(1 / np.log2(i + 2) for i in range(min(k, len(rel))))
            precision.append(hits / k)
            recall.append(hits / len(rel) if rel else 0.0)
            ndcg.append(dcg / ideal if ideal else 0.0)
            hit.append(hits > 0)
        row = evaluation[(evaluation["strategy"] == "popularity") & (evaluation["k"] == k)].iloc[0]
        assert row["precision_at_k"] == pytest.approx(np.mean(precision))
        assert row["recall_at_k"] == pytest.approx(np.mean(recall))
        assert row["ndcg_at_k"] == pytest.approx(np.mean(ndcg))
        assert row["hit_rate_at_k"] == pytest.approx(np.mean(hit))

    metrics = ["precision_at_k", "recall_at_k", "ndcg_at_k", "hit_rate_at_k"]
    table = evaluation.set_index(["strategy", "k"])[metrics]
    for k in EVAL_K:
        assert (table.loc[("blended", k)] > table.loc[("popularity", k)]).all(), table
