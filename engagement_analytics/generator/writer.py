"""Writes every raw-data contract file and ``truth.json`` into one folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .claims import write_claims
from .common import SF1_FEED_USERS, rng_for, scaled, write_csv, write_parquet
from .experiments import EXPERIMENTS_HEADER, plan_experiments
from .face import face_user_count, generate_face
from .feed import generate_feed

# File name -> contract column types (CSV files are described by their header).
CONTRACT_FILES: dict[str, dict[str, str]] = {
    "users.parquet": {"user_id": "bigint", "preferred_genre": "varchar", "last_active": "date"},
    "videos.parquet": {"video_id": "bigint", "genre": "varchar", "upload_date": "date"},
    "interactions.parquet": {
        "interaction_id": "bigint", "user_id": "bigint", "video_id": "bigint", "watch_time": "double",
        "first_click_timestamp": "timestamp", "interaction_type": "varchar", "shares": "integer",
    },
    "claims_videos.csv": {},
    "user_facial_data.parquet": {
        "user_id": "bigint", "captured_at": "timestamp", "landmark_id": "integer",
        "x": "double", "y": "double", "z": "double",
    },
    "user_expressions.parquet": {
        "user_id": "bigint", "recorded_at": "timestamp", "expression_type": "varchar",
        "expression_strength": "double",
    },
    "product_interactions.parquet": {
        "user_id": "bigint", "started_at": "timestamp", "product": "varchar", "interaction_time": "double",
    },
    "experiments.csv": {},
    "experiment_assignments.parquet": {
        "experiment_id": "varchar", "user_id": "bigint", "variant": "varchar", "assigned_at": "timestamp",
    },
}
TRUTH_FILE = "truth.json"


def generate(scale: float, seed: int, out: Path, progress: bool = True) -> dict:
    """Generate every contract file at a scale factor (1 = SF1) into ``out``; returns the truth."""
    out.mkdir(parents=True, exist_ok=True)
    steps = tqdm(total=7, desc=f"generate SF{scale:g}", unit="step", disable=not progress)
    row_counts: dict[str, int] = {}

    feed_user_ids = np.arange(1, scaled(SF1_FEED_USERS, scale, 600) + 1, dtype=np.int64)
    face_user_ids = np.arange(1, face_user_count(scale) + 1, dtype=np.int64)
    plan = plan_experiments(rng_for(seed, "experiments"), feed_user_ids, face_user_ids)
    steps.update()

    feed = generate_feed(rng_for(seed, "feed"), scale, plan.spotlight)
    steps.update()
    for name, frame in (("users.parquet", feed.users), ("videos.parquet", feed.videos),
                        ("interactions.parquet", feed.interactions)):
        row_counts[name] = write_parquet(frame, out / name, CONTRACT_FILES[name])
    steps.update()

    face = generate_face(rng_for(seed, "face"), scale, plan.animoji)
    steps.update()
    for name, frame in (("user_facial_data.parquet", face.landmarks), ("user_expressions.parquet", face.expressions),
                        ("product_interactions.parquet", face.product_interactions)):
        row_counts[name] = write_parquet(frame, out / name, CONTRACT_FILES[name])
    steps.update()

    claims_truth = write_claims(rng_for(seed, "claims"), scale, out / "claims_videos.csv")
    row_counts["claims_videos.csv"] = claims_truth["rows"]
    row_counts["experiments.csv"] = write_csv(
        EXPERIMENTS_HEADER, ([e[c] for c in EXPERIMENTS_HEADER] for e in plan.experiments), out / "experiments.csv")
    row_counts["experiment_assignments.parquet"] = write_parquet(
        plan.assignments, out / "experiment_assignments.parquet", CONTRACT_FILES["experiment_assignments.parquet"])
    steps.update()

    truth = {
        "scale": scale, "seed": seed, "row_counts": row_counts,
        "feed": feed.truth, "face": face.truth, "claims": claims_truth, "experiments": plan.truth,
    }
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=1, default=str))
    steps.update()
    steps.close()
    return truth
