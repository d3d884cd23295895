"""Item lists as the main window shows them.

:class:`ItemListView` is the table (fixed row height, painted rows, multi-selection, j/k moves).
:class:`ListPanel` is a list with its own model: the main inbox, driven by the side bar and the
search field. :class:`TeamPanel` is one team's queue (conversations the team works), with a queue
chooser and that team's Promote/Protect and hand-off buttons: each team records its own judgement.

Signals (both panels):
    current_changed(object): the item id under the cursor, or ``None``.
    activated(int): an item was opened (Enter, double click).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractItemModel, QCoreApplication, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from omniinbox.core import Team, User
from omniinbox.store.views import ListFilter, QueueKind, queue_filter
from omniinbox.ui import format as fmt
from omniinbox.ui.item_delegate import ItemDelegate
from omniinbox.ui.models.item_list import Column, FilterSource, IdSource, ItemListModel, SearchSource
from omniinbox.ui.tasks import TaskRunner

COLUMN_WIDTHS = {
    Column.CHANNEL: 64,
    Column.AUTHOR: 180,
    Column.TEXT: 360,
    Column.ACCOUNT: 160,
    Column.AGE: 52,
    Column.TAGS: 160,
    Column.ASSIGNEE: 120,
    Column.SLA: 96,
}
FAST_SCROLL_S = 0.05  # scroll moves closer together than this hold the reading of rows...
SCROLL_PAUSE_MS = 50  # ...until the bar has stayed still this long


class ItemListView(QTableView):
    """The item table. Rows are one fixed height; nothing is measured per row. While its scroll
    bar moves fast (a drag, a held key) its model holds the reading of rows
    (:meth:`ItemListModel.hold_loads`); when the bar pauses, the rows then visible are read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("item-list")
        self.delegate = ItemDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.delegate.row_height(self.font()))
        horizontal = self.horizontalHeader()
        horizontal.setHighlightSections(False)
        horizontal.setStretchLastSection(False)
        self._scrolled_at = 0.0
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(SCROLL_PAUSE_MS)
        self._pause.timeout.connect(self._scroll_paused)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def visible_rows(self) -> range:
        """The rows in the viewport (none while the view is hidden)."""
        model = self.model()
        if model is None or not self.isVisible():
            return range(0)
        first = self.rowAt(0)
        if first < 0:
            return range(0)
        last = self.rowAt(self.viewport().height() - 1)
        return range(first, (last if last >= 0 else model.rowCount() - 1) + 1)

    def _scrolled(self, _value: int) -> None:
        now = time.monotonic()
        fast = now - self._scrolled_at < FAST_SCROLL_S
        self._scrolled_at = now
        model = self.model()
        if fast and isinstance(model, ItemListModel):
            model.hold_loads(True)
            self._pause.start()

    def _scroll_paused(self) -> None:
        model = self.model()
        if isinstance(model, ItemListModel) and model.hold_loads(False):
            self.viewport().update()

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if isinstance(model, ItemListModel):
            model.set_visible_rows(self.visible_rows)
        header = self.horizontalHeader()
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.TEXT, QHeaderView.ResizeMode.Stretch)

    def step(self, rows: int) -> None:
        """Move the cursor (and the selection) by ``rows``, as j/k do."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        current = self.currentIndex()
        row = 0 if not current.isValid() else min(max(current.row() + rows, 0), model.rowCount() - 1)
        index = model.index(row, Column.TEXT)
        self.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.scrollTo(index)


class ListPanel(QWidget):
    """A list of items with its own lazy model. See the module docstring."""

    current_changed = Signal(object)
    activated = Signal(object)  # item ids are 64-bit: Signal(int) would truncate them to 32

    def __init__(
        self, runner: TaskRunner, source: IdSource | None = None, parent: QWidget | None = None, *, lazy: bool = False
    ) -> None:
        super().__init__(parent)
        self.model = ItemListModel(runner, source, lazy=lazy, parent=self)
        self.view = ItemListView(self)
        self.view.setModel(self.model)
        self.view.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.view.doubleClicked.connect(lambda index: self.activated.emit(self.model.item_id(index.row())))
        self.model.modelReset.connect(lambda: self.current_changed.emit(None))
        self.empty = QLabel(self)
        self.empty.setObjectName("empty-list")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        self.model.loaded.connect(self._update_empty)
        self.model.modelReset.connect(self._update_empty)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(self.empty)
        self._filter = ListFilter()
        self._search = ""

    # ------------------------------------------------------------------ what it shows

    @property
    def filter(self) -> ListFilter:
        return self._filter

    def team(self) -> Team | None:
        """The team whose judgement a Promote/Protect here records (``None``: the person's own)."""
        return None

    def show_filter(self, flt: ListFilter) -> None:
        self._filter = flt
        self._apply()

    def search(self, text: str) -> None:
        """Full-text search within what the panel shows; empty text shows it all again."""
        text = text.strip()
        if text == self._search:
            return
        self._search = text
        self._apply()

    def search_text(self) -> str:
        return self._search

    def _apply(self) -> None:
        source: IdSource = SearchSource(self._search, self._filter) if self._search else FilterSource(self._filter)
        if source != self.model.source:
            self.model.set_source(source)

    # ------------------------------------------------------------------ selection

    def current_item(self) -> int | None:
        index = self.view.currentIndex()
        return self.model.item_id(index.row()) if index.isValid() else None

    def selected_item_ids(self) -> list[int]:
        """The selection, in list order; the current item when nothing is selected."""
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        if not rows:
            current = self.current_item()
            return [current] if current is not None else []
        return self.model.item_ids(rows)

    def select_item(self, item_id: int) -> bool:
        row = self.model.row_of(item_id)
        if row is None:
            return False
        index = self.model.index(row, Column.TEXT)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(index)
        return True

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(self.model.item_id(current.row()) if current.isValid() else None)

    def _update_empty(self) -> None:
        empty = self.model.rowCount() == 0 and not self.model.is_fetching()
        if empty:
            self.empty.setText(
                self.tr("Nothing matches “%1”.").replace("%1", self._search)
                if self._search
                else self.tr("Nothing here.")
            )
        self.empty.setVisible(empty)


TEAM_QUEUES: tuple[QueueKind, ...] = (
    QueueKind.ALL,
    QueueKind.NEEDS_ANSWER,
    QueueKind.UNASSIGNED,
    QueueKind.MINE,
    QueueKind.PROMOTE,
    QueueKind.PROTECT,
    QueueKind.SNOOZED,
    QueueKind.CLOSED,
)


def queue_name(kind: QueueKind) -> str:
    return {
        QueueKind.ALL: QCoreApplication.translate("Queues", "All"),
        QueueKind.MINE: QCoreApplication.translate("Queues", "Mine"),
        QueueKind.UNASSIGNED: QCoreApplication.translate("Queues", "Unassigned"),
        QueueKind.NEEDS_ANSWER: QCoreApplication.translate("Queues", "Needs answer"),
        QueueKind.PROMOTE: QCoreApplication.translate("Queues", "Promote"),
        QueueKind.PROTECT: QCoreApplication.translate("Queues", "Protect"),
        QueueKind.SNOOZED: QCoreApplication.translate("Queues", "Snoozed"),
        QueueKind.CLOSED: QCoreApplication.translate("Queues", "Closed"),
    }[kind]


class TeamPanel(ListPanel):
    """One team's queue. Signals besides the list's: ``tag_requested(str)`` (promote or protect,
    as this team's judgement) and ``handoff_requested()``."""

    tag_requested = Signal(str)
    handoff_requested = Signal()

    def __init__(self, runner: TaskRunner, team: Team, user: User, parent: QWidget | None = None) -> None:
        self._team = team
        self._user = user
        # lazy: a team's tab is not the one shown at start; its list is read when it shows
        super().__init__(
            runner, FilterSource(queue_filter(QueueKind.ALL, user_id=user.id, team=team)), parent, lazy=True
        )
        self.setObjectName(f"team-panel-{team.value}")
        self._filter = queue_filter(QueueKind.ALL, user_id=user.id, team=team)
        title = QLabel(fmt.team_name(team.value), self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        self.queue = QComboBox(self)
        self.queue.setObjectName("team-queue")
        for kind in TEAM_QUEUES:
            self.queue.addItem(queue_name(kind), kind.value)
        self.queue.currentIndexChanged.connect(self._queue_chosen)
        other = Team.CONTACT_CENTER if team is Team.SOCIAL else Team.SOCIAL
        promote = QPushButton(self.tr("Promote"), self)
        promote.setObjectName("team-promote")
        promote.setToolTip(self.tr("Record this team's Promote judgement on the selection (P)"))
        promote.clicked.connect(lambda: self.tag_requested.emit("promote"))
        protect = QPushButton(self.tr("Protect"), self)
        protect.setObjectName("team-protect")
        protect.setToolTip(self.tr("Record this team's Protect judgement on the selection (X)"))
        protect.clicked.connect(lambda: self.tag_requested.emit("protect"))
        handoff = QPushButton(self.tr("Hand off to %1…").replace("%1", fmt.team_name(other.value)), self)
        handoff.setObjectName("team-handoff")
        handoff.clicked.connect(self.handoff_requested.emit)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 6, 6, 6)
        bar.addWidget(title)
        bar.addWidget(QLabel(self.tr("Queue:"), self))
        bar.addWidget(self.queue)
        bar.addStretch(1)
        bar.addWidget(promote)
        bar.addWidget(protect)
        bar.addWidget(handoff)
        self.layout_.insertLayout(0, bar)

    def team(self) -> Team:
        return self._team

    def queue_kind(self) -> QueueKind:
        return QueueKind(self.queue.currentData())

    def show_queue(self, kind: QueueKind) -> None:
        self.queue.setCurrentIndex(TEAM_QUEUES.index(kind))

    def _queue_chosen(self, _index: int) -> None:
        self.show_filter(queue_filter(self.queue_kind(), user_id=self._user.id, team=self._team))
