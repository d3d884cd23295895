"""The navigation side bar: the queues (All, Mine, Unassigned, Needs answer, Promote, Protect,
Snoozed, Closed), the two team panels, each channel, the institution's accounts and, apart, the
leaders' personal accounts. Counts come from :func:`views.sidebar_counts`, read on the reader pool
when the change feed says something changed (at most every couple of seconds).

Signals (of :class:`Sidebar`):
    filter_chosen(object): a ``ListFilter`` for the inbox list.
    team_chosen(object): a ``Team`` whose panel to show.
    supervisor_chosen(): the supervisor's view (the entry shows to supervisors and admins).
    radar_chosen(): the issue radar's page ("Issues", after the queues, with how many issues must
        still be answered: :func:`omniinbox.store.issue_queue.must_answer_count`, read when issues
        change).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QTreeView, QWidget

from omniinbox.core import Account, Team, User
from omniinbox.store import issue_queue, views
from omniinbox.store.views import ListFilter, QueueKind, SidebarCounts, queue_filter
from omniinbox.ui import format as fmt
from omniinbox.ui.list_panel import queue_name
from omniinbox.ui.tasks import Changes, TaskRunner
from omniinbox.usecases import is_supervisor

SIDEBAR_QUEUES = (
    QueueKind.ALL,
    QueueKind.MINE,
    QueueKind.UNASSIGNED,
    QueueKind.NEEDS_ANSWER,
    QueueKind.PROMOTE,
    QueueKind.PROTECT,
    QueueKind.SNOOZED,
    QueueKind.CLOSED,
)
COUNT_EVERY_MS = 2000
SUPERVISOR_KEY = "page:supervisor"  # the supervisor's view
RADAR_KEY = "radar:issues"  # the issue radar's page
MENTIONS_KEY = "queue:mentions"  # conversations where someone mentioned me (omniinbox.ui.collab)
INITIAL_COUNT_DELAY_MS = 300


@dataclass(frozen=True, slots=True)
class NavEntry:
    """What a side bar line opens: a filter of the inbox, or a team panel."""

    key: str  # "queue:mine", "team:social", "channel:x", "account:3"
    title: str
    filter: ListFilter | None = None
    team: Team | None = None


class NavigationModel(QStandardItemModel):
    """Sections with entries; each entry carries its :class:`NavEntry` in :attr:`EntryRole`."""

    EntryRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, user: User, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._user = user
        self._items: dict[str, QStandardItem] = {}
        self.counts: SidebarCounts | None = None
        self.must_answer = 0
        queues = self._section(QCoreApplication.translate("Sidebar", "Inbox"))
        for kind in SIDEBAR_QUEUES:
            self._entry(queues, NavEntry(f"queue:{kind.value}", queue_name(kind), queue_filter(kind, user_id=user.id)))
        self._entry(queues, NavEntry(RADAR_KEY, QCoreApplication.translate("Sidebar", "Issues")))
        self._entry(queues, NavEntry(MENTIONS_KEY, QCoreApplication.translate("Sidebar", "Mentions")))
        self._saved = self._section(QCoreApplication.translate("Sidebar", "Saved searches"))
        teams = self._section(QCoreApplication.translate("Sidebar", "Teams"))
        for team in Team:
            self._entry(teams, NavEntry(f"team:{team.value}", fmt.team_name(team.value), team=team))
        if is_supervisor(user):
            self._entry(teams, NavEntry(SUPERVISOR_KEY, QCoreApplication.translate("Sidebar", "Supervisor")))
        self._channels = self._section(QCoreApplication.translate("Sidebar", "Channels"))
        self._accounts = self._section(QCoreApplication.translate("Sidebar", "Accounts"))
        self._leaders = self._section(QCoreApplication.translate("Sidebar", "Leaders' accounts"))

    def _section(self, title: str) -> QStandardItem:
        item = QStandardItem(title)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = QFont()
        font.setBold(True)
        item.setFont(font)
        self.appendRow(item)
        return item

    def _entry(self, section: QStandardItem, entry: NavEntry) -> None:
        item = QStandardItem(entry.title)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren)
        item.setData(entry, self.EntryRole)
        item.setToolTip(entry.title)
        section.appendRow(item)
        self._items[entry.key] = item

    def entry(self, index: QModelIndex) -> NavEntry | None:
        value = index.data(self.EntryRole) if index.isValid() else None
        return value if isinstance(value, NavEntry) else None

    def index_of(self, key: str) -> QModelIndex:
        item = self._items.get(key)
        return item.index() if item is not None else QModelIndex()

    def set_accounts(self, accounts: list[Account]) -> None:
        """Fill the channel and account sections (leaders' personal accounts apart)."""
        for section in (self._channels, self._accounts, self._leaders):
            for row in range(section.rowCount()):
                key = section.child(row).data(self.EntryRole).key
                self._items.pop(key, None)
            section.removeRows(0, section.rowCount())
        for channel in sorted({a.channel.value for a in accounts}, key=fmt.channel_name):
            flt = ListFilter(channels=(channel,))
            self._entry(self._channels, NavEntry(f"channel:{channel}", fmt.channel_name(channel), flt))
        for account in accounts:
            section = self._leaders if account.is_leader else self._accounts
            title = account.name or account.key
            self._entry(section, NavEntry(f"account:{account.id}", title, ListFilter(account_ids=(account.id,))))
        self._leaders.setEnabled(True)

    def set_must_answer(self, n: int) -> None:
        """The "Issues" entry: how many issues must still be answered."""
        self.must_answer = n
        item = self._items.get(RADAR_KEY)
        if item is not None:
            title = QCoreApplication.translate("Sidebar", "Issues")
            item.setText(f"{title}  {fmt.count(n)}" if n else title)
            item.setToolTip(QCoreApplication.translate("Sidebar", "%1 issues must be answered").replace("%1", str(n)))
            font = item.font()
            font.setBold(n > 0)
            item.setFont(font)
            item.setForeground(QColor("#c62828") if n else QBrush())

    def set_counts(self, counts: SidebarCounts) -> None:
        self.counts = counts
        for kind in SIDEBAR_QUEUES:
            item = self._items.get(f"queue:{kind.value}")
            if item is not None:
                n = counts.queues.get(kind.value, 0)
                item.setText(f"{queue_name(kind)}  {fmt.count(n)}" if n else queue_name(kind))
        for team in Team:
            item = self._items.get(f"team:{team.value}")
            if item is not None:
                n = counts.teams.get(team.value, 0)
                item.setText(f"{fmt.team_name(team.value)}  {fmt.count(n)}" if n else fmt.team_name(team.value))
                item.setToolTip(
                    QCoreApplication.translate("Sidebar", "%1 open or pending conversations").replace("%1", str(n))
                )


class Sidebar(QTreeView):
    """See the module docstring."""

    filter_chosen = Signal(object)
    team_chosen = Signal(object)
    supervisor_chosen = Signal()
    radar_chosen = Signal()
    saved_search_chosen = Signal(object)  # a saved search's id ("saved:ID" entries)
    mentions_chosen = Signal()

    def __init__(self, runner: TaskRunner, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self._runner = runner
        self._user = user
        self.nav = NavigationModel(user, self)
        self.setModel(self.nav)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.expandAll()
        self.selectionModel().currentChanged.connect(self._chosen)
        self.clicked.connect(self._clicked)  # choosing the supervisor's view again reopens it
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_EVERY_MS)
        self._count_timer.timeout.connect(self.refresh_counts)
        self._counting = False
        runner.changed.connect(self._on_changes)
        self.refresh_accounts()
        # counting is the slowest read of a large cache: let the first page of the list go first
        QTimer.singleShot(INITIAL_COUNT_DELAY_MS, self, self.refresh_counts)

    def select(self, key: str) -> None:
        index = self.nav.index_of(key)
        if index.isValid():
            self.setCurrentIndex(index)

    def current_entry(self) -> NavEntry | None:
        return self.nav.entry(self.currentIndex())

    def _clicked(self, index: QModelIndex) -> None:
        entry = self.nav.entry(index)
        if entry is not None and entry.key == SUPERVISOR_KEY:
            self.supervisor_chosen.emit()

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = self.nav.entry(current)
        if entry is None:
            return
        if entry.key == SUPERVISOR_KEY:
            self.supervisor_chosen.emit()
            return
        if entry.key == RADAR_KEY:
            self.radar_chosen.emit()
        elif entry.key == MENTIONS_KEY:
            self.mentions_chosen.emit()
        elif entry.key.startswith("saved:"):
            self.saved_search_chosen.emit(int(entry.key.partition(":")[2]))
        elif entry.team is not None:
            self.team_chosen.emit(entry.team)
        elif entry.filter is not None:
            self.filter_chosen.emit(entry.filter)

    def set_saved_searches(self, searches: list[tuple[int, str]]) -> None:
        """The "Saved searches" section: (id, name) pairs."""
        entry, section = self.current_entry(), self.nav._saved
        blocked = self.selectionModel().blockSignals(True)
        for row in range(section.rowCount()):
            self.nav._items.pop(section.child(row).data(self.nav.EntryRole).key, None)
        section.removeRows(0, section.rowCount())
        for search_id, name in searches:
            self.nav._entry(section, NavEntry(f"saved:{search_id}", name))
        self.expandAll()
        if entry is not None:
            self.select(entry.key)
        self.selectionModel().blockSignals(blocked)

    def refresh_accounts(self) -> None:
        def loaded(accounts: list[Account]) -> None:
            entry = self.current_entry()
            key = entry.key if entry is not None else None
            self.nav.set_accounts(accounts)
            self.expandAll()
            if key is not None:
                blocked = self.selectionModel().blockSignals(True)
                self.select(key)
                self.selectionModel().blockSignals(blocked)

        self._runner.read(views.accounts, done=loaded, owner=self, label="accounts")

    def refresh_counts(self) -> None:
        if self._counting:
            self._count_timer.start()
            return
        self._counting = True
        user_id = self._user.id

        def counted(counts: SidebarCounts) -> None:
            self._counting = False
            self.nav.set_counts(counts)

        def count(conn: sqlite3.Connection) -> SidebarCounts:
            return views.sidebar_counts(conn, user_id)

        self._runner.read(
            count, done=counted, failed=lambda _e: setattr(self, "_counting", False), owner=self, label="counts"
        )
        self.refresh_must_answer()

    def refresh_must_answer(self) -> None:
        self._runner.read(issue_queue.must_answer_count, done=self.nav.set_must_answer, owner=self, label="issues")

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("accounts"):
            self.refresh_accounts()
        if changes.touches("items", "tags", "conversations") and not self._count_timer.isActive():
            self._count_timer.start()
        if changes.touches("issues"):
            self.refresh_must_answer()
