"""Team mode in the local cache: the journal of people's actions that must reach the hub, the
hub-to-local id map, and the hub's soft locks as last pulled. Qt-free and PostgreSQL-free: the
store writes here, ``omniinbox.hub.replica`` pushes and pulls.

A cache is in team mode when its ``hub_replica`` row ``mode`` says ``team`` (set once, when the
replica is first opened for a hub). Then every audited action of :mod:`omniinbox.store.actions`
and every reply of :mod:`omniinbox.store.outbox` also appends a ``hub_journal`` row *in the same
transaction* as the local change, so an action is never applied here and forgotten for the hub,
nor journaled without having happened. The replica pushes pending rows in order; a row the hub
refuses becomes ``refused`` with PostgreSQL's reason and a sync problem the window lists.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from omniinbox.store.cache import Cache, WriteTx

TEAM = "team"
PROBLEM_KIND = "hub_refused"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    action: str
    payload: dict[str, Any]
    user_id: int | None
    created_at: int
    state: str
    attempts: int
    reason: str


def setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM hub_replica WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Write one replica setting (inside the caller's transaction; moves no change number)."""
    conn.execute(
        "INSERT INTO hub_replica (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE hub_replica.value IS NOT excluded.value",
        (key, value),
    )


def team_mode(conn: sqlite3.Connection) -> bool:
    return setting(conn, "mode") == TEAM


def record(tx: WriteTx, action: str, **payload: Any) -> int | None:
    """Journal ``action`` for the hub when the cache is in team mode (no-op otherwise). Payload
    values name *local* ids; the replica maps them to the hub's when it pushes."""
    if not team_mode(tx.conn):
        return None
    cur = tx.conn.execute(
        "INSERT INTO hub_journal (action, payload, user_id, created_at, seq) VALUES (?, ?, ?, ?, ?)",
        (action, json.dumps(payload, sort_keys=True), tx.user_id, tx.now_ms, tx.next_seq()),
    )
    tx.summary["hub_journal"] += 1
    return int(cur.lastrowid or 0)


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    return JournalEntry(int(row[0]), row[1], json.loads(row[2]), row[3], int(row[4]), row[5], int(row[6]), row[7])


_COLUMNS = "id, action, payload, user_id, created_at, state, attempts, reason"


def pending(conn: sqlite3.Connection, limit: int = 500) -> list[JournalEntry]:
    """The oldest actions still to push, in the order they were done."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM hub_journal WHERE state = 'pending' ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    return [_entry(r) for r in rows]


def entries(conn: sqlite3.Connection, *, state: str | None = None, limit: int = 200) -> list[JournalEntry]:
    sql = f"SELECT {_COLUMNS} FROM hub_journal"
    params: list[Any] = []
    if state is not None:
        sql += " WHERE state = ?"
        params.append(state)
    rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
    return [_entry(r) for r in rows]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many actions are pending, done and refused (for a status bar)."""
    found = {"pending": 0, "done": 0, "refused": 0}
    for state, n in conn.execute("SELECT state, count(*) FROM hub_journal GROUP BY state"):
        found[str(state)] = int(n)
    return found


def has_pending(conn: sqlite3.Connection, action: str, conversation_id: int) -> bool:
    """Whether ``action`` on the conversation is already waiting to reach the hub."""
    return (
        conn.execute(
            "SELECT 1 FROM hub_journal WHERE state = 'pending' AND action = ?"
            " AND json_extract(payload, '$.conversation_id') = ? LIMIT 1",
            (action, conversation_id),
        ).fetchone()
        is not None
    )


def count_pending(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM hub_journal WHERE state = 'pending'").fetchone()[0])


def mark_done(cache: Cache, entry_id: int) -> None:
    with cache.write("hub") as tx:
        tx.conn.execute(
            "UPDATE hub_journal SET state = 'done', done_at = ?, attempts = attempts + 1, seq = ? WHERE id = ?",
            (tx.now_ms, tx.next_seq(), entry_id),
        )
        tx.summary["hub_journal"] += 1


def mark_refused(cache: Cache, entry: JournalEntry, reason: str, *, account_id: int | None, what: str) -> None:
    """The hub refused ``entry``: kept with the reason, and listed among the sync problems."""
    with cache.write("hub") as tx:
        tx.conn.execute(
            "UPDATE hub_journal SET state = 'refused', reason = ?, done_at = ?, attempts = attempts + 1, seq = ?"
            " WHERE id = ?",
            (reason, tx.now_ms, tx.next_seq(), entry.id),
        )
        tx.conn.execute(
            "INSERT INTO sync_problems (account_id, at, kind, reason, external_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (account_id, tx.now_ms, PROBLEM_KIND, f"the hub refused {what}: {reason}", "", f"journal:{entry.id}"),
        )
        tx.summary["hub_journal"] += 1
        tx.summary["problems"] += 1


def prune_done(cache: Cache, before_ms: int) -> int:
    """Forget actions the hub took before ``before_ms`` (refused ones stay: people read them)."""
    with cache.write("hub") as tx:
        cur = tx.conn.execute("DELETE FROM hub_journal WHERE state = 'done' AND done_at < ?", (before_ms,))
    return max(cur.rowcount, 0)


def note_attempt(cache: Cache, entry_id: int) -> None:
    """A push that could not reach the hub: the entry stays pending."""
    with cache.write("hub") as tx:
        tx.conn.execute("UPDATE hub_journal SET attempts = attempts + 1 WHERE id = ?", (entry_id,))


# ------------------------------------------------------------------------------ id map


def local_id(conn: sqlite3.Connection, kind: str, hub_id: int | None) -> int | None:
    if hub_id is None:
        return None
    row = conn.execute("SELECT local_id FROM hub_ids WHERE kind = ? AND hub_id = ?", (kind, hub_id)).fetchone()
    return None if row is None else int(row[0])


def hub_id(conn: sqlite3.Connection, kind: str, local: int | None) -> int | None:
    if local is None:
        return None
    row = conn.execute("SELECT hub_id FROM hub_ids WHERE kind = ? AND local_id = ?", (kind, local)).fetchone()
    return None if row is None else int(row[0])


def remember(conn: sqlite3.Connection, kind: str, hub: int, local: int) -> None:
    """Record that hub row ``hub`` is local row ``local`` (inside the caller's transaction)."""
    conn.execute("DELETE FROM hub_ids WHERE kind = ? AND local_id = ? AND hub_id != ?", (kind, local, hub))
    conn.execute(
        "INSERT INTO hub_ids (kind, hub_id, local_id) VALUES (?, ?, ?)"
        " ON CONFLICT (kind, hub_id) DO UPDATE SET local_id = excluded.local_id"
        " WHERE hub_ids.local_id IS NOT excluded.local_id",
        (kind, hub, local),
    )


# ------------------------------------------------------------------------------ soft locks


@dataclass(frozen=True, slots=True)
class ReplicaLock:
    conversation_id: int
    holder_login: str
    holder_name: str
    expires_at: int


def lock_of(conn: sqlite3.Connection, conversation_id: int, *, now_ms: int) -> ReplicaLock | None:
    """The live soft lock on a conversation as last pulled from the hub, if any."""
    row = conn.execute(
        "SELECT holder_login, holder_name, expires_at FROM hub_locks WHERE conversation_id = ? AND expires_at > ?",
        (conversation_id, now_ms),
    ).fetchone()
    return None if row is None else ReplicaLock(conversation_id, row[0], row[1], int(row[2]))
