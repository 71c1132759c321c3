"""The package's two parts depend one way: ``engagement_analytics.domains`` (the libraries behind
the dbt Python models) imports nothing from ``engagement_analytics.tooling``, and a dbt Python
model imports nothing but ``engagement_analytics.domains``. Imports are read with ``ast``, so a
function-level or relative import counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engagement_analytics.tooling.warehouse import PROJECT_DIR

PACKAGE = "engagement_analytics"
DOMAINS = f"{PACKAGE}.domains"
TOOLING = f"{PACKAGE}.tooling"
DOMAINS_DIR = PROJECT_DIR / PACKAGE / "domains"
PYTHON_MODELS_DIR = PROJECT_DIR / "python_models"


def module_name(path: Path) -> str:
    """The dotted name of a module file under the project root (a package's ``__init__`` is the package)."""
    parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, relative imports resolved against the file's package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                imported.append(".".join([*base, *([node.module] if node.module else [])]))
            else:
                imported.append(node.module or "")
    return imported


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_DIR))


DOMAIN_MODULES = sorted(DOMAINS_DIR.rglob("*.py"))
PYTHON_MODELS = sorted(PYTHON_MODELS_DIR.rglob("*.py"))


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=relative)
def test_domain_libraries_import_nothing_from_tooling(path: Path):
    assert [module for module in imported_modules(path) if is_within(module, TOOLING)] == []


@pytest.mark.parametrize("path", PYTHON_MODELS, ids=relative)
def test_python_models_import_only_domain_libraries(path: Path):
    assert [module for module in imported_modules(path) if not is_within(module, DOMAINS)] == []


def test_every_python_model_folder_has_its_domain_library():
    """python_models/<domain>/ and engagement_analytics/domains/<domain>/ are named alike."""
    model_folders = {path.parent.name for path in PYTHON_MODELS}
    assert model_folders
    assert model_folders <= {path.name for path in DOMAINS_DIR.iterdir() if path.is_dir()}


def test_the_check_sees_tooling_imports_however_they_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    package = tmp_path / PACKAGE / "domains" / "feed"
    package.mkdir(parents=True)
    module = package / "example.py"
    module.write_text(
        "import numpy\n"
        "from engagement_analytics.tooling import warehouse\n"
        "from ...tooling.report import svg\n"
        "from .. import ml_metrics\n"
        "def f():\n"
        "    import engagement_analytics.tooling.cli\n"
    )
    monkeypatch.setattr(f"{__name__}.PROJECT_DIR", tmp_path)
    assert imported_modules(module) == [
        "numpy",
        "engagement_analytics.tooling",
        "engagement_analytics.tooling.report",
        "engagement_analytics.domains",
        "engagement_analytics.tooling.cli",
    ]
    assert [m for m in imported_modules(module) if is_within(m, TOOLING)] == [
        "engagement_analytics.tooling",
        "engagement_analytics.tooling.report",
        "engagement_analytics.tooling.cli",
    ]
