"""The supervisor's view on the sample cache: the people's counts match the store, reassigning
through the context menu (and by a drop) writes and refreshes, approving a leader-account reply
queues it (an agent is refused), suggestions are confirmed as the team's judgement, the charts
get the store's series with a text fallback, and the side bar, View menu and shortcut open it
for supervisors only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPointF
from PySide6.QtGui import QAction, QColor, QPalette
from ui_support import NOW, Sample, wait_idle

from omniinbox.core import OutboxState, User, to_millis
from omniinbox.store import issues, outbox, supervision, views
from omniinbox.store.cache import Cache
from omniinbox.ui.charts import LineChart, Series, StackedBarChart, nice_step
from omniinbox.ui.main_window import MainWindow
from omniinbox.ui.sidebar import SUPERVISOR_KEY
from omniinbox.ui.supervisor import SupervisorPage, decode_ids, encode_ids
from omniinbox.ui.tasks import TaskRunner

NOW_MS = to_millis(NOW) or 0


def _page(qtbot: Any, runner: TaskRunner, user: User) -> SupervisorPage:
    page = SupervisorPage(runner, user, now_ms=lambda: NOW_MS, utc_offset_ms=0)
    qtbot.addWidget(page)
    page.resize(1600, 900)
    page.show()
    qtbot.waitUntil(
        lambda: page.data is not None and page.review is not None and bool(page.people_model.rows), timeout=8000
    )
    wait_idle(qtbot, runner)
    return page


@pytest.fixture
def page(qtbot: Any, runner: TaskRunner, sample: Sample) -> Iterator[SupervisorPage]:
    p = _page(qtbot, runner, sample.supervisor)
    yield p
    p.close()


def _read(sample: Sample, sql: str, *params: object) -> list[tuple[Any, ...]]:
    reader = Cache.reader(sample.cache)
    try:
        return reader.execute(sql, params).fetchall()
    finally:
        reader.close()


def _cells(page: SupervisorPage, user_id: int) -> list[str]:
    index = page.people_model.index_of_user(user_id)
    assert index.isValid()
    return [index.siblingAtColumn(c).data() for c in range(4)]


def _leader_reply(sample: Sample) -> int:
    account = sample.account_id("x:walikota")
    item = views.page_ids(sample.cache, views.ListFilter(account_ids=(account,), kinds=("mention",)), limit=1)[0]
    entry = outbox.enqueue(sample.cache, account_id=account, body="Terima kasih, kami cek.", in_reply_to_item_id=item)
    assert entry.state is OutboxState.AWAITING_APPROVAL
    return entry.id


# ---------------------------------------------------------------------------------- assignments


def test_people_counts_match_the_store(page: SupervisorPage, sample: Sample) -> None:
    users = views.users(sample.cache)
    assert {w.user_id for w in page.people_model.rows} == {u.id for u in users}
    for user in users:
        counts = dict(
            _read(sample, "SELECT status, count(*) FROM conversations WHERE assignee_id = ? GROUP BY status", user.id)
        )
        overdue = _read(
            sample,
            "SELECT count(*) FROM conversations WHERE assignee_id = ? AND status IN ('open', 'pending')"
            " AND sla_due_at < ? AND last_inbound_at >= last_item_at",
            user.id,
            NOW_MS,
        )[0][0]
        name, open_, late, closed = _cells(page, user.id)
        assert name == user.name
        assert (int(open_), int(late), int(closed)) == (
            counts.get("open", 0) + counts.get("pending", 0),
            overdue,
            counts.get("closed", 0),
        )
    # team rows sum their people
    social = page.people_model.index_of_team("social")
    members = [w for w in page.people_model.rows if w.team == "social"]
    assert int(social.siblingAtColumn(1).data()) == sum(w.open for w in members) > 0
    assert page.people_model.rowCount(social) == len(members)


def test_choosing_a_person_lists_their_items(
    qtbot: Any, page: SupervisorPage, sample: Sample, runner: TaskRunner
) -> None:
    page.choose_person(sample.agent.id)
    qtbot.waitUntil(lambda: page.items_model.rowCount() > 0, timeout=5000)
    wait_idle(qtbot, runner)
    ids = page.items_model.item_ids(range(page.items_model.rowCount()))
    facts = views.conversation_facts(sample.cache, views.conversation_ids_for(sample.cache, ids))
    assert all(f.assignee_id == sample.agent.id and f.status in ("open", "pending") for f in facts.values())
    assert "Agent 1" in page.items_title.text()
    page.include_closed.setChecked(True)
    assert page.item_filter() == views.ListFilter(assignee_id=sample.agent.id)
    page.choose_team("contact_center")
    flt = page.item_filter()
    assert flt is not None and flt.unassigned and flt.team is not None and flt.team.value == "contact_center"


def test_reassign_through_the_menu_writes_and_refreshes(
    qtbot: Any, page: SupervisorPage, sample: Sample, runner: TaskRunner
) -> None:
    agent2 = next(u for u in views.users(sample.cache) if u.login == "agent-2")
    before_1, before_2 = int(_cells(page, sample.agent.id)[1]), int(_cells(page, agent2.id)[1])
    page.choose_person(sample.agent.id)
    qtbot.waitUntil(lambda: page.items_model.rowCount() > 0, timeout=5000)
    page.items.step(1)
    ids = page.selected_item_ids()
    assert len(ids) == 1
    menu = page.reassign_menu(ids)
    submenu = next(a.menu() for a in menu.actions() if a.menu() is not None)
    action = next(a for a in submenu.actions() if a.text().startswith("Agent 2"))
    with qtbot.waitSignal(page.message, timeout=5000) as said:
        action.trigger()
    assert "reassigned to Agent 2" in said.args[0]
    cid = views.conversation_ids_for(sample.cache, ids)[0]
    assert _read(sample, "SELECT assignee_id FROM conversations WHERE id = ?", cid) == [(agent2.id,)]
    audit = _read(sample, "SELECT user_id, action FROM audit_events WHERE target = ? ORDER BY id DESC LIMIT 1",
                  f"conversation:{cid}")  # fmt: skip
    assert audit == [(sample.supervisor.id, "conversation.assign")]
    qtbot.waitUntil(lambda: int(_cells(page, agent2.id)[1]) == before_2 + 1, timeout=5000)
    assert int(_cells(page, sample.agent.id)[1]) == before_1 - 1
    qtbot.waitUntil(lambda: ids[0] not in page.items_model.item_ids(range(page.items_model.rowCount())), timeout=5000)


def test_dropping_items_on_a_person_or_a_team(
    qtbot: Any, page: SupervisorPage, sample: Sample, runner: TaskRunner
) -> None:
    ids = views.page_ids(sample.cache, views.ListFilter(assignee_id=sample.social.id), limit=2)
    mime = page.items_model.mimeData([])
    assert decode_ids(mime) == [] and decode_ids(encode_ids(ids)) == ids
    # items are dragged as ids
    page.choose_person(sample.social.id)
    qtbot.waitUntil(lambda: page.items_model.rowCount() > 0, timeout=5000)
    dragged = page.items_model.mimeData([page.items_model.index(0, 0)])
    assert decode_ids(dragged) == [page.items_model.item_id(0)]
    social2 = next(u for u in views.users(sample.cache) if u.login == "social-2")
    with qtbot.waitSignal(page.message, timeout=5000):
        assert page.people.drop(encode_ids(ids), page.people_model.index_of_user(social2.id))
    cids = views.conversation_ids_for(sample.cache, ids)
    assert {f.assignee_id for f in views.conversation_facts(sample.cache, cids).values()} == {social2.id}
    with qtbot.waitSignal(page.message, timeout=5000) as said:
        assert page.people.drop(encode_ids(ids[:1]), page.people_model.index_of_team("social"))
    assert "unassigned" in said.args[0]
    assert views.conversation(sample.cache, cids[0]).assignee_id is None  # type: ignore[union-attr]
    assert not page.people.drop(encode_ids(ids), QModelIndex())
    assert not page.people.drop(QMimeData(), page.people_model.index_of_user(social2.id))


# ---------------------------------------------------------------------------------- review queue


def test_approving_a_leader_reply_queues_it(
    qtbot: Any, page: SupervisorPage, sample: Sample, runner: TaskRunner
) -> None:
    outbox_id = _leader_reply(sample)
    page.refresh()
    qtbot.waitUntil(lambda: page.replies.rowCount() == 1, timeout=5000)
    assert "Wali Kota" in page.replies.item(0, 0).text() and page.replies.item(0, 1).text() == "Terima kasih, kami cek."
    assert page.select_reply(outbox_id)
    with qtbot.waitSignal(page.message, timeout=5000) as said:
        page.approve_button.click()
    assert "approved" in said.args[0]
    entry = outbox.get(sample.cache, outbox_id)
    assert entry.state is OutboxState.QUEUED and entry.approved_by == sample.supervisor.id
    qtbot.waitUntil(lambda: page.replies.rowCount() == 0, timeout=5000)  # the change feed refreshed it
    assert "(0)" in page.replies_box.title()


def test_untrusted_text_shows_as_typed(qtbot: Any, page: SupervisorPage, sample: Sample) -> None:
    account = sample.account_id("x:walikota")
    item = views.page_ids(sample.cache, views.ListFilter(account_ids=(account,), kinds=("mention",)), limit=1)[0]
    body = "<b>Halo</b> <img src='file:///etc/passwd'> & terima kasih"
    outbox.enqueue(sample.cache, account_id=account, body=body, in_reply_to_item_id=item)
    page.refresh()
    qtbot.waitUntil(lambda: page.replies.rowCount() == 1, timeout=5000)
    cell = page.replies.item(0, 1)
    assert cell.text() == body
    assert "<b>" not in cell.toolTip() and "&lt;b&gt;Halo&lt;/b&gt;" in cell.toolTip()


def test_an_agent_cannot_approve(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    outbox_id = _leader_reply(sample)
    page = _page(qtbot, runner, sample.agent)
    assert page.replies.rowCount() == 1
    with qtbot.waitSignal(page.message, timeout=5000) as said:
        page.approve([outbox_id])
    assert "only a supervisor or an administrator can approve" in said.args[0]
    assert outbox.get(sample.cache, outbox_id).state is OutboxState.AWAITING_APPROVAL
    with qtbot.waitSignal(page.message, timeout=5000) as said:
        page.reassign(views.page_ids(sample.cache, limit=1), sample.agent.id)
    assert "only a supervisor" in said.args[0]
    page.close()


def test_rejecting_cancels_with_a_note(qtbot: Any, page: SupervisorPage, sample: Sample) -> None:
    outbox_id = _leader_reply(sample)
    with qtbot.waitSignal(page.message, timeout=5000):
        page.reject([outbox_id], "nada terlalu santai")
    entry = outbox.get(sample.cache, outbox_id)
    assert entry.state is OutboxState.CANCELLED and entry.conversation_id is not None
    assert "nada terlalu santai" in views.notes(sample.cache, entry.conversation_id)[-1].body


def test_confirming_a_suggestion_records_the_team_judgement(
    qtbot: Any, page: SupervisorPage, sample: Sample, runner: TaskRunner
) -> None:
    ids = views.page_ids(sample.cache, limit=30)
    tagged = views.tags_of(sample.cache, ids)
    free = [i for i in ids if not tagged.get(i)][:3]
    with sample.cache.write("test") as tx:
        for item_id in free:
            issues.save_suggestion(tx, item_id, "protect", 4, "keluhan: mati lampu")
    page.refresh()
    qtbot.waitUntil(lambda: page.tags.rowCount() == 3, timeout=5000)
    assert page.tags.item(0, 4).text().startswith("Protect")
    page.tags.selectRow(0)
    first = page.review.tags[0] if page.review else None
    assert first is not None
    with qtbot.waitSignal(page.message, timeout=5000):
        page.confirm_button.click()
    assert views.tags_of(sample.cache, [first.item_id])[first.item_id] == {first.team: "protect"}
    qtbot.waitUntil(lambda: page.tags.rowCount() == 2, timeout=5000)
    page.tags.selectRow(0)
    second = page.review.tags[0] if page.review else None
    assert second is not None
    with qtbot.waitSignal(page.message, timeout=5000):
        page.override_button.click()
    assert views.tags_of(sample.cache, [second.item_id])[second.item_id] == {second.team: "promote"}


# ---------------------------------------------------------------------------------- charts


def test_charts_get_the_store_series(page: SupervisorPage, sample: Sample) -> None:
    expected = supervision.chart_series(sample.cache, NOW_MS)
    volume = page.volume_chart
    assert len(volume.categories) == 14
    assert [s.name for s in volume.series][: len(expected.volume.channels)] == [
        _channel(ch) for ch in expected.volume.channels
    ]
    for s, ch in zip(volume.series, expected.volume.channels, strict=True):
        assert list(s.values) == [float(v) for v in expected.volume.counts[ch]]
    assert [list(s.values) for s in page.tags_chart.series] == [
        [float(expected.tags.promote[t]) for t in ("social", "contact_center")],
        [float(expected.tags.protect[t]) for t in ("social", "contact_center")],
    ]
    medians = [t.median_ms for t in expected.times.first_response[supervision.ALL_CHANNELS]]
    assert list(page.first_chart.series[0].values) == [None if m is None else float(m) for m in medians]
    assert any(v is not None for v in page.first_chart.series[0].values)
    # one channel
    channel = expected.times.channels[0]
    page.channel_choice.setCurrentIndex(page.channel_choice.findData(channel))
    p90 = [t.p90_ms for t in expected.times.first_response[channel]]
    assert list(page.first_chart.series[1].values) == [None if m is None else float(m) for m in p90]
    # text fallback: accessible names and descriptions carry the numbers
    assert volume.accessibleName() == "Items per channel and day"
    total = int(sum(expected.volume.counts[expected.volume.channels[0]]))
    assert str(expected.volume.counts[expected.volume.channels[0]][-1]) in volume.accessibleDescription()
    assert total > 0
    assert "Median" in page.first_chart.summary() and page.first_chart.y_label == "Time"


def _channel(ch: str) -> str:
    from omniinbox.ui import format as fmt

    return fmt.channel_name(ch)


def test_chart_tooltips_give_the_numbers_in_light_and_dark(qtbot: Any) -> None:
    chart = StackedBarChart("Volume")
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.set_data(["1 Nov", "2 Nov"], [Series("X", (3.0, 4.0)), Series("Email", (1.0, 0.0))], y_label="Items")
    for window, text in (("#ffffff", "#000000"), ("#202124", "#e8eaed")):
        palette = chart.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(window))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
        chart.setPalette(palette)
        image = chart.grab().toImage()
        assert not image.isNull()
        tips = [chart.tooltip_at(QPointF(x, y)) for x in range(0, 600, 10) for y in range(0, 300, 10)]
        assert any("X: 3" in t and "Total: 4" in t for t in tips)
        assert any("Email: 1" in t for t in tips)
    # a dark blue series is lightened on a dark window, kept on a light one
    assert chart.series_color(chart.series[0]).lightness() > QColor(chart.series[0].color).lightness()
    assert chart.summary().splitlines()[1:] == ["1 Nov: X 3, Email 1", "2 Nov: X 4, Email 0"]
    line = LineChart("Times")
    qtbot.addWidget(line)
    line.set_data(["a", "b", "c"], [Series("Median", (None, 60_000.0, 120_000.0))])
    assert "a: Median –" in line.summary()
    empty = LineChart("Nothing")
    qtbot.addWidget(empty)
    empty.set_data(["a"], [Series("Median", (None,))])
    assert empty.summary() == "Nothing: No data yet" and not empty.grab().isNull()
    assert nice_step(87) == 20 and nice_step(5) == 1 and nice_step(0) == 1


# ---------------------------------------------------------------------------------- in the window


def test_the_window_opens_it_for_supervisors_only(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    window = MainWindow(runner, sample.supervisor)
    qtbot.addWidget(window)
    assert window.sidebar.nav.index_of(SUPERVISOR_KEY).isValid()
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    action = window.shortcuts.action("supervisor")
    assert isinstance(action, QAction) and action in view_menu.actions()
    assert action.shortcut().toString() == "Ctrl+Shift+S"
    action.trigger()
    page = window.supervisor_page  # type: ignore[attr-defined]
    assert isinstance(page, SupervisorPage) and page.isVisible()
    window.sidebar.select(SUPERVISOR_KEY)
    assert window.supervisor_page is page  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: page.data is not None, timeout=8000)
    wait_idle(qtbot, runner)
    page.close()
    window.close()

    agent_window = MainWindow(runner, sample.agent)
    qtbot.addWidget(agent_window)
    assert not agent_window.sidebar.nav.index_of(SUPERVISOR_KEY).isValid()
    agent_view = next(a.menu() for a in agent_window.menuBar().actions() if a.text() == "&View")
    assert agent_window.shortcuts.action("supervisor") not in agent_view.actions()
    agent_window.shortcuts.action("supervisor").trigger()
    assert getattr(agent_window, "supervisor_page", None) is None
    assert "for supervisors" in agent_window.status.currentMessage()
    wait_idle(qtbot, runner)
    agent_window.close()
