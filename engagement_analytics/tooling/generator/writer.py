"""Writes every raw-data contract file and ``truth.json`` into one folder."""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from engagement_analytics.tooling.generator.claims import write_claims
from engagement_analytics.tooling.generator.common import rng_for, write_csv, write_parquet
from engagement_analytics.tooling.generator.experiments import ARMS_COLUMN, EXPERIMENTS_HEADER, plan_experiments
from engagement_analytics.tooling.generator.face import face_user_count, generate_face
from engagement_analytics.tooling.generator.feed import feed_sizes, generate_feed
from engagement_analytics.tooling.generator.profiles import DEFAULT_PROFILE, GeneratorProfile, get_profile

# File name -> contract column types (CSV files are described by their header).
CONTRACT_FILES: dict[str, dict[str, str]] = {
    "users.parquet": {"user_id": "bigint", "preferred_genre": "varchar", "last_active": "date"},
    "videos.parquet": {"video_id": "bigint", "genre": "varchar", "upload_date": "date"},
    "interactions.parquet": {
        "interaction_id": "bigint",
        "user_id": "bigint",
        "video_id": "bigint",
        "watch_time": "double",
        "first_click_timestamp": "timestamp",
        "interaction_type": "varchar",
        "shares": "integer",
    },
    "claims_videos.csv": {},
    "user_facial_data.parquet": {
        "user_id": "bigint",
        "captured_at": "timestamp",
        "landmark_id": "integer",
        "x": "double",
        "y": "double",
        "z": "double",
    },
    "user_expressions.parquet": {
        "user_id": "bigint",
        "recorded_at": "timestamp",
        "expression_type": "varchar",
        "expression_strength": "double",
    },
    "product_interactions.parquet": {
        "user_id": "bigint",
        "started_at": "timestamp",
        "product": "varchar",
        "interaction_time": "double",
    },
    "experiments.csv": {},
    "experiment_assignments.parquet": {
        "experiment_id": "varchar",
        "user_id": "bigint",
        "variant": "varchar",
        "assigned_at": "timestamp",
    },
}
TRUTH_FILE = "truth.json"


def generate(
    scale: float, seed: int, out: Path, progress: bool = True, profile: GeneratorProfile | str = DEFAULT_PROFILE
) -> dict:
    """Generate every contract file at a scale factor (1 = SF1) into ``out`` following a profile
    (a GeneratorProfile or the name of one in PROFILES); returns the truth."""
    profile = get_profile(profile) if isinstance(profile, str) else profile
    out.mkdir(parents=True, exist_ok=True)
    steps = tqdm(total=7, desc=f"generate SF{scale:g}", unit="step", disable=not progress)
    row_counts: dict[str, int] = {}

    # Ids come from their own random streams: a dense range (the default) draws nothing.
    n_users, n_videos, _ = feed_sizes(scale, profile.months)
    feed_user_ids = profile.feed_user_ids.draw(rng_for(seed, "feed_user_ids"), n_users)
    video_ids = profile.video_ids.draw(rng_for(seed, "video_ids"), n_videos)
    face_user_ids = profile.face_user_ids.draw(rng_for(seed, "face_user_ids"), face_user_count(scale))
    plan = plan_experiments(rng_for(seed, "experiments"), feed_user_ids, face_user_ids, profile)
    steps.update()

    feed = generate_feed(rng_for(seed, "feed"), scale, plan.spotlight, profile, feed_user_ids, video_ids)
    if not profile.interaction_ids.is_dense:
        feed.interactions["interaction_id"] = profile.interaction_ids.draw(
            rng_for(seed, "interaction_ids"), len(feed.interactions)
        )
    steps.update()
    for name, frame in (
        ("users.parquet", feed.users),
        ("videos.parquet", feed.videos),
        ("interactions.parquet", feed.interactions),
    ):
        row_counts[name] = write_parquet(frame, out / name, CONTRACT_FILES[name])
    steps.update()

    face = generate_face(rng_for(seed, "face"), scale, plan.animoji, profile, face_user_ids)
    steps.update()
    for name, frame in (
        ("user_facial_data.parquet", face.landmarks),
        ("user_expressions.parquet", face.expressions),
        ("product_interactions.parquet", face.product_interactions),
    ):
        row_counts[name] = write_parquet(frame, out / name, CONTRACT_FILES[name])
    steps.update()

    claims_truth = write_claims(rng_for(seed, "claims"), scale, out / "claims_videos.csv")
    row_counts["claims_videos.csv"] = claims_truth["rows"]
    # The arms column is written only when an experiment declares its arms (empty for the others).
    header = EXPERIMENTS_HEADER + ([ARMS_COLUMN] if any(e[ARMS_COLUMN] for e in plan.experiments) else [])
    row_counts["experiments.csv"] = write_csv(
        header, ([e[c] for c in header] for e in plan.experiments), out / "experiments.csv"
    )
    row_counts["experiment_assignments.parquet"] = write_parquet(
        plan.assignments, out / "experiment_assignments.parquet", CONTRACT_FILES["experiment_assignments.parquet"]
    )
    steps.update()

    truth = {
        "scale": scale,
        "seed": seed,
        "profile": profile.describe(),
        "row_counts": row_counts,
        "feed": feed.truth,
        "face": face.truth,
        "claims": claims_truth,
        "experiments": plan.truth,
    }
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=1, default=str))
    steps.update()
    steps.close()
    return truth
