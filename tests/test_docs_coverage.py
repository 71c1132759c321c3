"""The docs gate: every model, column, source, seed and macro is described, and every model has a
primary-key test. Read from the manifest and catalog that `dbt docs generate` writes for the
session's warehouse, so a column that exists in a table but not in its YAML is caught too."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from engagement_analytics.tooling.warehouse import generate_docs
from tests.conftest import TEST_SELECT, BuiltWarehouse

PROJECT = "engagement_warehouse"
PRIMARY_KEY_TESTS = {"unique_combination_of_columns"}


def _described(node: dict) -> bool:
    return bool((node.get("description") or "").strip())


def _primary_key_tested(model_id: str, tests: list[dict]) -> bool:
    """unique + not_null on one column, or a unique_combination_of_columns test."""
    unique, not_null = set(), set()
    for test in tests:
        if model_id not in test["depends_on"]["nodes"] or test.get("attached_node") != model_id:
            continue
        name = (test.get("test_metadata") or {}).get("name")
        column = test.get("column_name")
        if name in PRIMARY_KEY_TESTS:
            return True
        if name == "unique":
            unique.add(column)
        elif name == "not_null":
            not_null.add(column)
    return bool(unique & not_null)


def coverage_problems(manifest: dict, catalog: dict) -> list[str]:
    """Everything undescribed or untested, as readable lines (empty when complete)."""
    problems: list[str] = []
    nodes = [n for n in manifest["nodes"].values() if n["package_name"] == PROJECT]
    tests = [n for n in nodes if n["resource_type"] == "test"]
    catalog_nodes = {**catalog.get("nodes", {}), **catalog.get("sources", {})}
    for node in sorted(nodes, key=lambda n: n["unique_id"]):
        if node["resource_type"] not in ("model", "seed", "snapshot"):
            continue
        uid = node["unique_id"]
        if not _described(node):
            problems.append(f"{uid}: no description")
        documented = {name.lower(): col for name, col in node["columns"].items()}
        for name, column in documented.items():
            if not _described(column):
                problems.append(f"{uid}.{name}: column has no description")
        # Columns the built relation has but the YAML does not list.
        built = catalog_nodes.get(uid, {}).get("columns", {})
        for name in sorted({n.lower() for n in built} - set(documented)):
            problems.append(f"{uid}.{name}: column is not in the YAML")
        if node["resource_type"] == "model" and not _primary_key_tested(uid, tests):
            problems.append(f"{uid}: no primary-key test (unique + not_null, or unique_combination_of_columns)")
    for source in sorted(manifest["sources"].values(), key=lambda s: s["unique_id"]):
        if source["package_name"] != PROJECT:
            continue
        if not _described(source):
            problems.append(f"{source['unique_id']}: no description")
        if not (source.get("source_description") or "").strip():
            problems.append(f"{source['unique_id']}: source {source['source_name']} has no description")
        if not source["columns"]:
            problems.append(f"{source['unique_id']}: no columns documented")
        for name, column in source["columns"].items():
            if not _described(column):
                problems.append(f"{source['unique_id']}.{name}: column has no description")
    for macro in sorted(manifest["macros"].values(), key=lambda m: m["unique_id"]):
        if macro["package_name"] == PROJECT and not _described(macro):
            problems.append(f"{macro['unique_id']}: no description (add it to the __macros.yml beside it)")
    for kind in ("exposures", "semantic_models", "metrics"):
        for item in manifest.get(kind, {}).values():
            if item["package_name"] == PROJECT and not _described(item):
                problems.append(f"{item['unique_id']}: no description")
    return problems


@pytest.fixture(scope="session")
def docs_artifacts(warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`dbt docs generate --static` once per session, on the session warehouse."""
    site = tmp_path_factory.mktemp("site")
    result = generate_docs(warehouse.paths, site)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return {
        "result": result,
        "site": site / "index.html",
        "manifest": json.loads((site / "manifest.json").read_text()),
        "catalog": json.loads((site / "catalog.json").read_text()),
    }


def test_docs_generate_emits_no_warnings(docs_artifacts):
    output = docs_artifacts["result"].stdout + docs_artifacts["result"].stderr
    warnings = [line for line in output.splitlines() if re.search(r"\[WARNING\]|\bwarn(ing)?\b", line, re.I)]
    assert warnings == []
    assert docs_artifacts["site"].stat().st_size > 100_000


def test_everything_is_described_and_every_model_has_a_primary_key_test(docs_artifacts):
    assert coverage_problems(docs_artifacts["manifest"], docs_artifacts["catalog"]) == []


def test_every_model_is_in_the_catalog(docs_artifacts):
    """The catalog check sees every column only when every model was built."""
    if TEST_SELECT:
        pytest.fail("WAREHOUSE_TEST_SELECT is set: the catalog covers only part of the project")
    models = {
        uid
        for uid, n in docs_artifacts["manifest"]["nodes"].items()
        if n["resource_type"] == "model" and n["package_name"] == PROJECT
    }
    assert models - set(docs_artifacts["catalog"]["nodes"]) == set()


def test_gate_fails_on_an_undescribed_column(docs_artifacts):
    """On a scratch copy: blank one column's description, add an undocumented built column, and
    drop a model's primary-key tests; the gate names all three."""
    manifest = copy.deepcopy(docs_artifacts["manifest"])
    catalog = copy.deepcopy(docs_artifacts["catalog"])
    model_id = "model.engagement_warehouse.stg_feed__users"
    manifest["nodes"][model_id]["columns"]["preferred_genre"]["description"] = ""
    catalog["nodes"][model_id]["columns"]["shadow_column"] = {"name": "shadow_column", "type": "INTEGER"}
    manifest["nodes"] = {
        uid: n
        for uid, n in manifest["nodes"].items()
        if not (n["resource_type"] == "test" and n.get("attached_node") == model_id)
    }
    baseline = set(coverage_problems(docs_artifacts["manifest"], docs_artifacts["catalog"]))
    new = set(coverage_problems(manifest, catalog)) - baseline
    assert new == {
        f"{model_id}.preferred_genre: column has no description",
        f"{model_id}.shadow_column: column is not in the YAML",
        f"{model_id}: no primary-key test (unique + not_null, or unique_combination_of_columns)",
    }


def test_gate_fails_on_an_undescribed_macro_and_source(docs_artifacts):
    manifest = copy.deepcopy(docs_artifacts["manifest"])
    manifest["macros"]["macro.engagement_warehouse.record_key"]["description"] = ""
    source_id = "source.engagement_warehouse.raw.users"
    manifest["sources"][source_id]["columns"]["user_id"]["description"] = " "
    baseline = set(coverage_problems(docs_artifacts["manifest"], docs_artifacts["catalog"]))
    new = set(coverage_problems(manifest, docs_artifacts["catalog"])) - baseline
    assert new == {
        f"{source_id}.user_id: column has no description",
        "macro.engagement_warehouse.record_key: no description (add it to the __macros.yml beside it)",
    }


def test_site_is_one_self_contained_file(docs_artifacts):
    html = Path(docs_artifacts["site"]).read_text()
    assert "stg_feed__users" in html  # manifest inlined
    assert not re.search(r"""<script[^>]+src=["']https?://""", html)
