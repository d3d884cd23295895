"""A social complaint turned into a ticket on a helpdesk (Zendesk, Freshdesk, Zammad), Qt-free.

The new ticket goes through the outbox like a reply (stored durably first, ``sending`` committed
before the network call, never sent twice): an ``outbox`` row of ``kind = 'ticket'`` on the
helpdesk account, with the ticket's subject, its text as ``body`` and the requester (name, email,
handle) as JSON; ``conversation_id`` is the social conversation it comes from, so its outbox list
shows it. ``ticket_links`` keeps the social conversation and, once sent, the ticket.

When the sender has created it (:func:`record_created`), the ticket the platform answered is
stored at once (the connector's ``Receipt.page``, read as the sync reads it, so the next sync
finds the same ticket and updates it) and both conversations get a note naming the other.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from omniinbox.core import Account, Channel, OutboxEntry, OutboxState, Receipt, Team
from omniinbox.store import actions, outbox
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page

Conn = sqlite3.Connection | Cache

HELPDESKS = (Channel.ZENDESK, Channel.FRESHDESK, Channel.ZAMMAD)
# How the ticket's text names the channel the complaint came from (the helpdesk's language is
# the institution's, not the desk's: names of platforms are the same in both)
CHANNEL_NAMES = {"x": "X", "youtube": "YouTube", "whatsapp": "WhatsApp"}
MAX_SUBJECT = 250


class TicketRefused(ValueError):
    """The ticket cannot be queued as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Requester:
    name: str = ""
    email: str = ""
    handle: str = ""


@dataclass(frozen=True, slots=True)
class TicketLink:
    outbox_id: int
    social_conversation_id: int
    social_item_id: int | None
    ticket_external_id: str
    ticket_conversation_id: int | None
    state: OutboxState


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def enqueue_ticket(
    cache: Cache,
    *,
    account_id: int,
    subject: str,
    body: str,
    requester: Requester,
    social_conversation_id: int,
    social_item_id: int | None = None,
    user_id: int | None = None,
) -> OutboxEntry:
    """Store a new ticket for the sender (audited as ``ticket.queue``)."""
    subject, body = " ".join(subject.split()), body.strip()
    if not subject:
        raise TicketRefused("the ticket needs a subject")
    if len(subject) > MAX_SUBJECT:
        raise TicketRefused(f"the subject is at most {MAX_SUBJECT} characters")
    if not body:
        raise TicketRefused("the ticket's text is empty")
    row = cache.conn.execute("SELECT channel, enabled FROM accounts WHERE id = ?", (account_id,)).fetchone()
    if row is None:
        raise TicketRefused(f"there is no account {account_id}")
    if row[0] not in {c.value for c in HELPDESKS}:
        raise TicketRefused("tickets are created on a Zendesk, Freshdesk or Zammad account")
    who = json.dumps({"name": requester.name, "email": requester.email, "handle": requester.handle})
    with cache.write("outbox", user_id=user_id) as tx:
        if tx.conn.execute("SELECT 1 FROM conversations WHERE id = ?", (social_conversation_id,)).fetchone() is None:
            raise TicketRefused("the conversation no longer exists")
        cur = tx.conn.execute(
            "INSERT INTO outbox (account_id, conversation_id, in_reply_to_item_id, body, visibility, state,"
            " next_attempt_at, idempotency_key, created_by, created_at, requires_approval, seq, kind, subject,"
            " requester) VALUES (?, ?, NULL, ?, 'public', 'queued', ?, ?, ?, ?, 0, ?, 'ticket', ?, ?)",
            (account_id, social_conversation_id, body, tx.now_ms, uuid.uuid4().hex, user_id, tx.now_ms,
             tx.next_seq(), subject, who),
        )  # fmt: skip
        outbox_id = int(cur.lastrowid or 0)
        tx.conn.execute(
            "INSERT INTO ticket_links (outbox_id, social_conversation_id, social_item_id) VALUES (?, ?, ?)",
            (outbox_id, social_conversation_id, social_item_id),
        )
        tx.audit("ticket.queue", f"outbox:{outbox_id}", account=account_id, conversation=social_conversation_id,
                 subject=subject)  # fmt: skip
        tx.summary["outbox"] += 1
    return outbox.get(cache, outbox_id)


