"""The status bar: sync state per account (last sync, problems since; details in the tool tip),
outbox counts (awaiting approval, queued, failed), and whether work is under way. Read on the
reader pool when the change feed touches them, and every half minute for the ages."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from omniinbox.store import views
from omniinbox.store.views import AccountStatus
from omniinbox.ui import format as fmt
from omniinbox.ui.tasks import Changes, TaskError, TaskRunner

REFRESH_MS = 30_000


class StatusBar(QStatusBar):
    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status-bar")
        self._runner = runner
        self.busy = QLabel(self)
        self.busy.setObjectName("busy")
        self.sync = QLabel(self)
        self.sync.setObjectName("sync-state")
        self.outbox = QLabel(self)
        self.outbox.setObjectName("outbox-counts")
        self.addPermanentWidget(self.busy)
        self.addPermanentWidget(self.sync)
        self.addPermanentWidget(self.outbox)
        self.accounts: list[AccountStatus] = []
        self.outbox_counts: dict[str, int] = {}
        runner.changed.connect(self._on_changes)
        runner.busy_changed.connect(lambda busy: self.busy.setText(self.tr("Working…") if busy else ""))
        runner.task_failed.connect(self._on_failure)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        QTimer.singleShot(200, self, self.refresh)  # after the list's first page

    def refresh(self) -> None:
        def read(conn: sqlite3.Connection) -> tuple[list[AccountStatus], dict[str, int]]:
            return views.account_status(conn), views.outbox_counts(conn)

        self._runner.read(read, done=lambda r: self._show(*r), owner=self, label="status")

    def _show(self, accounts: list[AccountStatus], outbox: dict[str, int]) -> None:
        self.accounts, self.outbox_counts = accounts, outbox
        enabled = [a for a in accounts if a.enabled]
        failing = [a for a in enabled if a.failing]
        synced = [a.last_sync_at for a in enabled if a.last_sync_at is not None]
        parts = [self.tr("%1 accounts").replace("%1", str(len(enabled)))]
        if failing:
            parts.append(self.tr("%1 with problems").replace("%1", str(len(failing))))
        if synced:
            ago = fmt.age(int(max(synced).timestamp() * 1000), fmt.now_ms())
            parts.append(self.tr("last sync %1").replace("%1", ago))
        else:
            parts.append(self.tr("not synced yet"))
        self.sync.setText(" · ".join(parts))
        self.sync.setStyleSheet("color: #d32f2f;" if failing else "")
        lines = []
        for a in enabled:
            when = fmt.when(a.last_sync_at) if a.last_sync_at else self.tr("never")
            line = f"{a.name or a.key} ({fmt.channel_name(a.channel)}): " + self.tr("last sync %1").replace("%1", when)
            if a.failing:
                line += " — " + self.tr("%1 problems, last: %2").replace("%1", str(a.problems)).replace(
                    "%2", a.last_problem
                )
            lines.append(line)
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
        self.outbox.setStyleSheet("color: #d32f2f;" if failed else "")

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("outbox", "problems", "accounts", "items"):
            self.refresh()

    def _on_failure(self, _task: object, error: TaskError) -> None:
        if error.kind != "refused" or error.label not in ("list rows", "list page", "counts", "status", "poll"):
            self.showMessage(error.message, 10_000)
