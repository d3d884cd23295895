"""The supervisor's view: who works on what, what waits for a supervisor, and how the inbox goes.

* **Assignments**: every person of the cache under their team, with their open, overdue and
  closed conversations (team rows sum their people). Choosing a person lists their open items
  (or all of them); choosing a team lists its unassigned open items. Items are reassigned by
  dragging them onto a person (or onto a team row: unassigned), or with the list's context menu
  "Reassign to…". Writes go through :func:`omniinbox.usecases.reassign` (supervisors and admins).
* **Review queue**: replies on leaders' accounts awaiting approval (approve queues them, reject
  cancels them with a note), and Promote/Protect suggestions that the team working the
  conversation has not judged yet (confirm records the suggestion as that team's judgement,
  override the other value).
* **Charts** (:mod:`omniinbox.ui.charts`): items per channel and day (stacked, last 14 days),
  Promote vs Protect per team, and the median and 90th percentile of first-response and
  resolution times per day, for all channels or one.

Reads are :mod:`omniinbox.store.supervision` on the task runner's reader pool, again when the
change feed says something they show changed: the people and the review queue at most every
couple of seconds, the charts (the costliest read, about 0.6 s on a million items) at most every
half minute.

Signals (of :class:`SupervisorPage`):
    message(str): what an action did or why it was refused, for the status bar.
    open_item(int): an item to show in the main window.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QDate,
    QLocale,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from omniinbox import usecases
from omniinbox.core import TagValue, Team, User
from omniinbox.store import supervision
from omniinbox.store.supervision import ChartSeries, ReviewQueue, Timing, Workload
from omniinbox.store.views import OPEN_STATUSES, ListFilter, QueueKind, queue_filter
from omniinbox.ui import format as fmt
from omniinbox.ui.charts import (
    DURATION_STEPS_MS,
    PROMOTE_COLOR,
    PROTECT_COLOR,
    GroupedBarChart,
    LineChart,
    Series,
    StackedBarChart,
)
from omniinbox.ui.list_panel import ItemListView
from omniinbox.ui.models.item_list import Column, FilterSource, ItemListModel
from omniinbox.ui.tasks import Changes, TaskError, TaskRunner

ITEM_IDS_MIME = "application/x-omniinbox-item-ids"
REFRESH_EVERY_MS = 2000
CHARTS_EVERY_MS = 30_000  # about 0.6 s of reading on a million items
Index = QModelIndex | QPersistentModelIndex


def encode_ids(ids: Sequence[int]) -> QMimeData:
    mime = QMimeData()
    mime.setData(ITEM_IDS_MIME, QByteArray(",".join(str(i) for i in ids).encode()))
    return mime


def decode_ids(mime: QMimeData) -> list[int]:
    if not mime.hasFormat(ITEM_IDS_MIME):
        return []
    raw = bytes(mime.data(ITEM_IDS_MIME).data()).decode(errors="replace")
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]


def plain_tip(text: str) -> str:
    """A tooltip that shows ``text`` as typed: Qt takes tooltips that look like HTML for rich
    text, so untrusted text (messages, names) is escaped into an explicit rich-text tooltip."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def role_name(role: str) -> str:
    names = {
        "agent": QCoreApplication.translate("SupervisorPage", "agent"),
        "social_officer": QCoreApplication.translate("SupervisorPage", "social media officer"),
        "supervisor": QCoreApplication.translate("SupervisorPage", "supervisor"),
        "admin": QCoreApplication.translate("SupervisorPage", "administrator"),
    }
    return names.get(role, role)


def local_offset_ms() -> int:
    offset = datetime.now().astimezone().utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def day_label(day: date) -> str:
    return QLocale().toString(QDate(day.year, day.month, day.day), "d MMM")


