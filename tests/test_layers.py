"""The shape of the dbt project, checked from one `dbt parse` (no warehouse, about ten seconds):
layers only flow down, a Python model never reads a mart, and the conventions of
docs/conventions.md hold (file names, where unit tests live, typed casts, no issue numbers).
Each check is a function of the manifest or of the files, so the tests below also prove that
every check fails, on a copy of the manifest or on a few made-up lines."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
PROJECT = "engagement_warehouse"

# What each layer may read. Layers only flow down: sources -> base -> staging -> intermediate ->
# marts; a layer may skip the ones between (a mart may read staging). Seeds are reference data
# any model may read. The MetricFlow time spine (models/semantic/) is generated and reads nothing.
# Analyses, exposures and semantic models read marts; metrics read semantic models and metrics.
READS = {
    "base": {"source", "seed", "base"},
    "staging": {"seed", "base", "staging"},
    "intermediate": {"seed", "staging", "intermediate"},
    "marts": {"seed", "staging", "intermediate", "marts"},
    "semantic": {"seed"},
    "analysis": {"marts"},
    "exposure": {"marts"},
    "semantic_model": {"marts"},
    "metric": {"semantic_model", "metric"},
}
# The schema a SQL model's folder builds into; a Python model's layer is its schema, one of these.
SCHEMAS = {
    "base": "staging",
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "semantic": "semantic",
}
PYTHON_MODEL_SCHEMAS = {"intermediate", "marts"}

# Known reads past the marts, each with its reason. No mart holds these rows yet (the clean
# feed videos, users and interactions, and the face sessions, one row each); the fix is an
# entity mart per staging table, which adds tables BI sees, so it is a decision of its own.
# A stale entry fails too, so the list only shrinks.
# Reads past a layer that no mart can serve, with the reason: an entry that is no longer needed
# fails the test, so the list can only shrink. Empty since the entity marts (feed_users,
# feed_videos, feed_interactions, face_product_sessions) serve the semantic layer and analyses.
EXCEPTIONS: dict[tuple[str, str], str] = {}


# ---------------------------------------------------------------------------------------------
# The manifest


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`dbt parse` of the whole project (every domain) into a temporary target, on the lint target."""
    target = tmp_path_factory.mktemp("parse")
    env = {key: value for key, value in os.environ.items() if key != "WAREHOUSE_DOMAINS"}
    env.update(WAREHOUSE_TARGET="lint", DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(target / "logs"))
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "parse", "--profiles-dir", ".", "--project-dir", "."],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return json.loads((target / "manifest.json").read_text())


def _ours(manifest: dict, kind: str) -> dict[str, dict]:
    return {uid: node for uid, node in manifest.get(kind, {}).items() if node.get("package_name") == PROJECT}


def layer(node: dict) -> str:
    """The layer of a node: a SQL model's folder below models/ (base for models/staging/base/), a
    Python model's schema, otherwise its resource type (source, seed, analysis, ...)."""
    kind = node["resource_type"]
    if kind != "model":
        return kind
    if node["language"] == "python":
        return node["config"]["schema"]
    folders = PurePosixPath(node["original_file_path"]).parts
    return "base" if folders[1:3] == ("staging", "base") else folders[1]


def layer_problems(manifest: dict) -> list[str]:
    """Every read against the direction of the layers, and every Python model outside its layers,
    as lines that name the edge (empty when the project is in order)."""
    nodes = {
        **_ours(manifest, "nodes"),
        **_ours(manifest, "sources"),
        **_ours(manifest, "exposures"),
        **_ours(manifest, "semantic_models"),
        **_ours(manifest, "metrics"),
    }
    problems, excepted = [], set()
    for uid, node in sorted(nodes.items()):
        if node["resource_type"] in ("test", "source"):
            continue
        child = layer(node)
        python = node["resource_type"] == "model" and node["language"] == "python"
        if python and child not in PYTHON_MODEL_SCHEMAS:
            problems.append(
                f"{uid}: a Python model in schema {child}; its schema is its layer, "
                f"one of {sorted(PYTHON_MODEL_SCHEMAS)}"
            )
            continue
        if node["resource_type"] == "model" and not python and node["config"]["schema"] != SCHEMAS.get(child):
            problems.append(f"{uid}: a model of the {child} folder built into schema {node['config']['schema']}")
        allowed = READS.get(child, set()) - ({"marts"} if python else set())
        for parent_id in node.get("depends_on", {}).get("nodes", []):
            if parent_id not in nodes:
                continue  # another package's node
            parent = layer(nodes[parent_id])
            if parent in allowed:
                continue
            if (uid, parent_id) in EXCEPTIONS:
                excepted.add((uid, parent_id))
                continue
            if python and parent == "marts":
                problems.append(f"{uid} (Python model) reads the mart {parent_id}")
            else:
                problems.append(
                    f"{uid} ({child}) reads {parent_id} ({parent}); the {child} layer reads only "
                    f"{', '.join(sorted(READS.get(child, set()))) or 'nothing'}"
                )
    for uid, parent_id in sorted(set(EXCEPTIONS) - excepted):
        problems.append(f"{uid} no longer reads {parent_id}: remove the exception from tests/test_layers.py")
    return problems


