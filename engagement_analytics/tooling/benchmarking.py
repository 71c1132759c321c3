"""The benchmark harness behind benchmarks/*.py: run a command a number of times, each run in a
fresh child process, and report what it cost as Markdown.

Per run: the wall time; the CPU time (user + system) of the child and every descendant it
waited for (``os.wait4``); and the peak resident memory of the whole process tree, the child and
all its descendants summed, sampled from ``/proc`` every ``SAMPLE_INTERVAL_SECONDS`` (dbt runs
DuckDB and the Python models in its own process, but spawns helpers too). A sum of RSS counts
pages shared between processes once per process, so it errs high; a spike shorter than the
sampling interval is caught only as far as the largest single process's own peak
(``ru_maxrss``), which is the floor of the figure. Where ``/proc`` is missing, that floor is all
there is.

Per measurement: the median wall and CPU time over the runs and the largest peak. Per report:
the machine (cores, the load average before and after, Python, DuckDB and dbt versions), so a
figure is never read without its conditions. ``Report.render()`` gives the Markdown; each script
prints it, and a ``make bench`` can collect the reports into one page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from engagement_analytics.tooling.warehouse import PROJECT_DIR, dbt_executable

SAMPLE_INTERVAL_SECONDS = 0.05
MIB = 2**20
KIB = 2**10
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PROC = Path("/proc")
# How much of a failed command's output the error shows.
FAILED_OUTPUT_CHARS = 4000
# Versions reported beside every measurement.
VERSIONED_PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "scikit-learn")


class BenchmarkCommandError(RuntimeError):
    """A measured command failed: a benchmark of a failed run means nothing."""


@dataclass(frozen=True)
class Run:
    """One run of a command in a fresh child."""

    wall_seconds: float
    cpu_seconds: float
    peak_memory_mib: float
    output: str


@dataclass(frozen=True)
class Measurement:
    """A command run ``len(runs)`` times."""

    label: str
    runs: tuple[Run, ...]

    @property
    def median_wall_seconds(self) -> float:
        return statistics.median(run.wall_seconds for run in self.runs)

    @property
    def median_cpu_seconds(self) -> float:
        return statistics.median(run.cpu_seconds for run in self.runs)

    @property
    def peak_memory_mib(self) -> float:
        return max(run.peak_memory_mib for run in self.runs)


# --- the process tree's memory -------------------------------------------------------------------


def _parents() -> dict[int, list[int]]:
    """Every live process's children, from /proc/<pid>/stat (its fourth field is the parent)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = (PROC / entry.name / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # "pid (command name) state ppid ...": the name may hold spaces and parentheses.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children[parent].append(int(entry.name))
    return children


def _resident_bytes(pid: int) -> int:
    try:
        return int((PROC / str(pid) / "statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_resident_bytes(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, summed (0 without /proc)."""
    if not PROC.is_dir():
        return 0
    children = _parents()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _resident_bytes(pid)
        pending.extend(children.get(pid, ()))
    return total


class TreeMemorySampler:
    """Samples the resident memory of a process tree in a background thread; keeps the peak."""

    def __init__(self, root: int, interval: float = SAMPLE_INTERVAL_SECONDS):
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_resident_bytes(self.root))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


# --- running and measuring -------------------------------------------------------------------


def run_command(command: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path = PROJECT_DIR) -> Run:
    """Run ``command`` once in a fresh child and measure it (see the module docstring).

    Raises BenchmarkCommandError, with the command's output, when it exits non-zero."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, env=None if env is None else dict(env), stdout=output, stderr=subprocess.STDOUT
        )
        with TreeMemorySampler(process.pid) as sampler:
            # wait4 reaps the child and returns its resource usage with its reaped descendants'.
            _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if process.returncode != 0:
        raise BenchmarkCommandError(f"{' '.join(command)} exited {process.returncode}:\n{text[-FAILED_OUTPUT_CHARS:]}")
    # ru_maxrss is in KiB on Linux: the largest single process of the tree, the floor of the peak.
    peak = max(sampler.peak_bytes, usage.ru_maxrss * KIB)
    return Run(wall, usage.ru_utime + usage.ru_stime, peak / MIB, text)


def measure(
    label: str,
    command: Sequence[str],
    runs: int,
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_DIR,
    after_each: Callable[[Run], None] | None = None,
) -> Measurement:
    """``command`` run ``runs`` times, each in a fresh child; ``after_each`` is called with each
    run (e.g. to read what the run wrote before the next one overwrites it)."""
    done = []
    for _ in range(runs):
        done.append(run_command(command, env, cwd))
        if after_each is not None:
            after_each(done[-1])
    return Measurement(label, tuple(done))


def measure_dbt(
    label: str,
    args: Sequence[str],
    runs: int,
    env: Mapping[str, str],
    target_dir: Path,
    profiles_dir: Path = PROJECT_DIR,
    project_dir: Path = PROJECT_DIR,
) -> tuple[Measurement, dict[str, list[float]]]:
    """A dbt command run ``runs`` times, and each node's own execution time per run (from the
    run_results.json each run writes into ``target_dir``)."""
    per_node: dict[str, list[float]] = defaultdict(list)

    def collect(_: Run) -> None:
        for node, seconds in node_seconds(target_dir).items():
            per_node[node].append(seconds)

    command = dbt_command(*args, profiles_dir=profiles_dir, project_dir=project_dir)
    return measure(label, command, runs, env, after_each=collect), dict(per_node)


def run_checked(command: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path = PROJECT_DIR) -> str:
    """Run a set-up step (not measured); its output, or BenchmarkCommandError when it fails."""
    done = subprocess.run(
        list(command),
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        output = done.stdout[-FAILED_OUTPUT_CHARS:] + done.stderr[-FAILED_OUTPUT_CHARS:]
        raise BenchmarkCommandError(f"{' '.join(command)} exited {done.returncode}:\n{output}")
    return done.stdout


# --- the commands the scripts measure ----------------------------------------------------------


def python_command(*args: str) -> list[str]:
    """The project's Python (the running interpreter) with arguments."""
    return [sys.executable, *args]


