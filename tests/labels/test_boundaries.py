"""labels/ is an adapter: it must not reach into the ledger, the web layer or the database."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

FORBIDDEN = {"ledger", "routes", "jobs", "litestar", "sqlalchemy", "sqlmodel", "asyncpg", "aiosqlite", "wasteledger"}
PACKAGE = Path(__file__).resolve().parents[2] / "labels"


def test_no_module_imports_the_ledger_web_or_database() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_labels_loads_none_of_them() -> None:
    code = (
        "import sys, labels, labels.examples;"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r});"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
