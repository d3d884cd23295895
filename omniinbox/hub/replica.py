"""A desktop in team mode: its local SQLite cache as a replica of what its hub user may see.

**Pull** (:func:`pull`): every row the hub changed since the cursor kept in the cache
(``hub_replica.cursor``, see :mod:`omniinbox.hub.changes` for why it is a pair) is applied to
the cache, one local transaction per batch, each writing the cache's change sequence so the
window refreshes. Hub ids are mapped to local ids by natural keys (``hub_ids``): accounts by key
(mirrored without secrets, and never synced from this desk: the hub's workers do that), users by
login, contacts by channel and external id, conversations and items by account and external id.
Items go through the store's own ingest path (:func:`omniinbox.store.ingest.write_page`), so
full-text search and the list treat them like any other. A conversation that leaves the user's
view (an ``assignments`` row naming them as ``from_user_id``, and the hub no longer showing it)
is dropped here with its items; one that comes into view (assigned to them) is filled in with
its items, tags and notes. Replaying a pull changes nothing.

**Push** (:func:`push`): people's actions are journaled by the store in the same transaction as
the local change (:mod:`omniinbox.store.hub_journal`) and pushed in order under the user's own
PostgreSQL login, through the hub's tables and functions, so row-level security and the hub's
functions decide. A refused action is kept with PostgreSQL's reason and listed among the sync
problems, and the rows it touched are read back from the hub (the hub's state wins). Conflict
rules: last writer wins for tags; the hub's assignment wins; a reply needs the conversation's
soft lock (the push takes it, or the composer took it with :func:`take_reply_lock`; someone
else's live lock refuses the reply: "Dewi is replying"); an explicit take-over
(:func:`take_over_reply_lock`) is audited by the hub.

**Live and offline** (:class:`HubReplicaLoop`): a thread LISTENs for the hub's notifications and
pulls when told (and every ``interval`` seconds anyway), pushes pending actions as soon as they
are journaled, and when the hub cannot be reached leaves the window working on the cache with
actions queued, reconnecting with backoff. :meth:`HubReplicaLoop.state` says what to show
("offline, 3 actions waiting").
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
from psycopg import conninfo
from psycopg.rows import dict_row

from omniinbox import paths
from omniinbox.core import (
    Account,
    Author,
    Direction,
    Engagement,
    Item,
    ItemKind,
    Page,
    Visibility,
    to_millis,
    utcnow,
)
from omniinbox.hub import locks
from omniinbox.hub import outbox as hub_outbox
from omniinbox.hub.changes import ChangeCursor, listen, pull_changes, readable_tables, wait_for_changes
from omniinbox.hub.connection import connect, mask_dsn
from omniinbox.hub.errors import (
    HubError,
    HubPermissionDenied,
    HubRefused,
    HubUnreachable,
    refusals,
    server_message,
)
from omniinbox.hub.schema import check_schema
from omniinbox.secrets import REDACTOR
from omniinbox.store import hub_journal
from omniinbox.store.accounts import get_account
from omniinbox.store.cache import Cache, WriteTx
from omniinbox.store.hub_journal import JournalEntry
from omniinbox.store.ingest import write_page

log = logging.getLogger(__name__)

# What the replica applies, in the feed's order (a row's references arrive before it).
REPLICATED = (
    "users", "accounts", "contacts", "conversations", "items", "tags", "labels", "notes", "assignments",
    "outbox", "soft_locks", "tombstones",
)  # fmt: skip


class ReplicaError(HubError):
    """This cache cannot serve as the replica asked for (another hub or another person's)."""


def _ms(value: datetime | None) -> int | None:
    return to_millis(value)


# ---------------------------------------------------------------------------------- setting up


def desk_dsn(dsn: str, login: str | None) -> str:
    """``dsn`` connecting as ``login`` (the DSN's own user when ``None``)."""
    if not login:
        return dsn
    return conninfo.make_conninfo(dsn, user=login)


def login_of(dsn: str) -> str:
    """The login a DSN connects as (libpq's default, the system user, when it names none)."""
    try:
        user = conninfo.conninfo_to_dict(dsn).get("user")
    except psycopg.ProgrammingError as exc:
        raise ReplicaError(f"the hub address is not valid: {REDACTOR(server_message(exc))}") from None
    if user:
        return str(user)
    import getpass

    return getpass.getuser()


def _hub_identity(dsn: str) -> str:
    """The hub's address without password or connection options: host, port, database."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ReplicaError(f"the hub address is not valid: {REDACTOR(server_message(exc))}") from None
    return "{host}:{port}/{dbname}".format(
        host=params.get("host") or params.get("hostaddr") or "localhost",
        port=params.get("port") or 5432,
        dbname=params.get("dbname") or "",
    )


def team_cache_path(dsn: str, login: str) -> Path:
    """The team-mode cache of ``login`` on the hub at ``dsn``, next to the normal cache: one per
    hub and person, so two people (two windows) on one machine never share a replica."""
    digest = hashlib.sha256(f"{_hub_identity(dsn)}\x1f{login}".encode()).hexdigest()[:12]
    return paths.data_dir() / f"team-{digest}.sqlite"


def secret_ref(dsn: str, login: str) -> str:
    """The keyring entry holding ``login``'s hub password."""
    return f"hub:{login}@{_hub_identity(dsn)}"


def init_replica(cache: Cache, dsn: str, login: str) -> None:
    """Make ``cache`` the team-mode replica of ``login`` on the hub at ``dsn`` (first time), or
    check that it is already that one."""
    conn = cache.conn
    mode = hub_journal.setting(conn, "mode")
    hub, known_login = hub_journal.setting(conn, "hub"), hub_journal.setting(conn, "login")
    identity = _hub_identity(dsn)
    if mode == hub_journal.TEAM:
        if known_login != login or hub != identity:
            raise ReplicaError(
                f"the cache {cache.path} replicates {known_login} on {hub}, not {login} on {identity};"
                " use another cache file"
            )
        return
    if conn.execute("SELECT count(*) FROM items").fetchone()[0]:
        raise ReplicaError(f"the cache {cache.path} holds a desk's own items; a team replica starts empty")
    with cache.write("hub") as tx:
        hub_journal.put_setting(tx.conn, "mode", hub_journal.TEAM)
        hub_journal.put_setting(tx.conn, "login", login)
        hub_journal.put_setting(tx.conn, "hub", identity)


# ---------------------------------------------------------------------------------- pull


@dataclass(slots=True)
class PullReport:
    cursor: ChangeCursor
    rows: Counter[str] = field(default_factory=Counter)  # hub rows handed over, per table
    dropped: int = 0  # conversations that left the user's view
    filled: int = 0  # conversations that came into view and were filled in
    seconds: float = 0.0


def _cursor(cache: Cache) -> ChangeCursor:
    text = hub_journal.setting(cache.conn, "cursor")
    return ChangeCursor.loads(text) if text else ChangeCursor()


def _me(hub_conn: psycopg.Connection[Any]) -> tuple[int | None, str | None]:
    row = hub_conn.execute("SELECT omniinbox.me(), omniinbox.my_role()").fetchone()
    assert row is not None
    return (None if row[0] is None else int(row[0])), row[1]


class _Applier:
    """Applies hub rows to the cache, one local write transaction per call."""

    def __init__(self, cache: Cache, me: int | None) -> None:
        self.cache = cache
        self.me = me
        self.accounts: dict[int, Account] = {}
        self.new_conversations: set[int] = set()  # hub ids first seen in this pull
        self.item_conversations: set[int] = set()  # hub conversation ids whose items came in this pull
        self.left: set[int] = set()  # hub conversation ids the user was taken off
        self.rows: Counter[str] = Counter()

    def apply(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.rows[table] += len(rows)
        handler: Callable[[WriteTx, list[dict[str, Any]]], None] = getattr(self, f"_{table}")
        with self.cache.write("hub") as tx:
            handler(tx, rows)

    # -- helpers

    def _local(self, tx: WriteTx, kind: str, hub: int | None) -> int | None:
        return hub_journal.local_id(tx.conn, kind, hub)

    def _account(self, tx: WriteTx, hub_account: int) -> Account | None:
        account = self.accounts.get(hub_account)
        if account is None:
            local = self._local(tx, "account", hub_account)
            if local is None:
                return None
            account = self.accounts[hub_account] = get_account(self.cache, local)
        return account

    # -- tables

    def _users(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            found = tx.conn.execute("SELECT id FROM users WHERE login = ?", (r["login"],)).fetchone()
            if found is None:
                cur = tx.conn.execute(
                    "INSERT INTO users (login, name, role, team, created_at) VALUES (?, ?, ?, ?, ?)",
                    (r["login"], r["name"], r["role"], r["team"], _ms(r["created_at"]) or tx.now_ms),
                )
                local = int(cur.lastrowid or 0)
                tx.summary["users"] += 1
            else:
                local = int(found[0])
                cur = tx.conn.execute(
                    "UPDATE users SET name = ?, role = ?, team = ? WHERE id = ?"
                    " AND (name IS NOT ? OR role IS NOT ? OR team IS NOT ?)",
                    (r["name"], r["role"], r["team"], local, r["name"], r["role"], r["team"]),
                )
                tx.summary["users"] += max(cur.rowcount, 0)
            hub_journal.remember(tx.conn, "user", int(r["id"]), local)

    def _accounts(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        import json

        for r in rows:
            settings = json.dumps(dict(r["settings"] or {}), sort_keys=True)
            values = (r["channel"], r["name"], r["owner_kind"], r["base_url"], r["handle"], settings, int(r["enabled"]))
            # secret_ref stays empty: the hub's workers sync this account, never this desk
            cur = tx.conn.execute(
                "INSERT INTO accounts (key, channel, name, owner_kind, base_url, handle, secret_ref, settings, enabled,"
                " created_at, seq) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET channel = excluded.channel, name = excluded.name,"
                " owner_kind = excluded.owner_kind, base_url = excluded.base_url, handle = excluded.handle,"
                " secret_ref = '', settings = excluded.settings, enabled = excluded.enabled, seq = excluded.seq"
                " WHERE (accounts.channel, accounts.name, accounts.owner_kind, accounts.base_url, accounts.handle,"
                " accounts.settings, accounts.enabled, accounts.secret_ref) IS NOT (excluded.channel,"
                " excluded.name, excluded.owner_kind, excluded.base_url, excluded.handle, excluded.settings,"
                " excluded.enabled, '')",
                (r["key"], *values, _ms(r["created_at"]) or tx.now_ms, tx.next_seq()),
            )
            tx.summary["accounts"] += max(cur.rowcount, 0)
            local = int(tx.conn.execute("SELECT id FROM accounts WHERE key = ?", (r["key"],)).fetchone()[0])
            hub_journal.remember(tx.conn, "account", int(r["id"]), local)
            self.accounts.pop(int(r["id"]), None)

    def _contacts(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            values = (r["name"], r["handle"], r["email"], r["url"], r["followers"], int(r["verified"]),
                      int(r["is_kol"]), _ms(r["observed_at"]))  # fmt: skip
            cur = tx.conn.execute(
                "INSERT INTO contacts (channel, external_id, name, handle, email, url, followers, verified, is_kol,"
                " observed_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (channel, external_id) DO UPDATE SET name = excluded.name, handle = excluded.handle,"
                " email = excluded.email, url = excluded.url, followers = excluded.followers,"
                " verified = excluded.verified, is_kol = excluded.is_kol, observed_at = excluded.observed_at,"
                " seq = excluded.seq"
                " WHERE (contacts.name, contacts.handle, contacts.email, contacts.url, contacts.followers,"
                " contacts.verified, contacts.is_kol, contacts.observed_at) IS NOT (excluded.name, excluded.handle,"
                " excluded.email, excluded.url, excluded.followers, excluded.verified, excluded.is_kol,"
                " excluded.observed_at)",
                (r["channel"], r["external_id"], *values, tx.next_seq()),
            )
            tx.summary["contacts"] += max(cur.rowcount, 0)
            local = tx.conn.execute(
                "SELECT id FROM contacts WHERE channel = ? AND external_id = ?", (r["channel"], r["external_id"])
            ).fetchone()[0]
            hub_journal.remember(tx.conn, "contact", int(r["id"]), int(local))

    _CONVERSATION_FIELDS = (
        "kind", "subject", "status", "priority", "team", "assignee_id", "snoozed_until", "sla_due_at",
        "first_item_at", "last_item_at", "last_inbound_at",
    )  # fmt: skip

    def _conversations(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        fields = self._CONVERSATION_FIELDS
        sets = ", ".join(f"{f} = excluded.{f}" for f in fields)
        differs = (
            f"({', '.join(f'conversations.{f}' for f in fields)}) IS NOT ({', '.join(f'excluded.{f}' for f in fields)})"
        )
        sql = (
            f"INSERT INTO conversations (account_id, external_id, {', '.join(fields)}, seq)"
            f" VALUES ({', '.join('?' * (len(fields) + 3))})"
            f" ON CONFLICT (account_id, external_id) DO UPDATE SET {sets}, seq = excluded.seq WHERE {differs}"
        )
        for r in rows:
            account = self._account(tx, int(r["account_id"]))
            if account is None:
                log.warning("hub conversation %s names an account this replica does not know", r["id"])
                continue
            known = self._local(tx, "conversation", int(r["id"]))
            values = (
                r["kind"], r["subject"], r["status"], int(r["priority"]), r["team"],
                self._local(tx, "user", r["assignee_id"]), _ms(r["snoozed_until"]), _ms(r["sla_due_at"]),
                _ms(r["first_item_at"]), _ms(r["last_item_at"]), _ms(r["last_inbound_at"]),
            )  # fmt: skip
            cur = tx.conn.execute(sql, (account.id, r["external_id"], *values, tx.next_seq()))
            tx.summary["conversations"] += max(cur.rowcount, 0)
            if known is None:
                local = tx.conn.execute(
                    "SELECT id FROM conversations WHERE account_id = ? AND external_id = ?",
                    (account.id, r["external_id"]),
                ).fetchone()[0]
                hub_journal.remember(tx.conn, "conversation", int(r["id"]), int(local))
                self.new_conversations.add(int(r["id"]))

    def _items(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        by_account: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            by_account.setdefault(int(r["account_id"]), []).append(r)
            self.item_conversations.add(int(r["conversation_id"]))
        for hub_account, group in by_account.items():
            account = self._account(tx, hub_account)
            if account is None:
                log.warning("hub items of account %s, which this replica does not know, skipped", hub_account)
                continue
            items = [self._item(tx, r) for r in group]
            page = Page(items=[i for i in items if i is not None])
            write_page(tx, account, None, page)
            for r in group:
                local = tx.conn.execute(
                    "SELECT id FROM items WHERE account_id = ? AND external_id = ?", (account.id, r["external_id"])
                ).fetchone()
                if local is not None:
                    hub_journal.remember(tx.conn, "item", int(r["id"]), int(local[0]))

    def _item(self, tx: WriteTx, r: dict[str, Any]) -> Item | None:
        conversation = self._local(tx, "conversation", int(r["conversation_id"]))
        if conversation is None:
            return None
        conversation_ext = tx.conn.execute(
            "SELECT external_id FROM conversations WHERE id = ?", (conversation,)
        ).fetchone()[0]
        author = None
        contact = self._local(tx, "contact", r["contact_id"])
        if contact is not None:
            c = tx.conn.execute(
                "SELECT external_id, name, handle, followers, verified, url, email FROM contacts WHERE id = ?",
                (contact,),
            ).fetchone()
            author = Author(c[0], name=r["author_name"], handle=r["author_handle"], followers=c[3],
                            verified=bool(c[4]), url=c[5], email=c[6])  # fmt: skip
        elif r["author_name"] or r["author_handle"]:
            author = Author("", name=r["author_name"], handle=r["author_handle"])
        return Item(
            external_id=r["external_id"],
            kind=ItemKind(r["kind"]),
            text=r["text"],
            conversation_id=conversation_ext,
            created_at=r["created_at"],
            author=author,
            direction=Direction(r["direction"]),
            subject=r["subject"],
            parent_id=r["parent_external_id"],
            permalink=r["permalink"],
            edited_at=r["edited_at"],
            deleted_at=r["deleted_at"],
            engagement=Engagement(int(r["likes"]), int(r["replies"]), int(r["shares"]), int(r["views"])),
            visibility=Visibility(r["visibility"]),
            raw=r["raw"],
        )

    def _tags(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            item = self._local(tx, "item", int(r["item_id"]))
            if item is None:
                continue
            set_by = self._local(tx, "user", r["set_by"])
            cur = tx.conn.execute(
                "INSERT INTO tags (item_id, team, value, set_by, set_at, seq) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (item_id, team) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,"
                " set_at = excluded.set_at, seq = excluded.seq"
                " WHERE (tags.value, tags.set_by) IS NOT (excluded.value, excluded.set_by)",
                (item, r["team"], r["value"], set_by, _ms(r["set_at"]) or tx.now_ms, tx.next_seq()),
            )
            tx.summary["tags"] += max(cur.rowcount, 0)

    def _labels(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            item = self._local(tx, "item", int(r["item_id"]))
            if item is not None:
                cur = tx.conn.execute(
                    "INSERT OR IGNORE INTO labels (item_id, label, seq) VALUES (?, ?, ?)",
                    (item, r["label"], tx.next_seq()),
                )
                tx.summary["labels"] += max(cur.rowcount, 0)

    def _notes(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            conversation = self._local(tx, "conversation", int(r["conversation_id"]))
            if conversation is None:
                continue
            local = self._local(tx, "note", int(r["id"]))
            if local is not None:
                cur = tx.conn.execute(
                    "UPDATE notes SET body = ?, seq = ? WHERE id = ? AND body IS NOT ?",
                    (r["body"], tx.next_seq(), local, r["body"]),
                )
                tx.summary["notes"] += max(cur.rowcount, 0)
                continue
            cur = tx.conn.execute(
                "INSERT INTO notes (conversation_id, author_id, body, created_at, seq) VALUES (?, ?, ?, ?, ?)",
                (
                    conversation,
                    self._local(tx, "user", r["author_id"]),
                    r["body"],
                    _ms(r["created_at"]) or tx.now_ms,
                    tx.next_seq(),
                ),
            )
            hub_journal.remember(tx.conn, "note", int(r["id"]), int(cur.lastrowid or 0))
            tx.summary["notes"] += 1

    def _assignments(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            if self.me is not None and r["from_user_id"] == self.me and r["to_user_id"] != self.me:
                self.left.add(int(r["conversation_id"]))

    def _outbox(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            account = self._account(tx, int(r["account_id"]))
            if account is None:
                continue
            state = (r["state"], int(r["attempts"]), r["last_error"], r["receipt_id"], _ms(r["sent_at"]),
                     int(r["requires_approval"]), self._local(tx, "user", r["approved_by"]))  # fmt: skip
            found = tx.conn.execute(
                "SELECT id FROM outbox WHERE idempotency_key = ?", (r["idempotency_key"],)
            ).fetchone()
            if found is not None:
                local = int(found[0])
                cur = tx.conn.execute(
                    "UPDATE outbox SET state = ?, attempts = ?, last_error = ?, receipt_id = ?, sent_at = ?,"
                    " requires_approval = ?, approved_by = ?, seq = ? WHERE id = ?"
                    " AND (state, attempts, last_error, receipt_id, sent_at, requires_approval, approved_by)"
                    " IS NOT (?, ?, ?, ?, ?, ?, ?)",
                    (*state, tx.next_seq(), local, *state),
                )
                tx.summary["outbox"] += max(cur.rowcount, 0)
            else:
                cur = tx.conn.execute(
                    "INSERT INTO outbox (account_id, conversation_id, in_reply_to_item_id, body, visibility,"
                    " idempotency_key, created_by, created_at, state, attempts, last_error, receipt_id, sent_at,"
                    " requires_approval, approved_by, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        account.id, self._local(tx, "conversation", r["conversation_id"]),
                        self._local(tx, "item", r["in_reply_to_item_id"]), r["body"], r["visibility"],
                        r["idempotency_key"], self._local(tx, "user", r["created_by"]),
                        _ms(r["created_at"]) or tx.now_ms, *state, tx.next_seq(),
                    ),
                )  # fmt: skip
                local = int(cur.lastrowid or 0)
                tx.summary["outbox"] += 1
            hub_journal.remember(tx.conn, "outbox", int(r["id"]), local)

    def _soft_locks(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            conversation = self._local(tx, "conversation", int(r["conversation_id"]))
            if conversation is None:
                continue
            holder = tx.conn.execute(
                "SELECT u.id, u.login, u.name FROM hub_ids h JOIN users u ON u.id = h.local_id"
                " WHERE h.kind = 'user' AND h.hub_id = ?",
                (r["holder_id"],),
            ).fetchone()
            values = (holder[0] if holder else None, holder[1] if holder else "", holder[2] if holder else "",
                      _ms(r["expires_at"]) or 0)  # fmt: skip
            cur = tx.conn.execute(
                "INSERT INTO hub_locks (conversation_id, holder_id, holder_login, holder_name, expires_at, seq)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET holder_id = excluded.holder_id,"
                " holder_login = excluded.holder_login, holder_name = excluded.holder_name,"
                " expires_at = excluded.expires_at, seq = excluded.seq"
                " WHERE (hub_locks.holder_id, hub_locks.expires_at) IS NOT (excluded.holder_id, excluded.expires_at)",
                (conversation, *values, tx.next_seq()),
            )
            tx.summary["locks"] += max(cur.rowcount, 0)

    def _tombstones(self, tx: WriteTx, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            table, key = r["table_name"], r["row_key"] or {}
            if table == "tags":
                item = self._local(tx, "item", key.get("item_id"))
                if item is not None:
                    cur = tx.conn.execute("DELETE FROM tags WHERE item_id = ? AND team = ?", (item, key.get("team")))
                    tx.summary["tags"] += max(cur.rowcount, 0)
            elif table == "labels":
                item = self._local(tx, "item", key.get("item_id"))
                if item is not None:
                    cur = tx.conn.execute(
                        "DELETE FROM labels WHERE item_id = ? AND label = ?", (item, key.get("label"))
                    )
                    tx.summary["labels"] += max(cur.rowcount, 0)
            elif table == "notes":
                note = self._local(tx, "note", key.get("id"))
                if note is not None:
                    cur = tx.conn.execute("DELETE FROM notes WHERE id = ?", (note,))
                    tx.conn.execute("DELETE FROM hub_ids WHERE kind = 'note' AND local_id = ?", (note,))
                    tx.summary["notes"] += max(cur.rowcount, 0)
            elif table == "soft_locks":
                conversation = self._local(tx, "conversation", key.get("conversation_id"))
                if conversation is not None:
                    cur = tx.conn.execute("DELETE FROM hub_locks WHERE conversation_id = ?", (conversation,))
                    tx.summary["locks"] += max(cur.rowcount, 0)
            # conversations, items and accounts are never deleted by the hub's own paths


def _drop_conversation(tx: WriteTx, local: int) -> None:
    """Forget a conversation that left the user's view, with its items and what hangs on them."""
    conn = tx.conn
    items = [r[0] for r in conn.execute("SELECT id FROM items WHERE conversation_id = ?", (local,))]
    marks = ",".join("?" * len(items))
    outbox_ids = [r[0] for r in conn.execute(
        f"SELECT id FROM outbox WHERE conversation_id = ? OR in_reply_to_item_id IN ({marks or 'NULL'})",
        (local, *items))]  # fmt: skip
    note_ids = [r[0] for r in conn.execute("SELECT id FROM notes WHERE conversation_id = ?", (local,))]
    conn.execute(
        f"DELETE FROM statement_replies WHERE conversation_id = ? OR item_id IN ({marks or 'NULL'})"
        f" OR outbox_id IN ({','.join('?' * len(outbox_ids)) or 'NULL'})",
        (local, *items, *outbox_ids),
    )
    for kind, ids, table in (("outbox", outbox_ids, "outbox"), ("note", note_ids, "notes"), ("item", items, "items")):
        for row_id in ids:
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
            conn.execute("DELETE FROM hub_ids WHERE kind = ? AND local_id = ?", (kind, row_id))
    conn.execute("DELETE FROM hub_locks WHERE conversation_id = ?", (local,))
    conn.execute("DELETE FROM conversations WHERE id = ?", (local,))
    conn.execute("DELETE FROM hub_ids WHERE kind = 'conversation' AND local_id = ?", (local,))
    tx.next_seq()
    tx.summary["conversations"] += 1
    tx.summary["items"] += len(items)


def _fetch(hub_conn: psycopg.Connection[Any], query: str, *params: Any) -> list[dict[str, Any]]:
    with hub_conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def _fill(hub_conn: psycopg.Connection[Any], applier: _Applier, conversations: Sequence[int]) -> None:
    """Conversations that came into view with no change of their own items: read what they hold."""
    ids = list(conversations)
    with hub_conn.transaction():
        hub_conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        items = _fetch(hub_conn, "SELECT * FROM omniinbox.items WHERE conversation_id = ANY(%s) ORDER BY id", ids)
        item_ids = [int(r["id"]) for r in items]
        contact_ids = sorted({int(r["contact_id"]) for r in items if r["contact_id"] is not None})
        fetched = {
            "contacts": _fetch(hub_conn, "SELECT * FROM omniinbox.contacts WHERE id = ANY(%s)", contact_ids),
            "items": items,
            "tags": _fetch(hub_conn, "SELECT * FROM omniinbox.tags WHERE item_id = ANY(%s)", item_ids),
            "labels": _fetch(hub_conn, "SELECT * FROM omniinbox.labels WHERE item_id = ANY(%s)", item_ids),
            "notes": _fetch(hub_conn, "SELECT * FROM omniinbox.notes WHERE conversation_id = ANY(%s) ORDER BY id", ids),
            "outbox": _fetch(
                hub_conn, "SELECT * FROM omniinbox.outbox WHERE conversation_id = ANY(%s) ORDER BY id", ids
            ),
            "soft_locks": _fetch(hub_conn, "SELECT * FROM omniinbox.soft_locks WHERE conversation_id = ANY(%s)", ids),
        }
    for table, rows in fetched.items():
        if rows:
            applier.apply(table, rows)


def replicated_tables(hub_conn: psycopg.Connection[Any]) -> list[str]:
    """The tables this replica applies that the connection's login may read."""
    readable = set(readable_tables(hub_conn))
    return [t for t in REPLICATED if t in readable]


def pull(
    hub_conn: psycopg.Connection[Any], cache: Cache, *, batch_size: int = 1000, tables: Sequence[str] | None = None
) -> PullReport:
    """Apply every hub change since the cache's cursor, then move the cursor. Should anything
    fail half way, the batches applied stay (they are replays next time) and the cursor does not
    move, so nothing is lost. ``tables``: :func:`replicated_tables` of this connection, when the
    caller keeps them."""
    started = time.perf_counter()
    before = _cursor(cache)
    me, _role = _me(hub_conn)
    applier = _Applier(cache, me)
    tables = list(tables) if tables is not None else replicated_tables(hub_conn)
    after = pull_changes(hub_conn, applier.apply, before, tables=tables, batch_size=batch_size)
    report = PullReport(after, applier.rows)
    if before.seq > 0:
        come_in = sorted(applier.new_conversations - applier.item_conversations)
        if come_in:
            _fill(hub_conn, applier, come_in)
            report.filled = len(come_in)
    if applier.left:
        candidates = sorted(applier.left)
        visible = {int(r[0]) for r in hub_conn.execute(
            "SELECT id FROM omniinbox.conversations WHERE id = ANY(%s)", (candidates,))}  # fmt: skip
        gone = [c for c in candidates if c not in visible]
        if gone:
            with cache.write("hub") as tx:
                for hub_cid in gone:
                    local = hub_journal.local_id(tx.conn, "conversation", hub_cid)
                    if local is not None:
                        _drop_conversation(tx, local)
                        report.dropped += 1
    if after != before:
        with cache.write("hub") as tx:
            hub_journal.put_setting(tx.conn, "cursor", after.dumps())
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------------------- push


@dataclass(slots=True)
class PushReport:
    pushed: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (journal id, reason)


class _Refusal(Exception):
    """The hub will not take this action; the message says why (for people)."""


_UNREACHABLE = (HubUnreachable, psycopg.OperationalError, psycopg.InterfaceError)


class _Pusher:
    def __init__(self, hub_conn: psycopg.Connection[Any], cache: Cache) -> None:
        self.hub = hub_conn
        self.cache = cache
        self.after: list[tuple[str, int, int]] = []  # ids to remember once the hub committed
        self.me, self.role = _me(hub_conn)

    def hub_id(self, kind: str, local: int | None, what: str) -> int:
        found = hub_journal.hub_id(self.cache.conn, kind, local)
        if found is None:
            raise _Refusal(f"{what} is not in the hub (it may have left your view)")
        return found

    def account_of(self, entry: JournalEntry) -> int | None:
        p = entry.payload
        conn = self.cache.conn
        if "item_id" in p:
            row = conn.execute("SELECT account_id FROM items WHERE id = ?", (p["item_id"],)).fetchone()
        elif "conversation_id" in p:
            row = conn.execute("SELECT account_id FROM conversations WHERE id = ?", (p["conversation_id"],)).fetchone()
        elif "outbox_id" in p:
            row = conn.execute("SELECT account_id FROM outbox WHERE id = ?", (p["outbox_id"],)).fetchone()
        else:
            row = None
        return None if row is None else int(row[0])

    def push(self, entry: JournalEntry) -> None:
        handler: Callable[[dict[str, Any], JournalEntry], None] | None = getattr(
            self, "_" + entry.action.replace(".", "_"), None
        )
        if handler is None:
            raise _Refusal(f"this version does not know how to send {entry.action!r} to the hub")
        self.after = []
        with refusals(), self.hub.transaction():
            handler(entry.payload, entry)
        if self.after:  # only once the hub committed: what it now holds under which id
            with self.cache.write("hub") as tx:
                for kind, hub, local in self.after:
                    hub_journal.remember(tx.conn, kind, hub, local)

    # -- conversations

    def _update_conversation(self, p: dict[str, Any], column_values: dict[str, Any], what: str) -> None:
        cid = self.hub_id("conversation", p["conversation_id"], "the conversation")
        sets = ", ".join(f"{c} = %s" for c in column_values)
        cur = self.hub.execute(
            f"UPDATE omniinbox.conversations SET {sets} WHERE id = %s",
            (*column_values.values(), cid),
        )
        if cur.rowcount:
            return
        # No row changed: either it already was so, or row-level security hid it from the update.
        row = self.hub.execute(
            f"SELECT {', '.join(column_values)} FROM omniinbox.conversations WHERE id = %s",
            (cid,),
        ).fetchone()
        if row is None:
            raise _Refusal("the conversation is no longer in your queues")
        if tuple(row) != tuple(column_values.values()):
            raise _Refusal(f"only the conversation's assignee or a supervisor may change its {what}")

    def _status(self, p: dict[str, Any], entry: JournalEntry) -> None:
        until = p.get("until")
        self._update_conversation(
            p, {"status": p["status"], "snoozed_until": None if until is None else _from_ms(until)}, "status"
        )

    def _priority(self, p: dict[str, Any], entry: JournalEntry) -> None:
        self._update_conversation(p, {"priority": int(p["priority"])}, "priority")

    def _team(self, p: dict[str, Any], entry: JournalEntry) -> None:
        self._update_conversation(p, {"team": p["team"]}, "team")

    def _sla(self, p: dict[str, Any], entry: JournalEntry) -> None:
        due = p.get("due")
        self._update_conversation(p, {"sla_due_at": None if due is None else _from_ms(due)}, "due time")

    def _assign(self, p: dict[str, Any], entry: JournalEntry) -> None:
        cid = self.hub_id("conversation", p["conversation_id"], "the conversation")
        to = None if p["assignee_id"] is None else self.hub_id("user", p["assignee_id"], "that person")
        if to is not None and to == self.me and self.role != "supervisor":
            self.hub.execute("SELECT omniinbox.claim_conversation(%s)", (cid,))
            return
        self._update_conversation(p, {"assignee_id": to}, "assignee")

    # -- items

    def _tag(self, p: dict[str, Any], entry: JournalEntry) -> None:
        item = self.hub_id("item", p["item_id"], "the item")
        if p["value"] is None:
            cur = self.hub.execute("DELETE FROM omniinbox.tags WHERE item_id = %s AND team = %s", (item, p["team"]))
            if (
                not cur.rowcount
                and self.hub.execute(
                    "SELECT 1 FROM omniinbox.tags WHERE item_id = %s AND team = %s", (item, p["team"])
                ).fetchone()
            ):
                raise _Refusal("only whoever set this tag, the conversation's assignee or a supervisor may clear it")
            return
        # last writer wins: whoever the hub hears last sets the team's judgement
        self.hub.execute(
            "INSERT INTO omniinbox.tags AS t (item_id, team, value, set_by, set_at)"
            " VALUES (%s, %s, %s, omniinbox.me(), clock_timestamp())"
            " ON CONFLICT (item_id, team) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,"
            " set_at = excluded.set_at"
            " WHERE t.value IS DISTINCT FROM excluded.value OR t.set_by IS DISTINCT FROM excluded.set_by",
            (item, p["team"], p["value"]),
        )

    def _label(self, p: dict[str, Any], entry: JournalEntry) -> None:
        item = self.hub_id("item", p["item_id"], "the item")
        self.hub.execute(
            "INSERT INTO omniinbox.labels (item_id, label, set_by) VALUES (%s, %s, omniinbox.me())"
            " ON CONFLICT DO NOTHING",
            (item, p["label"]),
        )

    def _note(self, p: dict[str, Any], entry: JournalEntry) -> None:
        cid = self.hub_id("conversation", p["conversation_id"], "the conversation")
        row = self.cache.conn.execute("SELECT body FROM notes WHERE id = ?", (p["note_id"],)).fetchone()
        if row is None:
            raise _Refusal("the note no longer exists here")
        body = row[0]
        # A push that reached the hub but not its record here (a crash in between) left the note
        # there: find it rather than write it twice.
        found = None
        for (hub_note,) in self.hub.execute(
            "SELECT id FROM omniinbox.notes WHERE conversation_id = %s AND author_id = omniinbox.me() AND body = %s"
            " AND created_at >= %s ORDER BY id",
            (cid, body, _from_ms(entry.created_at) - timedelta(minutes=10)),
        ):
            if hub_journal.local_id(self.cache.conn, "note", int(hub_note)) is None:
                found = int(hub_note)
                break
        if found is None:
            inserted = self.hub.execute(
                "INSERT INTO omniinbox.notes (conversation_id, author_id, body) VALUES (%s, omniinbox.me(), %s)"
                " RETURNING id",
                (cid, body),
            ).fetchone()
            assert inserted is not None
            found = int(inserted[0])
        self.after.append(("note", found, int(p["note_id"])))

    # -- replies

    def _reply(self, p: dict[str, Any], entry: JournalEntry) -> None:
        row = self.cache.conn.execute(
            "SELECT conversation_id, in_reply_to_item_id, body, visibility, requires_approval, idempotency_key"
            " FROM outbox WHERE id = ?",
            (p["outbox_id"],),
        ).fetchone()
        if row is None:
            raise _Refusal("the reply no longer exists here")
        cid = self.hub_id("conversation", row[0], "the conversation")
        item = None if row[1] is None else self.hub_id("item", row[1], "the message replied to")
        state = locks.take(self.hub, cid)  # a reply needs the soft lock: take it, or hear who holds it
        if not state.acquired:
            raise _Refusal(f"{state.holder_name} is replying to this conversation")
        hub_entry = hub_outbox.queue_reply(
            self.hub, cid, row[2], in_reply_to_item_id=item, visibility=Visibility(row[3]),
            requires_approval=bool(row[4]), idempotency_key=row[5],
        )  # fmt: skip
        self.after.append(("outbox", hub_entry, int(p["outbox_id"])))

    def _lock(self, p: dict[str, Any], entry: JournalEntry) -> None:
        # the composer opened the conversation; someone else's live lock is no refusal: the pull
        # brings it back and the composer says who is replying
        locks.take(self.hub, self.hub_id("conversation", p["conversation_id"], "the conversation"))

    def _takeover(self, p: dict[str, Any], entry: JournalEntry) -> None:
        cid = self.hub_id("conversation", p["conversation_id"], "the conversation")
        locks.take_over(self.hub, cid, str(p.get("reason") or ""))

    def _reply_approve(self, p: dict[str, Any], entry: JournalEntry) -> None:
        hub_outbox.approve(self.hub, self.hub_id("outbox", p["outbox_id"], "the reply"))

    def _reply_cancel(self, p: dict[str, Any], entry: JournalEntry) -> None:
        hub_outbox.cancel(self.hub, self.hub_id("outbox", p["outbox_id"], "the reply"))

    def _reply_retry(self, p: dict[str, Any], entry: JournalEntry) -> None:
        hub_outbox.retry(self.hub, self.hub_id("outbox", p["outbox_id"], "the reply"))

    # -- after a refusal: the hub's state wins

    def restore(self, entry: JournalEntry, reason: str) -> None:
        p = entry.payload
        applier = _Applier(self.cache, self.me)
        try:
            if "conversation_id" in p:
                cid = hub_journal.hub_id(self.cache.conn, "conversation", p["conversation_id"])
                rows = _fetch(self.hub, "SELECT * FROM omniinbox.conversations WHERE id = %s", cid)
                if rows:
                    applier.apply("conversations", rows)
            if entry.action == "tag":
                item = hub_journal.hub_id(self.cache.conn, "item", p["item_id"])
                rows = _fetch(
                    self.hub, "SELECT * FROM omniinbox.tags WHERE item_id = %s AND team = %s", item, p["team"]
                )
                if rows:
                    applier.apply("tags", rows)
                else:
                    with self.cache.write("hub") as tx:
                        cur = tx.conn.execute(
                            "DELETE FROM tags WHERE item_id = ? AND team = ?", (p["item_id"], p["team"])
                        )
                        tx.summary["tags"] += max(cur.rowcount, 0)
        except _UNREACHABLE:
            raise
        except psycopg.Error:
            log.warning("reading back what the hub refused failed", exc_info=True)
        if entry.action == "reply":
            with self.cache.write("hub") as tx:
                cur = tx.conn.execute(
                    "UPDATE outbox SET state = 'failed', last_error = ?, seq = ? WHERE id = ? AND state IN"
                    " ('queued', 'awaiting_approval')",
                    (f"the hub refused it: {reason}", tx.next_seq(), p["outbox_id"]),
                )
                tx.summary["outbox"] += max(cur.rowcount, 0)


def _from_ms(ms: int) -> datetime:
    from omniinbox.core import from_millis

    value = from_millis(ms)
    assert value is not None
    return value


_WHAT = {
    "tag": "a tag", "label": "a label", "assign": "an assignment", "status": "a status change",
    "priority": "a priority change", "team": "a hand-off", "sla": "a due time", "note": "a note", "reply": "a reply",
    "lock": "opening a conversation to reply", "takeover": "a take-over",
    "reply.approve": "an approval", "reply.cancel": "a cancellation", "reply.retry": "a retry",
}  # fmt: skip


def push(hub_conn: psycopg.Connection[Any], cache: Cache, *, limit: int = 500) -> PushReport:
    """Push the pending journal in order. A refused action is kept with the hub's reason (and a
    sync problem); an unreachable hub stops the push with :class:`HubUnreachable`, leaving the
    rest pending."""
    report = PushReport()
    entries = hub_journal.pending(cache.conn, limit)
    if not entries:
        return report
    pusher = _Pusher(hub_conn, cache)
    for entry in entries:
        try:
            pusher.push(entry)
        except (HubPermissionDenied, HubRefused, _Refusal) as exc:
            reason = REDACTOR(str(exc))
        except _UNREACHABLE as exc:  # also timeouts: the action stays pending and is sent again
            hub_journal.note_attempt(cache, entry.id)
            message = server_message(exc) if isinstance(exc, psycopg.Error) else str(exc)
            raise HubUnreachable(f"the hub could not take your actions now: {REDACTOR(message)}") from None
        except psycopg.Error as exc:
            # any other answer of the server is a no for this action (kept with its words), never
            # a reason to hold back the actions queued after it
            reason = REDACTOR(server_message(exc))
        else:
            hub_journal.mark_done(cache, entry.id)
            report.pushed += 1
            continue
        what = _WHAT.get(entry.action, entry.action)
        pusher.restore(entry, reason)
        hub_journal.mark_refused(cache, entry, reason, account_id=pusher.account_of(entry), what=what)
        report.refused.append((entry.id, reason))
    return report


# ---------------------------------------------------------------------------------- soft locks


def _hub_conversation(cache: Cache, conversation_id: int) -> int:
    found = hub_journal.hub_id(cache.conn, "conversation", conversation_id)
    if found is None:
        raise HubRefused("this conversation is not in the hub (it may have left your view)")
    return found


def take_reply_lock(
    hub_conn: psycopg.Connection[Any], cache: Cache, conversation_id: int, lease: timedelta = locks.DEFAULT_LEASE
) -> locks.LockState:
    """The composer opens a (local) conversation to reply: take or renew its soft lock. When
    someone else holds it, ``acquired`` is false and ``holder_name`` says who ("Dewi is replying")."""
    return locks.take(hub_conn, _hub_conversation(cache, conversation_id), lease)


def take_over_reply_lock(
    hub_conn: psycopg.Connection[Any], cache: Cache, conversation_id: int, reason: str = ""
) -> locks.LockState:
    """Take the lock from whoever holds it, on purpose; the hub audits it (``lock.takeover``)."""
    return locks.take_over(hub_conn, _hub_conversation(cache, conversation_id), reason)


def release_reply_lock(hub_conn: psycopg.Connection[Any], cache: Cache, conversation_id: int) -> bool:
    return locks.release(hub_conn, _hub_conversation(cache, conversation_id))


def replying_message(state: locks.LockState | None) -> str:
    """What the composer shows about a lock it did not get ("" when it is the caller's)."""
    if state is None or state.acquired:
        return ""
    return f"{state.holder_name} is replying"


# ---------------------------------------------------------------------------------- the loop


@dataclass(frozen=True, slots=True)
class ReplicaState:
    online: bool = False
    connecting: bool = True
    pending: int = 0  # actions waiting to reach the hub
    refused: int = 0  # actions the hub refused (listed among the problems)
    last_error: str = ""
    last_pull_at: float | None = None  # time.time() of the last pull
    pulls: int = 0
    pushed: int = 0

    def describe(self) -> str:
        """One line for a status bar."""
        if self.online:
            text = f"team hub: {self.pending} actions sending" if self.pending else "team hub: up to date"
        elif self.connecting and self.pulls == 0 and not self.last_error:
            text = "team hub: connecting"
        else:
            text = f"offline, {self.pending} actions waiting" if self.pending else "offline"
        if self.refused:
            text += f", {self.refused} refused (see problems)"
        return text


class HubReplicaLoop:
    """Keeps one team-mode cache in step with the hub on a thread of its own (see the module
    docstring). ``poke()`` syncs at once; ``state()`` is safe from any thread;
    :meth:`take_lock` and friends are the composer's calls (they answer ``None`` offline)."""

    JOURNAL_CHECK = 1.0  # seconds between looks at the journal for actions nobody poked about
    KEEP_DONE_MS = 7 * 24 * 3600 * 1000  # actions the hub took are kept a week, then forgotten

    def __init__(
        self,
        cache_path: Path | str,
        dsn: str,
        *,
        password: str | None = None,
        interval: float = 30.0,
        max_backoff: float = 60.0,
        on_state: Callable[[ReplicaState], None] | None = None,
        triage: bool = True,
    ) -> None:
        self.cache_path = Path(cache_path)
        self.triage = triage  # group what arrived into issues after a pull that brought items
        self.dsn = dsn
        self.interval = interval
        self.max_backoff = max_backoff
        self._password = password
        self._on_state = on_state
        self._state = ReplicaState()
        self._state_lock = threading.Lock()
        self._conn_lock = threading.Lock()  # the command connection: the loop's and the composer's calls
        self._conn: psycopg.Connection[Any] | None = None
        self._wake_r: socket.socket | None = None  # poke() writes to a socket pair that wakes the wait
        self._wake_w: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- control

    def start(self) -> HubReplicaLoop:
        if self._thread is None:
            self._wake_r, self._wake_w = socket.socketpair()
            self._wake_r.setblocking(False)
            self._thread = threading.Thread(target=self._run, name="omniinbox-hub-replica", daemon=True)
            self._thread.start()
        return self

    def poke(self) -> None:
        """Push and pull now (the window calls it after a person's action)."""
        if self._wake_w is not None:
            with contextlib.suppress(OSError):  # a full buffer already holds a wake-up
                self._wake_w.send(b"!")

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.poke()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the hub replica thread did not stop within %.0f s", timeout)
                return
            self._thread = None
        for end in (self._wake_r, self._wake_w):
            if end is not None:
                end.close()
        self._wake_r = self._wake_w = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def state(self) -> ReplicaState:
        with self._state_lock:
            return self._state

    def _set(self, **changes: Any) -> None:
        with self._state_lock:
            self._state = replace(self._state, **changes)
            state = self._state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("the replica state's listener failed")

    # -- the composer's calls (any thread)

    def _locked_call(self, fn: Callable[[psycopg.Connection[Any], Cache], locks.LockState]) -> locks.LockState | None:
        with self._conn_lock:
            conn = self._conn
            if conn is None or conn.closed:
                return None
            with Cache.open(self.cache_path) as cache:
                try:
                    return fn(conn, cache)
                except _UNREACHABLE:
                    self.poke()
                    return None

    def take_lock(self, conversation_id: int) -> locks.LockState | None:
        """Take or renew the soft lock of a local conversation; ``None`` when offline (the push
        takes it before queueing the reply)."""
        return self._locked_call(lambda conn, cache: take_reply_lock(conn, cache, conversation_id))

    def take_over_lock(self, conversation_id: int, reason: str = "") -> locks.LockState | None:
        return self._locked_call(lambda conn, cache: take_over_reply_lock(conn, cache, conversation_id, reason))

    # -- the thread

    def _run(self) -> None:
        try:
            cache = Cache.open(self.cache_path)
        except Exception as exc:
            self._set(online=False, connecting=False, last_error=REDACTOR(f"the cache cannot be opened: {exc}"))
            log.error("%s", self._state.last_error)
            return
        backoff = 1.0
        try:
            while not self._stop.is_set():
                self._refresh_counts(cache)
                try:
                    self._connected(cache)
                    backoff = 1.0
                except (*_UNREACHABLE, HubError) as exc:
                    message = REDACTOR(server_message(exc) if isinstance(exc, psycopg.Error) else str(exc))
                    self._set(online=False, connecting=False, last_error=message)
                    log.warning("team hub %s: %s; trying again in %.0f s", mask_dsn(self.dsn), message, backoff)
                except Exception as exc:  # a bug must not end the replica for the session
                    log.exception("the hub replica failed")
                    self._set(online=False, connecting=False, last_error=REDACTOR(f"{type(exc).__name__}: {exc}"))
                finally:
                    self._close()
                self._refresh_counts(cache)
                if self._stop.wait(backoff):
                    break
                backoff = min(backoff * 2, self.max_backoff)
        finally:
            cache.close()

    def _close(self) -> None:
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _refresh_counts(self, cache: Cache) -> None:
        found = hub_journal.counts(cache.conn)
        if (found["pending"], found["refused"]) != (self._state.pending, self._state.refused):
            self._set(pending=found["pending"], refused=found["refused"])

    def _connected(self, cache: Cache) -> None:
        conn = connect(self.dsn, application="omniinbox desktop", password=self._password)
        with self._conn_lock:
            self._conn = conn
        with connect(self.dsn, application="omniinbox desktop listen", password=self._password) as listener:
            check_schema(conn)
            listen(listener)
            tables = replicated_tables(conn)
            hub_journal.prune_done(cache, (to_millis(utcnow()) or 0) - self.KEEP_DONE_MS)
            self._round(conn, cache, tables)
            next_full = time.monotonic() + self.interval
            while not self._stop.is_set():
                # Sleep until the hub notifies, someone pokes, or it is time to look anyway:
                # no polling while nothing happens.
                now = time.monotonic()
                timeout = max(0.0, min(self.JOURNAL_CHECK, next_full - now))
                assert self._wake_r is not None  # made by start()
                wake = self._wake_r.fileno()
                ready, _, _ = select.select([listener.fileno(), wake], [], [], timeout)
                changed = bool(wait_for_changes(listener, 0.001)) if listener.fileno() in ready else False
                poked = wake in ready and self._drain_wake()
                due = time.monotonic() >= next_full
                if changed or poked or due or (not ready and hub_journal.count_pending(cache.conn)):
                    self._round(conn, cache, tables)
                    next_full = time.monotonic() + self.interval

    def _drain_wake(self) -> bool:
        with contextlib.suppress(OSError):  # BlockingIOError: drained
            while self._wake_r is not None and self._wake_r.recv(4096):
                pass
        return True

    def _round(self, conn: psycopg.Connection[Any], cache: Cache, tables: Sequence[str]) -> None:
        with self._conn_lock:
            pushed = push(conn, cache)
            report = pull(conn, cache, tables=tables)
        found = hub_journal.counts(cache.conn)
        state = self._state
        self._set(
            online=True, connecting=False, last_error="", last_pull_at=time.time(), pulls=state.pulls + 1,
            pushed=state.pushed + pushed.pushed, pending=found["pending"], refused=found["refused"],
        )  # fmt: skip
        if report.dropped or report.filled:
            log.info("team hub: %d conversations left your view, %d came in", report.dropped, report.filled)
        if self.triage and (report.rows["items"] or report.filled):
            from omniinbox import triage  # the desk's issue radar, as the local sync loop runs it

            try:
                triage.update(cache)
            except Exception:  # the radar's failure must not stop the replica
                log.exception("grouping the pulled items into issues failed")


# ---------------------------------------------------------------------------------- opening a desk


def hub_password(dsn: str, login: str, *, ask: Callable[[str], str] | None = None) -> str | None:
    """``login``'s hub password: from the DSN itself (libpq reads it), from the keyring, or asked
    for (``ask``, e.g. a terminal prompt) and then kept in the keyring when one is available.
    ``None``: let libpq decide (trust, peer or certificate login, ``~/.pgpass``)."""
    try:
        if conninfo.conninfo_to_dict(dsn).get("password"):
            return None
    except psycopg.ProgrammingError as exc:
        raise ReplicaError(f"the hub address is not valid: {REDACTOR(server_message(exc))}") from None
    from omniinbox.secrets import SecretStore, SecretsUnavailable

    ref = secret_ref(dsn, login)
    try:
        store: SecretStore | None = SecretStore.system()
    except SecretsUnavailable:
        store = None
    if store is not None:
        try:
            found = store.get(ref)
        except SecretsUnavailable:
            found = None
        if found:
            REDACTOR.add(found)
            return found
    try:
        with connect(dsn, application="omniinbox desktop"):
            return None  # no password needed
    except HubUnreachable as exc:
        if "password" not in str(exc).lower():
            return None  # the hub is away: the desk opens offline on its cache
        if ask is None:
            raise
    password = ask(f"hub password for {login} ({_hub_identity(dsn)}): ")
    if not password:
        raise HubUnreachable(f"no password given for {login}")
    REDACTOR.add(password)
    connect(dsn, application="omniinbox desktop", password=password).close()  # refuses a wrong one
    if store is not None:
        try:
            store.set(ref, password)
        except SecretsUnavailable:
            log.warning("the hub password could not be kept in the keyring; it will be asked again")
    return password


@dataclass(frozen=True, slots=True)
class Desk:
    """A team-mode desk ready to open: its cache, the login it acts as, its replica loop."""

    cache_path: Path
    login: str
    loop: HubReplicaLoop
    online: bool  # the first pull reached the hub


def open_desk(
    dsn: str,
    *,
    login: str | None = None,
    cache_path: Path | None = None,
    ask: Callable[[str], str] | None = None,
    interval: float = 30.0,
) -> Desk:
    """Prepare ``login``'s team-mode cache for the window: create it the first time, pull what
    the hub holds for them (so the person exists here), and build the replica loop. An
    unreachable hub opens the desk offline on what was pulled before; a desk that never pulled is
    refused with the reason."""
    dsn = desk_dsn(dsn, login)
    login = login or login_of(dsn)
    path = cache_path or team_cache_path(dsn, login)
    password = hub_password(dsn, login, ask=ask)
    online = False
    with Cache.open(path) as cache:
        init_replica(cache, dsn, login)
        try:
            with connect(dsn, application="omniinbox desktop", password=password) as conn:
                check_schema(conn)
                me, _role = _me(conn)
                if me is None:
                    raise ReplicaError(
                        f"{login} has no active user on the hub {mask_dsn(dsn)}: ask an administrator"
                        " (omniinbox hub user add)"
                    )
                push(conn, cache)
                pull(conn, cache)
                online = True
        except HubUnreachable as exc:
            if not cache.conn.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
                raise ReplicaError(f"{exc}; this desk never reached the hub: it has nothing to show yet") from None
            log.warning("working offline: %s", exc)
    loop = HubReplicaLoop(path, dsn, password=password, interval=interval)
    return Desk(path, login, loop, online)


def team_problems(cache: Cache, limit: int = 50) -> list[JournalEntry]:
    """The actions the hub refused, newest first (their reasons are PostgreSQL's)."""
    return hub_journal.entries(cache.conn, state="refused", limit=limit)


def pending_actions(cache: Cache) -> int:
    return hub_journal.count_pending(cache.conn)
