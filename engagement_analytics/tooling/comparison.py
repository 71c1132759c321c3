"""Comparing the published tables of two warehouses row for row.

Used wherever two builds must agree: a refactor that may not change any mart, an incremental
build against a full refresh, another engine against DuckDB. Rows are compared as multisets:
each table is sorted by every column (text and integers as they are, floats rounded to a few
significant digits for the sort only), then compared position by position, floats within a
relative tolerance. Parallel sums make the last bits of a float differ from build to build, so
exact equality of doubles is never asked for.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

DEFAULT_SCHEMA = "marts"
DEFAULT_REL_TOL = 1e-9
# Significant digits a float keeps for sorting and for checksums: far coarser than the tolerance
# of the comparison, far finer than any figure a mart publishes.
SORT_DIGITS = 9


@dataclass(frozen=True)
class TableDifference:
    """Why one table differs between two warehouses."""

    table: str
    detail: str

    def __str__(self) -> str:
        return f"{self.table}: {self.detail}"


def table_names(con: duckdb.DuckDBPyConnection, schema: str = DEFAULT_SCHEMA) -> list[str]:
    """Tables and views of a schema, by name."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def _round_significant(values: pd.Series, digits: int = SORT_DIGITS) -> pd.Series:
    """Floats rounded to ``digits`` significant digits (NaN and infinities kept)."""
    array = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.where(np.isfinite(array) & (array != 0), np.floor(np.log10(np.abs(array))), 0)
        scale = 10.0 ** (digits - 1 - magnitude)
        rounded = np.where(np.isfinite(array), np.round(array * scale) / scale, array)
    return pd.Series(rounded, index=values.index)


def _is_float(series: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(series.dtype)


def canonical_frame(con: duckdb.DuckDBPyConnection, table: str, schema: str = DEFAULT_SCHEMA) -> pd.DataFrame:
    """A table's rows in a canonical order: sorted by every column, floats by a rounded copy."""
    frame = con.execute(f'select * from "{schema}"."{table}"').df()
    if frame.empty:
        return frame
    keys = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if _is_float(values):
            keys[column] = _round_significant(values)
        elif (
            pd.api.types.is_bool_dtype(values.dtype)
            or pd.api.types.is_numeric_dtype(values.dtype)
            or pd.api.types.is_datetime64_any_dtype(values.dtype)
        ):
            keys[column] = values
        else:
            keys[column] = values.map(
                lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else repr(v)
            )
    order = keys.sort_values(list(keys.columns), na_position="last", kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def _plain(value: object) -> object:
    """A NumPy scalar as the Python value it holds, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _compare_frames(table: str, left: pd.DataFrame, right: pd.DataFrame, rel_tol: float) -> list[TableDifference]:
    if list(left.columns) != list(right.columns):
        return [TableDifference(table, f"columns differ: {list(left.columns)} vs {list(right.columns)}")]
    if len(left) != len(right):
        return [TableDifference(table, f"{len(left)} rows vs {len(right)}")]
    differences = []
    for column in left.columns:
        a, b = left[column], right[column]
        if _is_float(a) or _is_float(b):
            x = a.to_numpy(dtype="float64", na_value=np.nan)
            y = b.to_numpy(dtype="float64", na_value=np.nan)
            both_nan = np.isnan(x) & np.isnan(y)
            with np.errstate(invalid="ignore"):
                close = np.isclose(x, y, rtol=rel_tol, atol=0.0) | both_nan | (x == y)
            bad = np.flatnonzero(~close)
        else:
            equal = (a == b) | (a.isna() & b.isna())
            bad = np.flatnonzero(~equal.to_numpy(dtype=bool))
        if len(bad):
            row = int(bad[0])
            differences.append(
                TableDifference(
                    table,
                    f"column {column}: {len(bad)} rows differ, first at sorted row {row}: "
                    f"{_plain(a.iloc[row])!r} vs {_plain(b.iloc[row])!r}",
                )
            )
    return differences


def compare_warehouses(
    left: Path, right: Path, schema: str = DEFAULT_SCHEMA, rel_tol: float = DEFAULT_REL_TOL
) -> list[TableDifference]:
    """Every difference between the tables of ``schema`` in two DuckDB files (empty: identical)."""
    with duckdb.connect(str(left), read_only=True) as a, duckdb.connect(str(right), read_only=True) as b:
        left_tables, right_tables = table_names(a, schema), table_names(b, schema)
        differences = [
            TableDifference(name, "only in the first warehouse")
            for name in sorted(set(left_tables) - set(right_tables))
        ]
        differences += [
            TableDifference(name, "only in the second warehouse")
            for name in sorted(set(right_tables) - set(left_tables))
        ]
        for name in sorted(set(left_tables) & set(right_tables)):
            differences += _compare_frames(
                name, canonical_frame(a, name, schema), canonical_frame(b, name, schema), rel_tol
            )
    return differences


def table_checksums(path: Path, schema: str = DEFAULT_SCHEMA) -> dict[str, tuple[int, str]]:
    """Rows and a digest of every table of ``schema``, floats rounded to SORT_DIGITS significant
    digits: two builds whose tables agree to that precision have the same checksums."""
    checksums = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for name in table_names(con, schema):
            frame = canonical_frame(con, name, schema)
            for column in frame.columns:
                if _is_float(frame[column]):
                    frame[column] = _round_significant(frame[column])
            text = frame.to_csv(index=False, float_format=f"%.{SORT_DIGITS}g")
            checksums[name] = (len(frame), hashlib.sha256(text.encode()).hexdigest()[:16])
    return checksums
