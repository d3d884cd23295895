"""SQL of the issue radar: issues and the items grouped into them, their lookup postings, the key
opinion leader registry, Promote/Protect suggestions and their outcomes, statements fanned out to
every channel, supervisors' notifications, and the radar's settings and watermarks.

The logic lives in :mod:`omniinbox.triage`; this module only reads and writes rows. Functions
taking a :class:`~omniinbox.store.cache.WriteTx` run inside the caller's transaction and bump
sequence numbers of the rows they change (``issues``, ``contacts``) so the change feed sees them;
the others read, on the write cache or on a reader connection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omniinbox.store.cache import Cache, WriteTx

Conn = sqlite3.Connection | Cache
_CHUNK = 500


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _chunks(values: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# ---------------------------------------------------------------------------------- settings and state


def settings_values(conn: Conn) -> dict[str, str]:
    """The stored settings, as JSON texts by name."""
    return dict(_conn(conn).execute("SELECT key, value FROM triage_settings"))


def set_setting(tx: WriteTx, key: str, value_json: str, user_id: int | None) -> None:
    tx.conn.execute(
        "INSERT INTO triage_settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,"
        " updated_at = excluded.updated_at",
        (key, value_json, user_id, tx.now_ms),
    )
    tx.summary["triage_settings"] += 1


def state(conn: Conn) -> dict[str, int]:
    """The watermarks of the triage run (``seq``, ``item``, ``audit``, ``purged``)."""
    return dict(_conn(conn).execute("SELECT key, value FROM triage_state"))


def set_state(tx: WriteTx, values: Mapping[str, int]) -> None:
    tx.conn.executemany(
        "INSERT INTO triage_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


# ---------------------------------------------------------------------------------- items to triage


@dataclass(frozen=True, slots=True)
class ItemToTriage:
    id: int
    seq: int
    account_id: int
    channel: str
    conversation_id: int
    conversation_external_id: str
    conversation_kind: str
    external_id: str
    parent_external_id: str | None
    kind: str
    direction: str
    contact_id: int | None
    subject: str
    text: str
    created_at: int
    engagement: int  # likes + replies + shares


_ITEMS_AFTER = (
    "SELECT i.id, i.seq, i.account_id, a.channel, i.conversation_id, cv.external_id, cv.kind, i.external_id,"
    " i.parent_external_id, i.kind, i.direction, i.contact_id, i.subject, i.text, i.created_at,"
    " i.likes + i.replies + i.shares"
    " FROM items i JOIN accounts a ON a.id = i.account_id JOIN conversations cv ON cv.id = i.conversation_id"
    " WHERE i.seq > ?1 OR (i.seq = ?1 AND i.id > ?2) ORDER BY i.seq, i.id LIMIT ?3"
)


def items_after(conn: Conn, seq: int, item_id: int, limit: int) -> list[ItemToTriage]:
    """Items changed after (``seq``, ``item_id``), in that order (the ``items_seq`` index)."""
    return [ItemToTriage(*r) for r in _conn(conn).execute(_ITEMS_AFTER, (seq, item_id, limit))]


def items_from_id(conn: Conn, after_id: int, limit: int) -> list[ItemToTriage]:
    """Items with ids above ``after_id``, in id (creation time) order."""
    sql = _ITEMS_AFTER.replace(
        "WHERE i.seq > ?1 OR (i.seq = ?1 AND i.id > ?2) ORDER BY i.seq, i.id LIMIT ?3",
        "WHERE i.id > ? ORDER BY i.id LIMIT ?",
    )
    return [ItemToTriage(*r) for r in _conn(conn).execute(sql, (after_id, limit))]


def known_items(conn: Conn, item_ids: Sequence[int]) -> dict[int, tuple[int | None, int]]:
    """For items triage has seen: ``item id -> (issue id, engagement when last seen)``."""
    found: dict[int, tuple[int | None, int]] = {}
    c = _conn(conn)
    for chunk in _chunks(list(item_ids)):
        sql = f"SELECT item_id, issue_id, engagement FROM triage_items WHERE item_id IN ({_marks(chunk)})"
        for item_id, issue_id, engagement in c.execute(sql, chunk):
            found[item_id] = (issue_id, engagement)
    return found


def set_engagement(tx: WriteTx, item_id: int, engagement: int) -> None:
    tx.conn.execute("UPDATE triage_items SET engagement = ? WHERE item_id = ?", (engagement, item_id))


def insert_item(
    tx: WriteTx,
    item_id: int,
    issue_id: int | None,
    flags: int,
    engagement: int,
    simhash: int | None,
    terms: str,
    hashtags: Sequence[str],
    links: Sequence[str],
) -> None:
    """``terms`` as the triage layer encodes them (key terms, names marked)."""
    tx.conn.execute(
        "INSERT INTO triage_items (item_id, issue_id, flags, engagement, simhash, terms, hashtags, links)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (item_id, issue_id, flags, engagement, simhash, terms, " ".join(hashtags), " ".join(links)),
    )


def insert_keys(tx: WriteTx, item_id: int, keys: Iterable[int]) -> None:
    tx.conn.executemany(
        "INSERT OR IGNORE INTO triage_keys (key, item_id) VALUES (?, ?)", [(k, item_id) for k in set(keys)]
    )


def key_matches(conn: Conn, keys: Sequence[int], lo_id: int, hi_id: int) -> list[tuple[int, int]]:
    """``(key, item id)`` of the postings under ``keys`` of items with ids in ``[lo_id, hi_id]``
    (one index range per key: item ids are time-ordered)."""
    if not keys:
        return []
    c = _conn(conn)
    found: list[tuple[int, int]] = []
    unique = list(set(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        sql = f"SELECT key, item_id FROM triage_keys WHERE key IN ({_marks(chunk)}) AND item_id BETWEEN ? AND ?"
        found.extend(c.execute(sql, (*chunk, lo_id, hi_id)))
    return found


def candidate_items(
    conn: Conn,
    pairs: Sequence[int],
    others: Sequence[int],
    burst_keys: Sequence[int],
    window: tuple[int, int],
    burst: tuple[int, int],
    min_pairs: int,
) -> set[int]:
    """Items worth testing (``omniinbox.triage.grouping.is_candidate``, in SQL): those with ids
    in ``window`` sharing at least ``min_pairs`` of ``pairs`` or any of ``others``, and those in
    ``burst`` sharing any of ``burst_keys``. Counting is left to SQLite: common pairs cost no
    Python per posting."""
    c = _conn(conn)
    found: set[int] = set()
    if pairs:
        sql = (
            f"SELECT item_id FROM triage_keys WHERE key IN ({_marks(pairs)}) AND item_id BETWEEN ? AND ?"
            " GROUP BY item_id HAVING count(*) >= ?"
        )
        found.update(r[0] for r in c.execute(sql, (*pairs, *window, min_pairs)))
    for keys, (lo, hi) in ((others, window), (burst_keys, burst)):
        if keys:
            sql = f"SELECT DISTINCT item_id FROM triage_keys WHERE key IN ({_marks(keys)}) AND item_id BETWEEN ? AND ?"
            found.update(r[0] for r in c.execute(sql, (*keys, lo, hi)))
    return found


def thread_items(conn: Conn, conversation_id: int, lo_id: int, hi_id: int) -> list[int]:
    """Items triage has seen in one conversation, with ids in ``[lo_id, hi_id]``."""
    return [
        r[0]
        for r in _conn(conn).execute(
            "SELECT i.id FROM items i JOIN triage_items t ON t.item_id = i.id"
            " WHERE i.conversation_id = ? AND i.id BETWEEN ? AND ?",
            (conversation_id, lo_id, hi_id),
        )
    ]


@dataclass(frozen=True, slots=True)
class FeatureRow:
    item_id: int
    issue_id: int | None
    flags: int
    simhash: int | None
    terms: str
    hashtags: str
    links: str
    created_at: int
    conversation_id: int
    external_id: str
    parent_ref: str | None  # the external id of the item it replies to (the thread's root when '')


def feature_rows(conn: Conn, item_ids: Iterable[int]) -> list[FeatureRow]:
    ids = sorted(set(item_ids))
    c = _conn(conn)
    rows: list[FeatureRow] = []
    for chunk in _chunks(ids):
        sql = (
            "SELECT t.item_id, t.issue_id, t.flags, t.simhash, t.terms, t.hashtags, t.links, i.created_at,"
            " i.conversation_id, i.external_id,"
            " CASE WHEN i.parent_external_id = '' THEN cv.external_id ELSE i.parent_external_id END"
            " FROM triage_items t JOIN items i ON i.id = t.item_id JOIN conversations cv ON cv.id = i.conversation_id"
            f" WHERE t.item_id IN ({_marks(chunk)})"
        )
        rows.extend(FeatureRow(*r) for r in c.execute(sql, chunk))
    return rows


def live_items_before(conn: Conn, before_id: int, limit: int) -> list[FeatureRow]:
    """Items whose postings are still kept, older than ``before_id`` (to purge)."""
    ids = [
        r[0]
        for r in _conn(conn).execute(
            "SELECT item_id FROM triage_items WHERE live = 1 AND item_id < ? ORDER BY item_id LIMIT ?",
            (before_id, limit),
        )
    ]
    return feature_rows(conn, ids)


def forget_postings(tx: WriteTx, item_id: int, keys: Iterable[int], *, keep_row: bool) -> None:
    """Drop an item's postings; its row too unless it belongs to an issue (``keep_row``)."""
    tx.conn.executemany("DELETE FROM triage_keys WHERE key = ? AND item_id = ?", [(k, item_id) for k in set(keys)])
    if keep_row:
        tx.conn.execute("UPDATE triage_items SET live = 0 WHERE item_id = ?", (item_id,))
    else:
        tx.conn.execute("DELETE FROM triage_items WHERE item_id = ?", (item_id,))


