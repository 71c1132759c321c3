"""Face domain: landmark captures (68 points by default), expressions and FaceID/Animoji product
interactions.

Planted (recorded in the truth file under ``face``):
- sensor anomalies in landmark captures (``anomalies``: user_id, captured_at, kind), of four
  kinds: ``deviation`` (the face is distorted), ``missing_landmarks`` (points dropped),
  ``duplicate_capture`` (a frozen sensor repeats an earlier capture's points exactly) and
  ``out_of_range`` (points thrown far off the face: outside the normalised frame, x, y in 0..1,
  z in -1..1, before the profile's coordinate unit is applied);
- expression profiles (``profiles``: user_id -> profile name) tied to product preference, over
  six expression kinds written with the profile's labels (``expression_labels``);
- daily interaction time with weekly seasonality and a per-product trend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engagement_analytics.tooling.generator.common import SECONDS_PER_DAY, SF1_FACE_USERS, Window, scaled
from engagement_analytics.tooling.generator.profiles import DEFAULT_EXPRESSION_LABELS, DEFAULT_PROFILE, GeneratorProfile

N_LANDMARKS = 68
# The six expression kinds the profiles mix, named as the default data writes them.
EXPRESSION_TYPES = list(DEFAULT_EXPRESSION_LABELS)
PRODUCTS = ["FaceID", "Animoji"]

# Expression profiles: share of each expression type, strength Beta(a, b), and product mix.
PROFILES = {
    "frequent_strong_smiles": {"mix": [0.15, 0.45, 0.25, 0.05, 0.02, 0.08], "beta": (6.0, 2.0), "animoji_share": 0.8},
    "mostly_neutral_subtle": {"mix": [0.70, 0.10, 0.03, 0.05, 0.10, 0.02], "beta": (2.0, 6.0), "animoji_share": 0.15},
    "surprised_and_winking": {"mix": [0.15, 0.10, 0.05, 0.35, 0.05, 0.30], "beta": (4.0, 3.0), "animoji_share": 0.65},
    "frowning_focused": {"mix": [0.35, 0.05, 0.02, 0.08, 0.48, 0.02], "beta": (3.0, 3.0), "animoji_share": 0.25},
}
ANOMALY_KINDS = ["deviation", "missing_landmarks", "duplicate_capture", "out_of_range"]
ANOMALY_SHARE = 0.02
WEEKEND_FACTOR = 1.35
# date.weekday() of Saturday: days from here on are the weekend.
SATURDAY = 5
# Weekly growth of interaction time per product: Animoji grows, FaceID slowly declines.
WEEKLY_TREND = {"FaceID": -0.004, "Animoji": 0.008}


@dataclass(frozen=True)
class AnimojiPlan:
    """The face experiment's treatment: longer Animoji sessions and steadier landmarks in the window;
    ``treated_effects`` (one per treated user, default 1) scales both effects by the user's arm."""

    treated_user_ids: np.ndarray
    start: dt.date
    end: dt.date  # inclusive
    animoji_time_factor: float
    jitter_factor: float
    treated_effects: np.ndarray | None = None

    def factors(self) -> dict[int, tuple[float, float]]:
        """Treated user id -> (Animoji time factor, jitter factor) for the user's arm."""
        effects = np.ones(len(self.treated_user_ids)) if self.treated_effects is None else self.treated_effects
        return {
            int(u): (scaled_factor(self.animoji_time_factor, e), scaled_factor(self.jitter_factor, e))
            for u, e in zip(self.treated_user_ids, effects, strict=True)
        }


def scaled_factor(factor: float, effect: float) -> float:
    """A multiplicative effect carried at ``effect`` of its strength (1 = all of it, 0 = none)."""
    return factor if effect == 1.0 else 1.0 + (factor - 1.0) * effect


def _scaled_count(count: int, landmarks: int) -> int:
    """A number of points out of 68 as the same share of ``landmarks`` points."""
    return count if landmarks == N_LANDMARKS else max(1, round(count * landmarks / N_LANDMARKS))


@dataclass
class FaceData:
    landmarks: pd.DataFrame
    expressions: pd.DataFrame
    product_interactions: pd.DataFrame
    truth: dict


