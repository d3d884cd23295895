"""The reply composer: canned responses, a live character count against the channel's limit (as the
channel counts: X weighs links, emoji and CJK), the reason a reply cannot go as written (the
channel's rules, :func:`omniinbox.channel_rules.check_reply`, the same the outbox applies), the
approval notice of leaders' accounts, and send through the outbox (Ctrl+Enter). Below it, the
conversation's replies in the outbox with their state (awaiting approval, queued, sending, sent,
failed with the reason), and Retry / Cancel.

Signals:
    send_requested(str, bool): the text and whether it is a private note; the pane queues it.
    retry_requested(int), cancel_requested(int): an outbox entry id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from omniinbox.channel_rules import EMPTY, blocking, check_reply
from omniinbox.core import CannedResponse, OutboxEntry, OutboxState, Visibility
from omniinbox.ui import format as fmt
from omniinbox.ui.models.records import Column, RecordTableModel
from omniinbox.usecases import character_count, character_limit

RETRYABLE = (OutboxState.FAILED,)
CANCELLABLE = (OutboxState.AWAITING_APPROVAL, OutboxState.QUEUED, OutboxState.FAILED)


class Composer(QWidget):
    """See the module docstring."""

    send_requested = Signal(str, bool)
    retry_requested = Signal(int)
    cancel_requested = Signal(int)
    take_over_requested = Signal()  # team mode: take the conversation from whoever is replying

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._channel = ""
        self._kind = ""
        self._last_customer_at: datetime | None = None
        self._canned: list[CannedResponse] = []
        self.canned = QComboBox(self)
        self.canned.setObjectName("canned")
        self.canned.activated.connect(self._insert_canned)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("reply-editor")
        self.editor.setPlaceholderText(self.tr("Write a reply… (Ctrl+Enter sends)"))
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._update_count)
        self.count = QLabel(self)
        self.count.setObjectName("char-count")
        self.private = QCheckBox(self.tr("Private note"), self)
        self.private.toggled.connect(lambda _checked: self._update_count())
        self.private.setToolTip(
            self.tr("Not a public reply: an internal note or a direct message, as the channel has it")
        )
        self.approval = QLabel(self)
        self.approval.setObjectName("approval-notice")
        self.approval.setWordWrap(True)
        self.approval.setTextFormat(Qt.TextFormat.PlainText)
        self.approval.hide()
        self.rule = QLabel(self)
        self.rule.setObjectName("reply-problem")
        self.rule.setWordWrap(True)
        self.rule.setTextFormat(Qt.TextFormat.PlainText)
        self.rule.setStyleSheet("color: #d32f2f;")
        self.rule.hide()
        self.replying = QLabel(self)
        self.replying.setObjectName("someone-replying")
        self.replying.setTextFormat(Qt.TextFormat.PlainText)
        self.take_over = QPushButton(self.tr("Take over"), self)
        self.take_over.setObjectName("take-over")
        self.take_over.setToolTip(self.tr("Reply yourself; the team hub records that you took it over"))
        self.take_over.clicked.connect(self.take_over_requested.emit)
        self.send = QPushButton(self.tr("Send"), self)
        self.send.setObjectName("send")
        self.send.clicked.connect(self.request_send)
        self.outbox = RecordTableModel[OutboxEntry](
            [
                Column(self.tr("State"), lambda e: fmt.outbox_state_name(e.state.value)),
                Column(self.tr("Reason"), lambda e: e.last_error, lambda e: e.last_error),
                Column(self.tr("Reply"), lambda e: " ".join(e.body.split())[:120], lambda e: e.body),
                Column(self.tr("Queued"), lambda e: fmt.when(e.created_at)),
            ],
            self,
        )
        self.outbox_view = QTableView(self)
        self.outbox_view.setObjectName("outbox")
        self.outbox_view.setModel(self.outbox)
        self.outbox_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.outbox_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.outbox_view.verticalHeader().hide()
        self.outbox_view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.outbox_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.retry = QPushButton(self.tr("Retry"), self)
        self.retry.setObjectName("retry")
        self.retry.clicked.connect(lambda: self._entry_action(self.retry_requested))
        self.cancel = QPushButton(self.tr("Cancel reply"), self)
        self.cancel.setObjectName("cancel")
        self.cancel.clicked.connect(lambda: self._entry_action(self.cancel_requested))

        top = QHBoxLayout()
        top.addWidget(self.canned, 1)
        top.addWidget(self.private)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.send)
        entries = QHBoxLayout()
        entries.addWidget(QLabel(self.tr("Replies in the outbox"), self), 1)
        entries.addWidget(self.retry)
        entries.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.editor, 2)
        layout.addWidget(self.approval)
        layout.addWidget(self.rule)
        replying = QHBoxLayout()
        replying.addWidget(self.replying, 1)
        replying.addWidget(self.take_over)
        layout.addLayout(replying)
        layout.addLayout(bottom)
        layout.addLayout(entries)
        layout.addWidget(self.outbox_view, 1)
        self.set_canned([])
        self.set_replying("")
        self.set_target("", leader=False)
        self._update_buttons()

    # ------------------------------------------------------------------ state from the pane

    def set_target(
        self,
        channel: str,
        *,
        leader: bool,
        account: str = "",
        kind: str = "",
        last_customer_at: datetime | None = None,
    ) -> None:
        """What a reply would go to: its channel's rules and a leader account's approval; ``kind``
        (of the item answered) and ``last_customer_at`` let the composer tell a closed messaging
        window before the outbox refuses it."""
        self._channel = channel
        self._kind = kind
        self._last_customer_at = last_customer_at
        self.approval.setVisible(leader)
        if leader:
            self.approval.setText(
                self.tr("%1 is a leader's personal account: a reply waits for a supervisor's approval.").replace(
                    "%1", account
                )
            )
        self.setEnabled(bool(channel))
        self._update_count()

    def set_replying(self, holder: str) -> None:
        """Team mode: ``holder`` (a name) has the conversation open to reply; "" when nobody else."""
        self.replying.setText(self.tr("%1 is replying").replace("%1", holder) if holder else "")
        self.replying.setVisible(bool(holder))
        self.take_over.setVisible(bool(holder))

    def set_canned(self, responses: Sequence[CannedResponse]) -> None:
        self._canned = list(responses)
        self.canned.clear()
        self.canned.addItem(self.tr("Canned responses…"))
        for response in self._canned:
            self.canned.addItem(response.title)

    def set_outbox(self, entries: Sequence[OutboxEntry]) -> None:
        self.outbox.set_records(entries)
        self._update_buttons()

    def clear(self) -> None:
        self.editor.clear()
        self.private.setChecked(False)

    # ------------------------------------------------------------------ actions

    def visibility(self) -> Visibility:
        return Visibility.PRIVATE if self.private.isChecked() else Visibility.PUBLIC

    def limit(self) -> int | None:
        return character_limit(self._channel, self.visibility()) if self._channel else None

    def over_limit(self) -> bool:
        limit = self.limit()
        return limit is not None and self._count(self.editor.toPlainText()) > limit

    def refusal(self) -> str | None:
        """Why the text cannot be sent as written (the empty editor aside), or ``None``."""
        if not self._channel:
            return None
        problems = check_reply(
            self._channel,
            self.editor.toPlainText(),
            self.visibility(),
            kind=self._kind or None,
            last_customer_at=self._last_customer_at,
        )
        refusals = [p for p in blocking(problems) if p.code != EMPTY]
        return refusals[0].message if refusals else None

    def _count(self, text: str) -> int:
        return character_count(text, self._channel or None, self.visibility())

    def request_send(self) -> None:
        text = self.editor.toPlainText()
        if not text.strip() or not self._channel or self.refusal() is not None:
            return
        self.send_requested.emit(text, self.private.isChecked())

    def _insert_canned(self, index: int) -> None:
        if index <= 0 or index > len(self._canned):
            return
        self.editor.insertPlainText(self._canned[index - 1].body)
        self.canned.setCurrentIndex(0)
        self.editor.setFocus()

    def _update_count(self) -> None:
        count = self._count(self.editor.toPlainText())
        limit = self.limit()
        if limit is None:
            self.count.setText(self.tr("%1 characters").replace("%1", str(count)))
        else:
            self.count.setText(f"{count} / {limit}")
        over = limit is not None and count > limit
        self.count.setStyleSheet("color: #d32f2f; font-weight: bold;" if over else "")
        refusal = self.refusal()
        self.rule.setText(refusal or "")
        self.rule.setVisible(refusal is not None)
        self.send.setEnabled(bool(self._channel) and bool(self.editor.toPlainText().strip()) and refusal is None)

    def selected_entry(self) -> OutboxEntry | None:
        rows = self.outbox_view.selectionModel().selectedRows()
        return self.outbox.record(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        self.retry.setEnabled(entry is not None and entry.state in RETRYABLE)
        self.cancel.setEnabled(entry is not None and entry.state in CANCELLABLE)

    def _entry_action(self, signal: SignalInstance) -> None:
        entry = self.selected_entry()
        if entry is not None:
            signal.emit(entry.id)