def set_flags(tx: WriteTx, changes: Mapping[int, int]) -> None:
    tx.conn.executemany("UPDATE triage_items SET flags = ? WHERE item_id = ?", [(f, i) for i, f in changes.items()])


# ---------------------------------------------------------------------------------- issues


def create_issue(tx: WriteTx) -> int:
    cur = tx.conn.execute(
        "INSERT INTO issues (dirty, created_at, updated_at, seq) VALUES (1, ?, ?, ?)",
        (tx.now_ms, tx.now_ms, tx.next_seq()),
    )
    tx.summary["issues"] += 1
    return int(cur.lastrowid or 0)


def assign(tx: WriteTx, item_ids: Sequence[int], issue_id: int | None) -> None:
    for chunk in _chunks(list(item_ids)):
        tx.conn.execute(f"UPDATE triage_items SET issue_id = ? WHERE item_id IN ({_marks(chunk)})", (issue_id, *chunk))


def relabel(tx: WriteTx, from_issue: int, to_issue: int) -> int:
    """Move every item of ``from_issue`` to ``to_issue``. Returns how many moved."""
    return tx.conn.execute("UPDATE triage_items SET issue_id = ? WHERE issue_id = ?", (to_issue, from_issue)).rowcount


def issue_sizes(conn: Conn, issue_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(issue_ids))
    return dict(_conn(conn).execute(f"SELECT id, items FROM issues WHERE id IN ({_marks(ids)})", ids)) if ids else {}