def generate_command(scale: float, seed: int, out: Path) -> list[str]:
    """`python -m engagement_analytics generate` of every contract file."""
    return python_command(
        "-m",
        "engagement_analytics",
        "generate",
        "--quiet",
        "--scale",
        str(scale),
        "--seed",
        str(seed),
        "--out",
        str(out),
    )


def dbt_command(*args: str, profiles_dir: Path = PROJECT_DIR, project_dir: Path = PROJECT_DIR) -> list[str]:
    """The project's dbt with arguments, against this project and its profiles unless told otherwise."""
    return [dbt_executable(), *args, "--profiles-dir", str(profiles_dir), "--project-dir", str(project_dir)]


def work_environment(raw_dir: Path, work: Path, **extra: str) -> dict[str, str]:
    """The environment for dbt on ``raw_dir`` with the warehouse, target and logs under ``work``."""
    return {
        **os.environ,
        "WAREHOUSE_RAW_DIR": str(raw_dir),
        "WAREHOUSE_DB": str(work / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **extra,
    }


def node_seconds(target_dir: Path) -> dict[str, float]:
    """Each node's own execution time in the last dbt command's run_results.json, by node name."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    return {result["unique_id"].rsplit(".", 1)[-1]: result["execution_time"] for result in results}


def row_counts(warehouse_db: Path, queries: Mapping[str, str]) -> dict[str, int]:
    """label -> the count a ``select count(*) ...`` query returns, on a read-only connection."""
    import duckdb

    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        return {label: int(con.execute(sql).fetchall()[0][0]) for label, sql in queries.items()}
    finally:
        con.close()


# --- Markdown ----------------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def measurements_table(
    measurements: Sequence[Measurement], extra_columns: Mapping[str, Sequence[object]] | None = None
) -> str:
    """One row per measurement: runs, median wall and CPU seconds, peak memory of the process tree,
    then any ``extra_columns`` (name -> one value per measurement)."""
    extra = dict(extra_columns or {})
    rows = [
        (
            m.label,
            len(m.runs),
            f"{m.median_wall_seconds:.1f}",
            f"{m.median_cpu_seconds:.1f}",
            f"{m.peak_memory_mib:,.0f}",
            *(values[i] for values in extra.values()),
        )
        for i, m in enumerate(measurements)
    ]
    return markdown_table(["command", "runs", "median wall s", "median CPU s", "peak memory MiB", *extra], rows)


def node_seconds_table(per_node: Mapping[str, Sequence[float]], nodes: Iterable[str] | None = None) -> str:
    """One row per dbt node (all of them, or ``nodes`` in that order): its median own execution time."""
    names = list(per_node) if nodes is None else [name for name in nodes if name in per_node]
    return markdown_table(
        ["model", "median seconds"], [(name, f"{statistics.median(per_node[name]):.2f}") for name in names]
    )


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True)
class Machine:
    """What a measurement ran on, and how busy the machine was."""

    cores: int
    load_average: tuple[float, float, float]
    versions: dict[str, str]

    @classmethod
    def now(cls) -> Machine:
        versions = {"python": platform.python_version(), **{name: _version(name) for name in VERSIONED_PACKAGES}}
        return cls(os.cpu_count() or 1, os.getloadavg(), versions)


@dataclass
class Report:
    """A benchmark's Markdown: a title, what was measured (text and tables) and the machine."""

    title: str
    parts: list[str] = field(default_factory=list)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    machine_before: Machine = field(default_factory=Machine.now)

    def add(self, markdown: str) -> None:
        self.parts.append(markdown)

    def render(self) -> str:
        after = Machine.now()
        before = self.machine_before
        versions = ", ".join(f"{name} {version}" for name, version in after.versions.items())
        machine = (
            f"_{self.started:%Y-%m-%d %H:%M} UTC; {after.cores} cores; load average (1, 5, 15 min) "
            f"{', '.join(f'{x:.1f}' for x in before.load_average)} before, "
            f"{', '.join(f'{x:.1f}' for x in after.load_average)} after; {versions}._"
        )
        return "\n\n".join([f"## {self.title}", *self.parts, machine]) + "\n"
