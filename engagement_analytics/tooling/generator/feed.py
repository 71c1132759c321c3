"""Feed domain: users, videos and interactions, with planted effects.

Planted (recorded in the truth file under ``feed``):
- a watch-time drop among the fans of three genres in the last month against the month before,
  driven by named users who stop watching their genre (``drop_genres`` in order of the drop,
  largest first, ``drop_seconds`` the drop, ``drop_removed_seconds`` the seconds the drivers
  removed, ``drop_drivers``); no other genre's fan watch time falls as much;
- video series whose episodes are watched together (``series``: lists of video ids);
- watch time with a learnable structure (``watch_time_model``: genre base, genre-match factor,
  a stable per-user factor, an interaction-type factor and log-normal noise);
- cold-start users with no interactions and fresh videos (last 7 days) with few or none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engagement_analytics.tooling.generator.common import (
    SECONDS_PER_DAY,
    SF1_FEED_USERS,
    SF1_INTERACTIONS,
    SF1_VIDEOS,
    Window,
    scaled,
)
from engagement_analytics.tooling.generator.profiles import DEFAULT_PROFILE, GeneratorProfile

GENRES = ["comedy", "music", "dance", "sports", "gaming", "food", "travel", "education", "fashion", "pets"]
GENRE_WEIGHTS = np.array([0.14, 0.13, 0.12, 0.11, 0.10, 0.10, 0.09, 0.08, 0.07, 0.06])
GENRE_BASE_SECONDS = np.array([25.0, 40.0, 20.0, 60.0, 90.0, 45.0, 55.0, 120.0, 30.0, 20.0])
INTERACTION_TYPES = ["view", "like", "comment", "share"]
INTERACTION_TYPE_WEIGHTS = np.array([0.70, 0.18, 0.06, 0.06])
INTERACTION_TYPE_FACTOR = np.array([1.0, 1.3, 1.5, 1.4])
GENRE_MATCH_FACTOR = 1.6
PREFERRED_GENRE_PROBABILITY = 0.65
FRESH_DAYS = 7
# Share of videos uploaded in the last FRESH_DAYS of the window (cold-start videos).
FRESH_UPLOAD_SHARE = 0.03
SERIES_FOLLOW_PROBABILITY = 0.7
# Each planted genre's fan watch-time drop against the previous month, as a share of that month,
# largest first; every planted drop is also at least DROP_MARGIN times the next smaller drop (the
# smallest: times the largest natural drop of any other genre).
DROP_FRACTIONS = (0.45, 0.35, 0.25)
DROP_MARGIN = 1.25
# The planted drops go to genres drawn from this many genres with the most fans.
DROP_GENRE_CANDIDATES = 5
MAX_WATCH_SECONDS = 3600.0


@dataclass(frozen=True)
class SpotlightPlan:
    """The feed experiment's treatment: extra activity for treated users inside the window;
    ``treated_effects`` (one per treated user, default 1) scales the share by the user's arm."""

    treated_user_ids: np.ndarray
    start: dt.date
    end: dt.date  # inclusive
    extra_activity_share: float
    treated_effects: np.ndarray | None = None


@dataclass
class FeedData:
    users: pd.DataFrame
    videos: pd.DataFrame
    interactions: pd.DataFrame
    truth: dict


