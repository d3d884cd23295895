"""The issue radar page: the field's three counts, the issues (must-answer first, with their level
badge, reason, deadline and owner), the selected issue in detail (its three measures, its items,
its statements) and what people do to issues (owner, title, deadline, close/reopen, merge, split,
move or detach items, the brief, key opinion leaders, one statement for every channel). j/k move
in the list while the page shows (:meth:`RadarPage.step`).

Reads are :mod:`omniinbox.triage.radar` (and :func:`omniinbox.store.views.list_rows` for the items)
on the reader pool; writes are :mod:`omniinbox.triage.actions` and :mod:`omniinbox.triage.kol` on
the writer thread. The page follows the change feed: the list and the detail are read again when
issues, statements or the outbox change (at once when shown, else when next shown).

Notifications: when an issue becomes must-answer while the window is open (a new notification of
the radar), the people the notification is for (supervisors, by its role) get a status bar message
and a banner at the top of the page, which can show the issue and acknowledge the notification.

Signals (of :class:`RadarPage`):
    open_item(int): show an item in the conversation pane.
    message(str): a status bar message.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDateTime,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from omniinbox.core import Role, User
from omniinbox.store import issues as issue_store
from omniinbox.store import views
from omniinbox.store.cache import Cache
from omniinbox.store.views import ListRow
from omniinbox.triage import radar
from omniinbox.triage.radar import IssueDetail, IssueSummary
from omniinbox.ui import format as fmt
from omniinbox.ui.format import QT_TRANSLATE_NOOP
from omniinbox.ui.models.records import Column, RecordTableModel
from omniinbox.ui.tasks import Changes, TaskRunner
from omniinbox.usecases import UseCaseRefused

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

DAY_MS = 86_400_000
ITEMS_SHOWN = 200
REFRESH_DELAY_MS = 300
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
LEVEL_COLORS = {0: "#9e9e9e", 1: "#f9a825", 2: "#ef6c00", 3: "#c62828"}
OVERDUE_COLOR = "#d32f2f"
RADAR_KINDS = ("issues", "issue_notifications", "issue_statements", "statement_replies", "kol_registry", "users")
DETAIL_KINDS = (*RADAR_KINDS, "outbox", "tags", "contacts")


def tr(text: str) -> str:
    return QCoreApplication.translate("RadarPage", text)


def refusals(fn: Callable[[Cache], T]) -> Callable[[Cache], T]:
    """A write whose triage refusals (``IssueRefused``, ``KolRefused``, ``StatementRefused``...)
    reach people as refusals with their message, like the use cases'."""
    from omniinbox.triage.actions import IssueRefused
    from omniinbox.triage.brief import BriefRefused
    from omniinbox.triage.kol import KolRefused
    from omniinbox.triage.settings import SettingsRefused
    from omniinbox.triage.statement import StatementRefused

    def run(cache: Cache) -> T:
        try:
            return fn(cache)
        except (IssueRefused, KolRefused, StatementRefused, BriefRefused, SettingsRefused) as exc:
            raise UseCaseRefused(str(exc)) from None

    return run


def level_color(level: int) -> QColor:
    return QColor(LEVEL_COLORS.get(level, LEVEL_COLORS[0]))


def may_see(user: User, notification: issue_store.NotificationRow) -> bool:
    """Whether ``user`` is who a radar notification is for (``supervisor``: supervisors and
    administrators; another role: that role and administrators)."""
    if notification.role in ("", "all", "everyone"):
        return True
    if notification.role == Role.SUPERVISOR.value:
        return user.role in SUPERVISORS
    return user.role.value == notification.role or user.role is Role.ADMIN


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def deadline_text(issue: IssueSummary, now_ms: int) -> str:
    """``due in 42m (14:05)``, ``overdue by 12m``, ``answered 13:10``; empty when not must-answer."""
    if not issue.must_answer:
        return ""
    if issue.answered is not None:
        return tr("answered %1").replace("%1", fmt.when(issue.answered))
    due = _ms(issue.deadline)
    if due is None:
        return tr("must answer")
    if due < now_ms:
        return tr("overdue by %1").replace("%1", fmt.duration(now_ms - due))
    return tr("due in %1 (%2)").replace("%1", fmt.duration(due - now_ms)).replace("%2", fmt.when(issue.deadline))


def channels_text(channels: Sequence[str]) -> str:
    return ", ".join(fmt.channel_name(c) for c in channels)


# ---------------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class RadarSnapshot:
    counts: dict[str, int]
    issues: list[IssueSummary]


def read_radar(conn: sqlite3.Connection, *, since_ms: int | None, include_closed: bool, now_ms: int) -> RadarSnapshot:
    return RadarSnapshot(
        radar.counts(conn, active_since_ms=since_ms),
        radar.open_issues(conn, active_since_ms=since_ms, include_closed=include_closed, now_ms=now_ms),
    )


@dataclass(frozen=True, slots=True)
class DetailSnapshot:
    detail: IssueDetail
    items: list[ListRow]  # the newest ITEMS_SHOWN
    accounts: dict[int, issue_store.AccountFacts]


def read_detail(conn: sqlite3.Connection, issue_id: int, *, now_ms: int) -> DetailSnapshot | None:
    detail = radar.issue(conn, issue_id, now_ms=now_ms)
    if detail is None:
        return None
    ids = radar.issue_item_ids(conn, detail.summary.id, limit=ITEMS_SHOWN)
    return DetailSnapshot(detail, views.list_rows(conn, ids), issue_store.account_facts(conn))


# ---------------------------------------------------------------------------------- the list


class IssueColumn(enum.IntEnum):
    LEVEL = 0
    TITLE = 1
    REASON = 2
    DEADLINE = 3
    OWNER = 4
    CHANNELS = 5
    ITEMS = 6
    AUTHORS = 7
    KOLS = 8


