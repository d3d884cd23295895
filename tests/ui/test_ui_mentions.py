"""Saved searches in the side bar, the Mentions queue and the @ completer of the note editor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ui_support import Sample, wait_idle

from omniinbox import usecases
from omniinbox.store.views import ListFilter
from omniinbox.ui.collab import MentionSource
from omniinbox.ui.main_window import MainWindow
from omniinbox.ui.tasks import TaskRunner


@pytest.fixture
def window(qtbot: Any, runner: TaskRunner, sample: Sample) -> Iterator[MainWindow]:
    w = MainWindow(runner, sample.social)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.inbox.model.rowCount() > 0, timeout=5000)
    wait_idle(qtbot, runner)
    yield w
    w.close()


def test_saved_search_shows_in_the_sidebar_and_runs(qtbot: Any, window: MainWindow, runner: TaskRunner) -> None:
    window.collab.save("Banjir", "banjir", ListFilter(channels=("x",)))
    qtbot.waitUntil(lambda: any(k.startswith("saved:") for k in window.sidebar.nav._items), timeout=5000)
    key = next(k for k in window.sidebar.nav._items if k.startswith("saved:"))
    window.sidebar.select(key)
    qtbot.waitUntil(lambda: window.search_field.text() == "banjir", timeout=5000)
    assert window.inbox.filter == ListFilter(channels=("x",))


def test_mentions_queue_and_completer(qtbot: Any, window: MainWindow, runner: TaskRunner, sample: Sample) -> None:
    item_id = window.inbox.model.item_id(0)
    other = next(u for u in usecases.views.users(sample.cache) if u.id != sample.social.id)
    usecases.add_note(sample.cache, other, [item_id], f"@{sample.social.login} tolong cek")
    window.sidebar.select("queue:mentions")
    qtbot.waitUntil(lambda: isinstance(window.inbox.model.source, MentionSource), timeout=5000)
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == 1, timeout=5000)
    completer = window.collab.mention_completer
    qtbot.waitUntil(lambda: completer.model.rowCount() > 0, timeout=5000)
    window.pane.note_editor.setFocus()
    window.pane.note_editor.insertPlainText("@" + sample.social.login[:2])
    assert completer.completer.completionCount() >= 1
