"""Moderation domain: a synthetic file in the layout of the published TikTok claims dataset.

Like the real file, the transcription opener and the view count give the label away, about
1.5% of rows have no label and no counts, and text holds commas, doubled quotes and
backslash-escaped apostrophes. Verified accounts post opinions more often and get fewer views.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engagement_analytics.tooling.generator.common import SF1_CLAIMS, scaled, write_csv

CLAIMS_HEADER = [
    "#",
    "claim_status",
    "video_id",
    "video_duration_sec",
    "video_transcription_text",
    "verified_status",
    "author_ban_status",
    "video_view_count",
    "video_like_count",
    "video_share_count",
    "video_download_count",
    "video_comment_count",
]
CLAIM_OPENERS = [
    "someone shared with me that",
    "someone learned that",
    "someone read in the media that",
    "someone told me that",
    "someone discovered on the news that",
]
OPINION_OPENERS = [
    "i think that",
    "i believe that",
    "my colleagues feel that",
    "my friends are willing to wager that",
    "i'm of the opinion that",
]
TOPICS = [
    'the moon\'s surface has "footprints" that will last for millions of years',
    "octopuses have three hearts, blue blood and nine brains",
    "the eiffel tower can be 15 cm taller during the summer",
    "a day on venus is longer than a year on venus",
    "honey never spoils, even after thousands of years",
    "bananas are berries, but strawberries aren\\'t",
    "the longest recorded flight of a chicken is 13 seconds",
    "there are more trees on earth than stars in the milky way",
]
BAN_STATUSES = ["active", "under review", "banned"]
MISSING_SHARE = 0.015
# Planted structure (also written to truth.json): verified authors post opinions more often, their
# claims get half the views, and every opinion has fewer views than OPINION_MAX_VIEWS.
VERIFIED_PROBABILITY = {"claim": 0.03, "opinion": 0.095}
VERIFIED_CLAIM_VIEW_FACTOR = 0.5
OPINION_MAX_VIEWS = 10_000
# Share of videos labelled claim (the published dataset is about half and half).
CLAIM_SHARE = 0.5


def write_claims(rng: np.random.Generator, scale: float, path: Path) -> dict:
    n = scaled(SF1_CLAIMS, scale, 2_000)
    is_claim = rng.random(n) < CLAIM_SHARE
    verified = rng.random(n) < np.where(is_claim, VERIFIED_PROBABILITY["claim"], VERIFIED_PROBABILITY["opinion"])
    ban = np.where(is_claim, rng.choice(3, n, p=[0.65, 0.20, 0.15]), rng.choice(3, n, p=[0.90, 0.07, 0.03]))
    views = np.where(is_claim, rng.integers(5_000, 1_000_000, n), rng.integers(20, OPINION_MAX_VIEWS, n))
    views = np.where(verified & is_claim, (views * VERIFIED_CLAIM_VIEW_FACTOR).astype(np.int64), views)
    likes = (views * rng.beta(2, 6, n)).astype(np.int64)
    shares = (likes * rng.beta(1.2, 6, n)).astype(np.int64)
    downloads = (shares * rng.beta(1.2, 10, n)).astype(np.int64)
    comments = (downloads * rng.beta(1.2, 4, n)).astype(np.int64)
    duration = rng.integers(5, 61, n)
    video_ids = 1_000_000_000 + np.sort(rng.choice(8_999_999_999, size=n, replace=False))
    video_ids = rng.permutation(video_ids)
    missing = rng.random(n) < MISSING_SHARE

    def rows():
        for i in range(n):
            opener = rng.choice(CLAIM_OPENERS if is_claim[i] else OPINION_OPENERS)
            text = f"{opener} {rng.choice(TOPICS)}"
            if missing[i]:
                yield [
                    i + 1,
                    None,
                    int(video_ids[i]),
                    int(duration[i]),
                    None,
                    "verified" if verified[i] else "not verified",
                    BAN_STATUSES[ban[i]],
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
                continue
            yield [
                i + 1,
                "claim" if is_claim[i] else "opinion",
                int(video_ids[i]),
                int(duration[i]),
                text,
                "verified" if verified[i] else "not verified",
                BAN_STATUSES[ban[i]],
                int(views[i]),
                int(likes[i]),
                int(shares[i]),
                int(downloads[i]),
                int(comments[i]),
            ]

    write_csv(CLAIMS_HEADER, rows(), path)
    return {
        "rows": int(n),
        "rows_missing_label": int(missing.sum()),
        "claims": int((is_claim & ~missing).sum()),
        "opinions": int((~is_claim & ~missing).sum()),
        "verified_probability": VERIFIED_PROBABILITY,
        "verified_claim_view_factor": VERIFIED_CLAIM_VIEW_FACTOR,
        "opinion_max_views": OPINION_MAX_VIEWS,
        "transcription_openers": {"claim": CLAIM_OPENERS, "opinion": OPINION_OPENERS},
    }
