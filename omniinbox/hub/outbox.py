"""The hub's outbox: the same rules as the local one (``omniinbox.store.outbox``), shared by many
desktops and several workers.

* Desktops queue, approve, cancel and retry through the hub's functions (``queue_reply``...),
  which check roles and the soft lock in PostgreSQL itself.
* A worker claims the oldest due ``queued`` entry with ``SELECT ... FOR UPDATE SKIP LOCKED``,
  moves it to ``sending`` and commits *before* calling the connector, holding an advisory lock
  on the entry for as long as it works on it. Two workers never claim the same entry.
* An entry found in ``sending`` whose advisory lock nobody holds was left by a worker that died
  mid-send: it may or may not have reached the platform, so it is *not* retried automatically.
  It becomes ``failed`` with a reason asking a person to check, and only an explicit retry
  queues it again. An entry whose worker is alive (its lock is held) is left alone.
* Only the claim that moved an entry to ``sending`` (its ``claim_token``) may report it sent or
  failed; a reply that did reach the platform is recorded as sent even if a recovery marked it
  interrupted in the meantime, because that is the truth.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from omniinbox.core import OutboxState, OutgoingReply, Visibility
from omniinbox.hub.errors import refusals
from omniinbox.store.outbox import INTERRUPTED

SEND_LOCK_CLASS = 0x0A1B  # advisory lock (class, outbox id) held by the worker sending an entry
_MAX_INT4 = 2**31 - 1


@dataclass(frozen=True, slots=True)
class HubOutboxEntry:
    id: int
    account_id: int
    conversation_id: int | None
    in_reply_to_item_id: int | None
    body: str
    visibility: Visibility
    state: OutboxState
    attempts: int
    last_error: str
    receipt_id: str
    idempotency_key: str
    created_by: int | None
    requires_approval: bool
    approved_by: int | None
    claim_token: uuid.UUID | None


_COLUMNS = (
    "id, account_id, conversation_id, in_reply_to_item_id, body, visibility, state, attempts, last_error,"
    " receipt_id, idempotency_key, created_by, requires_approval, approved_by, claim_token"
)


def _entry(r: dict[str, Any]) -> HubOutboxEntry:
    return HubOutboxEntry(
        id=int(r["id"]),
        account_id=int(r["account_id"]),
        conversation_id=r["conversation_id"],
        in_reply_to_item_id=r["in_reply_to_item_id"],
        body=r["body"],
        visibility=Visibility(r["visibility"]),
        state=OutboxState(r["state"]),
        attempts=int(r["attempts"]),
        last_error=r["last_error"],
        receipt_id=r["receipt_id"],
        idempotency_key=r["idempotency_key"],
        created_by=r["created_by"],
        requires_approval=bool(r["requires_approval"]),
        approved_by=r["approved_by"],
        claim_token=r["claim_token"],
    )


def _lock_key(outbox_id: int) -> int:
    return outbox_id % _MAX_INT4


# ------------------------------------------------------------------------------ desktops


def queue_reply(
    conn: psycopg.Connection[Any],
    conversation_id: int,
    body: str,
    *,
    in_reply_to_item_id: int | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    requires_approval: bool = False,
    idempotency_key: str | None = None,
) -> int:
    """Queue a reply (the caller must hold the conversation's soft lock). Returns the entry's id;
    the same ``idempotency_key`` again returns the same entry instead of a second reply."""
    with refusals():
        row = conn.execute(
            "SELECT omniinbox.queue_reply(%s, %s, %s, %s, %s, %s)",
            (conversation_id, body, in_reply_to_item_id, visibility.value, requires_approval, idempotency_key),
        ).fetchone()
    assert row is not None
    return int(row[0])


def approve(conn: psycopg.Connection[Any], outbox_id: int) -> None:
    with refusals():
        conn.execute("SELECT omniinbox.approve_reply(%s)", (outbox_id,))


def cancel(conn: psycopg.Connection[Any], outbox_id: int) -> None:
    with refusals():
        conn.execute("SELECT omniinbox.cancel_reply(%s)", (outbox_id,))


def retry(conn: psycopg.Connection[Any], outbox_id: int) -> None:
    with refusals():
        conn.execute("SELECT omniinbox.retry_reply(%s)", (outbox_id,))


def get(conn: psycopg.Connection[Any], outbox_id: int) -> HubOutboxEntry | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM omniinbox.outbox WHERE id = %s", (outbox_id,)).fetchone()
    return None if row is None else _entry(row)


# ------------------------------------------------------------------------------ workers


def claim_next(
    conn: psycopg.Connection[Any], now: datetime, account_ids: list[int], *, worker: str
) -> HubOutboxEntry | None:
    """Move the oldest due queued entry of ``account_ids`` to ``sending`` (committed) and hold its
    send lock; ``None`` when there is nothing to send. Call :func:`release` when done with it.
    Due means by ``now`` or by the hub's clock, whichever is later: a worker whose clock runs
    behind does not hold replies back."""
    token = uuid.uuid4()
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT id FROM omniinbox.outbox WHERE state = 'queued' AND account_id = ANY(%s)"
            " AND coalesce(next_attempt_at, '-infinity') <= greatest(%s, now())"
            " ORDER BY next_attempt_at NULLS FIRST, id LIMIT 1 FOR UPDATE SKIP LOCKED",
            (account_ids, now),
        ).fetchone()
        if row is None:
            return None
        outbox_id = int(row["id"])
        cur.execute("SELECT pg_advisory_lock(%s, %s)", (SEND_LOCK_CLASS, _lock_key(outbox_id)))
        claimed = cur.execute(
            "UPDATE omniinbox.outbox SET state = 'sending', attempts = attempts + 1, claim_token = %s,"
            f" claimed_by = %s, claimed_at = now() WHERE id = %s RETURNING {_COLUMNS}",
            (token, worker, outbox_id),
        ).fetchone()
    assert claimed is not None
    return _entry(claimed)


def release(conn: psycopg.Connection[Any], outbox_id: int) -> None:
    """Let go of the send lock taken by :func:`claim_next`."""
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (SEND_LOCK_CLASS, _lock_key(outbox_id)))


def _audit(conn: psycopg.Connection[Any], action: str, outbox_id: int, detail: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO omniinbox.audit_events (user_id, action, target, detail) VALUES (NULL, %s, %s, %s)",
        (action, f"outbox:{outbox_id}", Jsonb(detail)),
    )


def mark_sent(conn: psycopg.Connection[Any], entry: HubOutboxEntry, receipt_id: str, sent_at: datetime) -> bool:
    """Record that the claim ``entry`` delivered the reply. False when the claim is no longer the entry's."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE omniinbox.outbox SET state = 'sent', receipt_id = %s, sent_at = %s, last_error = ''"
            " WHERE id = %s AND claim_token = %s AND state IN ('sending', 'failed') RETURNING id",
            (receipt_id, sent_at, entry.id, entry.claim_token),
        ).fetchone()
        if row is not None:
            _audit(conn, "reply.sent", entry.id, {"receipt": receipt_id})
    return row is not None


