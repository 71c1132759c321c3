"""The raw-data contract, checked before dbt starts.

The contract names the files a raw folder may hold, the domain each belongs to and the columns
each must have. ``check_folder`` decides which domains a folder holds and whether their files
keep the contract. Only a broken contract stops a build: a file that cannot be read, a required
column that is missing, or a column stored in a type that cannot be read as its contract type at
all (a LIST where a BIGINT is expected). Everything a row can get wrong (text that does not
parse, a negative count) is staging's business: it quarantines the row with a reason.

Rules:
- Domains. A domain is present when any of its files is; then every file of it is required.
  Experiments need the feed or face files too (an experiment tests one of those surfaces).
- Columns are matched by name, in any order and any case; extra columns are ignored. (DuckDB
  reads two names that differ only in case as `name` and `NAME_1`: the first one in the file is
  the contract column.)
- Types (Parquet; CSV files are read as text, every value parsed by staging): see
  ``readable_as``.

The checks are a list of functions (``FILE_CHECKS``) that each take the file's contract and
what was read of it and return problems; a problem is an error or a warning (printed, the build
goes on), so later rules (CSV row rejects, time zones) are one more function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

DOMAINS = ("feed", "moderation", "face", "experiments")
# Experiments test a surface: at least one of these domains must be present with them.
EXPERIMENT_SURFACES = ("feed", "face")

BIGINT, INTEGER, DOUBLE, DATE, TIMESTAMP, VARCHAR = "BIGINT", "INTEGER", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR"


@dataclass(frozen=True)
class Column:
    """One contract column. ``aliases`` are other names real exports use for it."""

    name: str
    type: str
    required: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class ContractFile:
    name: str
    domain: str
    columns: tuple[Column, ...]

    @property
    def format(self) -> str:
        return Path(self.name).suffix.lstrip(".")


CONTRACT: tuple[ContractFile, ...] = (
    ContractFile(
        "users.parquet",
        "feed",
        (Column("user_id", BIGINT), Column("preferred_genre", VARCHAR), Column("last_active", DATE)),
    ),
    ContractFile(
        "videos.parquet", "feed", (Column("video_id", BIGINT), Column("genre", VARCHAR), Column("upload_date", DATE))
    ),
    ContractFile(
        "interactions.parquet",
        "feed",
        (
            Column("interaction_id", BIGINT),
            Column("user_id", BIGINT),
            Column("video_id", BIGINT),
            Column("watch_time", DOUBLE),
            Column("first_click_timestamp", TIMESTAMP),
            Column("interaction_type", VARCHAR),
            Column("shares", INTEGER),
        ),
    ),
    ContractFile(
        "claims_videos.csv",
        "moderation",
        (
            Column("id", BIGINT, aliases=("#",)),
            Column("claim_status", VARCHAR),
            Column("video_id", BIGINT),
            Column("video_duration_sec", DOUBLE),
            Column("video_transcription_text", VARCHAR),
            Column("verified_status", VARCHAR),
            Column("author_ban_status", VARCHAR),
            Column("video_view_count", BIGINT),
            Column("video_like_count", BIGINT),
            Column("video_share_count", BIGINT),
            Column("video_download_count", BIGINT),
            Column("video_comment_count", BIGINT),
        ),
    ),
    ContractFile(
        "user_facial_data.parquet",
        "face",
        (
            Column("user_id", BIGINT),
            Column("captured_at", TIMESTAMP),
            Column("landmark_id", INTEGER),
            Column("x", DOUBLE),
            Column("y", DOUBLE),
            Column("z", DOUBLE),
        ),
    ),
    ContractFile(
        "user_expressions.parquet",
        "face",
        (
            Column("user_id", BIGINT),
            Column("recorded_at", TIMESTAMP),
            Column("expression_type", VARCHAR),
            Column("expression_strength", DOUBLE),
        ),
    ),
    ContractFile(
        "product_interactions.parquet",
        "face",
        (
            Column("user_id", BIGINT),
            Column("started_at", TIMESTAMP),
            Column("product", VARCHAR),
            Column("interaction_time", DOUBLE),
        ),
    ),
    ContractFile(
        "experiments.csv",
        "experiments",
        (
            Column("experiment_id", VARCHAR),
            Column("surface", VARCHAR),
            Column("start_date", DATE),
            Column("end_date", DATE),
            Column("control_variant", VARCHAR),
            Column("treatment_share", DOUBLE),
            # The arms and their planned shares (see the experiments docs); optional.
            Column("arms", VARCHAR, required=False),
        ),
    ),
    ContractFile(
        "experiment_assignments.parquet",
        "experiments",
        (
            Column("experiment_id", VARCHAR),
            Column("user_id", BIGINT),
            Column("variant", VARCHAR),
            Column("assigned_at", TIMESTAMP),
        ),
    ),
)
CONTRACT_BY_NAME = {contract.name: contract for contract in CONTRACT}

# How staging reads each CSV file; the sources in models/staging/_staging_raw__sources.yml use the same
# options. Every value is text: staging parses it row by row.
CSV_OPTIONS = {
    "claims_videos.csv": "header = true, all_varchar = true, quote = '\"', escape = '\"', strict_mode = false",
    "experiments.csv": "header = true, all_varchar = true",
}


def files_of(domain: str) -> list[ContractFile]:
    return [contract for contract in CONTRACT if contract.domain == domain]


# --- types -----------------------------------------------------------------------------------

INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
FLOAT_TYPES = {"FLOAT", "DOUBLE"}
TEMPORAL_TYPES = {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE"}
ZONED_TYPES = {"TIMESTAMP WITH TIME ZONE"}


def type_family(duckdb_type: str) -> str:
    """numeric, temporal, text, scalar (other castable scalars: BOOLEAN, TIME, UUID, ...), binary
    or nested."""
    upper = duckdb_type.upper().strip()
    if upper in INTEGER_TYPES or upper in FLOAT_TYPES or upper.startswith("DECIMAL"):
        return "numeric"
    if upper in TEMPORAL_TYPES:
        return "temporal"
    if upper == "VARCHAR" or upper.startswith("ENUM"):
        return "text"
    if upper == "BLOB" or upper.startswith("BIT"):
        return "binary"
    if upper.endswith("]") or upper.startswith(("STRUCT", "MAP", "UNION", "LIST")):
        return "nested"
    return "scalar"


# Contract type -> the families staging can try_cast from (a value that does not parse is then
# quarantined row by row). Text is readable as anything. A number is not read as a timestamp
# (epoch units differ between exports), nor a boolean as a number.
READABLE_FAMILIES = {
    BIGINT: {"numeric", "text"},
    INTEGER: {"numeric", "text"},
    DOUBLE: {"numeric", "text"},
    DATE: {"temporal", "text"},
    TIMESTAMP: {"temporal", "text"},
    VARCHAR: {"numeric", "temporal", "text", "scalar"},
}


def readable_as(duckdb_type: str, contract_type: str) -> bool:
    """True when staging can read a column stored as ``duckdb_type`` as ``contract_type``.

    Lists, structs, maps and binary values are never readable; numbers, dates and text are
    readable as text; text is readable as anything (parsed per row)."""
    return type_family(duckdb_type) in READABLE_FAMILIES[contract_type]


# --- problems and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One broken rule. ``severity`` error stops the build; warning is printed."""

    file: str
    message: str
    column: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        subject = f"{self.file}: column {self.column}" if self.column else f"{self.file}:"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{subject} {self.message}"


