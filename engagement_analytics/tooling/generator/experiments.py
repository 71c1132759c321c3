"""Experiments over both surfaces: the experiment registry and user assignments.

Planted (recorded in the truth file under ``experiments``, keyed by experiment id):
- ``spotlight_trending_genres`` (feed): a clean split and a real treatment effect (treated users
  repeat part of their in-window activity);
- ``animoji_enhanced_mapping`` (face): a split with a sample-ratio mismatch (a share of treatment
  assignments is lost) and a smaller effect (longer Animoji sessions, steadier landmarks);
- guardrail breaches to quarantine: users assigned to two variants, assignments outside the
  experiment window, and (where the profile names one) a variant the experiment does not have.

The profile decides which experiments run, their arms (names, planned shares, how much of the
effect each treatment arm carries) and whether experiments.csv declares them in its ``arms``
column. Each experiment lasts 28 days (14 where a short span leaves no room) and starts on a
Monday with a full pre-period of the same length inside the data: Spotlight in the fourth month
from the end and before the two months the planted genre drop compares, Animoji in the month
before the last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engagement_analytics.tooling.generator.common import Window
from engagement_analytics.tooling.generator.face import AnimojiPlan
from engagement_analytics.tooling.generator.feed import SpotlightPlan
from engagement_analytics.tooling.generator.profiles import DEFAULT_PROFILE, ExperimentDesign, GeneratorProfile

EXPERIMENTS_HEADER = ["experiment_id", "surface", "start_date", "end_date", "control_variant", "treatment_share"]
# Optional column declaring the arms: ``variant:planned_share`` pairs separated by ``|``.
ARMS_COLUMN = "arms"
SPOTLIGHT_ID, ANIMOJI_ID = "spotlight_trending_genres", "animoji_enhanced_mapping"
EXPERIMENT_DAYS = 28
SHORT_EXPERIMENT_DAYS = 14
SPOTLIGHT_EXTRA_ACTIVITY = 0.35
ANIMOJI_TIME_FACTOR = 1.15
ANIMOJI_JITTER_FACTOR = 0.8
ANIMOJI_LOST_TREATMENT_SHARE = 0.4
GUARDRAIL_CASES_PER_KIND = 3


@dataclass
class ExperimentPlan:
    experiments: list[dict]
    assignments: pd.DataFrame
    spotlight: SpotlightPlan | None
    animoji: AnimojiPlan | None
    truth: dict


def experiment_dates(window: Window, month_index: int, latest_end: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last day of an experiment placed in a month of the window: the first Monday on or
    after that month's start that leaves a full pre-period of the same length inside the window,
    lasting 28 days, or 14 when 28 would run past ``latest_end``."""
    for days in (EXPERIMENT_DAYS, SHORT_EXPERIMENT_DAYS):
        earliest = max(window.month_start(max(month_index, 0)), window.start + dt.timedelta(days=days))
        start = earliest + dt.timedelta(days=(7 - earliest.weekday()) % 7)
        if start + dt.timedelta(days=days) <= latest_end:
            return start.date(), (start + dt.timedelta(days=days - 1)).date()
    raise ValueError(
        f"no room for an experiment and its pre-period in {window.months} months "
        f"from {window.start.date()} before {latest_end.date()}"
    )


def _registry_row(experiment_id: str, surface: str, dates: tuple[dt.date, dt.date], design: ExperimentDesign) -> dict:
    return {
        "experiment_id": experiment_id,
        "surface": surface,
        "start_date": dates[0],
        "end_date": dates[1],
        "control_variant": design.control.name,
        "treatment_share": design.treatment_share,
        ARMS_COLUMN: design.arms_column() if design.declare_arms else None,
    }