def add_to_size(tx: WriteTx, issue_id: int, count: int) -> None:
    tx.conn.execute("UPDATE issues SET items = items + ?, dirty = 1 WHERE id = ?", (count, issue_id))


def mark_dirty(tx: WriteTx, issue_ids: Iterable[int]) -> None:
    ids = sorted(set(issue_ids))
    for chunk in _chunks(ids):
        tx.conn.execute(f"UPDATE issues SET dirty = 1 WHERE id IN ({_marks(chunk)})", chunk)


def mark_open_issues_dirty(tx: WriteTx, within_ms: int) -> None:
    """Open issues with messages within ``within_ms`` of the newest activity are assessed again."""
    newest = tx.conn.execute("SELECT max(last_item_at) FROM issues WHERE status = 'open'").fetchone()[0]
    if newest is not None:
        tx.conn.execute(
            "UPDATE issues SET dirty = 1 WHERE status = 'open' AND last_item_at >= ?", (newest - within_ms,)
        )


def dirty_issue_ids(conn: Conn) -> list[int]:
    return [r[0] for r in _conn(conn).execute("SELECT id FROM issues WHERE dirty = 1")]


def member_ids(conn: Conn, issue_id: int) -> list[int]:
    return [
        r[0]
        for r in _conn(conn).execute(
            "SELECT item_id FROM triage_items WHERE issue_id = ? ORDER BY item_id", (issue_id,)
        )
    ]


def issue_of(conn: Conn, item_id: int) -> int | None:
    row = _conn(conn).execute("SELECT issue_id FROM triage_items WHERE item_id = ?", (item_id,)).fetchone()
    return None if row is None else row[0]


def issues_of(conn: Conn, item_ids: Sequence[int]) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for chunk in _chunks(list(item_ids)):
        sql = f"SELECT item_id, issue_id FROM triage_items WHERE item_id IN ({_marks(chunk)})"
        found.update(_conn(conn).execute(sql, chunk))
    return found


