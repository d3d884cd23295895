"""Reads for the desktop client that :mod:`omniinbox.store.queries` does not offer: the side bar's
queues and their counts, filtered id pages over conversation facts (team, needs an answer), rows
ready for the item list, the conversation pane's thread facts, author card, notes, audit trail and
outbox entries, the status bar's sync and outbox figures, and the change feed read on a reader
connection.

Every function takes a ``sqlite3.Connection`` (a reader from :meth:`Cache.reader`, on a worker
thread) or a :class:`Cache`, and only reads. Writes are in ``actions``, ``outbox`` and friends.

Lists page by key like :func:`queries.keyset_page`: ``id < before_id ORDER BY id DESC``, never
``OFFSET``. Which table drives a page depends on the filter (see :func:`plan_for`):

* ``walk``: items newest first by id, each checked against its conversation (a primary-key
  lookup). A page costs about (page size / share of items that match) lookups: right for broad
  filters (a team, open, unassigned, needs an answer, closed).
* ``conversations``: the conversations of one assignee, or the snoozed ones, through their
  index, then their items through ``items_conversation``. Right for small sets, where walking
  would read the whole table to fill a page.
* ``tags``: Promote/Protect by the ``tags_value`` index alone, when nothing else filters.
"""

from __future__ import annotations

import enum
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omniinbox.core import (
    Account,
    CannedResponse,
    ConversationStatus,
    OutboxEntry,
    Role,
    TagValue,
    Team,
    User,
    from_millis,
)
from omniinbox.store import accounts as _accounts
from omniinbox.store import outbox as _outbox
from omniinbox.store import queries
from omniinbox.store.cache import Cache

Conn = sqlite3.Connection | Cache
DEFAULT_PAGE = 200
OPEN_STATUSES: tuple[str, ...] = (ConversationStatus.OPEN.value, ConversationStatus.PENDING.value)
_CHUNK = 500


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


# ---------------------------------------------------------------------------------- change feed


def last_seq(conn: Conn) -> int:
    """The cache's change sequence (what :meth:`Cache.last_seq` says, on any connection)."""
    return int(_conn(conn).execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])


def changes_since(conn: Conn, seq: int) -> dict[str, int]:
    """What changed after ``seq``, summed over the change batches (``{"items": 3, "tags": 1}``)."""
    total: Counter[str] = Counter()
    for (summary,) in _conn(conn).execute("SELECT summary FROM change_batches WHERE seq > ?", (seq,)):
        total.update(json.loads(summary))
    return dict(total)


def changed_item_ids(conn: Conn, after_seq: int, *, limit: int = 5000) -> list[int]:
    """Items written (new or changed) after ``after_seq``, the latest written first, at most ``limit``."""
    sql = "SELECT id FROM items WHERE seq > ? ORDER BY seq DESC LIMIT ?"
    return [r[0] for r in _conn(conn).execute(sql, (after_seq, limit))]


# ---------------------------------------------------------------------------------- filters


class QueueKind(enum.StrEnum):
    """The side bar's fixed queues."""

    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    NEEDS_ANSWER = "needs_answer"
    PROMOTE = "promote"
    PROTECT = "protect"
    SNOOZED = "snoozed"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What an item list shows. Empty fields do not filter; the fields combine with AND.

    ``team`` is the conversation's queue (which team works it); ``tag`` is a judgement: a
    ``(team, value)`` pair for one team's, or ``(None, value)`` for either team's.
    ``needs_answer``: open or pending conversations whose newest message came in (nobody has
    answered since), showing their incoming items.
    """

    channels: tuple[str, ...] = ()
    account_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    team: Team | None = None
    statuses: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    needs_answer: bool = False
    tag: tuple[Team | None, TagValue] | None = None
    unread: bool = False

    def is_empty(self) -> bool:
        return self == ListFilter()

    def narrowed(self, other: ListFilter) -> ListFilter:
        """This filter AND ``other`` (fields set in ``other`` win where both set one)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in self.__dataclass_fields__:
            value = getattr(other, name)
            if value != () and value is not None and value is not False:
                values[name] = value
        return ListFilter(**values)


