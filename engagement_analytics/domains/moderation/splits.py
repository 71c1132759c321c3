"""Seeded train/held-out splits that work on any number of rows.

A stratified split keeps each class's share in both parts, but needs at least two rows of each
class and a held-out part with room for every class. Other people's files can be tiny or hold
one class only, so a split falls back step by step instead of failing: stratified when the data
allow it, otherwise a plain seeded shuffle, and with too few rows for a held-out part at all
(fewer than two) every row stays in the first part."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

# A held-out part needs at least one row beside one kept row.
MIN_ROWS_TO_SPLIT = 2


def seeded_split(
    positions: np.ndarray, held_out_share: float, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held_out) positions: stratified on ``labels`` when possible, else unstratified, else
    (under two rows) everything kept. Same seed and rows, same split."""
    positions = np.asarray(positions)
    if len(positions) < MIN_ROWS_TO_SPLIT:
        return positions, positions[:0]
    if labels is not None:
        try:
            kept, held_out = train_test_split(positions, test_size=held_out_share, random_state=seed, stratify=labels)
            return np.asarray(kept), np.asarray(held_out)
        except ValueError:  # a class with one row, or a held-out part smaller than the classes
            pass
    kept, held_out = train_test_split(positions, test_size=held_out_share, random_state=seed)
    return np.asarray(kept), np.asarray(held_out)
