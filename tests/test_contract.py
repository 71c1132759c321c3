"""The contract check that runs before dbt: domains, required columns by name in any order and
case, types staging cannot read, and the build stopping with exit code 2 before dbt starts.
Files are written here by hand (DuckDB), so every case is a file the generator never wrote."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from engagement_analytics.tooling import cli, warehouse
from engagement_analytics.tooling.contract import CONTRACT, CONTRACT_BY_NAME, check_folder, readable_as
from engagement_analytics.tooling.generator import CONTRACT_FILES
from engagement_analytics.tooling.generator.claims import CLAIMS_HEADER
from engagement_analytics.tooling.generator.experiments import EXPERIMENTS_HEADER

# One row of typed values per contract column type.
SAMPLE_VALUES = {
    "BIGINT": "cast(1 as bigint)",
    "INTEGER": "cast(2 as integer)",
    "DOUBLE": "cast(0.5 as double)",
    "DATE": "date '2026-01-05'",
    "TIMESTAMP": "timestamp '2026-01-05 10:00:00'",
    "VARCHAR": "'text'",
}


WRITER = duckdb.connect()


def write_parquet(path: Path, columns: dict[str, str]) -> None:
    """A one-row Parquet file; ``columns`` maps name -> SQL expression."""
    select = ", ".join(f'{expression} as "{name}"' for name, expression in columns.items())
    WRITER.execute(f"copy (select {select}) to '{path}' (format parquet)")


def contract_columns(file_name: str) -> dict[str, str]:
    return {c.name: SAMPLE_VALUES[c.type] for c in CONTRACT_BY_NAME[file_name].columns if c.required}


def write_file(folder: Path, file_name: str, columns: dict[str, str] | None = None) -> None:
    """A contract file keeping the contract, or with ``columns`` (name -> SQL / CSV value)."""
    columns = contract_columns(file_name) if columns is None else columns
    if file_name.endswith(".parquet"):
        write_parquet(folder / file_name, columns)
    else:
        (folder / file_name).write_text(",".join(columns) + "\n" + ",".join("1" for _ in columns) + "\n")


def write_folder(folder: Path, names: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for contract in CONTRACT:
        if names is None or contract.name in names:
            write_file(folder, contract.name)
    return folder


def errors(folder: Path) -> list[str]:
    return [str(problem) for problem in check_folder(folder).errors]


def test_the_contract_matches_what_the_generator_writes():
    for name, types in CONTRACT_FILES.items():
        if types:
            assert {c.name: c.type.lower() for c in CONTRACT_BY_NAME[name].columns} == types, name
    claims = {name for c in CONTRACT_BY_NAME["claims_videos.csv"].columns for name in c.names}
    assert set(CLAIMS_HEADER) <= claims
    experiments = CONTRACT_BY_NAME["experiments.csv"]
    assert [c.name for c in experiments.columns if c.required] == EXPERIMENTS_HEADER


def test_a_folder_keeping_the_contract_builds_every_domain(tmp_path: Path):
    checked = check_folder(write_folder(tmp_path / "raw"))
    assert checked.ok, checked.problems
    assert checked.problems == []
    assert checked.domains == ["feed", "moderation", "face", "experiments"]
    assert checked.skipped == {}


def test_a_missing_column_names_file_column_and_type(tmp_path: Path):
    raw = write_folder(tmp_path / "raw")
    columns = contract_columns("user_facial_data.parquet")
    del columns["z"]
    write_file(raw, "user_facial_data.parquet", columns)
    assert errors(raw) == ["user_facial_data.parquet: column z is missing (expected DOUBLE)"]


def test_columns_match_in_any_order_and_case_and_extra_columns_are_ignored(tmp_path: Path):
    raw = write_folder(tmp_path / "raw")
    columns = contract_columns("interactions.parquet")
    shuffled = {
        name.upper() if i % 2 else name.title(): columns[name] for i, name in enumerate(reversed(list(columns)))
    }
    write_file(raw, "interactions.parquet", {**shuffled, "device": "'phone'"})
    write_file(raw, "experiments.csv", {name.upper(): "x" for name in reversed(EXPERIMENTS_HEADER)})
    assert errors(raw) == []


@pytest.mark.parametrize(
    ("column", "expression", "stored"),
    [
        ("user_id", "[1, 2]", "INTEGER[]"),
        ("user_id", "{'a': 1}", "STRUCT(a INTEGER)"),
        ("user_id", "true", "BOOLEAN"),
        ("captured_at", "cast(1767225600 as bigint)", "BIGINT"),
        ("x", "cast('ab' as blob)", "BLOB"),
        ("landmark_id", "timestamp '2026-01-01'", "TIMESTAMP"),
    ],
)
def test_a_type_that_cannot_be_read_is_an_error(tmp_path: Path, column: str, expression: str, stored: str):
    raw = write_folder(tmp_path / "raw")
    write_file(raw, "user_facial_data.parquet", {**contract_columns("user_facial_data.parquet"), column: expression})
    expected = {c.name: c.type for c in CONTRACT_BY_NAME["user_facial_data.parquet"].columns}[column]
    assert errors(raw) == [f"user_facial_data.parquet: column {column} is {stored}, which cannot be read as {expected}"]


def test_types_staging_can_parse_are_accepted(tmp_path: Path):
    """Text anywhere (parsed row by row), any number for a number, a date for a timestamp."""
    raw = write_folder(tmp_path / "raw")
    write_file(
        raw,
        "interactions.parquet",
        {
            "interaction_id": "'17'",
            "user_id": "cast(1 as decimal(20, 0))",
            "video_id": "cast(1 as ubigint)",
            "watch_time": "cast(1.5 as float)",
            "first_click_timestamp": "cast('2026-01-05 10:00:00' as timestamp_ns)",
            "interaction_type": "'view'",
            "shares": "cast(1 as tinyint)",
        },
    )
    write_file(raw, "videos.parquet", {"video_id": "1", "genre": "42", "upload_date": "timestamp '2026-01-05 10:00'"})
    assert errors(raw) == []
    assert readable_as("DECIMAL(18,3)", "DOUBLE")
    assert readable_as("DATE", "VARCHAR")
    assert not readable_as("MAP(VARCHAR, INTEGER)", "VARCHAR")
    assert not readable_as("BOOLEAN", "DOUBLE")


def test_a_timestamp_with_a_time_zone_is_a_warning_not_an_error(tmp_path: Path):
    raw = write_folder(tmp_path / "raw")
    write_file(
        raw,
        "product_interactions.parquet",
        {**contract_columns("product_interactions.parquet"), "started_at": "timestamptz '2026-01-05 10:00:00+00'"},
    )
    checked = check_folder(raw)
    assert checked.ok
    assert [(p.file, p.column) for p in checked.warnings] == [("product_interactions.parquet", "started_at")]


def test_a_file_that_is_not_parquet_cannot_be_read(tmp_path: Path):
    raw = write_folder(tmp_path / "raw")
    (raw / "videos.parquet").write_bytes(b"video_id,genre\n1,comedy\n")
    [error] = errors(raw)
    assert error.startswith("videos.parquet: cannot be read as Parquet: ")


def test_claims_read_id_or_hash_and_name_the_missing_count(tmp_path: Path):
    raw = write_folder(tmp_path / "raw")
    header = [name for name in CLAIMS_HEADER if name != "video_like_count"]
    write_file(raw, "claims_videos.csv", dict.fromkeys(header, "1"))
    assert errors(raw) == ["claims_videos.csv: column video_like_count is missing (expected BIGINT)"]
    write_file(raw, "claims_videos.csv", dict.fromkeys(["ID", *reversed(CLAIMS_HEADER[1:])], "1"))
    assert errors(raw) == []
    write_file(raw, "claims_videos.csv", dict.fromkeys(CLAIMS_HEADER[1:], "1"))
    assert errors(raw) == ["claims_videos.csv: column id is missing (expected BIGINT, or #)"]


def test_the_optional_arms_column_may_be_absent_or_present(tmp_path: Path):
    raw = write_folder(tmp_path / "raw")
    assert errors(raw) == []
    write_file(raw, "experiments.csv", dict.fromkeys([*EXPERIMENTS_HEADER, "arms"], "x"))
    assert errors(raw) == []


def test_a_present_domain_needs_every_file(tmp_path: Path):
    raw = write_folder(tmp_path / "raw")
    (raw / "user_expressions.parquet").unlink()
    assert errors(raw) == [
        (
            f"user_expressions.parquet: is missing: the face domain needs it (user_facial_data.parquet, "
            f"product_interactions.parquet are present in {raw})"
        )
    ]


def test_only_the_present_domains_are_built_and_the_others_say_why(tmp_path: Path):
    raw = write_folder(tmp_path / "raw", ["users.parquet", "videos.parquet", "interactions.parquet"])
    checked = check_folder(raw)
    assert checked.ok
    assert checked.domains == ["feed"]
    assert checked.skipped == {
        "moderation": f"files not found in {raw} (claims_videos.csv)",
        "face": f"files not found in {raw} (user_facial_data.parquet, user_expressions.parquet, "
        "product_interactions.parquet)",
        "experiments": f"files not found in {raw} (experiments.csv, experiment_assignments.parquet)",
    }
    assert checked.summary().splitlines()[0] == "building domains: feed"


def test_experiments_need_a_surface_and_a_folder_needs_a_domain(tmp_path: Path):
    raw = write_folder(tmp_path / "raw", ["experiments.csv", "experiment_assignments.parquet"])
    assert errors(raw) == [
        (
            f"experiments.csv, experiment_assignments.parquet: experiments need the files of a "
            f"surface they test (feed or face); none found in {raw}"
        )
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    [error] = errors(empty)
    assert error.startswith(f"{empty}: holds no contract file")
    assert errors(tmp_path / "absent") == [f"{tmp_path / 'absent'}: is not a folder"]


def test_build_stops_before_dbt_with_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    raw = write_folder(tmp_path / "raw")
    write_file(raw, "user_facial_data.parquet", {**contract_columns("user_facial_data.parquet"), "x": "true"})
    monkeypatch.setenv("WAREHOUSE_RAW_DIR", str(raw))
    monkeypatch.setenv("WAREHOUSE_DB", str(tmp_path / "warehouse.duckdb"))
    started: list[list[str]] = []
    monkeypatch.setattr(warehouse, "run_dbt", lambda args, *rest, **kwargs: started.append(args))
    assert warehouse.build() == 2
    assert started == []
    assert not (tmp_path / "warehouse.duckdb").exists()
    err = capsys.readouterr().err
    assert "user_facial_data.parquet: column x is BOOLEAN, which cannot be read as DOUBLE" in err.splitlines()


def test_build_passes_the_present_domains_to_dbt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    raw = write_folder(tmp_path / "raw", ["claims_videos.csv"])
    monkeypatch.setenv("WAREHOUSE_RAW_DIR", str(raw))
    monkeypatch.setenv("WAREHOUSE_DB", str(tmp_path / "warehouse.duckdb"))
    seen: list[dict] = []

    def fake_run_dbt(args, paths, extra_env=None, **kwargs):
        seen.append(extra_env)
        return type("Done", (), {"returncode": 1})()

    monkeypatch.setattr(warehouse, "run_dbt", fake_run_dbt)
    assert warehouse.build() == 1
    assert seen == [{"WAREHOUSE_DOMAINS": "moderation"}]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "building domains: moderation"
    assert out[1] == f"skipping feed: files not found in {raw} (users.parquet, videos.parquet, interactions.parquet)"


def test_check_contract_command(tmp_path: Path, capsys: pytest.CaptureFixture):
    raw = write_folder(tmp_path / "raw")
    assert cli.main(["check-contract", "--raw-dir", str(raw)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{raw} keeps the raw-data contract"
    write_file(raw, "videos.parquet", {"video_id": "1", "genre": "'a'"})
    assert cli.main(["check-contract", "--raw-dir", str(raw)]) == 2
    assert "videos.parquet: column upload_date is missing (expected DATE)" in capsys.readouterr().err.splitlines()
