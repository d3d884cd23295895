"""Collision control: opening a conversation to reply takes its soft lock, a lease (two minutes
by default, renewed while the person is writing). Everyone who sees the conversation sees who
holds it ("Dewi is replying"). Another person may take it over on purpose; the takeover is
recorded in the audit trail with the previous holder and the reason. A reply is queued only by
the holder of a live lock (``queue_reply`` checks it in PostgreSQL), so two people never
answer the same citizen at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from omniinbox.hub.errors import refusals

DEFAULT_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class LockState:
    conversation_id: int
    holder_id: int
    holder_name: str
    acquired_at: datetime
    expires_at: datetime
    acquired: bool  # the caller holds it now
    taken_over_from: int | None


def _state(row: tuple[Any, ...] | None) -> LockState | None:
    if row is None or row[0] is None:
        return None
    return LockState(int(row[0]), int(row[1]), row[2], row[3], row[4], bool(row[5]), row[6])


def _call(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...]) -> LockState:
    with refusals():
        row = conn.execute(query, params).fetchone()
    state = _state(row)
    assert state is not None  # the functions always leave a lock behind
    return state


def take(conn: psycopg.Connection[Any], conversation_id: int, lease: timedelta = DEFAULT_LEASE) -> LockState:
    """Take or renew the lock. When someone else holds a live one, ``acquired`` is false and
    ``holder_name`` says who."""
    return _call(conn, "SELECT (omniinbox.take_lock(%s, %s)).*", (conversation_id, lease))


def take_over(
    conn: psycopg.Connection[Any], conversation_id: int, reason: str = "", lease: timedelta = DEFAULT_LEASE
) -> LockState:
    """Take the lock from whoever holds it (audited)."""
    return _call(conn, "SELECT (omniinbox.takeover_lock(%s, %s, %s)).*", (conversation_id, reason, lease))


def release(conn: psycopg.Connection[Any], conversation_id: int) -> bool:
    """Let go of one's own lock (done replying, or closed the conversation)."""
    with refusals():
        row = conn.execute("SELECT omniinbox.release_lock(%s)", (conversation_id,)).fetchone()
    return bool(row and row[0])


def holder(conn: psycopg.Connection[Any], conversation_id: int) -> LockState | None:
    """The live lock on a conversation, if any."""
    with refusals():
        row = conn.execute("SELECT (omniinbox.lock_of(%s)).*", (conversation_id,)).fetchone()
    state = _state(row)
    if state is None or state.expires_at <= _server_now(conn):
        return None
    return state


def _server_now(conn: psycopg.Connection[Any]) -> datetime:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    now: datetime = row[0]
    return now
