"""The layers: questionnaires/ and analysis/ are pure; web -> services -> db; services use no
framework. The import-linter contracts in pyproject.toml are what `make lint` checks."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("survey_app", "litestar", "piccolo")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["questionnaires", "analysis"])
def test_pure_packages_import_no_web_or_database_code(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    offenders = {
        str(f.relative_to(ROOT)): sorted(_imports(f) & set(FORBIDDEN))
        for f in files
        if _imports(f) & set(FORBIDDEN)
    }
    assert offenders == {}


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "pyproject.toml", "--no-cache"],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
        timeout=300, check=False,
    )


def test_the_layer_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


def _copy_of_the_tree(tmp_path: Path) -> Path:
    for package in ("survey_app", "questionnaires", "analysis"):
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "static", "resources"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(("module", "reversed_import", "contract"), [
    ("survey_app/db/queries/_reversed.py", "from survey_app.web import rendering",
     "web -> services -> db"),
    ("survey_app/services/_reversed.py", "import litestar", "services use no framework"),
    ("survey_app/web/pages/_reversed.py", "from survey_app.db.queries import units",
     "web reaches the database only through services"),
    ("analysis/_reversed.py", "import survey_app.config", "questionnaires and analysis are pure"),
])
def test_a_reversed_import_breaks_the_lint(
    tmp_path: Path, module: str, reversed_import: str, contract: str
) -> None:
    tree = _copy_of_the_tree(tmp_path)
    (tree / module).write_text(reversed_import + "\n", encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[1]
    offender = module.removesuffix(".py").replace("/", ".")
    assert contract in broken and offender in broken, result.stdout[-3000:]