def is_ticket(conn: Conn, outbox_id: int) -> bool:
    row = _conn(conn).execute("SELECT kind FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    return row is not None and row[0] == "ticket"


def ticket_fields(conn: Conn, outbox_id: int) -> tuple[str, Requester] | None:
    """The subject and requester of a new-ticket entry; ``None`` for a reply."""
    row = _conn(conn).execute("SELECT kind, subject, requester FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    if row is None or row[0] != "ticket":
        return None
    try:
        data = json.loads(row[2] or "{}")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    return row[1], Requester(str(data.get("name") or ""), str(data.get("email") or ""), str(data.get("handle") or ""))


def record_created(cache: Cache, account: Account, outbox_id: int, receipt: Receipt) -> TicketLink | None:
    """After the sender created the ticket: store it (``receipt.page``) and link both ways."""
    link = cache.conn.execute(
        "SELECT social_conversation_id, o.created_by FROM ticket_links l JOIN outbox o ON o.id = l.outbox_id"
        " WHERE l.outbox_id = ?",
        (outbox_id,),
    ).fetchone()
    if link is None:
        return None
    social_cid, by = int(link[0]), link[1]
    if receipt.page is not None and receipt.page.items:
        ingest_page(cache, account, None, receipt.page, source="outbox")
    row = cache.conn.execute(
        "SELECT id FROM conversations WHERE account_id = ? AND external_id = ?", (account.id, receipt.external_id)
    ).fetchone()
    ticket_cid = int(row[0]) if row is not None else None
    with cache.write("outbox", user_id=by) as tx:
        tx.conn.execute(
            "UPDATE ticket_links SET ticket_external_id = ?, ticket_conversation_id = ?, linked_at = ?"
            " WHERE outbox_id = ?",
            (receipt.external_id, ticket_cid, tx.now_ms, outbox_id),
        )
        tx.next_seq()
        tx.audit("ticket.link", f"conversation:{social_cid}", outbox=outbox_id, ticket=receipt.external_id,
                 ticket_conversation=ticket_cid)  # fmt: skip
        tx.summary["conversations"] += 1
    where = f"{account.name or account.key} #{receipt.external_id}"
    actions.add_note(cache, social_cid, f"Ticket created: {where} {receipt.permalink}".strip(), user_id=by)
    if ticket_cid is not None:
        source = _social_line(cache, social_cid)
        actions.add_note(cache, ticket_cid, f"Created from a social conversation: {source}".strip(), user_id=by)
        actions.set_team(cache, [ticket_cid], Team.CONTACT_CENTER, user_id=by)
    return link_of(cache, outbox_id)


def _social_line(cache: Cache, conversation_id: int) -> str:
    row = cache.conn.execute(
        "SELECT a.channel, i.author_name, i.author_handle, coalesce(p.prefix, '') || i.permalink FROM items i"
        " JOIN accounts a ON a.id = i.account_id LEFT JOIN url_prefixes p ON p.id = i.permalink_prefix"
        " WHERE i.conversation_id = ? AND i.direction = 'in' ORDER BY i.id LIMIT 1",
        (conversation_id,),
    ).fetchone()
    if row is None:
        return f"conversation {conversation_id}"
    channel, name, handle, link = row
    who = " ".join(x for x in (name or "", f"@{handle}" if handle else "") if x)
    return " ".join(x for x in (f"{channel}:", who, link or "") if x)


def link_of(conn: Conn, outbox_id: int) -> TicketLink | None:
    row = (
        _conn(conn)
        .execute(
            "SELECT l.outbox_id, l.social_conversation_id, l.social_item_id, l.ticket_external_id,"
            " l.ticket_conversation_id, o.state FROM ticket_links l JOIN outbox o ON o.id = l.outbox_id"
            " WHERE l.outbox_id = ?",
            (outbox_id,),
        )
        .fetchone()
    )
    return _link(row) if row is not None else None


def links_of_conversation(conn: Conn, social_conversation_id: int) -> list[TicketLink]:
    rows = _conn(conn).execute(
        "SELECT l.outbox_id, l.social_conversation_id, l.social_item_id, l.ticket_external_id,"
        " l.ticket_conversation_id, o.state FROM ticket_links l JOIN outbox o ON o.id = l.outbox_id"
        " WHERE l.social_conversation_id = ? ORDER BY l.outbox_id",
        (social_conversation_id,),
    )
    return [_link(r) for r in rows]


def _link(r: tuple[Any, ...]) -> TicketLink:
    return TicketLink(int(r[0]), int(r[1]), r[2], str(r[3]), r[4], OutboxState(r[5]))


def helpdesk_accounts(conn: Conn) -> list[tuple[int, str, str]]:
    """Enabled helpdesk accounts: (id, channel, name)."""
    marks = ",".join("?" * len(HELPDESKS))
    rows = _conn(conn).execute(
        f"SELECT id, channel, coalesce(nullif(name, ''), key) FROM accounts WHERE enabled = 1 AND channel IN ({marks})"
        " ORDER BY id",
        [c.value for c in HELPDESKS],
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """What "Create ticket…" offers for a social item: a subject and the text (the complaint,
    its author, handle and link), the requester, and the item's conversation and channel."""

    item_id: int
    conversation_id: int
    channel: str
    subject: str
    body: str
    requester: Requester


def draft_for(conn: Conn, item_id: int) -> TicketDraft | None:
    row = (
        _conn(conn)
        .execute(
            "SELECT i.conversation_id, a.channel, i.author_name, i.author_handle, i.text, i.subject,"
            " coalesce(p.prefix, '') || i.permalink, coalesce(c.email, '') FROM items i"
            " JOIN accounts a ON a.id = i.account_id LEFT JOIN url_prefixes p ON p.id = i.permalink_prefix"
            " LEFT JOIN contacts c ON c.id = i.contact_id WHERE i.id = ?",
            (item_id,),
        )
        .fetchone()
    )
    if row is None:
        return None
    cid, channel, name, handle, text, subject, link, email = row
    handle = str(handle or "")
    shown_handle = handle if handle.startswith("@") or not handle else f"@{handle}"
    first_line = " ".join(str(text or "").split())
    subject = subject or (first_line[:77] + "…" if len(first_line) > 78 else first_line)
    who = " ".join(x for x in (str(name or ""), f"({shown_handle})" if shown_handle else "") if x)
    channel_name = CHANNEL_NAMES.get(str(channel), str(channel).capitalize())
    body = "\n".join(
        x
        for x in (
            str(text or "").strip(),
            "",
            f"— {who} on {channel_name}" if who else f"— on {channel_name}",
            link or "",
        )
        if x is not None
    ).strip()
    return TicketDraft(item_id, int(cid), str(channel), subject, body, Requester(str(name or ""), email, handle))
