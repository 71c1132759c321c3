"""Generator profiles: the conventions a raw export can follow, so tests do not fit one shape.

A profile is a frozen dataclass passed down to every domain's generator. It varies what real
exports vary and the contract allows: the ids (ranges, gaps, ids above 2**53), the experiments
(which run, variant names, number of arms, planned splits, an ``arms`` column), landmark
coordinate units and count, the expression vocabulary, the time span and its start month, and
the share of users with no history. ``default`` reproduces the embedded default data exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np

# Ids moved "high" land above 2**53, where float64 can no longer hold every integer.
HIGH_ID_OFFSET = 2**53
# A control and at least one treatment; planned shares must sum to 1 within SHARE_TOLERANCE.
MIN_ARMS = 2
SHARE_TOLERANCE = 1e-9
# The planted genre drop compares two months; a face needs this many landmarks to plant anomalies;
# cold-start users leave at least a tenth of feed users active.
MIN_MONTHS = 2
MIN_LANDMARKS = 20
MAX_COLD_START_SHARE = 0.9


@dataclass(frozen=True)
class IdRange:
    """How an entity's ids are drawn: from ``start`` upwards with random gaps of 1..``max_step``,
    and a ``high_share`` of them moved above 2**53 (still within BIGINT)."""

    start: int = 1
    max_step: int = 1
    high_share: float = 0.0

    @property
    def is_dense(self) -> bool:
        return self.max_step == 1 and self.high_share == 0.0

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` distinct ids; a dense range (1, 2, 3, ...) draws nothing from ``rng``."""
        if self.is_dense:
            return np.arange(self.start, self.start + n, dtype=np.int64)
        if self.start < 1 or self.start + n * self.max_step >= HIGH_ID_OFFSET:
            raise ValueError(
                f"ids from {self.start} with gaps up to {self.max_step} must stay in 1..2**53 "
                "before the high ones are moved above it"
            )
        steps = rng.integers(1, self.max_step + 1, n).astype(np.int64)
        ids = self.start + np.cumsum(steps) - steps[0]
        high = rng.random(n) < self.high_share
        ids[high] += HIGH_ID_OFFSET
        return ids


@dataclass(frozen=True)
class Arm:
    """One variant of an experiment: its name, planned share of assigned users, and the share of
    the planted treatment effect it carries (1 = the full effect, 0 = none; ignored for control)."""

    name: str
    planned_share: float
    effect: float = 1.0


@dataclass(frozen=True)
class ExperimentDesign:
    """The arms of one experiment, control first; ``declare_arms`` writes them into the optional
    ``arms`` column of experiments.csv (``control:0.5|blue:0.3|green:0.2``). ``unknown_variant``
    names a variant the experiment does not have, given to a few assignments as a guardrail
    breach; it only makes sense where the arms are declared (otherwise any variant other than
    control is a treatment arm)."""

    arms: tuple[Arm, ...]
    declare_arms: bool = False
    unknown_variant: str | None = None

    def __post_init__(self) -> None:
        names = [arm.name for arm in self.arms]
        if len(self.arms) < MIN_ARMS or len(set(names)) != len(names):
            raise ValueError(f"an experiment needs a control and at least one treatment arm, distinct: {names}")
        if abs(sum(arm.planned_share for arm in self.arms) - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"planned shares must sum to 1: {self.arms}")
        if self.unknown_variant is not None and self.unknown_variant.strip().lower() in {
            name.strip().lower() for name in names
        }:
            raise ValueError(f"the unknown variant {self.unknown_variant!r} is one of the arms")

    @property
    def control(self) -> Arm:
        return self.arms[0]

    @property
    def treatments(self) -> tuple[Arm, ...]:
        return self.arms[1:]

    @property
    def treatment_share(self) -> float:
        return round(float(sum(arm.planned_share for arm in self.treatments)), 12)

    def arms_column(self) -> str:
        """The ``arms`` value: ``variant:planned_share`` pairs separated by ``|``, control first."""
        return "|".join(f"{arm.name}:{arm.planned_share:g}" for arm in self.arms)