def face_user_count(scale: float) -> int:
    return scaled(SF1_FACE_USERS, scale, 400)


def _template(rng: np.random.Generator, landmarks: int = N_LANDMARKS) -> np.ndarray:
    """A generic face of ``landmarks`` points in the normalised frame (x, y in 0..1, z in -1..1)."""
    angles = np.linspace(0, 2 * np.pi, landmarks, endpoint=False)
    radius = 0.25 + 0.05 * np.sin(3 * angles)
    points = np.column_stack(
        [0.5 + radius * np.cos(angles), 0.5 + 1.2 * radius * np.sin(angles), 0.1 * np.cos(2 * angles)]
    )
    return points + rng.normal(0, 0.01, points.shape)


def generate_face(
    rng: np.random.Generator,
    scale: float,
    animoji: AnimojiPlan | None = None,
    profile: GeneratorProfile = DEFAULT_PROFILE,
    user_ids: np.ndarray | None = None,
) -> FaceData:
    """Face files for a profile; user ids default to 1, 2, 3, ... (the writer draws them from the profile)."""
    period = Window(dt.datetime.combine(profile.start_month, dt.time()), profile.months)
    n_landmarks, labels, unit = profile.landmarks, profile.expression_labels, profile.coordinate_unit
    n_users = face_user_count(scale)
    user_ids = np.arange(1, n_users + 1, dtype=np.int64) if user_ids is None else user_ids
    if len(user_ids) != n_users:
        raise ValueError(f"expected {n_users} face user ids")
    profile_names = list(PROFILES)
    profile_of_user = rng.integers(0, len(profile_names), n_users)
    template = _template(rng, n_landmarks)
    treated = animoji.factors() if animoji else {}
    if animoji:
        window = (period.seconds_of(animoji.start), period.seconds_of(animoji.end) + SECONDS_PER_DAY)

    # Landmarks: each user has a stable shape and a personal level of sensor noise.
    landmark_frames, anomalies = [], []
    for u in range(n_users):
        shape = template + rng.normal(0, 0.015, template.shape)
        noise = rng.uniform(0.002, 0.006)
        n_captures = max(4, int(rng.poisson(profile.captures_per_user)))
        seconds = np.sort(rng.choice(period.seconds, size=n_captures, replace=False))
        points = shape[None, :, :] + rng.normal(0, 1, (n_captures, n_landmarks, 3)) * noise
        if int(user_ids[u]) in treated:
            in_window = (seconds >= window[0]) & (seconds < window[1])
            points[in_window] = shape + (points[in_window] - shape) * treated[int(user_ids[u])][1]
        keep_mask = np.ones((n_captures, n_landmarks), dtype=bool)
        for c in np.flatnonzero(rng.random(n_captures) < ANOMALY_SHARE):
            kind = ANOMALY_KINDS[int(rng.integers(0, len(ANOMALY_KINDS)))]
            if kind == "duplicate_capture" and c == 0:
                kind = "deviation"
            if kind == "deviation":
                points[c] = shape + rng.normal(0, 1, (n_landmarks, 3)) * noise * 12 + rng.normal(0, 0.03, 3)
            elif kind == "missing_landmarks":
                dropped = _scaled_count(int(rng.integers(10, 35)), n_landmarks)
                keep_mask[c, rng.choice(n_landmarks, size=dropped, replace=False)] = False
            elif kind == "duplicate_capture":
                points[c] = points[c - 1]
                keep_mask[c] = keep_mask[c - 1]
            else:
                thrown = _scaled_count(int(rng.integers(3, 12)), n_landmarks)
                points[c, rng.choice(n_landmarks, size=thrown, replace=False), 0] += 1.2
            anomalies.append((int(user_ids[u]), int(seconds[c]), kind))
        capture_index, landmark_index = np.nonzero(keep_mask)
        landmark_frames.append(
            pd.DataFrame(
                {
                    "user_id": user_ids[u],
                    "seconds": seconds[capture_index],
                    "landmark_id": landmark_index.astype(np.int32),
                    "x": points[capture_index, landmark_index, 0],
                    "y": points[capture_index, landmark_index, 1],
                    "z": points[capture_index, landmark_index, 2],
                }
            )
        )
    landmarks = pd.concat(landmark_frames, ignore_index=True)
    landmarks.insert(1, "captured_at", period.timestamps(landmarks.pop("seconds").to_numpy()))
    if not unit.is_identity:
        for axis, scale_by, shift in zip("xyz", unit.scale, unit.offset, strict=True):
            landmarks[axis] = landmarks[axis] * scale_by + shift

    # Expressions: counts and strengths follow the user's profile.
    expression_frames = []
    for u in range(n_users):
        expression_profile = PROFILES[profile_names[profile_of_user[u]]]
        n_records = int(rng.integers(20, 60))
        seconds = rng.choice(period.seconds, size=n_records, replace=False)
        expression_frames.append(
            pd.DataFrame(
                {
                    "user_id": user_ids[u],
                    "seconds": seconds,
                    "expression_type": np.array(labels)[
                        rng.choice(len(EXPRESSION_TYPES), n_records, p=expression_profile["mix"])
                    ],
                    "expression_strength": np.round(rng.beta(*expression_profile["beta"], n_records), 4),
                }
            )
        )
    expressions = pd.concat(expression_frames, ignore_index=True)
    expressions.insert(1, "recorded_at", period.timestamps(expressions.pop("seconds").to_numpy()))

    # Product interactions: sessions per day with weekly seasonality and a per-product trend.
    day = np.arange(period.days)
    weekday = (day + period.start.weekday()) % 7
    season = np.where(weekday >= SATURDAY, WEEKEND_FACTOR, 1.0)
    session_frames = []
    for u in range(n_users):
        expression_profile = PROFILES[profile_names[profile_of_user[u]]]
        level = rng.lognormal(0.0, 0.5)
        for product in PRODUCTS:
            animoji_share = expression_profile["animoji_share"]
            share = animoji_share if product == "Animoji" else 1 - animoji_share
            trend = np.exp(WEEKLY_TREND[product] * day / 7)
            rate = 1.6 * share * level * season * trend
            sessions = rng.poisson(rate)
            session_day = np.repeat(day, sessions)
            if len(session_day) == 0:
                continue
            seconds = session_day * SECONDS_PER_DAY + rng.integers(6 * 3600, 23 * 3600, len(session_day))
            duration = rng.lognormal(np.log(40 if product == "Animoji" else 4), 0.4, len(session_day))
            if product == "Animoji" and int(user_ids[u]) in treated:
                duration[(seconds >= window[0]) & (seconds < window[1])] *= treated[int(user_ids[u])][0]
            session_frames.append(
                pd.DataFrame(
                    {
                        "user_id": user_ids[u],
                        "seconds": seconds,
                        "product": product,
                        "interaction_time": np.round(duration, 3),
                    }
                )
            )
    product_interactions = pd.concat(session_frames, ignore_index=True)
    product_interactions = product_interactions.drop_duplicates(["user_id", "seconds", "product"])
    product_interactions.insert(1, "started_at", period.timestamps(product_interactions.pop("seconds").to_numpy()))

    truth = {
        "profiles": {int(user_ids[u]): profile_names[profile_of_user[u]] for u in range(n_users)},
        "profile_definitions": PROFILES,
        # The labels the expression file uses for the kinds each profile's ``mix`` is over.
        "expression_labels": dict(zip(EXPRESSION_TYPES, labels, strict=True)),
        "anomalies": [
            {"user_id": u, "captured_at": str(period.timestamps(np.array([s]))[0]).replace("T", " "), "kind": k}
            for u, s, k in anomalies
        ],
        "landmarks_per_capture": n_landmarks,
        "coordinate_unit": unit.name,
        # The box a tracked point stays inside, in the file's unit (null: the unit has no frame).
        "coordinate_range": None if unit.frame is None else {axis: list(bounds) for axis, bounds in unit.frame.items()},
        "weekend_factor": WEEKEND_FACTOR,
        "weekly_trend": WEEKLY_TREND,
    }
    return FaceData(
        landmarks=landmarks, expressions=expressions, product_interactions=product_interactions, truth=truth
    )