def mark_failed(
    conn: psycopg.Connection[Any], entry: HubOutboxEntry, reason: str, *, retry_at: datetime | None
) -> bool:
    """``retry_at`` set: queued again for then; ``None``: failed for good, with ``reason``."""
    state = OutboxState.QUEUED if retry_at is not None else OutboxState.FAILED
    with conn.transaction():
        row = conn.execute(
            "UPDATE omniinbox.outbox SET state = %s, last_error = %s, next_attempt_at = %s"
            " WHERE id = %s AND claim_token = %s AND state = 'sending' RETURNING id",
            (state.value, reason, retry_at, entry.id, entry.claim_token),
        ).fetchone()
        if row is not None:
            action = "reply.attempt_failed" if retry_at is not None else "reply.failed"
            _audit(conn, action, entry.id, {"reason": reason})
    return row is not None


def recover_interrupted(conn: psycopg.Connection[Any]) -> list[int]:
    """Entries left in ``sending`` by a worker that is gone become failed, never silently resent.
    Entries a live worker is sending (its send lock is held) are left alone."""
    recovered = []
    with conn.transaction():
        rows = conn.execute(
            "SELECT id FROM omniinbox.outbox WHERE state = 'sending' ORDER BY id FOR UPDATE SKIP LOCKED"
        ).fetchall()
        for (outbox_id,) in rows:
            free = conn.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", (SEND_LOCK_CLASS, _lock_key(int(outbox_id)))
            ).fetchone()
            if not free or not free[0]:
                continue  # its worker is alive and sending it
            conn.execute(
                "UPDATE omniinbox.outbox SET state = 'failed', last_error = %s WHERE id = %s", (INTERRUPTED, outbox_id)
            )
            _audit(conn, "reply.interrupted", int(outbox_id), {})
            recovered.append(int(outbox_id))
    return recovered


def reply_for(conn: psycopg.Connection[Any], entry: HubOutboxEntry) -> OutgoingReply:
    """What the connector needs to send ``entry``: external ids, subject, recipient, references."""
    conversation_ext = None
    subject = ""
    if entry.conversation_id is not None:
        row = conn.execute(
            "SELECT external_id, subject FROM omniinbox.conversations WHERE id = %s", (entry.conversation_id,)
        ).fetchone()
        if row:
            conversation_ext, subject = row
    parent_ext = None
    recipient = ""
    references: tuple[str, ...] = ()
    if entry.in_reply_to_item_id is not None:
        row = conn.execute(
            "SELECT i.external_id, i.subject, coalesce(nullif(c.email, ''), c.handle, ''),"
            " CASE WHEN coalesce(i.parent_external_id, '') = '' THEN cv.external_id ELSE i.parent_external_id END"
            " FROM omniinbox.items i LEFT JOIN omniinbox.contacts c ON c.id = i.contact_id"
            " JOIN omniinbox.conversations cv ON cv.id = i.conversation_id WHERE i.id = %s",
            (entry.in_reply_to_item_id,),
        ).fetchone()
        if row:
            parent_ext, parent_subject, recipient, grandparent = row
            subject = parent_subject or subject
            references = tuple(dict.fromkeys(x for x in (conversation_ext, grandparent, parent_ext) if x))
    return OutgoingReply(
        outbox_id=entry.id,
        idempotency_key=entry.idempotency_key,
        body=entry.body,
        visibility=entry.visibility,
        conversation_external_id=conversation_ext,
        in_reply_to_external_id=parent_ext,
        subject=subject,
        recipient=recipient,
        references=references,
    )
