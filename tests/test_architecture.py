"""Dependencies point inward: the ledger imports no adapter library; labels know nothing of the ledger.

Every module is parsed (not imported), so an import hidden in a function or under TYPE_CHECKING counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package → top-level modules it must never import.
FORBIDDEN: dict[str, frozenset[str]] = {
    "ledger": frozenset({"litestar", "apscheduler", "reportlab", "qrcode", "uvicorn", "routes", "jobs", "labels"}),
    "labels": frozenset({"ledger", "sqlalchemy", "sqlmodel", "litestar", "alembic", "asyncpg", "aiosqlite"}),
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (absolute imports; relative ones stay in the package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_stay_inside_their_layer(package: str) -> None:
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules, f"{package}/ has no modules"
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in sorted(imported_modules(path) & FORBIDDEN[package])
    ]
    assert not offences, "\n".join(offences)


def test_the_check_sees_imports_anywhere(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from litestar import Request\n"
        "def f():\n    import qrcode.image\n    return importlib.import_module('reportlab.pdfgen')\n"
        "from . import sibling\n"
    )
    assert imported_modules(sample) == {"typing", "litestar", "qrcode", "reportlab"}


def test_labels_and_ledger_agree_on_codes_and_payloads() -> None:
    """labels/ may not import the ledger, so it keeps its own copy of the code's segments: they must agree, and
    every QR payload it prints must read back through the parser the scan API uses."""
    from labels import CODE_SEGMENTS, label_qr_payload, manifest_qr_payload
    from ledger.errors import InvalidIdentifier
    from ledger.identifiers import CONTAINER_CODE_SEGMENTS, container_code_from_scan

    assert [length for _, length in CODE_SEGMENTS] == [length for _, length in CONTAINER_CODE_SEGMENTS]
    code = "91350100M000100Y43" + "84100101" + "20261204" + "001"
    for base in ("http://127.0.0.1:8000", "https://wasteledger.example/city/"):
        assert str(container_code_from_scan(label_qr_payload(base, code))) == code
        # A manifest's QR must be told apart from a container label's, not misread as one.
        with pytest.raises(InvalidIdentifier, match="manifest"):
            container_code_from_scan(manifest_qr_payload(base, "20265001000001", "ab" * 32))