def queue_filter(kind: QueueKind, *, user_id: int | None = None, team: Team | None = None) -> ListFilter:
    """The filter of a side bar queue; ``team`` narrows it to one team's conversations and makes
    Promote/Protect that team's judgement (a team panel), else either team's."""
    base = ListFilter(team=team)
    if kind is QueueKind.ALL:
        return base
    if kind is QueueKind.MINE:
        return base.narrowed(ListFilter(assignee_id=-1 if user_id is None else user_id, statuses=OPEN_STATUSES))
    if kind is QueueKind.UNASSIGNED:
        return base.narrowed(ListFilter(unassigned=True, statuses=OPEN_STATUSES))
    if kind is QueueKind.NEEDS_ANSWER:
        return base.narrowed(ListFilter(needs_answer=True))
    if kind in (QueueKind.PROMOTE, QueueKind.PROTECT):
        value = TagValue.PROMOTE if kind is QueueKind.PROMOTE else TagValue.PROTECT
        return ListFilter(tag=(team, value))  # a judgement, wherever the conversation is worked
    if kind is QueueKind.SNOOZED:
        return base.narrowed(ListFilter(statuses=(ConversationStatus.SNOOZED.value,)))
    return base.narrowed(ListFilter(statuses=(ConversationStatus.CLOSED.value,)))


def plan_for(flt: ListFilter, conn: Conn | None = None) -> str:
    """``walk``, ``conversations`` or ``tags``: which table drives the pages (module docstring).

    With a connection, a filter on conversation status or team alone is weighed by counting the
    conversations it matches (one index scan, worth doing once per list, not per page): when they
    are under :data:`FEW_CONVERSATIONS` of all, walking items would read most of the table to
    fill a page.
    """
    if flt.tag is not None and flt == ListFilter(tag=flt.tag):
        return "tags"
    if flt.assignee_id is not None or (flt.statuses and set(flt.statuses) <= {ConversationStatus.SNOOZED.value}):
        return "conversations"
    if conn is not None and (flt.statuses or flt.team) and not (flt.needs_answer or flt.unassigned):
        c = _conn(conn)
        params: list[Any] = []
        where = " AND ".join(_conversation_clauses(flt, params))
        matching = c.execute(f"SELECT count(*) FROM conversations c WHERE {where}", params).fetchone()[0]
        total = c.execute("SELECT max(id) FROM conversations").fetchone()[0] or 0
        if matching < total * FEW_CONVERSATIONS:
            return "conversations"
    return "walk"


FEW_CONVERSATIONS = 0.05


def _needs_conversation(flt: ListFilter) -> bool:
    return bool(flt.team or flt.statuses or flt.assignee_id is not None or flt.unassigned or flt.needs_answer)


def _item_clauses(flt: ListFilter, params: list[Any]) -> list[str]:
    clauses: list[str] = []
    if flt.account_ids:
        # "+" keeps the planner walking items by id (see queries._where).
        clauses.append(f"+i.account_id IN ({_marks(flt.account_ids)})")
        params.extend(flt.account_ids)
    if flt.channels:
        clauses.append(f"+i.account_id IN (SELECT id FROM accounts WHERE channel IN ({_marks(flt.channels)}))")
        params.extend(flt.channels)
    if flt.kinds:
        clauses.append(f"i.kind IN ({_marks(flt.kinds)})")
        params.extend(flt.kinds)
    if flt.needs_answer:
        clauses.append("i.direction = 'in'")
    if flt.unread:
        clauses.append("i.is_read = 0")
    if flt.tag is not None:
        team, value = flt.tag
        if team is None:
            clauses.append("EXISTS (SELECT 1 FROM tags t WHERE t.item_id = i.id AND t.value = ?)")
            params.append(value.value)
        else:
            clauses.append("EXISTS (SELECT 1 FROM tags t WHERE t.item_id = i.id AND t.team = ? AND t.value = ?)")
            params.extend((team.value, value.value))
    return clauses


