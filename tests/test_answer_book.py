"""The answer book: every analysis runs, and the figures quoted in the docs are current."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from engagement_analytics.tooling.analyses import ANALYSES_DIR, analysis_keys, compile_analyses, run_analyses
from engagement_analytics.tooling.answer_book import (
    OUTPUT_FILE,
    PLACEHOLDER,
    TEMPLATES_DIR,
    format_value,
    render,
    render_book,
    stale_figures,
)
from engagement_analytics.tooling.generator import generate
from engagement_analytics.tooling.verdicts import verdict_sentence
from engagement_analytics.tooling.warehouse import DEFAULT_SCALE, DEFAULT_SEED
from tests.conftest import BuiltWarehouse, build_paths, build_warehouse


@pytest.fixture(scope="module")
def session_results(warehouse: BuiltWarehouse) -> dict[str, pd.DataFrame]:
    return run_analyses(warehouse.paths.warehouse_db, compile_analyses(warehouse.paths))


@pytest.fixture(scope="module")
def default_data_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The analyses on a warehouse built from the embedded default data, as `make answers` runs them."""
    base = tmp_path_factory.mktemp("default_data")
    generate(DEFAULT_SCALE, DEFAULT_SEED, base / "raw", progress=False)
    result, _ = build_warehouse(base, base / "raw", "--exclude", "resource_type:test", "resource_type:unit_test")
    assert result.returncode == 0, result.stdout[-4000:]
    paths = build_paths(base, base / "raw")
    return run_analyses(paths.warehouse_db, compile_analyses(paths))


def test_every_domain_has_analyses():
    domains = {key.split("/")[0] for key in analysis_keys()}
    assert domains == {"feed", "moderation", "face", "experiments", "ml"}


@pytest.mark.parametrize("key", analysis_keys())
def test_analysis_runs_against_the_built_warehouse_and_returns_rows(session_results, key: str):
    assert len(session_results[key]) > 0


@pytest.mark.parametrize("key", analysis_keys())
def test_analysis_names_its_question(key: str):
    header = []
    for line in (ANALYSES_DIR / f"{key}.sql").read_text().splitlines():
        if line.startswith("-- Answer"):
            break
        header.append(line.removeprefix("--").strip())
    question = " ".join(header)
    assert re.fullmatch(rf"Question \({key.split('/')[0]}\): [^?]+\?", question), question


def test_every_analysis_is_quoted_in_the_docs():
    quoted = {match.group(1) for path in TEMPLATES_DIR.glob("*.md") for match in PLACEHOLDER.finditer(path.read_text())}
    assert quoted == set(analysis_keys())


def test_quoted_figures_match_what_make_answers_computes(default_data_results):
    stale = stale_figures(OUTPUT_FILE.read_text(), render_book(default_data_results))
    assert stale == [], "run `make answers` and commit docs/answer_book/answer_book.md:\n" + "\n".join(stale[:20])


def test_a_changed_figure_is_detected():
    committed = OUTPUT_FILE.read_text()
    figure = re.search(r"\| (\d[\d,]*) \|", committed)
    assert figure is not None
    tampered = committed.replace(figure.group(0), "| 999,999,999 |", 1)
    assert stale_figures(committed, committed) == []
    assert stale_figures(tampered, committed) != []


def test_placeholders_render_tables_and_single_values():
    results = {"feed/example": pd.DataFrame({"genre": ["music", "dance"], "delta": [-1234.5678, 0.000012]})}
    text = render("top: [[feed/example.genre.0]]\n[[feed/example|1]]", results)
    assert text == "top: music\n| genre | delta |\n|---|---|\n| music | -1,235 |"
    with pytest.raises(KeyError):
        render("[[feed/missing]]", results)


def test_figures_are_formatted_for_reading():
    assert format_value(1234567) == "1,234,567"
    assert format_value(0.123456) == "0.1235"
    assert format_value(2.6e-120) == "2.600e-120"
    assert format_value(float("nan")) == "–"
    assert format_value(True) == "yes"
    assert format_value(970.0) == "970"


# A metrics frame in the layout of ml/model_baselines (ml_model_headline_metrics on test) where
# the watch-time model loses to the per-genre mean and the verified regression could not be fitted.
LOST_MODEL = pd.DataFrame(
    {
        "domain": ["feed", "feed", "moderation"],
        "model_name": ["watch_time_gradient_boosting", "watch_time_genre_mean", "verified_status_logistic"],
        "headline_metric": ["rmse", "rmse", None],
        "value": [91.25, 84.0, None],
        "baseline_name": ["genre_mean", "global_mean", None],
        "baseline_value": [84.0, 98.7, None],
        "beats_baseline": pd.array([False, True, None], dtype="boolean"),
        "metrics_beating_baseline": [1, 3, 0],
        "metrics_compared": [3, 3, 0],
    }
)


def test_a_model_that_lost_to_its_baseline_says_so_in_prose_and_tables():
    results = {"ml/model_baselines": LOST_MODEL}
    prose = render("[[ml/model_baselines:verdicts]]", results)
    assert prose.splitlines() == [
        "- **watch_time_gradient_boosting** did not beat genre_mean on rmse: 91.25 against 84 (1 of 3 metrics beaten).",
        "- **watch_time_genre_mean** beat global_mean on rmse: 84 against 98.7 (3 of 3 metrics beaten).",
        (
            "- **verified_status_logistic** was not compared with a baseline (no metric with a baseline could be "
            "computed)."
        ),
    ]
    table = render("[[ml/model_baselines]]", results)
    assert "beats_baseline" not in table
    assert table.splitlines()[0].startswith(
        "| domain | model_name | headline_metric | value | baseline_name | baseline_value | verdict |"
    )
    assert "| did not beat genre_mean |" in table.splitlines()[2]
    assert "| no baseline |" in table.splitlines()[4]
    assert render("[[ml/model_baselines.verdict.0]]", results) == "did not beat genre_mean"


def test_verdicts_can_keep_one_domain_and_say_when_there_is_none():
    results = {"ml/model_baselines": LOST_MODEL}
    feed = render("[[ml/model_baselines:verdicts=feed]]", results)
    assert feed.count("\n- ") == 1
    assert "verified_status_logistic" not in feed
    assert render("[[ml/model_baselines:verdicts=face]]", results) == (
        "_No model reported test metrics against a baseline in this build._"
    )


def test_a_metric_of_unknown_direction_is_not_called_a_win_or_a_loss():
    metrics = pd.DataFrame(
        {
            "model_name": ["m", "m", "m"],
            "metric": ["lift_score", "rows", "log_loss"],
            "value": [3.0, 10.0, 0.7],
            "baseline_name": ["chance", None, "class_prior"],
            "baseline_value": [1.0, None, 0.69],
            "beats_baseline": pd.array([None, None, False], dtype="boolean"),
        }
    )
    table = render("[[moderation/example]]", {"moderation/example": metrics}).splitlines()
    assert [line.split(" | ")[-1] for line in table[2:]] == [
        "direction unknown |",
        "no baseline |",
        "did not beat class_prior |",
    ]
    assert "whether higher or lower is better is unknown" in verdict_sentence(metrics.iloc[0].to_dict())


def test_a_value_from_a_row_the_result_does_not_have_is_a_dash():
    assert render("[[feed/example.genre.3]]", {"feed/example": pd.DataFrame({"genre": ["music"]})}) == "–"