def are_apart(conn: Conn, a: int, b: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return _conn(conn).execute("SELECT 1 FROM issue_apart WHERE a = ? AND b = ?", (lo, hi)).fetchone() is not None


def keep_apart(tx: WriteTx, a: int, b: int) -> None:
    if a != b:
        tx.conn.execute("INSERT OR IGNORE INTO issue_apart (a, b) VALUES (?, ?)", (min(a, b), max(a, b)))


def allow_together(tx: WriteTx, a: int, b: int) -> None:
    tx.conn.execute("DELETE FROM issue_apart WHERE a = ? AND b = ?", (min(a, b), max(a, b)))


def transfer_apart(tx: WriteTx, from_issue: int, to_issue: int) -> None:
    """``to_issue`` stays apart from every issue ``from_issue`` was kept apart from."""
    others = [
        r[0]
        for r in tx.conn.execute(
            "SELECT b FROM issue_apart WHERE a = ?1 UNION SELECT a FROM issue_apart WHERE b = ?1", (from_issue,)
        )
    ]
    tx.conn.execute("DELETE FROM issue_apart WHERE a = ?1 OR b = ?1", (from_issue,))
    for other in others:
        keep_apart(tx, to_issue, other)


_ISSUE_COLUMNS = (
    "id, status, merged_into, title, title_by, visible, level, level_reason, level1_at, level2_at, level3_at,"
    " items, counted_items, authors, kols, channels, engagement, first_item_at, last_item_at, started_from,"
    " measures, must_answer, deadline_at, owner_id, answered_at, closed_at, created_at, updated_at, seq"
)


@dataclass(frozen=True, slots=True)
class IssueRow:
    id: int
    status: str
    merged_into: int | None
    title: str
    title_by: int | None
    visible: bool
    level: int
    level_reason: str
    level1_at: int | None
    level2_at: int | None
    level3_at: int | None
    items: int
    counted_items: int
    authors: int
    kols: int
    channels: int
    engagement: int
    first_item_at: int | None
    last_item_at: int | None
    started_from: int | None
    measures: dict[str, Any]
    must_answer: bool
    deadline_at: int | None
    owner_id: int | None
    answered_at: int | None
    closed_at: int | None
    created_at: int
    updated_at: int
    seq: int


def _issue(r: Sequence[Any]) -> IssueRow:
    values = list(r)
    values[5] = bool(values[5])
    values[20] = json.loads(values[20] or "{}")
    values[21] = bool(values[21])
    return IssueRow(*values)


def issue(conn: Conn, issue_id: int) -> IssueRow | None:
    r = _conn(conn).execute(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE id = ?", (issue_id,)).fetchone()
    return None if r is None else _issue(r)


def final_issue(conn: Conn, issue_id: int) -> IssueRow | None:
    """The issue, or the one it was merged into (followed to the end)."""
    seen: set[int] = set()
    row = issue(conn, issue_id)
    while row is not None and row.status == "merged" and row.merged_into is not None and row.id not in seen:
        seen.add(row.id)
        row = issue(conn, row.merged_into)
    return row


def radar(
    conn: Conn,
    *,
    min_level: int = 1,
    level: int | None = None,
    active_since: int | None = None,
    include_closed: bool = False,
    limit: int = 200,
) -> list[IssueRow]:
    """Issues for the radar: must-answer first (earliest deadline first), then by level and the
    latest activity."""
    sql = f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE visible = 1 AND status IN ({'?, ?' if include_closed else '?'})"
    params: list[Any] = ["open", "closed"] if include_closed else ["open"]
    if level is not None:
        sql += " AND level = ?"
        params.append(level)
    else:
        sql += " AND level >= ?"
        params.append(min_level)
    if active_since is not None:
        sql += " AND last_item_at >= ?"
        params.append(active_since)
    sql += (
        " ORDER BY (must_answer = 1 AND answered_at IS NULL) DESC, coalesce(deadline_at, 1 << 62), level DESC,"
        " last_item_at DESC, id LIMIT ?"
    )
    params.append(limit)
    return [_issue(r) for r in _conn(conn).execute(sql, params)]


def radar_counts(conn: Conn, *, active_since: int | None = None) -> dict[str, int]:
    """The three counts of the field: open issues, key opinion leaders involved, and items and
    authors in public-interest issues; and how many must be answered."""
    where = "visible = 1 AND status = 'open'" + (" AND last_item_at >= ?" if active_since is not None else "")
    params = [active_since] if active_since is not None else []
    r = (
        _conn(conn)
        .execute(
            "SELECT count(*), coalesce(sum(kols), 0),"
            " coalesce(sum(CASE WHEN level = 3 THEN counted_items END), 0),"
            " coalesce(sum(CASE WHEN level = 3 THEN authors END), 0),"
            " coalesce(sum(must_answer = 1 AND answered_at IS NULL), 0),"
            " coalesce(sum(level = 1), 0), coalesce(sum(level = 2), 0), coalesce(sum(level = 3), 0)"
            f" FROM issues WHERE {where}",
            params,
        )
        .fetchone()
    )
    return {
        "open_issues": r[0],
        "kols_involved": r[1],
        "public_interest_items": r[2],
        "public_interest_authors": r[3],
        "must_answer": r[4],
        "level_1": r[5],
        "level_2": r[6],
        "level_3": r[7],
    }


def update_issue(tx: WriteTx, issue_id: int, values: Mapping[str, Any]) -> None:
    """Set columns of an issue (``measures`` given as a mapping), bump its sequence number and
    clear its dirty mark."""
    columns = dict(values)
    if "measures" in columns and not isinstance(columns["measures"], str):
        columns["measures"] = json.dumps(columns["measures"], ensure_ascii=False, sort_keys=True)
    columns.update(dirty=0, updated_at=tx.now_ms, seq=tx.next_seq())
    assignments = ", ".join(f"{name} = ?" for name in columns)
    tx.conn.execute(f"UPDATE issues SET {assignments} WHERE id = ?", (*columns.values(), issue_id))
    tx.summary["issues"] += 1


def clear_dirty(tx: WriteTx, issue_id: int) -> None:
    tx.conn.execute("UPDATE issues SET dirty = 0 WHERE id = ?", (issue_id,))


def repoint(tx: WriteTx, from_issue: int, to_issue: int) -> None:
    """What belonged to ``from_issue`` (statements, notifications) now belongs to ``to_issue``."""
    tx.conn.execute("UPDATE issue_statements SET issue_id = ? WHERE issue_id = ?", (to_issue, from_issue))
    tx.conn.execute("UPDATE issue_notifications SET issue_id = ? WHERE issue_id = ?", (to_issue, from_issue))


# ---------------------------------------------------------------------------------- what measures read


@dataclass(frozen=True, slots=True)
class MemberRow:
    item_id: int
    created_at: int
    flags: int
    simhash: int | None
    terms: str
    account_id: int
    conversation_id: int
    kind: str
    direction: str
    visibility: str
    contact_id: int | None
    person_id: int | None
    followers: int | None
    verified: bool
    is_kol: bool
    author_name: str
    author_handle: str
    likes: int
    replies: int
    shares: int
    views: int
    suggestion: str | None


def member_rows(conn: Conn, issue_id: int) -> list[MemberRow]:
    """Every item of an issue with what the measures need, oldest first."""
    sql = (
        "SELECT t.item_id, i.created_at, t.flags, t.simhash, t.terms, i.account_id, i.conversation_id, i.kind,"
        " i.direction, i.visibility, i.contact_id, c.person_id, c.followers, coalesce(c.verified, 0) != 0,"
        " coalesce(c.is_kol, 0) != 0, i.author_name, i.author_handle, i.likes, i.replies, i.shares, i.views, s.value"
        " FROM triage_items t JOIN items i ON i.id = t.item_id LEFT JOIN contacts c ON c.id = i.contact_id"
        " LEFT JOIN triage_suggestions s ON s.item_id = t.item_id"
        " WHERE t.issue_id = ? ORDER BY t.item_id"
    )
    return [MemberRow(*r) for r in _conn(conn).execute(sql, (issue_id,))]


def member_tags(conn: Conn, issue_id: int) -> dict[int, dict[str, str]]:
    tags: dict[int, dict[str, str]] = {}
    for item_id, team, value in _conn(conn).execute(
        "SELECT g.item_id, g.team, g.value FROM triage_items t JOIN tags g ON g.item_id = t.item_id"
        " WHERE t.issue_id = ?",
        (issue_id,),
    ):
        tags.setdefault(item_id, {})[team] = value
    return tags


def item_texts(conn: Conn, item_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """``item id -> (subject, text)``."""
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(list(item_ids)):
        sql = f"SELECT id, subject, text FROM items WHERE id IN ({_marks(chunk)})"
        for item_id, subject, text in _conn(conn).execute(sql, chunk):
            found[item_id] = (subject, text)
    return found


@dataclass(frozen=True, slots=True)
class AccountFacts:
    id: int
    key: str
    name: str
    channel: str
    leader: bool


def account_facts(conn: Conn) -> dict[int, AccountFacts]:
    return {
        r[0]: AccountFacts(r[0], r[1], r[2], r[3], r[4] == "leader")
        for r in _conn(conn).execute("SELECT id, key, name, channel, owner_kind FROM accounts")
    }


# ---------------------------------------------------------------------------------- notifications


def notify(tx: WriteTx, issue_id: int, kind: str, message: str, role: str = "supervisor") -> int:
    cur = tx.conn.execute(
        "INSERT INTO issue_notifications (issue_id, kind, role, message, created_at, seq) VALUES (?, ?, ?, ?, ?, ?)",
        (issue_id, kind, role, message, tx.now_ms, tx.next_seq()),
    )
    tx.summary["issue_notifications"] += 1
    return int(cur.lastrowid or 0)


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: int
    issue_id: int
    kind: str
    role: str
    message: str
    created_at: int
    acknowledged_by: int | None
    acknowledged_at: int | None


def notifications(conn: Conn, *, open_only: bool = True, issue_id: int | None = None) -> list[NotificationRow]:
    sql = (
        "SELECT id, issue_id, kind, role, message, created_at, acknowledged_by, acknowledged_at"
        " FROM issue_notifications"
    )
    where: list[str] = []
    params: list[Any] = []
    if open_only:
        where.append("acknowledged_at IS NULL")
    if issue_id is not None:
        where.append("issue_id = ?")
        params.append(issue_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [NotificationRow(*r) for r in _conn(conn).execute(sql + " ORDER BY id", params)]


def acknowledge(tx: WriteTx, notification_id: int, user_id: int | None) -> bool:
    cur = tx.conn.execute(
        "UPDATE issue_notifications SET acknowledged_by = ?, acknowledged_at = ?, seq = ?"
        " WHERE id = ? AND acknowledged_at IS NULL",
        (user_id, tx.now_ms, tx.next_seq(), notification_id),
    )
    tx.summary["issue_notifications"] += 1
    return cur.rowcount > 0


# ---------------------------------------------------------------------------------- suggestions


def save_suggestion(tx: WriteTx, item_id: int, value: str | None, score: int, reason: str) -> None:
    tx.conn.execute(
        "INSERT INTO triage_suggestions (item_id, value, score, reason, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (item_id) DO UPDATE SET value = excluded.value, score = excluded.score,"
        " reason = excluded.reason, created_at = excluded.created_at",
        (item_id, value, score, reason, tx.now_ms),
    )
    tx.summary["triage_suggestions"] += 1


@dataclass(frozen=True, slots=True)
class SuggestionRow:
    item_id: int
    value: str | None
    score: int
    reason: str
    created_at: int


def suggestions(conn: Conn, item_ids: Sequence[int]) -> dict[int, SuggestionRow]:
    found: dict[int, SuggestionRow] = {}
    for chunk in _chunks(list(item_ids)):
        sql = (
            "SELECT item_id, value, score, reason, created_at FROM triage_suggestions"
            f" WHERE item_id IN ({_marks(chunk)})"
        )
        for r in _conn(conn).execute(sql, chunk):
            found[r[0]] = SuggestionRow(*r)
    return found


def tag_events_after(conn: Conn, audit_id: int, limit: int) -> list[tuple[int, int, int | None, str, str, str]]:
    """``(id, at, user id, action, target, detail)`` of tag audit events after ``audit_id``."""
    return list(
        _conn(conn).execute(
            "SELECT id, at, user_id, action, target, detail FROM audit_events"
            " WHERE id > ? AND action IN ('tag.set', 'tag.clear') ORDER BY id LIMIT ?",
            (audit_id, limit),
        )
    )


def last_audit_id(conn: Conn) -> int:
    return int(_conn(conn).execute("SELECT coalesce(max(id), 0) FROM audit_events").fetchone()[0])


def record_outcome(
    tx: WriteTx, item_id: int, team: str, suggested: str, decided: str, user_id: int | None, at: int
) -> None:
    tx.conn.execute(
        "INSERT INTO suggestion_outcomes (item_id, team, suggested, decided, agreed, decided_by, decided_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item_id, team) DO UPDATE SET suggested = excluded.suggested,"
        " decided = excluded.decided, agreed = excluded.agreed, decided_by = excluded.decided_by,"
        " decided_at = excluded.decided_at",
        (item_id, team, suggested, decided, int(suggested == decided), user_id, at),
    )
    tx.summary["suggestion_outcomes"] += 1


def forget_outcome(tx: WriteTx, item_id: int, team: str) -> None:
    tx.conn.execute("DELETE FROM suggestion_outcomes WHERE item_id = ? AND team = ?", (item_id, team))
    tx.summary["suggestion_outcomes"] += 1


def agreement(conn: Conn, *, since_ms: int | None = None) -> dict[str, tuple[int, int]]:
    """Per team: ``(agreed, decided)`` over the items it tagged that had a suggestion."""
    sql = "SELECT team, sum(agreed), count(*) FROM suggestion_outcomes"
    params: list[Any] = []
    if since_ms is not None:
        sql += " WHERE decided_at >= ?"
        params.append(since_ms)
    return {team: (int(a), int(n)) for team, a, n in _conn(conn).execute(sql + " GROUP BY team", params)}


# ---------------------------------------------------------------------------------- key opinion leaders


@dataclass(frozen=True, slots=True)
class ContactFacts:
    id: int
    channel: str
    name: str
    handle: str
    followers: int | None
    verified: bool
    is_kol: bool
    person_id: int | None


def contacts(conn: Conn, contact_ids: Iterable[int]) -> dict[int, ContactFacts]:
    ids = sorted(set(contact_ids))
    found: dict[int, ContactFacts] = {}
    for chunk in _chunks(ids):
        sql = (
            "SELECT id, channel, name, handle, followers, verified, is_kol, person_id FROM contacts"
            f" WHERE id IN ({_marks(chunk)})"
        )
        for r in _conn(conn).execute(sql, chunk):
            found[r[0]] = ContactFacts(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), r[7])
    return found


def identities(conn: Conn, contact_id: int) -> list[int]:
    """The contact and every contact linked to the same person."""
    row = _conn(conn).execute("SELECT person_id FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    if row is None:
        return []
    if row[0] is None:
        return [contact_id]
    return [r[0] for r in _conn(conn).execute("SELECT id FROM contacts WHERE person_id = ? ORDER BY id", (row[0],))]


def set_person(tx: WriteTx, contact_ids: Sequence[int], person_id: int | None) -> None:
    for cid in contact_ids:
        tx.conn.execute(
            "UPDATE contacts SET person_id = ?, seq = ? WHERE id = ? AND person_id IS NOT ?",
            (person_id, tx.next_seq(), cid, person_id),
        )
    tx.summary["contacts"] += len(contact_ids)


def set_is_kol(tx: WriteTx, contact_ids: Sequence[int], is_kol: bool) -> None:
    for cid in contact_ids:
        tx.conn.execute(
            "UPDATE contacts SET is_kol = ?, seq = ? WHERE id = ? AND is_kol != ?",
            (int(is_kol), tx.next_seq(), cid, int(is_kol)),
        )
    tx.summary["contacts"] += len(contact_ids)


def register_kol(tx: WriteTx, contact_id: int, kind: str, note: str, user_id: int | None) -> None:
    tx.conn.execute(
        "INSERT INTO kol_registry (contact_id, kind, note, set_by, set_at, seq) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (contact_id) DO UPDATE SET kind = excluded.kind, note = excluded.note,"
        " set_by = excluded.set_by, set_at = excluded.set_at, seq = excluded.seq",
        (contact_id, kind, note, user_id, tx.now_ms, tx.next_seq()),
    )
    tx.summary["kol_registry"] += 1


def unregister_kol(tx: WriteTx, contact_ids: Sequence[int]) -> None:
    for chunk in _chunks(list(contact_ids)):
        tx.conn.execute(f"DELETE FROM kol_registry WHERE contact_id IN ({_marks(chunk)})", chunk)
    tx.summary["kol_registry"] += len(contact_ids)


@dataclass(frozen=True, slots=True)
class KolRow:
    contact_id: int
    channel: str
    name: str
    handle: str
    followers: int | None
    verified: bool
    person_id: int | None
    kind: str
    note: str
    set_by: int | None
    set_at: int


def kol_registry(conn: Conn) -> list[KolRow]:
    return [
        KolRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9], r[10])
        for r in _conn(conn).execute(
            "SELECT c.id, c.channel, c.name, c.handle, c.followers, c.verified, c.person_id, k.kind, k.note,"
            " k.set_by, k.set_at FROM kol_registry k JOIN contacts c ON c.id = k.contact_id ORDER BY c.name, c.id"
        )
    ]


def kol_kinds(conn: Conn) -> dict[int, str]:
    return dict(_conn(conn).execute("SELECT contact_id, kind FROM kol_registry"))


def issues_with_contacts(conn: Conn, contact_ids: Sequence[int], *, per_contact: int = 500) -> set[int]:
    """Issues holding recent items of these contacts."""
    found: set[int] = set()
    c = _conn(conn)
    for cid in contact_ids:
        for (issue_id,) in c.execute(
            "SELECT t.issue_id FROM (SELECT id FROM items WHERE contact_id = ? ORDER BY id DESC LIMIT ?) i"
            " JOIN triage_items t ON t.item_id = i.id WHERE t.issue_id IS NOT NULL",
            (cid, per_contact),
        ):
            found.add(issue_id)
    return found


def contact_reach(conn: Conn, contact_id: int, *, recent: int = 200) -> tuple[int, int]:
    """``(items, likes + shares + replies)`` over the contact's most recent items."""
    r = (
        _conn(conn)
        .execute(
            "SELECT count(*), coalesce(sum(likes + shares + replies), 0) FROM"
            " (SELECT likes, shares, replies FROM items WHERE contact_id = ? ORDER BY id DESC LIMIT ?)",
            (contact_id, recent),
        )
        .fetchone()
    )
    return int(r[0]), int(r[1])


def kol_suggestion_state(conn: Conn, contact_ids: Iterable[int]) -> dict[int, bool]:
    """``contact id -> dismissed`` for contacts already suggested."""
    ids = sorted(set(contact_ids))
    found: dict[int, bool] = {}
    for chunk in _chunks(ids):
        sql = f"SELECT contact_id, dismissed_at IS NOT NULL FROM kol_suggestions WHERE contact_id IN ({_marks(chunk)})"
        found.update((cid, bool(d)) for cid, d in _conn(conn).execute(sql, chunk))
    return found


def suggest_kol(tx: WriteTx, contact_id: int, kind: str, reason: str, score: int) -> None:
    tx.conn.execute(
        "INSERT INTO kol_suggestions (contact_id, kind, reason, score, suggested_at, seq) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (contact_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason,"
        " score = excluded.score, seq = excluded.seq WHERE kol_suggestions.dismissed_at IS NULL",
        (contact_id, kind, reason, score, tx.now_ms, tx.next_seq()),
    )
    tx.summary["kol_suggestions"] += 1


def dismiss_kol_suggestion(tx: WriteTx, contact_id: int, user_id: int | None) -> bool:
    cur = tx.conn.execute(
        "UPDATE kol_suggestions SET dismissed_by = ?, dismissed_at = ?, seq = ? WHERE contact_id = ?",
        (user_id, tx.now_ms, tx.next_seq(), contact_id),
    )
    tx.summary["kol_suggestions"] += 1
    return cur.rowcount > 0


def drop_kol_suggestion(tx: WriteTx, contact_id: int) -> None:
    tx.conn.execute("DELETE FROM kol_suggestions WHERE contact_id = ?", (contact_id,))


@dataclass(frozen=True, slots=True)
class KolSuggestionRow:
    contact_id: int
    channel: str
    name: str
    handle: str
    followers: int | None
    verified: bool
    kind: str
    reason: str
    score: int
    suggested_at: int


def kol_suggestions(conn: Conn, *, limit: int = 100) -> list[KolSuggestionRow]:
    return [
        KolSuggestionRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9])
        for r in _conn(conn).execute(
            "SELECT c.id, c.channel, c.name, c.handle, c.followers, c.verified, s.kind, s.reason, s.score,"
            " s.suggested_at FROM kol_suggestions s JOIN contacts c ON c.id = s.contact_id"
            " WHERE s.dismissed_at IS NULL AND c.is_kol = 0 ORDER BY s.score DESC, c.id LIMIT ?",
            (limit,),
        )
    ]