def _conversation_clauses(flt: ListFilter, params: list[Any]) -> list[str]:
    clauses: list[str] = []
    if flt.team is not None:
        clauses.append("c.team = ?")
        params.append(flt.team.value)
    if flt.statuses:
        clauses.append(f"c.status IN ({_marks(flt.statuses)})")
        params.extend(flt.statuses)
    if flt.assignee_id is not None:
        clauses.append("c.assignee_id = ?")
        params.append(flt.assignee_id)
    if flt.unassigned:
        clauses.append("c.assignee_id IS NULL")
    if flt.needs_answer:
        clauses.append(
            "c.status IN ('open', 'pending') AND c.last_inbound_at IS NOT NULL AND c.last_inbound_at >= c.last_item_at"
        )
    return clauses


def _tag_page_sql(flt: ListFilter, before_id: int | None, limit: int, params: list[Any]) -> str:
    assert flt.tag is not None
    team, value = flt.tag
    teams = [team] if team is not None else list(Team)
    parts = []
    for t in teams:
        bound = " AND item_id < ?" if before_id is not None else ""
        parts.append(
            "SELECT item_id FROM (SELECT item_id FROM tags WHERE team = ? AND value = ?"
            f"{bound} ORDER BY item_id DESC LIMIT ?)"
        )
        params.extend((t.value, value.value))
        if before_id is not None:
            params.append(before_id)
        params.append(limit)
    params.append(limit)
    return f"{' UNION '.join(parts)} ORDER BY 1 DESC LIMIT ?"


def _page_sql(
    flt: ListFilter, before_id: int | None, after_id: int | None, limit: int, params: list[Any], plan: str | None
) -> str:
    plan = plan or plan_for(flt)
    if plan == "tags" and after_id is None:
        return _tag_page_sql(flt, before_id, limit, params)
    joined = _needs_conversation(flt)
    if plan == "conversations":
        source = "conversations c CROSS JOIN items i ON i.conversation_id = c.id"
        conv = _conversation_clauses(flt, params)
        clauses = conv + _item_clauses(flt, params)
    else:
        source = "items i CROSS JOIN conversations c ON c.id = i.conversation_id" if joined else "items i"
        clauses = _item_clauses(flt, params)
        if joined:
            clauses += _conversation_clauses(flt, params)
    if before_id is not None:
        clauses.append("i.id < ?")
        params.append(before_id)
    if after_id is not None:
        clauses.append("i.id > ?")
        params.append(after_id)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    params.append(limit)
    return f"SELECT i.id FROM {source}{where} ORDER BY i.id DESC LIMIT ?"


def page_ids(
    conn: Conn,
    flt: ListFilter = ListFilter(),
    *,
    before_id: int | None = None,
    after_id: int | None = None,
    limit: int = DEFAULT_PAGE,
    plan: str | None = None,
) -> list[int]:
    """Ids of the next ``limit`` items matching ``flt``, newest first, older than ``before_id``
    and newer than ``after_id`` (each when given). ``plan``: one :func:`plan_for` chose with a
    connection (the default is its choice without one)."""
    params: list[Any] = []
    sql = _page_sql(flt, before_id, after_id, limit, params, plan)
    return [r[0] for r in _conn(conn).execute(sql, params)]