def _assign(
    rng: np.random.Generator,
    experiment: dict,
    design: ExperimentDesign,
    user_ids: np.ndarray,
    share_assigned: float,
    lost_treatment_share: float = 0.0,
) -> pd.DataFrame:
    chosen = np.sort(rng.choice(user_ids, size=int(len(user_ids) * share_assigned), replace=False))
    # One uniform draw per user: below the treatment share it is treated, and the treatment arms
    # split that interval by their planned shares.
    draw = rng.random(len(chosen))
    treated = draw < design.treatment_share
    lost = treated & (rng.random(len(chosen)) < lost_treatment_share)
    chosen, treated, draw = chosen[~lost], treated[~lost], draw[~lost]
    bounds = np.cumsum([arm.planned_share for arm in design.treatments])
    arm_names = np.array([arm.name for arm in design.treatments])
    arm = arm_names[np.minimum(np.searchsorted(bounds, draw, side="right"), len(arm_names) - 1)]
    start = np.datetime64(experiment["start_date"], "s")
    assigned_at = (start + rng.integers(0, 3 * 86_400, len(chosen)).astype("timedelta64[s]")).astype("datetime64[us]")
    return pd.DataFrame(
        {
            "experiment_id": experiment["experiment_id"],
            "user_id": chosen.astype(np.int64),
            "variant": np.where(treated, arm, design.control.name),
            "assigned_at": assigned_at,
        }
    )


def _plant_guardrail_breaches(
    rng: np.random.Generator, frame: pd.DataFrame, experiment: dict, design: ExperimentDesign
) -> tuple[pd.DataFrame, dict]:
    kinds = 3 if design.unknown_variant else 2
    picks = rng.choice(len(frame), size=kinds * GUARDRAIL_CASES_PER_KIND, replace=False)
    double, outside, *unknown = np.split(picks, kinds)
    second = frame.iloc[double].copy()
    control, first_treatment = design.control.name, design.treatments[0].name
    second["variant"] = np.where(second["variant"] == control, first_treatment, control)
    frame = frame.copy()
    late = np.datetime64(experiment["end_date"] + dt.timedelta(days=2), "us")
    frame.loc[frame.index[outside], "assigned_at"] = late
    breaches = {
        "assigned_to_two_variants": sorted(int(u) for u in second["user_id"]),
        "assigned_outside_window": sorted(int(u) for u in frame["user_id"].iloc[outside]),
    }
    if unknown:
        frame.loc[frame.index[unknown[0]], "variant"] = design.unknown_variant
        breaches["unknown_variant"] = sorted(int(u) for u in frame["user_id"].iloc[unknown[0]])
    return pd.concat([frame, second], ignore_index=True), breaches


def _arms_truth(design: ExperimentDesign, planted_lifts: dict[str, float]) -> dict:
    """Per arm: planned share and, for treatment arms, the effect carried and the planted relative
    lift of each metric (0 for control)."""
    arms = {}
    for arm in design.arms:
        is_control = arm is design.control
        arms[arm.name] = {
            "is_control": is_control,
            "planned_share": arm.planned_share,
            "effect": 0.0 if is_control else arm.effect,
            "has_effect": not is_control and arm.effect > 0,
            "planted_lift_rel": {
                metric: 0.0 if is_control else lift * arm.effect for metric, lift in planted_lifts.items()
            },
        }
    return arms


def _treated(frame: pd.DataFrame, design: ExperimentDesign) -> tuple[np.ndarray, np.ndarray | None]:
    """Treated user ids and, where any arm carries less than the full effect, each one's effect."""
    rows = frame[frame["variant"] != design.control.name]
    if all(arm.effect == 1.0 for arm in design.treatments):
        return rows["user_id"].to_numpy(), None
    effect = {arm.name: arm.effect for arm in design.treatments}
    return rows["user_id"].to_numpy(), rows["variant"].map(effect).to_numpy(dtype=float)


