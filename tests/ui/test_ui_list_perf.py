"""What keeps the item list fast on a big cache: rows read in one cheap query, windows asked for
during a paint read once it is done (in one read), and no reading while the list scrolls fast."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from ui_support import Sample, wait_idle

from omniinbox.store import queries, views
from omniinbox.ui.list_panel import ItemListView
from omniinbox.ui.models import item_list
from omniinbox.ui.models.item_list import Column, ItemListModel
from omniinbox.ui.tasks import TaskRunner


def _reference_rows(conn: Any, ids: list[int]) -> list[views.ListRow]:
    """List rows as they were built before list_rows had its own query: display rows plus the
    conversations' facts."""
    items = queries.rows(conn, ids)
    facts = views.conversation_facts(conn, (r.conversation_id for r in items))
    out = []
    for r in items:
        f = facts[r.conversation_id]
        subject = f"{r.subject} — " if r.subject and r.subject not in r.text[: len(r.subject) + 8] else ""
        out.append(
            views.ListRow(
                id=r.id,
                conversation_id=r.conversation_id,
                account_id=r.account_id,
                account_name=r.account_name or r.account_key,
                is_leader_account=r.is_leader_account,
                channel=r.channel,
                kind=r.kind,
                direction=r.direction,
                author=r.author_name or r.author_handle,
                handle=r.author_handle,
                followers=r.followers,
                is_kol=r.is_kol,
                excerpt=views.excerpt(subject + r.text),
                created_at=round(r.created_at.timestamp() * 1000),
                is_read=r.is_read,
                status=r.status,
                assignee=r.assignee,
                priority=f.priority,
                team=f.team,
                sla_due_at=f.sla_due_at,
                needs_answer=f.needs_answer,
                tags=r.tags,
            )
        )
    return out


def test_list_rows_read_what_the_display_rows_and_facts_say(sample: Sample) -> None:
    ids = views.page_ids(sample.cache, limit=3000)
    ids = [*ids[::3], 1, 2]  # in the order asked, missing ids left out
    rows = views.list_rows(sample.cache, ids)
    assert [r.id for r in rows] == [i for i in ids if i > 2]
    assert rows == _reference_rows(sample.cache.conn, ids)
    assert any(r.tags for r in rows) and any(r.needs_answer for r in rows)


def test_windows_asked_for_in_a_paint_are_read_after_it_in_one_read(
    qtbot: Any, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = views.list_rows
    monkeypatch.setattr(views, "list_rows", lambda conn, ids: calls.append(len(ids)) or real(conn, ids))
    model = ItemListModel(runner)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        pass
    assert model.list_row(5) is not None and calls == [item_list.WINDOW]  # the first window came with the page
    calls.clear()
    for row in (150, 160, 250):  # as one paint asks: two windows
        assert model.data(model.index(row, Column.TEXT)) == "Loading…"
    assert calls == []  # nothing read while the GUI thread is still painting
    qtbot.waitUntil(lambda: model.list_row(150) is not None and model.list_row(250) is not None, timeout=5000)
    wait_idle(qtbot, runner)
    assert calls == [2 * item_list.WINDOW]


def test_no_rows_are_read_while_loads_are_held(qtbot: Any, runner: TaskRunner) -> None:
    model = ItemListModel(runner)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        pass
    model.hold_loads(True)
    assert model.data(model.index(250, Column.TEXT)) == "Loading…"
    qtbot.wait(50)
    wait_idle(qtbot, runner)
    assert model.list_row(250) is None
    assert model.hold_loads(False)  # rows were asked for: the view repaints
    assert not model.hold_loads(False)
    model.data(model.index(250, Column.TEXT))
    qtbot.waitUntil(lambda: model.list_row(250) is not None, timeout=5000)


def test_a_hidden_team_list_reads_nothing_until_asked(qtbot: Any, runner: TaskRunner) -> None:
    model = ItemListModel(runner, lazy=True)
    qtbot.wait(20)
    assert runner.pending == 0 and model.rowCount() == 0 and model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == item_list.ID_PAGE and model.list_row(0) is not None


def test_a_synchronous_runner_never_holds(sync_runner: TaskRunner) -> None:
    model = ItemListModel(sync_runner)
    model.hold_loads(True)
    assert model.data(model.index(3, Column.TEXT)) == model.list_row(3).excerpt  # type: ignore[union-attr]


def test_a_fast_scroll_reads_only_where_it_pauses(
    qtbot: Any, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    real = views.list_rows
    monkeypatch.setattr(views, "list_rows", lambda conn, ids: asked.extend(ids) or real(conn, ids))
    model = ItemListModel(runner)
    view = ItemListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 400)
    view.show()
    qtbot.waitUntil(lambda: model.list_row(0) is not None, timeout=5000)
    wait_idle(qtbot, runner)
    asked.clear()
    bar = view.verticalScrollBar()
    for value in range(20, bar.maximum(), 40):  # a drag: moves a few ms apart, each painted
        bar.setValue(value)
        view.viewport().repaint()
    last = view.rowAt(0)
    assert model.list_row(last) is None and asked == []
    qtbot.waitUntil(lambda: model.list_row(view.rowAt(0)) is not None, timeout=5000)
    wait_idle(qtbot, runner)
    start = last - last % item_list.WINDOW
    assert asked and set(asked) <= set(model.item_ids(range(start, start + 2 * item_list.WINDOW)))


def test_a_change_repaints_only_the_shown_rows_that_differ(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    from omniinbox import usecases
    from omniinbox.core import TagValue, Team

    model = ItemListModel(runner)
    view = ItemListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 400)
    view.show()
    qtbot.waitUntil(lambda: model.list_row(0) is not None, timeout=5000)
    wait_idle(qtbot, runner)
    shown = view.visible_rows()
    assert 0 in shown and len(shown) < 30
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, _roles=(): changed.append((first.row(), last.row())))
    far = model.item_id(400)  # written, but not shown
    runner.write(lambda c: usecases.tag(c, sample.social, [far], Team.SOCIAL, TagValue.PROTECT, toggle=False))
    wait_idle(qtbot, runner)
    wait_idle(qtbot, runner)
    assert changed == []
    second = model.item_id(1)
    runner.write(lambda c: usecases.tag(c, sample.social, [second], Team.SOCIAL, TagValue.PROMOTE, toggle=False))
    qtbot.waitUntil(lambda: bool(changed), timeout=5000)
    wait_idle(qtbot, runner)
    assert changed == [(1, 1)]
    assert model.list_row(1).tags.get("social") == "promote"  # type: ignore[union-attr]