class IssueListModel(QAbstractTableModel):
    """The radar's issues, in the order read (must-answer first). Roles besides display and tool
    tip: :attr:`IssueRole` (the :class:`IssueSummary`), :attr:`LevelRole` (int)."""

    IssueRole = Qt.ItemDataRole.UserRole + 1
    LevelRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._issues: list[IssueSummary] = []
        self.now_ms = fmt.now_ms()
        self._headers = {
            IssueColumn.LEVEL: tr("Level"),
            IssueColumn.TITLE: tr("Issue"),
            IssueColumn.REASON: tr("Why this level"),
            IssueColumn.DEADLINE: tr("Must answer"),
            IssueColumn.OWNER: tr("Owner"),
            IssueColumn.CHANNELS: tr("Channels"),
            IssueColumn.ITEMS: tr("Items"),
            IssueColumn.AUTHORS: tr("Authors"),
            IssueColumn.KOLS: tr("KOLs"),
        }

    def set_issues(self, issues: Sequence[IssueSummary], now_ms: int) -> None:
        self.beginResetModel()
        self._issues = list(issues)
        self.now_ms = now_ms
        self.endResetModel()

    def issues(self) -> list[IssueSummary]:
        return list(self._issues)

    def issue(self, row: int) -> IssueSummary | None:
        return self._issues[row] if 0 <= row < len(self._issues) else None

    def row_of(self, issue_id: int) -> int | None:
        return next((n for n, i in enumerate(self._issues) if i.id == issue_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._issues)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(IssueColumn)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers.get(IssueColumn(section)) if 0 <= section < len(IssueColumn) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._issues) or index.column() >= len(IssueColumn):
            return None
        issue = self._issues[index.row()]
        column = IssueColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(issue, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (IssueColumn.TITLE, IssueColumn.REASON):
                return f"#{issue.id} {issue.title}\n{issue.reason}"
            if column is IssueColumn.DEADLINE and issue.deadline is not None:
                return tr("Deadline: %1").replace("%1", fmt.when(issue.deadline))
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column is IssueColumn.DEADLINE and issue.overdue:
                return QBrush(QColor(OVERDUE_COLOR))
            if issue.status == "closed":
                return QBrush(QColor("#808080"))
            return None
        if role == Qt.ItemDataRole.FontRole and column in (IssueColumn.TITLE, IssueColumn.DEADLINE):
            if column is IssueColumn.TITLE or issue.overdue:
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= IssueColumn.ITEMS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.IssueRole:
            return issue
        if role == self.LevelRole:
            return issue.level
        return None

    def _text(self, issue: IssueSummary, column: IssueColumn) -> str:
        if column is IssueColumn.LEVEL:
            return str(issue.level)
        if column is IssueColumn.TITLE:
            title = issue.title or tr("Issue #%1").replace("%1", str(issue.id))
            return f"{title}  ({tr('closed')})" if issue.status == "closed" else title
        if column is IssueColumn.REASON:
            return issue.reason
        if column is IssueColumn.DEADLINE:
            return deadline_text(issue, self.now_ms)
        if column is IssueColumn.OWNER:
            return issue.owner or (tr("nobody yet") if issue.must_answer and issue.answered is None else "")
        if column is IssueColumn.CHANNELS:
            return channels_text(issue.channels)
        if column is IssueColumn.ITEMS:
            return fmt.count(issue.counted_items)
        if column is IssueColumn.AUTHORS:
            return fmt.count(issue.authors)
        return fmt.count(issue.kols) if issue.kols else ""


def paint_badge(painter: QPainter, rect: QRect, level: int, must_answer: bool = False) -> None:
    """A level badge: a rounded square in the level's colour with the level's number."""
    side = min(rect.height() - 6, 22)
    box = QRect(rect.x() + (rect.width() - side) // 2, rect.y() + (rect.height() - side) // 2, side, side)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(level_color(level))
    painter.drawRoundedRect(box, 5, 5)
    if must_answer:
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(box.right() - 6, box.top() + 1, 5, 5)
    font = painter.font()
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, str(level))
    painter.restore()


class LevelDelegate(QStyledItemDelegate):
    """Paints the level column as a badge."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(style.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        issue = index.data(IssueListModel.IssueRole)
        if isinstance(issue, IssueSummary):
            paint_badge(painter, option.rect, issue.level, issue.must_answer and issue.answered is None)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(44, 28)


class LevelBadge(QWidget):
    """The level badge as a widget (the detail's header)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = 0
        self.must_answer = False
        self.setFixedSize(30, 30)

    def set_level(self, level: int, must_answer: bool) -> None:
        self.level, self.must_answer = level, must_answer
        self.setToolTip(tr("Level %1").replace("%1", str(level)))
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_badge(painter, self.rect(), self.level, self.must_answer)
        painter.end()


class Sparkline(QWidget):
    """Counted items per hour over the last 24 hours, as bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hours: tuple[int, ...] = ()
        self.color = level_color(1)
        self.setMinimumSize(160, 34)
        self.setMaximumHeight(40)

    def set_hours(self, hours: Sequence[int], level: int) -> None:
        self.hours = tuple(hours)
        self.color = level_color(level)
        peak = max(self.hours, default=0)
        self.setToolTip(
            tr("Items per hour over the last 24 hours (peak %1)").replace("%1", str(peak)) if self.hours else ""
        )
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(1, 2, -1, -2)
        painter.setPen(self.palette().mid().color())
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        peak = max(self.hours, default=0)
        if peak > 0:
            width = rect.width() / len(self.hours)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.color)
            for n, value in enumerate(self.hours):
                height = max(1.0, rect.height() * value / peak) if value else 0.0
                x = rect.left() + n * width
                painter.drawRect(int(x + 1), int(rect.bottom() - height), max(int(width) - 2, 1), int(height))
        painter.end()


# ---------------------------------------------------------------------------------- the counts


class CountCard(QFrame):
    """One of the field's counts: a large number and what it counts."""

    def __init__(self, name: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.number = QLabel("–", self)
        self.number.setObjectName("count")
        font = self.number.font()
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.number.setFont(font)
        self.caption = QLabel(caption, self)
        self.detail = QLabel(self)
        self.detail.setObjectName("count-detail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(0)
        layout.addWidget(self.number)
        layout.addWidget(self.caption)
        layout.addWidget(self.detail)

    def set(self, number: str, detail: str = "") -> None:
        self.number.setText(number)
        self.detail.setText(detail)


class NoticeBanner(QFrame):
    """A non-modal notice at the top of the radar: an issue became must-answer. Signals:
    ``show_issue(int)``, ``acknowledge(int)`` (a notification id)."""

    show_issue = Signal(object)
    acknowledge = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("radar-banner")
        self.setStyleSheet(
            "#radar-banner { background: #fdecea; border: 1px solid #c62828; border-radius: 4px; }"
            " #radar-banner QLabel { color: #5f1212; }"
        )
        self.notifications: list[issue_store.NotificationRow] = []
        self.text = QLabel(self)
        self.text.setObjectName("banner-text")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.show_button = QPushButton(tr("Show the issue"), self)
        self.show_button.setObjectName("banner-show")
        self.show_button.clicked.connect(self._show)
        self.ack_button = QPushButton(tr("Acknowledge"), self)
        self.ack_button.setObjectName("banner-acknowledge")
        self.ack_button.setToolTip(tr("Tell the other supervisors you have seen it"))
        self.ack_button.clicked.connect(self._acknowledge)
        close = QToolButton(self)
        close.setObjectName("banner-close")
        close.setText("×")
        close.setToolTip(tr("Hide this notice"))
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.show_button)
        layout.addWidget(self.ack_button)
        layout.addWidget(close)
        self.hide()

    def add(self, notification: issue_store.NotificationRow, can_acknowledge: bool) -> None:
        self.notifications = [n for n in self.notifications if n.id != notification.id] + [notification]
        more = len(self.notifications) - 1
        text = tr("Must answer: %1").replace("%1", notification.message)
        if more:
            text += "  " + tr("(and %1 more)").replace("%1", str(more))
        self.text.setText(text)
        self.ack_button.setVisible(can_acknowledge)
        self.show()

    def current(self) -> issue_store.NotificationRow | None:
        return self.notifications[-1] if self.notifications else None

    def dismiss(self) -> None:
        if self.notifications:
            self.notifications.pop()
        if self.notifications:
            self.add(self.notifications.pop(), self.ack_button.isVisibleTo(self))
        else:
            self.hide()

    def _show(self) -> None:
        current = self.current()
        if current is not None:
            self.show_issue.emit(current.issue_id)

    def _acknowledge(self) -> None:
        current = self.current()
        if current is not None:
            self.acknowledge.emit(current.id)
            self.dismiss()


# ---------------------------------------------------------------------------------- the detail


def _plain(parent: QWidget, name: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)  # names and messages are untrusted
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


class MeasureBox(QGroupBox):
    """One measure: facts in a form, then the measure's explanation in words."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setObjectName(name)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.explanation = _plain(self, f"{name}-explanation")
        self.explanation.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.explanation)
        layout.addStretch(1)
        self.fields: dict[str, QLabel] = {}

    def field(self, key: str, caption: str) -> QLabel:
        label = _plain(self, f"{self.objectName()}-{key}")
        self.form.addRow(caption, label)
        self.fields[key] = label
        return label

    def set(self, key: str, text: str) -> None:
        self.fields[key].setText(text)


def _item_columns() -> list[Column[ListRow]]:
    return [
        Column(tr("Channel"), lambda r: fmt.channel_name(r.channel)),
        Column(
            tr("Author"),
            lambda r: (r.author or r.handle) + ("  ★" if r.is_kol else ""),
            lambda r: (
                f"{r.author} {r.handle}".strip()
                + (f"\n{tr('Key opinion leader')}" if r.is_kol else "")
                + (f"\n{tr('%1 followers').replace('%1', fmt.count(r.followers))}" if r.followers else "")
            ),
        ),
        Column(tr("Message"), lambda r: r.excerpt, lambda r: r.excerpt),
        Column(
            tr("Account"),
            lambda r: r.account_name + (f" ({tr('leader')})" if r.is_leader_account else ""),
        ),
        Column(tr("When"), lambda r: fmt.age(r.created_at, fmt.now_ms())),
    ]


class IssueDetailView(QWidget):
    """The selected issue: header (badge, title, reason, deadline, owner), the three measures, the
    items (double click opens one), the statements. Signals: ``open_item(int)``."""

    open_item = Signal(object)  # item ids are 64-bit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("issue-detail")
        self.snapshot: DetailSnapshot | None = None
        self.badge = LevelBadge(self)
        self.title = _plain(self, "issue-title")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        self.reason = _plain(self, "issue-reason")
        self.state = _plain(self, "issue-state")
        self.spark = Sparkline(self)
        head = QGridLayout()
        head.addWidget(self.badge, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 0, 1)
        head.addWidget(self.spark, 0, 2, 2, 1)
        head.addWidget(self.reason, 1, 1)
        head.addWidget(self.state, 2, 1, 1, 2)
        head.setColumnMinimumWidth(2, 200)
        head.setColumnStretch(1, 1)

        self.content = MeasureBox(tr("Content"), "measure-content", self)
        self.content.field("terms", tr("Key terms:"))
        self.content.field("representative", tr("Representative item:"))
        self.content.field("balance", tr("Promote/Protect:"))
        self.context = MeasureBox(tr("Context"), "measure-context", self)
        self.context.field("channels", tr("Channels:"))
        self.context.field("accounts", tr("Accounts:"))
        self.context.field("leaders", tr("Leaders' accounts:"))
        self.context.field("first_seen", tr("First seen:"))
        self.context.field("origin", tr("Started from:"))
        self.public = MeasureBox(tr("Public interest"), "measure-public", self)
        self.public.field("authors", tr("Distinct authors:"))
        self.public.field("kols", tr("Key opinion leaders:"))
        self.public.field("engagement", tr("Engagement:"))
        self.public.field("velocity", tr("Velocity:"))
        self.public.field("spread", tr("Spread:"))
        self.representative_button = QPushButton(tr("Open"), self)
        self.representative_button.setObjectName("open-representative")
        self.representative_button.clicked.connect(lambda: self._open_measure("representative"))
        self.content.form.addRow("", self.representative_button)
        self.origin_button = QPushButton(tr("Open"), self)
        self.origin_button.setObjectName("open-origin")
        self.origin_button.clicked.connect(lambda: self._open_measure("started_from"))
        self.context.form.addRow("", self.origin_button)
        measures = QHBoxLayout()
        for box in (self.content, self.context, self.public):
            measures.addWidget(box, 1)

        self.items_label = QLabel(self)
        self.items_label.setObjectName("issue-items-label")
        self.items_model: RecordTableModel[ListRow] = RecordTableModel(_item_columns(), self)
        self.items = QTableView(self)
        self.items.setObjectName("issue-items")
        self.items.setModel(self.items_model)
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.items.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items.setAlternatingRowColors(True)
        self.items.setWordWrap(False)
        self.items.verticalHeader().hide()
        self.items.setMinimumHeight(160)
        header = self.items.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 80)
        header.resizeSection(1, 170)
        header.resizeSection(3, 150)
        self.items.doubleClicked.connect(self._item_activated)
        self.statements = _plain(self, "issue-statements")

        why = QWidget(self)
        why.setLayout(measures)
        items_page = QWidget(self)
        items_layout = QVBoxLayout(items_page)
        items_layout.addWidget(self.items_label)
        items_layout.addWidget(self.items, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("issue-tabs")
        self.tabs.addTab(why, tr("Why: the three measures"))
        self.tabs.addTab(items_page, tr("Items"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(head)
        layout.addWidget(self.statements)
        layout.addWidget(self.tabs, 1)
        self.clear()

    def clear(self) -> None:
        self.snapshot = None
        self.badge.set_level(0, False)
        self.title.setText(tr("Choose an issue to see why it is on the radar."))
        for label in (self.reason, self.state, self.items_label, self.statements):
            label.clear()
        for box in (self.content, self.context, self.public):
            box.explanation.clear()
            for label in box.fields.values():
                label.clear()
        self.spark.set_hours((), 0)
        self.items_model.set_records([])
        self.representative_button.setEnabled(False)
        self.origin_button.setEnabled(False)

    def show_snapshot(self, snap: DetailSnapshot, now_ms: int) -> None:
        self.snapshot = snap
        s, m = snap.detail.summary, snap.detail.measures
        self.badge.set_level(s.level, s.must_answer and s.answered is None)
        self.title.setText(f"#{s.id}  {s.title}")
        self.reason.setText(s.reason)
        parts = [tr("closed") if s.status == "closed" else tr("open")]
        if s.must_answer:
            parts.append(deadline_text(s, now_ms))
        parts.append(tr("owner: %1").replace("%1", s.owner or tr("nobody yet")))
        self.state.setText(" · ".join(p for p in parts if p))
        self.state.setStyleSheet(f"color: {OVERDUE_COLOR}; font-weight: bold;" if s.overdue else "")
        self.spark.set_hours(s.hourly, s.level)

        # content
        terms = m.get("key_terms") or []
        self.content.set("terms", ", ".join(f"{t} ({n})" for t, n in terms) or "–")
        self.content.set("representative", m.get("representative_excerpt") or "–")
        balance = m.get("balance") or {}

        def lean(team: str) -> str:
            b = balance.get(team) or {}
            return (
                tr("Protect %1 · Promote %2")
                .replace("%1", str(b.get("protect", 0)))
                .replace("%2", str(b.get("promote", 0)))
            )

        self.content.set(
            "balance",
            "\n".join(
                (
                    tr("suggested: %1").replace("%1", lean("suggested")),
                    fmt.team_name("social") + ": " + lean("social"),
                    fmt.team_name("contact_center") + ": " + lean("contact_center"),
                )
            ),
        )
        self.content.explanation.setText(m.get("content", ""))
        self.representative_button.setEnabled(m.get("representative") is not None)

        # context
        channels = m.get("channels") or {}
        self.context.set("channels", ", ".join(f"{fmt.channel_name(c)} {n}" for c, n in channels.items()) or "–")
        accounts = m.get("accounts") or []
        self.context.set(
            "accounts",
            "\n".join(
                f"{a.get('name') or a.get('key')} ({fmt.channel_name(a.get('channel', ''))}): {a.get('items', 0)}"
                + (f" · {tr('leader')}" if a.get("leader") else "")
                for a in accounts[:5]
            )
            + ("\n" + tr("and %1 more").replace("%1", str(len(accounts) - 5)) if len(accounts) > 5 else "")
            or "–",
        )
        self.context.set("leaders", ", ".join(m.get("leader_accounts") or []) or tr("none"))
        self.context.set("first_seen", fmt.when(s.first_seen) or "–")
        self.context.set("origin", m.get("started_excerpt") or "–")
        self.context.explanation.setText(m.get("context", ""))
        self.origin_button.setEnabled(m.get("started_from") is not None)

        # public interest
        self.public.set("authors", fmt.count(s.authors) or "0")
        kols = m.get("kols") or []
        self.public.set(
            "kols",
            "\n".join(
                f"{k.get('name') or k.get('handle')} ({k.get('kind')}, {fmt.channel_name(k.get('channel', ''))})"
                for k in kols[:6]
            )
            or tr("none"),
        )
        self.public.set(
            "engagement",
            tr("%1 likes, shares and replies; %2 views")
            .replace("%1", f"{s.engagement:,}")
            .replace("%2", f"{int(m.get('views', 0)):,}"),
        )
        before = float(m.get("velocity_before", 0.0))
        trend = tr("rising") if s.velocity > before else tr("falling") if s.velocity < before else tr("steady")
        self.public.set(
            "velocity",
            tr("%1 items/hour, %2 (%3 before)")
            .replace("%1", f"{s.velocity:g}")
            .replace("%2", trend)
            .replace("%3", f"{before:g}"),
        )
        window = m.get("window") or {}
        self.public.set(
            "spread",
            tr("%1 channels; busiest stretch: %2 authors on %3 channels")
            .replace("%1", str(len(channels)))
            .replace("%2", str(window.get("authors", 0)))
            .replace("%3", str(window.get("channels", 0))),
        )
        self.public.explanation.setText(m.get("public_interest", ""))

        # items
        self.items_model.set_records(snap.items)
        shown = len(snap.items)
        text = tr("Items: %1").replace("%1", fmt.count(s.items))
        if shown < s.items:
            text += "  " + tr("(the newest %1 shown)").replace("%1", str(shown))
        self.items_label.setText(text + "  —  " + tr("double-click an item to open its conversation"))
        self.tabs.setTabText(1, tr("Items (%1)").replace("%1", fmt.count(s.items)))

        # statements
        statements = [st for st in snap.detail.statements if st.state != "withdrawn"]
        if statements:
            last = statements[-1]
            self.statements.setText(
                tr("Statement for every channel: %1").replace("%1", statement_state_name(last.state))
            )
        else:
            self.statements.setText(
                tr("No statement yet: draft one to answer on every channel at once.") if s.must_answer else ""
            )

    def selected_item_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.items.selectionModel().selectedRows()})
        if not rows and self.items.currentIndex().isValid():
            rows = [self.items.currentIndex().row()]
        return [r.id for r in (self.items_model.record(n) for n in rows) if r is not None]

    def current_item_id(self) -> int | None:
        ids = self.selected_item_ids()
        return ids[0] if ids else None

    def _item_activated(self, index: QModelIndex) -> None:
        row = self.items_model.record(index.row())
        if row is not None:
            self.open_item.emit(row.id)

    def _open_measure(self, key: str) -> None:
        if self.snapshot is None:
            return
        item_id = self.snapshot.detail.measures.get(key)
        if isinstance(item_id, int):
            self.open_item.emit(item_id)


def statement_state_name(state: str) -> str:
    return {
        "draft": tr("draft, waiting for a supervisor's approval"),
        "approved": tr("approved, not sent yet"),
        "fanned_out": tr("sent out to every channel"),
        "withdrawn": tr("withdrawn"),
    }.get(state, state)


class DeadlineDialog(QDialog):
    """Choose a deadline (local time)."""

    def __init__(self, current: datetime | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Deadline"))
        self.edit = QDateTimeEdit(self)
        self.edit.setObjectName("deadline-edit")
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        start = current or datetime.now(UTC)
        self.edit.setDateTime(QDateTime.fromMSecsSinceEpoch(int(start.timestamp() * 1000)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Answer on every channel by:"), self))
        layout.addWidget(self.edit)
        layout.addWidget(buttons)

    def deadline_ms(self) -> int:
        return int(self.edit.dateTime().toMSecsSinceEpoch())


# ---------------------------------------------------------------------------------- the page


ACTIVE_CHOICES: tuple[tuple[float, str], ...] = (
    (1, QT_TRANSLATE_NOOP("RadarPage", "the last 24 hours")),
    (7, QT_TRANSLATE_NOOP("RadarPage", "the last 7 days")),
    (30, QT_TRANSLATE_NOOP("RadarPage", "the last 30 days")),
    (0, QT_TRANSLATE_NOOP("RadarPage", "any time")),
)


class RadarPage(QWidget):
    """See the module docstring. Attributes: ``counts`` (the three :class:`CountCard`), ``model``,
    ``view``, ``detail``, ``banner``, ``seen_notification`` (the newest notification id known)."""

    open_item = Signal(object)  # item ids are 64-bit
    message = Signal(str)

    def __init__(self, runner: TaskRunner, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("radar-page")
        self._runner = runner
        self.user = user
        self._generation = 0
        self._detail_generation = 0
        self._stale = True
        self._wanted_issue: int | None = None
        self.snapshot: RadarSnapshot | None = None
        self.seen_notification: int | None = None  # None until the first read
        self.dialogs: list[QDialog] = []

        title = QLabel(tr("Issue radar"), self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        title.setFont(font)
        self.active = QComboBox(self)
        self.active.setObjectName("radar-active")
        for days, text in ACTIVE_CHOICES:
            self.active.addItem(tr(text), days)
        self.active.setCurrentIndex(1)
        self.active.currentIndexChanged.connect(lambda _i: self.refresh())
        self.closed = QCheckBox(tr("Closed issues too"), self)
        self.closed.setObjectName("radar-closed")
        self.closed.toggled.connect(lambda _on: self.refresh())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel(tr("Active in:"), self))
        top.addWidget(self.active)
        top.addWidget(self.closed)

        self.counts = {
            "issues": CountCard("count-issues", tr("open issues"), self),
            "kols": CountCard("count-kols", tr("key opinion leaders involved"), self),
            "public": CountCard("count-public", tr("items in public-interest issues"), self),
        }
        cards = QHBoxLayout()
        for card in self.counts.values():
            cards.addWidget(card, 1)

        self.banner = NoticeBanner(self)
        self.banner.show_issue.connect(self.show_issue)
        self.banner.acknowledge.connect(self.acknowledge)

        self.model = IssueListModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("issue-list")
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(IssueColumn.LEVEL, LevelDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(30)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        for column, width in (
            (IssueColumn.LEVEL, 44), (IssueColumn.TITLE, 190), (IssueColumn.DEADLINE, 150), (IssueColumn.OWNER, 90),
            (IssueColumn.CHANNELS, 110), (IssueColumn.ITEMS, 50), (IssueColumn.AUTHORS, 58), (IssueColumn.KOLS, 44),
        ):  # fmt: skip
            header.resizeSection(column, width)
        header.setSectionResizeMode(IssueColumn.REASON, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._current_changed(cur))
        self.view.selectionModel().selectionChanged.connect(lambda _a, _b: self._update_actions())
        self.empty = QLabel(self)
        self.empty.setObjectName("radar-empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        self.detail = IssueDetailView(self)
        self.detail.open_item.connect(self.open_item.emit)
        self.detail.items.selectionModel().selectionChanged.connect(lambda _a, _b: self._update_actions())
        self.detail.items.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.detail.items.customContextMenuRequested.connect(self._items_menu)
        self.buttons = self._action_buttons()
        detail_box = QWidget(self)
        detail_layout = QVBoxLayout(detail_box)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addLayout(self.buttons)
        detail_layout.addWidget(self.detail, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(detail_box)

        list_box = QWidget(self)
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(self.view, 1)
        list_layout.addWidget(self.empty)
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.setObjectName("radar-split")
        self.split.addWidget(list_box)
        self.split.addWidget(scroll)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addLayout(cards)
        layout.addWidget(self.banner)
        layout.addWidget(self.split, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self._minute = QTimer(self)  # deadlines count down
        self._minute.setInterval(60_000)
        self._minute.timeout.connect(lambda: self.refresh() if self.isVisible() else None)
        self._minute.start()
        runner.changed.connect(self._on_changes)
        self.check_notifications()
        self._update_actions()

    # ------------------------------------------------------------------ buttons

    def _action_buttons(self) -> QVBoxLayout:
        """Two rows: what people do to the issue, and to the items selected in its detail."""
        rows = QVBoxLayout()
        rows.setContentsMargins(6, 4, 6, 0)
        rows.setSpacing(4)
        row = QHBoxLayout()
        rows.addLayout(row)

        def button(name: str, text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
            b = QPushButton(text, self)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(lambda: slot())
            row.addWidget(b)
            return b

        self.statement_button = button(
            "radar-statement", tr("Draft statement…"), tr("One answer for every channel of a must-answer issue"),
            self.draft_statement,
        )  # fmt: skip
        self.statement_button.setStyleSheet("font-weight: bold;")
        self.owner_button = button("radar-owner", tr("Owner…"), tr("Who answers for the issue"), self.ask_owner)
        self.title_button = button(
            "radar-title", tr("Title…"), tr("Name the issue (empty: the automatic title)"), self.ask_title
        )
        self.deadline_button = button(
            "radar-deadline", tr("Deadline…"), tr("Move the must-answer deadline (supervisors)"), self.ask_deadline
        )
        self.close_button = button("radar-close", tr("Close"), tr("Close or reopen the issue"), self.toggle_closed)
        self.merge_button = button(
            "radar-merge", tr("Merge"), tr("Merge the issues selected in the list"), self.merge_selected
        )
        self.brief_button = button(
            "radar-brief", tr("Export brief…"), tr("The issue brief for leadership, as an HTML file"), self.ask_brief
        )
        row.addStretch(1)
        row = QHBoxLayout()
        rows.addLayout(row)
        row.addWidget(QLabel(tr("Selected items:"), self))
        self.split_button = button(
            "radar-split",
            tr("Split items…"),
            tr("Take the selected items out into a new issue, kept apart from this one"),
            self.ask_split,
        )
        self.move_button = button(
            "radar-move", tr("Move items…"), tr("Move the selected items to another issue"), self.ask_move
        )
        self.detach_button = button(
            "radar-detach", tr("Detach items"), tr("Take the selected items out of any issue"), self.detach_selected
        )
        self.kol_button = button(
            "radar-kol", tr("Key opinion leader…"), tr("Mark or unmark the selected item's author"), self.ask_kol
        )
        row.addStretch(1)
        return rows

    def current_issue(self) -> IssueSummary | None:
        """The issue under the list's cursor, else the one the detail shows (one the list leaves out)."""
        index = self.view.currentIndex()
        if index.isValid():
            return self.model.issue(index.row())
        return self.detail.snapshot.detail.summary if self.detail.snapshot is not None else None

    def selected_issue_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [i.id for i in (self.model.issue(r) for r in rows) if i is not None]

    def _update_actions(self) -> None:
        issue = self.current_issue()
        has = issue is not None
        supervisor = self.user.role in SUPERVISORS
        items = bool(self.detail.selected_item_ids()) and has
        self.statement_button.setEnabled(has and issue is not None and issue.must_answer)
        self.owner_button.setEnabled(has)
        self.title_button.setEnabled(has and issue is not None and issue.status != "merged")
        self.deadline_button.setEnabled(has and issue is not None and issue.must_answer and supervisor)
        self.close_button.setEnabled(has)
        self.close_button.setText(tr("Reopen") if issue is not None and issue.status == "closed" else tr("Close"))
        self.merge_button.setEnabled(len(self.selected_issue_ids()) >= 2)
        self.split_button.setEnabled(items and issue is not None and issue.status == "open")
        self.move_button.setEnabled(items)
        self.detach_button.setEnabled(items)
        self.kol_button.setEnabled(items)
        self.brief_button.setEnabled(has)

    # ------------------------------------------------------------------ reading

    def step(self, rows: int) -> None:
        """Move the list's cursor (and the selection) by ``rows``, as j/k do."""
        count = self.model.rowCount()
        if count == 0:
            return
        current = self.view.currentIndex()
        row = 0 if not current.isValid() else min(max(current.row() + rows, 0), count - 1)
        index = self.model.index(row, IssueColumn.TITLE)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(index)

    def refresh_pending(self) -> bool:
        """Whether a read of the list is due (a change announced, not read yet)."""
        return self._timer.isActive()

    def since_ms(self, now_ms: int) -> int | None:
        days = float(self.active.currentData() or 0)
        return None if days <= 0 else now_ms - int(days * DAY_MS)

    def refresh(self) -> None:
        """Read the counts and the list again (and the selected issue)."""
        self._timer.stop()
        self._stale = False
        self._generation += 1
        generation = self._generation
        now = fmt.now_ms()
        since = self.since_ms(now)
        closed = self.closed.isChecked()

        def read(conn: sqlite3.Connection) -> RadarSnapshot:
            return read_radar(conn, since_ms=since, include_closed=closed, now_ms=now)

        def loaded(snap: RadarSnapshot) -> None:
            if generation == self._generation:
                self._show(snap, now)

        self._runner.read(read, done=loaded, owner=self, label="radar")

    def _show(self, snap: RadarSnapshot, now: int) -> None:
        self.snapshot = snap
        c = snap.counts
        must = c.get("must_answer", 0)
        self.counts["issues"].set(
            fmt.count(c.get("open_issues", 0)) or "0",
            tr("level 1: %1 · level 2: %2 · level 3: %3 · must answer: %4")
            .replace("%1", str(c.get("level_1", 0)))
            .replace("%2", str(c.get("level_2", 0)))
            .replace("%3", str(c.get("level_3", 0)))
            .replace("%4", str(must)),
        )
        self.counts["issues"].detail.setStyleSheet(f"color: {OVERDUE_COLOR};" if must else "")
        self.counts["kols"].set(fmt.count(c.get("kols_involved", 0)) or "0")
        self.counts["public"].set(
            fmt.count(c.get("public_interest_items", 0)) or "0",
            tr("from %1 authors").replace("%1", fmt.count(c.get("public_interest_authors", 0)) or "0"),
        )
        keep = self._wanted_issue
        if keep is None:
            current = self.current_issue()
            keep = current.id if current is not None else None
        selected = set(self.selected_issue_ids())
        blocked = self.view.selectionModel().blockSignals(True)
        self.model.set_issues(snap.issues, now)
        selection = self.view.selectionModel()
        for issue_id in selected:
            row = self.model.row_of(issue_id)
            if row is not None:
                selection.select(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
                )
        self.view.selectionModel().blockSignals(blocked)
        row = self.model.row_of(keep) if keep is not None else None
        if row is None and keep is not None and self._wanted_issue is not None:
            row = None  # asked for an issue the list leaves out (closed, or older): show its detail anyway
            self._read_detail(keep)
        elif row is None and self.model.rowCount():
            row = 0
        self._wanted_issue = None
        if row is not None:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, IssueColumn.TITLE),
                (
                    QItemSelectionModel.SelectionFlag.Select
                    if selected
                    else QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            issue = self.model.issue(row)
            if issue is not None:
                self._read_detail(issue.id)
        elif keep is None:
            self.detail.clear()
        self.empty.setText(tr("No issues on the radar for this period."))
        self.empty.setVisible(not snap.issues)
        self._update_actions()

    def _current_changed(self, current: QModelIndex) -> None:
        issue = self.model.issue(current.row()) if current.isValid() else None
        if issue is not None and (self.detail.snapshot is None or self.detail.snapshot.detail.summary.id != issue.id):
            self._read_detail(issue.id)
        self._update_actions()

    def _read_detail(self, issue_id: int) -> None:
        self._detail_generation += 1
        generation = self._detail_generation
        now = fmt.now_ms()

        def read(conn: sqlite3.Connection) -> DetailSnapshot | None:
            return read_detail(conn, issue_id, now_ms=now)

        def loaded(snap: DetailSnapshot | None) -> None:
            if generation != self._detail_generation:
                return
            if snap is None:
                self.detail.clear()
            else:
                self.detail.show_snapshot(snap, now)
            self._update_actions()

        self._runner.read(read, done=loaded, owner=self, label="issue detail")

    def show_issue(self, issue_id: int) -> None:
        """Select an issue (read again first, so a new one is in the list)."""
        row = self.model.row_of(issue_id)
        if row is not None:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, IssueColumn.TITLE),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.view.scrollTo(self.model.index(row, IssueColumn.TITLE))
        self._wanted_issue = issue_id
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("issue_notifications", "issues"):
            self.check_notifications()
        if changes.touches(*DETAIL_KINDS):
            if self.isVisible():
                if not self._timer.isActive():
                    self._timer.start()
            else:
                self._stale = True

    # ------------------------------------------------------------------ notifications

    def check_notifications(self) -> None:
        """Notice notifications newer than the newest one known (the first read only learns it)."""
        known = self.seen_notification

        def read(conn: sqlite3.Connection) -> list[issue_store.NotificationRow]:
            return radar.notifications(conn, open_only=True)

        def found(rows: list[issue_store.NotificationRow]) -> None:
            newest = max((r.id for r in rows), default=0)
            if self.seen_notification is None:
                self.seen_notification = newest
                return
            fresh = [r for r in rows if known is not None and r.id > known]
            self.seen_notification = max(self.seen_notification, newest)
            for row in fresh:
                self.notice(row)

        self._runner.read(read, done=found, owner=self, label="radar notifications")

    def notice(self, notification: issue_store.NotificationRow) -> None:
        """Tell the person at the desk, when the notification is for them."""
        if not may_see(self.user, notification):
            return
        self.banner.add(notification, self.user.role in SUPERVISORS)
        self.message.emit(tr("Must answer: %1").replace("%1", notification.message))
        QApplication.alert(self.window())  # the task bar asks for attention when the window is behind

    def acknowledge(self, notification_id: int) -> None:
        from omniinbox.triage import actions

        user = self.user
        self._write("acknowledge", lambda cache: actions.acknowledge(cache, user, notification_id), tr("Acknowledged."))

    # ------------------------------------------------------------------ writing

    def _write(
        self, label: str, fn: Callable[[Cache], T], said: str = "", done: Callable[[T], None] | None = None
    ) -> None:
        def finished(result: T) -> None:
            if said:
                self.message.emit(said)
            if done is not None:
                done(result)

        self._runner.write(refusals(fn), done=finished, owner=self, label=label)

    def set_owner(self, issue_id: int, owner_id: int | None) -> None:
        from omniinbox.triage import actions

        user = self.user
        self._write("issue owner", lambda cache: actions.set_owner(cache, user, issue_id, owner_id), tr("Owner set."))

    def set_deadline(self, issue_id: int, deadline_ms: int | None) -> None:
        from omniinbox.triage import actions

        user = self.user
        self._write(
            "issue deadline",
            lambda cache: actions.set_deadline(cache, user, issue_id, deadline_ms),
            tr("Deadline moved."),
        )

    def close_issue(self, issue_id: int) -> None:
        from omniinbox.triage import actions

        user = self.user
        self._write("close issue", lambda cache: actions.close_issue(cache, user, issue_id), tr("Issue closed."))

    def reopen_issue(self, issue_id: int) -> None:
        from omniinbox.triage import actions

        user = self.user
        self._write("reopen issue", lambda cache: actions.reopen_issue(cache, user, issue_id), tr("Issue reopened."))

    def merge(self, issue_ids: Sequence[int]) -> None:
        from omniinbox.triage import actions

        user, ids = self.user, list(issue_ids)

        def merged(target: int) -> None:
            self.message.emit(tr("Merged into issue #%1.").replace("%1", str(target)))
            self.show_issue(target)

        self._write("merge issues", lambda cache: actions.merge_issues(cache, user, ids), done=merged)

    def split_items(self, issue_id: int, item_ids: Sequence[int], title: str = "") -> None:
        """Take ``item_ids`` out of ``issue_id`` into a new issue (then shown)."""
        from omniinbox.triage import actions

        user, ids = self.user, list(item_ids)

        def split(new: int) -> None:
            self.message.emit(
                tr("%1 items split from issue #%2 into issue #%3.")
                .replace("%1", str(len(ids)))
                .replace("%2", str(issue_id))
                .replace("%3", str(new))
            )
            self.show_issue(new)

        self._write(
            "split issue", lambda cache: actions.split_issue(cache, user, issue_id, ids, title=title), done=split
        )

    def set_title(self, issue_id: int, title: str) -> None:
        """Name an issue; an empty title gives the automatic one back."""
        from omniinbox.triage import actions

        user = self.user
        said = tr("Title set.") if title.strip() else tr("The issue has its automatic title again.")
        self._write("issue title", lambda cache: actions.set_title(cache, user, issue_id, title), said)

    def move_items(self, item_ids: Sequence[int], to_issue_id: int) -> None:
        from omniinbox.triage import actions

        user, ids = self.user, list(item_ids)
        self._write(
            "move items",
            lambda cache: actions.move_items(cache, user, ids, to_issue_id),
            done=lambda n: self.message.emit(
                tr("%1 items moved to issue #%2.").replace("%1", str(n)).replace("%2", str(to_issue_id))
            ),
        )

    def detach_items(self, item_ids: Sequence[int]) -> None:
        from omniinbox.triage import actions

        user, ids = self.user, list(item_ids)
        self._write(
            "detach items",
            lambda cache: actions.detach_items(cache, user, ids),
            done=lambda n: self.message.emit(tr("%1 items taken out of their issue.").replace("%1", str(n))),
        )

    def mark_kol(self, contact_id: int, kind: str) -> None:
        from omniinbox import triage
        from omniinbox.triage import kol

        user = self.user

        def write(cache: Cache) -> list[int]:
            ids = kol.mark_kol(cache, user, contact_id, kind)
            triage.update(cache)  # re-assess the issues holding their items now
            return ids

        self._write("mark kol", write, tr("Marked as a key opinion leader."))

    def unmark_kol(self, contact_id: int) -> None:
        from omniinbox import triage
        from omniinbox.triage import kol

        user = self.user

        def write(cache: Cache) -> list[int]:
            ids = kol.unmark_kol(cache, user, contact_id)
            triage.update(cache)
            return ids

        self._write("unmark kol", write, tr("No longer a key opinion leader."))

    def export_brief(self, issue_id: int, path: Path) -> None:
        """Write the brief (HTML) to ``path``, off the GUI thread."""
        from omniinbox.triage.brief import BriefRefused, issue_brief_html

        def read(conn: sqlite3.Connection) -> Path:
            try:
                page = issue_brief_html(conn, issue_id)
            except BriefRefused as exc:
                raise UseCaseRefused(str(exc)) from None
            path.write_text(page, encoding="utf-8")
            return path

        self._runner.read(
            read,
            done=lambda p: self.message.emit(tr("Brief written to %1.").replace("%1", str(p))),
            owner=self,
            label="issue brief",
        )

    # ------------------------------------------------------------------ asking (dialogs)

    def draft_statement(self) -> QDialog | None:
        from omniinbox.ui.statement_dialog import StatementDialog

        issue = self.current_issue()
        if issue is None or not issue.must_answer:
            self.message.emit(tr("Only a must-answer issue gets one statement for every channel."))
            return None
        dialog = StatementDialog(self._runner, self.user, issue.id, self)
        dialog.message.connect(self.message.emit)
        dialog.finished.connect(lambda _r, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        self.dialogs.append(dialog)
        dialog.show()
        return dialog

    def ask_owner(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return

        def loaded(users: list[User]) -> None:
            nobody = tr("(nobody)")
            if self.user.role in SUPERVISORS:
                choices = [(u.id, f"{u.name} ({u.login})") for u in users]
            else:
                choices = [(self.user.id, tr("Me (%1)").replace("%1", self.user.name))]
            names = [text for _id, text in choices] + [nobody]
            current = next((n for n, u in enumerate(users) if u.login == issue.owner), 0)
            chosen, ok = QInputDialog.getItem(
                self, tr("Owner"), tr("Who answers for issue #%1?").replace("%1", str(issue.id)), names,
                current if self.user.role in SUPERVISORS else 0, False,
            )  # fmt: skip
            if ok:
                owner = None if chosen == nobody else choices[names.index(chosen)][0]
                self.set_owner(issue.id, owner)

        self._runner.read(views.users, done=loaded, owner=self, label="users")

    def ask_deadline(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return
        dialog = DeadlineDialog(issue.deadline, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_deadline(issue.id, dialog.deadline_ms())

    def toggle_closed(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return
        if issue.status == "closed":
            self.reopen_issue(issue.id)
        else:
            self.close_issue(issue.id)

    def merge_selected(self) -> None:
        ids = self.selected_issue_ids()
        if len(ids) < 2:
            self.message.emit(tr("Select at least two issues in the list to merge them."))
            return
        self.merge(ids)

    def ask_move(self) -> None:
        issue = self.current_issue()
        items = self.detail.selected_item_ids()
        if issue is None or not items:
            return
        others = [i for i in self.model.issues() if i.id != issue.id and i.status == "open"]
        if not others:
            self.message.emit(tr("There is no other open issue to move the items to."))
            return
        names = [f"#{i.id}  {i.title}" for i in others]
        chosen, ok = QInputDialog.getItem(
            self, tr("Move items"), tr("Move %1 items to:").replace("%1", str(len(items))), names, 0, False
        )
        if ok:
            self.move_items(items, others[names.index(chosen)].id)

    def ask_split(self) -> None:
        issue = self.current_issue()
        items = self.detail.selected_item_ids()
        if issue is None or not items:
            return
        title, ok = QInputDialog.getText(
            self,
            tr("Split the issue"),
            tr("Take %1 items out of issue #%2 into a new issue, named (optional):")
            .replace("%1", str(len(items)))
            .replace("%2", str(issue.id)),
        )
        if ok:
            self.split_items(issue.id, items, title)

    def ask_title(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return
        title, ok = QInputDialog.getText(
            self,
            tr("Issue title"),
            tr("Title of issue #%1 (empty: the automatic title):").replace("%1", str(issue.id)),
            text=issue.title,
        )
        if ok:
            self.set_title(issue.id, title)

    def detach_selected(self) -> None:
        items = self.detail.selected_item_ids()
        if items:
            self.detach_items(items)

    def ask_kol(self) -> None:
        item_id = self.detail.current_item_id()
        if item_id is None:
            return

        def loaded(card: views.AuthorCard | None) -> None:
            if card is None:
                self.message.emit(tr("This item has no known author."))
                return
            who = card.name or card.handle
            if card.is_kol:
                answer = QMessageBox.question(
                    self, tr("Key opinion leader"),
                    tr("%1 is marked as a key opinion leader. Take the mark off?").replace("%1", who),
                )  # fmt: skip
                if answer == QMessageBox.StandardButton.Yes:
                    self.unmark_kol(card.contact_id)
                return
            kinds = kol_kinds()
            chosen, ok = QInputDialog.getItem(
                self, tr("Key opinion leader"),
                tr("Mark %1 as a key opinion leader, as:").replace("%1", who), list(kinds.values()), 0, False,
            )  # fmt: skip
            if ok:
                self.mark_kol(card.contact_id, next(k for k, v in kinds.items() if v == chosen))

        self._runner.read(lambda conn: views.author_card(conn, item_id, earlier=0), done=loaded, owner=self,
                          label="author")  # fmt: skip

    def ask_brief(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self, tr("Export the issue brief"), f"issue-{issue.id}-brief.html", tr("Web page (*.html)")
        )
        if path:
            self.export_brief(issue.id, Path(path))

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        for button in (self.statement_button, self.owner_button, self.title_button, self.deadline_button,
                       self.close_button, self.merge_button, self.brief_button):  # fmt: skip
            action = menu.addAction(button.text())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def _items_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        item_id = self.detail.current_item_id()
        if item_id is not None:
            menu.addAction(tr("Open the conversation")).triggered.connect(lambda: self.open_item.emit(item_id))
        for button in (self.split_button, self.move_button, self.detach_button, self.kol_button):
            action = menu.addAction(button.text())
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
        menu.popup(self.detail.items.viewport().mapToGlobal(pos))


def kol_kinds() -> dict[str, str]:
    from omniinbox.triage.kol import KINDS

    names = {
        "journalist": tr("journalist"),
        "official": tr("official"),
        "influencer": tr("influencer"),
        "media": tr("media"),
    }
    return {k: names.get(k, k) for k in KINDS}
