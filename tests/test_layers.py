"""The layering rules of DESIGN.md, enforced."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "omniinbox"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(folder: str = "") -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def test_only_the_ui_imports_qt() -> None:
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in _modules()
        if "ui" not in path.relative_to(PACKAGE).parts[:1]
        and any(name.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"} for name in _imports(path))
    ]
    assert offenders == []


def test_connectors_never_touch_the_store() -> None:
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in _modules("connectors")
        if any(
            name.startswith(("omniinbox.store", "omniinbox.sync", "sqlite3", "sqlite_utils")) for name in _imports(path)
        )
    ]
    assert offenders == []


def test_the_store_knows_no_http() -> None:
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in _modules("store")
        if any(name.split(".")[0] in {"requests", "urllib3", "imaplib", "smtplib"} for name in _imports(path))
    ]
    assert offenders == []


def test_the_layer_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\n", encoding="utf-8")
    assert "PySide6.QtCore" in _imports(bad)