TWO_ARMS = ExperimentDesign((Arm("control", 0.5), Arm("treatment", 0.5)))
# The default data's design: two arms, declared, and a misspelt variant among the assignments.
DEFAULT_DESIGN = ExperimentDesign(TWO_ARMS.arms, declare_arms=True, unknown_variant="treatmnet")


@dataclass(frozen=True)
class CoordinateUnit:
    """Landmark coordinates as written: ``value = normalised * scale + offset`` per axis, from
    the generator's normalised frame (x, y in 0..1, z in -1..1). ``frame`` is the box a tracked
    point stays inside in that unit (None where the unit has no frame, e.g. metres)."""

    name: str
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    frame: dict[str, tuple[float, float]] | None = None

    @property
    def is_identity(self) -> bool:
        return self.scale == (1.0, 1.0, 1.0) and self.offset == (0.0, 0.0, 0.0)


NORMALISED = CoordinateUnit("normalised", frame={"x": (0.0, 1.0), "y": (0.0, 1.0), "z": (-1.0, 1.0)})
# A 1920x1080 camera image; z in pixels of the image width (as MediaPipe scales it).
PIXELS = CoordinateUnit(
    "pixels", scale=(1920.0, 1080.0, 1920.0), frame={"x": (0.0, 1920.0), "y": (0.0, 1080.0), "z": (-1920.0, 1920.0)}
)
# Metres around the face anchor (ARKit-like): centred at 0, y up, a face about 0.15 m across.
METRES = CoordinateUnit("metres", scale=(0.3, -0.3, 0.3), offset=(-0.15, 0.15, 0.0))

DEFAULT_EXPRESSION_LABELS = ("neutral", "smile", "laugh", "surprise", "frown", "wink")


@dataclass(frozen=True)
class GeneratorProfile:
    """Every convention the generator varies; the defaults are the embedded default data's."""

    name: str = "default"
    description: str = "our own conventions: dense ids from 1, 12 months from 2025-10, normalised landmarks"
    # Time span: ``months`` calendar months from ``start_month`` (a first of the month).
    start_month: dt.date = dt.date(2025, 10, 1)
    months: int = 12
    # Ids (feed and face users are separate id spaces; interactions have their own ids).
    feed_user_ids: IdRange = IdRange()
    video_ids: IdRange = IdRange()
    interaction_ids: IdRange = IdRange()
    face_user_ids: IdRange = IdRange()
    # Experiments (None: the experiment is not in the files).
    spotlight: ExperimentDesign | None = DEFAULT_DESIGN
    animoji: ExperimentDesign | None = DEFAULT_DESIGN
    # Landmarks: unit, points per capture, captures per user (Poisson mean).
    coordinate_unit: CoordinateUnit = NORMALISED
    landmarks: int = 68
    captures_per_user: int = 24
    # The labels written for the six expression kinds the profiles mix, in the order
    # neutral, smile, laugh, surprise, frown, wink.
    expression_labels: tuple[str, ...] = DEFAULT_EXPRESSION_LABELS
    # Share of feed users with no interactions at all.
    cold_start_share: float = 0.06

    def __post_init__(self) -> None:
        if self.start_month.day != 1:
            raise ValueError(f"start_month must be the first of a month: {self.start_month}")
        if self.months < MIN_MONTHS:
            raise ValueError("the planted genre drop compares two months: months >= 2")
        if len(self.expression_labels) != len(DEFAULT_EXPRESSION_LABELS) or len(set(self.expression_labels)) != len(
            DEFAULT_EXPRESSION_LABELS
        ):
            raise ValueError("expression_labels names the six expression kinds, each once")
        if self.landmarks < MIN_LANDMARKS:
            raise ValueError(f"a face needs at least {MIN_LANDMARKS} landmarks")
        if not 0.0 <= self.cold_start_share < MAX_COLD_START_SHARE:
            raise ValueError(f"cold_start_share must be in 0..{MAX_COLD_START_SHARE}")

    def describe(self) -> dict:
        """The profile as plain JSON values (recorded in truth.json)."""
        values = asdict(self)
        for key in ("spotlight", "animoji"):
            design = getattr(self, key)
            values[key] = (
                None
                if design is None
                else {
                    "arms": [asdict(arm) for arm in design.arms],
                    "declare_arms": design.declare_arms,
                    "arms_column": design.arms_column() if design.declare_arms else None,
                    "unknown_variant": design.unknown_variant,
                }
            )
        values["start_month"] = self.start_month.isoformat()
        values["coordinate_unit"] = {
            "name": self.coordinate_unit.name,
            "scale": list(self.coordinate_unit.scale),
            "offset": list(self.coordinate_unit.offset),
            "frame": self.coordinate_unit.frame,
        }
        values["expression_labels"] = list(self.expression_labels)
        return values


