"""The benchmark harness (engagement_analytics.tooling.benchmarking) on tiny commands, and every
benchmark script's command line. No assertion on how long anything took."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from engagement_analytics.tooling.benchmarking import (
    BenchmarkCommandError,
    Measurement,
    Report,
    Run,
    markdown_table,
    measure,
    measurements_table,
    node_seconds,
    node_seconds_table,
    run_command,
)
from engagement_analytics.tooling.warehouse import PROJECT_DIR

MIB = 2**20
# Python code that holds this many MiB (pages written, so resident) for a moment.
HOLD = "import time; block = b'x' * ({mib} * 2**20); time.sleep({seconds})"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_run_reports_the_commands_own_peak_memory():
    run = run_command(python(HOLD.format(mib=200, seconds=0.3)))
    assert run.wall_seconds > 0
    assert run.cpu_seconds >= 0
    assert 200 <= run.peak_memory_mib < 1000


def test_the_peak_is_the_whole_process_trees():
    """A parent and its child each hold 150 MiB at once: the tree held 300, no single process did."""
    child = HOLD.format(mib=150, seconds=1.5)
    parent = f"import subprocess, sys; block = b'y' * (150 * 2**20); subprocess.run([sys.executable, '-c', {child!r}])"
    run = run_command(python(parent))
    assert run.peak_memory_mib >= 300


def test_a_failing_command_stops_the_benchmark_with_its_output():
    with pytest.raises(BenchmarkCommandError, match="exited 3:\nbroken"):
        run_command(python("print('broken'); raise SystemExit(3)"))


def test_a_measurement_runs_the_command_in_a_fresh_child_each_time():
    seen: list[Run] = []
    measurement = measure("pid", python("import os; print(os.getpid())"), 3, after_each=seen.append)
    assert len(measurement.runs) == 3
    assert list(measurement.runs) == seen
    assert len({run.output for run in measurement.runs}) == 3


def test_medians_and_peak_over_the_runs():
    runs = tuple(Run(wall, cpu, peak, "") for wall, cpu, peak in [(3.0, 1.0, 10.0), (1.0, 5.0, 30.0), (2.0, 3.0, 20.0)])
    measurement = Measurement("m", runs)
    assert measurement.median_wall_seconds == 2.0
    assert measurement.median_cpu_seconds == 3.0
    assert measurement.peak_memory_mib == 30.0
    assert measurements_table([measurement], {"extra": ["x"]}).splitlines() == [
        "| command | runs | median wall s | median CPU s | peak memory MiB | extra |",
        "|---|---|---|---|---|---|",
        "| m | 3 | 2.0 | 3.0 | 30 | x |",
    ]


def test_node_seconds_come_from_run_results(tmp_path: Path):
    results = {"results": [{"unique_id": "model.engagement_warehouse.a", "execution_time": 1.5}]}
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    assert node_seconds(tmp_path) == {"a": 1.5}
    assert node_seconds_table({"a": [1.0, 2.0, 9.0], "b": [1.0]}, ["a", "missing"]).splitlines() == [
        "| model | median seconds |",
        "|---|---|",
        "| a | 2.00 |",
    ]


def test_a_report_names_the_machine_it_ran_on():
    report = Report("Tiny")
    report.add(markdown_table(["a"], [[1]]))
    text = report.render()
    assert text.startswith("## Tiny\n\n| a |\n|---|\n| 1 |\n\n_")
    for expected in ("cores", "load average (1, 5, 15 min)", "before", "after", "python", "duckdb", "dbt-core"):
        assert expected in text


def load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The smallest command line each script takes (the other options have defaults).
REQUIRED_ARGUMENTS = {"face_landmarks_benchmark": ["--raw", "/tmp/raw", "--work", "/tmp/work"]}


@pytest.mark.parametrize("path", sorted((PROJECT_DIR / "benchmarks").glob("*.py")), ids=lambda path: path.stem)
def test_every_benchmark_script_keeps_its_command_line_and_reports_through_the_harness(path: Path):
    script = load_script(path)
    args = script.parse_args([*REQUIRED_ARGUMENTS.get(path.stem, []), "--runs", "2"])
    assert args.runs == 2
    assert callable(script.run)
    assert "engagement_analytics.tooling.benchmarking" in path.read_text()
