"""The item list: a lazy table model that holds item ids, not rows.

The model keeps the ids of the list in order (newest first, strictly descending: item ids are
time-ordered) in an ``array`` of 64-bit integers, a million of them in 8 MB. Ids arrive page by
page from its :class:`IdSource` as the view scrolls (``canFetchMore``/``fetchMore``). Display rows
(:class:`omniinbox.store.views.ListRow`) are read in windows of :data:`WINDOW` ids on the task
runner's reader pool when the view first asks for one of them, and kept in a bounded cache keyed
by item id; until a window arrives its rows show a placeholder. Windows asked for while the view
paints are read after the paint, all in one read (the reader thread building rows would compete
with the painting for the interpreter lock); while the view scrolls fast it holds them
(:meth:`ItemListModel.hold_loads`) and only the windows visible when it pauses are read.

Changes announced by the task runner mark the cached rows stale: they keep showing while their
windows are read again, for the rows the view actually paints. A view that says which rows it
shows (:meth:`ItemListModel.set_visible_rows`) has those read again at once, and is told only of
the rows that came back different: a background sync that writes elsewhere repaints nothing.
New items that match the list are inserted where they belong (new ones at the top, read with
their rows); rows that stop matching stay until the list is reloaded, so nothing jumps away under
the pointer.

A source may pin items above that order (``pinned(conn)``, read with the first page): the "Needs
answer" queue shows the conversations of must-answer issues first
(:func:`omniinbox.store.issue_queue.must_answer_first`). The pinned ids are rows ``0..P-1``, the
ordered ids follow without them. When issues change, newly pinned items move up (a few at a time;
more reload the list); items no longer pinned stay where they are until the list is reloaded.

Roles: Qt's display, tool tip and font roles, and :attr:`ItemListModel.ItemIdRole`,
:attr:`RowRole` (the ``ListRow``, or ``None`` while it loads).

Signals:
    loaded(int): a page of ids arrived (its size); ``0`` when the list is complete.
    rows_loaded(): a window of rows arrived.
"""

from __future__ import annotations

import enum
import sqlite3
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from omniinbox.core import from_millis
from omniinbox.store import issue_queue, views
from omniinbox.store.views import ListFilter, ListRow
from omniinbox.ui import format as fmt
from omniinbox.ui.tasks import Changes, Task, TaskRunner
from omniinbox.usecases import SlaState, sla_state

WINDOW = 100  # rows read at once
ID_PAGE = 500  # ids per fetchMore
MAX_CACHED_ROWS = 6000
MAX_MIDDLE_INSERTS = 50  # late items placed one by one; beyond that the list waits for a reload

Index = QModelIndex | QPersistentModelIndex


_ITEM_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


class Column(enum.IntEnum):
    CHANNEL = 0
    AUTHOR = 1
    TEXT = 2
    ACCOUNT = 3
    AGE = 4
    TAGS = 5
    ASSIGNEE = 6
    SLA = 7


class IdSource(Protocol):
    """Where a list's ids come from. Methods run on reader threads."""

    def page(self, conn: sqlite3.Connection, before_id: int | None, limit: int) -> list[int]: ...

    def newer(self, conn: sqlite3.Connection, after_id: int | None, limit: int) -> list[int] | None:
        """Ids newer than ``after_id``, newest first; ``None`` when the source cannot tell."""
        ...

    def matching(self, conn: sqlite3.Connection, ids: Sequence[int]) -> set[int]: ...

    # Optional: ``pinned(conn) -> list[int]``, ids shown first in that order (see the module docstring).


def pinned_of(source: IdSource, conn: sqlite3.Connection) -> list[int]:
    """The ids ``source`` pins above its order (none when it pins nothing)."""
    pinned = getattr(source, "pinned", None)
    return list(pinned(conn)) if callable(pinned) else []


