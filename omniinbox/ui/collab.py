"""Saved searches, @mentions and "Create ticket…", wired into the main window.

* :class:`MentionSource`: the "Mentions" queue as an item list source
  (:func:`omniinbox.store.mentions.mention_item_ids`).
* :class:`MentionCompleter`: typing ``@`` in a note editor offers the users of the cache.
* :class:`Collab` (installed by :func:`install`): Ctrl+S in the search field (or the "Save search"
  button) saves the search under a name; the side bar's "Saved searches" run, rename and delete
  them; "Create ticket…" (Item menu and the lists' context menu) asks for a helpdesk account, a
  subject and the text, and queues the ticket (:func:`omniinbox.usecases.create_ticket`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, QStringListModel, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QStyle,
    QWidget,
)

from omniinbox import usecases
from omniinbox.store import mentions, saved_searches, tickets, views
from omniinbox.store.saved_searches import SavedSearch
from omniinbox.ui import format as fmt

if TYPE_CHECKING:
    from omniinbox.ui.main_window import MainWindow


@dataclass(frozen=True, slots=True)
class MentionSource:
    """Items of the conversations where ``user_id`` was mentioned, newest first."""

    user_id: int

    def page(self, conn: sqlite3.Connection, before_id: int | None, limit: int) -> list[int]:
        return mentions.mention_item_ids(conn, self.user_id, before_id=before_id, limit=limit)

    def newer(self, conn: sqlite3.Connection, after_id: int | None, limit: int) -> list[int] | None:
        return mentions.mention_item_ids(conn, self.user_id, after_id=after_id, limit=limit)

    def matching(self, conn: sqlite3.Connection, ids: Sequence[int]) -> set[int]:
        return mentions.matching(conn, self.user_id, ids)


class MentionCompleter(QObject):
    """Offers ``@login`` completions in a plain text editor as the person types after ``@``."""

    def __init__(self, editor: QPlainTextEdit, runner: Any) -> None:
        super().__init__(editor)
        self._editor = editor
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setWidget(editor)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated.connect(self._insert)
        editor.textChanged.connect(self._typed)
        runner.read(views.users, done=self._users, owner=self, label="users")

    def _users(self, users: list[Any]) -> None:
        self.model.setStringList(sorted(u.login for u in users))

    def _word(self) -> str | None:
        cursor = self._editor.textCursor()
        text = self._editor.toPlainText()[: cursor.position()]
        at = text.rfind("@")
        if at < 0 or (at > 0 and (text[at - 1].isalnum() or text[at - 1] in "._")):
            return None
        word = text[at + 1 :]
        return word if all(ch.isalnum() or ch in "._-" for ch in word) else None

    def _hide(self) -> None:
        popup = self.completer.popup()
        if popup is not None:
            popup.hide()

    def _typed(self) -> None:
        word = self._word()
        if word is None:
            self._hide()
            return
        self.completer.setCompletionPrefix(word)
        if self.completer.completionCount() == 0:
            self._hide()
            return
        rect = self._editor.cursorRect()
        rect.setWidth(220)
        self.completer.complete(rect)

    def _insert(self, login: str) -> None:
        word = self._word() or ""
        cursor = self._editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(word))
        cursor.insertText(login + " ")
        self._editor.setTextCursor(cursor)


class TicketDialog(QDialog):
    """Asks for a helpdesk account, a subject and the text of a new ticket."""

    def __init__(self, accounts: list[tuple[int, str, str]], draft: tickets.TicketDraft, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("ticket-dialog")
        self.setWindowTitle(self.tr("Create ticket"))
        self.account = QComboBox(self)
        for account_id, channel, name in accounts:
            shown = fmt.channel_name(channel)
            self.account.addItem(name if shown.lower() in name.lower() else f"{name} ({shown})", account_id)
        self.subject = QLineEdit(draft.subject, self)
        self.subject.setCursorPosition(0)
        self.text = QPlainTextEdit(self)
        self.text.setPlainText(draft.body)  # plain text: the complaint is untrusted
        self.text.setMinimumSize(480, 180)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Create ticket"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Helpdesk account:"), self.account)
        form.addRow(self.tr("Subject:"), self.subject)
        form.addRow(self.tr("Text:"), self.text)
        hint = QLabel(
            self.tr(
                "The ticket is created on the helpdesk when the outbox sends it; this conversation goes to the"
                " contact center, and a note on each names the other."
            ),
            self,
        )
        hint.setWordWrap(True)
        hint.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(hint)
        form.addRow(buttons)


class Collab(QObject):
    """See the module docstring."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.runner = window.runner
        self.user = window.user
        self.searches: dict[int, SavedSearch] = {}
        save = QShortcut(QKeySequence("Ctrl+S"), window.search_field)
        save.setContext(Qt.ShortcutContext.WidgetShortcut)
        save.activated.connect(self.ask_save)
        icon = window.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
        self.save_action = QAction(icon, self.tr("Save search…"), window)
        self.save_action.setObjectName("save-search")
        self.save_action.setToolTip(self.tr("Save this search and its queue under a name (Ctrl+S in the search field)"))
        self.save_action.triggered.connect(self.ask_save)
        window.search_field.addAction(self.save_action, QLineEdit.ActionPosition.TrailingPosition)
        self.ticket_action = QAction(self.tr("Create ticket…"), window)
        self.ticket_action.setObjectName("create-ticket")
        self.ticket_action.triggered.connect(self.ask_ticket)
        opening = window.shortcuts.action("open")
        for top in window.menuBar().actions():
            menu = top.menu()
            if isinstance(menu, QMenu) and opening in menu.actions():
                menu.addSeparator()
                menu.addAction(self.ticket_action)
        for panel in window.panels():
            panel.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            panel.view.customContextMenuRequested.connect(lambda pos, v=panel.view: self._list_menu(v, pos))
        sidebar = window.sidebar
        sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        sidebar.saved_search_chosen.connect(self.run_search)
        sidebar.mentions_chosen.connect(self.show_mentions)
        self.mention_completer = MentionCompleter(window.pane.note_editor, self.runner)
        self.runner.changed.connect(self._on_changes)
        self.refresh()

    # ------------------------------------------------------------------ saved searches

    def _on_changes(self, changes: Any) -> None:
        if changes.touches("saved_searches"):
            self.refresh()

    def refresh(self) -> None:
        user_id = self.user.id

        def loaded(found: list[SavedSearch]) -> None:
            self.searches = {s.id: s for s in found}
            self.window.sidebar.set_saved_searches([(s.id, s.name) for s in found])

        self.runner.read(lambda conn: saved_searches.saved_searches(conn, user_id), done=loaded, owner=self,
                         label="saved searches")  # fmt: skip

    def ask_save(self) -> None:
        query = self.window.search_field.text().strip()
        flt = self.window.inbox.filter
        name, ok = QInputDialog.getText(self.window, self.tr("Save search"), self.tr("Name:"), text=query)
        if ok and name.strip():
            self.save(name, query, flt)

    def save(self, name: str, query: str, flt: views.ListFilter) -> None:
        user = self.user
        self.runner.write(
            lambda c: usecases.save_search(c, user, name, query, flt),
            done=lambda s: self.window.say(self.tr("Search saved as “%1”").replace("%1", s.name)),
            label="save search",
        )

    def run_search(self, search_id: int) -> None:
        search = self.searches.get(search_id)
        if search is None:
            return
        self.window.show_filter(search.filter)
        self.window.search_field.setText(search.query)
        self.window.inbox.search(search.query)

    def show_mentions(self) -> None:
        window = self.window
        window.middle.setCurrentWidget(window.tabs)
        window.tabs.setCurrentWidget(window.inbox)
        window.search_field.clear()
        window.inbox.model.set_source(MentionSource(self.user.id))

    def _sidebar_menu(self, pos: QPoint) -> None:
        entry = self.window.sidebar.nav.entry(self.window.sidebar.indexAt(pos))
        if entry is None or not entry.key.startswith("saved:"):
            return
        search_id = int(entry.key.partition(":")[2])
        menu = QMenu(self.window.sidebar)
        menu.addAction(self.tr("Open")).triggered.connect(lambda: self.run_search(search_id))
        menu.addAction(self.tr("Rename…")).triggered.connect(lambda: self.ask_rename(search_id))
        menu.addAction(self.tr("Delete")).triggered.connect(lambda: self.delete(search_id))
        menu.popup(self.window.sidebar.viewport().mapToGlobal(pos))

    def ask_rename(self, search_id: int) -> None:
        search = self.searches.get(search_id)
        if search is None:
            return
        name, ok = QInputDialog.getText(self.window, self.tr("Rename saved search"), self.tr("Name:"), text=search.name)
        if ok and name.strip():
            user = self.user
            self.runner.write(lambda c: usecases.rename_search(c, user, search_id, name), label="rename search")

    def delete(self, search_id: int) -> None:
        user = self.user
        self.runner.write(lambda c: usecases.delete_search(c, user, search_id), label="delete search")

    # ------------------------------------------------------------------ tickets

    def _list_menu(self, view: QWidget, pos: QPoint) -> None:
        menu = QMenu(view)
        menu.addAction(self.ticket_action)
        menu.popup(view.mapToGlobal(pos))

    def ask_ticket(self) -> None:
        ids = self.window.selected_item_ids()
        if not ids:
            self.window.say(self.tr("Nothing is selected"))
            return
        item_id = ids[0]

        def load(conn: sqlite3.Connection) -> tuple[list[tuple[int, str, str]], tickets.TicketDraft | None]:
            return tickets.helpdesk_accounts(conn), tickets.draft_for(conn, item_id)

        self.runner.read(load, done=lambda r: self._ticket_dialog(item_id, *r), owner=self, label="ticket draft")

    def _ticket_dialog(
        self, item_id: int, accounts: list[tuple[int, str, str]], draft: tickets.TicketDraft | None
    ) -> None:
        if draft is None:
            return
        if not accounts:
            self.window.say(self.tr("There is no Zendesk, Freshdesk or Zammad account to create a ticket on"))
            return
        dialog = TicketDialog(accounts, draft, self.window)
        self.dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        account_id = int(dialog.account.currentData())
        subject, body, user = dialog.subject.text(), dialog.text.toPlainText(), self.user
        self.runner.write(
            lambda c: usecases.create_ticket(c, user, item_id, account_id, subject, body),
            done=lambda _e: self.window.say(self.tr("Ticket queued; the conversation went to the contact center")),
            label="create ticket",
        )


def install(window: MainWindow) -> Collab:
    return Collab(window)