# ---------------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class StatementRow:
    id: int
    issue_id: int
    body: str
    short_body: str
    link: str
    state: str
    created_by: int | None
    created_at: int
    approved_by: int | None
    approved_at: int | None
    fanned_out_at: int | None


_STATEMENT_COLUMNS = (
    "id, issue_id, body, short_body, link, state, created_by, created_at, approved_by, approved_at, fanned_out_at"
)


def statement(conn: Conn, statement_id: int) -> StatementRow | None:
    r = (
        _conn(conn)
        .execute(f"SELECT {_STATEMENT_COLUMNS} FROM issue_statements WHERE id = ?", (statement_id,))
        .fetchone()
    )
    return None if r is None else StatementRow(*r)


def statements(conn: Conn, issue_id: int) -> list[StatementRow]:
    return [
        StatementRow(*r)
        for r in _conn(conn).execute(
            f"SELECT {_STATEMENT_COLUMNS} FROM issue_statements WHERE issue_id = ? ORDER BY id", (issue_id,)
        )
    ]


def insert_statement(tx: WriteTx, issue_id: int, body: str, short_body: str, link: str, user_id: int | None) -> int:
    cur = tx.conn.execute(
        "INSERT INTO issue_statements (issue_id, body, short_body, link, state, created_by, created_at, seq)"
        " VALUES (?, ?, ?, ?, 'draft', ?, ?, ?)",
        (issue_id, body, short_body, link, user_id, tx.now_ms, tx.next_seq()),
    )
    tx.summary["issue_statements"] += 1
    return int(cur.lastrowid or 0)


