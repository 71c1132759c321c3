"""The foundation: the build, the generator, and the raw-data contract's quarantine."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from engagement_analytics.tooling.generator import CONTRACT_FILES, generate
from tests.conftest import BuiltWarehouse, build_warehouse

STAGING_MODELS = {
    "users": "stg_feed__users",
    "videos": "stg_feed__videos",
    "interactions": "stg_feed__interactions",
    "claims_videos": "stg_moderation__claims_videos",
    "user_facial_data": "stg_face__facial_landmarks",
    "user_expressions": "stg_face__expressions",
    "product_interactions": "stg_face__product_interactions",
    "experiments": "stg_experiments__experiments",
    "experiment_assignments": "stg_experiments__assignments",
}


def raw_row_count(raw_dir: Path, file_name: str) -> int:
    path = raw_dir / file_name
    reader = f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', all_varchar = true)"
    return duckdb.connect().execute(f"select count(*) from {reader}").fetchall()[0][0]


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_dbt_build_passes_every_node(warehouse: BuiltWarehouse):
    failed = [
        (r["unique_id"], r["status"], r.get("message"))
        for r in warehouse.run_results["results"]
        if r["status"] not in ("success", "pass")
        # Exposures (models/_dashboards__exposures.yml) are dashboards: dbt build lists them as no-op.
        and not (r["unique_id"].startswith("exposure.") and r["status"] == "no-op")
    ]
    assert failed == [], warehouse.build.stdout[-4000:]
    assert warehouse.build.returncode == 0


def test_warehouse_schemas_are_named_exactly(warehouse: BuiltWarehouse):
    schemas = set(warehouse.query("select schema_name from information_schema.schemata")["schema_name"])
    assert "staging" in schemas
    assert not any(s.startswith("main_") for s in schemas)


def test_every_staging_model_and_the_quarantine_are_built(warehouse: BuiltWarehouse):
    tables = set(
        warehouse.query("select table_name from information_schema.tables where table_schema = 'staging'")["table_name"]
    )
    assert set(STAGING_MODELS.values()) | {"quarantined_rows"} <= tables


@pytest.mark.parametrize("file_name", sorted(STAGING_MODELS))
def test_raw_rows_equal_clean_plus_quarantined(warehouse: BuiltWarehouse, file_name: str):
    contract_file = next(name for name in CONTRACT_FILES if Path(name).stem == file_name)
    raw_rows = raw_row_count(warehouse.raw_dir, contract_file)
    clean = warehouse.query(f"select count(*) as n from staging.{STAGING_MODELS[file_name]}")["n"][0]
    quarantined = warehouse.query(
        f"select count(*) as n from staging.quarantined_rows where source_table = '{file_name}'"
    )["n"][0]
    assert raw_rows > 0
    assert raw_rows == clean + quarantined


def test_real_claims_nulls_are_quarantined_as_missing_label(warehouse: BuiltWarehouse):
    reasons = warehouse.query(
        "select quarantine_reason, count(*) as n from staging.quarantined_rows "
        "where source_table = 'claims_videos' group by 1"
    )
    assert dict(zip(reasons["quarantine_reason"], reasons["n"], strict=True)) == {"missing_label": 298}
    labelled = warehouse.query(
        "select claim_status, count(*) as n from staging.stg_moderation__claims_videos group by 1"
    )
    assert dict(zip(labelled["claim_status"], labelled["n"], strict=True)) == {"claim": 9608, "opinion": 9476}


def test_planted_assignment_breaches_are_quarantined(warehouse: BuiltWarehouse):
    quarantined = warehouse.query(
        "select quarantine_reason, count(*) as n from staging.quarantined_rows "
        "where source_table = 'experiment_assignments' group by 1"
    )
    counts = dict(zip(quarantined["quarantine_reason"], quarantined["n"], strict=True))
    planted = [truth["guardrail_breaches"] for truth in warehouse.truth["experiments"].values()]
    # A user in two variants leaves two rows; the others one each.
    assert counts.get("multiple_variants") == 2 * sum(len(b["assigned_to_two_variants"]) for b in planted)
    assert counts.get("assigned_outside_window") == sum(len(b["assigned_outside_window"]) for b in planted)
    assert counts.get("unknown_variant") == sum(len(b["unknown_variant"]) for b in planted)


def test_generator_is_deterministic_for_a_seed(tmp_path: Path):
    first = generate(0.005, 11, tmp_path / "a", progress=False)
    second = generate(0.005, 11, tmp_path / "b", progress=False)
    generate(0.005, 12, tmp_path / "c", progress=False)
    assert first == second
    assert folder_digest(tmp_path / "a") == folder_digest(tmp_path / "b")
    assert folder_digest(tmp_path / "a") != folder_digest(tmp_path / "c")
    assert set(CONTRACT_FILES) | {"truth.json"} == {p.name for p in (tmp_path / "a").iterdir()}


def test_generated_files_have_contract_types(tmp_path: Path):
    generate(0.005, 3, tmp_path, progress=False)
    con = duckdb.connect()
    for file_name, columns in CONTRACT_FILES.items():
        if not columns:
            continue
        described = con.execute(f"describe select * from read_parquet('{tmp_path / file_name}')").fetchall()
        assert {row[0]: row[1].lower() for row in described} == columns, file_name


# Hand-written contract files, one bad row per quarantine reason, in a folder the generator
# never wrote. Each entry: file -> (SQL producing the rows, expected reasons).
CRAFTED = {
    "users.parquet": (
        """
        select * from (values
            (1::bigint, 'comedy', date '2026-01-05'),
            (2, 'music', null),
            (null, 'music', null),
            (3, 'comedy', null), (3, 'dance', null),
            (4, null, null)
        ) as t(user_id, preferred_genre, last_active)""",
        {"missing_key", "duplicate_key", "missing_category"},
    ),
    "videos.parquet": (
        """
        select * from (values
            (10::bigint, 'comedy', '2026-01-01'),
            (11, 'music', 'not a date'),
            (12, 'music', null)
        ) as t(video_id, genre, upload_date)""",
        {"unparseable_timestamp", "missing_timestamp"},
    ),
    "interactions.parquet": (
        """
        select * from (values
            (100::bigint, 1::bigint, 10::bigint, 12.5::double, '2026-01-02 10:00:00', 'view', 0),
            (101, 1, 10, -1.0, '2026-01-02 10:00:00', 'view', 0),
            (102, 1, 10, 'infinity'::double, '2026-01-02 10:00:00', 'view', 0),
            (103, 1, 10, 3.0, 'yesterday', 'view', 0),
            (104, 1, 10, 3.0, '2026-01-02 10:00:00', 'teleport', 0),
            (105, 99, 10, 3.0, '2026-01-02 10:00:00', 'like', 0),
            (106, 1, 99, 3.0, '2026-01-02 10:00:00', 'share', 1),
            (107, 1, 10, 3.0, '2026-01-02 10:00:00', 'share', -2),
            (100, 1, 10, 12.5, '2026-01-02 10:00:00', 'view', 0)
        ) as t(interaction_id, user_id, video_id, watch_time, first_click_timestamp, interaction_type, shares)""",
        {
            "invalid_duration",
            "unparseable_timestamp",
            "unknown_category",
            "orphan_user_id",
            "orphan_video_id",
            "invalid_count",
            "duplicate_key",
        },
    ),
    "user_facial_data.parquet": (
        """
        select * from (values
            (1::bigint, timestamp '2026-01-01 08:00:00', 0, 0.5::double, 0.5::double, 0.0::double),
            (1, timestamp '2026-01-01 08:00:00', 1, 'nan'::double, 0.5, 0.0),
            (1, timestamp '2026-01-01 08:00:00', -1, 0.5, 0.5, 0.0),
            (1, timestamp '2026-01-01 08:00:00', 470, 0.5, 0.5, 0.0),
            (1, timestamp '2026-01-01 08:00:00', 0, 0.6, 0.5, 0.0),
            (1, null, 2, 0.5, 0.5, 0.0)
        ) as t(user_id, captured_at, landmark_id, x, y, z)""",
        {"invalid_coordinate", "unknown_category", "duplicate_key", "missing_key"},
    ),
    "user_expressions.parquet": (
        """
        select * from (values
            (1::bigint, timestamp '2026-01-01 08:00:00', 'smile', 0.5::double),
            (1, timestamp '2026-01-01 09:00:00', 'smile', 1.5),
            (1, timestamp '2026-01-01 10:00:00', 'smirk', 0.5),
            (1, timestamp '2026-01-01 11:00:00', '  ', 0.5)
        ) as t(user_id, recorded_at, expression_type, expression_strength)""",
        {"strength_out_of_range", "missing_key"},
    ),
    "product_interactions.parquet": (
        """
        select * from (values
            (1::bigint, timestamp '2026-01-01 08:00:00', 'FaceID', 3.0::double),
            (1, timestamp '2026-01-01 09:00:00', 'Memoji', 3.0),
            (1, timestamp '2026-01-01 10:00:00', 'Animoji', -4.0)
        ) as t(user_id, started_at, product, interaction_time)""",
        {"unknown_category", "invalid_duration"},
    ),
    "experiment_assignments.parquet": (
        """
        select * from (values
            ('exp_a', 1::bigint, 'control', timestamp '2026-01-02 00:00:00'),
            ('exp_a', 2, 'treatment', timestamp '2026-01-02 00:00:00'),
            ('exp_a', 2, 'control', timestamp '2026-01-02 00:00:00'),
            ('exp_a', 1, 'control', timestamp '2026-03-02 00:00:00'),
            ('exp_b', 1, 'control', timestamp '2026-01-02 00:00:00'),
            ('exp_a', 3, 'treatmnet', timestamp '2026-01-02 00:00:00'),
            ('exp_a', 5, 'control', timestamp '2026-03-05 00:00:00'),
            ('exp_a', 99, 'treatment', timestamp '2026-01-03 00:00:00')
        ) as t(experiment_id, user_id, variant, assigned_at)""",
        {
            "multiple_variants",
            "duplicate_key",
            "orphan_experiment_id",
            "unknown_variant",
            "assigned_outside_window",
            "orphan_user_id",
        },
    ),
}
# Fires only when a domain is absent, so a crafted folder with every file cannot show it:
# tests/test_experiments.py::test_an_experiment_whose_surface_is_not_loaded_is_quarantined_and_read_out_as_such.
FIRED_IN_A_BUILD_WITHOUT_A_DOMAIN = {"surface_not_loaded"}
CRAFTED_CSV = {
    "experiments.csv": (
        (
            "experiment_id,surface,start_date,end_date,control_variant,treatment_share,arms\n"
            "exp_a,feed,2026-01-01,2026-01-31,control,,control:0.5|treatment:0.5\n"
            "exp_c,radio,2026-01-01,2026-01-31,control,0.5,\n"
            "exp_d,feed,2026-02-01,2026-01-01,control,0.5,\n"
            "exp_e,face,2026-01-01,2026-01-31,control,1.5,\n"
            "exp_f,feed,2026-01-01,2026-01-31,control,,control:0.5|blue\n"
            "exp_g,feed,2026-01-01,2026-01-31,control,,control:0.5|blue:0.4\n"
            "exp_h,feed,2026-01-01,2026-01-31,control,,a:0.5|b:0.5\n"
            "exp_i,feed,2026-01-01,2026-01-31,control,0.3,control:0.5|blue:0.5\n"
        ),
        {
            "unknown_category",
            "invalid_window",
            "share_out_of_range",
            "invalid_arms",
            "arm_shares_not_one",
            "control_not_in_arms",
            "treatment_share_mismatch",
        },
    ),
    "claims_videos.csv": (
        (
            "#,claim_status,video_id,video_duration_sec,video_transcription_text,verified_status,author_ban_status,"
            "video_view_count,video_like_count,video_share_count,video_download_count,video_comment_count\n"
            '1,claim,1001,30,"someone shared with me that a, b and ""c"" aren\\\'t real",'
            "not verified,active,10,2,1,0,0\n"
            "2,,1002,30,,not verified,active,,,,,\n"
            "3,claim,1003,30,text,not verified,exiled,10,2,1,0,0\n"
            "4,opinion,1004,30,text,verified,active,-5,2,1,0,0\n"
            "5,opinion,1005,30,text,verified,active,ten,2,1,0,0\n"
            "6,opinion,1001,30,text,verified,active,10,2,1,0,0\n"
            "7,claim,1007,30,text,not verified,active,10,,1,0,0\n"
        ),
        {"missing_label", "unknown_category", "invalid_count", "duplicate_key", "missing_counts"},
    ),
}


@pytest.fixture(scope="module")
def crafted_build(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("crafted")
    raw_dir = base / "raw"
    raw_dir.mkdir()
    con = duckdb.connect()
    for file_name, (sql, _) in CRAFTED.items():
        con.execute(f"copy ({sql}) to '{raw_dir / file_name}' (format parquet)")
    for file_name, (text, _) in CRAFTED_CSV.items():
        (raw_dir / file_name).write_text(text)
    before = folder_digest(raw_dir)
    result, run_results = build_warehouse(
        base, raw_dir, "--select", "accepted_category_values", "tag:staging", "--indirect-selection", "cautious"
    )
    return raw_dir, base / "warehouse.duckdb", before, result, run_results


def test_crafted_folder_builds_and_is_left_untouched(crafted_build):
    raw_dir, _, before, result, _ = crafted_build
    assert result.returncode == 0, result.stdout[-4000:]
    assert folder_digest(raw_dir) == before


@pytest.mark.parametrize("file_name", sorted({**CRAFTED, **CRAFTED_CSV}))
def test_each_quarantine_reason_fires_on_a_crafted_file(crafted_build, file_name: str):
    raw_dir, db_path, _, _, _ = crafted_build
    expected = {**CRAFTED, **CRAFTED_CSV}[file_name][1]
    source_table = file_name.split(".")[0]
    con = duckdb.connect(str(db_path), read_only=True)
    reasons = {
        row[0]
        for row in con.execute(
            "select distinct quarantine_reason from staging.quarantined_rows where source_table = ?", [source_table]
        ).fetchall()
    }
    clean = con.execute(f"select count(*) from staging.{STAGING_MODELS[source_table]}").fetchall()[0][0]
    quarantined = con.execute(
        "select count(*) from staging.quarantined_rows where source_table = ?", [source_table]
    ).fetchall()[0][0]
    con.close()
    assert reasons == expected
    assert clean >= 1
    assert raw_row_count(raw_dir, file_name) == clean + quarantined


def test_build_command_passes_every_later_argument_to_dbt(monkeypatch: pytest.MonkeyPatch):
    from engagement_analytics.tooling import cli, warehouse

    received: list[list[str]] = []
    monkeypatch.setattr(warehouse, "build", lambda dbt_args=None: received.append(dbt_args) or 0)
    assert cli.main(["build", "--select", "a", "b", "--exclude", "c"]) == 0
    assert cli.main(["build"]) == 0
    assert received == [["--select", "a", "b", "--exclude", "c"], []]


def test_default_data_is_regenerated_when_the_generator_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from engagement_analytics.tooling import warehouse

    monkeypatch.setattr(warehouse, "DEFAULT_RAW_DIR", tmp_path / "default")
    calls: list[tuple[float, int]] = []

    def fake_generate(scale, seed, out, progress=True):
        out.mkdir(parents=True, exist_ok=True)
        (out / "truth.json").write_text("{}")
        calls.append((scale, seed))

    monkeypatch.setattr("engagement_analytics.tooling.generator.generate", fake_generate)
    warehouse.ensure_default_data(0.02, 42)
    warehouse.ensure_default_data(0.02, 42)
    assert calls == [(0.02, 42)]
    (tmp_path / "default" / ".generator-digest").write_text("an older generator")
    warehouse.ensure_default_data(0.02, 42)
    assert calls == [(0.02, 42), (0.02, 42)]


def test_make_build_reads_a_foreign_folder_and_leaves_it_untouched(warehouse: BuiltWarehouse, tmp_path: Path):
    """Contract files the generator did not write: rows shuffled, columns reordered and renamed
    in other cases, timestamps and dates stored as text, the claims id column called `ID`
    instead of `#`. `make build` (the publishing build, here staging and the genre drops) must
    read them as they are."""
    import csv
    import io
    import os
    import subprocess
    import sys

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    con = duckdb.connect()
    con.execute("select setseed(0.5)").fetchall()
    for index, source in enumerate(sorted(warehouse.raw_dir.iterdir())):
        case = str.upper if index % 2 else str.title
        if source.suffix == ".csv":
            rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
            header = ["ID" if name == "#" else case(name) for name in rows[0]]
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(
                [list(reversed(header)), *(list(reversed(row)) for row in rows[1:])]
            )
            (foreign / source.name).write_text(out.getvalue(), encoding="utf-8")
            continue
        if source.suffix != ".parquet":
            continue
        columns = con.execute(f"describe select * from read_parquet('{source}')").fetchall()
        selected = [
            f'cast("{name}" as varchar) as "{case(name)}"'
            if kind in ("TIMESTAMP", "DATE")
            else f'"{name}" as "{case(name)}"'
            for name, kind, *_ in reversed(columns)
        ]
        con.execute(
            f"copy (select {', '.join(selected)} from read_parquet('{source}') order by random()) "
            f"to '{foreign / source.name}' (format parquet)"
        )
    before = folder_digest(foreign)

    env = dict(
        os.environ,
        WAREHOUSE_RAW_DIR=str(foreign),
        WAREHOUSE_DB=str(tmp_path / "db" / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "engagement_analytics",
            "build",
            "--select",
            "accepted_category_values",
            "tag:staging",
            "+genre_watch_time_drops",
            "--indirect-selection",
            "cautious",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert folder_digest(foreign) == before

    built = duckdb.connect(str(tmp_path / "db" / "warehouse.duckdb"), read_only=True)
    for table in STAGING_MODELS.values():
        expected = warehouse.query(f"select count(*) as n from staging.{table}")["n"][0]
        assert built.execute(f"select count(*) from staging.{table}").fetchall()[0][0] == expected, table
    quarantined = built.execute(
        "select source_table, quarantine_reason, count(*) from staging.quarantined_rows group by all order by all"
    ).fetchall()
    drops = built.execute(
        "select genre from marts.genre_watch_time_drops where drop_rank <= 3 order by drop_rank"
    ).fetchall()
    built.close()
    assert quarantined == [
        tuple(row)
        for row in warehouse.query(
            "select source_table, quarantine_reason, count(*) from staging.quarantined_rows group by all order by all"
        ).itertuples(index=False)
    ]
    assert [genre for (genre,) in drops] == warehouse.truth["feed"]["drop_genres"]


def test_every_documented_quarantine_reason_fires_on_a_crafted_file():
    import re

    from engagement_analytics.tooling.warehouse import PROJECT_DIR

    docs = (PROJECT_DIR / "models" / "staging" / "_staging__docs.md").read_text()
    block = docs.split("{% docs quarantine_reason %}")[1].split("{% enddocs %}")[0]
    documented = set(re.findall(r"`([a-z_]+)`", block))
    crafted = set().union(*(reasons for _, reasons in {**CRAFTED, **CRAFTED_CSV}.values()))
    assert crafted | FIRED_IN_A_BUILD_WITHOUT_A_DOMAIN == documented
