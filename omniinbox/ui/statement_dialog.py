"""One answer, every channel: the statement of a must-answer issue, written once.

The dialog shows, as the text is typed, how it will read on each channel and account the issue
lives on (each channel's length limit and rules, :func:`omniinbox.triage.statement.adapt`), then
follows the statement through its states (:mod:`omniinbox.triage.statement`): a draft that waits
for a supervisor (saving it is the request), approved by a supervisor or an administrator, then
fanned out through the outbox, one reply per channel and account, with each reply's progress
(queued, sent, failed with the reason) read again whenever the outbox changes.

Signals (of :class:`StatementDialog`):
    message(str): a status bar message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from omniinbox.core import User
from omniinbox.store import issues as issue_store
from omniinbox.store.cache import Cache
from omniinbox.triage import radar
from omniinbox.triage.radar import IssueDetail
from omniinbox.triage.statement import APPROVERS, adapt, progress_summary
from omniinbox.ui import format as fmt
from omniinbox.ui.tasks import Changes, TaskError, TaskRunner
from omniinbox.usecases import character_count, character_limit, reply_problem

T = TypeVar("T")
PREVIEW_DELAY_MS = 150
LIVE_STATES = ("draft", "approved", "fanned_out")
FAILED_COLOR = "#d32f2f"
SENT_COLOR = "#2e7d32"


def tr(text: str) -> str:
    return QCoreApplication.translate("StatementDialog", text)


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """How the statement reads on one account."""

    account_id: int
    account: str
    channel: str
    leader: bool
    limit: int | None
    text: str
    characters: int
    shortened: bool
    problem: str | None


def preview(body: str, accounts: list[dict[str, Any]], *, short_body: str = "", link: str = "") -> list[PreviewRow]:
    """The statement adapted to each account the issue lives on (``accounts``: the issue's
    context measure, ``{"id", "key", "name", "channel", "leader"}``), the ones it changes for first."""
    rows = []
    for a in sorted(accounts, key=lambda a: (str(a.get("channel", "")), str(a.get("key", "")))):
        channel = str(a.get("channel", ""))
        limit = character_limit(channel)
        text = adapt(body, limit, short_body=short_body, link=link)
        rows.append(
            PreviewRow(
                int(a.get("id", 0)),
                str(a.get("name") or a.get("key") or ""),
                channel,
                bool(a.get("leader")),
                limit,
                text,
                character_count(text, channel),
                text != body.strip(),
                reply_problem(text, channel) if text else None,
            )
        )
    # the channels that change it first: that is what to read before approving
    return sorted(rows, key=lambda r: (not (r.shortened or r.problem), r.channel, r.account))


def outbox_state_text(reply: issue_store.StatementReplyRow) -> str:
    if reply.state is None:
        return tr("planned")
    text = fmt.outbox_state_name(reply.state)
    if reply.state == "failed" and reply.last_error:
        text += ": " + reply.last_error
    return text


@dataclass(frozen=True, slots=True)
class StatementSnapshot:
    detail: IssueDetail
    statement: issue_store.StatementRow | None
    replies: list[issue_store.StatementReplyRow]
    names: dict[int, str]  # account id -> name
    users: dict[int, str]  # user id -> name


def read_statement(conn: sqlite3.Connection, issue_id: int) -> StatementSnapshot | None:
    detail = radar.issue(conn, issue_id)
    if detail is None:
        return None
    live = [s for s in detail.statements if s.state in LIVE_STATES]
    statement = live[-1] if live else None
    replies = issue_store.statement_replies(conn, statement.id) if statement is not None else []
    names = {a.id: a.name or a.key for a in issue_store.account_facts(conn).values()}
    users = dict(conn.execute("SELECT id, name FROM users"))
    return StatementSnapshot(detail, statement, replies, names, users)


class StatementDialog(QDialog):
    """See the module docstring. Attributes: ``body``, ``short_body``, ``link`` (the editors),
    ``preview_table``, ``progress_table``, ``snapshot`` (the last read), ``statement_id``."""

    message = Signal(str)

    def __init__(self, runner: TaskRunner, user: User, issue_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statement-dialog")
        self.setWindowTitle(tr("Statement for every channel"))
        self.setModal(False)
        self._runner = runner
        self.user = user
        self.issue_id = issue_id
        self.snapshot: StatementSnapshot | None = None
        self._generation = 0
        self._loaded_text = False

        self.heading = QLabel(self)
        self.heading.setObjectName("statement-issue")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.reason = QLabel(self)
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setWordWrap(True)

        self.body = QPlainTextEdit(self)
        self.body.setObjectName("statement-body")
        self.body.setPlaceholderText(tr("The statement, in full (mail and tickets get it whole)"))
        self.short_body = QPlainTextEdit(self)
        self.short_body.setObjectName("statement-short")
        self.short_body.setPlaceholderText(tr("Optional: a short version for channels with a length limit"))
        self.short_body.setMaximumHeight(56)
        self.body.setMinimumHeight(80)
        self.link = QLineEdit(self)
        self.link.setObjectName("statement-link")
        self.link.setPlaceholderText(tr("Optional: a link to the full statement, added where the text is cut"))
        self.counter = QLabel(self)
        self.counter.setObjectName("statement-count")
        form = QFormLayout()
        form.addRow(tr("Statement:"), self.body)
        form.addRow(tr("Short version:"), self.short_body)
        form.addRow(tr("Link:"), self.link)
        form.addRow("", self.counter)
        editor = QGroupBox(tr("One text"), self)
        editor.setLayout(form)

        self.preview_table = QTableWidget(0, 6, self)
        self.preview_table.setObjectName("statement-preview")
        self.preview_table.setHorizontalHeaderLabels(
            [tr("Channel"), tr("Account"), tr("Limit"), tr("Characters"), tr("As it will read"), tr("Note")]
        )
        self._table(self.preview_table, stretch=4)
        for column, width in ((0, 90), (1, 170), (2, 70), (3, 80), (5, 150)):
            self.preview_table.setColumnWidth(column, width)
        preview_box = QGroupBox(tr("How each channel gets it"), self)
        QVBoxLayout(preview_box).addWidget(self.preview_table)

        self.state = QLabel(self)
        self.state.setObjectName("statement-state")
        self.state.setWordWrap(True)
        self.save_button = QPushButton(self)
        self.save_button.setObjectName("statement-save")
        self.save_button.clicked.connect(self.save)
        self.approve_button = QPushButton(tr("Approve"), self)
        self.approve_button.setObjectName("statement-approve")
        self.approve_button.setToolTip(tr("Supervisors approve the statement for every channel"))
        self.approve_button.clicked.connect(self.approve)
        self.send_button = QPushButton(tr("Send to every channel"), self)
        self.send_button.setObjectName("statement-send")
        self.send_button.setToolTip(tr("Queue one reply per channel and account in the outbox"))
        self.send_button.clicked.connect(self.fan_out)
        self.withdraw_button = QPushButton(tr("Withdraw"), self)
        self.withdraw_button.setObjectName("statement-withdraw")
        self.withdraw_button.clicked.connect(self.withdraw)
        close = QPushButton(tr("Close"), self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        self.progress_table = QTableWidget(0, 4, self)
        self.progress_table.setObjectName("statement-progress")
        self.progress_table.setHorizontalHeaderLabels([tr("Channel"), tr("Account"), tr("State"), tr("Sent")])
        self._table(self.progress_table, stretch=2)
        for column, width in ((0, 90), (1, 170), (3, 150)):
            self.progress_table.setColumnWidth(column, width)
        self.progress_summary = QLabel(self)
        self.progress_summary.setObjectName("statement-progress-summary")
        progress_box = QGroupBox(tr("Progress per channel"), self)
        progress_layout = QVBoxLayout(progress_box)
        progress_layout.addWidget(self.progress_summary)
        progress_layout.addWidget(self.progress_table)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(editor)
        split.addWidget(preview_box)
        split.addWidget(progress_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.reason)
        layout.addWidget(split, 1)
        layout.addWidget(self.state)
        layout.addLayout(buttons)
        self.resize(1040, 900)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.update_preview)
        for edit in (self.body, self.short_body):
            edit.textChanged.connect(self._edited)
        self.link.textChanged.connect(lambda _t: self._edited())
        runner.changed.connect(self._on_changes)
        self._update_buttons()
        self.reload()

    @staticmethod
    def _table(table: QTableWidget, *, stretch: int) -> None:
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setWordWrap(True)
        table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    # ------------------------------------------------------------------ reading

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        issue_id = self.issue_id

        def loaded(snap: StatementSnapshot | None) -> None:
            if generation == self._generation:
                self._show(snap)

        self._runner.read(lambda conn: read_statement(conn, issue_id), done=loaded, owner=self, label="statement")

    def _show(self, snap: StatementSnapshot | None) -> None:
        if snap is None:
            self.heading.setText(tr("Issue #%1 no longer exists.").replace("%1", str(self.issue_id)))
            self.snapshot = None
            self._update_buttons()
            return
        self.snapshot = snap
        s = snap.detail.summary
        self.issue_id = s.id  # followed through merges
        due = ""
        if s.must_answer and s.deadline is not None and s.answered is None:
            due = "  —  " + tr("answer by %1").replace("%1", fmt.when(s.deadline))
        self.heading.setText(f"#{s.id}  {s.title}{due}")
        self.reason.setText(s.reason)
        st = snap.statement
        if st is not None and not self._loaded_text:
            self._loaded_text = True
            self.body.setPlainText(st.body)
            self.short_body.setPlainText(st.short_body)
            self.link.setText(st.link)
        self._show_state()
        self._show_progress()
        self.update_preview()

    def _show_state(self) -> None:
        snap = self.snapshot
        st = snap.statement if snap is not None else None
        if snap is None or st is None:
            text = tr("Not saved yet. Saving the draft asks a supervisor to approve it.")
        elif st.state == "draft":
            text = tr("Draft, waiting for a supervisor's approval.")
            if self.user.role in APPROVERS:
                text = tr("Draft: read it, then approve it for every channel.")
        elif st.state == "approved":
            who = snap.users.get(st.approved_by or -1, "")
            text = tr("Approved by %1: ready to send to every channel.").replace("%1", who or tr("a supervisor"))
        else:
            text = tr("Sent out through the outbox; each channel's progress is below.")
        self.state.setText(text)
        self._update_buttons()

    def _show_progress(self) -> None:
        snap = self.snapshot
        replies = snap.replies if snap is not None else []
        self.progress_table.setRowCount(len(replies))
        for n, r in enumerate(replies):
            cells = [
                fmt.channel_name(r.channel),
                snap.names.get(r.account_id, str(r.account_id)) if snap is not None else "",
                outbox_state_text(r),
                fmt.when(_from_ms(r.sent_at)) if r.sent_at else "",
            ]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 2 and r.state == "failed":
                    cell.setForeground(QBrush(QColor(FAILED_COLOR)))
                elif column == 2 and r.state == "sent":
                    cell.setForeground(QBrush(QColor(SENT_COLOR)))
                self.progress_table.setItem(n, column, cell)
        counts = progress_summary(replies)
        if counts:
            self.progress_summary.setText(
                ", ".join(
                    f"{n} {tr('planned') if state == 'planned' else fmt.outbox_state_name(state)}"
                    for state, n in sorted(counts.items())
                )
            )
        else:
            self.progress_summary.setText(tr("Nothing sent yet."))

    def preview_rows(self) -> list[PreviewRow]:
        snap = self.snapshot
        if snap is None:
            return []
        return preview(
            self.body.toPlainText(),
            list(snap.detail.measures.get("accounts") or []),
            short_body=self.short_body.toPlainText(),
            link=self.link.text(),
        )

    def update_preview(self) -> None:
        self._preview_timer.stop()
        rows = self.preview_rows()
        self.preview_table.setRowCount(len(rows))
        for n, r in enumerate(rows):
            limit = tr("no limit") if r.limit is None else str(r.limit)
            notes = [r.problem or (tr("shortened to fit") if r.shortened and r.text else "")]
            if r.leader:
                notes.append(tr("leader's account: waits for approval in the outbox"))
            note = "; ".join(n for n in notes if n)
            cells = [fmt.channel_name(r.channel), r.account, limit, str(r.characters), r.text, note]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column in (3, 5) and r.problem:
                    cell.setForeground(QBrush(QColor(FAILED_COLOR)))
                    cell.setToolTip(r.problem)
                self.preview_table.setItem(n, column, cell)
        body = self.body.toPlainText().strip()
        shortened = sum(1 for r in rows if r.shortened and body)
        self.counter.setText(
            tr("%1 characters; %2 of %3 channels get it shortened")
            .replace("%1", str(len(body)))
            .replace("%2", str(shortened))
            .replace("%3", str(len(rows)))
        )

    def _edited(self) -> None:
        self._preview_timer.start()
        self._update_buttons()

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("issue_statements", "statement_replies", "outbox", "issues"):
            self.reload()

    # ------------------------------------------------------------------ state and buttons

    def statement_id(self) -> int | None:
        st = self.snapshot.statement if self.snapshot is not None else None
        return st.id if st is not None else None

    def _dirty(self) -> bool:
        st = self.snapshot.statement if self.snapshot is not None else None
        if st is None:
            return bool(self.body.toPlainText().strip())
        return (self.body.toPlainText().strip(), self.short_body.toPlainText().strip(), self.link.text().strip()) != (
            st.body,
            st.short_body,
            st.link,
        )

    def _update_buttons(self) -> None:
        snap = self.snapshot
        st = snap.statement if snap is not None else None
        state = st.state if st is not None else None
        approver = self.user.role in APPROVERS
        editable = state in (None, "draft")
        for edit in (self.body, self.short_body):
            edit.setReadOnly(not editable)
        self.link.setReadOnly(not editable)
        self.save_button.setText(tr("Save draft") if approver else tr("Request approval"))
        self.save_button.setEnabled(snap is not None and editable and self._dirty())
        self.approve_button.setVisible(approver)
        self.approve_button.setEnabled(approver and state == "draft" and not self._dirty())
        self.send_button.setEnabled(state == "approved" or (state == "fanned_out" and bool(snap and not snap.replies)))
        self.withdraw_button.setEnabled(state in ("draft", "approved"))

    # ------------------------------------------------------------------ writing

    def _write(self, label: str, fn: Callable[[Cache], T], said: str) -> None:
        from omniinbox.ui.radar import refusals

        def done(_result: T) -> None:
            self.message.emit(said)
            self.reload()

        def failed(error: TaskError) -> None:
            self.state.setText(error.message)
            self.state.setStyleSheet(f"color: {FAILED_COLOR};")

        self.state.setStyleSheet("")
        self._runner.write(refusals(fn), done=done, failed=failed, owner=self, label=label)

    def save(self) -> None:
        """Save the draft (a new one, or the draft's new text); it then waits for a supervisor."""
        from omniinbox.triage import statement

        user, issue_id, current = self.user, self.issue_id, self.statement_id()
        body, short, link = self.body.toPlainText(), self.short_body.toPlainText(), self.link.text()
        if current is None:
            self._write(
                "statement draft",
                lambda cache: statement.draft_statement(cache, user, issue_id, body, short_body=short, link=link),
                tr("Statement saved; a supervisor approves it."),
            )
        else:
            self._write(
                "statement revise",
                lambda cache: statement.revise_statement(cache, user, current, body, short_body=short, link=link),
                tr("Statement saved."),
            )

    def approve(self) -> None:
        from omniinbox.triage import statement

        user, current = self.user, self.statement_id()
        if current is not None:
            self._write(
                "statement approve",
                lambda cache: statement.approve_statement(cache, user, current),
                tr("Statement approved."),
            )

    def fan_out(self) -> None:
        from omniinbox.triage import statement

        user, current = self.user, self.statement_id()
        if current is not None:
            self._write(
                "statement fan out",
                lambda cache: statement.fan_out(cache, user, current),
                tr("Statement queued on every channel."),
            )

    def withdraw(self) -> None:
        from omniinbox.triage import statement

        user, current = self.user, self.statement_id()
        if current is not None:
            self._loaded_text = False
            self._write(
                "statement withdraw",
                lambda cache: statement.withdraw_statement(cache, user, current),
                tr("Statement withdrawn."),
            )


def _from_ms(ms: int | None) -> Any:
    from omniinbox.core import from_millis

    return from_millis(ms)