def update_statement(tx: WriteTx, statement_id: int, values: Mapping[str, Any]) -> None:
    columns = {**values, "seq": tx.next_seq()}
    assignments = ", ".join(f"{name} = ?" for name in columns)
    tx.conn.execute(f"UPDATE issue_statements SET {assignments} WHERE id = ?", (*columns.values(), statement_id))
    tx.summary["issue_statements"] += 1


@dataclass(frozen=True, slots=True)
class StatementReplyRow:
    statement_id: int
    account_id: int
    channel: str
    item_id: int | None
    conversation_id: int | None
    body: str
    outbox_id: int | None
    state: str | None  # the outbox entry's
    last_error: str
    sent_at: int | None


def statement_replies(conn: Conn, statement_id: int) -> list[StatementReplyRow]:
    return [
        StatementReplyRow(*r)
        for r in _conn(conn).execute(
            "SELECT r.statement_id, r.account_id, r.channel, r.item_id, r.conversation_id, r.body, r.outbox_id,"
            " o.state, coalesce(o.last_error, ''), o.sent_at"
            " FROM statement_replies r LEFT JOIN outbox o ON o.id = r.outbox_id"
            " WHERE r.statement_id = ? ORDER BY r.channel, r.account_id",
            (statement_id,),
        )
    ]


