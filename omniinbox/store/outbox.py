"""The outbox: replies are stored durably before any network call and move through
awaiting_approval → queued → sending → sent | failed (retried with backoff) | cancelled.

A reply is never sent twice. The state moves to ``sending`` in its own committed transaction
before the connector is called; an entry found in ``sending`` after a crash may or may not have
reached the platform, so it is *not* retried automatically: it becomes ``failed`` with a reason
asking a person to check the platform, and only an explicit retry queues it again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from omniinbox import channel_rules
from omniinbox.core import Channel, OutboxEntry, OutboxState, OutgoingReply, Visibility, from_millis
from omniinbox.store import hub_journal
from omniinbox.store.cache import Cache
from omniinbox.store.compact import PayloadError

INTERRUPTED = (
    "interrupted while sending: it may or may not have reached the platform, so it was not retried"
    " automatically; check the conversation there, then retry or cancel"
)

_COLUMNS = (
    "id, account_id, conversation_id, in_reply_to_item_id, body, visibility, state, attempts, next_attempt_at,"
    " last_error, receipt_id, idempotency_key, created_by, created_at, sent_at, requires_approval, approved_by"
)


class OutboxRefused(ValueError):
    """The reply cannot be queued or moved as asked; the message says why."""


def _entry(r: tuple[Any, ...]) -> OutboxEntry:
    return OutboxEntry(
        id=r[0],
        account_id=r[1],
        conversation_id=r[2],
        in_reply_to_item_id=r[3],
        body=r[4],
        visibility=Visibility(r[5]),
        state=OutboxState(r[6]),
        attempts=r[7],
        next_attempt_at=from_millis(r[8]),
        last_error=r[9],
        receipt_id=r[10],
        idempotency_key=r[11],
        created_by=r[12],
        created_at=from_millis(r[13]),  # type: ignore[arg-type]
        sent_at=from_millis(r[14]),
        requires_approval=bool(r[15]),
        approved_by=r[16],
    )


def get(cache: Cache, outbox_id: int) -> OutboxEntry:
    r = cache.conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    if r is None:
        raise OutboxRefused(f"there is no outbox entry {outbox_id}")
    return _entry(r)


def entries(cache: Cache, *, states: tuple[OutboxState, ...] = (), limit: int = 200) -> list[OutboxEntry]:
    sql = f"SELECT {_COLUMNS} FROM outbox"
    params: list[Any] = []
    if states:
        sql += f" WHERE state IN ({','.join('?' * len(states))})"
        params.extend(s.value for s in states)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return [_entry(r) for r in cache.conn.execute(sql, params)]


def enqueue(
    cache: Cache,
    *,
    account_id: int,
    body: str,
    conversation_id: int | None = None,
    in_reply_to_item_id: int | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    user_id: int | None = None,
    requires_approval: bool = False,
    now: datetime | None = None,
) -> OutboxEntry:
    """Store a reply durably. It leaves only when the sender picks it up. Replies on a leader's
    personal account always wait for a supervisor's approval.

    The channel's rules (:func:`omniinbox.channel_rules.check_reply`: length, the kind of reply
    the channel has, a messaging window since the customer's last message) are checked first, with
    what the cache knows of the account, the item answered and its conversation; a reply they
    refuse raises :class:`OutboxRefused` with the reason and nothing is stored."""
    if not body.strip():
        raise OutboxRefused("the reply is empty")
    account = cache.conn.execute(
        "SELECT owner_kind, channel, settings FROM accounts WHERE id = ?", (account_id,)
    ).fetchone()
    if account is None:
        raise OutboxRefused(f"there is no account {account_id}")
    owner_kind, channel, settings_json = account
    settings = _settings(settings_json)
    kind, item_at, last_customer_at, inbox = _reply_context(cache, in_reply_to_item_id, conversation_id)
    refusal = channel_rules.first_refusal(
        channel_rules.check_reply(
            channel,
            body,
            visibility,
            kind=kind,
            last_customer_at=last_customer_at,
            item_at=item_at,
            now=now,
            inbox=str(settings.get("inbox", "") or inbox),
            imported=settings.get("source") == "listening",
        )
    )
    if refusal is not None:
        raise OutboxRefused(refusal)
    requires_approval = requires_approval or owner_kind == "leader"
    state = OutboxState.AWAITING_APPROVAL if requires_approval else OutboxState.QUEUED
    with cache.write("outbox", user_id=user_id) as tx:
        if in_reply_to_item_id is not None and conversation_id is None:
            row = tx.conn.execute("SELECT conversation_id FROM items WHERE id = ?", (in_reply_to_item_id,)).fetchone()
            if row is None:
                raise OutboxRefused(f"there is no item {in_reply_to_item_id} to reply to")
            conversation_id = row[0]
        cur = tx.conn.execute(
            "INSERT INTO outbox (account_id, conversation_id, in_reply_to_item_id, body, visibility, state,"
            " next_attempt_at, idempotency_key, created_by, created_at, requires_approval, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account_id,
                conversation_id,
                in_reply_to_item_id,
                body,
                visibility.value,
                state.value,
                tx.now_ms,
                uuid.uuid4().hex,
                user_id,
                tx.now_ms,
                int(requires_approval),
                tx.next_seq(),
            ),
        )
        outbox_id = int(cur.lastrowid or 0)
        tx.audit("reply.queue", f"outbox:{outbox_id}", state=state.value, conversation=conversation_id)
        hub_journal.record(tx, "reply", outbox_id=outbox_id)
        tx.summary["outbox"] += 1
    return get(cache, outbox_id)


def _settings(raw: str | None) -> Mapping[str, Any]:
    try:
        settings = json.loads(raw or "{}")
    except ValueError:
        return {}
    return settings if isinstance(settings, Mapping) else {}


def _reply_context(
    cache: Cache, item_id: int | None, conversation_id: int | None
) -> tuple[str | None, datetime | None, datetime | None, str]:
    """What the channel rules need to know of the reply's place: the kind and time of the item
    answered, the time of the customer's last message in the conversation, and (for Chatwoot)
    the inbox's channel type as the stored payload of that message names it."""
    kind: str | None = None
    item_at = None
    if item_id is not None:
        row = cache.conn.execute(
            "SELECT kind, created_at, conversation_id FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            raise OutboxRefused(f"there is no item {item_id} to reply to")
        kind, item_at, conversation_id = row[0], from_millis(row[1]), conversation_id or row[2]
    if conversation_id is None:
        return kind, item_at, None, ""
    row = cache.conn.execute(
        "SELECT kind, last_inbound_at FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    if row is None:
        return kind, item_at, None, ""
    kind = kind or row[0]
    return kind, item_at, from_millis(row[1]), _inbox_of(cache, conversation_id)


def _inbox_of(cache: Cache, conversation_id: int) -> str:
    """The channel type a Chatwoot message's payload carries (``Channel::Whatsapp``), if any."""
    row = cache.conn.execute(
        "SELECT i.payload, i.text FROM items i JOIN accounts a ON a.id = i.account_id"
        " WHERE i.conversation_id = ? AND i.direction = 'in' AND a.channel = ? AND i.payload IS NOT NULL"
        " ORDER BY i.id DESC LIMIT 1",
        (conversation_id, Channel.CHATWOOT.value),
    ).fetchone()
    if row is None:
        return ""
    try:
        raw = cache.payloads.decode(row[0], row[1])
    except PayloadError:
        return ""
    return channel_rules.chatwoot_inbox(raw)


def _move(
    cache: Cache,
    outbox_id: int,
    allowed_from: tuple[OutboxState, ...],
    to: OutboxState,
    *,
    user_id: int | None,
    action: str,
    extra_sql: str = "",
    extra_params: tuple[Any, ...] = (),
    **detail: Any,
) -> OutboxEntry:
    with cache.write("outbox", user_id=user_id) as tx:
        row = tx.conn.execute("SELECT state FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        if row is None:
            raise OutboxRefused(f"there is no outbox entry {outbox_id}")
        current = OutboxState(row[0])
        if current not in allowed_from:
            raise OutboxRefused(f"outbox entry {outbox_id} is {current.value}; it cannot become {to.value}")
        tx.conn.execute(
            f"UPDATE outbox SET state = ?, seq = ?{extra_sql} WHERE id = ?",
            (to.value, tx.next_seq(), *extra_params, outbox_id),
        )
        tx.audit(action, f"outbox:{outbox_id}", before=current.value, after=to.value, **detail)
        hub_journal.record(tx, action, outbox_id=outbox_id)
        tx.summary["outbox"] += 1
    return get(cache, outbox_id)


def approve(cache: Cache, outbox_id: int, *, user_id: int | None) -> OutboxEntry:
    return _move(
        cache,
        outbox_id,
        (OutboxState.AWAITING_APPROVAL,),
        OutboxState.QUEUED,
        user_id=user_id,
        action="reply.approve",
        extra_sql=", approved_by = ?",
        extra_params=(user_id,),
    )


def cancel(cache: Cache, outbox_id: int, *, user_id: int | None) -> OutboxEntry:
    return _move(
        cache,
        outbox_id,
        (OutboxState.AWAITING_APPROVAL, OutboxState.QUEUED, OutboxState.FAILED),
        OutboxState.CANCELLED,
        user_id=user_id,
        action="reply.cancel",
    )


def retry(cache: Cache, outbox_id: int, *, user_id: int | None, now_ms: int) -> OutboxEntry:
    """A person asks to send a failed reply again."""
    return _move(
        cache,
        outbox_id,
        (OutboxState.FAILED,),
        OutboxState.QUEUED,
        user_id=user_id,
        action="reply.retry",
        extra_sql=", next_attempt_at = ?",
        extra_params=(now_ms,),
    )


def claim_next(cache: Cache, now_ms: int, *, account_ids: tuple[int, ...] = ()) -> OutboxEntry | None:
    """Move the oldest due queued entry to ``sending`` (committed) and return it."""
    with cache.write("outbox") as tx:
        sql = "SELECT id FROM outbox WHERE state = 'queued' AND coalesce(next_attempt_at, 0) <= ?"
        params: list[Any] = [now_ms]
        if account_ids:
            sql += f" AND account_id IN ({','.join('?' * len(account_ids))})"
            params.extend(account_ids)
        row = tx.conn.execute(sql + " ORDER BY next_attempt_at, id LIMIT 1", params).fetchone()
        if row is None:
            return None
        tx.conn.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, seq = ? WHERE id = ?",
            (tx.next_seq(), row[0]),
        )
        tx.summary["outbox"] += 1
    return get(cache, row[0])


def mark_sent(cache: Cache, outbox_id: int, receipt_id: str, *, sent_ms: int) -> OutboxEntry:
    return _move(
        cache,
        outbox_id,
        (OutboxState.SENDING,),
        OutboxState.SENT,
        user_id=None,
        action="reply.sent",
        extra_sql=", receipt_id = ?, sent_at = ?, last_error = ''",
        extra_params=(receipt_id, sent_ms),
        receipt=receipt_id,
    )


def mark_failed(cache: Cache, outbox_id: int, reason: str, *, retry_at_ms: int | None) -> OutboxEntry:
    """``retry_at_ms`` set: back to queued for another attempt then; ``None``: failed for good."""
    to = OutboxState.QUEUED if retry_at_ms is not None else OutboxState.FAILED
    return _move(
        cache,
        outbox_id,
        (OutboxState.SENDING,),
        to,
        user_id=None,
        action="reply.attempt_failed" if retry_at_ms is not None else "reply.failed",
        extra_sql=", last_error = ?, next_attempt_at = ?",
        extra_params=(reason, retry_at_ms),
        reason=reason,
    )


def recover_interrupted(cache: Cache) -> int:
    """After a crash: entries left in ``sending`` become failed, never silently resent."""
    with cache.write("outbox") as tx:
        ids = [r[0] for r in tx.conn.execute("SELECT id FROM outbox WHERE state = 'sending'")]
        for outbox_id in ids:
            tx.conn.execute(
                "UPDATE outbox SET state = 'failed', last_error = ?, seq = ? WHERE id = ?",
                (INTERRUPTED, tx.next_seq(), outbox_id),
            )
            tx.audit("reply.interrupted", f"outbox:{outbox_id}")
        tx.summary["outbox"] += len(ids)
    return len(ids)


def reply_for(cache: Cache, entry: OutboxEntry) -> OutgoingReply:
    """What the connector needs to send ``entry``: external ids, subject, recipient, references.
    A new ticket (``kind = 'ticket'``, see :mod:`omniinbox.store.tickets`) names no conversation."""
    ticket = cache.conn.execute("SELECT kind, subject, requester FROM outbox WHERE id = ?", (entry.id,)).fetchone()
    if ticket is not None and ticket[0] == "ticket":
        who = _settings(ticket[2])
        return OutgoingReply(
            outbox_id=entry.id,
            idempotency_key=entry.idempotency_key,
            body=entry.body,
            visibility=Visibility.PUBLIC,
            conversation_external_id=None,
            in_reply_to_external_id=None,
            subject=ticket[1],
            recipient=str(who.get("email") or ""),
            new_ticket=True,
            requester_name=str(who.get("name") or ""),
            requester_handle=str(who.get("handle") or ""),
        )
    conversation_ext = None
    subject = ""
    if entry.conversation_id is not None:
        row = cache.conn.execute(
            "SELECT external_id, subject FROM conversations WHERE id = ?", (entry.conversation_id,)
        ).fetchone()
        if row:
            conversation_ext, subject = row
    parent_ext = None
    recipient = ""
    references: tuple[str, ...] = ()
    if entry.in_reply_to_item_id is not None:
        row = cache.conn.execute(
            "SELECT i.external_id, i.subject, coalesce(nullif(c.email, ''), c.handle, ''),"
            " CASE WHEN i.parent_external_id = '' THEN cv.external_id ELSE i.parent_external_id END"
            " FROM items i LEFT JOIN contacts c ON c.id = i.contact_id"
            " JOIN conversations cv ON cv.id = i.conversation_id WHERE i.id = ?",
            (entry.in_reply_to_item_id,),
        ).fetchone()
        if row:
            parent_ext, parent_subject, recipient, grandparent = row
            subject = parent_subject or subject
            references = tuple(x for x in (conversation_ext, grandparent, parent_ext) if x)
            references = tuple(dict.fromkeys(references))
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