def unit_test_problems(manifest: dict) -> list[str]:
    """A unit test lives in the __unit_tests.yml twin of the __models.yml that describes its model."""
    nodes = _ours(manifest, "nodes")
    described_in = {
        node["name"]: node["patch_path"].split("://", 1)[1]
        for node in nodes.values()
        if node["resource_type"] == "model" and node.get("patch_path")
    }
    problems = []
    for uid, test in sorted(_ours(manifest, "unit_tests").items()):
        models_file = described_in.get(test["model"], "")
        expected = models_file.replace("__models.yml", "__unit_tests.yml")
        if not models_file.endswith("__models.yml") or test["original_file_path"] != expected:
            problems.append(
                f"{uid}: in {test['original_file_path']}; unit tests of {test['model']} live in "
                f"{expected or 'the __unit_tests.yml beside its __models.yml'}"
            )
    return problems


def described_beside_problems(manifest: dict) -> list[str]:
    """A YAML file describes the models, analyses, seeds and macros of its own folder."""
    problems = []
    for kind in ("nodes", "macros"):
        for uid, node in sorted(_ours(manifest, kind).items()):
            if not node.get("patch_path"):
                continue
            described = PurePosixPath(node["patch_path"].split("://", 1)[1])
            if described.parent != PurePosixPath(node["original_file_path"]).parent:
                problems.append(f"{uid}: {node['original_file_path']} is described in {described}, not beside it")
    return problems


# ---------------------------------------------------------------------------------------------
# The files

# Where YAML and docs files live, and the kinds of file each root holds (the part after `__`).
ROOTS = {
    "models": {"models", "sources", "unit_tests", "docs", "semantic", "exposures"},
    "python_models": {"python_models"},
    "analyses": {"analyses"},
    "macros": {"macros"},
    "seeds": {"seeds"},
}
# Written by a program (`make answers`), named by it.
GENERATED_MARK = "Do not edit by hand"


def project_files(suffixes: tuple[str, ...], roots: tuple[str, ...]) -> list[str]:
    """Paths (relative, POSIX) of the project's files with these suffixes under these folders."""
    found = []
    for root in roots:
        found += [
            path.relative_to(PROJECT_DIR).as_posix()
            for path in (PROJECT_DIR / root).rglob("*")
            if path.is_file() and path.suffix in suffixes
        ]
    return sorted(found)


def expected_file_name(path: str) -> re.Pattern:
    """`_<folders>[_<topic>]__<kind>.<ext>`: the folders below the root joined by `_` (a file at a
    root's top level names a topic instead), a kind its root holds; .md files are docs."""
    root, *folders, _ = PurePosixPath(path).parts
    kinds = {"docs"} if path.endswith(".md") else ROOTS[root] - {"docs"}
    prefix = "_" + "_".join(folders) + "(_[a-z0-9]+)*" if folders else "_[a-z0-9]+(_[a-z0-9]+)*"
    return re.compile(rf"{prefix}__({'|'.join(sorted(kinds))})\.(yml|md)")