def feed_sizes(scale: float, months: int = 12) -> tuple[int, int, int]:
    """Users, videos and target interactions at a scale factor; interactions keep SF1's monthly
    density (1,000,000 over twelve months) over any span."""
    return (
        scaled(SF1_FEED_USERS, scale, 600),
        scaled(SF1_VIDEOS, scale, 300),
        scaled(SF1_INTERACTIONS * months // 12, scale, 15_000 * months // 12),
    )


def generate_feed(
    rng: np.random.Generator,
    scale: float,
    spotlight: SpotlightPlan | None = None,
    profile: GeneratorProfile = DEFAULT_PROFILE,
    user_ids: np.ndarray | None = None,
    video_ids: np.ndarray | None = None,
) -> FeedData:
    """Feed files for a profile; ids default to 1, 2, 3, ... (the writer draws them from the profile)."""
    window = Window(dt.datetime.combine(profile.start_month, dt.time()), profile.months)
    window_seconds = window.seconds
    n_users, n_videos, n_target = feed_sizes(scale, profile.months)
    user_ids = np.arange(1, n_users + 1, dtype=np.int64) if user_ids is None else user_ids
    video_ids = np.arange(1, n_videos + 1, dtype=np.int64) if video_ids is None else video_ids
    if (len(user_ids), len(video_ids)) != (n_users, n_videos):
        raise ValueError(f"expected {n_users} user and {n_videos} video ids")

    # Users: preferred genre, heavy-tailed activity, a stable watch-time factor, cold starts.
    user_genre = rng.choice(len(GENRES), size=n_users, p=GENRE_WEIGHTS / GENRE_WEIGHTS.sum())
    activity = rng.lognormal(0.0, 1.1, size=n_users)
    cold = rng.random(n_users) < profile.cold_start_share
    activity[cold] = 0.0
    user_factor = rng.lognormal(0.0, 0.4, size=n_users)
    counts = rng.poisson(n_target * activity / activity.sum())

    # Videos: genre, upload date, heavy-tailed popularity; fresh uploads get little exposure.
    video_genre = rng.choice(len(GENRES), size=n_videos, p=GENRE_WEIGHTS / GENRE_WEIGHTS.sum())
    upload_seconds = rng.integers(-180 * SECONDS_PER_DAY, window_seconds - 30 * SECONDS_PER_DAY, size=n_videos)
    fresh = rng.random(n_videos) < FRESH_UPLOAD_SHARE
    upload_seconds[fresh] = rng.integers(
        window_seconds - FRESH_DAYS * SECONDS_PER_DAY, window_seconds - SECONDS_PER_DAY, size=int(fresh.sum())
    )
    upload_seconds = upload_seconds // SECONDS_PER_DAY * SECONDS_PER_DAY  # upload dates are whole days
    popularity = rng.pareto(1.3, size=n_videos) + 0.05
    popularity[fresh] *= 0.02
    video_quality = np.exp(0.08 * np.log(popularity / np.median(popularity)) + rng.normal(0.0, 0.15, n_videos))

    # Series: small same-genre groups of videos that are watched together.
    n_series = max(6, n_videos // 200)
    series_of_video = np.full(n_videos, -1)
    series: list[list[int]] = []
    members_by_series: list[np.ndarray] = []
    candidates = rng.permutation(np.flatnonzero(~fresh))
    cursor = 0
    for series_index in range(n_series):
        size = int(rng.integers(3, 6))
        members = candidates[cursor : cursor + size]
        cursor += size
        video_genre[members] = video_genre[members[0]]
        upload_seconds[members] = upload_seconds[members[0]]
        series_of_video[members] = series_index
        series.append(sorted(int(video_ids[m]) for m in members))
        members_by_series.append(np.sort(members))

    # Interactions: mostly the preferred genre, otherwise any genre, by popularity within genre.
    user_index = np.repeat(np.arange(n_users), counts)
    n = len(user_index)
    own_genre = rng.random(n) < PREFERRED_GENRE_PROBABILITY
    genre = np.where(
        own_genre, user_genre[user_index], rng.choice(len(GENRES), size=n, p=GENRE_WEIGHTS / GENRE_WEIGHTS.sum())
    )
    video_index = np.empty(n, dtype=np.int64)
    for g in range(len(GENRES)):
        in_genre = np.flatnonzero(video_genre == g)
        rows = np.flatnonzero(genre == g)
        cumulative = np.cumsum(popularity[in_genre])
        picks = np.searchsorted(cumulative, rng.random(len(rows)) * cumulative[-1])
        video_index[rows] = in_genre[np.minimum(picks, len(in_genre) - 1)]

    # Series follow-ups: the same user watches the other episodes soon after.
    in_series = np.flatnonzero(series_of_video[video_index] >= 0)
    follows = in_series[rng.random(len(in_series)) < SERIES_FOLLOW_PROBABILITY]
    extra_users, extra_videos, extra_offsets = [], [], []
    for row in follows:
        members = members_by_series[series_of_video[video_index[row]]]
        others = members[members != video_index[row]]
        extra_users.append(np.full(len(others), user_index[row]))
        extra_videos.append(others)
        extra_offsets.append(np.full(len(others), row))
    if extra_users:
        follow_user = np.concatenate(extra_users)
        follow_video = np.concatenate(extra_videos)
        follow_parent = np.concatenate(extra_offsets)
    else:
        follow_user = follow_video = follow_parent = np.empty(0, dtype=np.int64)

    # Click times: uniform between the upload (or window start) and the window end.
    earliest = np.maximum(upload_seconds[video_index], 0)
    click = earliest + (rng.random(n) * (window_seconds - earliest)).astype(np.int64)
    follow_click = np.minimum(
        click[follow_parent] + rng.integers(60, 3 * SECONDS_PER_DAY, len(follow_parent)), window_seconds - 1
    )
    follow_click = np.maximum(follow_click, upload_seconds[follow_video])

    user_index = np.concatenate([user_index, follow_user])
    video_index = np.concatenate([video_index, follow_video])
    click = np.concatenate([click, follow_click])

    # Planted drop: drivers stop watching their genre in the last calendar month. Month-to-month fan
    # watch time swings a lot on its own (viral uploads), so each planted genre's drop against the
    # previous month is set above the largest natural drop of any other genre, and the three planted
    # drops are spaced apart: the top three drops are the planted genres, in a known order.
    last_month_start = window.seconds_of(window.month_start(-1))
    prev_month_start = window.seconds_of(window.month_start(-2))
    is_fan = video_genre[video_index] == user_genre[user_index]
    in_last_month = click >= last_month_start
    in_prev_month = (click >= prev_month_start) & (click < last_month_start)
    genre_sizes = np.bincount(user_genre, minlength=len(GENRES))
    largest = np.argsort(-genre_sizes)[:DROP_GENRE_CANDIDATES]
    drop_genres = [int(g) for g in rng.choice(largest, size=len(DROP_FRACTIONS), replace=False)]
    keep = np.ones(len(click), dtype=bool)
    drop_drivers: dict[str, list[int]] = {}
    removed_seconds: dict[str, float] = {}
    type_index = rng.choice(len(INTERACTION_TYPES), size=len(click), p=INTERACTION_TYPE_WEIGHTS)
    watch = (
        GENRE_BASE_SECONDS[video_genre[video_index]]
        * np.where(is_fan, GENRE_MATCH_FACTOR, 1.0)
        * user_factor[user_index]
        * INTERACTION_TYPE_FACTOR[type_index]
        * video_quality[video_index]
        * rng.lognormal(0.0, 0.5, size=len(click))
    )
    watch = np.round(np.minimum(watch, MAX_WATCH_SECONDS), 3)
    fan_genre = video_genre[video_index]
    last_total = np.bincount(fan_genre[is_fan & in_last_month], watch[is_fan & in_last_month], len(GENRES))
    prev_total = np.bincount(fan_genre[is_fan & in_prev_month], watch[is_fan & in_prev_month], len(GENRES))
    natural_drop = prev_total - last_total
    others = [g for g in range(len(GENRES)) if g not in drop_genres]
    # Candidate drivers per genre, heavier fans first (more likely drivers, so the drop is carried by
    # identifiable users); drawn in the planted order so the random stream stays the same.
    candidates: dict[int, tuple[np.ndarray, pd.Series]] = {}
    for g in drop_genres:
        rows = np.flatnonzero(is_fan & in_last_month & (fan_genre == g))
        per_user = pd.Series(watch[rows]).groupby(user_index[rows]).sum()
        order = rng.permutation(per_user.index.to_numpy())
        weights = per_user.loc[order].to_numpy()
        order = order[np.argsort(-(weights * rng.uniform(0.5, 1.5, len(weights))), kind="stable")]
        candidates[g] = (rows, per_user.loc[order])
    # The smallest planted drop first: each one is a margin above the one below it.
    drop_target = DROP_MARGIN * max(0.0, natural_drop[others].max())
    for g, fraction in reversed(list(zip(drop_genres, DROP_FRACTIONS, strict=True))):
        drop_target = max(fraction * prev_total[g], DROP_MARGIN * drop_target)
        rows, ordered = candidates[g]
        target = min(drop_target - natural_drop[g], ordered.sum())
        chosen, total = [], 0.0
        for u, seconds in ordered.items():
            if total >= target:
                break
            chosen.append(u)
            total += seconds
        drivers = np.array(chosen, dtype=np.int64)
        keep[rows[np.isin(user_index[rows], drivers)]] = False
        drop_drivers[GENRES[g]] = sorted(int(user_ids[u]) for u in drivers)
        removed_seconds[GENRES[g]] = float(total)
        drop_target = natural_drop[g] + total
    planted_drop = {GENRES[g]: float(natural_drop[g] + removed_seconds[GENRES[g]]) for g in drop_genres}

    user_index, video_index, click = user_index[keep], video_index[keep], click[keep]
    type_index, watch, is_fan = type_index[keep], watch[keep], is_fan[keep]

    # Spotlight treatment: treated users repeat some in-window activity on other in-window days.
    if spotlight is not None:
        start_s, end_s = window.seconds_of(spotlight.start), window.seconds_of(spotlight.end) + SECONDS_PER_DAY
        treated = np.isin(user_ids[user_index], spotlight.treated_user_ids)
        rows = np.flatnonzero(treated & (click >= start_s) & (click < end_s))
        share = spotlight.extra_activity_share
        if spotlight.treated_effects is not None:
            effect_of = pd.Series(spotlight.treated_effects, index=spotlight.treated_user_ids)
            share = share * effect_of.loc[user_ids[user_index[rows]]].to_numpy()
        chosen = rows[rng.random(len(rows)) < share]
        new_click = start_s + rng.integers(0, end_s - start_s, len(chosen))
        new_click = np.maximum(new_click, upload_seconds[video_index[chosen]])
        user_index = np.concatenate([user_index, user_index[chosen]])
        video_index = np.concatenate([video_index, video_index[chosen]])
        click = np.concatenate([click, new_click])
        type_index = np.concatenate([type_index, type_index[chosen]])
        watch = np.concatenate([watch, watch[chosen]])

    order = np.argsort(click, kind="stable")
    user_index, video_index, click, type_index, watch = (
        user_index[order],
        video_index[order],
        click[order],
        type_index[order],
        watch[order],
    )
    shares = np.where(type_index == INTERACTION_TYPES.index("share"), 1 + rng.poisson(0.6, len(click)), 0)

    interactions = pd.DataFrame(
        {
            "interaction_id": np.arange(1, len(click) + 1, dtype=np.int64),
            "user_id": user_ids[user_index],
            "video_id": video_ids[video_index],
            "watch_time": watch,
            "first_click_timestamp": window.timestamps(click),
            "interaction_type": np.array(INTERACTION_TYPES)[type_index],
            "shares": shares.astype(np.int32),
        }
    )

    last_active = interactions.groupby("user_id")["first_click_timestamp"].max().dt.normalize()
    users = pd.DataFrame(
        {
            "user_id": user_ids,
            "preferred_genre": np.array(GENRES)[user_genre],
        }
    )
    users["last_active"] = users["user_id"].map(last_active)
    upload_dates = np.datetime64(window.start.date()) + (upload_seconds // SECONDS_PER_DAY).astype("timedelta64[D]")
    videos = pd.DataFrame(
        {
            "video_id": video_ids,
            "genre": np.array(GENRES)[video_genre],
            "upload_date": upload_dates,
        }
    )

    truth = {
        "analysis_month": window.month_start(-1).date().isoformat(),
        "drop_genres": sorted(planted_drop, key=lambda genre: -planted_drop[genre]),
        "drop_seconds": planted_drop,
        "drop_removed_seconds": removed_seconds,
        "drop_drivers": drop_drivers,
        "series": series,
        "cold_start_user_ids": [int(u) for u in user_ids[cold]],
        "fresh_video_ids": [int(v) for v in video_ids[fresh]],
        "fresh_days": FRESH_DAYS,
        "watch_time_model": {
            "genre_base_seconds": dict(zip(GENRES, GENRE_BASE_SECONDS.tolist(), strict=True)),
            "genre_match_factor": GENRE_MATCH_FACTOR,
            "interaction_type_factor": dict(zip(INTERACTION_TYPES, INTERACTION_TYPE_FACTOR.tolist(), strict=True)),
            "user_factor_sigma": 0.4,
            "noise_sigma": 0.5,
        },
    }
    return FeedData(users=users, videos=videos, interactions=interactions, truth=truth)