class FilterSource:
    """Items matching a filter (:func:`views.page_ids`); the query plan is chosen once, on the
    first page (:func:`views.plan_for`)."""

    def __init__(self, flt: ListFilter = ListFilter()) -> None:  # noqa: B008 (immutable default)
        self.filter = flt
        self._plan: str | None = None

    def __repr__(self) -> str:
        return f"FilterSource({self.filter!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FilterSource) and other.filter == self.filter

    def __hash__(self) -> int:
        return hash(self.filter)

    def page(self, conn: sqlite3.Connection, before_id: int | None, limit: int) -> list[int]:
        if self._plan is None:
            self._plan = views.plan_for(self.filter, conn)
        return views.page_ids(conn, self.filter, before_id=before_id, limit=limit, plan=self._plan)

    def newer(self, conn: sqlite3.Connection, after_id: int | None, limit: int) -> list[int] | None:
        return views.page_ids(conn, self.filter, after_id=after_id, limit=limit, plan=self._plan)

    def matching(self, conn: sqlite3.Connection, ids: Sequence[int]) -> set[int]:
        return views.matching_ids(conn, self.filter, ids)

    def pinned(self, conn: sqlite3.Connection) -> list[int]:
        """The "Needs answer" queue: the conversations of must-answer issues first."""
        return issue_queue.must_answer_first(conn, self.filter) if self.filter.needs_answer else []


@dataclass(frozen=True, slots=True)
class SearchSource:
    """Full-text matches within a filter (:func:`views.search_ids`); a snapshot: new items do not
    join it until the search runs again."""

    query: str
    filter: ListFilter = field(default_factory=ListFilter)

    def page(self, conn: sqlite3.Connection, before_id: int | None, limit: int) -> list[int]:
        return views.search_ids(conn, self.query, self.filter, before_id=before_id, limit=limit)

    def newer(self, conn: sqlite3.Connection, after_id: int | None, limit: int) -> list[int] | None:
        return None

    def matching(self, conn: sqlite3.Connection, ids: Sequence[int]) -> set[int]:
        return set()


@dataclass(slots=True)
class _Cached:
    generation: int
    row: ListRow | None  # None: the item no longer exists