def plan_statement_reply(
    tx: WriteTx, statement_id: int, account_id: int, channel: str, item_id: int | None, conversation_id: int | None,
    body: str,
) -> None:  # fmt: skip
    tx.conn.execute(
        "INSERT INTO statement_replies (statement_id, account_id, channel, item_id, conversation_id, body)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (statement_id, account_id) DO NOTHING",
        (statement_id, account_id, channel, item_id, conversation_id, body),
    )
    tx.summary["statement_replies"] += 1


def link_statement_reply(tx: WriteTx, statement_id: int, account_id: int, outbox_id: int) -> None:
    tx.conn.execute(
        "UPDATE statement_replies SET outbox_id = ? WHERE statement_id = ? AND account_id = ?",
        (outbox_id, statement_id, account_id),
    )
    tx.summary["statement_replies"] += 1


def find_outbox_entry(
    conn: Conn, account_id: int, in_reply_to_item_id: int | None, conversation_id: int | None, body: str
) -> int | None:
    """An outbox entry already holding this reply (a fan-out interrupted between queueing a reply
    and recording it is not queued twice)."""
    row = (
        _conn(conn)
        .execute(
            "SELECT id FROM outbox WHERE account_id = ? AND in_reply_to_item_id IS ? AND conversation_id IS ?"
            " AND body = ? AND state != 'cancelled' ORDER BY id DESC LIMIT 1",
            (account_id, in_reply_to_item_id, conversation_id, body),
        )
        .fetchone()
    )
    return None if row is None else int(row[0])


