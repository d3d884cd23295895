"""@mentions in internal notes (Qt-free).

A note that names ``@login`` of a user of the cache mentions that person: the note is stored as
usual and ``note_mentions`` records whom it mentions (audited as ``note.mention`` on the
conversation, which is what the tray's "mentioned" notice follows, see
:mod:`omniinbox.store.notices`). The "Mentions" queue is the conversations where someone
mentioned a person, newest first: :func:`mention_item_ids` reads the person's mentions through
``note_mentions_user`` and each conversation's newest item through ``items_conversation``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence

from omniinbox.store.cache import Cache

Conn = sqlite3.Connection | Cache

MENTION = re.compile(r"(?<![\w.@/])@([A-Za-z0-9_][A-Za-z0-9_.\-]*)")
MAX_MENTIONS_READ = 2000  # a person's newest mentions looked at for the queue


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def parse_mentions(body: str) -> list[str]:
    """The logins ``body`` mentions, in order, once each (``@dewi`` → ``dewi``; an address such as
    ``a@b.id`` is not a mention; a sentence's full stop after the login is not part of it)."""
    found: list[str] = []
    for match in MENTION.finditer(body):
        login = match.group(1).rstrip(".-")
        if login and login.lower() not in (f.lower() for f in found):
            found.append(login)
    return found


def mentioned_users(conn: Conn, body: str) -> dict[str, int]:
    """The mentioned logins that are users of the cache (login → user id), matched without case."""
    logins = parse_mentions(body)
    if not logins:
        return {}
    c = _conn(conn)
    out: dict[str, int] = {}
    for login in logins:
        row = c.execute("SELECT id, login FROM users WHERE login = ? COLLATE NOCASE", (login,)).fetchone()
        if row is not None:
            out[str(row[1])] = int(row[0])
    return out


def record(cache: Cache, note_id: int, conversation_id: int, user_ids: Iterable[int], *, author_id: int | None) -> int:
    """Record whom note ``note_id`` mentions (audited as ``note.mention``). Returns how many."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    with cache.write("action", user_id=author_id) as tx:
        for uid in ids:
            tx.conn.execute(
                "INSERT OR IGNORE INTO note_mentions (note_id, user_id, conversation_id, author_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (note_id, uid, conversation_id, author_id, tx.now_ms),
            )
        tx.next_seq()
        tx.audit("note.mention", f"conversation:{conversation_id}", note=note_id, users=ids)
        tx.summary["mentions"] += len(ids)
        tx.summary["notes"] += 1
    return len(ids)


def mentioned_conversations(conn: Conn, user_id: int, *, limit: int = MAX_MENTIONS_READ) -> list[int]:
    """Conversations where ``user_id`` was mentioned, most recently mentioned first."""
    rows = _conn(conn).execute(
        "SELECT conversation_id FROM note_mentions WHERE user_id = ? ORDER BY note_id DESC LIMIT ?",
        (user_id, limit),
    )
    return list(dict.fromkeys(int(r[0]) for r in rows))


def mention_item_ids(
    conn: Conn, user_id: int, *, before_id: int | None = None, after_id: int | None = None, limit: int = 500
) -> list[int]:
    """The "Mentions" queue as item ids, newest first (strictly descending, as item lists need):
    the newest item of each conversation where ``user_id`` was mentioned."""
    c = _conn(conn)
    ids: list[int] = []
    for cid in mentioned_conversations(c, user_id):
        row = c.execute("SELECT max(id) FROM items WHERE conversation_id = ?", (cid,)).fetchone()
        if row is not None and row[0] is not None:
            ids.append(int(row[0]))
    ids = sorted(set(ids), reverse=True)
    if before_id is not None:
        ids = [i for i in ids if i < before_id]
    if after_id is not None:
        ids = [i for i in ids if i > after_id]
    return ids[:limit]


def matching(conn: Conn, user_id: int, item_ids: Sequence[int]) -> set[int]:
    """Which of ``item_ids`` belong to a conversation where ``user_id`` was mentioned."""
    if not item_ids:
        return set()
    c = _conn(conn)
    wanted = set(mentioned_conversations(c, user_id))
    if not wanted:
        return set()
    marks = ",".join("?" * len(item_ids))
    rows = c.execute(f"SELECT id, conversation_id FROM items WHERE id IN ({marks})", list(item_ids))
    return {int(r[0]) for r in rows if int(r[1]) in wanted}
