"""The visual readout and the docs site, opened in headless Chromium (Debian's `chromium`, installed
by .ci/run): the report renders every chart from the session's marts, the docs site draws the
lineage graph. Screenshots are kept under the test's temporary folder, and copied to
$REPORT_SCREENSHOT_DIR when it is set."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve

from engagement_analytics.tooling.analyses import Analysis, AnalysisReader
from engagement_analytics.tooling.report import (
    SECTIONS,
    improvement_over_baseline,
    model_baselines,
    moderation,
    precision_recall,
    render,
    render_report,
)
from tests.conftest import BuiltWarehouse
from tests.test_docs_coverage import docs_artifacts  # noqa: F401  (the session fixture)

# Charts each section draws when its marts are built.
EXPECTED_CHARTS = {
    "genre-health": 1,
    "contributors": 1,
    "related-videos": 2,
    "face-tracking": 3,
    "forecasts": 2,
    "experiments": 2,
    "moderation": 2,
    "model-baselines": 1,
}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("headless Chromium is needed: apt-get install -y chromium (done by .ci/run)")


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def keep_screenshot(path: Path) -> None:
    if target := os.environ.get("REPORT_SCREENSHOT_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / path.name)


@pytest.fixture(scope="module")
def report_page(warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert render_report(out, warehouse.paths) == 0
    return out / "index.html"


def test_report_renders_every_chart_in_chromium(report_page: Path, tmp_path: Path):
    dom = run_chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", report_page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    statuses = dict(re.findall(r'<section id="([^"]+)" data-status="([^"]*)"', html))
    assert statuses == dict.fromkeys(EXPECTED_CHARTS, "ok")
    assert 'class="missing"' not in html
    for key, expected in EXPECTED_CHARTS.items():
        section = html.split(f'<section id="{key}"', 1)[1].split("</section>", 1)[0]
        charts = re.findall(r'<svg class="chart[^"]*"', section)
        assert charts == ['<svg class="chart"'] * expected, key
        assert section.count('class="series"') + section.count('class="bar"') + section.count('class="estimate"') > 0, (
            key
        )
    # The three largest drops are marked on the genre chart, and the page loads nothing remote.
    assert html.count('class="marker"') == 3
    assert not re.search(r'(src|href)="https?://', html)

    shot = tmp_path / "report.png"
    result = run_chromium(tmp_path, "--window-size=1000,8400", f"--screenshot={shot}", report_page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists(), result.stderr[-2000:]
    assert png_size(shot) == (1000, 8400)
    # A blank page of that size compresses to a few kB; the charts make it hundreds.
    assert shot.stat().st_size > 150_000
    keep_screenshot(shot)


def test_docs_site_draws_the_lineage_graph(docs_artifacts, tmp_path: Path):  # noqa: F811
    # The lineage of the genre health dashboard: raw files to staging, intermediate, marts, exposure.
    url = (
        docs_artifacts["site"].as_uri() + "#!/exposure/exposure.engagement_warehouse.genre_health_dashboard"
        "?g_v=1&g_i=%2Bexposure:genre_health_dashboard"
    )
    dom = run_chromium(tmp_path, "--virtual-time-budget=15000", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'id="cy"' in html  # the cytoscape lineage graph container
    assert re.search(r'<canvas[^>]+data-id="layer2-node"', html)  # with its nodes drawn
    assert "Lineage Graph" in html
    for name in ("genre_decline_contributors", "genre_health_dashboard", "stg_feed__interactions", "Genre health"):
        assert name in html

    shot = tmp_path / "docs-lineage.png"
    result = run_chromium(
        tmp_path, "--virtual-time-budget=15000", "--window-size=1280,900", f"--screenshot={shot}", url
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists(), result.stderr[-2000:]
    assert png_size(shot) == (1280, 900)
    assert shot.stat().st_size > 50_000
    keep_screenshot(shot)


def test_sections_say_when_their_mart_is_missing(compiled_analyses: dict[str, Analysis]):
    """While marts land, the page still renders and names what is missing."""
    con = duckdb.connect()
    try:
        html, status = render(AnalysisReader(con, compiled_analyses), ":memory:")
    finally:
        con.close()
    assert set(status) == {s.key for s in SECTIONS}
    assert all(state.startswith("missing: marts.") for state in status.values())
    assert html.count('class="missing"') == len(SECTIONS)


def test_precision_recall_matches_sklearn():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 400).astype(bool)
    scores = rng.random(400) + labels * 0.3
    precision, recall = precision_recall(labels, scores)
    sk_precision, sk_recall, _ = precision_recall_curve(labels, scores)
    # sklearn lists thresholds from low to high and appends (precision 1, recall 0).
    assert precision[::-1] == pytest.approx(sk_precision[:-1])
    assert recall[::-1] == pytest.approx(sk_recall[:-1])


def warehouse_file(folder: Path) -> duckdb.DuckDBPyConnection:
    """A connection to a new file named like the built warehouse, so compiled analyses run on it."""
    return duckdb.connect(str(folder / "warehouse.duckdb"))


def test_a_model_that_lost_to_its_baseline_is_drawn_red_and_named_so(
    compiled_analyses: dict[str, Analysis], tmp_path: Path
):
    con = warehouse_file(tmp_path)
    try:
        con.execute("create schema marts")
        con.execute("""
            create table marts.ml_model_headline_metrics as select * from (values
                ('feed', 'watch_time_gradient_boosting', 'test', 'rmse', 91.0, 'genre_mean', 84.0,
                 'lower_is_better', false, 1, 3),
                ('moderation', 'claims_classifier_text', 'test', 'f1', 0.9, 'majority_class', 0.6,
                 'higher_is_better', true, 7, 8),
                ('moderation', 'verified_status_logistic', 'test', null, null, null, null, null, null, 0, 0)
            ) as t(domain, model_name, dataset_type, headline_metric, value, baseline_name, baseline_value,
                   metric_direction, beats_baseline, metrics_beating_baseline, metrics_compared)""")
        html = model_baselines(AnalysisReader(con, compiled_analyses))
    finally:
        con.close()
    bars = re.findall(r'<rect class="bar"[^>]*fill="([^"]+)"><title>([^<]+)</title>', html)
    assert [(fill, title.split(":")[0]) for fill, title in bars] == [
        ("#d62728", "watch_time_gradient_boosting"),
        ("#2ca02c", "claims_classifier_text"),
    ]
    assert "rmse: did not beat genre_mean" in bars[0][1]
    assert "f1: beat majority_class" in bars[1][1]
    assert "<td>did not beat genre_mean</td>" in html
    assert "<td>no baseline</td>" in html
    assert "beats_baseline" not in html


def test_improvement_over_baseline_is_signed_by_the_metric_direction():
    assert improvement_over_baseline(91.0, 84.0, "lower_is_better") == pytest.approx(-7 / 91)
    assert improvement_over_baseline(0.9, 0.6, "higher_is_better") == pytest.approx(0.3 / 0.9)
    assert improvement_over_baseline(0.5, 0.5, "higher_is_better") == 0.0
    assert improvement_over_baseline(0.0, 0.0, "lower_is_better") == 0.0


def test_moderation_section_renders_with_no_test_rows(compiled_analyses: dict[str, Analysis], tmp_path: Path):
    con = warehouse_file(tmp_path)
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.claim_predictions (video_id bigint, claim_probability double, claim_status varchar, "
            "predicted_claim_status varchar, dataset_type varchar)"
        )
        con.execute(
            "create table marts.ml_model_metrics (model_name varchar, dataset_type varchar, metric varchar, "
            "value double, baseline_name varchar, baseline_value double, beats_baseline boolean, "
            "domain varchar)"
        )
        html = moderation(AnalysisReader(con, compiled_analyses))
    finally:
        con.close()
    assert 'class="chart empty"' in html
    assert "no labelled videos in the test split" in html