def unanswered_must_answer(conn: Conn) -> list[int]:
    return [r[0] for r in _conn(conn).execute("SELECT id FROM issues WHERE must_answer = 1 AND answered_at IS NULL")]


def answered_at(conn: Conn, issue_id: int) -> int | None:
    """When the last reply of a fanned-out statement of the issue was sent, if all of one's are."""
    best: int | None = None
    for (statement_id,) in _conn(conn).execute(
        "SELECT id FROM issue_statements WHERE issue_id = ? AND state = 'fanned_out'", (issue_id,)
    ):
        replies = statement_replies(conn, statement_id)
        if replies and all(r.state == "sent" for r in replies):
            done = max(r.sent_at or 0 for r in replies)
            best = done if best is None else min(best, done)
    return best


def users_roles(conn: Conn) -> dict[int, str]:
    return dict(_conn(conn).execute("SELECT id, role FROM users"))


def outbound_items(conn: Conn, issue_id: int) -> list[tuple[int, int, int, str]]:
    """Our own messages in an issue: ``(item id, created, account id, text)``."""
    return list(
        _conn(conn).execute(
            "SELECT i.id, i.created_at, i.account_id, i.text FROM triage_items t JOIN items i ON i.id = t.item_id"
            " WHERE t.issue_id = ? AND i.direction = 'out' ORDER BY i.id",
            (issue_id,),
        )
    )


def issue_audit(conn: Conn, issue_id: int) -> list[tuple[int, int | None, str, str]]:
    """``(at, user id, action, detail JSON)`` of the issue's audit events, oldest first."""
    return list(
        _conn(conn).execute(
            "SELECT at, user_id, action, detail FROM audit_events WHERE target = ? ORDER BY id", (f"issue:{issue_id}",)
        )
    )