DEFAULT_PROFILE = GeneratorProfile()

PROFILES: dict[str, GeneratorProfile] = {
    "default": DEFAULT_PROFILE,
    "foreign_ids_pixels": GeneratorProfile(
        name="foreign_ids_pixels",
        description="another platform's export: big sparse ids (some above 2**53), face ids from another "
        "range, landmarks in pixels, variants named baseline/blue/green and A/B with declared "
        "unequal splits",
        start_month=dt.date(2024, 3, 1),
        feed_user_ids=IdRange(start=10**12, max_step=1_000, high_share=0.2),
        video_ids=IdRange(start=7 * 10**15, max_step=50_000, high_share=0.3),
        interaction_ids=IdRange(start=10**14, max_step=7, high_share=0.1),
        face_user_ids=IdRange(start=4_000_000_000, max_step=97, high_share=0.1),
        spotlight=ExperimentDesign(
            (Arm("baseline", 0.5), Arm("blue", 0.3), Arm("green", 0.2, effect=0.0)),
            declare_arms=True,
            unknown_variant="bleu",
        ),
        animoji=ExperimentDesign((Arm("A", 0.6), Arm("B", 0.4)), declare_arms=True, unknown_variant="C"),
        coordinate_unit=PIXELS,
    ),
    "short_span_metres": GeneratorProfile(
        name="short_span_metres",
        description="two months of data from 2027-01, one experiment (face, variants baseline/variant_2, no "
        "arms column), landmarks in metres around the face anchor, an emotion classifier's labels",
        start_month=dt.date(2027, 1, 1),
        months=2,
        feed_user_ids=IdRange(start=500, max_step=3),
        face_user_ids=IdRange(start=90_000, max_step=2),
        spotlight=None,
        animoji=ExperimentDesign((Arm("baseline", 0.5), Arm("variant_2", 0.5))),
        coordinate_unit=METRES,
        expression_labels=("neutral", "happy", "disgusted", "surprised", "sad", "angry"),
    ),
    "long_span_cold": GeneratorProfile(
        name="long_span_cold",
        description="36 months from 2023-05, 40% of feed users with no history, 468 landmarks per capture "
        "(MediaPipe-like), a mix of known and unknown expression labels, Spotlight arms "
        "holdout/trending_v2 declared, Animoji undeclared (its arms cell left empty)",
        start_month=dt.date(2023, 5, 1),
        months=36,
        # 40% cold users dilute the Spotlight effect: two arms keep it detectable at the floors.
        spotlight=ExperimentDesign(
            (Arm("holdout", 0.5), Arm("trending_v2", 0.5)), declare_arms=True, unknown_variant="trending_v3"
        ),
        animoji=TWO_ARMS,
        landmarks=468,
        captures_per_user=8,
        expression_labels=("neutral", "smile", "laugh", "surprised", "sad", "blink"),
        cold_start_share=0.4,
    ),
}


def get_profile(name: str) -> GeneratorProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown generator profile {name!r}; known: {', '.join(PROFILES)}") from None