def file_name_problems(paths: list[str], read=lambda path: (PROJECT_DIR / path).read_text()) -> list[str]:
    """YAML and docs files named by the rule, each name once in the project, unit tests only in
    __unit_tests.yml files and nothing else in them."""
    problems, seen = [], {}
    for path in paths:
        text = read(path)
        if GENERATED_MARK in text[:300]:
            continue
        name = PurePosixPath(path).name
        if not expected_file_name(path).fullmatch(name):
            problems.append(f"{path}: the name should match {expected_file_name(path).pattern}")
        if name in seen:
            problems.append(f"{path}: the same name as {seen[name]}")
        seen.setdefault(name, path)
        if path.endswith(".yml"):
            keys = set(yaml.safe_load(text) or {}) - {"version"}
            if "unit_tests" in keys and not name.endswith("__unit_tests.yml"):
                problems.append(f"{path}: unit tests belong in a __unit_tests.yml file")
            if name.endswith("__unit_tests.yml") and keys - {"unit_tests"}:
                problems.append(f"{path}: holds {sorted(keys - {'unit_tests'})} beside its unit tests")
    return problems


# A cast to a type written out: dbt.type_*() and type_double() name it so the SQL runs on Spark
# too. `date` has no dbt macro and is the same everywhere.
TYPED_CAST = re.compile(
    r"(\bas|::)\s*(double|float|real|bigint|int|integer|smallint|tinyint|hugeint|"
    r"varchar|text|string|boolean|bool|timestamp|numeric|decimal)\b",
    re.I,
)
# "issue 12", "issues #3": a ticket number belongs in the commit, not in the code.
ISSUE_NUMBER = re.compile(r"\bissues?\s*#?\d+", re.I)
SQL_COMMENT = re.compile(r"\{#.*?#\}|--[^\n]*", re.S)


def text_problems(files: dict[str, str]) -> list[str]:
    """Typed casts in SQL outside comments, and issue numbers anywhere, by file and line."""
    problems = []
    for path, text in sorted(files.items()):
        if path.endswith(".sql"):
            code = SQL_COMMENT.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)
            for match in TYPED_CAST.finditer(code):
                line = code.count("\n", 0, match.start()) + 1
                problems.append(f"{path}:{line}: '{match.group(0)}': cast through type_double() or dbt.type_*()")
        for match in ISSUE_NUMBER.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{path}:{line}: '{match.group(0)}': no issue numbers in the project")
    return problems


def checked_texts() -> dict[str, str]:
    paths = project_files((".sql", ".yml", ".md"), ("models", "macros", "analyses", "seeds", "tests/data_tests"))
    paths += [*project_files((".yml",), ("python_models",)), "dbt_project.yml"]
    texts = {path: (PROJECT_DIR / path).read_text() for path in paths}
    return {path: text for path, text in texts.items() if GENERATED_MARK not in text[:300]}


# Names in the project's spelling (-ise): a model or column named with -ize is renamed.
US_SPELLING = re.compile(r"(?<!s)iz(e|ed|es|ing|ation)$")


def spelling_problems(manifest: dict) -> list[str]:
    problems = []
    for uid, node in sorted(_ours(manifest, "nodes").items()):
        if node["resource_type"] not in ("model", "seed", "analysis"):
            continue
        for name in [node["name"], *node.get("columns", {})]:
            words = [word for word in name.split("_") if US_SPELLING.search(word)]
            if words:
                problems.append(f"{uid}: '{name}' spells {words} with -ize; the project writes -ise")
    return problems


# ---------------------------------------------------------------------------------------------
# The project as it is


def test_layers_only_flow_down(manifest):
    assert layer_problems(manifest) == []


def test_unit_tests_live_beside_the_yaml_of_their_model(manifest):
    assert unit_test_problems(manifest) == []


def test_every_yaml_file_describes_its_own_folder(manifest):
    assert described_beside_problems(manifest) == []


def test_yaml_and_docs_files_are_named_by_the_rule():
    paths = []
    for root in ROOTS:
        paths += project_files((".yml", ".md"), (root,))
    assert paths, "no YAML files found"
    assert file_name_problems(paths) == []


def test_sql_casts_through_macros_and_nothing_names_an_issue():
    assert text_problems(checked_texts()) == []


def test_names_use_the_project_spelling(manifest):
    assert spelling_problems(manifest) == []


# ---------------------------------------------------------------------------------------------
# Each check fails when it should


def _add_read(manifest: dict, child: str, parent: str) -> dict:
    changed = copy.deepcopy(manifest)
    for kind in ("nodes", "semantic_models", "exposures", "metrics"):
        if child in changed[kind]:
            changed[kind][child]["depends_on"]["nodes"].append(parent)
    return changed