def query_plan(conn: Conn, flt: ListFilter, *, before_id: int | None = 1 << 62, plan: str | None = None) -> list[str]:
    """SQLite's plan for a page of ``flt`` (for tests and benchmarks: which indexes are used)."""
    params: list[Any] = []
    sql = _page_sql(flt, before_id, None, DEFAULT_PAGE, params, plan)
    return [row[3] for row in _conn(conn).execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def matching_ids(conn: Conn, flt: ListFilter, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` match ``flt`` (to place items written elsewhere into an open list)."""
    c = _conn(conn)
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        params: list[Any] = []
        clauses = _item_clauses(flt, params)
        source = "items i"
        if _needs_conversation(flt):
            source = "items i JOIN conversations c ON c.id = i.conversation_id"
            clauses += _conversation_clauses(flt, params)
        clauses.append(f"i.id IN ({_marks(chunk)})")
        params.extend(chunk)
        found.update(r[0] for r in c.execute(f"SELECT i.id FROM {source} WHERE {' AND '.join(clauses)}", params))
    return found


def search_ids(
    conn: Conn,
    query: str,
    flt: ListFilter = ListFilter(),
    *,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> list[int]:
    """Full-text matches of ``query`` (see :func:`queries.to_fts_query`) within ``flt``, newest
    first. Raises :class:`queries.BadQuery` for an empty query."""
    params: list[Any] = [queries.to_fts_query(query)]
    clauses = ["items_fts MATCH ?"]
    if before_id is not None:
        clauses.append("items_fts.rowid < ?")
        params.append(before_id)
    if flt.is_empty():
        sql = f"SELECT rowid FROM items_fts WHERE {' AND '.join(clauses)} ORDER BY rowid DESC LIMIT ?"
    else:
        source = "items_fts JOIN items i ON i.id = items_fts.rowid"
        clauses += _item_clauses(flt, params)
        if _needs_conversation(flt):
            source += " JOIN conversations c ON c.id = i.conversation_id"
            clauses += _conversation_clauses(flt, params)
        sql = f"SELECT i.id FROM {source} WHERE {' AND '.join(clauses)} ORDER BY items_fts.rowid DESC LIMIT ?"
    params.append(limit)
    try:
        return [r[0] for r in _conn(conn).execute(sql, params)]
    except sqlite3.OperationalError as exc:  # defensive: to_fts_query should prevent this
        raise queries.BadQuery(f"cannot search for {query!r}: {exc}") from exc


# ---------------------------------------------------------------------------------- list rows

# Characters that reorder or hide text (bidirectional overrides, zero-width marks): a message
# must not be able to disguise itself or its neighbours in a one-line excerpt.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
EXCERPT_CHARS = 240


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One line of plain text: whitespace collapsed, invisible and reordering characters dropped."""
    line = _SPACE.sub(" ", _INVISIBLE.sub("", text[: limit * 4])).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    """A conversation as the list and the conversation pane show it. Times in ms since the epoch."""

    id: int
    account_id: int
    account_key: str
    account_name: str
    channel: str
    is_leader_account: bool
    external_id: str
    kind: str
    subject: str
    status: str
    priority: int
    team: str
    assignee_id: int | None
    assignee: str
    snoozed_until: int | None
    sla_due_at: int | None
    first_item_at: int
    last_item_at: int
    last_inbound_at: int | None

    @property
    def needs_answer(self) -> bool:
        return (
            self.status in OPEN_STATUSES
            and self.last_inbound_at is not None
            and self.last_inbound_at >= self.last_item_at
        )


_FACTS_SQL = (
    "SELECT c.id, c.account_id, a.key, a.name, a.channel, a.owner_kind = 'leader', c.external_id, c.kind,"
    " c.subject, c.status, c.priority, c.team, c.assignee_id, coalesce(u.name, ''), c.snoozed_until,"
    " c.sla_due_at, c.first_item_at, c.last_item_at, c.last_inbound_at"
    " FROM conversations c JOIN accounts a ON a.id = c.account_id LEFT JOIN users u ON u.id = c.assignee_id"
)


def _facts(r: Sequence[Any]) -> ConversationFacts:
    return ConversationFacts(r[0], r[1], r[2], r[3], r[4], bool(r[5]), *r[6:])


def conversation_facts(conn: Conn, conversation_ids: Iterable[int]) -> dict[int, ConversationFacts]:
    ids = list(dict.fromkeys(conversation_ids))
    c = _conn(conn)
    found: dict[int, ConversationFacts] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for r in c.execute(f"{_FACTS_SQL} WHERE c.id IN ({_marks(chunk)})", chunk):
            found[r[0]] = _facts(r)
    return found


def conversation(conn: Conn, conversation_id: int) -> ConversationFacts | None:
    return conversation_facts(conn, [conversation_id]).get(conversation_id)


@dataclass(frozen=True, slots=True)
class ListRow:
    """One line of the item list: everything its delegate paints, and nothing large (the text is
    an excerpt), so thousands can be cached. Times in ms since the epoch."""

    id: int
    conversation_id: int
    account_id: int
    account_name: str
    is_leader_account: bool
    channel: str
    kind: str
    direction: str
    author: str
    handle: str
    followers: int | None
    is_kol: bool
    excerpt: str
    created_at: int
    is_read: bool
    status: str
    assignee: str
    priority: int
    team: str
    sla_due_at: int | None
    needs_answer: bool
    tags: dict[str, str] = field(default_factory=dict)  # team -> promote|protect


_LIST_ROW_SQL = """
SELECT i.id, i.conversation_id, i.account_id, coalesce(nullif(a.name, ''), a.key), a.owner_kind = 'leader',
       a.channel, i.kind, i.direction, i.author_name, i.author_handle, ct.followers, coalesce(ct.is_kol, 0),
       i.subject, substr(i.text, 1, ? + length(coalesce(i.subject, ''))), i.created_at, i.is_read, c.status,
       coalesce(u.name, ''), c.priority, c.team, c.sla_due_at, c.last_inbound_at, c.last_item_at,
       (SELECT group_concat(t.team || '=' || t.value) FROM tags t WHERE t.item_id = i.id)
FROM items i
JOIN accounts a ON a.id = i.account_id
JOIN conversations c ON c.id = i.conversation_id
LEFT JOIN contacts ct ON ct.id = i.contact_id
LEFT JOIN users u ON u.id = c.assignee_id
"""
# the text read per row: what an excerpt can show, after the subject check (list_rows)
_LIST_TEXT_CHARS = EXCERPT_CHARS * 4 + 16


def list_rows(conn: Conn, ids: Sequence[int]) -> list[ListRow]:
    """Rows for ``ids`` in the order given (ids of items that no longer exist are left out).

    One query per 500 ids reading only what a row shows (the text cut to what its excerpt can
    use, times as stored), built into rows directly: this runs on a reader thread while the GUI
    thread paints, and every Python step here holds the interpreter lock the painting needs."""
    c = _conn(conn)
    found: dict[int, ListRow] = {}
    open_statuses = OPEN_STATUSES
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        sql = f"{_LIST_ROW_SQL} WHERE i.id IN ({_marks(chunk)})"
        cursor = c.execute(sql, (_LIST_TEXT_CHARS, *chunk))
        for (item_id, conversation_id, account_id, account_name, leader, channel, kind, direction, author_name,
             author_handle, followers, is_kol, subject, text, created_at, is_read, status, assignee, priority,
             team, sla_due_at, last_inbound_at, last_item_at, tags) in cursor:  # fmt: skip
            text = text or ""
            if subject and subject not in text[: len(subject) + 8]:
                text = f"{subject} — {text}"
            found[item_id] = ListRow(
                item_id,
                conversation_id,
                account_id,
                account_name,
                bool(leader),
                channel,
                kind,
                direction,
                author_name or author_handle,
                author_handle,
                followers,
                bool(is_kol),
                excerpt(text),
                created_at,
                bool(is_read),
                status,
                assignee,
                priority,
                team,
                sla_due_at,
                status in open_statuses and last_inbound_at is not None and last_inbound_at >= last_item_at,
                dict(pair.split("=", 1) for pair in tags.split(",")) if tags else {},
            )
    return [found[i] for i in ids if i in found]


def conversation_ids_for(conn: Conn, item_ids: Iterable[int]) -> list[int]:
    """The conversations of ``item_ids``, each once, in the order first met."""
    ids = list(item_ids)
    c = _conn(conn)
    by_item: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        by_item.update(c.execute(f"SELECT id, conversation_id FROM items WHERE id IN ({_marks(chunk)})", chunk))
    return list(dict.fromkeys(by_item[i] for i in ids if i in by_item))


def tags_of(conn: Conn, item_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Each item's tags (team -> value); items without tags are absent."""
    c = _conn(conn)
    out: dict[int, dict[str, str]] = {}
    for start in range(0, len(item_ids), _CHUNK):
        chunk = list(item_ids[start : start + _CHUNK])
        for item_id, team, value in c.execute(
            f"SELECT item_id, team, value FROM tags WHERE item_id IN ({_marks(chunk)})", chunk
        ):
            out.setdefault(item_id, {})[team] = value
    return out


# ---------------------------------------------------------------------------------- conversation pane


def thread(conn: Conn, conversation_id: int) -> list[queries.ItemRow]:
    """Every item of a conversation, oldest first (:func:`queries.thread`)."""
    return queries.thread(conn, conversation_id)


@dataclass(frozen=True, slots=True)
class AuthorCard:
    contact_id: int
    channel: str
    name: str
    handle: str
    email: str
    url: str
    followers: int | None
    verified: bool
    is_kol: bool
    channels: tuple[str, ...]  # every channel the person is known on (linked identities)
    earlier: list[queries.ItemRow]  # their items before this one, any channel, newest first


def author_card(conn: Conn, item_id: int, *, earlier: int = 20) -> AuthorCard | None:
    """Who wrote ``item_id``: profile, and their earlier items on every channel their identities
    are linked on. ``None`` for an item without a known author (our own replies, some imports)."""
    c = _conn(conn)
    row = c.execute(
        "SELECT ct.id, ct.channel, ct.name, ct.handle, ct.email, ct.url, ct.followers, ct.verified, ct.is_kol,"
        " ct.person_id FROM items i JOIN contacts ct ON ct.id = i.contact_id WHERE i.id = ?",
        (item_id,),
    ).fetchone()
    if row is None:
        return None
    contact_id, person_id = row[0], row[9]
    identities = [(contact_id, row[1])]
    if person_id is not None:
        identities = list(c.execute("SELECT id, channel FROM contacts WHERE person_id = ? ORDER BY id", (person_id,)))
    contact_ids = [i for i, _ in identities]
    ids = [
        r[0]
        for r in c.execute(
            f"SELECT id FROM items WHERE contact_id IN ({_marks(contact_ids)}) AND id < ? ORDER BY id DESC LIMIT ?",
            (*contact_ids, item_id, earlier),
        )
    ]
    return AuthorCard(
        contact_id=contact_id,
        channel=row[1],
        name=row[2],
        handle=row[3],
        email=row[4],
        url=row[5],
        followers=row[6],
        verified=bool(row[7]),
        is_kol=bool(row[8]),
        channels=tuple(dict.fromkeys(ch for _, ch in identities)),
        earlier=queries.rows(c, ids),
    )


@dataclass(frozen=True, slots=True)
class NoteRow:
    id: int
    author: str
    body: str
    created_at: datetime


def notes(conn: Conn, conversation_id: int) -> list[NoteRow]:
    """A conversation's internal notes, oldest first."""
    return [
        NoteRow(r[0], r[1], r[2], from_millis(r[3]))  # type: ignore[arg-type]
        for r in _conn(conn).execute(
            "SELECT n.id, coalesce(u.name, ''), n.body, n.created_at FROM notes n"
            " LEFT JOIN users u ON u.id = n.author_id WHERE n.conversation_id = ? ORDER BY n.id",
            (conversation_id,),
        )
    ]


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    user: str
    action: str
    target: str
    detail: dict[str, Any]


def conversation_audit(conn: Conn, conversation_id: int, *, limit: int = 500) -> list[AuditRow]:
    """The audit trail of a conversation, its items and its replies, oldest first (the newest
    ``limit`` events)."""
    c = _conn(conn)
    targets = [f"conversation:{conversation_id}"]
    targets += [f"item:{r[0]}" for r in c.execute("SELECT id FROM items WHERE conversation_id = ?", (conversation_id,))]
    targets += [
        f"outbox:{r[0]}" for r in c.execute("SELECT id FROM outbox WHERE conversation_id = ?", (conversation_id,))
    ]
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(targets), _CHUNK):
        chunk = targets[start : start + _CHUNK]
        found.extend(
            c.execute(
                "SELECT e.id, e.at, coalesce(u.name, ''), e.action, e.target, e.detail FROM audit_events e"
                f" LEFT JOIN users u ON u.id = e.user_id WHERE e.target IN ({_marks(chunk)})",
                chunk,
            )
        )
    found.sort(key=lambda r: r[0])
    return [
        AuditRow(r[0], from_millis(r[1]), r[2], r[3], r[4], json.loads(r[5]))  # type: ignore[arg-type]
        for r in found[-limit:]
    ]


def conversation_outbox(conn: Conn, conversation_id: int) -> list[OutboxEntry]:
    """Replies to a conversation in the outbox, oldest first, in every state."""
    sql = f"SELECT {_outbox._COLUMNS} FROM outbox WHERE conversation_id = ? ORDER BY id"
    return [_outbox._entry(r) for r in _conn(conn).execute(sql, (conversation_id,))]


def outbox_entry(conn: Conn, outbox_id: int) -> OutboxEntry | None:
    r = _conn(conn).execute(f"SELECT {_outbox._COLUMNS} FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    return None if r is None else _outbox._entry(r)


def canned_responses(conn: Conn, team: Team | None = None) -> list[CannedResponse]:
    """Canned responses for ``team`` (and those for both teams), by title."""
    sql = "SELECT id, title, body, team, language FROM canned_responses"
    params: list[Any] = []
    if team is not None:
        sql += " WHERE team IS NULL OR team = ?"
        params.append(team.value)
    return [
        CannedResponse(r[0], r[1], r[2], Team(r[3]) if r[3] else None, r[4])
        for r in _conn(conn).execute(sql + " ORDER BY title COLLATE NOCASE, id", params)
    ]


# ---------------------------------------------------------------------------------- people and accounts


def users(conn: Conn) -> list[User]:
    return [
        User(r[0], r[1], r[2], Role(r[3]), Team(r[4]) if r[4] else None)
        for r in _conn(conn).execute("SELECT id, login, name, role, team FROM users ORDER BY name COLLATE NOCASE, id")
    ]


def open_assignments(conn: Conn) -> dict[int, int]:
    """Open or pending conversations per assignee (for choosing whom to hand work to)."""
    sql = (
        "SELECT assignee_id, count(*) FROM conversations WHERE assignee_id IS NOT NULL"
        " AND status IN ('open', 'pending') GROUP BY assignee_id"
    )
    return {r[0]: r[1] for r in _conn(conn).execute(sql)}


def accounts(conn: Conn) -> list[Account]:
    sql = f"SELECT {_accounts._ACCOUNT_COLUMNS} FROM accounts ORDER BY owner_kind, name COLLATE NOCASE, key"
    return [_accounts._account(r) for r in _conn(conn).execute(sql)]


@dataclass(frozen=True, slots=True)
class AccountStatus:
    account_id: int
    key: str
    name: str
    channel: str
    is_leader: bool
    enabled: bool
    last_sync_at: datetime | None  # when a stream's cursor last moved
    problems: int  # recorded problems since the last sync (all of them when it never synced)
    last_problem: str
    last_problem_at: datetime | None

    @property
    def failing(self) -> bool:
        return self.last_problem_at is not None and (
            self.last_sync_at is None or self.last_problem_at > self.last_sync_at
        )


def account_status(conn: Conn) -> list[AccountStatus]:
    """Per account: when it last synced and what went wrong since (for the status bar)."""
    c = _conn(conn)
    out: list[AccountStatus] = []
    sql = (
        "SELECT a.id, a.key, a.name, a.channel, a.owner_kind = 'leader', a.enabled,"
        " (SELECT max(updated_at) FROM sync_cursors s WHERE s.account_id = a.id)"
        " FROM accounts a ORDER BY a.owner_kind, a.name COLLATE NOCASE, a.key"
    )
    for account_id, key, name, channel, leader, enabled, synced in c.execute(sql).fetchall():
        count, last_at = c.execute(
            "SELECT count(*), max(at) FROM sync_problems WHERE account_id = ? AND at >= ?", (account_id, synced or 0)
        ).fetchone()
        reason = ""
        if last_at is not None:
            reason = c.execute(
                "SELECT reason FROM sync_problems WHERE account_id = ? ORDER BY id DESC LIMIT 1", (account_id,)
            ).fetchone()[0]
        out.append(
            AccountStatus(
                account_id,
                key,
                name,
                channel,
                bool(leader),
                bool(enabled),
                from_millis(synced),
                count,
                reason,
                from_millis(last_at),
            )
        )
    return out


def outbox_counts(conn: Conn) -> dict[str, int]:
    """Outbox entries per state (``{"queued": 2, "failed": 1}``)."""
    return dict(_conn(conn).execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())


# ---------------------------------------------------------------------------------- side bar counts


@dataclass(frozen=True, slots=True)
class SidebarCounts:
    """What the side bar shows beside each queue. Conversation queues count conversations; the
    Promote/Protect queues count tagged items; ``items`` is every item."""

    items: int
    queues: dict[str, int]  # QueueKind value -> count
    teams: dict[str, int]  # team -> its open or pending conversations


def sidebar_counts(conn: Conn, user_id: int | None) -> SidebarCounts:
    c = _conn(conn)
    queues: dict[str, int] = {}
    queues[QueueKind.MINE.value] = c.execute(
        "SELECT count(*) FROM conversations WHERE assignee_id = ? AND status IN ('open', 'pending')",
        (-1 if user_id is None else user_id,),
    ).fetchone()[0]
    teams: dict[str, int] = {t.value: 0 for t in Team}
    unassigned = needs_answer = 0
    for team, status, count, free, waiting in c.execute(
        "SELECT team, status, count(*), sum(assignee_id IS NULL),"
        " sum(last_inbound_at IS NOT NULL AND last_inbound_at >= last_item_at)"
        " FROM conversations GROUP BY team, status"
    ):
        queues[status] = queues.get(status, 0) + count
        if status in OPEN_STATUSES:
            teams[team] = teams.get(team, 0) + count
            unassigned += free or 0
            needs_answer += waiting or 0
    queues[QueueKind.UNASSIGNED.value] = unassigned
    queues[QueueKind.NEEDS_ANSWER.value] = needs_answer
    for value, count in c.execute(
        "SELECT value, count(DISTINCT item_id) FROM tags GROUP BY value"
    ):  # distinct: both teams may agree
        queues[value] = count
    for key in (QueueKind.PROMOTE.value, QueueKind.PROTECT.value, QueueKind.SNOOZED.value, QueueKind.CLOSED.value):
        queues.setdefault(key, 0)
    items = c.execute("SELECT count(*) FROM items").fetchone()[0]
    queues[QueueKind.ALL.value] = items
    return SidebarCounts(items=items, queues=queues, teams=teams)
