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


def test_create_ticket_from_a_social_item_queues_it_and_hands_off(
    qtbot: Any, window: MainWindow, runner: TaskRunner, sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omniinbox.store import tickets
    from omniinbox.ui import collab

    reader = sample.cache.reader()
    try:
        item_id = reader.execute(
            "SELECT i.id FROM items i JOIN accounts a ON a.id = i.account_id WHERE a.channel = 'x'"
            " AND i.direction = 'in' ORDER BY i.id DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        reader.close()
    assert window.collab.ticket_action in window.findChildren(type(window.collab.ticket_action))
    window.open_item(item_id)
    monkeypatch.setattr(window, "selected_item_ids", lambda: [item_id])
    shown: list[collab.TicketDialog] = []

    def accept(dialog: collab.TicketDialog) -> int:
        shown.append(dialog)
        assert "\n" in dialog.text.toPlainText() and dialog.subject.text()
        return collab.QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(collab.TicketDialog, "exec", accept)
    window.collab.ticket_action.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    wait_idle(qtbot, runner)
    conversation = tickets.draft_for(sample.cache, item_id)
    assert conversation is not None
    links = tickets.links_of_conversation(sample.cache, conversation.conversation_id)
    assert len(links) == 1
    facts = usecases.views.conversation(sample.cache, conversation.conversation_id)
    assert facts is not None and facts.team == "contact_center"


def test_the_tray_tells_the_mentioned_person(qtbot: Any, runner: TaskRunner, sample: Sample, tmp_path: Any) -> None:
    from PySide6.QtCore import QSettings

    from omniinbox.store import notices
    from omniinbox.ui.tray import Tray

    settings = QSettings(str(tmp_path / "desktop.ini"), QSettings.Format.IniFormat)
    tray = Tray(runner, sample.agent, None, settings)
    qtbot.waitUntil(lambda: tray._marks is not None, timeout=5000)
    try:
        item_id = sample.cache.conn.execute("SELECT id FROM items ORDER BY id DESC LIMIT 1").fetchone()[0]
        social = sample.social
        with qtbot.waitSignal(tray.notified, timeout=5000) as blocker:
            runner.write(lambda c: usecases.add_note(c, social, [item_id], f"@{sample.agent.login} mohon dicek"))
        kind, title, text = blocker.args
        assert kind == notices.MENTIONED and social.name in title and "mohon dicek" in text
    finally:
        tray.close()
