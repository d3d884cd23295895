"""The issue radar page and the statement dialog: on the sample cache (triaged here) and on a
cache the demo filled (the viral outage reaches level 3, must answer), the list puts must-answer
issues first with their reason, the detail shows the three measures, actions write through the
runner, a statement fans out through the outbox per channel, and a new must-answer issue is
noticed while the window is open."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from ui_support import Sample, wait_idle

from omniinbox import triage
from omniinbox.core import Role, User
from omniinbox.store import issues as issue_store
from omniinbox.store.accounts import add_user, get_user
from omniinbox.store.cache import Cache
from omniinbox.triage import radar as triage_radar
from omniinbox.ui.main_window import MainWindow
from omniinbox.ui.radar import IssueColumn, IssueListModel, RadarPage, may_see
from omniinbox.ui.sidebar import RADAR_KEY
from omniinbox.ui.statement_dialog import StatementDialog, preview
from omniinbox.ui.tasks import TaskRunner

CONTACT_CENTER = {"zendesk", "freshdesk", "zammad", "chatwoot"}


# ---------------------------------------------------------------------------------- the demo cache


def _fill_demo(path: Path, *, run_triage: bool) -> None:
    from omniinbox.demo import start_demo
    from omniinbox.secrets import SecretStore
    from omniinbox.sync.engine import SyncEngine

    with Cache.open(path) as cache:
        add_user(cache, "supervisor-1", "Supervisor 1", Role.SUPERVISOR)
        add_user(cache, "agent-1", "Agent 1", Role.AGENT)
        demo = start_demo(cache, live=False, secrets=SecretStore.in_memory())
        try:
            engine = SyncEngine(cache, demo.connector_for())
            try:
                for account in demo.accounts:
                    engine.sync_account(account)
            finally:
                engine.close()
        finally:
            demo.stop()
        if run_triage:
            triage.update(cache)
        cache.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="module")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    raw, triaged = folder / "raw.sqlite", folder / "triaged.sqlite"
    _fill_demo(raw, run_triage=False)
    shutil.copyfile(raw, triaged)
    with Cache.open(triaged) as cache:
        triage.update(cache)
        cache.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"raw": raw, "triaged": triaged}


class Demo:
    def __init__(self, cache: Cache, runner: TaskRunner) -> None:
        self.cache = cache
        self.runner = runner
        supervisor, agent = get_user(cache, "supervisor-1"), get_user(cache, "agent-1")
        assert supervisor is not None and agent is not None
        self.supervisor: User = supervisor
        self.agent: User = agent


def _open_demo(template: Path, tmp_path: Path) -> Iterator[Demo]:
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(template, path)
    cache = Cache.open(path)
    runner = TaskRunner(cache, poll_ms=0)
    try:
        yield Demo(cache, runner)
    finally:
        runner.shutdown()
        cache.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("omniinbox-")], "threads left running"


@pytest.fixture
def demo(demo_templates: dict[str, Path], tmp_path: Path, qapp: object) -> Iterator[Demo]:
    """A private copy of the demo cache, triaged, with a real runner (poll off)."""
    yield from _open_demo(demo_templates["triaged"], tmp_path)


@pytest.fixture
def raw_demo(demo_templates: dict[str, Path], tmp_path: Path, qapp: object) -> Iterator[Demo]:
    """The demo cache synced but not triaged yet."""
    yield from _open_demo(demo_templates["raw"], tmp_path)


def _page(qtbot: Any, runner: TaskRunner, user: User) -> RadarPage:
    page = RadarPage(runner, user)
    qtbot.addWidget(page)
    page.resize(1300, 900)
    page.show()
    _settle(qtbot, runner, page)
    return page


def _settle(qtbot: Any, runner: TaskRunner, page: RadarPage | None = None) -> None:
    """Wait until the runner is idle and the page has read what the change feed announced."""
    for _ in range(4):  # an answer may ask again (the detail after the list)
        wait_idle(qtbot, runner)
        qtbot.wait(10)
    if page is not None:
        qtbot.waitUntil(lambda: not page.refresh_pending(), timeout=5000)
        for _ in range(3):
            wait_idle(qtbot, runner)
            qtbot.wait(10)


def _viral(cache: Cache) -> issue_store.IssueRow:
    rows = [r for r in issue_store.radar(cache) if r.level == 3 and "sukalayan" in r.title]
    assert rows, "the viral scenario's issue is on the radar"
    return rows[0]


# ---------------------------------------------------------------------------------- the sample cache


def test_issue_model_passes_the_model_tester(qtmodeltester: Any, sample: Sample, qapp: object) -> None:
    triage.update(sample.cache)
    model = IssueListModel()
    model.set_issues(triage_radar.open_issues(sample.cache, now_ms=0), now_ms=0)
    assert model.rowCount() > 0
    qtmodeltester.check(model)
    issue = model.issue(0)
    assert issue is not None
    assert model.data(model.index(0, IssueColumn.REASON)) == issue.reason
    assert model.data(model.index(0, IssueColumn.LEVEL), IssueListModel.LevelRole) == issue.level


def test_radar_on_the_sample_shows_counts_list_and_detail(qtbot: Any, sample: Sample, runner: TaskRunner) -> None:
    triage.update(sample.cache)
    runner.last_seq = sample.cache.last_seq()
    page = _page(qtbot, runner, sample.social)
    page.active.setCurrentIndex(page.active.count() - 1)  # any time
    _settle(qtbot, runner, page)
    expected = triage_radar.open_issues(sample.cache)
    assert [i.id for i in page.model.issues()] == [i.id for i in expected]
    counts = triage_radar.counts(sample.cache)
    assert page.counts["issues"].number.text() == str(counts["open_issues"])
    assert page.counts["kols"].number.text() == str(counts["kols_involved"])
    # the first issue is selected and its detail read
    assert page.current_issue() is not None
    snap = page.detail.snapshot
    assert snap is not None and snap.detail.summary.id == expected[0].id
    assert page.detail.reason.text() == expected[0].reason
    assert page.detail.items_model.rowCount() == min(expected[0].items, 200)
    assert page.detail.content.fields["terms"].text() != ""
    # nothing here is must-answer: no statement
    if not expected[0].must_answer:
        assert not page.statement_button.isEnabled()


# ---------------------------------------------------------------------------------- the demo cache


def test_the_viral_issue_is_level_3_must_answer_at_the_top(qtbot: Any, demo: Demo) -> None:
    window = MainWindow(demo.runner, demo.supervisor)
    qtbot.addWidget(window)
    window.show()
    window.shortcuts.action("radar").trigger()  # View > Issue radar, key I
    assert window.middle.currentWidget() is window.radar
    entry = window.sidebar.current_entry()
    assert entry is not None and entry.key == RADAR_KEY
    page = window.radar
    _settle(qtbot, demo.runner, page)
    viral = _viral(demo.cache)
    top = page.model.issue(0)
    assert top is not None and top.id == viral.id
    assert top.level == 3 and top.must_answer and top.answered is None
    assert page.model.data(page.model.index(0, IssueColumn.REASON)).startswith("3 because ")
    assert "distinct authors in 2 hours on" in top.reason
    assert page.model.data(page.model.index(0, IssueColumn.DEADLINE)).startswith("due in")
    assert page.counts["public"].number.text() != "0"

    # the detail: the three measures
    detail = page.detail
    assert detail.snapshot is not None and detail.snapshot.detail.summary.id == viral.id
    assert detail.reason.text() == viral.level_reason
    assert "sukalayan" in detail.content.fields["terms"].text()
    assert detail.content.fields["representative"].text() not in ("", "–")
    assert "Protect" in detail.content.fields["balance"].text()
    for channel in ("Zendesk", "Freshdesk", "Zammad", "Chatwoot"):
        assert channel in detail.context.fields["channels"].text()
    assert detail.context.fields["first_seen"].text()
    assert detail.context.fields["origin"].text() not in ("", "–")
    assert detail.public.fields["authors"].text() == str(viral.authors)
    assert "likes, shares and replies" in detail.public.fields["engagement"].text()
    assert "items/hour" in detail.public.fields["velocity"].text()
    assert detail.public.explanation.text().startswith(f"{viral.authors} distinct authors")
    assert page.statement_button.isEnabled()

    # double click on an item opens it in the conversation pane
    first = detail.items_model.record(0)
    assert first is not None
    detail.items.doubleClicked.emit(detail.items_model.index(0, 2))
    _settle(qtbot, demo.runner)
    qtbot.waitUntil(lambda: window.pane.data is not None and window.pane.data.item_id == first.id, timeout=5000)

    # back to a list from the side bar
    window.sidebar.select("queue:all")
    assert window.middle.currentWidget() is window.tabs


def test_statement_is_approved_and_fans_out_per_channel_through_the_outbox(qtbot: Any, demo: Demo) -> None:
    page = _page(qtbot, demo.runner, demo.supervisor)
    viral = _viral(demo.cache)
    assert page.current_issue() is not None and page.current_issue().id == viral.id  # type: ignore[union-attr]
    dialog = page.draft_statement()
    assert isinstance(dialog, StatementDialog)
    qtbot.addWidget(dialog)
    _settle(qtbot, demo.runner)
    assert dialog.snapshot is not None
    body = "Layanan antrean daring sempat terganggu. " * 12 + "Terima kasih atas kesabaran Anda."
    dialog.body.setPlainText(body)
    dialog.link.setText("https://example.go.id/pengumuman")
    dialog.update_preview()
    rows = dialog.preview_rows()
    assert {r.channel for r in rows} >= CONTACT_CENTER
    limited = [r for r in rows if r.limit is not None and len(body) > r.limit]
    assert all(r.shortened and r.characters <= (r.limit or 0) for r in limited)
    assert dialog.preview_table.rowCount() == len(rows)
    assert dialog.save_button.text() == "Save draft"
    assert not dialog.approve_button.isEnabled() and not dialog.send_button.isEnabled()

    dialog.save()
    _settle(qtbot, demo.runner)
    statement = issue_store.statements(demo.cache, viral.id)[-1]
    assert statement.state == "draft" and statement.body == body.strip()
    assert dialog.approve_button.isEnabled()
    dialog.approve()
    _settle(qtbot, demo.runner)
    assert issue_store.statement(demo.cache, statement.id).state == "approved"  # type: ignore[union-attr]
    assert dialog.send_button.isEnabled()
    dialog.fan_out()
    _settle(qtbot, demo.runner)

    replies = issue_store.statement_replies(demo.cache, statement.id)
    assert {r.channel for r in replies} >= CONTACT_CENTER
    assert all(r.outbox_id is not None for r in replies)
    for r in replies:
        state = demo.cache.conn.execute("SELECT state FROM outbox WHERE id = ?", (r.outbox_id,)).fetchone()[0]
        assert state in ("queued", "awaiting_approval"), (r.channel, state)
    contact_center = [r for r in replies if r.channel in CONTACT_CENTER]
    assert {r.state for r in contact_center} == {"queued"}
    assert dialog.progress_table.rowCount() == len(replies)
    states = {dialog.progress_table.item(n, 2).text() for n in range(len(replies))}
    assert "queued" in " ".join(states).lower()
    assert not dialog.send_button.isEnabled()

    # a failure on one channel shows in the progress with its reason, on the change feed
    failed = contact_center[0]
    from omniinbox.store import outbox

    def fail(cache: Cache) -> None:  # as the sender does: claim, try, give up
        entry = outbox.claim_next(cache, 1 << 62, account_ids=(failed.account_id,))
        assert entry is not None and entry.id == failed.outbox_id
        outbox.mark_failed(cache, entry.id, "token expired", retry_at_ms=None)

    demo.runner.write(fail)
    _settle(qtbot, demo.runner)
    texts = [dialog.progress_table.item(n, 2).text() for n in range(dialog.progress_table.rowCount())]
    assert any("token expired" in t for t in texts)


def test_an_agent_requests_approval_and_cannot_approve(qtbot: Any, demo: Demo) -> None:
    viral = _viral(demo.cache)
    dialog = StatementDialog(demo.runner, demo.agent, viral.id)
    qtbot.addWidget(dialog)
    _settle(qtbot, demo.runner)
    assert dialog.save_button.text() == "Request approval"
    assert dialog.approve_button.isHidden()
    dialog.body.setPlainText("Mohon maaf, layanan sudah pulih.")
    dialog.save()
    _settle(qtbot, demo.runner)
    assert issue_store.statements(demo.cache, viral.id)[-1].state == "draft"
    assert "waiting for a supervisor" in dialog.state.text()
    dialog.approve()  # not for agents: refused, said in the dialog
    _settle(qtbot, demo.runner)
    assert issue_store.statements(demo.cache, viral.id)[-1].state == "draft"


def test_actions_write_through_the_runner(qtbot: Any, demo: Demo, tmp_path: Path, monkeypatch: Any) -> None:
    page = _page(qtbot, demo.runner, demo.supervisor)
    page.active.setCurrentIndex(page.active.count() - 1)
    _settle(qtbot, demo.runner, page)
    viral = _viral(demo.cache)
    writes: list[str] = []
    demo.runner.changed.connect(lambda changes: writes.append("issues") if changes.touches("issues") else None)

    page.set_owner(viral.id, demo.agent.id)
    _settle(qtbot, demo.runner, page)
    assert issue_store.issue(demo.cache, viral.id).owner_id == demo.agent.id  # type: ignore[union-attr]
    assert page.model.data(page.model.index(page.model.row_of(viral.id) or 0, IssueColumn.OWNER)) == "agent-1"
    assert writes  # the change feed told the page

    page.set_deadline(viral.id, 1_000)  # long past: overdue, in red
    _settle(qtbot, demo.runner, page)
    row = page.model.row_of(viral.id)
    assert row is not None
    assert page.model.data(page.model.index(row, IssueColumn.DEADLINE)).startswith("overdue by")
    brush = page.model.data(page.model.index(row, IssueColumn.DEADLINE), Qt.ItemDataRole.ForegroundRole)
    assert brush is not None and brush.color().name() == "#d32f2f"

    others = [i for i in page.model.issues() if i.id != viral.id and i.status == "open"]
    assert len(others) >= 3
    a, b, c = others[0], others[1], others[2]
    page.close_issue(a.id)
    _settle(qtbot, demo.runner, page)
    assert issue_store.issue(demo.cache, a.id).status == "closed"  # type: ignore[union-attr]
    assert page.model.row_of(a.id) is None  # closed issues leave the list...
    page.closed.setChecked(True)
    _settle(qtbot, demo.runner, page)
    assert page.model.row_of(a.id) is not None  # ...unless asked for
    page.reopen_issue(a.id)
    _settle(qtbot, demo.runner, page)
    assert issue_store.issue(demo.cache, a.id).status == "open"  # type: ignore[union-attr]

    page.merge([b.id, c.id])
    _settle(qtbot, demo.runner, page)
    merged = [issue_store.issue(demo.cache, i) for i in (b.id, c.id)]
    assert sorted(r.status for r in merged if r is not None) == ["merged", "open"]

    moving = triage_radar.issue_item_ids(demo.cache, a.id, limit=1)
    page.move_items(moving, viral.id)
    _settle(qtbot, demo.runner, page)
    assert triage_radar.issue_of_item(demo.cache, moving[0]) == viral.id
    page.detach_items(moving)
    _settle(qtbot, demo.runner, page)
    assert triage_radar.issue_of_item(demo.cache, moving[0]) is None

    # key opinion leaders, from an item's author
    item_id = triage_radar.issue_item_ids(demo.cache, viral.id, limit=1)[0]
    contact_id = demo.cache.conn.execute("SELECT contact_id FROM items WHERE id = ?", (item_id,)).fetchone()[0]
    page.mark_kol(contact_id, "journalist")
    _settle(qtbot, demo.runner, page)
    assert demo.cache.conn.execute("SELECT is_kol FROM contacts WHERE id = ?", (contact_id,)).fetchone()[0] == 1
    page.unmark_kol(contact_id)
    _settle(qtbot, demo.runner, page)
    assert demo.cache.conn.execute("SELECT is_kol FROM contacts WHERE id = ?", (contact_id,)).fetchone()[0] == 0

    # the brief, to a file chosen in a file dialog
    target = tmp_path / "brief.html"
    monkeypatch.setattr(
        "omniinbox.ui.radar.QFileDialog.getSaveFileName", lambda *_a, **_k: (str(target), "Web page (*.html)")
    )
    page.show_issue(viral.id)
    _settle(qtbot, demo.runner, page)
    page.ask_brief()
    _settle(qtbot, demo.runner, page)
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!") or "<h1>" in html
    assert f"Ringkasan isu #{viral.id}" in html


def test_refusals_reach_people_as_refusals(qtbot: Any, demo: Demo) -> None:
    page = _page(qtbot, demo.runner, demo.agent)
    viral = _viral(demo.cache)
    failures: list[Any] = []
    demo.runner.task_failed.connect(lambda _task, error: failures.append(error))
    page.set_deadline(viral.id, 1_000)  # only supervisors move deadlines
    _settle(qtbot, demo.runner, page)
    assert failures and failures[0].kind == "refused"
    assert "supervisor" in failures[0].message
    assert not page.deadline_button.isEnabled()


def test_a_new_must_answer_issue_is_noticed_by_supervisors(qtbot: Any, raw_demo: Demo) -> None:
    window = MainWindow(raw_demo.runner, raw_demo.supervisor)
    qtbot.addWidget(window)
    window.show()
    agent_page = _page(qtbot, raw_demo.runner, raw_demo.agent)
    page = window.radar
    _settle(qtbot, raw_demo.runner)
    assert page.seen_notification == 0 and page.banner.isHidden()
    said: list[str] = []
    page.message.connect(said.append)

    # the radar runs (as background sync does after each round) while the window is open
    raw_demo.runner.write(lambda cache: triage.update(cache))
    _settle(qtbot, raw_demo.runner)
    qtbot.waitUntil(lambda: bool(page.banner.notifications), timeout=5000)
    viral = _viral(raw_demo.cache)
    assert page.banner.current() is not None and page.banner.current().issue_id == viral.id  # type: ignore[union-attr]
    assert f"Issue #{viral.id} must be answered" in page.banner.text.text()
    assert any("Must answer" in s for s in said)
    assert "Must answer" in window.status.currentMessage()
    assert agent_page.banner.isHidden()  # the notification is for supervisors

    # the banner shows the issue and acknowledges the notification
    window.show_radar()
    page.banner.show_button.click()
    _settle(qtbot, raw_demo.runner, page)
    assert page.current_issue() is not None and page.current_issue().id == viral.id  # type: ignore[union-attr]
    notification = page.banner.current()
    assert notification is not None
    page.banner.ack_button.click()
    _settle(qtbot, raw_demo.runner, page)
    assert not triage_radar.notifications(raw_demo.cache, open_only=True) or all(
        n.id != notification.id for n in triage_radar.notifications(raw_demo.cache, open_only=True)
    )


def test_who_sees_a_notification() -> None:
    row = issue_store.NotificationRow(1, 1, "must_answer", "supervisor", "x", 0, None, None)
    assert may_see(User(1, "s", "S", Role.SUPERVISOR), row)
    assert may_see(User(2, "a", "A", Role.ADMIN), row)
    assert not may_see(User(3, "g", "G", Role.AGENT), row)
    assert not may_see(User(4, "o", "O", Role.SOCIAL_OFFICER), row)


def test_preview_adapts_to_each_channel_limit() -> None:
    accounts = [
        {"id": 1, "key": "x:a", "name": "A", "channel": "x", "leader": False},
        {"id": 2, "key": "zendesk:b", "name": "B", "channel": "zendesk", "leader": False},
    ]
    body = "Kalimat pertama yang cukup panjang. " * 20
    rows = {r.channel: r for r in preview(body, accounts, link="https://e.id/s")}
    assert rows["zendesk"].text == body.strip() and not rows["zendesk"].shortened
    assert rows["x"].shortened and rows["x"].limit is not None and rows["x"].characters <= rows["x"].limit
    assert rows["x"].text.endswith("https://e.id/s")


# ---------------------------------------------------------------------------------- the radar in the inbox


def test_needs_answer_shows_must_answer_conversations_first(qtbot: Any, demo: Demo) -> None:
    from omniinbox.store import issue_queue, views
    from omniinbox.ui.models.item_list import FilterSource, ItemListModel

    flt = views.queue_filter(views.QueueKind.NEEDS_ANSWER)
    pinned = issue_queue.must_answer_first(demo.cache, flt)
    assert pinned, "the viral issue's conversations wait for an answer"
    viral = _viral(demo.cache)
    in_issue = set(triage_radar.issue_item_ids(demo.cache, viral.id, limit=10_000))
    assert in_issue & set(pinned)
    assert set(pinned) <= set(views.page_ids(demo.cache, flt, limit=100_000))  # only the queue's own items
    # index-driven: no step scans a table
    plan = [
        row[3]
        for row in demo.cache.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM issues INDEXED BY issues_unanswered"
            f" WHERE {issue_queue._UNANSWERED} ORDER BY deadline_at"
        )
    ]
    assert any("issues_unanswered" in p for p in plan)

    model = ItemListModel(demo.runner, FilterSource(flt))
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_fetching(), timeout=5000)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.is_fetching(), timeout=5000)
    ids = model.item_ids(range(model.rowCount()))
    assert ids[: len(pinned)] == pinned and model.pinned_ids() == pinned
    rest = ids[len(pinned) :]
    assert rest == sorted(rest, reverse=True) and not set(rest) & set(pinned)
    assert sorted(ids) == sorted(views.page_ids(demo.cache, flt, limit=100_000))  # nothing lost, nothing twice
    assert all(model.row_of(i) == n for n, i in enumerate(ids))
    tip = model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Shown first: its conversation is in an issue that must be answered.")
    assert "Shown first" not in (model.data(model.index(len(pinned), 2), Qt.ItemDataRole.ToolTipRole) or "")

    # other queues pin nothing
    everything = ItemListModel(demo.runner, FilterSource(views.queue_filter(views.QueueKind.ALL)))
    qtbot.waitUntil(lambda: everything.rowCount() > 0 and not everything.is_fetching(), timeout=5000)
    assert everything.pinned_ids() == []
    ordered = everything.item_ids(range(everything.rowCount()))
    assert ordered == sorted(ordered, reverse=True)


def test_needs_answer_model_passes_the_model_tester(qtmodeltester: Any, qtbot: Any, demo: Demo) -> None:
    from omniinbox.store import views
    from omniinbox.ui.models.item_list import FilterSource, ItemListModel

    model = ItemListModel(demo.runner, FilterSource(views.queue_filter(views.QueueKind.NEEDS_ANSWER)))
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_fetching(), timeout=5000)
    assert model.pinned_ids()
    qtmodeltester.check(model)


def test_newly_pinned_items_move_up_when_an_issue_becomes_must_answer(qtbot: Any, raw_demo: Demo) -> None:
    from omniinbox.store import views
    from omniinbox.ui.models.item_list import FilterSource, ItemListModel

    flt = views.queue_filter(views.QueueKind.NEEDS_ANSWER)
    model = ItemListModel(raw_demo.runner, FilterSource(flt))
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_fetching(), timeout=5000)
    assert model.pinned_ids() == []  # not triaged yet: nothing must be answered
    before = model.rowCount()
    raw_demo.runner.write(lambda cache: triage.update(cache))
    _settle(qtbot, raw_demo.runner)
    qtbot.waitUntil(lambda: bool(model.pinned_ids()), timeout=5000)
    from omniinbox.store import issue_queue

    expected = issue_queue.must_answer_first(raw_demo.cache, flt)
    if len(expected) <= 50:  # a few move up in place...
        assert model.pinned_ids() == expected and model.rowCount() == before
    else:  # ...many reload the list, pinned first
        _settle(qtbot, raw_demo.runner)
        qtbot.waitUntil(lambda: model.pinned_ids() == expected, timeout=5000)
    ids = model.item_ids(range(model.rowCount()))
    assert len(ids) == len(set(ids))


def test_sidebar_issues_entry_counts_must_answer(qtbot: Any, demo: Demo) -> None:
    from omniinbox.store import issue_queue

    window = MainWindow(demo.runner, demo.supervisor)
    qtbot.addWidget(window)
    window.show()
    _settle(qtbot, demo.runner)
    n = issue_queue.must_answer_count(demo.cache)
    assert n >= 1
    item = window.sidebar.nav.itemFromIndex(window.sidebar.nav.index_of(RADAR_KEY))
    qtbot.waitUntil(lambda: item.text().endswith(f"  {n}"), timeout=5000)
    assert item.text().startswith("Issues") and item.font().bold()
    # answering (here: closing) the issue takes it off the count, through the change feed
    window.radar.close_issue(_viral(demo.cache).id)
    _settle(qtbot, demo.runner)
    qtbot.waitUntil(lambda: window.sidebar.nav.must_answer == n - 1, timeout=5000)
    if n == 1:
        assert item.text() == "Issues" and not item.font().bold()


def test_split_and_title_from_the_radar(qtbot: Any, demo: Demo, monkeypatch: Any) -> None:
    page = _page(qtbot, demo.runner, demo.supervisor)
    viral = _viral(demo.cache)
    page.show_issue(viral.id)
    _settle(qtbot, demo.runner, page)
    assert not page.split_button.isEnabled()  # no items selected
    assert page.title_button.isEnabled()

    # the title, through its dialog
    monkeypatch.setattr(
        "omniinbox.ui.radar.QInputDialog.getText", lambda *_a, **_k: ("Air PDAM mati di Sukalayan", True)
    )
    page.title_button.click()
    _settle(qtbot, demo.runner, page)
    row = issue_store.issue(demo.cache, viral.id)
    assert row is not None and row.title == "Air PDAM mati di Sukalayan" and row.title_by == demo.supervisor.id
    assert page.model.data(page.model.index(page.model.row_of(viral.id) or 0, IssueColumn.TITLE)).startswith(
        "Air PDAM mati di Sukalayan"
    )

    # split two items out, named
    items = page.detail.items_model
    assert items.rowCount() > 3
    selection = page.detail.items.selectionModel()
    from PySide6.QtCore import QItemSelectionModel

    for r in (0, 1):
        selection.select(
            items.index(r, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        )
    chosen = page.detail.selected_item_ids()
    assert len(chosen) == 2 and page.split_button.isEnabled()
    monkeypatch.setattr("omniinbox.ui.radar.QInputDialog.getText", lambda *_a, **_k: ("Antrean air", True))
    said: list[str] = []
    page.message.connect(said.append)
    page.split_button.click()
    _settle(qtbot, demo.runner, page)
    new = triage_radar.issue_of_item(demo.cache, chosen[0])
    assert new is not None and new != viral.id and triage_radar.issue_of_item(demo.cache, chosen[1]) == new
    assert issue_store.issue(demo.cache, new).title == "Antrean air"  # type: ignore[union-attr]
    assert any("split from issue" in s for s in said)
    # the new issue is shown
    qtbot.waitUntil(
        lambda: page.detail.snapshot is not None and page.detail.snapshot.detail.summary.id == new, timeout=5000
    )

    # an empty title gives the automatic one back
    monkeypatch.setattr("omniinbox.ui.radar.QInputDialog.getText", lambda *_a, **_k: ("", True))
    page.set_title(viral.id, "")
    _settle(qtbot, demo.runner, page)
    assert issue_store.issue(demo.cache, viral.id).title_by is None  # type: ignore[union-attr]


def test_j_and_k_move_in_the_radar_list_when_it_shows(qtbot: Any, demo: Demo) -> None:
    window = MainWindow(demo.runner, demo.supervisor)
    qtbot.addWidget(window)
    window.show()
    window.show_radar()
    page = window.radar
    page.active.setCurrentIndex(page.active.count() - 1)
    _settle(qtbot, demo.runner, page)
    assert page.model.rowCount() >= 3
    assert page.view.currentIndex().row() == 0
    window.shortcuts.action("next").trigger()
    assert page.view.currentIndex().row() == 1
    window.shortcuts.action("next").trigger()
    window.shortcuts.action("previous").trigger()
    assert page.view.currentIndex().row() == 1
    _settle(qtbot, demo.runner, page)
    second = page.model.issue(1)
    assert second is not None
    qtbot.waitUntil(
        lambda: page.detail.snapshot is not None and page.detail.snapshot.detail.summary.id == second.id,
        timeout=5000,
    )
    # back in the lists, j moves the list's cursor again, not the radar's
    window.sidebar.select("queue:all")
    _settle(qtbot, demo.runner)
    window.shortcuts.action("next").trigger()
    assert page.view.currentIndex().row() == 1
    assert window.active_panel().view.currentIndex().isValid()
