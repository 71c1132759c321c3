"""Experiments over both surfaces: the experiment registry and user assignments.

Planted (recorded in the truth file under ``experiments``):
- ``spotlight_trending_genres`` (feed): a clean 50/50 split and a real treatment effect (treated
  users repeat part of their in-window activity);
- ``animoji_enhanced_mapping`` (face): a planned 50/50 split with a sample-ratio mismatch (a
  share of treatment assignments is lost) and a smaller effect (longer Animoji sessions,
  steadier landmarks);
- guardrail breaches to quarantine: users assigned to two variants, assignments outside the
  experiment window, and an unknown variant name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .face import AnimojiPlan
from .feed import SpotlightPlan

EXPERIMENTS_HEADER = ["experiment_id", "surface", "start_date", "end_date", "control_variant", "treatment_share"]
SPOTLIGHT = {"experiment_id": "spotlight_trending_genres", "surface": "feed", "start_date": dt.date(2026, 6, 1),
             "end_date": dt.date(2026, 6, 28), "control_variant": "control", "treatment_share": 0.5}
ANIMOJI = {"experiment_id": "animoji_enhanced_mapping", "surface": "face", "start_date": dt.date(2026, 8, 3),
           "end_date": dt.date(2026, 8, 30), "control_variant": "control", "treatment_share": 0.5}
SPOTLIGHT_EXTRA_ACTIVITY = 0.35
ANIMOJI_TIME_FACTOR = 1.15
ANIMOJI_JITTER_FACTOR = 0.8
ANIMOJI_LOST_TREATMENT_SHARE = 0.4
GUARDRAIL_CASES_PER_KIND = 3
UNKNOWN_VARIANT = "treatmnet"


@dataclass
class ExperimentPlan:
    experiments: list[dict]
    assignments: pd.DataFrame
    spotlight: SpotlightPlan
    animoji: AnimojiPlan
    truth: dict


def _assign(rng: np.random.Generator, experiment: dict, user_ids: np.ndarray, share_assigned: float,
            lost_treatment_share: float = 0.0) -> pd.DataFrame:
    chosen = np.sort(rng.choice(user_ids, size=int(len(user_ids) * share_assigned), replace=False))
    treated = rng.random(len(chosen)) < experiment["treatment_share"]
    lost = treated & (rng.random(len(chosen)) < lost_treatment_share)
    chosen, treated = chosen[~lost], treated[~lost]
    start = np.datetime64(experiment["start_date"], "s")
    assigned_at = (start + rng.integers(0, 3 * 86_400, len(chosen)).astype("timedelta64[s]")).astype("datetime64[us]")
    return pd.DataFrame({
        "experiment_id": experiment["experiment_id"],
        "user_id": chosen.astype(np.int64),
        "variant": np.where(treated, "treatment", experiment["control_variant"]),
        "assigned_at": assigned_at,
    })


def _plant_guardrail_breaches(rng: np.random.Generator, frame: pd.DataFrame,
                              experiment: dict) -> tuple[pd.DataFrame, dict]:
    picks = rng.choice(len(frame), size=3 * GUARDRAIL_CASES_PER_KIND, replace=False)
    double, outside, unknown = np.split(picks, 3)
    second = frame.iloc[double].copy()
    second["variant"] = np.where(second["variant"] == "treatment", experiment["control_variant"], "treatment")
    frame = frame.copy()
    late = np.datetime64(experiment["end_date"] + dt.timedelta(days=2), "us")
    frame.loc[frame.index[outside], "assigned_at"] = late
    frame.loc[frame.index[unknown], "variant"] = UNKNOWN_VARIANT
    breaches = {
        "assigned_to_two_variants": sorted(int(u) for u in second["user_id"]),
        "assigned_outside_window": sorted(int(u) for u in frame["user_id"].iloc[outside]),
        "unknown_variant": sorted(int(u) for u in frame["user_id"].iloc[unknown]),
    }
    return pd.concat([frame, second], ignore_index=True), breaches


def plan_experiments(rng: np.random.Generator, feed_user_ids: np.ndarray, face_user_ids: np.ndarray) -> ExperimentPlan:
    spotlight = _assign(rng, SPOTLIGHT, feed_user_ids, share_assigned=0.8)
    animoji = _assign(rng, ANIMOJI, face_user_ids, share_assigned=0.9,
                      lost_treatment_share=ANIMOJI_LOST_TREATMENT_SHARE)
    spotlight_treated = spotlight.loc[spotlight["variant"] == "treatment", "user_id"].to_numpy()
    animoji_treated = animoji.loc[animoji["variant"] == "treatment", "user_id"].to_numpy()
    spotlight, spotlight_breaches = _plant_guardrail_breaches(rng, spotlight, SPOTLIGHT)
    animoji, animoji_breaches = _plant_guardrail_breaches(rng, animoji, ANIMOJI)
    assignments = pd.concat([spotlight, animoji], ignore_index=True)
    truth = {
        SPOTLIGHT["experiment_id"]: {
            "has_effect": True, "has_srm": False, "extra_activity_share": SPOTLIGHT_EXTRA_ACTIVITY,
            "guardrail_breaches": spotlight_breaches,
        },
        ANIMOJI["experiment_id"]: {
            "has_effect": True, "has_srm": True, "lost_treatment_share": ANIMOJI_LOST_TREATMENT_SHARE,
            "animoji_time_factor": ANIMOJI_TIME_FACTOR, "jitter_factor": ANIMOJI_JITTER_FACTOR,
            "guardrail_breaches": animoji_breaches,
        },
    }
    return ExperimentPlan(
        experiments=[SPOTLIGHT, ANIMOJI],
        assignments=assignments,
        spotlight=SpotlightPlan(spotlight_treated, SPOTLIGHT["start_date"], SPOTLIGHT["end_date"],
                                SPOTLIGHT_EXTRA_ACTIVITY),
        animoji=AnimojiPlan(animoji_treated, ANIMOJI["start_date"], ANIMOJI["end_date"],
                            ANIMOJI_TIME_FACTOR, ANIMOJI_JITTER_FACTOR),
        truth=truth,
    )
