"""The row-for-row comparison of two warehouses (engagement_analytics.tooling.comparison)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from engagement_analytics.tooling.comparison import compare_warehouses, table_checksums


def _warehouse(path: Path, rows: list[tuple], extra_table: bool = False) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.t (id bigint, name varchar, value double, flag boolean)")
        con.executemany("insert into marts.t values (?, ?, ?, ?)", rows)
        if extra_table:
            con.execute("create table marts.extra (id bigint)")
    return path


ROWS = [(1, "a", 0.1 + 0.2, True), (2, None, None, None), (3, "c", 1e300, False), (2, "b", -2.5, True)]


def test_same_rows_in_another_order_and_last_bits_are_equal(tmp_path: Path):
    shuffled = [ROWS[2], ROWS[0], ROWS[3], ROWS[1]]
    nudged = [(i, n, None if v is None else v * (1 + 1e-14), f) for i, n, v, f in shuffled]
    left = _warehouse(tmp_path / "a.duckdb", ROWS)
    right = _warehouse(tmp_path / "b.duckdb", nudged)
    assert compare_warehouses(left, right) == []
    assert table_checksums(left) == table_checksums(right)


def test_a_changed_value_a_missing_row_and_a_missing_table_are_reported(tmp_path: Path):
    left = _warehouse(tmp_path / "a.duckdb", ROWS, extra_table=True)
    changed = _warehouse(tmp_path / "b.duckdb", [ROWS[0], ROWS[1], (3, "c", 1.0000001e300, False), ROWS[3]])
    differences = [str(d) for d in compare_warehouses(left, changed)]
    assert differences == [
        "extra: only in the first warehouse",
        "t: column value: 1 rows differ, first at sorted row 3: 1e+300 vs 1.0000001e+300",
    ]
    shorter = _warehouse(tmp_path / "c.duckdb", ROWS[:3])
    assert [str(d) for d in compare_warehouses(changed, shorter)] == ["t: 4 rows vs 3"]
    assert table_checksums(left)["t"] != table_checksums(changed)["t"]


def test_a_changed_text_or_null_is_reported(tmp_path: Path):
    left = _warehouse(tmp_path / "a.duckdb", ROWS)
    right = _warehouse(tmp_path / "b.duckdb", [ROWS[0], (2, "z", None, None), ROWS[2], ROWS[3]])
    assert [d.table for d in compare_warehouses(left, right)] == ["t"]