def _new_problems(manifest: dict, changed: dict, check=layer_problems) -> set[str]:
    return set(check(changed)) - set(check(manifest))


def test_a_read_up_the_layers_is_named(manifest):
    staging, intermediate, mart = (
        f"model.{PROJECT}.{name}" for name in ("stg_feed__users", "int_fan_months_aggregated", "genre_watch_time_drops")
    )
    changed = _add_read(_add_read(manifest, staging, intermediate), intermediate, mart)
    assert _new_problems(manifest, changed) == {
        f"{staging} (staging) reads {intermediate} (intermediate); the staging layer reads only base, seed, staging",
        (
            f"{intermediate} (intermediate) reads {mart} (marts); the intermediate layer reads only "
            "intermediate, seed, staging"
        ),
    }


def test_a_source_read_past_base_is_named(manifest):
    staging, source = f"model.{PROJECT}.stg_feed__users", f"source.{PROJECT}.raw.users"
    assert _new_problems(manifest, _add_read(manifest, staging, source)) == {
        f"{staging} (staging) reads {source} (source); the staging layer reads only base, seed, staging"
    }


def test_an_analysis_or_semantic_model_reading_below_the_marts_is_named(manifest):
    analysis, semantic_model = f"analysis.{PROJECT}.genre_drops", f"semantic_model.{PROJECT}.feed_users"
    intermediate = f"model.{PROJECT}.int_fan_months_aggregated"
    changed = _add_read(_add_read(manifest, analysis, intermediate), semantic_model, intermediate)
    assert _new_problems(manifest, changed) == {
        f"{analysis} (analysis) reads {intermediate} (intermediate); the analysis layer reads only marts",
        (
            f"{semantic_model} (semantic_model) reads {intermediate} (intermediate); the semantic_model layer reads "
            "only marts"
        ),
    }


def test_a_python_model_reading_a_mart_is_named(manifest):
    python_model, mart = f"model.{PROJECT}.int_claims_videos_classified", f"model.{PROJECT}.claim_predictions"
    assert _new_problems(manifest, _add_read(manifest, python_model, mart)) == {
        f"{python_model} (Python model) reads the mart {mart}"
    }


def test_a_python_model_reading_a_mart_is_named_in_the_marts_schema_too(manifest):
    python_model, mart = f"model.{PROJECT}.int_claims_features_audited", f"model.{PROJECT}.claim_predictions"
    changed = _add_read(manifest, python_model, mart)
    changed["nodes"][python_model]["config"]["schema"] = "marts"
    assert _new_problems(manifest, changed) == {f"{python_model} (Python model) reads the mart {mart}"}


def test_a_python_model_outside_intermediate_and_marts_is_named(manifest):
    python_model = f"model.{PROJECT}.int_claims_videos_classified"
    changed = copy.deepcopy(manifest)
    changed["nodes"][python_model]["config"]["schema"] = "staging"
    assert _new_problems(manifest, changed) == {
        f"{python_model}: a Python model in schema staging; its schema is its layer, one of ['intermediate', 'marts']"
    }


def test_a_sql_model_in_another_schema_than_its_folder_is_named(manifest):
    model = f"model.{PROJECT}.int_fan_months_aggregated"
    changed = copy.deepcopy(manifest)
    changed["nodes"][model]["config"]["schema"] = "marts"
    assert _new_problems(manifest, changed) == {f"{model}: a model of the intermediate folder built into schema marts"}


def test_an_excepted_read_passes_and_a_stale_exception_is_named(manifest, monkeypatch: pytest.MonkeyPatch):
    analysis, videos = f"analysis.{PROJECT}.coview_coverage", f"model.{PROJECT}.stg_feed__videos"
    monkeypatch.setitem(EXCEPTIONS, (analysis, videos), "a read made up for this test")
    reading = _add_read(manifest, analysis, videos)
    assert not any(analysis in problem for problem in layer_problems(reading))
    assert f"{analysis} no longer reads {videos}: remove the exception from tests/test_layers.py" in set(
        layer_problems(manifest)
    )


