"""Starting the desktop client: ``omniinbox --cache PATH`` opens the window on that cache (creating
the local administrator on a new one), the palette, and a cache that cannot be opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from omniinbox import cli
from omniinbox.core import Role
from omniinbox.store.accounts import get_user
from omniinbox.store.cache import Cache
from omniinbox.ui import app as ui_app
from omniinbox.ui.main_window import MainWindow


def test_the_command_without_a_subcommand_opens_the_window(
    qapp: QApplication, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new.sqlite"
    seen: list[tuple[str, str]] = []
    before = {id(w) for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)}  # other tests' windows

    def run_a_moment(self: QApplication) -> int:  # instead of the application's own loop
        qtbot.waitUntil(lambda: any(isinstance(w, MainWindow) and w.isVisible() for w in qapp.topLevelWidgets()))
        windows = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and w.isVisible() and id(w) not in before
        ]
        seen.extend((w.windowTitle(), w.user.login) for w in windows)
        for w in windows:
            w.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", run_a_moment)
    assert cli.main(["--cache", str(path)]) == 0
    assert len(seen) == 1 and seen[0][0] == "OmniInbox"
    left = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and id(w) not in before]
    assert not left  # this run's window is gone with its runner
    with Cache.open(path) as cache:
        user = get_user(cache, seen[0][1])
        assert user is not None and user.role is Role.ADMIN


def test_a_cache_that_cannot_be_opened_is_said_and_not_a_traceback(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "not-a-cache.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: said.append(str(args[2])))
    assert ui_app.run(bad) == 1
    assert said and "not a usable OmniInbox cache" in said[0]


def test_palettes(qapp: QApplication) -> None:
    dark = ui_app.dark_palette()
    assert dark.color(QPalette.ColorRole.Window).lightness() < 60
    assert dark.color(QPalette.ColorRole.Text).lightness() > 200
    ui_app.apply_palette(qapp)  # whatever the system says now, it applies without complaint
    app: Any = ui_app.create_application()
    assert app is qapp and app.style().name().lower() == "fusion"
