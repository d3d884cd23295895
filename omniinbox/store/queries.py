"""Reading the cache: keyset pages, full-text search, rows for display, threads, statistics.

Every list pages by key (``id < last id seen``), never by skipping rows: item ids are time-ordered, so
``ORDER BY id DESC`` is newest first and a page at any depth costs the same.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omniinbox.core import Channel, TagValue, Team, from_millis
from omniinbox.store.cache import Cache
from omniinbox.store.compact import PayloadCodec
from omniinbox.store.ingest import id_floor_for

DEFAULT_PAGE = 100


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """What a list shows. Empty fields do not filter."""

    channels: tuple[Channel, ...] = ()
    account_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    tag: tuple[Team, TagValue] | None = None
    statuses: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    unread: bool = False
    since: datetime | None = None

    def is_empty(self) -> bool:
        return self == ItemFilter()


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item as the lists and the conversation pane show it."""

    id: int
    account_id: int
    account_key: str
    account_name: str
    channel: str
    is_leader_account: bool
    external_id: str
    conversation_id: int
    kind: str
    direction: str
    author_name: str
    author_handle: str
    followers: int | None
    is_kol: bool
    subject: str
    text: str
    permalink: str
    created_at: datetime
    likes: int
    replies: int
    shares: int
    is_read: bool
    status: str
    assignee: str
    tags: dict[str, str] = field(default_factory=dict)  # team -> promote|protect

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account_key,
            "channel": self.channel,
            "leader_account": self.is_leader_account,
            "external_id": self.external_id,
            "conversation_id": self.conversation_id,
            "kind": self.kind,
            "direction": self.direction,
            "author": self.author_name,
            "handle": self.author_handle,
            "followers": self.followers,
            "kol": self.is_kol,
            "subject": self.subject,
            "text": self.text,
            "permalink": self.permalink,
            "created_at": self.created_at.isoformat(),
            "likes": self.likes,
            "replies": self.replies,
            "shares": self.shares,
            "status": self.status,
            "assignee": self.assignee,
            "tag_social": self.tags.get(Team.SOCIAL.value, ""),
            "tag_contact_center": self.tags.get(Team.CONTACT_CENTER.value, ""),
        }


EXPORT_FIELDS = (
    "id",
    "account",
    "channel",
    "leader_account",
    "external_id",
    "conversation_id",
    "kind",
    "direction",
    "author",
    "handle",
    "followers",
    "kol",
    "subject",
    "text",
    "permalink",
    "created_at",
    "likes",
    "replies",
    "shares",
    "status",
    "assignee",
    "tag_social",
    "tag_contact_center",
)  # fmt: skip  (the keys of ItemRow.as_dict, in order)


def _where(flt: ItemFilter, params: list[Any], alias: str = "i") -> list[str]:
    clauses: list[str] = []
    if flt.account_ids:
        # The unary "+" keeps the planner off the (account_id, external_id) index: walking items by
        # id and filtering is ~1 ms a page, sorting a whole account's items first was ~200 ms at 1M.
        clauses.append(f"+{alias}.account_id IN ({','.join('?' * len(flt.account_ids))})")
        params.extend(flt.account_ids)
    if flt.channels:
        clauses.append(
            f"+{alias}.account_id IN (SELECT id FROM accounts WHERE channel IN ({','.join('?' * len(flt.channels))}))"
        )
        params.extend(c.value for c in flt.channels)
    if flt.kinds:
        clauses.append(f"{alias}.kind IN ({','.join('?' * len(flt.kinds))})")
        params.extend(flt.kinds)
    if flt.tag is not None:
        clauses.append(f"EXISTS (SELECT 1 FROM tags t WHERE t.item_id = {alias}.id AND t.team = ? AND t.value = ?)")
        params.extend((flt.tag[0].value, flt.tag[1].value))
    if flt.statuses or flt.assignee_id is not None or flt.unassigned:
        sub: list[str] = []
        if flt.statuses:
            sub.append(f"c.status IN ({','.join('?' * len(flt.statuses))})")
            params.extend(flt.statuses)
        if flt.assignee_id is not None:
            sub.append("c.assignee_id = ?")
            params.append(flt.assignee_id)
        if flt.unassigned:
            sub.append("c.assignee_id IS NULL")
        clauses.append(f"{alias}.conversation_id IN (SELECT c.id FROM conversations c WHERE {' AND '.join(sub)})")
    if flt.unread:
        clauses.append(f"{alias}.is_read = 0")
    if flt.since is not None:
        clauses.append(f"{alias}.id >= ?")
        params.append(id_floor_for(int(flt.since.timestamp() * 1000)))
    return clauses