def plan_experiments(
    rng: np.random.Generator,
    feed_user_ids: np.ndarray,
    face_user_ids: np.ndarray,
    profile: GeneratorProfile = DEFAULT_PROFILE,
) -> ExperimentPlan:
    window = Window(dt.datetime.combine(profile.start_month, dt.time()), profile.months)
    experiments, frames, truth = [], [], {}
    spotlight_plan = animoji_plan = None
    spotlight = animoji = None
    if profile.spotlight is not None:
        # Before the two months the planted genre drop compares, so the extra activity leaves it alone.
        dates = experiment_dates(window, profile.months - 4, window.month_start(-2))
        spotlight = _registry_row(SPOTLIGHT_ID, "feed", dates, profile.spotlight)
        spotlight_frame = _assign(rng, spotlight, profile.spotlight, feed_user_ids, share_assigned=0.8)
    if profile.animoji is not None:
        dates = experiment_dates(window, profile.months - 2, window.end)
        animoji = _registry_row(ANIMOJI_ID, "face", dates, profile.animoji)
        animoji_frame = _assign(
            rng,
            animoji,
            profile.animoji,
            face_user_ids,
            share_assigned=0.9,
            lost_treatment_share=ANIMOJI_LOST_TREATMENT_SHARE,
        )
    if spotlight is not None:
        treated, effects = _treated(spotlight_frame, profile.spotlight)
        spotlight_plan = SpotlightPlan(
            treated, spotlight["start_date"], spotlight["end_date"], SPOTLIGHT_EXTRA_ACTIVITY, effects
        )
    if animoji is not None:
        treated, effects = _treated(animoji_frame, profile.animoji)
        animoji_plan = AnimojiPlan(
            treated, animoji["start_date"], animoji["end_date"], ANIMOJI_TIME_FACTOR, ANIMOJI_JITTER_FACTOR, effects
        )
    if spotlight is not None:
        spotlight_frame, breaches = _plant_guardrail_breaches(rng, spotlight_frame, spotlight, profile.spotlight)
        experiments.append(spotlight)
        frames.append(spotlight_frame)
        truth[SPOTLIGHT_ID] = {
            **_registry_truth(spotlight, profile.spotlight),
            "has_effect": True,
            "has_srm": False,
            "extra_activity_share": SPOTLIGHT_EXTRA_ACTIVITY,
            "primary_metric": "active_days",
            # Treated users repeat this share of their in-window interactions: watch time and
            # shares grow by it (active days by less: repeats can fall on days already active).
            "arms": _arms_truth(
                profile.spotlight, {"watch_time_seconds": SPOTLIGHT_EXTRA_ACTIVITY, "shares": SPOTLIGHT_EXTRA_ACTIVITY}
            ),
            "guardrail_breaches": breaches,
        }
    if animoji is not None:
        animoji_frame, breaches = _plant_guardrail_breaches(rng, animoji_frame, animoji, profile.animoji)
        experiments.append(animoji)
        frames.append(animoji_frame)
        truth[ANIMOJI_ID] = {
            **_registry_truth(animoji, profile.animoji),
            "has_effect": True,
            "has_srm": True,
            "lost_treatment_share": ANIMOJI_LOST_TREATMENT_SHARE,
            "animoji_time_factor": ANIMOJI_TIME_FACTOR,
            "jitter_factor": ANIMOJI_JITTER_FACTOR,
            "primary_metric": "animoji_seconds",
            # Animoji session time grows by the time factor; landmark jitter (a mean squared
            # distance) shrinks by the square of the jitter factor.
            "arms": _arms_truth(
                profile.animoji,
                {"animoji_seconds": ANIMOJI_TIME_FACTOR - 1, "landmark_jitter": ANIMOJI_JITTER_FACTOR**2 - 1},
            ),
            "guardrail_breaches": breaches,
        }
    assignments = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            {
                "experiment_id": pd.Series(dtype=object),
                "user_id": pd.Series(dtype=np.int64),
                "variant": pd.Series(dtype=object),
                "assigned_at": pd.Series(dtype="datetime64[us]"),
            }
        )
    )
    return ExperimentPlan(
        experiments=experiments, assignments=assignments, spotlight=spotlight_plan, animoji=animoji_plan, truth=truth
    )


def _registry_truth(experiment: dict, design: ExperimentDesign) -> dict:
    return {
        "surface": experiment["surface"],
        "start_date": experiment["start_date"].isoformat(),
        "end_date": experiment["end_date"].isoformat(),
        "control_variant": design.control.name,
        "treatment_share": design.treatment_share,
        "arms_declared": design.declare_arms,
    }