@dataclass
class FolderCheck:
    """What ``check_folder`` found: the domains to build, the skipped ones and why, the problems."""

    raw_dir: Path
    domains: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """The lines the build prints: domains built, domains skipped and why."""
        lines = [f"building domains: {', '.join(self.domains) or 'none'}"]
        lines += [f"skipping {domain}: {reason}" for domain, reason in self.skipped.items()]
        return "\n".join(lines)


@dataclass(frozen=True)
class ReadFile:
    """A file's columns as read: name -> DuckDB type, in file order."""

    columns: dict[str, str]


# --- reading -----------------------------------------------------------------------------------


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_columns(path: Path, con: duckdb.DuckDBPyConnection) -> ReadFile:
    """The columns of a contract file, read the way staging reads it (raises on unreadable files)."""
    if path.suffix == ".parquet":
        relation = f"read_parquet({_sql_string(str(path))})"
    else:
        relation = f"read_csv({_sql_string(str(path))}, {CSV_OPTIONS[path.name]})"
    described = con.execute(f"describe select * from {relation}").fetchall()
    return ReadFile({row[0]: row[1] for row in described})


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


# --- checks per file ---------------------------------------------------------------------------


def _by_lower_name(read: ReadFile) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for name in read.columns:
        names.setdefault(name.lower(), []).append(name)
    return names