class DraggableItemListModel(ItemListModel):
    """The item list whose rows can be dragged (as item ids) onto a person."""

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [ITEM_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return encode_ids(self.item_ids(rows))

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction


# ---------------------------------------------------------------------------------- people


class PeopleModel(QStandardItemModel):
    """Teams (bold, with their people's sums) and their people: name, open, overdue, closed."""

    UserRole = Qt.ItemDataRole.UserRole + 1  # the person's id, on person rows
    TeamRole = Qt.ItemDataRole.UserRole + 2  # the team value ("" for people without a team), on team rows

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(0, 4, parent)
        self.setHorizontalHeaderLabels([self.tr("Person"), self.tr("Open"), self.tr("Overdue"), self.tr("Closed")])
        self.rows: list[Workload] = []

    def set_rows(self, rows: list[Workload]) -> None:
        self.rows = rows
        self.removeRows(0, self.rowCount())
        for total in supervision.team_totals(rows):
            name = fmt.team_name(total.team) if total.team else self.tr("No team")
            team_row = self._row(name, total.open, total.overdue, total.closed, bold=True)
            team_row[0].setData(total.team or "", self.TeamRole)
            team_row[0].setToolTip(
                self.tr("%1: %2 people. Drop items here to leave them unassigned.")
                .replace("%1", name)
                .replace("%2", str(total.people))
            )
            for w in rows:
                if w.team != total.team:
                    continue
                person = self._row(w.name, w.open, w.overdue, w.closed)
                person[0].setData(w.user_id, self.UserRole)
                person[0].setToolTip(
                    plain_tip(
                        self.tr("%1 (%2): %3 open, %4 overdue, %5 closed, %6 snoozed")
                        .replace("%2", role_name(w.role))
                        .replace("%3", str(w.open))
                        .replace("%4", str(w.overdue))
                        .replace("%5", str(w.closed))
                        .replace("%6", str(w.snoozed))
                        .replace("%1", w.name)  # last: a name may hold "%2"
                    )
                )
                team_row[0].appendRow(person)
            self.appendRow(team_row)

    def _row(self, name: str, open_: int, overdue: int, closed: int, *, bold: bool = False) -> list[QStandardItem]:
        cells = [QStandardItem(name)] + [QStandardItem(str(n)) for n in (open_, overdue, closed)]
        for n, cell in enumerate(cells):
            cell.setEditable(False)
            cell.setDropEnabled(True)
            cell.setDragEnabled(False)
            if n:
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if bold:
                font = QFont()
                font.setBold(True)
                cell.setFont(font)
        if overdue:
            cells[2].setForeground(Qt.GlobalColor.red)
        return cells

    def user_id(self, index: QModelIndex) -> int | None:
        value = index.siblingAtColumn(0).data(self.UserRole) if index.isValid() else None
        return value if isinstance(value, int) else None

    def team(self, index: QModelIndex) -> str | None:
        """The team value of a team row (``""``: the people without a team); ``None`` elsewhere."""
        value = index.siblingAtColumn(0).data(self.TeamRole) if index.isValid() else None
        return value if isinstance(value, str) else None

    def index_of_user(self, user_id: int) -> QModelIndex:
        for t in range(self.rowCount()):
            team_item = self.item(t, 0)
            for r in range(team_item.rowCount()):
                if team_item.child(r, 0).data(self.UserRole) == user_id:
                    return team_item.child(r, 0).index()
        return QModelIndex()

    def index_of_team(self, team: str) -> QModelIndex:
        for t in range(self.rowCount()):
            if self.item(t, 0).data(self.TeamRole) == team:
                return self.item(t, 0).index()
        return QModelIndex()

    def mimeTypes(self) -> list[str]:
        return [ITEM_IDS_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction


class PeopleView(QTreeView):
    """The people table; items dropped on a person are reassigned to them, on a team row
    unassigned. Signal ``dropped(list, object)``: the item ids and the person's id (``None``)."""

    dropped = Signal(list, object)

    def __init__(self, model: PeopleModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisor-people")
        self.people = model
        self.setModel(model)
        self.setAccessibleName(self.tr("People and their conversations"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def target(self, index: QModelIndex) -> tuple[bool, int | None]:
        """Whether items can be dropped on ``index``, and whose they become (``None``: nobody)."""
        if not index.isValid():
            return False, None
        user_id = self.people.user_id(index)
        if user_id is not None:
            return True, user_id
        return self.people.team(index) is not None, None

    def drop(self, mime: QMimeData, index: QModelIndex) -> bool:
        ids = decode_ids(mime)
        ok, user_id = self.target(index)
        if not ids or not ok:
            return False
        self.dropped.emit(ids, user_id)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(ITEM_IDS_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        ok, _user = self.target(self.indexAt(event.position().toPoint()))
        if ok and event.mimeData().hasFormat(ITEM_IDS_MIME):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.drop(event.mimeData(), self.indexAt(event.position().toPoint())):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()


# ---------------------------------------------------------------------------------- the page


class SupervisorPage(QWidget):
    """See the module docstring. Attributes: ``people`` (the view), ``people_model``,
    ``items`` / ``items_model`` (the chosen person's or team's items), ``replies`` and ``tags``
    (the review tables), ``volume_chart``, ``tags_chart``, ``first_chart``, ``resolution_chart``,
    ``channel_choice``; ``data`` (the last :class:`ChartSeries`), ``review`` (the last
    :class:`ReviewQueue`)."""

    message = Signal(str)
    open_item = Signal(int)

    def __init__(
        self,
        runner: TaskRunner,
        user: User,
        parent: QWidget | None = None,
        *,
        now_ms: Callable[[], int] | None = None,
        utc_offset_ms: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("supervisor-page")
        self.setWindowTitle(self.tr("Supervisor"))
        self.runner = runner
        self.user = user
        self.now_ms: Callable[[], int] = now_ms or fmt.now_ms
        self.utc_offset_ms = local_offset_ms() if utc_offset_ms is None else utc_offset_ms
        self.data: ChartSeries | None = None
        self.review: ReviewQueue | None = None
        self.menu: QMenu | None = None  # the last context menu shown (tests look at it)
        self._busy: set[str] = set()  # reads under way
        self._chosen: tuple[str, int | str] | None = None

        # assignments ---------------------------------------------------------------
        self.people_model = PeopleModel(self)
        self.people = PeopleView(self.people_model, self)
        self.people.dropped.connect(self.reassign)
        self.people.selectionModel().currentRowChanged.connect(self._person_chosen)
        self.items_model = DraggableItemListModel(runner, FilterSource(ListFilter(assignee_id=-1)), parent=self)
        self.items = ItemListView(self)
        self.items.setObjectName("supervisor-items")
        self.items.setModel(self.items_model)
        for column in (Column.ACCOUNT, Column.TAGS):  # the pane says those; the text needs the room
            self.items.setColumnHidden(column, True)
        self.items.setDragEnabled(True)
        self.items.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.items.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.items.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.items.customContextMenuRequested.connect(self._items_menu)
        self.items.doubleClicked.connect(lambda index: self.open_item.emit(self.items_model.item_id(index.row())))
        self.items.setAccessibleName(self.tr("Items of the chosen person or team"))
        self.items_title = QLabel(self.tr("Choose a person to see their items, or a team for its unassigned ones."))
        self.items_title.setObjectName("supervisor-items-title")
        self.items_title.setWordWrap(True)
        self.include_closed = QCheckBox(self.tr("Include closed and snoozed"), self)
        self.include_closed.setObjectName("supervisor-include-closed")
        self.include_closed.toggled.connect(lambda _on: self._show_chosen())
        hint = QLabel(self.tr("Drag items onto a person to reassign them, or right-click: Reassign to…"), self)
        hint.setWordWrap(True)
        assignments = QWidget(self)
        a_layout = QVBoxLayout(assignments)
        a_layout.setContentsMargins(0, 0, 0, 0)
        a_layout.addWidget(self._heading(self.tr("Assignments")))
        a_layout.addWidget(self.people, 2)
        row = QHBoxLayout()
        row.addWidget(self.items_title, 1)
        row.addWidget(self.include_closed)
        a_layout.addLayout(row)
        a_layout.addWidget(self.items, 3)
        a_layout.addWidget(hint)

        # review queue -------------------------------------------------------------
        self.replies = self._table(
            "supervisor-replies",
            [self.tr("Account"), self.tr("Reply"), self.tr("In reply to"), self.tr("Written by"), self.tr("Waiting")],
        )
        self.replies.setAccessibleName(self.tr("Replies on leaders' accounts awaiting approval"))
        self._fit(self.replies, stretch=(1, 2))
        self.approve_button = QPushButton(self.tr("Approve"), self)
        self.approve_button.setObjectName("supervisor-approve")
        self.approve_button.setToolTip(self.tr("Queue the selected replies for sending"))
        self.approve_button.clicked.connect(lambda: self.approve(self._selected(self.replies)))
        self.reject_button = QPushButton(self.tr("Reject…"), self)
        self.reject_button.setObjectName("supervisor-reject")
        self.reject_button.setToolTip(self.tr("Cancel the selected replies, with a note saying why"))
        self.reject_button.clicked.connect(self.ask_reject)
        self.tags = self._table(
            "supervisor-tags",
            [self.tr("Item"), self.tr("Author"), self.tr("Channel"), self.tr("Team"), self.tr("Suggested"),
             self.tr("Why")],
        )  # fmt: skip
        self.tags.setAccessibleName(self.tr("Promote and Protect suggestions to confirm"))
        self._fit(self.tags, stretch=(0, 5))
        self.tags.doubleClicked.connect(lambda index: self._open_tag_row(index.row()))
        self.confirm_button = QPushButton(self.tr("Confirm"), self)
        self.confirm_button.setObjectName("supervisor-confirm")
        self.confirm_button.setToolTip(self.tr("Record the suggestion as the team's judgement"))
        self.confirm_button.clicked.connect(lambda: self.judge(self._selected(self.tags), confirm=True))
        self.override_button = QPushButton(self.tr("Override"), self)
        self.override_button.setObjectName("supervisor-override")
        self.override_button.setToolTip(self.tr("Record the other judgement than the one suggested"))
        self.override_button.clicked.connect(lambda: self.judge(self._selected(self.tags), confirm=False))
        review = QWidget(self)
        r_layout = QVBoxLayout(review)
        self.replies_box = QGroupBox(self.tr("Replies awaiting approval"), review)
        box = QVBoxLayout(self.replies_box)
        box.addWidget(self.replies)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        box.addLayout(buttons)
        self.tags_box = QGroupBox(self.tr("Tags to confirm"), review)
        box = QVBoxLayout(self.tags_box)
        box.addWidget(self.tags)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.override_button)
        box.addLayout(buttons)
        r_layout.addWidget(self.replies_box, 1)
        r_layout.addWidget(self.tags_box, 1)

        # charts -------------------------------------------------------------------
        self.volume_chart = StackedBarChart(self.tr("Items per channel and day"), self)
        self.volume_chart.setObjectName("chart-volume")
        self.tags_chart = GroupedBarChart(self.tr("Promote vs Protect per team"), self)
        self.tags_chart.setObjectName("chart-tags")
        self.first_chart = LineChart(self.tr("First response time"), self)
        self.first_chart.setObjectName("chart-first-response")
        self.resolution_chart = LineChart(self.tr("Resolution time"), self)
        self.resolution_chart.setObjectName("chart-resolution")
        self.channel_choice = QComboBox(self)
        self.channel_choice.setObjectName("supervisor-channel")
        self.channel_choice.setAccessibleName(self.tr("Channel of the response time charts"))
        self.channel_choice.addItem(self.tr("All channels"), supervision.ALL_CHANNELS)
        self.channel_choice.currentIndexChanged.connect(lambda _i: self._show_times())
        charts = QWidget(self)
        grid = QGridLayout(charts)
        grid.addWidget(self.volume_chart, 0, 0, 1, 2)
        grid.addWidget(self.tags_chart, 0, 2)
        times_bar = QHBoxLayout()
        times_bar.addWidget(QLabel(self.tr("Response times (median and 90th percentile) for:"), self))
        times_bar.addWidget(self.channel_choice)
        times_bar.addStretch(1)
        grid.addLayout(times_bar, 1, 0, 1, 3)
        grid.addWidget(self.first_chart, 2, 0, 1, 1)
        grid.addWidget(self.resolution_chart, 2, 1, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 2)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(2, 1)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("supervisor-tabs")
        self.tabs.addTab(charts, self.tr("Charts"))
        self.tabs.addTab(review, self.tr("Review queue"))
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.addWidget(assignments)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)
        self.split.setSizes([720, 1180])
        layout = QVBoxLayout(self)
        layout.addWidget(self.split)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_EVERY_MS)
        self._timer.timeout.connect(lambda: self.refresh(charts=False))
        self._chart_timer = QTimer(self)  # the charts read the whole window: not more often than this
        self._chart_timer.setSingleShot(True)
        self._chart_timer.setInterval(CHARTS_EVERY_MS)
        self._chart_timer.timeout.connect(
            lambda: self._read(
                "charts",
                lambda conn: supervision.chart_series(conn, self.now_ms(), utc_offset_ms=self.utc_offset_ms),
                self._show_charts,
            )
        )
        runner.changed.connect(self._on_changes)
        self.refresh()

    def _heading(self, text: str) -> QLabel:
        label = QLabel(text, self)
        font = label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        label.setFont(font)
        return label

    def _table(self, name: str, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    @staticmethod
    def _fit(table: QTableWidget, stretch: tuple[int, ...]) -> None:
        """Texts in the ``stretch`` columns share the room; the others fit their contents."""
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(table.columnCount()):
            mode = QHeaderView.ResizeMode.Stretch if column in stretch else QHeaderView.ResizeMode.ResizeToContents
            header.setSectionResizeMode(column, mode)

    # ------------------------------------------------------------------ reading

    def refresh(self, *, charts: bool = True) -> None:
        """Read the people's counts and the review queue again, and the charts with ``charts``."""
        now, offset = self.now_ms(), self.utc_offset_ms
        self._read("workload", lambda conn: supervision.workload(conn, now), self._show_people)
        self._read("review", lambda conn: supervision.review_queue(conn, now), self._show_review)
        if charts:
            self._read(
                "charts", lambda conn: supervision.chart_series(conn, now, utc_offset_ms=offset), self._show_charts
            )

    def _read(self, what: str, fn: Callable[[sqlite3.Connection], Any], show: Callable[[Any], None]) -> None:
        """One read at a time of each kind; asked again meanwhile, it runs once more later."""
        if what in self._busy:
            (self._chart_timer if what == "charts" else self._timer).start()
            return
        self._busy.add(what)

        def done(value: Any) -> None:
            self._busy.discard(what)
            show(value)

        def failed(_error: TaskError) -> None:
            self._busy.discard(what)

        self.runner.read(fn, done=done, failed=self._failed(failed), owner=self, label=f"supervision.{what}")

    def _failed(self, then: Callable[[TaskError], None] | None = None) -> Callable[[TaskError], None]:
        def failed(error: TaskError) -> None:
            if then is not None:
                then(error)
            self.message.emit(error.message)

        return failed

    def _on_changes(self, changes: Changes) -> None:
        if (
            changes.touches("items", "conversations", "tags", "outbox", "triage_suggestions", "users")
            and not self._timer.isActive()
        ):
            self._timer.start()
        if changes.touches("items", "conversations", "tags") and not self._chart_timer.isActive():
            self._chart_timer.start()

    # ------------------------------------------------------------------ assignments

    def _show_people(self, rows: list[Workload]) -> None:
        chosen = self._chosen
        blocked = self.people.selectionModel().blockSignals(True)
        self.people_model.set_rows(rows)
        self.people.expandAll()
        if chosen is not None:
            kind, key = chosen
            index = (
                self.people_model.index_of_user(int(key))
                if kind == "user"
                else self.people_model.index_of_team(str(key))
            )
            if index.isValid():
                self.people.setCurrentIndex(index)
        self.people.selectionModel().blockSignals(blocked)

    def choose_person(self, user_id: int) -> None:
        index = self.people_model.index_of_user(user_id)
        if index.isValid():
            self.people.setCurrentIndex(index)

    def choose_team(self, team: str) -> None:
        index = self.people_model.index_of_team(team)
        if index.isValid():
            self.people.setCurrentIndex(index)

    def _person_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        user_id = self.people_model.user_id(current)
        team = self.people_model.team(current)
        if user_id is not None:
            self._chosen = ("user", user_id)
        elif team is not None:
            self._chosen = ("team", team)
        else:
            return
        self._show_chosen()

    def item_filter(self) -> ListFilter | None:
        if self._chosen is None:
            return None
        kind, key = self._chosen
        if kind == "user":
            statuses: tuple[str, ...] = () if self.include_closed.isChecked() else OPEN_STATUSES
            return ListFilter(assignee_id=int(key), statuses=statuses)
        return queue_filter(QueueKind.UNASSIGNED, team=Team(str(key)) if key else None)

    def _show_chosen(self) -> None:
        flt = self.item_filter()
        if flt is None or self._chosen is None:
            return
        kind, key = self._chosen
        if kind == "user":
            name = next((w.name for w in self.people_model.rows if w.user_id == key), "")
            self.items_title.setText(self.tr("Items of %1").replace("%1", name))
        else:
            team_name = fmt.team_name(str(key)) if key else self.tr("every team")
            self.items_title.setText(self.tr("Unassigned items of %1").replace("%1", team_name))
        source = FilterSource(flt)
        if source != self.items_model.source:
            self.items_model.set_source(source)

    def selected_item_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.items.selectionModel().selectedRows()})
        if not rows and self.items.currentIndex().isValid():
            rows = [self.items.currentIndex().row()]
        return self.items_model.item_ids(rows)

    def reassign(self, item_ids: list[int], user_id: int | None) -> None:
        """Give the items' conversations to ``user_id`` (``None``: unassigned)."""
        if not item_ids:
            self.message.emit(self.tr("Nothing is selected"))
            return
        user = self.user
        name = next((w.name for w in self.people_model.rows if w.user_id == user_id), "")

        def done(changed: int) -> None:
            text = (
                self.tr("%1 conversations reassigned to %2").replace("%2", name)
                if user_id is not None
                else self.tr("%1 conversations unassigned")
            )
            self.message.emit(text.replace("%1", str(changed)))
            self.items_model.reload()
            self.refresh()

        self.runner.write(
            lambda cache: usecases.reassign(cache, user, item_ids, user_id),
            done=done,
            failed=self._failed(),
            owner=self,
            label="reassign",
        )

    def reassign_menu(self, item_ids: list[int]) -> QMenu:
        """The context menu of the items: "Reassign to…" each person, or nobody."""
        menu = QMenu(self)
        menu.setObjectName("supervisor-items-menu")
        sub = menu.addMenu(self.tr("Reassign to…"))
        sub.setObjectName("supervisor-reassign-menu")
        for w in self.people_model.rows:
            label = f"{w.name}  ({fmt.team_name(w.team) if w.team else self.tr('no team')}, {w.open})"
            sub.addAction(label).triggered.connect(lambda _c=False, uid=w.user_id: self.reassign(item_ids, uid))
        sub.addSeparator()
        sub.addAction(self.tr("Nobody (unassigned)")).triggered.connect(lambda _c=False: self.reassign(item_ids, None))
        if len(item_ids) == 1:
            menu.addAction(self.tr("Open in the inbox")).triggered.connect(
                lambda _c=False: self.open_item.emit(item_ids[0])
            )
        self.menu = menu
        return menu

    def _items_menu(self, pos: QPoint) -> None:
        ids = self.selected_item_ids()
        if ids:
            self.reassign_menu(ids).popup(self.items.viewport().mapToGlobal(pos))

    # ------------------------------------------------------------------ review queue

    def _show_review(self, review: ReviewQueue) -> None:
        self.review = review
        now = self.now_ms()
        self.replies.setRowCount(len(review.replies))
        for row, r in enumerate(review.replies):
            cells = [
                r.account_name,
                r.body,
                f"{r.original_author}: {r.original_text}" if r.original_author else r.original_text,
                r.created_by,
                fmt.age(r.created_at, now),
            ]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(" ".join(text.split()))
                cell.setToolTip(plain_tip(text))
                cell.setData(Qt.ItemDataRole.UserRole, r.outbox_id)
                self.replies.setItem(row, column, cell)
        self.replies_box.setTitle(self.tr("Replies awaiting approval (%1)").replace("%1", str(len(review.replies))))
        self.tags.setRowCount(len(review.tags))
        for row, t in enumerate(review.tags):
            cells = [
                t.text,
                t.author,
                fmt.channel_name(t.channel),
                fmt.team_name(t.team),
                f"{fmt.tag_name(t.value)} ({t.score})",
                t.reason,
            ]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(" ".join(text.split()))
                cell.setToolTip(plain_tip(text))
                cell.setData(Qt.ItemDataRole.UserRole, t.item_id)
                self.tags.setItem(row, column, cell)
        self.tags_box.setTitle(self.tr("Tags to confirm (%1)").replace("%1", str(len(review.tags))))

    def _selected(self, table: QTableWidget) -> list[int]:
        rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
        if not rows and table.currentRow() >= 0:
            rows = [table.currentRow()]
        cells = [table.item(r, 0) for r in rows]
        return [int(cell.data(Qt.ItemDataRole.UserRole)) for cell in cells if cell is not None]

    def select_reply(self, outbox_id: int) -> bool:
        for row in range(self.replies.rowCount()):
            cell = self.replies.item(row, 0)
            if cell is not None and cell.data(Qt.ItemDataRole.UserRole) == outbox_id:
                self.replies.selectRow(row)
                return True
        return False

    def approve(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            self.message.emit(self.tr("Choose a reply to approve"))
            return
        user = self.user

        def run(cache: Any) -> int:
            for oid in outbox_ids:
                usecases.approve_reply(cache, user, oid)
            return len(outbox_ids)

        self.runner.write(
            run,
            done=lambda n: self.message.emit(
                self.tr("%1 replies approved and queued for sending").replace("%1", str(n))
            ),
            failed=self._failed(),
            owner=self,
            label="approve",
        )

    def ask_reject(self) -> None:
        ids = self._selected(self.replies)
        if not ids:
            self.message.emit(self.tr("Choose a reply to reject"))
            return
        reason, ok = QInputDialog.getText(
            self, self.tr("Reject the reply"), self.tr("Why (the writer sees this note):")
        )
        if ok:
            self.reject(ids, reason)

    def reject(self, outbox_ids: list[int], reason: str) -> None:
        user = self.user

        def run(cache: Any) -> int:
            for oid in outbox_ids:
                usecases.reject_reply(cache, user, oid, reason)
            return len(outbox_ids)

        self.runner.write(
            run,
            done=lambda n: self.message.emit(self.tr("%1 replies rejected").replace("%1", str(n))),
            failed=self._failed(),
            owner=self,
            label="reject",
        )

    def judge(self, item_ids: list[int], *, confirm: bool) -> None:
        """Record each suggestion (``confirm``) or the other value as the team's judgement."""
        if not item_ids or self.review is None:
            self.message.emit(self.tr("Choose a suggestion"))
            return
        chosen = [t for t in self.review.tags if t.item_id in set(item_ids)]
        user = self.user

        def run(cache: Any) -> int:
            for t in chosen:
                value = TagValue(t.value)
                if not confirm:
                    value = TagValue.PROTECT if value is TagValue.PROMOTE else TagValue.PROMOTE
                usecases.tag(cache, user, [t.item_id], Team(t.team), value, toggle=False)
            return len(chosen)

        said = self.tr("%1 suggestions confirmed") if confirm else self.tr("%1 suggestions overridden")
        self.runner.write(
            run, done=lambda n: self.message.emit(said.replace("%1", str(n))), failed=self._failed(), owner=self,
            label="judge",
        )  # fmt: skip

    def _open_tag_row(self, row: int) -> None:
        cell = self.tags.item(row, 0)
        if cell is not None:
            self.open_item.emit(int(cell.data(Qt.ItemDataRole.UserRole)))

    # ------------------------------------------------------------------ charts

    def _show_charts(self, data: ChartSeries) -> None:
        self.data = data
        days = [day_label(d) for d in data.volume.days]
        self.volume_chart.set_data(
            days,
            [
                Series(fmt.channel_name(ch), tuple(float(v) for v in data.volume.counts[ch]))
                for ch in data.volume.channels
            ],
            x_label=self.tr("Day"),
            y_label=self.tr("Items"),
        )
        teams = [t.value for t in Team]
        self.tags_chart.set_data(
            [fmt.team_name(t) for t in teams],
            [
                Series(
                    fmt.tag_name("promote"), tuple(float(data.tags.promote.get(t, 0)) for t in teams), PROMOTE_COLOR
                ),
                Series(
                    fmt.tag_name("protect"), tuple(float(data.tags.protect.get(t, 0)) for t in teams), PROTECT_COLOR
                ),
            ],
            x_label=self.tr("Team"),
            y_label=self.tr("Items tagged"),
        )
        current = self.channel_choice.currentData()
        blocked = self.channel_choice.blockSignals(True)
        self.channel_choice.clear()
        self.channel_choice.addItem(self.tr("All channels"), supervision.ALL_CHANNELS)
        for ch in data.times.channels:
            self.channel_choice.addItem(fmt.channel_name(ch), ch)
        found = self.channel_choice.findData(current)
        self.channel_choice.setCurrentIndex(max(found, 0))
        self.channel_choice.blockSignals(blocked)
        self._show_times()

    def _show_times(self) -> None:
        if self.data is None:
            return
        times = self.data.times
        channel = self.channel_choice.currentData() or supervision.ALL_CHANNELS
        days = [day_label(d) for d in times.days]
        for chart, values in (
            (self.first_chart, times.first_response.get(channel, [])),
            (self.resolution_chart, times.resolution.get(channel, [])),
        ):
            chart.set_data(
                days,
                [
                    Series(self.tr("Median"), _ms(values, "median_ms"), "#0072B2"),
                    Series(self.tr("90th percentile"), _ms(values, "p90_ms"), "#E69F00", dashed=True),
                ],
                x_label=self.tr("Day the conversation started"),
                y_label=self.tr("Time"),
                format_value=lambda v: fmt.duration(int(v)),
                steps=DURATION_STEPS_MS,
            )


def _ms(values: list[Timing], name: str) -> tuple[float | None, ...]:
    return tuple(None if (v := getattr(t, name)) is None else float(v) for t in values)


def show_supervisor(window: Any) -> SupervisorPage | None:
    """Open (or raise) the supervisor's view of a main window in a window of its own, so it can
    sit beside the inbox (on a second screen). Others get a message saying why not."""
    if not usecases.is_supervisor(window.user):
        window.say(QCoreApplication.translate("SupervisorPage", "The supervisor's view is for supervisors and admins"))
        return None
    page = getattr(window, "supervisor_page", None)
    if not isinstance(page, SupervisorPage):
        page = SupervisorPage(window.runner, window.user, window)
        page.setWindowFlag(Qt.WindowType.Window, True)
        page.resize(1600, 960)
        page.message.connect(window.say)
        page.open_item.connect(window.open_item)
        window.supervisor_page = page
    else:
        page.refresh()
    page.show()
    page.raise_()
    page.activateWindow()
    return page
