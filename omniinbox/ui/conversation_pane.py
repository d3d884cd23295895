"""The conversation pane: the whole thread of the item in view, its facts (status, priority, team,
assignee, SLA), and tabs for the reply composer with the outbox, the author card, the notes and the
audit trail. Everything is read in one task on the reader pool (:func:`load`) and read again when
the change feed touches it. Every text from a message is shown as plain text.

Signals:
    open_item(int): a person asked to open another item (an earlier one of the same author).
    message(str): something to tell the person (a reply was queued...).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from omniinbox import usecases
from omniinbox.core import CannedResponse, OutboxEntry, OutboxState, Team, User, from_millis, to_millis, utcnow
from omniinbox.store import hub_journal, views
from omniinbox.store.queries import ItemRow
from omniinbox.store.views import AuditRow, AuthorCard, ConversationFacts, NoteRow
from omniinbox.ui import format as fmt
from omniinbox.ui.composer import Composer
from omniinbox.ui.kol_registry import AuthorKolActions
from omniinbox.ui.models.records import Column, RecordTableModel
from omniinbox.ui.tasks import Changes, Task, TaskRunner
from omniinbox.ui.thread_view import ThreadView


@dataclass(frozen=True, slots=True)
class PaneData:
    item_id: int
    facts: ConversationFacts
    thread: list[ItemRow]
    card: AuthorCard | None
    notes: list[NoteRow]
    audit: list[AuditRow]
    outbox: list[OutboxEntry]
    canned: list[CannedResponse]
    team_mode: bool = False  # the cache replicates a team hub
    lock: hub_journal.ReplicaLock | None = None  # the hub's soft lock on the conversation, as last pulled


def load(conn: sqlite3.Connection, item_id: int, team: Team | None) -> PaneData | None:
    """Everything the pane shows for ``item_id`` (on a reader thread); ``None`` when it is gone."""
    conversation_ids = views.conversation_ids_for(conn, [item_id])
    if not conversation_ids:
        return None
    cid = conversation_ids[0]
    facts = views.conversation(conn, cid)
    if facts is None:
        return None
    return PaneData(
        item_id=item_id,
        facts=facts,
        thread=views.thread(conn, cid),
        card=views.author_card(conn, item_id),
        notes=views.notes(conn, cid),
        audit=views.conversation_audit(conn, cid),
        outbox=views.conversation_outbox(conn, cid),
        canned=views.canned_responses(conn, team),
        team_mode=hub_journal.team_mode(conn),
        lock=hub_journal.lock_of(conn, cid, now_ms=to_millis(utcnow()) or 0),
    )


def _plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class ConversationPane(QWidget):
    """See the module docstring. ``item_id`` is the item in view (``None``: nothing open)."""

    open_item = Signal(object)  # item ids are 64-bit: Signal(int) would truncate them to 32
    message = Signal(str)

    def __init__(self, runner: TaskRunner, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._user = user
        self._team: Team | None = user.team
        self.item_id: int | None = None
        self.data: PaneData | None = None
        self._task: Task | None = None
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(150)
        self._reload.timeout.connect(self._load)
        runner.changed.connect(self._on_changes)

        self.title = _plain(QLabel(self))
        self.title.setObjectName("conversation-title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.facts = _plain(QLabel(self))
        self.facts.setObjectName("conversation-facts")
        self.thread_view = ThreadView(self)

        self.composer = Composer(self)
        self.composer.send_requested.connect(self.send)
        self.composer.retry_requested.connect(self.retry)
        self.composer.cancel_requested.connect(self.cancel)
        self.composer.take_over_requested.connect(self.take_over)

        self.card = QWidget(self)
        self.card_name = _plain(QLabel(self.card))
        self.card_details = _plain(QLabel(self.card))
        self.card_details.setObjectName("author-details")
        self.earlier = RecordTableModel[ItemRow](
            [
                Column(self.tr("When"), lambda r: fmt.when(r.created_at)),
                Column(self.tr("Channel"), lambda r: fmt.channel_name(r.channel)),
                Column(self.tr("Message"), lambda r: views.excerpt(r.text, 160), lambda r: views.excerpt(r.text, 600)),
            ],
            self,
        )
        self.earlier_view = self._table(self.earlier, "earlier-items", stretch=2)
        self.earlier_view.doubleClicked.connect(self._open_earlier)
        card_layout = QVBoxLayout(self.card)
        card_layout.addWidget(self.card_name)
        card_layout.addWidget(self.card_details)
        self.kol_actions = AuthorKolActions(runner, user, self.card)  # Mark as KOL… / Same person as…
        self.kol_actions.message.connect(self.message)
        card_layout.addWidget(self.kol_actions)
        card_layout.addWidget(QLabel(self.tr("Earlier messages from this person, on any channel:"), self.card))
        card_layout.addWidget(self.earlier_view, 1)

        self.notes_tab = QWidget(self)
        self.notes = RecordTableModel[NoteRow](
            [
                Column(self.tr("When"), lambda n: fmt.when(n.created_at)),
                Column(self.tr("Who"), lambda n: n.author),
                Column(self.tr("Note"), lambda n: " ".join(n.body.split()), lambda n: n.body),
            ],
            self,
        )
        self.notes_view = self._table(self.notes, "notes", stretch=2)
        self.note_editor = QPlainTextEdit(self.notes_tab)
        self.note_editor.setObjectName("note-editor")
        self.note_editor.setPlaceholderText(self.tr("An internal note for colleagues"))
        self.note_editor.setMaximumHeight(80)
        add_note = QPushButton(self.tr("Add note"), self.notes_tab)
        add_note.setObjectName("add-note")
        add_note.clicked.connect(self.add_note)
        notes_layout = QVBoxLayout(self.notes_tab)
        notes_layout.addWidget(self.notes_view, 1)
        row = QHBoxLayout()
        row.addWidget(self.note_editor, 1)
        row.addWidget(add_note, 0, Qt.AlignmentFlag.AlignBottom)
        notes_layout.addLayout(row)

        self.audit = RecordTableModel[AuditRow](
            [
                Column(self.tr("When"), lambda a: fmt.when(a.at)),
                Column(self.tr("Who"), lambda a: a.user),
                Column(self.tr("What"), lambda a: a.action),
                Column(self.tr("On"), lambda a: a.target),
                Column(self.tr("Details"), lambda a: ", ".join(f"{k}={v}" for k, v in sorted(a.detail.items()))),
            ],
            self,
        )
        self.audit_view = self._table(self.audit, "audit", stretch=4)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("pane-tabs")
        self.tabs.addTab(self.composer, self.tr("Reply"))
        self.tabs.addTab(self.card, self.tr("Author"))
        self.tabs.addTab(self.notes_tab, self.tr("Notes"))
        self.tabs.addTab(self.audit_view, self.tr("History"))

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("pane-split")
        split.addWidget(self.thread_view)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        layout.addWidget(split, 1)
        self.show_nothing()

    def _table(self, model: RecordTableModel[Any], name: str, *, stretch: int) -> QTableView:
        view = QTableView(self)
        view.setObjectName(name)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.verticalHeader().hide()
        view.setWordWrap(False)
        view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        return view

    # ------------------------------------------------------------------ showing

    def set_team(self, team: Team | None) -> None:
        """The team the person works as (canned responses are offered per team)."""
        self._team = team

    def show_item(self, item_id: int | None) -> None:
        if item_id == self.item_id:
            return
        self.item_id = item_id
        if item_id is None:
            self.show_nothing()
            return
        self._load()

    def reload(self) -> None:
        if self.item_id is not None:
            self._reload.start()

    def show_nothing(self) -> None:
        self.data = None
        self.title.setText(self.tr("No conversation open"))
        self.facts.setText(self.tr("Choose an item in the list (j/k to move, Enter to open)."))
        self.thread_view.thread_model.set_rows([])
        self.composer.set_target("", leader=False)
        self.composer.set_outbox([])
        self.notes.set_records([])
        self.audit.set_records([])
        self.earlier.set_records([])
        self.card_name.setText("")
        self.card_details.setText("")

    def _load(self) -> None:
        item_id, team = self.item_id, self._team
        if item_id is None:
            return
        if self._task is not None:
            self._task.cancel()
        self._task = self._runner.read(
            lambda conn: load(conn, item_id, team), done=self._loaded, owner=self, label="conversation"
        )

    def _loaded(self, data: PaneData | None) -> None:
        self._task = None
        if data is None:
            if self.item_id is not None:
                self.show_nothing()
            return
        if data.item_id != self.item_id:
            return
        first_time = self.data is None or self.data.facts.id != data.facts.id
        self.data = data
        f = data.facts
        first_text = views.excerpt(data.thread[0].text, 90) if data.thread else ""
        self.title.setText(f.subject or first_text)
        self.facts.setText(self.facts_text(f))
        self.thread_view.thread_model.set_rows(data.thread)
        row = self.thread_view.thread_model.row_of(data.item_id)
        if row is not None:
            index = self.thread_view.thread_model.index(row, 0)
            self.thread_view.setCurrentIndex(index)
            if first_time:
                self.thread_view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.composer.set_target(
            f.channel,
            leader=f.is_leader_account,
            account=f.account_name,
            kind=f.kind,
            last_customer_at=from_millis(f.last_inbound_at),
        )
        self.composer.set_canned(data.canned)
        self.composer.set_outbox(data.outbox)
        other = data.lock if data.lock is not None and data.lock.holder_login != self._user.login else None
        self.composer.set_replying((other.holder_name or other.holder_login) if other else "")
        if data.team_mode:  # take (or renew) the conversation's soft lock while it is open here
            user, item_id = self._user, data.item_id
            self._runner.write(lambda c: usecases.open_for_reply(c, user, item_id), owner=self, label="reply lock")
        self.notes.set_records(data.notes)
        self.audit.set_records(data.audit)
        self._show_card(data.card)

    def facts_text(self, f: ConversationFacts) -> str:
        parts = [
            f"{fmt.channel_name(f.channel)} · {f.account_name}"
            + (f" ({self.tr('leader')})" if f.is_leader_account else ""),
            fmt.status_name(f.status),
            self.tr("priority %1").replace("%1", fmt.priority_name(f.priority)),
            fmt.team_name(f.team),
            self.tr("assigned to %1").replace("%1", f.assignee) if f.assignee else self.tr("unassigned"),
        ]
        sla = usecases.sla_state(f.sla_due_at, status=f.status, needs_answer=f.needs_answer, now_ms=fmt.now_ms())
        if sla.kind is not usecases.SlaKind.NONE:
            parts.append(self.tr("SLA: %1").replace("%1", fmt.sla_text(sla)))
        if f.snoozed_until and f.status == "snoozed":
            parts.append(self.tr("until %1").replace("%1", fmt.when(from_millis(f.snoozed_until))))
        return " · ".join(parts)

    def _show_card(self, card: AuthorCard | None) -> None:
        self.kol_actions.set_contact(card)
        if card is None:
            self.card_name.setText(self.tr("No known author (our own message, or an import without one)"))
            self.card_details.setText("")
            self.earlier.set_records([])
            return
        self.card_name.setText(" ".join(x for x in (card.name, card.handle) if x))
        details = [
            self.tr("Channels: %1").replace("%1", ", ".join(fmt.channel_name(c) for c in card.channels)),
            self.tr("Followers: %1").replace("%1", f"{card.followers:,}" if card.followers is not None else "—"),
        ]
        if card.verified:
            details.append(self.tr("Verified account"))
        if card.is_kol:
            details.append(self.tr("Key opinion leader (KOL)"))
        if card.email:
            details.append(card.email)
        if card.url:
            details.append(card.url)  # shown, never fetched
        self.card_details.setText("\n".join(details))
        self.earlier.set_records(card.earlier)

    def _open_earlier(self, index: QModelIndex) -> None:
        row = self.earlier.record(index.row())
        if row is not None:
            self.open_item.emit(row.id)

    def _on_changes(self, changes: Changes) -> None:
        if self.item_id is not None and changes.touches(
            "items", "tags", "conversations", "notes", "outbox", "audit", "contacts", "canned_responses", "locks"
        ):
            self._reload.start()

    # ------------------------------------------------------------------ actions

    def focus_reply(self) -> None:
        self.tabs.setCurrentWidget(self.composer)
        self.composer.editor.setFocus()

    def send(self, text: str, private: bool) -> None:
        item_id, user = self.item_id, self._user
        if item_id is None:
            return

        def sent(entry: OutboxEntry) -> None:
            self.composer.clear()
            if entry.state is OutboxState.AWAITING_APPROVAL:
                self.message.emit(self.tr("Reply saved; it waits for a supervisor's approval"))
            else:
                self.message.emit(self.tr("Reply queued; it is sent with the next sync"))

        self._runner.write(
            lambda cache: usecases.reply(cache, user, item_id, text, private=private),
            done=sent,
            owner=self,
            label="reply",
        )

    def take_over(self) -> None:
        item_id, user = self.item_id, self._user
        if item_id is None:
            return
        self._runner.write(
            lambda c: usecases.take_over_reply(c, user, item_id), owner=self, label="take over the reply"
        )

    def retry(self, outbox_id: int) -> None:
        user = self._user
        self._runner.write(lambda c: usecases.retry_reply(c, user, outbox_id), owner=self, label="retry reply")

    def cancel(self, outbox_id: int) -> None:
        user = self._user
        self._runner.write(lambda c: usecases.cancel_reply(c, user, outbox_id), owner=self, label="cancel reply")

    def add_note(self) -> None:
        body = self.note_editor.toPlainText()
        item_id, user = self.item_id, self._user
        if item_id is None or not body.strip():
            return
        self._runner.write(
            lambda c: usecases.add_note(c, user, [item_id], body),
            done=lambda _n: self.note_editor.clear(),
            owner=self,
            label="note",
        )