def check_required_columns(contract: ContractFile, read: ReadFile) -> list[Problem]:
    present = _by_lower_name(read)
    problems = []
    for column in contract.columns:
        if column.required and not any(name.lower() in present for name in column.names):
            also = f", or {' or '.join(column.aliases)}" if column.aliases else ""
            problems.append(Problem(contract.name, f"is missing (expected {column.type}{also})", column=column.name))
    return problems


def check_column_types(contract: ContractFile, read: ReadFile) -> list[Problem]:
    if contract.format != "parquet":
        return []  # CSV values are text; staging parses each one.
    present = _by_lower_name(read)
    problems = []
    for column in contract.columns:
        for name in column.names:
            for actual in present.get(name.lower(), []):
                stored = read.columns[actual]
                if not readable_as(stored, column.type):
                    problems.append(
                        Problem(contract.name, f"is {stored}, which cannot be read as {column.type}", column=actual)
                    )
                elif stored.upper() in ZONED_TYPES and column.type in (DATE, TIMESTAMP):
                    problems.append(
                        Problem(
                            contract.name,
                            f"is {stored}: staging converts it to DuckDB's TimeZone setting and drops "
                            "the zone, which is UTC only when that setting is (the contract's "
                            "timestamps are UTC)",
                            column=actual,
                            severity="warning",
                        )
                    )
    return problems


FileCheck = Callable[[ContractFile, ReadFile], list[Problem]]
FILE_CHECKS: list[FileCheck] = [check_required_columns, check_column_types]


def check_file(contract: ContractFile, path: Path, con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """Every file check on one present contract file."""
    try:
        read = read_columns(path, con)
    except Exception as error:  # any reader error means the file cannot be read
        kind = "Parquet" if contract.format == "parquet" else "CSV"
        return [Problem(contract.name, f"cannot be read as {kind}: {_first_line(error)}")]
    problems: list[Problem] = []
    for check in FILE_CHECKS:
        problems.extend(check(contract, read))
    return problems


# --- the folder ----------------------------------------------------------------------------------


def _names(contracts: Iterable[ContractFile]) -> str:
    return ", ".join(contract.name for contract in contracts)


def check_folder(raw_dir: Path) -> FolderCheck:
    """Which domains ``raw_dir`` holds, and every contract problem of their files."""
    result = FolderCheck(raw_dir=raw_dir)
    if not raw_dir.is_dir():
        result.problems.append(Problem(str(raw_dir), "is not a folder"))
        return result
    for domain in DOMAINS:
        contracts = files_of(domain)
        present = [c for c in contracts if (raw_dir / c.name).is_file()]
        if not present:
            result.skipped[domain] = f"files not found in {raw_dir} ({_names(contracts)})"
            continue
        result.domains.append(domain)
        for contract in contracts:
            if contract not in present:
                result.problems.append(
                    Problem(
                        contract.name,
                        f"is missing: the {domain} domain needs it ({_names(present)} "
                        f"{'is' if len(present) == 1 else 'are'} present in {raw_dir})",
                    )
                )
    if "experiments" in result.domains and not any(s in result.domains for s in EXPERIMENT_SURFACES):
        result.problems.append(
            Problem(
                _names(files_of("experiments")),
                f"experiments need the files of a surface they test ({' or '.join(EXPERIMENT_SURFACES)}); "
                f"none found in {raw_dir}",
            )
        )
    if not result.domains:
        result.problems.append(Problem(str(raw_dir), "holds no contract file (" + _names(CONTRACT) + ")"))
    con = duckdb.connect()
    try:
        for domain in result.domains:
            for contract in files_of(domain):
                path = raw_dir / contract.name
                if path.is_file():
                    result.problems.extend(check_file(contract, path, con))
    finally:
        con.close()
    return result


def report(check: FolderCheck) -> str:
    """Every problem, one line each, errors first."""
    return "\n".join(str(p) for p in [*check.errors, *check.warnings])
