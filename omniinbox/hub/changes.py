"""The hub's change feed, for replicas (a desktop's local cache) that pull "everything that
changed since my last pull" cheaply, and hear about new changes live.

Every followed table (:data:`omniinbox.hub.schema.FOLLOWED_TABLES`) has ``seq``, a number from the
one global sequence ``change_seq`` stamped by a trigger on every insert and on every update that
changes something, and ``txid``, the writing transaction; both are indexed. A deleted row leaves
its key in ``tombstones``, which is followed like any other table.

Why a sequence number alone is not enough: numbers are handed out when a row is written, but
transactions commit in another order. A pull that has seen number 11 may be followed by the
commit of a transaction that took number 10 before it. So a cursor is a pair: the highest
number seen, and the snapshot of the pull that saw it (``pg_current_snapshot()``). The next pull
asks for rows with ``seq`` above the number *or* written by a transaction that was still running
at that snapshot (``txid >= pg_snapshot_xmin(s) AND NOT pg_visible_in_snapshot(txid, s)``); both
halves use an index. Every committed change is therefore seen at least once, and replaying a row
a second time is harmless (the replica upserts by primary key).

All the followed tables are read in one REPEATABLE READ, READ ONLY transaction, so a pull is a
consistent picture (an item never arrives before its conversation) and the one cursor is valid
for the set of tables pulled together. Row-level security applies: a desktop pulls what its
user may see. A row that leaves a user's view (a conversation reassigned to another team) is not
deleted for them by the feed: ``assignments`` rows name them as ``from_user_id``, which is how
a replica learns to drop it.

Live changes: each statement that writes a followed table sends ``NOTIFY omniinbox_changes`` with
the table's name as payload (delivered at commit, once per table per transaction). A desktop
LISTENs, and pulls when told (:func:`wait_for_changes`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from omniinbox.hub.schema import FOLLOWED_TABLES

CHANNEL = "omniinbox_changes"


@dataclass(frozen=True, slots=True)
class ChangeCursor:
    """Where a replica is in the feed. Store it with :meth:`dumps`; start from ``ChangeCursor()``."""

    seq: int = 0
    snapshot: str | None = None  # pg_snapshot text of the pull that reached ``seq``

    def dumps(self) -> str:
        return json.dumps({"seq": self.seq, "snapshot": self.snapshot})

    @classmethod
    def loads(cls, text: str) -> ChangeCursor:
        data = json.loads(text)
        return cls(int(data["seq"]), data.get("snapshot"))


def pull_changes(
    conn: psycopg.Connection[Any],
    on_rows: Callable[[str, list[dict[str, Any]]], None],
    cursor: ChangeCursor | None = None,
    *,
    tables: Sequence[str] | None = None,
    batch_size: int = 1000,
) -> ChangeCursor:
    """Hand every row changed since ``cursor`` to ``on_rows(table, rows)``, in batches of
    ``batch_size`` ordered by ``seq``, table by table, and return the cursor for the next pull.
    ``tables`` defaults to every followed table the connection's role may read. Should
    ``on_rows`` raise, nothing is lost: keep the old cursor and pull again."""
    cursor = cursor or ChangeCursor()
    if tables is None:
        tables = readable_tables(conn)
    unknown = [t for t in tables if t not in FOLLOWED_TABLES]
    if unknown:
        raise ValueError(f"not followed by the change feed: {', '.join(unknown)}")
    if cursor.snapshot is None:
        where = sql.SQL("seq > %(seq)s")
        params: dict[str, Any] = {"seq": cursor.seq}
    else:
        where = sql.SQL(
            "seq > %(seq)s OR (txid >= pg_snapshot_xmin(%(snap)s::pg_snapshot)"
            " AND NOT pg_visible_in_snapshot(txid, %(snap)s::pg_snapshot))"
        )
        params = {"seq": cursor.seq, "snap": cursor.snapshot}
    top = cursor.seq
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_current_snapshot()::text").fetchone()
        assert row is not None
        snapshot = str(row[0])
        for table in tables:
            query = sql.SQL("SELECT * FROM omniinbox.{} WHERE {} ORDER BY seq").format(sql.Identifier(table), where)
            with conn.cursor(name=f"omniinbox_pull_{table}", row_factory=dict_row) as cur:
                cur.execute(query, params)
                while rows := cur.fetchmany(batch_size):
                    on_rows(table, rows)
                    top = max(top, int(rows[-1]["seq"]))
    return ChangeCursor(top, snapshot)


def readable_tables(conn: psycopg.Connection[Any]) -> list[str]:
    """The followed tables the connection's role may SELECT from (a desktop reads no sync cursors)."""
    rows = conn.execute(
        "SELECT t FROM unnest(%s::text[]) WITH ORDINALITY AS f(t, n)"
        " WHERE has_table_privilege('omniinbox.' || quote_ident(t), 'SELECT') ORDER BY n",
        (list(FOLLOWED_TABLES),),
    ).fetchall()
    return [str(r[0]) for r in rows]


def listen(conn: psycopg.Connection[Any]) -> None:
    """Subscribe ``conn`` (autocommit) to the change notifications."""
    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))


def wait_for_changes(conn: psycopg.Connection[Any], timeout: float) -> set[str]:
    """The tables changed, as told by notifications arriving within ``timeout`` seconds (empty
    when none came). The first notification ends the wait; those already queued come with it."""
    tables: set[str] = set()
    for notify in conn.notifies(timeout=timeout, stop_after=1):
        tables.add(notify.payload)
    return tables
