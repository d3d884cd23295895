"""The local SQLite cache: one writer connection, explicit write transactions that allocate
change sequence numbers, and the audit trail.

Every write goes through :meth:`Cache.write`, which

* begins ``IMMEDIATE`` (so a transaction never fails half way on a lock upgrade),
* hands out sequence numbers for the rows it touches (``tx.next_seq()``),
* records one ``change_batches`` row saying what changed, and
* commits or rolls back as a whole.

Other modules (``ingest``, ``queries``, ``actions``, ``outbox``) take a :class:`Cache` and do
their work inside such transactions. A cache is used from one thread at a time; readers on other
threads open their own connection with :meth:`Cache.reader`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from omniinbox.core import to_millis, utcnow
from omniinbox.store.compact import PayloadCodec, UrlPrefixes
from omniinbox.store.database import CacheError, apply_pragmas, open_database


class WriteTx:
    """An open write transaction. Attributes:

    ``conn``: the connection to execute on.
    ``summary``: a Counter of what changed, stored with the batch (``items``, ``tags``...).
    ``payloads``, ``url_prefixes``: how rows are stored small (see ``omniinbox.store.compact``).
    """

    def __init__(self, conn: sqlite3.Connection, source: str, user_id: int | None, cache: Cache) -> None:
        self.conn = conn
        self.payloads = cache.payloads
        self.url_prefixes = cache.url_prefixes
        self.source = source
        self.user_id = user_id
        self.summary: Counter[str] = Counter()
        self._first_seq: int | None = None
        self._last_seq = int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])
        self.now_ms = to_millis(utcnow()) or 0

    def next_seq(self, count: int = 1) -> int:
        """Reserve ``count`` consecutive sequence numbers and return the first."""
        first = self._last_seq + 1
        self._last_seq += count
        if self._first_seq is None:
            self._first_seq = first
        return first

    def audit(self, action: str, target: str, **detail: Any) -> None:
        """Append an audit event for a user action (who, what, on what, when)."""
        self.conn.execute(
            "INSERT INTO audit_events (at, user_id, action, target, detail, seq) VALUES (?, ?, ?, ?, ?, ?)",
            (
                self.now_ms,
                self.user_id,
                action,
                target,
                json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
                self.next_seq(),
            ),
        )
        self.summary["audit"] += 1

    def _finish(self) -> None:
        if self._first_seq is None or not any(self.summary.values()):
            return  # nothing took a reserved number: the sequence does not move
        self.conn.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (self._last_seq,))
        self.conn.execute(
            "INSERT INTO change_batches (seq, first_seq, at, source, summary) VALUES (?, ?, ?, ?, ?)",
            (
                self._last_seq,
                self._first_seq,
                self.now_ms,
                self.source,
                json.dumps(dict(self.summary), sort_keys=True),
            ),
        )

    @property
    def last_seq(self) -> int:
        return self._last_seq


class Cache:
    """A handle on one cache file. ``Cache.open(path)`` creates and migrates it."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None) -> None:
        self.db = db
        self.path = path
        self.payloads = PayloadCodec(db.conn)
        self.url_prefixes = UrlPrefixes(db.conn)

    @classmethod
    def open(cls, path: Path | str) -> Cache:
        db = open_database(path)
        return cls(db, None if str(path) == ":memory:" else Path(path))

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self, source: str, *, user_id: int | None = None) -> Iterator[WriteTx]:
        """A write transaction; see the module docstring."""
        conn = self.conn
        if conn.in_transaction:
            raise RuntimeError("write transactions do not nest")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise CacheError(f"the cache is busy or read-only: {exc}") from exc
        tx = WriteTx(conn, source, user_id, self)
        try:
            yield tx
            tx._finish()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self.payloads.forget_unsaved()
            self.url_prefixes.forget_unsaved()
            raise

    def reader(self) -> sqlite3.Connection:
        """A new read connection for another thread (WAL lets it read while we write)."""
        if self.path is None:
            raise RuntimeError("an in-memory cache has no second connection")
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        apply_pragmas(conn, read_only=True)
        return conn

    # ------------------------------------------------------------------ change feed

    def last_seq(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])

    def changes_since(self, seq: int) -> dict[str, int]:
        """What changed after ``seq``, summed over the batches (for views deciding to refresh)."""
        total: Counter[str] = Counter()
        for (summary,) in self.conn.execute("SELECT summary FROM change_batches WHERE seq > ?", (seq,)):
            total.update(json.loads(summary))
        return dict(total)

    # ------------------------------------------------------------------ integrity

    def integrity_problems(self) -> list[str]:
        """Empty when the file and the full-text index are sound."""
        problems = [row[0] for row in self.conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        try:
            self.conn.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index: {exc}")
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        return problems
