"""The system tray icon and desktop notifications.

:class:`Tray` puts the application's icon in the tray (where the desktop has one: see
:func:`install_tray`) with a badge of unread items drawn on it and the counts in its tool tip
(unread items of the last days, the person's conversations waiting for an answer, issues that
must be answered), and a menu: show the window, open the Needs answer queue, quit.

It shows a desktop notification (``QSystemTrayIcon.showMessage``) when a conversation is newly
assigned to the person at the desk by someone else, when an issue must be answered (supervisors
and administrators), and when a reply could not be sent (the person's own; a supervisor's: any),
each once, and each switchable in the settings (:data:`NOTIFY_ASSIGNED_KEY`,
:data:`NOTIFY_MUST_ANSWER_KEY`, :data:`NOTIFY_FAILED_SENDS_KEY`). It learns of changes through
``runner.changed`` and reads only what came after its marks (:mod:`omniinbox.store.notices`),
on the reader pool; the counts are read at most every :data:`COUNT_EVERY_MS`.

Text from the cache (names, messages) is shown as plain text: notification servers that read
markup get none (angle brackets are replaced).

Signals:
    notified(str, str, str): a notification was shown (kind, title, text).
"""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QObject, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from omniinbox.core import User
from omniinbox.store import notices
from omniinbox.store.notices import Marks, Notice, TrayCounts
from omniinbox.ui import format as fmt
from omniinbox.ui.settings_dialog import (
    NOTIFY_ASSIGNED_KEY,
    NOTIFY_FAILED_SENDS_KEY,
    NOTIFY_MUST_ANSWER_KEY,
    notify_enabled,
)
from omniinbox.ui.tasks import Changes, TaskRunner
from omniinbox.usecases import is_supervisor

COUNT_EVERY_MS = 2000
INITIAL_COUNT_DELAY_MS = 500
MESSAGE_MS = 10_000
MAX_SHOWN_AT_ONCE = 3  # more than that in one look: one summary notification
ICON_SIZE = 64

NOTIFY_MENTIONED_KEY = "notify/mentioned"  # on unless turned off (no settings page yet)
SETTING_OF_KIND = {
    notices.MENTIONED: NOTIFY_MENTIONED_KEY,
    notices.ASSIGNED: NOTIFY_ASSIGNED_KEY,
    notices.MUST_ANSWER: NOTIFY_MUST_ANSWER_KEY,
    notices.FAILED_SEND: NOTIFY_FAILED_SENDS_KEY,
}


def plain(text: str) -> str:
    """Text that no notification server can read as markup."""
    return text.replace("<", "‹").replace(">", "›")


def badge_text(count: int, capped: bool = False) -> str:
    if count <= 0:
        return ""
    return "99+" if capped or count > 99 else str(count)


