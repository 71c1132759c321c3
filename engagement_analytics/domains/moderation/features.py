"""Features of a claims video built from the staged columns (stg_moderation__claims_videos)."""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNT_COLUMNS = ["view_count", "like_count", "share_count", "download_count", "comment_count"]
RATE_COLUMNS = ["like_count", "share_count", "download_count", "comment_count"]
BAN_LEVELS = ["under review", "banned"]  # reference level: active


def engagement_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Likes, shares, downloads and comments per view (a video with no views counts as one view)."""
    views = frame["view_count"].astype("float64").clip(lower=1)
    return pd.DataFrame(
        {
            f"{column.removesuffix('_count')}s_per_view": frame[column].astype("float64") / views
            for column in RATE_COLUMNS
        },
        index=frame.index,
    )


def ban_indicators(frame: pd.DataFrame) -> pd.DataFrame:
    """One 0/1 column per non-reference author_ban_status level (active is the reference)."""
    return pd.DataFrame(
        {
            f"author_{level.replace(' ', '_')}": (frame["author_ban_status"] == level).astype("float64")
            for level in BAN_LEVELS
        },
        index=frame.index,
    )


def log_counts(frame: pd.DataFrame, columns: list[str] = COUNT_COLUMNS) -> pd.DataFrame:
    """log(1 + count) for each count column, named log_<count>."""
    return pd.DataFrame(
        {f"log_{column}": np.log1p(frame[column].astype("float64")) for column in columns}, index=frame.index
    )


def transcription_opener(text: pd.Series, words: int = 2) -> pd.Series:
    """The first `words` whitespace-separated words of each transcription, lower-cased ('' when null)."""
    return text.fillna("").str.lower().str.split().str[:words].str.join(" ")


def variance_inflation_factors(design: pd.DataFrame) -> pd.Series:
    """VIF of each column: the diagonal of the inverse correlation matrix (1 = no collinearity).

    A column that does not vary (every author active, say) has no VIF (NaN) and is left out of
    the others'; with fewer than two rows no column varies."""
    values = design.to_numpy(dtype="float64")
    varies = (np.ptp(values, axis=0) > 0) if len(values) > 1 else np.zeros(design.shape[1], dtype=bool)
    vif = np.full(design.shape[1], np.nan)
    if varies.any():
        correlation = np.atleast_2d(np.corrcoef(values[:, varies], rowvar=False))
        vif[varies] = np.diag(np.linalg.pinv(correlation))
    return pd.Series(vif, index=design.columns)