def keyset_page(
    conn: sqlite3.Connection | Cache,
    flt: ItemFilter = ItemFilter(),
    *,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> list[int]:
    """Ids of the next ``limit`` items, newest first, older than ``before_id``."""
    conn = conn.conn if isinstance(conn, Cache) else conn
    params: list[Any] = []
    clauses = _where(flt, params)
    if before_id is not None:
        clauses.append("i.id < ?")
        params.append(before_id)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    params.append(limit)
    return [r[0] for r in conn.execute(f"SELECT i.id FROM items i {where} ORDER BY i.id DESC LIMIT ?", params)]


_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


class BadQuery(ValueError):
    pass


def to_fts_query(text: str) -> str:
    """Turn what a person types into a safe FTS5 query.

    Words are all required; ``"two words"`` is a phrase; a trailing ``*`` is a prefix; ``OR``
    between words means either. Every other FTS5 operator character is taken literally, so no
    input can raise a syntax error.
    """
    parts: list[str] = []
    for phrase, word in _TOKEN.findall(text):
        if phrase:
            cleaned = phrase.replace('"', " ").strip()
            if cleaned:
                parts.append(f'"{cleaned}"')
            continue
        if word == "OR" and parts and parts[-1] != "OR":
            parts.append("OR")
            continue
        prefix = word.endswith("*") and len(word) > 1
        core = word.rstrip("*").replace('"', " ").strip()
        if core:
            parts.append(f'"{core}"' + ("*" if prefix else ""))
    while parts and parts[-1] == "OR":
        parts.pop()
    if not parts:
        raise BadQuery("the search is empty")
    return " ".join(parts)


def search(
    conn: sqlite3.Connection | Cache,
    query: str,
    flt: ItemFilter = ItemFilter(),
    *,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> list[int]:
    """Ids of items matching ``query``, newest first (time-ordered ids make rowid order recency)."""
    conn = conn.conn if isinstance(conn, Cache) else conn
    params: list[Any] = [to_fts_query(query)]
    clauses = ["items_fts MATCH ?"]
    if before_id is not None:
        clauses.append("items_fts.rowid < ?")
        params.append(before_id)
    if flt.is_empty():
        sql = f"SELECT rowid FROM items_fts WHERE {' AND '.join(clauses)} ORDER BY rowid DESC LIMIT ?"
    else:
        extra = _where(flt, params)
        sql = (
            "SELECT i.id FROM items_fts JOIN items i ON i.id = items_fts.rowid"
            f" WHERE {' AND '.join(clauses + extra)} ORDER BY items_fts.rowid DESC LIMIT ?"
        )
    params.append(limit)
    try:
        return [r[0] for r in conn.execute(sql, params)]
    except sqlite3.OperationalError as exc:  # defensive: to_fts_query should prevent this
        raise BadQuery(f"cannot search for {query!r}: {exc}") from exc


_ROW_SQL = """
SELECT i.id, i.account_id, a.key, a.name, a.channel, a.owner_kind = 'leader', i.external_id,
       i.conversation_id, i.kind, i.direction, i.author_name, i.author_handle, ct.followers,
       coalesce(ct.is_kol, 0), i.subject, i.text, coalesce(up.prefix, '') || i.permalink, i.created_at,
       i.likes, i.replies, i.shares, i.is_read, c.status, coalesce(u.name, ''),
       (SELECT group_concat(t.team || '=' || t.value) FROM tags t WHERE t.item_id = i.id)
FROM items i
JOIN accounts a ON a.id = i.account_id
JOIN conversations c ON c.id = i.conversation_id
LEFT JOIN contacts ct ON ct.id = i.contact_id
LEFT JOIN users u ON u.id = c.assignee_id
LEFT JOIN url_prefixes up ON up.id = i.permalink_prefix
"""


def _row(r: Sequence[Any]) -> ItemRow:
    tags = dict(pair.split("=", 1) for pair in r[24].split(",")) if r[24] else {}
    return ItemRow(
        id=r[0],
        account_id=r[1],
        account_key=r[2],
        account_name=r[3],
        channel=r[4],
        is_leader_account=bool(r[5]),
        external_id=r[6],
        conversation_id=r[7],
        kind=r[8],
        direction=r[9],
        author_name=r[10],
        author_handle=r[11],
        followers=r[12],
        is_kol=bool(r[13]),
        subject=r[14],
        text=r[15],
        permalink=r[16],
        created_at=from_millis(r[17]),  # type: ignore[arg-type]
        likes=r[18],
        replies=r[19],
        shares=r[20],
        is_read=bool(r[21]),
        status=r[22],
        assignee=r[23],
        tags=tags,
    )


def rows(conn: sqlite3.Connection | Cache, ids: Sequence[int]) -> list[ItemRow]:
    """Display rows for ``ids``, in the order given (missing ids are left out)."""
    conn = conn.conn if isinstance(conn, Cache) else conn
    found: dict[int, ItemRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = f"{_ROW_SQL} WHERE i.id IN ({','.join('?' * len(chunk))})"
        for r in conn.execute(sql, tuple(chunk)):
            found[r[0]] = _row(r)
    return [found[i] for i in ids if i in found]


def payload(conn: sqlite3.Connection | Cache, item_id: int) -> object | None:
    """The raw payload the platform sent for an item, or ``None`` when none was kept.
    Raises :class:`~omniinbox.store.compact.PayloadError` when it cannot be read back."""
    codec = conn.payloads if isinstance(conn, Cache) else PayloadCodec(conn)
    conn = conn.conn if isinstance(conn, Cache) else conn
    row = conn.execute("SELECT payload, text FROM items WHERE id = ?", (item_id,)).fetchone()
    return None if row is None or row[0] is None else codec.decode(row[0], row[1])


def thread(conn: sqlite3.Connection | Cache, conversation_id: int) -> list[ItemRow]:
    """Every item of a conversation, oldest first."""
    conn = conn.conn if isinstance(conn, Cache) else conn
    return [_row(r) for r in conn.execute(f"{_ROW_SQL} WHERE i.conversation_id = ? ORDER BY i.id", (conversation_id,))]


def iter_items(
    conn: sqlite3.Connection | Cache, flt: ItemFilter = ItemFilter(), *, batch: int = 1000
) -> Iterator[ItemRow]:
    """Every item matching ``flt``, newest first, read in keyset batches (for export)."""
    before: int | None = None
    while True:
        ids = keyset_page(conn, flt, before_id=before, limit=batch)
        if not ids:
            return
        yield from rows(conn, ids)
        before = ids[-1]


@dataclass(frozen=True, slots=True)
class ProblemRow:
    id: int
    at: datetime
    account: str
    kind: str
    reason: str


def problems(
    conn: sqlite3.Connection | Cache,
    *,
    after_id: int = 0,
    kind: str | None = None,
    limit: int = 50,
    oldest_first: bool = False,
) -> list[ProblemRow]:
    """Recorded sync and import problems, newest first unless asked (``after_id``: only later ones)."""
    conn = conn.conn if isinstance(conn, Cache) else conn
    sql = (
        "SELECT p.id, p.at, coalesce(a.key, ''), p.kind, p.reason FROM sync_problems p"
        " LEFT JOIN accounts a ON a.id = p.account_id WHERE p.id > ?"
    )
    params: list[Any] = [after_id]
    if kind is not None:
        sql += " AND p.kind = ?"
        params.append(kind)
    params.append(limit)
    return [
        ProblemRow(r[0], from_millis(r[1]), r[2], r[3], r[4])  # type: ignore[arg-type]
        for r in conn.execute(sql + f" ORDER BY p.id {'ASC' if oldest_first else 'DESC'} LIMIT ?", params)
    ]


def last_problem_id(conn: sqlite3.Connection | Cache) -> int:
    conn = conn.conn if isinstance(conn, Cache) else conn
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM sync_problems").fetchone()[0])


def stats(conn: sqlite3.Connection | Cache) -> dict[str, Any]:
    """Counts for the ``stats`` command and the supervisor's overview."""
    conn = conn.conn if isinstance(conn, Cache) else conn
    per_account = {
        key: {"channel": channel, "items": n, "leader": bool(leader)}
        for key, channel, leader, n in conn.execute(
            "SELECT a.key, a.channel, a.owner_kind = 'leader',"
            " (SELECT count(*) FROM items i WHERE i.account_id = a.id) FROM accounts a ORDER BY a.key"
        )
    }
    per_channel: dict[str, int] = {}
    for info in per_account.values():
        per_channel[info["channel"]] = per_channel.get(info["channel"], 0) + info["items"]
    tags = {
        f"{team}:{value}": n
        for team, value, n in conn.execute("SELECT team, value, count(*) FROM tags GROUP BY team, value")
    }
    statuses = dict(conn.execute("SELECT status, count(*) FROM conversations GROUP BY status").fetchall())
    outbox = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    newest = conn.execute("SELECT created_at FROM items ORDER BY id DESC LIMIT 1").fetchone()
    return {
        "items": sum(per_channel.values()),
        "items_per_channel": per_channel,
        "items_per_account": per_account,
        "conversations": sum(statuses.values()),
        "conversations_per_status": statuses,
        "contacts": conn.execute("SELECT count(*) FROM contacts").fetchone()[0],
        "tags": tags,
        "outbox": outbox,
        "sync_problems": conn.execute("SELECT count(*) FROM sync_problems").fetchone()[0],
        "newest_item_at": from_millis(newest[0]).isoformat() if newest else None,  # type: ignore[union-attr]
    }
