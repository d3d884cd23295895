"""The lazy item list model: ids by page, rows by window off the GUI thread, placeholders, changes
refreshed in place, new items inserted where they belong; qtmodeltester throughout."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView
from ui_support import Sample, wait_idle

from omniinbox import usecases
from omniinbox.core import Page, TagValue, Team
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import views
from omniinbox.store.accounts import get_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page
from omniinbox.ui.item_delegate import ItemDelegate
from omniinbox.ui.models import item_list
from omniinbox.ui.models.item_list import Column, FilterSource, ItemListModel, SearchSource
from omniinbox.ui.tasks import TaskRunner


def _text(model: ItemListModel, row: int, column: Column) -> Any:
    return model.data(model.index(row, column))


def test_pages_of_ids_arrive_as_the_view_asks(qtbot: Any, qtmodeltester: Any, runner: TaskRunner,
                                              sample: Sample) -> None:  # fmt: skip
    model = ItemListModel(runner)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        pass
    assert model.rowCount() == item_list.ID_PAGE
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.fetchMore(QModelIndex())
        model.fetchMore(QModelIndex())  # a second ask while one is under way adds nothing
    assert model.rowCount() == 2 * item_list.ID_PAGE
    while model.canFetchMore(QModelIndex()):
        with qtbot.waitSignal(model.loaded, timeout=5000):
            model.fetchMore(QModelIndex())
    ids = [model.item_id(r) for r in range(model.rowCount())]
    assert ids == views.page_ids(sample.cache, limit=10_000) and len(ids) == 3000
    assert all(model.row_of(i) == n for n, i in enumerate(ids[::97]) for n in [ids.index(i)])
    assert model.row_of(12345) is None


def test_rows_load_in_windows_with_a_placeholder_first(qtbot: Any, qtmodeltester: Any, runner: TaskRunner,
                                                       sample: Sample) -> None:  # fmt: skip
    model = ItemListModel(runner)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        pass
    assert _text(model, 250, Column.TEXT) == "Loading…" and model.list_row(250) is None
    qtbot.waitUntil(lambda: model.list_row(250) is not None, timeout=5000)
    window = range(200, 200 + item_list.WINDOW)
    assert all(model.list_row(r) is not None for r in window)
    assert model.list_row(150) is None and model.list_row(350) is None  # only that window
    row = model.list_row(250)
    assert row is not None and row.id == model.item_id(250)
    expected = views.list_rows(sample.cache, [row.id])[0]
    assert row == expected
    assert _text(model, 250, Column.TEXT) == expected.excerpt
    assert _text(model, 250, Column.AUTHOR) == expected.author
    font = model.data(model.index(250, 0), Qt.ItemDataRole.FontRole)
    assert (font is not None and font.bold()) == (not expected.is_read)


def test_a_view_reads_only_what_it_shows(qtbot: Any, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = views.list_rows

    def counting(conn: Any, ids: Any) -> Any:
        asked.extend(ids)
        return real(conn, ids)

    monkeypatch.setattr(views, "list_rows", counting)
    model = ItemListModel(runner)
    view = QTableView()
    qtbot.addWidget(view)
    view.setItemDelegate(ItemDelegate(view))
    view.verticalHeader().setDefaultSectionSize(24)
    view.resize(900, 400)
    view.setModel(model)
    view.show()
    qtbot.waitUntil(lambda: model.list_row(0) is not None, timeout=5000)
    wait_idle(qtbot, runner)
    assert model.rowCount() >= item_list.ID_PAGE
    assert 0 < len(asked) <= 2 * item_list.WINDOW  # the first window or two, not the list
    view.scrollToBottom()

    def bottom_painted() -> bool:
        row = view.rowAt(view.viewport().height() - 2)
        return row > item_list.ID_PAGE // 2 and model.list_row(row) is not None

    qtbot.waitUntil(bottom_painted, timeout=5000)
    wait_idle(qtbot, runner)
    assert len(asked) <= 5 * item_list.WINDOW  # the windows scrolled to, not the ones in between


def test_changes_refresh_rows_in_place(qtbot: Any, qtmodeltester: Any, runner: TaskRunner, sample: Sample) -> None:
    model = ItemListModel(runner)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        pass
    model.data(model.index(0, 0))
    qtbot.waitUntil(lambda: model.list_row(0) is not None, timeout=5000)
    first = model.item_id(0)
    runner.write(lambda c: usecases.tag(c, sample.social, [first], Team.SOCIAL, TagValue.PROTECT, toggle=False))
    runner.write(lambda c: usecases.tag(c, sample.agent, [first], Team.CONTACT_CENTER, TagValue.PROMOTE, toggle=False))
    wait_idle(qtbot, runner)
    assert model.list_row(0) is not None  # a stale row keeps showing while it is read again

    def refreshed() -> bool:
        model.data(model.index(0, 0))  # as the view painting the row does
        row = model.list_row(0)
        return row is not None and row.tags == {"social": "protect", "contact_center": "promote"}

    qtbot.waitUntil(refreshed, timeout=5000)
    assert _text(model, 0, Column.TAGS) == "SM: Protect  CC: Promote"


def test_items_from_another_process_are_inserted_where_they_belong(
    qtbot: Any, qtmodeltester: Any, runner: TaskRunner, sample: Sample
) -> None:
    account_id = sample.account_id("telegram:pemkot")
    model = ItemListModel(runner, FilterSource(views.ListFilter(account_ids=(account_id,))))
    qtmodeltester.check(model, force_py=True)  # pytest-qt's own checks as well as Qt's
    with qtbot.waitSignal(model.loaded, timeout=5000):
        pass
    before = [model.item_id(r) for r in range(model.rowCount())]
    other = Cache.open(sample.path)
    try:
        account = get_account(other, "telegram:pemkot")
        elsewhere = get_account(other, "x:pemkot")
        newest = views.list_rows(other, [before[0]])[0].created_at
        from datetime import UTC, datetime, timedelta

        fresh = list(generate_items(3, prefix="new", start=datetime.fromtimestamp(newest / 1000 + 60, UTC),
                                    span=timedelta(minutes=3)))  # fmt: skip
        middle = datetime.fromtimestamp(views.list_rows(other, [before[10]])[0].created_at / 1000 - 1, UTC)
        late = list(generate_items(1, prefix="late", start=middle, span=timedelta(seconds=1)))
        ingest_page(other, account, None, Page(items=fresh + late))
        ingest_page(other, elsewhere, None, Page(items=list(generate_items(2, prefix="other"))))  # not this list
        with qtbot.waitSignal(model.rowsInserted, timeout=5000):
            runner.poll_changes()
        wait_idle(qtbot, runner)
        after = [model.item_id(r) for r in range(model.rowCount())]
        expected = views.page_ids(other, views.ListFilter(account_ids=(account_id,)), limit=len(after))
        assert after == expected and len(after) == len(before) + 4
        assert after == sorted(after, reverse=True)
    finally:
        other.close()


def test_search_source_and_a_synchronous_runner(qtmodeltester: Any, sync_runner: TaskRunner, sample: Sample) -> None:
    model = ItemListModel(sync_runner, SearchSource("banjir"))
    qtmodeltester.check(model)
    expected = views.search_ids(sample.cache, "banjir", limit=item_list.ID_PAGE)
    assert [model.item_id(r) for r in range(model.rowCount())] == expected
    assert _text(model, 0, Column.TEXT).lower().count("banjir") >= 1  # answered at once
    model.set_source(SearchSource("banjir", views.queue_filter(views.QueueKind.UNASSIGNED)))
    unassigned = views.search_ids(sample.cache, "banjir", views.queue_filter(views.QueueKind.UNASSIGNED), limit=500)
    assert [model.item_id(r) for r in range(model.rowCount())] == unassigned
    model.set_source(SearchSource("zzzznotthere"))
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())


def test_header_and_placeholder_texts(sync_runner: TaskRunner) -> None:
    model = ItemListModel(sync_runner)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == ["Channel", "Author", "Message", "Account", "Age", "Promote / Protect", "Assignee", "SLA"]
    assert model.headerData(0, Qt.Orientation.Vertical) is None