class ItemListModel(QAbstractTableModel):
    """See the module docstring."""

    ItemIdRole = Qt.ItemDataRole.UserRole + 1
    RowRole = Qt.ItemDataRole.UserRole + 2

    loaded = Signal(int)
    rows_loaded = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        source: IdSource | None = None,
        *,
        clock: Callable[[], int] = fmt.now_ms,
        lazy: bool = False,
        parent: QObject | None = None,
    ) -> None:
        """``lazy``: the first page is read when a view first asks for more (a list not shown at
        start leaves the reader pool to the one that is), not at once."""
        super().__init__(parent)
        self._runner = runner
        self._clock = clock
        self._source: IdSource = source or FilterSource()
        self._ids: array[int] = array("q")
        self._pinned: list[int] = []  # rows 0..P-1, before the ordered ids
        self._pinned_rows: dict[int, int] = {}
        self._pinned_read = False
        self._cursor: int | None = None  # the oldest id paged so far (pinned ones included)
        self._has_more = True
        self._generation = 0  # bumped when the list is reset; older answers are dropped
        self._fetch: Task | None = None
        self._rows: OrderedDict[int, _Cached] = OrderedDict()
        self._row_generation = 0  # bumped when cached rows become stale
        self._loading: set[int] = set()
        self._queued: list[int] = []  # ids asked for during a paint, read once it is done
        self._queue_generation = 0
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(0)
        self._flush.timeout.connect(self._load_queued)
        self._held = False  # the view scrolls fast: no window is read until it pauses
        self._visible: Callable[[], range] | None = None
        self._missed = False
        self._refreshing_top = False
        self._resetting = False
        self._bold = QFont()
        self._bold.setBold(True)
        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self._clock_moved)
        self._tick.start()
        runner.changed.connect(self.on_changes)
        if not lazy:
            self._fetch_page()

    # ------------------------------------------------------------------ public

    @property
    def source(self) -> IdSource:
        return self._source

    def set_source(self, source: IdSource) -> None:
        """Show another list (a queue, a search); loads its first page."""
        self.beginResetModel()
        self._source = source
        self._ids = array("q")
        self._pinned, self._pinned_rows, self._pinned_read, self._cursor = [], {}, False, None
        self._has_more = True
        self._generation += 1
        if self._fetch is not None:
            self._fetch.cancel()
            self._fetch = None
        self._loading.clear()
        self._resetting = True  # views react to the reset by asking for more: not from inside it
        try:
            self.endResetModel()
        finally:
            self._resetting = False
        self._fetch_page()

    def reload(self) -> None:
        self.set_source(self._source)

    def item_id(self, row: int) -> int:
        pinned = len(self._pinned)
        return self._pinned[row] if row < pinned else self._ids[row - pinned]

    def item_ids(self, rows: Iterable[int]) -> list[int]:
        return [self.item_id(r) for r in rows if 0 <= r < self._count()]

    def pinned_ids(self) -> list[int]:
        """The ids shown first, above the list's order."""
        return list(self._pinned)

    def row_of(self, item_id: int) -> int | None:
        """The row showing ``item_id`` (the ordered ids are descending: a binary search)."""
        pinned = self._pinned_rows.get(item_id)
        if pinned is not None:
            return pinned
        pos = bisect_left(self._ids, -item_id, key=lambda v: -v)
        return pos + len(self._pinned) if pos < len(self._ids) and self._ids[pos] == item_id else None

    def list_row(self, row: int) -> ListRow | None:
        """The cached row (possibly stale), or ``None`` while it loads."""
        if not 0 <= row < self._count():
            return None
        cached = self._rows.get(self.item_id(row))
        return cached.row if cached is not None else None

    def _count(self) -> int:
        return len(self._pinned) + len(self._ids)

    def has_more(self) -> bool:
        return self._has_more

    def is_fetching(self) -> bool:
        return self._fetch is not None

    def set_visible_rows(self, visible: Callable[[], range] | None) -> None:
        """How to know the rows a view shows (see the module docstring)."""
        self._visible = visible

    def hold_loads(self, held: bool) -> bool:
        """Hold (or resume) reading windows of rows while the view scrolls fast: held rows show
        their placeholder. Returns whether rows were asked for while held (the view repaints
        then, and its visible rows are read)."""
        self._held = held and not self._runner.synchronous
        missed, self._missed = self._missed, False
        return missed and not held

    # ------------------------------------------------------------------ Qt model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else self._count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: Index) -> Qt.ItemFlag:
        # asked once per painted cell: the combined flag is made once (each "|" of Qt's Python
        # enums builds a new enum value)
        return _ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < len(Column):
            return None
        return (
            self.tr("Channel"),
            self.tr("Author"),
            self.tr("Message"),
            self.tr("Account"),
            self.tr("Age"),
            self.tr("Promote / Protect"),
            self.tr("Assignee"),
            self.tr("SLA"),
        )[section]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._count():
            return None
        item_id = self.item_id(index.row())
        if role == self.ItemIdRole:
            return item_id
        cached = self._rows.get(item_id)
        # a painted row asks for a dozen roles per cell: only the first asks for its window
        if (cached is None or cached.generation != self._row_generation) and item_id not in self._loading:
            if self._held:
                self._missed = True
            else:
                self._request_window(index.row())
                cached = self._rows.get(item_id)  # a synchronous runner has answered already
        row = cached.row if cached is not None else None
        if role == self.RowRole:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, Column(index.column()), cached is not None)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = self._tooltip(row, Column(index.column()))
            if item_id in self._pinned_rows:  # why it is above the list's order
                first = self.tr("Shown first: its conversation is in an issue that must be answered.")
                return f"{first}\n{tip}" if tip else first
            return tip
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if row is not None and not row.is_read else None
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid():
            return
        if self._resetting:
            QTimer.singleShot(0, self, self._fetch_page)
        else:
            self._fetch_page()

    # ------------------------------------------------------------------ display text

    def _display(self, row: ListRow | None, column: Column, known: bool) -> str:
        if row is None:
            if column is Column.TEXT:
                return self.tr("(not available)") if known else self.tr("Loading…")
            return ""
        if column is Column.CHANNEL:
            return fmt.channel_name(row.channel)
        if column is Column.AUTHOR:
            return row.author
        if column is Column.TEXT:
            return row.excerpt
        if column is Column.ACCOUNT:
            return row.account_name
        if column is Column.AGE:
            return fmt.age(row.created_at, self._clock())
        if column is Column.TAGS:
            return "  ".join(
                f"{fmt.team_short(team)}: {fmt.tag_name(value)}"
                for team, value in sorted(row.tags.items(), reverse=True)
            )
        if column is Column.ASSIGNEE:
            return row.assignee
        return fmt.sla_text(self.sla(row))

    def sla(self, row: ListRow) -> SlaState:
        return sla_state(row.sla_due_at, status=row.status, needs_answer=row.needs_answer, now_ms=self._clock())

    def now_ms(self) -> int:
        return self._clock()

    def _tooltip(self, row: ListRow | None, column: Column) -> str | None:
        if row is None:
            return None
        if column is Column.AUTHOR:
            parts = [row.author]
            if row.handle and row.handle != row.author:
                parts.append(row.handle)
            if row.followers is not None:
                parts.append(self.tr("%1 followers").replace("%1", f"{row.followers:,}"))
            if row.is_kol:
                parts.append(self.tr("key opinion leader"))
            return " — ".join(parts)
        if column is Column.ACCOUNT:
            if row.is_leader_account:
                return self.tr("%1: a leader's personal account; replies wait for approval").replace(
                    "%1", row.account_name
                )
            return row.account_name
        if column is Column.TEXT:
            return row.excerpt
        if column is Column.CHANNEL:
            return f"{fmt.channel_name(row.channel)} · {fmt.kind_name(row.kind)}"
        if column is Column.SLA and row.sla_due_at is not None:
            return fmt.when(from_millis(row.sla_due_at))
        return None

    # ------------------------------------------------------------------ ids

    def _fetch_page(self) -> None:
        if self._fetch is not None or not self._has_more:
            return
        generation = self._generation
        before = self._cursor
        source = self._source
        first = not self._pinned_read
        row_generation = self._row_generation

        def load(conn: sqlite3.Connection) -> tuple[list[int], list[int] | None, list[ListRow] | None]:
            ids = source.page(conn, before, ID_PAGE)
            pinned = pinned_of(source, conn) if first else None
            # the top of a list is shown at once: its first window of rows comes in the same read
            top = views.list_rows(conn, [*dict.fromkeys([*(pinned or []), *ids])][:WINDOW]) if before is None else None
            return ids, pinned, top

        self._fetch = self._runner.read(
            load,
            done=lambda found: self._page_arrived(generation, *found[:2], top=found[2], row_generation=row_generation),
            failed=lambda _error: self._page_failed(generation),
            owner=self,
            label="list page",
        )

    def _page_arrived(
        self,
        generation: int,
        ids: list[int],
        pinned: list[int] | None = None,
        *,
        top: list[ListRow] | None = None,
        row_generation: int = -1,
    ) -> None:
        if generation != self._generation:
            return
        if top and row_generation == self._row_generation:
            for row in top:
                self._rows[row.id] = _Cached(row_generation, row)
                self._rows.move_to_end(row.id)
        if pinned is not None:
            self._pinned_read = True
            pinned = [i for i in dict.fromkeys(pinned) if self.row_of(i) is None]
            if pinned:
                self.beginInsertRows(QModelIndex(), 0, len(pinned) - 1)
                self._pinned = pinned
                self._pinned_rows = {item_id: n for n, item_id in enumerate(pinned)}
                self.endInsertRows()
        if self._cursor is not None:
            ids = [i for i in ids if i < self._cursor]  # defensive: strictly descending
        if len(ids) < ID_PAGE:
            self._has_more = False
        if ids:
            self._cursor = ids[-1]
        ids = [i for i in ids if i not in self._pinned_rows]
        if ids:
            # still "fetching" while the rows go in: a view may ask for more from inside the
            # insertion signals, and must not start from the old end of the list
            first = self._count()
            self.beginInsertRows(QModelIndex(), first, first + len(ids) - 1)
            self._ids.extend(ids)
            self.endInsertRows()
        self._fetch = None
        self.loaded.emit(len(ids))

    def _page_failed(self, generation: int) -> None:
        if generation == self._generation:
            self._fetch = None
            self._has_more = False  # the runner reports the error; a reload tries again
            self.loaded.emit(0)

    # ------------------------------------------------------------------ rows

    def _request_window(self, row: int) -> None:
        start = row - row % WINDOW
        ids = [
            i
            for i in self.item_ids(range(start, start + WINDOW))
            if i not in self._loading and ((c := self._rows.get(i)) is None or c.generation != self._row_generation)
        ]
        if not ids:
            return
        self._loading.update(ids)
        if not self._runner.synchronous:
            if self._queue_generation != self._row_generation:
                self._queued = []
                self._queue_generation = self._row_generation
            self._queued.extend(ids)
            self._flush.start()
            return
        self._read_rows(ids)

    def _load_queued(self) -> None:
        ids, self._queued = self._queued, []
        if ids and self._queue_generation == self._row_generation:
            self._read_rows(ids)

    def _read_rows(self, ids: list[int], *, quiet: bool = False) -> None:
        generation = self._row_generation

        def load(conn: sqlite3.Connection) -> list[ListRow]:
            return views.list_rows(conn, ids)

        self._runner.read(
            load,
            done=lambda rows: self._rows_arrived(generation, ids, rows, quiet=quiet),
            failed=lambda _error: self._rows_arrived(generation, ids, []),  # shown as not available
            owner=self,
            label="list rows",
        )

    def _rows_arrived(self, generation: int, ids: list[int], rows: list[ListRow], *, quiet: bool = False) -> None:
        """Cache the rows read; ``quiet``: rows read again after a change, of which the view is
        told only those that differ."""
        self._loading.difference_update(ids)
        found = {r.id: r for r in rows}
        changed = []
        for item_id in ids:
            row = found.get(item_id)
            old = self._rows.get(item_id)
            if not quiet or old is None or old.row != row:
                changed.append(item_id)
            self._rows[item_id] = _Cached(generation, row)
            self._rows.move_to_end(item_id)
        while len(self._rows) > MAX_CACHED_ROWS:
            self._rows.popitem(last=False)
        positions = sorted(p for p in (self.row_of(i) for i in changed) if p is not None)
        if positions:
            self.dataChanged.emit(self.index(positions[0], 0), self.index(positions[-1], len(Column) - 1))
        self.rows_loaded.emit()

    # ------------------------------------------------------------------ changes

    def on_changes(self, changes: Changes) -> None:
        """Refresh what the change touches: cached rows, and new items at their place."""
        if changes.touches("items", "tags", "labels", "conversations", "contacts", "accounts", "users"):
            self._row_generation += 1
            self._loading.clear()
            self._queued = []
            if self._visible is not None:
                ids = self.item_ids(self._visible())  # read again now; the others when painted
                if ids:
                    self._loading.update(ids)
                    self._read_rows(ids, quiet=True)
            elif self._count():
                self.dataChanged.emit(self.index(0, 0), self.index(self._count() - 1, len(Column) - 1))
        if changes.touches("items"):
            self._look_for_new(changes.first_seq - 1)
        if changes.touches("issues") and self._pinned_read and callable(getattr(self._source, "pinned", None)):
            self._look_for_pinned()

    def _look_for_pinned(self) -> None:
        generation = self._generation
        source = self._source
        self._runner.read(
            lambda conn: pinned_of(source, conn),
            done=lambda pinned: self._pinned_arrived(generation, pinned),
            owner=self,
            label="list pinned",
        )

    def _pinned_arrived(self, generation: int, pinned: list[int]) -> None:
        """Move newly pinned items up (at most MAX_MIDDLE_INSERTS; more reload the list)."""
        if generation != self._generation:
            return
        fresh = [i for i in dict.fromkeys(pinned) if i not in self._pinned_rows]
        if not fresh:
            return
        if len(fresh) > MAX_MIDDLE_INSERTS:
            self.reload()
            return
        for item_id in fresh:
            row = self.row_of(item_id)
            if row is not None:  # shown in the ordered part: take it out there
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._ids[row - len(self._pinned)]
                self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._pinned[0:0] = fresh
        self._pinned_rows = {item_id: n for n, item_id in enumerate(self._pinned)}
        self.endInsertRows()

    def _look_for_new(self, after_seq: int) -> None:
        if self._refreshing_top:
            return
        if not self._ids:
            if not self._has_more and self._fetch is None:
                self._has_more = True
                self._cursor = None  # from the top again (the pinned ones are left out)
                self._fetch_page()
            return
        generation = self._generation
        top, bottom = self._ids[0], self._ids[-1]
        source = self._source
        row_generation = self._row_generation

        def look(conn: sqlite3.Connection) -> tuple[list[int] | None, list[int], list[ListRow]]:
            newer = source.newer(conn, top, ID_PAGE)
            if newer is None:
                return None, [], []
            late = [i for i in views.changed_item_ids(conn, after_seq, limit=MAX_MIDDLE_INSERTS * 4)
                    if bottom < i < top]  # fmt: skip
            # the new top rows come with their rows: shown once, not as placeholders first
            rows = views.list_rows(conn, newer[:WINDOW]) if len(newer) < ID_PAGE else []
            return newer, sorted(source.matching(conn, late), reverse=True) if late else [], rows

        self._refreshing_top = True
        self._runner.read(
            look,
            done=lambda found: self._new_arrived(generation, *found[:2], rows=found[2], row_generation=row_generation),
            failed=lambda _error: setattr(self, "_refreshing_top", False),
            owner=self,
            label="list news",
        )

    def _new_arrived(
        self,
        generation: int,
        newer: list[int] | None,
        late: list[int],
        *,
        rows: Sequence[ListRow] = (),
        row_generation: int = -1,
    ) -> None:
        self._refreshing_top = False
        if generation != self._generation or newer is None:
            return
        if row_generation == self._row_generation:
            for row in rows:
                if row.id not in self._rows:
                    self._rows[row.id] = _Cached(row_generation, row)
        if len(newer) >= ID_PAGE:
            self.reload()  # too many to place: start again from the top
            return
        top = self._ids[0] if self._ids else None
        fresh = [i for i in newer if (top is None or i > top) and i not in self._pinned_rows]
        pinned = len(self._pinned)
        if fresh:
            self.beginInsertRows(QModelIndex(), pinned, pinned + len(fresh) - 1)
            self._ids[0:0] = array("q", fresh)
            self.endInsertRows()
        for item_id in late[:MAX_MIDDLE_INSERTS]:
            if not self._ids or item_id <= self._ids[-1] or self.row_of(item_id) is not None:
                continue
            pos = bisect_left(self._ids, -item_id, key=lambda v: -v)
            self.beginInsertRows(QModelIndex(), pinned + pos, pinned + pos)
            self._ids.insert(pos, item_id)
            self.endInsertRows()

    def _clock_moved(self) -> None:
        if self._count():
            first, last = Column.AGE, Column.SLA
            self.dataChanged.emit(
                self.index(0, first), self.index(self._count() - 1, last), [Qt.ItemDataRole.DisplayRole]
            )