def test_a_unit_test_outside_its_twin_file_is_named(manifest):
    changed = copy.deepcopy(manifest)
    uid, test = next(
        (uid, test) for uid, test in _ours(changed, "unit_tests").items() if test["model"] == "genre_watch_time_drops"
    )
    test["original_file_path"] = "models/marts/feed/_marts_feed__models.yml"
    assert _new_problems(manifest, changed, unit_test_problems) == {
        (
            f"{uid}: in models/marts/feed/_marts_feed__models.yml; unit tests of genre_watch_time_drops live in "
            "models/marts/feed/_marts_feed__unit_tests.yml"
        )
    }


def test_a_model_described_in_another_folder_is_named(manifest):
    changed = copy.deepcopy(manifest)
    model = f"model.{PROJECT}.stg_feed__users"
    changed["nodes"][model]["patch_path"] = f"{PROJECT}://models/staging/_staging__models.yml"
    assert _new_problems(manifest, changed, described_beside_problems) == {
        (
            f"{model}: models/staging/feed/stg_feed__users.sql is described in models/staging/_staging__models.yml, "
            "not beside it"
        )
    }


def test_misnamed_duplicate_and_mixed_files_are_named():
    files = {
        "models/marts/feed/_marts_feed_coview__models.yml": "version: 2\nmodels: []\n",
        "models/marts/face/_marts_feed_coview__models.yml": "version: 2\nmodels: []\n",
        "models/staging/experiments/_experiments__models.yml": "version: 2\nmodels: []\n",
        "models/marts/ml/_marts_ml__models.yml": "version: 2\nmodels: []\nunit_tests: []\n",
        "models/marts/ml/_marts_ml__unit_tests.yml": "version: 2\nunit_tests: []\nmodels: []\n",
        "models/exposures.yml": "version: 2\nexposures: []\n",
        "models/_definitions__docs.md": "{% docs fan %}A fan.{% enddocs %}\n",
        "python_models/feed/_feed__models.yml": "version: 2\nmodels: []\n",
        "models/docs/answer_book.md": "{#- Generated by `make answers`. Do not edit by hand. -#}\n",
    }
    rule = {path: expected_file_name(path).pattern for path in files}
    assert file_name_problems(sorted(files), read=files.__getitem__) == [
        f"models/exposures.yml: the name should match {rule['models/exposures.yml']}",
        (
            f"models/marts/face/_marts_feed_coview__models.yml: the name should match "
            f"{rule['models/marts/face/_marts_feed_coview__models.yml']}"
        ),
        (
            "models/marts/feed/_marts_feed_coview__models.yml: the same name as "
            "models/marts/face/_marts_feed_coview__models.yml"
        ),
        "models/marts/ml/_marts_ml__models.yml: unit tests belong in a __unit_tests.yml file",
        "models/marts/ml/_marts_ml__unit_tests.yml: holds ['models'] beside its unit tests",
        (
            f"models/staging/experiments/_experiments__models.yml: the name should match "
            f"{rule['models/staging/experiments/_experiments__models.yml']}"
        ),
        f"python_models/feed/_feed__models.yml: the name should match {rule['python_models/feed/_feed__models.yml']}",
    ]
    assert rule["models/marts/face/_marts_feed_coview__models.yml"].startswith("_marts_face(")


def test_typed_casts_and_issue_numbers_are_named():
    files = {
        "models/marts/example.sql": (
            "-- cast(x as double) in a comment is fine\n"
            "select cast(a as double) as a, b::bigint as b, cast(c as {{ type_double() }}),\n"
            "    cast(d as date) as d {#- as varchar -#}\n"
        ),
        "dbt_project.yml": "vars:\n  # --- feed (issue 3) ---\n",
    }
    assert text_problems(files) == [
        "dbt_project.yml:2: 'issue 3': no issue numbers in the project",
        "models/marts/example.sql:2: 'as double': cast through type_double() or dbt.type_*()",
        "models/marts/example.sql:2: '::bigint': cast through type_double() or dbt.type_*()",
    ]


def test_a_us_spelling_is_named(manifest):
    changed = copy.deepcopy(manifest)
    model = f"model.{PROJECT}.int_coview_videos_summarised"
    changed["nodes"][model]["name"] = "int_coview_videos_summarized"
    assert _new_problems(manifest, changed, spelling_problems) == {
        f"{model}: 'int_coview_videos_summarized' spells ['summarized'] with -ize; the project writes -ise"
    }
