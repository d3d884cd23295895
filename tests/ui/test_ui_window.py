"""The main window end to end on the sample cache: keyboard navigation, Promote/Protect per team,
assignment and bulk actions reaching the database (rows and audit), search, the side bar, team
panels, replies through the outbox with their state, plain text for HTML-looking messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget
from ui_support import Sample, wait_idle

from omniinbox import usecases
from omniinbox.core import Author, Item, ItemKind, Page, Priority, Team, utcnow
from omniinbox.store import outbox, views
from omniinbox.store.accounts import get_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page
from omniinbox.ui.main_window import MainWindow
from omniinbox.ui.models.item_list import Column
from omniinbox.ui.shortcuts import SHORTCUTS
from omniinbox.ui.tasks import TaskRunner


@pytest.fixture
def window(qtbot: Any, runner: TaskRunner, sample: Sample) -> Iterator[MainWindow]:
    w = MainWindow(runner, sample.social)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: w.inbox.model.rowCount() > 0, timeout=5000)
    wait_idle(qtbot, runner)
    yield w
    w.close()


def _read(sample: Sample, sql: str, *params: object) -> list[tuple[Any, ...]]:
    reader = Cache.reader(sample.cache)
    try:
        return reader.execute(sql, params).fetchall()
    finally:
        reader.close()


def _key(qtbot: Any, window: MainWindow, key: Any, modifier: Any = Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget() or window.inbox.view
    qtbot.keyClick(target, key, modifier)


def _settle(qtbot: Any, runner: TaskRunner) -> None:
    wait_idle(qtbot, runner)
    qtbot.wait(10)
    wait_idle(qtbot, runner)


def test_models_of_the_window_pass_the_model_tester(qtmodeltester: Any, window: MainWindow) -> None:
    qtmodeltester.check(window.sidebar.nav)
    qtmodeltester.check(window.pane.thread_view.thread_model)
    qtmodeltester.check(window.pane.composer.outbox)
    qtmodeltester.check(window.pane.audit)
    qtmodeltester.check(window.pane.notes)
    qtmodeltester.check(window.pane.earlier)
    qtmodeltester.check(window.social_panel.model)


def test_keyboard_moves_opens_and_marks_read(qtbot: Any, window: MainWindow, runner: TaskRunner,
                                             sample: Sample) -> None:  # fmt: skip
    view = window.inbox.view
    view.setFocus()
    _key(qtbot, window, Qt.Key.Key_J)
    start = view.currentIndex().row()
    assert start in (0, 1)  # the first row, or the next after the one focus landed on
    for _ in range(3):
        _key(qtbot, window, Qt.Key.Key_J)
    _key(qtbot, window, Qt.Key.Key_K)
    assert view.currentIndex().row() == start + 2
    _key(qtbot, window, Qt.Key.Key_Down)
    assert view.currentIndex().row() == start + 3
    item_id = window.inbox.current_item()
    assert item_id is not None
    unread = not views.list_rows(sample.cache.reader(), [item_id])[0].is_read
    _key(qtbot, window, Qt.Key.Key_Return)
    _settle(qtbot, runner)
    assert window.pane.item_id == item_id and window.pane.data is not None
    assert window.pane.data.item_id == item_id
    if unread:
        assert _read(sample, "SELECT is_read FROM items WHERE id = ?", item_id) == [(1,)]
    window.inbox.view.setFocus()
    _key(qtbot, window, Qt.Key.Key_R)
    assert QApplication.focusWidget() is window.pane.composer.editor
    _key(qtbot, window, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is window.inbox.view
    _key(qtbot, window, Qt.Key.Key_Slash)
    assert QApplication.focusWidget() is window.search_field
    _key(qtbot, window, Qt.Key.Key_J)  # a letter in the search field, not "next"
    assert window.search_field.text() == "j" and view.currentIndex().row() == start + 3
    window.search_field.clear()
    window.inbox.view.setFocus()
    _key(qtbot, window, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert window.sheet is not None and window.sheet.isVisible()
    table = window.sheet.findChild(QTableWidget, "shortcut-table")
    assert table is not None and table.rowCount() == len(SHORTCUTS)
    window.sheet.close()


def test_promote_and_protect_keys_record_the_working_teams_judgement(
    qtbot: Any, window: MainWindow, runner: TaskRunner, sample: Sample
) -> None:
    window.inbox.view.setFocus()
    _key(qtbot, window, Qt.Key.Key_J)
    item_id = window.inbox.current_item()
    assert item_id is not None
    for team in Team:  # a clean slate
        runner.write(lambda c, t=team: usecases.clear_tag(c, sample.social, [item_id], t))
    wait_idle(qtbot, runner)
    _key(qtbot, window, Qt.Key.Key_P)
    _settle(qtbot, runner)
    assert _read(sample, "SELECT team, value, set_by FROM tags WHERE item_id = ?", item_id) == [
        ("social", "promote", sample.social.id)
    ]
    window.team_choice.setCurrentIndex(1)  # working as the contact center now
    _key(qtbot, window, Qt.Key.Key_X)
    _settle(qtbot, runner)
    assert sorted(_read(sample, "SELECT team, value FROM tags WHERE item_id = ?", item_id)) == [
        ("contact_center", "protect"),
        ("social", "promote"),
    ]
    actions = [r[0] for r in _read(sample, "SELECT action FROM audit_events WHERE target = ?", f"item:{item_id}")]
    assert actions[-2:] == ["tag.set", "tag.set"]

    # both judgements side by side in the list, once the row is read again
    at = window.inbox.model.row_of(item_id)
    assert at is not None

    def both_shown() -> bool:
        window.inbox.model.data(window.inbox.model.index(at, 0))  # as the view painting it does
        row = window.inbox.model.list_row(at)
        return row is not None and row.tags == {"social": "promote", "contact_center": "protect"}

    qtbot.waitUntil(both_shown, timeout=5000)
    text = window.inbox.model.data(window.inbox.model.index(at, Column.TAGS))
    assert text == "SM: Promote  CC: Protect"


def test_bulk_actions_on_a_selection_reach_every_conversation(qtbot: Any, window: MainWindow, runner: TaskRunner,
                                                              sample: Sample) -> None:  # fmt: skip
    view = window.inbox.view
    view.selectRow(0)
    for row in range(1, 6):
        view.selectionModel().select(
            window.inbox.model.index(row, 0),
            view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
        )
    ids = window.selected_item_ids()
    assert len(ids) == 6
    conversations = views.conversation_ids_for(sample.cache.reader(), ids)
    window.item_actions.assign_to(sample.agent.id)
    window.item_actions.note("Mohon dicek")
    window.item_actions.label("banjir")
    window.item_actions.set_priority(Priority.URGENT)
    window.item_actions.mark_read(True)
    _settle(qtbot, runner)
    marks = ",".join("?" * len(conversations))
    rows = _read(sample, f"SELECT assignee_id, priority FROM conversations WHERE id IN ({marks})", *conversations)
    assert set(rows) == {(sample.agent.id, 3)}
    for cid in conversations:
        actions = [
            r[0] for r in _read(sample, "SELECT action FROM audit_events WHERE target = ?", f"conversation:{cid}")
        ]
        assert {"conversation.assign", "note.add", "conversation.priority"} <= set(actions)
        assert _read(sample, "SELECT user_id FROM audit_events WHERE target = ? ORDER BY id DESC LIMIT 1",
                     f"conversation:{cid}") == [(sample.social.id,)]  # fmt: skip
    marks = ",".join("?" * len(ids))
    assert _read(sample, f"SELECT count(*) FROM labels WHERE label = 'banjir' AND item_id IN ({marks})", *ids) == [(6,)]
    assert _read(sample, f"SELECT sum(is_read) FROM items WHERE id IN ({marks})", *ids) == [(6,)]
    window.item_actions.escalate()
    _settle(qtbot, runner)
    marks = ",".join("?" * len(conversations))
    rows = _read(sample, f"SELECT DISTINCT assignee_id FROM conversations WHERE id IN ({marks})", *conversations)
    assert rows == [(sample.supervisor.id,)]
    assert "Escalated to Supervisor 1" in window.status.currentMessage()


def test_assign_key_offers_people(qtbot: Any, window: MainWindow, runner: TaskRunner, sample: Sample) -> None:
    window.inbox.view.setFocus()
    _key(qtbot, window, Qt.Key.Key_J)
    _key(qtbot, window, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: window.item_actions.menu is not None and window.item_actions.menu.isVisible(), timeout=5000)
    menu = window.item_actions.menu
    assert menu is not None
    titles = [a.text() for a in menu.actions() if a.text()]
    assert titles[0] == "Assign to me" and titles[-1] == "Unassign"
    assert any(t.startswith("Agent 1") for t in titles)
    agent = next(a for a in menu.actions() if a.text().startswith("Agent 2"))
    menu.close()
    agent.trigger()
    _settle(qtbot, runner)
    cid = views.conversation_ids_for(sample.cache.reader(), [window.inbox.current_item() or 0])[0]
    agent2 = _read(sample, "SELECT id FROM users WHERE login = 'agent-2'")[0][0]
    assert _read(sample, "SELECT assignee_id FROM conversations WHERE id = ?", cid) == [(agent2,)]


def test_search_shows_matches_in_the_same_list(qtbot: Any, window: MainWindow, runner: TaskRunner,
                                               sample: Sample) -> None:  # fmt: skip
    window.search_field.setFocus()
    qtbot.keyClicks(window.search_field, "banj")
    assert window.inbox.search_text() == ""  # typing is never held up by a query
    qtbot.keyClicks(window.search_field, "ir*")
    qtbot.waitUntil(lambda: window.inbox.search_text() == "banjir*", timeout=5000)
    _settle(qtbot, runner)
    expected = views.search_ids(sample.cache.reader(), "banjir*", limit=500)
    assert [window.inbox.model.item_id(r) for r in range(window.inbox.model.rowCount())] == expected
    window.sidebar.select("queue:unassigned")  # the search keeps to the queue chosen
    _settle(qtbot, runner)
    unassigned = views.search_ids(sample.cache.reader(), "banjir*", views.queue_filter(views.QueueKind.UNASSIGNED),
                                  limit=500)  # fmt: skip
    assert [window.inbox.model.item_id(r) for r in range(window.inbox.model.rowCount())] == unassigned
    window.search_field.clear()
    qtbot.waitUntil(lambda: window.inbox.search_text() == "", timeout=5000)
    window.search_field.setText('"tidak ada kata ini"')
    qtbot.waitUntil(lambda: window.inbox.empty.isVisible(), timeout=5000)


def test_side_bar_and_team_panels(qtbot: Any, window: MainWindow, runner: TaskRunner, sample: Sample) -> None:
    qtbot.waitUntil(lambda: window.sidebar.nav.counts is not None, timeout=5000)
    assert window.sidebar.nav.index_of(f"account:{sample.account_id('x:walikota')}").isValid()
    leaders = window.sidebar.nav.index_of(f"account:{sample.account_id('x:walikota')}").parent()
    assert leaders.data() == "Leaders' accounts"
    window.sidebar.select("queue:mine")
    _settle(qtbot, runner)
    mine = views.page_ids(sample.cache.reader(), views.queue_filter(views.QueueKind.MINE, user_id=sample.social.id),
                          limit=500)  # fmt: skip
    assert [window.inbox.model.item_id(r) for r in range(window.inbox.model.rowCount())] == mine
    window.sidebar.select("team:contact_center")
    assert window.tabs.currentWidget() is window.contact_panel
    panel = window.contact_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=5000)
    first = panel.model.item_id(0)
    assert views.conversation_facts(sample.cache.reader(), views.conversation_ids_for(sample.cache.reader(), [first]))
    panel.view.selectRow(0)
    panel.tag_requested.emit("promote")  # the panel's Promote button: the contact center's judgement
    _settle(qtbot, runner)
    assert ("contact_center", "promote") in _read(sample, "SELECT team, value FROM tags WHERE item_id = ?", first)
    panel.show_queue(views.QueueKind.PROMOTE)
    _settle(qtbot, runner)
    promoted = views.page_ids(sample.cache.reader(), views.queue_filter(views.QueueKind.PROMOTE,
                              team=Team.CONTACT_CENTER), limit=500)  # fmt: skip
    assert [panel.model.item_id(r) for r in range(panel.model.rowCount())] == promoted and first in promoted
    panel.select_item(first)
    window.item_actions.handoff_to(Team.SOCIAL, "Ini keluhan publik; mohon dijawab di kanal sosial")
    _settle(qtbot, runner)
    cid = views.conversation_ids_for(sample.cache.reader(), [first])[0]
    assert _read(sample, "SELECT team, assignee_id FROM conversations WHERE id = ?", cid) == [("social", None)]
    assert _read(sample, "SELECT body FROM notes WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", cid) == [
        ("Ini keluhan publik; mohon dijawab di kanal sosial",)
    ]


def _open(qtbot: Any, window: MainWindow, runner: TaskRunner, item_id: int) -> None:
    window.open_item(item_id)
    qtbot.waitUntil(lambda: window.pane.data is not None and window.pane.data.item_id == item_id, timeout=5000)
    _settle(qtbot, runner)


def test_a_reply_goes_through_the_outbox_and_its_state_shows(qtbot: Any, window: MainWindow, runner: TaskRunner,
                                                             sample: Sample) -> None:  # fmt: skip
    reader = sample.cache.reader()
    institution = views.page_ids(reader, views.ListFilter(account_ids=(sample.account_id("x:pemkot"),)), limit=1)[0]
    _open(qtbot, window, runner, institution)
    composer = window.pane.composer
    assert composer.count.text() == "0 / 280" and not composer.approval.isVisible()
    composer.editor.setPlainText("x" * 281)
    assert composer.count.text() == "281 / 280" and not composer.send.isEnabled()
    composer.canned.setCurrentIndex(0)
    composer.editor.clear()
    canned_index = next(i for i in range(composer.canned.count()) if composer.canned.itemText(i) == "Terima kasih")
    composer.canned.activated.emit(canned_index)
    assert composer.editor.toPlainText().startswith("Terima kasih atas masukan Anda")
    composer.editor.setFocus()
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, runner)
    qtbot.waitUntil(lambda: composer.outbox.rowCount() == 1, timeout=5000)
    entry = composer.outbox.record(0)
    assert entry is not None and entry.state.value == "queued" and entry.body.startswith("Terima kasih")
    assert composer.editor.toPlainText() == "" and "queued" in window.status.currentMessage()
    assert composer.outbox.data(composer.outbox.index(0, 0)) == "Queued"
    # the sync worker (another process) tries, and the platform refuses
    other = Cache.open(sample.path)
    try:
        claimed = outbox.claim_next(other, 2**62)
        assert claimed is not None and claimed.id == entry.id
        outbox.mark_failed(other, entry.id, "the platform refused the reply: duplicate content", retry_at_ms=None)
    finally:
        other.close()
    runner.poll_changes()
    qtbot.waitUntil(lambda: (composer.outbox.record(0) or entry).state.value == "failed", timeout=5000)
    assert composer.outbox.data(composer.outbox.index(0, 1)) == "the platform refused the reply: duplicate content"
    composer.outbox_view.selectRow(0)
    assert composer.retry.isEnabled() and composer.cancel.isEnabled()
    composer.retry.click()
    _settle(qtbot, runner)
    qtbot.waitUntil(lambda: (composer.outbox.record(0) or entry).state.value == "queued", timeout=5000)
    assert f"outbox:{entry.id}" in {a.target for a in window.pane.audit.records()}
    qtbot.waitUntil(lambda: "1 queued" in window.status.outbox.text(), timeout=5000)


def test_replies_on_a_leaders_account_wait_for_approval(qtbot: Any, window: MainWindow, runner: TaskRunner,
                                                        sample: Sample) -> None:  # fmt: skip
    reader = sample.cache.reader()
    leader = views.page_ids(reader, views.ListFilter(account_ids=(sample.account_id("x:walikota"),)), limit=1)[0]
    _open(qtbot, window, runner, leader)
    composer = window.pane.composer
    assert composer.approval.isVisible() and "Wali Kota (X)" in composer.approval.text()
    composer.editor.setPlainText("Terima kasih, kami tindak lanjuti.")
    composer.send.click()
    _settle(qtbot, runner)
    qtbot.waitUntil(lambda: composer.outbox.rowCount() == 1, timeout=5000)
    assert composer.outbox.data(composer.outbox.index(0, 0)) == "Awaiting approval"
    qtbot.waitUntil(lambda: "1 awaiting approval" in window.status.outbox.text(), timeout=5000)


def test_html_looking_messages_are_shown_as_plain_text(qtbot: Any, window: MainWindow, runner: TaskRunner,
                                                       sample: Sample) -> None:  # fmt: skip
    text = '<b>Promo</b> <img src="http://tracker.example/p.gif"> <a href="http://evil.example">klik</a> &amp;'
    other = Cache.open(sample.path)
    try:
        account = get_account(other, "email:layanan")
        item = Item(external_id="html-1", kind=ItemKind.EMAIL, text=text, conversation_id="html-1",
                    created_at=utcnow(), subject="<i>Penting</i>",
                    author=Author(external_id="spam@example.org", name="<script>x</script>"))  # fmt: skip
        ingest_page(other, account, None, Page(items=[item]))
        item_id = other.conn.execute("SELECT id FROM items WHERE external_id = 'html-1'").fetchone()[0]
    finally:
        other.close()
    runner.poll_changes()
    qtbot.waitUntil(lambda: window.inbox.model.row_of(item_id) is not None, timeout=5000)
    _open(qtbot, window, runner, item_id)
    pane = window.pane
    assert pane.title.text() == "<i>Penting</i>" and pane.title.textFormat() == Qt.TextFormat.PlainText
    model = pane.thread_view.thread_model
    row = model.row_of(item_id)
    assert row is not None and model.data(model.index(row, 0)) == text
    for label in pane.findChildren(QLabel):
        if "<" in label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    assert pane.card_name.text().startswith("<script>x</script>")
    window.inbox.select_item(item_id)
    list_row = window.inbox.model.row_of(item_id)
    qtbot.waitUntil(lambda: window.inbox.model.list_row(list_row or 0) is not None, timeout=5000)
    assert window.inbox.model.data(window.inbox.model.index(list_row or 0, Column.TEXT)).startswith(
        "<i>Penting</i> — <b>Promo</b> <img"
    )
    pixels = pane.thread_view.grab()  # painting it fetches nothing and runs no markup
    assert not pixels.isNull()


def test_status_bar_shows_accounts_and_outbox(qtbot: Any, window: MainWindow, runner: TaskRunner) -> None:
    qtbot.waitUntil(lambda: bool(window.status.sync.text()), timeout=5000)
    assert window.status.sync.text().startswith("10 accounts")
    assert "not synced yet" in window.status.sync.text()
    assert window.status.outbox.text().startswith("Outbox: 0 queued")
    assert "Wali Kota (X)" in window.status.sync.toolTip()


def test_item_ids_cross_signals_whole(qtbot: Any, window: MainWindow) -> None:
    """Item ids are 64-bit (time-ordered); a signal declared with ``int`` would cut them to 32
    bits and open another item, or none."""
    big = (1_763_900_000_000 << 20) + 12345  # an id as the store makes them today
    panel = window.panels()[0]
    with qtbot.waitSignal(panel.activated) as got:
        panel.activated.emit(big)
    assert got.args == [big]
    with qtbot.waitSignal(window.pane.open_item) as got:
        window.pane.open_item.emit(big)
    assert got.args == [big]
