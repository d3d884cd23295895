"""Reads for the desktop client's tray, desktop notifications and status bar (Qt-free).

Notifications follow the cache by *marks*, never by polling the whole cache: :func:`marks` takes
where the cache stands now (the change sequence, the last audit event, the last issue
notification), and :func:`notices_since` reads only what came after them, through indexes:

* ``assigned``: ``conversation.assign`` audit events (a primary-key range over the new events
  only) whose new assignee is the person at the desk, set by someone else;
* ``must_answer``: issue notifications of kind ``must_answer`` (a primary-key range), for
  supervisors;
* ``mentioned``: ``note.mention`` audit events (the same primary-key range) naming the person
  at the desk, written by someone else (the note's author is the title, the note the text);
* ``failed_send``: outbox entries that became ``failed`` (the ``outbox_due`` index on state, then
  the change sequence), the person's own replies (a supervisor's: everyone's).

Each notice carries a ``key`` that names its event once, so a caller can show it once.

:func:`tray_counts` are the tray's figures, each bounded by an index: unread items of the last
days (a primary-key range: item ids are time-ordered, capped), the person's conversations waiting
for an answer (``conversations_assignee``) and the issues that must be answered
(``issues_unanswered``). :func:`account_states` is the status bar's per-account sync state, with
whether an account's latest problem is a network error; :func:`is_offline` says whether every
enabled account is failing that way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from omniinbox.store.cache import Cache
from omniinbox.store.ingest import id_floor_for

Conn = sqlite3.Connection | Cache

ASSIGNED = "assigned"
MUST_ANSWER = "must_answer"
FAILED_SEND = "failed_send"
MENTIONED = "mentioned"
KINDS = (ASSIGNED, MUST_ANSWER, FAILED_SEND, MENTIONED)

MAX_EVENTS = 2000  # new audit events looked at per call; the mark moves past the ones seen
UNREAD_DAYS = 7
UNREAD_CAP = 9999
PROBLEM_COUNT_CAP = 999
EXCERPT = 120

# What http.py says of a request that never got an answer (``_network_reason``), and the
# transient kind the engine records it under.
NETWORK_PHRASES = (
    "could not connect",
    "no answer in time",
    "connection refused",
    "could not be resolved",
    "connection failed repeatedly",
    "network error",
    "network is unreachable",
)


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def _one(conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0] or 0) if row is not None else 0


# ---------------------------------------------------------------------------------- marks


@dataclass(frozen=True, slots=True)
class Marks:
    """Where the cache stood: everything at or before these is old news."""

    seq: int
    audit_id: int
    notification_id: int


def marks(conn: Conn) -> Marks:
    """The cache's marks now (three primary-key lookups)."""
    c = _conn(conn)
    return Marks(
        seq=_one(c, "SELECT value FROM meta WHERE key = 'seq'"),
        audit_id=_one(c, "SELECT max(id) FROM audit_events"),
        notification_id=_one(c, "SELECT max(id) FROM issue_notifications"),
    )


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell the person at the desk. ``title`` and ``text`` hold text from the cache
    (names, messages): show them as plain text. ``target`` is ``conversation:ID``,
    ``issue:ID`` or ``outbox:ID``; ``key`` names the event (unique per event)."""

    kind: str
    key: str
    target: str
    title: str
    text: str
    at: int


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _conversation_line(c: sqlite3.Connection, conversation_id: int) -> tuple[str, str]:
    """A conversation's subject (or its latest author) and the excerpt of its latest item."""
    row = c.execute("SELECT subject FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    subject = row[0] if row is not None else ""
    last = c.execute(
        "SELECT author_name, text FROM items WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", (conversation_id,)
    ).fetchone()
    author, text = (last[0], last[1]) if last is not None else ("", "")
    return (subject or author), _excerpt(text)


def _assigned(c: sqlite3.Connection, before: Marks, now: Marks, user_id: int) -> list[Notice]:
    out: list[Notice] = []
    rows = c.execute(
        "SELECT id, at, user_id, target, detail FROM audit_events WHERE id > ? AND id <= ?"
        " AND action = 'conversation.assign' ORDER BY id",
        (before.audit_id, now.audit_id),
    ).fetchall()
    for event_id, at, by, target, detail in rows:
        if by == user_id:
            continue  # taking work oneself is no news
        try:
            after = json.loads(detail).get("after")
        except (ValueError, AttributeError):
            continue
        if after != user_id or not str(target).startswith("conversation:"):
            continue
        conversation_id = int(str(target).partition(":")[2])
        title, text = _conversation_line(c, conversation_id)
        out.append(Notice(ASSIGNED, f"audit:{event_id}", target, title, text, int(at)))
    return out


def _mentioned(c: sqlite3.Connection, before: Marks, now: Marks, user_id: int) -> list[Notice]:
    out: list[Notice] = []
    rows = c.execute(
        "SELECT e.id, e.at, e.user_id, e.target, e.detail, coalesce(u.name, '') FROM audit_events e"
        " LEFT JOIN users u ON u.id = e.user_id WHERE e.id > ? AND e.id <= ? AND e.action = 'note.mention'"
        " ORDER BY e.id",
        (before.audit_id, now.audit_id),
    ).fetchall()
    for event_id, at, by, target, detail, author in rows:
        if by == user_id:
            continue
        try:
            data = json.loads(detail)
            users, note_id = data.get("users") or [], data.get("note")
        except (ValueError, AttributeError):
            continue
        if user_id not in users:
            continue
        note = c.execute("SELECT body FROM notes WHERE id = ?", (note_id,)).fetchone()
        text = _excerpt(note[0] if note else "")
        out.append(Notice(MENTIONED, f"audit:{event_id}", str(target), author, text, int(at)))
    return out


def _must_answer(c: sqlite3.Connection, before: Marks, now: Marks) -> list[Notice]:
    rows = c.execute(
        "SELECT n.id, n.issue_id, n.message, n.created_at, coalesce(i.title, '') FROM issue_notifications n"
        " LEFT JOIN issues i ON i.id = n.issue_id"
        " WHERE n.id > ? AND n.id <= ? AND n.kind = 'must_answer' AND n.acknowledged_at IS NULL ORDER BY n.id",
        (before.notification_id, now.notification_id),
    ).fetchall()
    return [
        Notice(MUST_ANSWER, f"notification:{nid}", f"issue:{issue_id}", title, _excerpt(message, 240), int(at))
        for nid, issue_id, message, at, title in rows
    ]


def _failed(c: sqlite3.Connection, before: Marks, now: Marks, user_id: int | None) -> list[Notice]:
    sql = (
        "SELECT o.id, o.last_error, o.body, o.created_at, coalesce(a.name, ''), o.seq FROM outbox o"
        " LEFT JOIN accounts a ON a.id = o.account_id"
        " WHERE o.state = 'failed' AND o.seq > ? AND o.seq <= ?"
    )
    params: list[object] = [before.seq, now.seq]
    if user_id is not None:
        sql += " AND o.created_by = ?"
        params.append(user_id)
    rows = c.execute(sql + " ORDER BY o.seq", params).fetchall()
    return [
        Notice(FAILED_SEND, f"outbox:{oid}:{seq}", f"outbox:{oid}", account, _excerpt(error or body), int(at))
        for oid, error, body, at, account, seq in rows
    ]


def notices_since(
    conn: Conn, before: Marks, *, user_id: int, supervisor: bool = False, kinds: Sequence[str] = KINDS
) -> tuple[list[Notice], Marks]:
    """What happened after ``before`` that the person ``user_id`` should hear of, and the marks to
    pass next time. Only rows after the marks are read (see the module docstring); at most
    :data:`MAX_EVENTS` audit events per call (the marks then stop after them)."""
    c = _conn(conn)
    now = marks(c)
    if now.audit_id > before.audit_id + MAX_EVENTS:
        now = Marks(now.seq, before.audit_id + MAX_EVENTS, now.notification_id)
    out: list[Notice] = []
    if ASSIGNED in kinds:
        out += _assigned(c, before, now, user_id)
    if MENTIONED in kinds:
        out += _mentioned(c, before, now, user_id)
    if MUST_ANSWER in kinds and supervisor:
        out += _must_answer(c, before, now)
    if FAILED_SEND in kinds:
        out += _failed(c, before, now, None if supervisor else user_id)
    out.sort(key=lambda n: n.at)
    return out, Marks(max(now.seq, before.seq), max(now.audit_id, before.audit_id),
                      max(now.notification_id, before.notification_id))  # fmt: skip


# ---------------------------------------------------------------------------------- tray counts


@dataclass(frozen=True, slots=True)
class TrayCounts:
    """``unread``: unread items of the last :data:`UNREAD_DAYS` days (at most :data:`UNREAD_CAP`,
    ``unread_capped`` when there are more); ``waiting``: the person's open or pending
    conversations waiting for an answer; ``must_answer``: issues that must be answered."""

    unread: int
    unread_capped: bool
    waiting: int
    must_answer: int


def tray_counts(conn: Conn, user_id: int, now_ms: int, *, days: int = UNREAD_DAYS, cap: int = UNREAD_CAP) -> TrayCounts:
    c = _conn(conn)
    floor = id_floor_for(now_ms - days * 86_400_000)
    unread = _one(
        c, "SELECT count(*) FROM (SELECT 1 FROM items WHERE id >= ? AND is_read = 0 LIMIT ?)", (floor, cap + 1)
    )
    waiting = _one(
        c,
        "SELECT count(*) FROM conversations WHERE assignee_id = ? AND status IN ('open', 'pending')"
        " AND last_inbound_at IS NOT NULL AND last_inbound_at >= last_item_at",
        (user_id,),
    )
    must = _one(c, "SELECT count(*) FROM issues WHERE must_answer = 1 AND answered_at IS NULL")
    return TrayCounts(min(unread, cap), unread > cap, waiting, must)


# ---------------------------------------------------------------------------------- sync state


@dataclass(frozen=True, slots=True)
class AccountState:
    """One account's sync state. Times are epoch milliseconds. ``problems`` counts problems since
    the last sync (at most :data:`PROBLEM_COUNT_CAP`); ``failing``: the latest problem is newer
    than the last sync; ``network``: that problem is a network error (no answer at all)."""

    account_id: int
    key: str
    name: str
    channel: str
    is_leader: bool
    enabled: bool
    last_sync_at: int | None
    problems: int
    last_problem_kind: str
    last_problem: str
    last_problem_at: int | None

    @property
    def failing(self) -> bool:
        return self.last_problem_at is not None and (
            self.last_sync_at is None or self.last_problem_at > self.last_sync_at
        )

    @property
    def network(self) -> bool:
        return self.failing and is_network_problem(self.last_problem_kind, self.last_problem)


def is_network_problem(kind: str, reason: str) -> bool:
    """Whether a recorded sync problem says the platform could not be reached at all."""
    if kind not in ("transient", "error", "network"):
        return False
    low = reason.lower()
    return any(phrase in low for phrase in NETWORK_PHRASES)


def account_states(conn: Conn) -> list[AccountState]:
    """Every account with its sync state: a lookup per account on ``sync_cursors`` and
    ``sync_problems_account``, nothing else."""
    c = _conn(conn)
    out: list[AccountState] = []
    sql = (
        "SELECT a.id, a.key, a.name, a.channel, a.owner_kind = 'leader', a.enabled,"
        " (SELECT max(updated_at) FROM sync_cursors s WHERE s.account_id = a.id)"
        " FROM accounts a ORDER BY a.owner_kind, a.name COLLATE NOCASE, a.key"
    )
    for account_id, key, name, channel, leader, enabled, synced in c.execute(sql).fetchall():
        last = c.execute(
            "SELECT at, kind, reason FROM sync_problems WHERE account_id = ? ORDER BY id DESC LIMIT 1", (account_id,)
        ).fetchone()
        count = 0
        if last is not None and (synced is None or last[0] >= synced):
            count = _one(
                c,
                "SELECT count(*) FROM (SELECT at FROM sync_problems WHERE account_id = ? ORDER BY id DESC LIMIT ?)"
                " WHERE at >= ?",
                (account_id, PROBLEM_COUNT_CAP, synced or 0),
            )
        out.append(
            AccountState(
                account_id,
                key,
                name,
                channel,
                bool(leader),
                bool(enabled),
                synced,
                count,
                last[1] if last else "",
                last[2] if last else "",
                last[0] if last else None,
            )
        )
    return out


def is_offline(states: Sequence[AccountState]) -> bool:
    """Every enabled account is failing with a network error (and there is at least one)."""
    enabled = [s for s in states if s.enabled]
    return bool(enabled) and all(s.network for s in enabled)
