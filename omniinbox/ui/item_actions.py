"""Actions on the selected items of the active list: tag Promote/Protect (as the panel's team, or
the person's), assign, escalate, status, priority, label, note, hand-off, mark read. Each runs as
a use case on the task runner's writer thread (one transaction each, audited by the store) and
says what it did through :attr:`ItemActions.message`.

The methods taking explicit values (``assign_to``, ``note``, ``handoff_to``...) do the work; the
``ask_*`` methods first ask the person (a menu or a dialog), as the keyboard shortcuts do.

Signals:
    message(str): what an action did, for the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, QObject, Signal
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from omniinbox import usecases
from omniinbox.core import ConversationStatus, Priority, TagValue, Team, User
from omniinbox.store import views
from omniinbox.store.cache import Cache
from omniinbox.ui import format as fmt
from omniinbox.ui.tasks import Task, TaskRunner


class ItemActions(QObject):
    """See the module docstring. ``selection()`` gives the item ids to act on and ``team()`` the
    team of the list they are in (``None``: the person's working team)."""

    message = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        user: User,
        selection: Callable[[], list[int]],
        team: Callable[[], Team | None],
        working_team: Callable[[], Team],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._user = user
        self._selection = selection
        self._team = team
        self._working_team = working_team
        self._parent = parent
        self.menu: QMenu | None = None  # the last menu shown (tests look at it)

    def _run(
        self,
        label: str,
        fn: Callable[[Cache, list[int]], Any],
        said: Callable[[Any, int], str],
        ids: list[int] | None = None,
    ) -> Task | None:
        ids = ids if ids is not None else self._selection()
        if not ids:
            self.message.emit(self.tr("Nothing is selected"))
            return None
        return self._runner.write(
            lambda cache: fn(cache, ids), done=lambda result: self.message.emit(said(result, len(ids))), label=label
        )

    def tag_team(self) -> Team:
        return self._team() or self._working_team()

    # ------------------------------------------------------------------ judgements

    def tag(self, value: TagValue, team: Team | None = None) -> Task | None:
        team = team or self.tag_team()
        user = self._user

        def said(changed: int, n: int) -> str:
            return (
                self.tr("%1: %2 on %3 items changed")
                .replace("%1", fmt.team_name(team.value))
                .replace("%2", fmt.tag_name(value.value))
                .replace("%3", str(changed))
            )

        return self._run("tag", lambda c, ids: usecases.tag(c, user, ids, team, value), said)

    def promote(self) -> Task | None:
        return self.tag(TagValue.PROMOTE)

    def protect(self) -> Task | None:
        return self.tag(TagValue.PROTECT)

    # ------------------------------------------------------------------ conversations

    def assign_to(self, assignee_id: int | None) -> Task | None:
        user = self._user
        return self._run(
            "assign",
            lambda c, ids: usecases.assign(c, user, ids, assignee_id),
            lambda n, _k: self.tr("%1 conversations assigned").replace("%1", str(n)),
        )

    def ask_assign(self) -> None:
        """A menu of people (me first), then assign."""

        def show(people: list[User]) -> None:
            menu = QMenu(self._parent)
            menu.setObjectName("assign-menu")
            me = menu.addAction(self.tr("Assign to me"))
            me.triggered.connect(lambda: self.assign_to(self._user.id))
            menu.addSeparator()
            for person in people:
                if person.id == self._user.id:
                    continue
                role = person.team.value if person.team else person.role.value
                action = QAction(f"{person.name} ({fmt.team_name(role)})", menu)
                action.triggered.connect(lambda _checked=False, pid=person.id: self.assign_to(pid))
                menu.addAction(action)
            menu.addSeparator()
            menu.addAction(self.tr("Unassign")).triggered.connect(lambda: self.assign_to(None))
            self.menu = menu
            menu.popup(QCursor.pos())

        self._runner.read(views.users, done=show, owner=self, label="people")

    def escalate(self) -> Task | None:
        user = self._user

        def said(result: usecases.Escalation, _n: int) -> str:
            if result.supervisor is None:
                return self.tr("Priority raised; there is no supervisor to hand it to")
            return self.tr("Escalated to %1").replace("%1", result.supervisor.name)

        return self._run("escalate", lambda c, ids: usecases.escalate(c, user, ids), said)

    def set_status(self, status: ConversationStatus, until: datetime | None = None) -> Task | None:
        user = self._user
        return self._run(
            "status",
            lambda c, ids: usecases.set_status(c, user, ids, status, until=until),
            lambda n, _k: (
                self.tr("%1 conversations now %2").replace("%1", str(n)).replace("%2", fmt.status_name(status.value))
            ),
        )

    def close(self) -> Task | None:
        return self.set_status(ConversationStatus.CLOSED)

    def ask_snooze(self) -> None:
        dialog = QDialog(self._parent)
        dialog.setWindowTitle(self.tr("Snooze until"))
        edit = QDateTimeEdit(QDateTime.currentDateTime().addSecs(4 * 3600), dialog)
        edit.setCalendarPopup(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(self.tr("Wake the conversation up at:"), dialog))
        layout.addWidget(edit)
        layout.addWidget(buttons)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            until = datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), UTC)
            self.set_status(ConversationStatus.SNOOZED, until)

    def snooze_for(self, delta: timedelta) -> Task | None:
        return self.set_status(ConversationStatus.SNOOZED, datetime.now(UTC) + delta)

    def set_priority(self, priority: Priority) -> Task | None:
        user = self._user
        return self._run(
            "priority",
            lambda c, ids: usecases.set_priority(c, user, ids, priority),
            lambda n, _k: (
                self.tr("%1 conversations now %2 priority")
                .replace("%1", str(n))
                .replace("%2", fmt.priority_name(int(priority)))
            ),
        )

    def label(self, name: str) -> Task | None:
        user = self._user
        return self._run(
            "label",
            lambda c, ids: usecases.add_label(c, user, ids, name),
            lambda n, _k: self.tr("Label “%1” added to %2 items").replace("%1", name).replace("%2", str(n)),
        )

    def ask_label(self) -> None:
        name, ok = QInputDialog.getText(self._parent, self.tr("Label"), self.tr("Label for the selected items:"))
        if ok and name.strip():
            self.label(name.strip())

    def note(self, body: str) -> Task | None:
        user = self._user
        return self._run(
            "note",
            lambda c, ids: usecases.add_note(c, user, ids, body),
            lambda n, _k: self.tr("Note added to %1 conversations").replace("%1", str(n)),
        )

    def ask_note(self) -> None:
        body = self._ask_text(self.tr("Note"), self.tr("A note for colleagues, on each selected conversation:"))
        if body:
            self.note(body)

    def handoff_to(self, team: Team, note: str) -> Task | None:
        user = self._user
        return self._run(
            "handoff",
            lambda c, ids: usecases.handoff(c, user, ids, team, note),
            lambda n, _k: (
                self.tr("%1 conversations handed to %2").replace("%1", str(n)).replace("%2", fmt.team_name(team.value))
            ),
        )

    def ask_handoff(self) -> None:
        other = Team.CONTACT_CENTER if self.tag_team() is Team.SOCIAL else Team.SOCIAL
        body = self._ask_text(
            self.tr("Hand off to %1").replace("%1", fmt.team_name(other.value)),
            self.tr("Why should %1 take it? (the note goes with it)").replace("%1", fmt.team_name(other.value)),
        )
        if body:
            self.handoff_to(other, body)

    def mark_read(self, read: bool, item_ids: list[int] | None = None) -> Task | None:
        """Mark the selection (or ``item_ids``) read or unread."""
        user = self._user
        return self._run(
            "read",
            lambda c, ids: usecases.mark_read(c, user, ids, read),
            lambda n, _k: (self.tr("%1 marked read") if read else self.tr("%1 marked unread")).replace("%1", str(n)),
            item_ids,
        )

    def _ask_text(self, title: str, prompt: str) -> str:
        dialog = QDialog(self._parent)
        dialog.setWindowTitle(title)
        editor = QPlainTextEdit(dialog)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(prompt, dialog))
        layout.addWidget(editor)
        layout.addWidget(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return ""
        return editor.toPlainText().strip()
