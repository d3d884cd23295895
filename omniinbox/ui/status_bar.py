"""The status bar: sync state per account (last sync, failing accounts with the reason recorded
in the sync problems; *offline* when every enabled account fails with a network error), outbox
counts (awaiting approval, queued, failed), and whether work is under way. A click on the sync
state opens a small popup listing every account with its state.

Read on the reader pool (:func:`omniinbox.store.notices.account_states`,
:func:`omniinbox.store.views.outbox_counts`) when the change feed touches them, and every ten
seconds (recorded sync problems do not show in the change feed). Account names and problem
reasons are shown as plain text.
"""

from __future__ import annotations

import functools
import sqlite3

from PySide6.QtCore import QCoreApplication, QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QStatusBar,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from omniinbox.core import from_millis
from omniinbox.store import notices, views
from omniinbox.store.notices import AccountState
from omniinbox.ui import format as fmt
from omniinbox.ui.tasks import Changes, TaskError, TaskRunner

# Sync problems are recorded without a change number, so the change feed does not announce
# them: the bar reads again this often (a lookup per account, cheap at any cache size).
REFRESH_MS = 10_000
ERROR_COLOR = "#d32f2f"
OFFLINE_COLOR = "#b26a00"


class AccountsPopup(QFrame):
    """Every account with its state: name, channel, last sync, state (and the reason)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("accounts-popup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("accounts-state")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Account"), self.tr("Channel"), self.tr("Last sync"), self.tr("State")]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.outbox = QLabel(self)
        self.outbox.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addWidget(self.outbox)
        self.setMinimumWidth(820)

    def show_states(self, states: list[AccountState], title: str, outbox: str, now_ms: int) -> None:
        self.title.setText(title)
        self.outbox.setText(outbox)
        # the ones with problems first, then as the accounts are listed
        states = sorted(states, key=lambda s: not (s.enabled and s.failing))
        self.table.setRowCount(len(states))
        for row, s in enumerate(states):
            when = (
                fmt.when(from_millis(s.last_sync_at)) + f" ({fmt.age(s.last_sync_at, now_ms)})"
                if s.last_sync_at is not None
                else self.tr("never")
            )
            cells = [s.name or s.key, fmt.channel_name(s.channel), when, state_text(s)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)  # plain text
                if column == 3:
                    item.setToolTip(text)
                    if s.enabled and s.failing:
                        item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, column, item)
        rows_shown = min(len(states), 12)
        height = self.table.horizontalHeader().height() + rows_shown * self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(height + 4)
        self.adjustSize()


def state_text(s: AccountState) -> str:
    if not s.enabled:
        return QCoreApplication.translate("StatusBar", "disabled")
    if s.network:
        return QCoreApplication.translate("StatusBar", "unreachable: %1").replace("%1", s.last_problem)
    if s.failing:
        text = QCoreApplication.translate("StatusBar", "failing: %1").replace("%1", s.last_problem)
        if s.problems > 1:
            text += " " + QCoreApplication.translate("StatusBar", "(%1 problems since the last sync)").replace(
                "%1", str(s.problems)
            )
        return text
    if s.last_sync_at is None:
        return QCoreApplication.translate("StatusBar", "not synced yet")
    return QCoreApplication.translate("StatusBar", "OK")


class StatusBar(QStatusBar):
    """Attributes: ``busy``, ``sync`` (a button: a click opens :attr:`popup`), ``outbox``,
    ``accounts`` (the last :class:`AccountState` list), ``outbox_counts``, ``offline``."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status-bar")
        self._runner = runner
        self.busy = QLabel(self)
        self.busy.setObjectName("busy")
        self.sync = QToolButton(self)
        self.sync.setObjectName("sync-state")
        self.sync.setAutoRaise(True)
        self.sync.setCursor(Qt.CursorShape.PointingHandCursor)
        self.sync.clicked.connect(self.show_popup)
        self.outbox = QLabel(self)
        self.outbox.setObjectName("outbox-counts")
        self.addPermanentWidget(self.busy)
        self.addPermanentWidget(self.sync)
        self.addPermanentWidget(self.outbox)
        self.accounts: list[AccountState] = []
        self.outbox_counts: dict[str, int] = {}
        self.offline = False
        self.popup: AccountsPopup | None = None
        self._reads = 0  # refreshes asked for
        self._shown = 0  # the newest of them whose answer is on show
        runner.changed.connect(self._on_changes)
        runner.busy_changed.connect(lambda busy: self.busy.setText(self.tr("Working…") if busy else ""))
        runner.task_failed.connect(self._on_failure)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        QTimer.singleShot(200, self, self.refresh)  # after the list's first page

    def refresh(self) -> None:
        def read(conn: sqlite3.Connection) -> tuple[list[AccountState], dict[str, int]]:
            return notices.account_states(conn), views.outbox_counts(conn)

        self._reads += 1
        self._runner.read(read, done=functools.partial(self._answer, self._reads), owner=self, label="status")

    def _answer(self, asked: int, result: tuple[list[AccountState], dict[str, int]]) -> None:
        # Reads run on a pool and may finish out of order: an answer older than the one shown
        # (a read begun before a sync was recorded) must not put its stale state back.
        if asked > self._shown:
            self._shown = asked
            self._show(*result)

    def _show(self, accounts: list[AccountState], outbox: dict[str, int]) -> None:
        self.accounts, self.outbox_counts = accounts, outbox
        now = fmt.now_ms()
        enabled = [a for a in accounts if a.enabled]
        failing = [a for a in enabled if a.failing]
        synced = [a.last_sync_at for a in enabled if a.last_sync_at is not None]
        self.offline = notices.is_offline(accounts)
        parts = []
        if self.offline:
            parts.append(self.tr("Offline: no account can be reached"))
        parts.append(self.tr("%1 accounts").replace("%1", str(len(enabled))))
        if failing and not self.offline:
            parts.append(self.tr("%1 with problems").replace("%1", str(len(failing))))
        if synced:
            parts.append(self.tr("last sync %1").replace("%1", fmt.age(max(synced), now)))
        else:
            parts.append(self.tr("not synced yet"))
        self.sync.setText(" · ".join(parts))
        color = OFFLINE_COLOR if self.offline else ERROR_COLOR if failing else ""
        self.sync.setStyleSheet(f"color: {color};" if color else "")
        lines = []
        for a in enabled:
            when = fmt.when(from_millis(a.last_sync_at)) if a.last_sync_at is not None else self.tr("never")
            lines.append(
                f"{a.name or a.key} ({fmt.channel_name(a.channel)}): "
                + self.tr("last sync %1").replace("%1", when)
                + (" — " + state_text(a) if a.failing else "")
            )
        lines.append(self.tr("Click for every account's state."))
        self.sync.setToolTip("\n".join(lines))
        waiting = outbox.get("awaiting_approval", 0)
        queued = outbox.get("queued", 0) + outbox.get("sending", 0)
        failed = outbox.get("failed", 0)
        out = [self.tr("Outbox: %1 queued").replace("%1", str(queued))]
        if waiting:
            out.append(self.tr("%1 awaiting approval").replace("%1", str(waiting)))
        if failed:
            out.append(self.tr("%1 failed").replace("%1", str(failed)))
        self.outbox.setText(" · ".join(out))
        self.outbox.setStyleSheet(f"color: {ERROR_COLOR};" if failed else "")
        if self.popup is not None and self.popup.isVisible():
            self._fill_popup()

    def show_popup(self) -> AccountsPopup:
        """The accounts and their state, above the sync state."""
        if self.popup is None:
            self.popup = AccountsPopup(self)
        self._fill_popup()
        popup = self.popup
        anchor = self.sync.mapToGlobal(QPoint(0, 0))
        popup.move(max(anchor.x() + self.sync.width() - popup.width(), 0), max(anchor.y() - popup.height(), 0))
        popup.show()
        self.refresh()
        return popup

    def _fill_popup(self) -> None:
        if self.popup is None:
            return
        if self.offline:
            title = self.tr("Offline: no account can be reached (network errors)")
        else:
            failing = sum(1 for a in self.accounts if a.enabled and a.failing)
            title = (
                self.tr("%1 of %2 accounts have problems")
                .replace("%1", str(failing))
                .replace("%2", str(sum(1 for a in self.accounts if a.enabled)))
                if failing
                else self.tr("Every account syncs")
            )
        self.popup.show_states(self.accounts, title, self.outbox.text(), fmt.now_ms())

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("outbox", "problems", "accounts", "items"):
            self.refresh()

    def _on_failure(self, _task: object, error: TaskError) -> None:
        if error.kind != "refused" or error.label not in ("list rows", "list page", "counts", "status", "poll"):
            self.showMessage(error.message, 10_000)
