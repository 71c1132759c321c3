"""Shared pieces of the data generator: the time window, seeding and file writers."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# The default data covers twelve calendar months: 2025-10-01 up to (not including) 2026-10-01.
WINDOW_START = dt.datetime(2025, 10, 1)
WINDOW_END = dt.datetime(2026, 10, 1)
WINDOW_SECONDS = int((WINDOW_END - WINDOW_START).total_seconds())
SECONDS_PER_DAY = 86_400


def add_months(day: dt.datetime, months: int) -> dt.datetime:
    """The same day ``months`` calendar months later (or earlier), clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Window:
    """The generated period: ``months`` calendar months from ``start`` (midnight, a first of the month).
    Times inside the generator are whole seconds since ``start``."""

    start: dt.datetime
    months: int

    @property
    def end(self) -> dt.datetime:
        return add_months(self.start, self.months)

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def days(self) -> int:
        return self.seconds // SECONDS_PER_DAY

    def month_start(self, index: int) -> dt.datetime:
        """The first of the ``index``-th month of the window (0 = the first; negative counts back)."""
        return add_months(self.start, index if index >= 0 else self.months + index)

    def seconds_of(self, moment: dt.datetime | dt.date) -> int:
        """Seconds from the window start to ``moment`` (a date means its midnight)."""
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time())
        return int((moment - self.start).total_seconds())

    def timestamps(self, seconds_since_start: np.ndarray) -> np.ndarray:
        return to_timestamps(seconds_since_start, self.start)


DEFAULT_WINDOW = Window(WINDOW_START, 12)

# Scale factor 1 (SF1): the sizes the README documents for the generated data.
SF1_FEED_USERS = 50_000
SF1_VIDEOS = 20_000
SF1_INTERACTIONS = 1_000_000
SF1_FACE_USERS = 5_000
SF1_CLAIMS = 19_382


def scaled(count_at_sf1: int, scale: float, minimum: int) -> int:
    """Size of an entity at a scale factor, never below a floor that keeps the marts meaningful."""
    return max(minimum, round(count_at_sf1 * scale))


def rng_for(seed: int, domain: str) -> np.random.Generator:
    """An independent random stream per domain, so one domain's sizes never shift another's draws."""
    domain_key = sum((i + 1) * ord(c) for i, c in enumerate(domain))
    return np.random.default_rng(np.random.SeedSequence([seed, domain_key]))


def to_timestamps(seconds_since_start: np.ndarray, start: dt.datetime = WINDOW_START) -> np.ndarray:
    """Seconds since ``start`` (the default window's start) as datetime64[us] values (whole seconds)."""
    base = np.datetime64(start, "s")
    return (base + seconds_since_start.astype("int64").astype("timedelta64[s]")).astype("datetime64[us]")


def write_parquet(frame: pd.DataFrame, path: Path, column_types: dict[str, str]) -> int:
    """Write a frame to Parquet with the exact column types of the raw-data contract."""
    casts = ", ".join(f'cast("{name}" as {sql_type}) as "{name}"' for name, sql_type in column_types.items())
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        con.execute(f"copy (select {casts} from frame) to '{path.as_posix()}' (format parquet, compression zstd)")
    finally:
        con.close()
    return len(frame)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]], path: Path) -> int:
    """Write a CSV with minimal quoting (quotes doubled inside quoted fields), like the published files."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count
