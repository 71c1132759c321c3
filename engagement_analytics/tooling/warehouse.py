"""Building the warehouse: where the raw files and the warehouse file live, and running dbt."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engagement_analytics.tooling.contract import FolderCheck

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_RAW_DIR = PROJECT_DIR / "data" / "raw" / "default"
DEFAULT_SCALE = 0.02
DEFAULT_SEED = 42


@dataclass(frozen=True)
class BuildPaths:
    raw_dir: Path
    warehouse_db: Path
    target_dir: Path
    log_dir: Path


def resolve_paths(environ: dict[str, str] | None = None) -> BuildPaths:
    """Paths from WAREHOUSE_RAW_DIR and WAREHOUSE_DB, with the documented defaults."""
    environ = dict(os.environ if environ is None else environ)
    raw_dir = Path(environ.get("WAREHOUSE_RAW_DIR") or DEFAULT_RAW_DIR)
    warehouse_db = Path(environ.get("WAREHOUSE_DB") or PROJECT_DIR / "warehouse.duckdb")
    return BuildPaths(
        raw_dir=raw_dir.resolve(),
        warehouse_db=warehouse_db.resolve(),
        target_dir=Path(environ.get("DBT_TARGET_PATH") or PROJECT_DIR / "target").resolve(),
        log_dir=Path(environ.get("DBT_LOG_PATH") or PROJECT_DIR / "logs").resolve(),
    )


def generator_digest(scale: float, seed: int) -> str:
    """Fingerprint of the generator's code, scale and seed: what the default data depends on."""
    digest = hashlib.sha256(f"{scale}|{seed}".encode())
    for source in sorted((Path(__file__).parent / "generator").glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def ensure_default_data(scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> Path:
    """Generate the embedded default dataset; later builds reuse it until the generator changes."""
    from engagement_analytics.tooling.generator import generate

    marker = DEFAULT_RAW_DIR / ".generator-digest"
    expected = generator_digest(scale, seed)
    if not marker.exists() or marker.read_text() != expected or not (DEFAULT_RAW_DIR / "truth.json").exists():
        generate(scale, seed, DEFAULT_RAW_DIR)
        marker.write_text(expected)
    return DEFAULT_RAW_DIR


def dbt_environment(paths: BuildPaths, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "WAREHOUSE_RAW_DIR": str(paths.raw_dir),
            "WAREHOUSE_DB": str(paths.warehouse_db),
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "DBT_TARGET_PATH": str(paths.target_dir),
            "DBT_LOG_PATH": str(paths.log_dir),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    env.update(extra or {})
    return env


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project's virtualenv)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str],
    paths: BuildPaths,
    extra_env: dict[str, str] | None = None,
    capture: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> subprocess.CompletedProcess:
    """Run one dbt command against the project with the given paths.

    ``capture`` keeps stdout and stderr in the result. ``on_line`` also captures, and is called
    with each output line as dbt writes it (stderr merged into stdout), to show progress."""
    command = [dbt_executable(), *args]
    env = dbt_environment(paths, extra_env)
    if on_line is None:
        return subprocess.run(command, cwd=PROJECT_DIR, env=env, text=True, capture_output=capture, check=False)
    lines: list[str] = []
    with subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            on_line(line.rstrip("\n"))
    return subprocess.CompletedProcess(command, process.returncode, "".join(lines), "")


STAGING_FOLDER = ".build"
# Flags that narrow `dbt build` to part of the project: such a build starts from a copy of the
# published file, so the models it does not select are kept.
SELECTION_FLAGS = ("-s", "--select", "--selector", "--exclude", "--resource-type", "--resource-types")


def staging_path(published: Path) -> Path:
    """Where a build writes before it is published: a sibling folder, the SAME file name.

    dbt-duckdb names the catalog after the file's stem and writes it into view definitions,
    so the staged file must keep the published file's name for its views to resolve after
    the rename."""
    return published.parent / STAGING_FOLDER / published.name


def is_partial(dbt_args: list[str]) -> bool:
    """True when the extra dbt arguments select part of the project."""
    return any(arg.split("=", 1)[0] in SELECTION_FLAGS for arg in dbt_args)


def _remove_database(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


def _checkpoint(path: Path) -> None:
    """Fold a leftover write-ahead log into the file, so the rename moves one complete file."""
    if path.with_name(path.name + ".wal").exists():
        import duckdb

        con = duckdb.connect(str(path))
        try:
            con.execute("checkpoint")
        finally:
            con.close()


def publish(staged: Path, published: Path) -> None:
    """Atomically replace the published warehouse with the staged one (same file system).

    os.replace is one rename(2): a reader that opened the old file keeps its inode (and its
    lock) until it disconnects; every connection opened afterwards reads the new file."""
    _checkpoint(staged)
    # A published file never has a write-ahead log: a stale one would be replayed into the
    # new file by its first reader.
    published.with_name(published.name + ".wal").unlink(missing_ok=True)
    os.replace(staged, published)


CONTRACT_ERROR = 2


def check_contract(raw_dir: Path) -> FolderCheck:
    """Check the raw folder against the contract and print what will be built: the domains
    found, the ones skipped and why, and one line per problem (errors on stderr)."""
    from engagement_analytics.tooling.contract import check_folder

    checked = check_folder(raw_dir)
    print(checked.summary())
    for warning in checked.warnings:
        print(warning)
    for error in checked.errors:
        print(error, file=sys.stderr)
    if checked.errors:
        print(
            f"the raw files in {raw_dir} break the contract ({len(checked.errors)} "
            f"problem{'s' if len(checked.errors) != 1 else ''}); see the README's raw-data contract",
            file=sys.stderr,
        )
    return checked


def build(dbt_args: list[str] | None = None, on_line: Callable[[str], None] | None = None) -> int:
    """`make build`: check the contract, then `dbt build` into a staged copy, then publish it
    atomically.

    Default data when WAREHOUSE_RAW_DIR is unset. The contract check runs before dbt starts:
    a broken contract stops here with exit code 2. dbt builds the domains whose files are present
    (WAREHOUSE_DOMAINS); the others are disabled. A full build starts from an empty file, so
    nothing stale survives; a partial build (a selection in ``dbt_args``) starts from a copy
    of the published file. A failed build leaves the published file untouched and the staged
    file in ``.build/`` for inspection. ``on_line`` receives dbt's output lines (run_dbt)
    instead of the terminal."""
    dbt_args = list(dbt_args or [])
    if not os.environ.get("WAREHOUSE_RAW_DIR"):
        ensure_default_data()
    paths = resolve_paths()
    checked = check_contract(paths.raw_dir)
    if not checked.ok:
        return CONTRACT_ERROR
    published = paths.warehouse_db
    staged = staging_path(published)
    staged.parent.mkdir(parents=True, exist_ok=True)
    _remove_database(staged)
    if is_partial(dbt_args) and published.exists():
        # Readers hold the published file read-only, so copying it is consistent.
        shutil.copyfile(published, staged)
    staged_paths = replace(paths, warehouse_db=staged)
    result = run_dbt(
        ["build", *dbt_args], staged_paths, {"WAREHOUSE_DOMAINS": ",".join(checked.domains)}, on_line=on_line
    )
    if result.returncode != 0:
        print(
            f"dbt build failed (exit {result.returncode}); {published} was not changed; "
            f"the failed build is in {staged}",
            file=sys.stderr,
        )
        return result.returncode
    publish(staged, published)
    print(f"published {published}")
    return 0


DEFAULT_SITE_DIR = PROJECT_DIR / "site"


def present_domains(raw_dir: Path) -> dict[str, str]:
    """WAREHOUSE_DOMAINS for dbt commands that read a warehouse built from ``raw_dir``: the
    domains whose files are present (nothing, so every domain, when the folder is absent)."""
    from engagement_analytics.tooling.contract import check_folder

    domains = check_folder(raw_dir).domains if raw_dir.is_dir() else []
    return {"WAREHOUSE_DOMAINS": ",".join(domains)} if domains else {}


def generate_docs(
    paths: BuildPaths, site_dir: Path, extra_args: list[str] | None = None
) -> subprocess.CompletedProcess:
    """`dbt docs generate --static` against ``paths``, for the domains present in its raw folder;
    the one-file site goes to ``site_dir/index.html`` (manifest and catalog are inlined, so it
    opens from disk)."""
    result = run_dbt(
        ["docs", "generate", "--static", *(extra_args or [])], paths, present_domains(paths.raw_dir), capture=True
    )
    if result.returncode == 0:
        site_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.target_dir / "static_index.html", site_dir / "index.html")
        for artefact in ("manifest.json", "catalog.json"):
            shutil.copyfile(paths.target_dir / artefact, site_dir / artefact)
    return result


@contextmanager
def published_copy(paths: BuildPaths, purpose: str) -> Iterator[BuildPaths]:
    """``paths`` pointing at a throw-away copy of the published warehouse, for dbt commands that
    only read it (docs, compiling analyses): dbt opens its database for writing, and a copy keeps
    BI readers of the published file unblocked. The copy keeps the file name, which is the
    catalog name the views refer to, in `.build/<purpose>/`."""
    copy = paths.warehouse_db.parent / STAGING_FOLDER / purpose / paths.warehouse_db.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    _remove_database(copy)
    shutil.copyfile(paths.warehouse_db, copy)
    try:
        yield replace(paths, warehouse_db=copy)
    finally:
        _remove_database(copy)


def docs(site_dir: Path = DEFAULT_SITE_DIR) -> int:
    """`make docs`: the static docs site of the published warehouse, without locking it.

    dbt opens its database for writing, so the catalog is read from a copy with the same file
    name (the catalog name) in `.build/docs/`; BI readers of the published file are never
    blocked. Builds the warehouse first when none is published."""
    paths = resolve_paths()
    if not paths.warehouse_db.exists():
        status = build()
        if status != 0:
            return status
        paths = resolve_paths()
    with published_copy(paths, "docs") as copy_paths:
        result = generate_docs(copy_paths, site_dir)
    print(result.stdout[-3000:], end="")
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr, end="")
        return result.returncode
    print(f"docs site written to {site_dir / 'index.html'}")
    return 0