def badged_icon(base: QIcon, text: str, size: int = ICON_SIZE) -> QIcon:
    """``base`` with ``text`` in a red disc at its top right (``base`` itself when ``text`` is empty)."""
    if not text:
        return base
    pixmap = base.pixmap(size, size) if not base.isNull() else QPixmap(size, size)
    if base.isNull():
        pixmap.fill(QColor("#3d6fb6"))
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        disc = int(size * (0.62 if len(text) > 2 else 0.5))
        rect = QRect(size - disc, 0, disc, disc)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#d32f2f"))
        painter.drawEllipse(rect)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(int(disc * (0.42 if len(text) > 2 else 0.55)), 6))
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """See the module docstring. Attributes: ``icon`` (the ``QSystemTrayIcon``), ``menu``,
    ``show_action``, ``needs_answer_action``, ``quit_action``, ``counts`` (the last
    :class:`TrayCounts`), ``shown`` (the notifications shown: kind, title, text)."""

    notified = Signal(str, str, str)

    def __init__(
        self,
        runner: TaskRunner,
        user: User,
        window: QWidget | None = None,
        settings: QSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._user = user
        self._window = window
        self._settings = settings
        self._supervisor = is_supervisor(user)
        self._marks: Marks | None = None
        self._looking = False
        self._look_again = False
        self._seen: set[str] = set()
        self.shown: list[tuple[str, str, str]] = []
        self.counts: TrayCounts | None = None
        self._counting = False

        app = QApplication.instance()
        self._base_icon = app.windowIcon() if isinstance(app, QApplication) else QIcon()
        self.icon = QSystemTrayIcon(self._base_icon, self)
        self.icon.setToolTip(self.tr("OmniInbox"))
        self.menu = QMenu()
        self.menu.setObjectName("tray-menu")
        self.show_action = QAction(self.tr("Show OmniInbox"), self)
        self.show_action.triggered.connect(self.show_window)
        self.needs_answer_action = QAction(self.tr("Needs answer"), self)
        self.needs_answer_action.triggered.connect(self.show_needs_answer)
        self.quit_action = QAction(self.tr("Quit"), self)
        self.quit_action.triggered.connect(QApplication.quit)
        self.menu.addAction(self.show_action)
        self.menu.addAction(self.needs_answer_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self.show_window)

        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_EVERY_MS)
        self._count_timer.timeout.connect(self.refresh_counts)
        runner.changed.connect(self._on_changes)
        runner.read(notices.marks, done=self._start_marks, owner=self, label="tray marks")
        QTimer.singleShot(INITIAL_COUNT_DELAY_MS, self, self.refresh_counts)

    def close(self) -> None:
        """Take the icon out of the tray and let the menu go (it has no parent widget)."""
        self.icon.hide()
        self.menu.deleteLater()

    # ------------------------------------------------------------------ menu

    def show_window(self) -> None:
        window = self._window
        if window is None:
            return
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    def show_needs_answer(self) -> None:
        self.show_window()
        sidebar = getattr(self._window, "sidebar", None)
        if sidebar is not None:
            sidebar.select("queue:needs_answer")

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_window()

    # ------------------------------------------------------------------ counts

    def refresh_counts(self) -> None:
        if self._counting:
            self._count_timer.start()
            return
        self._counting = True
        user_id = self._user.id

        def count(conn: sqlite3.Connection) -> TrayCounts:
            return notices.tray_counts(conn, user_id, fmt.now_ms())

        def failed(_error: object) -> None:
            self._counting = False

        self._runner.read(count, done=self._show_counts, failed=failed, owner=self, label="tray counts")

    def _show_counts(self, counts: TrayCounts) -> None:
        self._counting = False
        self.counts = counts
        unread = fmt.count(counts.unread) + ("+" if counts.unread_capped else "")
        lines = [
            self.tr("OmniInbox"),
            self.tr("%1 unread in the last %2 days").replace("%1", unread).replace("%2", str(notices.UNREAD_DAYS)),
            self.tr("%1 of yours waiting for an answer").replace("%1", fmt.count(counts.waiting)),
        ]
        if counts.must_answer:
            lines.append(self.tr("%1 issues must be answered").replace("%1", fmt.count(counts.must_answer)))
        self.icon.setToolTip("\n".join(lines))
        self.icon.setIcon(badged_icon(self._base_icon, badge_text(counts.unread, counts.unread_capped)))
        self.needs_answer_action.setText(
            self.tr("Needs answer (%1 of yours)").replace("%1", fmt.count(counts.waiting))
            if counts.waiting
            else self.tr("Needs answer")
        )

    # ------------------------------------------------------------------ notifications

    def _start_marks(self, marks: Marks) -> None:
        if self._marks is None:
            self._marks = marks
            if self._look_again:
                self.look()

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("audit", "issue_notifications", "outbox"):
            self.look()
        if changes.touches("items", "conversations", "issues", "tags") and not self._count_timer.isActive():
            self._count_timer.start()

    def look(self) -> None:
        """Read what happened after the marks (one look at a time; another follows if asked meanwhile)."""
        if self._marks is None or self._looking:
            self._look_again = True
            return
        self._looking = True
        self._look_again = False
        before, user_id, supervisor = self._marks, self._user.id, self._supervisor
        wanted = tuple(kind for kind, key in SETTING_OF_KIND.items() if notify_enabled(self._settings, key))

        def read(conn: sqlite3.Connection) -> tuple[list[Notice], Marks]:
            return notices.notices_since(conn, before, user_id=user_id, supervisor=supervisor, kinds=wanted)

        def failed(_error: object) -> None:
            self._looking = False

        self._runner.read(read, done=lambda r: self._found(*r), failed=failed, owner=self, label="tray notices")

    def _found(self, found: list[Notice], marks: Marks) -> None:
        self._looking = False
        self._marks = marks
        fresh = [n for n in found if n.key not in self._seen]
        self._seen.update(n.key for n in fresh)
        # switched off since the look started: still not shown
        fresh = [n for n in fresh if notify_enabled(self._settings, SETTING_OF_KIND[n.kind])]
        if len(fresh) > MAX_SHOWN_AT_ONCE:
            self._show(
                fresh[-1].kind, self.tr("OmniInbox"), self.tr("%1 new notifications").replace("%1", str(len(fresh)))
            )
        else:
            for notice in fresh:
                self._show(notice.kind, *self._words(notice))
        if self._look_again:
            self.look()

    def _words(self, notice: Notice) -> tuple[str, str]:
        if notice.kind == notices.MENTIONED:
            return self.tr("%1 mentioned you in a note").replace("%1", notice.title or self.tr("Someone")), notice.text
        if notice.kind == notices.ASSIGNED:
            title = self.tr("Assigned to you: %1").replace("%1", notice.title or self.tr("a conversation"))
            return title, notice.text
        if notice.kind == notices.MUST_ANSWER:
            title = self.tr("An issue must be answered")
            if notice.title:
                title += ": " + notice.title
            return title, notice.text
        title = self.tr("A reply could not be sent")
        if notice.title:
            title += " (" + notice.title + ")"
        return title, notice.text

    def _show(self, kind: str, title: str, text: str) -> None:
        title, text = plain(title), plain(text)
        self.shown.append((kind, title, text))
        icon = (
            QSystemTrayIcon.MessageIcon.Warning
            if kind in (notices.FAILED_SEND, notices.MUST_ANSWER)
            else QSystemTrayIcon.MessageIcon.Information
        )
        if self.icon.isVisible():
            self.icon.showMessage(title, text, icon, MESSAGE_MS)
        self.notified.emit(kind, title, text)


def install_tray(
    runner: TaskRunner, user: User, window: QWidget | None, settings: QSettings | None = None
) -> Tray | None:
    """A shown :class:`Tray` where the desktop has a system tray; ``None`` where it has none."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = Tray(runner, user, window, settings)
    tray.icon.show()
    return tray
