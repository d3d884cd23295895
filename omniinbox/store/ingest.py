"""Writing a page of normalized records, with its cursor, in one transaction.

Replaying a page changes nothing: every upsert carries a ``WHERE`` that skips rows whose values
are already stored, so neither the row nor its sequence number moves.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omniinbox.core import (
    Account,
    Author,
    ConversationInfo,
    Direction,
    Item,
    ItemKind,
    Page,
    SyncProblem,
    Visibility,
    to_millis,
)
from omniinbox.store.cache import Cache, WriteTx
from omniinbox.store.compact import MIN_PREFIX, Packer, PayloadCodec, PayloadError

# Item ids are time-ordered: the creation time in milliseconds, shifted left by ID_HASH_BITS,
# plus bits of a hash of (account, external id). "ORDER BY id DESC" is then "newest first"
# for lists and full-text matches alike. Good until the year 2248.
ID_HASH_BITS = 20
_ID_HASH_MASK = (1 << ID_HASH_BITS) - 1
_MAX_MILLIS = (1 << (63 - ID_HASH_BITS)) - 1
_INBOUND = Direction.INBOUND  # looked up once: member access on an enum class is slow
# Enum members as plain text: sqlite3 binds a str subclass through its adapter lookup, three
# times slower than a str (measured: 0.32 us per value, 1 us per item).
_TEXT: dict[object, str] = {m: m.value for e in (ItemKind, Direction, Visibility) for m in e}
_CHUNK = 500  # bound parameters per IN (...) lookup


def item_id_for(created_ms: int, account_id: int, external_id: str) -> int:
    return item_ids_for(account_id, [(created_ms, external_id)])[0]


def item_ids_for(account_id: int, keys: Iterable[tuple[int, str]]) -> list[int]:
    """The ids of many items of one account, from ``(created_ms, external_id)`` pairs."""
    crc32, head = zlib.crc32, f"{account_id}\x1f"
    return [
        ((ms if 0 <= ms <= _MAX_MILLIS else min(max(ms, 0), _MAX_MILLIS)) << ID_HASH_BITS)
        | (crc32((head + ext).encode()) & _ID_HASH_MASK)
        for ms, ext in keys
    ]


def id_floor_for(created_ms: int) -> int:
    """The smallest item id an item created at ``created_ms`` can have (for keyset bounds)."""
    return max(created_ms, 0) << ID_HASH_BITS


@dataclass(frozen=True, slots=True)
class PageResult:
    items_written: int  # new or changed
    items_unchanged: int
    problems: int
    seq: int


_ITEM_UPDATED = (
    "conversation_id", "parent_external_id", "kind", "direction", "visibility", "contact_id",
    "author_name", "author_handle", "subject", "text", "permalink_prefix", "permalink", "created_at",
    "edited_at", "deleted_at", "likes", "replies", "shares", "views", "payload",
)  # fmt: skip
_ITEM_COLUMNS = ("id", "account_id", "external_id", *_ITEM_UPDATED, "seq")
_ITEM_VALUES = f"({', '.join(_ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(_ITEM_COLUMNS))})"
_INSERT_ITEM = f"INSERT INTO items {_ITEM_VALUES}"
# Parameters: the updated values, then seq, then id; a row whose values are all stored is skipped.
_UPDATE_ITEM = (
    "UPDATE items SET "
    + ", ".join(f"{c} = ?{n}" for n, c in enumerate(_ITEM_UPDATED, 1))
    + f", seq = ?{len(_ITEM_UPDATED) + 1} WHERE id = ?{len(_ITEM_UPDATED) + 2} AND ("
    + " OR ".join(f"{c} IS NOT ?{n}" for n, c in enumerate(_ITEM_UPDATED, 1))
    + ")"
)
_INDEX_NEW_ITEMS = (
    "INSERT INTO items_fts (rowid, subject, text, author_name, author_handle)"
    " SELECT id, subject, text, author_name, author_handle FROM items WHERE seq BETWEEN ? AND ?"
)
# A profile is taken from the newest item that carries it (``observed_at``): a page of older items,
# or the replay of one, never rolls a name or a follower count back.
_UPSERT_CONTACT = (
    "INSERT INTO contacts (channel, external_id, name, handle, email, url, followers, verified, observed_at, seq)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (channel, external_id) DO UPDATE SET"
    " name = excluded.name, handle = excluded.handle, email = excluded.email, url = excluded.url,"
    " followers = coalesce(excluded.followers, contacts.followers), verified = excluded.verified,"
    " observed_at = excluded.observed_at, seq = excluded.seq"
    " WHERE excluded.observed_at >= coalesce(contacts.observed_at, 0) AND ("
    " contacts.name IS NOT excluded.name OR contacts.handle IS NOT excluded.handle"
    " OR contacts.email IS NOT excluded.email OR contacts.url IS NOT excluded.url"
    " OR (excluded.followers IS NOT NULL AND contacts.followers IS NOT excluded.followers)"
    " OR contacts.verified IS NOT excluded.verified)"
)
_CONVERSATION_IDS = "SELECT external_id, id FROM conversations WHERE account_id = ? AND external_id IN ({marks})"
# Parameters of both statements, by number: 1 account_id, 2 external_id, 3 kind, 4 subject,
# 5 fallback subject, 6 status, 7 priority, 8 team, 9 first, 10 last, 11 inbound, 12 seq, 13 id.
_INSERT_CONVERSATION = (
    "INSERT INTO conversations (account_id, external_id, kind, subject, status, priority, team,"
    " first_item_at, last_item_at, last_inbound_at, seq)"
    " VALUES (?1, ?2, ?3, CASE WHEN ?4 != '' THEN ?4 ELSE ?5 END, coalesce(?6, 'open'),"
    " coalesce(?7, 1), ?8, ?9, ?10, ?11, ?12)"
)
# Widen the known time span, adopt a subject, status or priority the platform reports; a
# conversation the page tells nothing new about is not touched.
_UPDATE_CONVERSATION = (
    "UPDATE conversations SET"
    " subject = CASE WHEN ?4 != '' THEN ?4 WHEN subject = '' THEN ?5 ELSE subject END,"
    " status = coalesce(?6, status),"
    " priority = coalesce(?7, priority),"
    " first_item_at = min(first_item_at, ?9),"
    " last_item_at = max(last_item_at, ?10),"
    " last_inbound_at = max(coalesce(last_inbound_at, ?11), coalesce(?11, last_inbound_at)),"
    " seq = ?12"
    " WHERE id = ?13 AND ("
    "   (?4 != '' AND subject IS NOT ?4)"
    "   OR (subject = '' AND ?5 != '')"
    "   OR (?6 IS NOT NULL AND status IS NOT ?6)"
    "   OR (?7 IS NOT NULL AND priority IS NOT ?7)"
    "   OR ?9 < first_item_at OR ?10 > last_item_at"
    "   OR (?11 IS NOT NULL AND (last_inbound_at IS NULL OR ?11 > last_inbound_at)))"
)


def _chunks(seq: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _lookup_ids(conn: sqlite3.Connection, sql: str, key: object, external_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(external_ids):
        found.update(conn.execute(sql.format(marks=",".join("?" * len(chunk))), (key, *chunk)))
    return found


def _upsert_contacts(tx: WriteTx, channel: str, authors: dict[str, tuple[Author, int]]) -> dict[str, int]:
    if not authors:
        return {}
    seq = tx.next_seq(len(authors))
    rows = [
        (channel, a.external_id, a.name, a.handle, a.email, a.url, a.followers, int(a.verified), ms, seq + i)
        for i, (a, ms) in enumerate(authors.values())
    ]
    cur = tx.conn.executemany(_UPSERT_CONTACT, rows)
    tx.summary["contacts"] += max(cur.rowcount, 0)
    return _lookup_ids(
        tx.conn,
        "SELECT external_id, id FROM contacts WHERE channel = ? AND external_id IN ({marks})",
        channel,
        list(authors),
    )


@dataclass(slots=True)
class _Span:
    """What a page says about one conversation: its kind, subject and time span."""

    kind: str
    subject: str  # from the thread's first message; it names the conversation
    fallback: str  # from any message, for a conversation that has no name yet
    first: int
    last: int
    inbound: int | None

    def add(self, ms: int, inbound: bool) -> None:
        self.first = min(self.first, ms)
        self.last = max(self.last, ms)
        if inbound:
            self.inbound = ms if self.inbound is None else max(self.inbound, ms)

    def __reduce__(self) -> tuple[type[_Span], tuple[str, str, str, int, int, int | None]]:
        # Staged pages cross to the writer pickled: by the constructor this is a quarter of
        # the default's work (thousands of spans a page).
        return _Span, (self.kind, self.subject, self.fallback, self.first, self.last, self.inbound)


def _spans(items: Sequence[Item], millis: Sequence[int]) -> dict[str, _Span]:
    spans: dict[str, _Span] = {}
    for item, ms in zip(items, millis, strict=True):
        inbound = item.direction is _INBOUND
        span = spans.get(item.conversation_id)
        if span is None:
            span = spans[item.conversation_id] = _Span(
                _TEXT[item.kind], "", item.subject, ms, ms, ms if inbound else None
            )
        else:
            span.add(ms, inbound)
        if item.subject and item.external_id == item.conversation_id:
            span.subject = item.subject
    return spans


def _upsert_conversations(
    tx: WriteTx, account: Account, prepared_spans: dict[str, _Span], infos: Sequence[ConversationInfo]
) -> dict[str, int]:
    spans = dict(prepared_spans)
    info_by_id = {info.external_id: info for info in infos}
    for ext, info in info_by_id.items():
        spans.setdefault(ext, _Span(info.kind.value, info.subject, "", tx.now_ms, tx.now_ms, None))
    if not spans:
        return {}
    ids = _lookup_ids(tx.conn, _CONVERSATION_IDS, account.id, list(spans))
    seq = tx.next_seq(len(spans))
    team = account.channel.group
    new_rows: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    for i, (ext, span) in enumerate(spans.items()):
        known = info_by_id.get(ext)
        subject, status, priority = span.subject, None, None
        if known is not None:
            subject = known.subject or subject
            status = known.status.value if known.status else None
            priority = int(known.priority) if known.priority is not None else None
        row = (account.id, ext, span.kind, subject, span.fallback, status, priority, team,
               span.first, span.last, span.inbound, seq + i)  # fmt: skip
        row_id = ids.get(ext)
        if row_id is None:
            new_rows.append(row)
        else:
            updates.append((*row, row_id))
    if new_rows:
        tx.conn.executemany(_INSERT_CONVERSATION, new_rows)
        ids.update(_lookup_ids(tx.conn, _CONVERSATION_IDS, account.id, [str(r[1]) for r in new_rows]))
    changed = max(tx.conn.executemany(_UPDATE_CONVERSATION, updates).rowcount, 0) if updates else 0
    tx.summary["conversations"] += len(new_rows) + changed
    return ids


def _insert_items_one_by_one(tx: WriteTx, rows: list[list[object]]) -> None:
    """The slow path, taken when a new item's time-ordered id collides with another item's:
    probe upward for a free id (and write it back into ``rows``). Rare; correct, not fast."""
    for row in rows:
        item_id = int(row[0])  # type: ignore[call-overload]
        while tx.conn.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone():
            item_id += 1
        row[0] = item_id
        tx.conn.execute(_INSERT_ITEM, row)


@dataclass(slots=True)
class PreparedPage:
    """What can be worked out from a page without the database, ahead of its transaction
    (the sync engine does it on the thread that fetched the page)."""

    page: Page  # its items are not needed past preparing (a staged page carries none)
    read: int  # items the page held, repeats included
    authors: dict[str, tuple[Author, int]]  # the newest profile of each author, and when it was seen
    spans: dict[str, _Span]
    prefixes: set[str]
    # Per item, the values of _INSERT_ITEM; what needs the database (id unless account_id was
    # given, account, conversation, contact, prefix, payload, seq) is filled in by write_page.
    rows: list[list[Any]]
    payloads: list[tuple[bytes, int] | None]  # per item: PayloadCodec.prepare(), None when it has none
    account_id: int | None = None  # the account the ids in rows[...][0] were made for
    # A staged page (see stage_page) keeps its rows in this file instead of ``rows``, and with
    # ``packed`` their payloads packed in them instead of in ``payloads``.
    stage: str | None = None
    staged: int = 0  # rows in the staging file
    packed: bool = False
    staged_spans: int = 0  # spans in the staging file (then ``spans`` is empty)


# Positions in an _INSERT_ITEM row.
_ID, _ACCOUNT, _EXTERNAL, _CONVERSATION, _CONTACT, _PREFIX, _CREATED, _PAYLOAD, _SEQ = 0, 1, 2, 3, 8, 13, 15, 22, 23


def prepare_page(page: Page, account_id: int | None = None) -> PreparedPage:
    """Everything of :func:`write_page` that needs no database; safe on any thread. With
    ``account_id`` the new items' ids are worked out too."""
    items = _last_of_each(page.items)
    millis = [to_millis(item.created_at) or 0 for item in page.items]
    spans = _spans(page.items, millis)
    authors: dict[str, tuple[Author, int]] = {}
    for item, ms in zip(page.items, millis, strict=True):
        author = item.author
        if author is not None and author.external_id:
            seen = authors.get(author.external_id)
            if seen is None or ms >= seen[1]:
                authors[author.external_id] = (author, ms)
    if len(items) != len(page.items):
        millis = [to_millis(item.created_at) or 0 for item in items]
    text_of = _TEXT
    rows: list[list[Any]] = []
    prefixes: set[str] = set()
    for item, ms in zip(items, millis, strict=True):
        author, eng, parent, url = item.author, item.engagement, item.parent_id, item.permalink
        cut = url.rfind("/") + 1  # the prefix (a url_prefixes row) and the tail; see compact.MIN_PREFIX
        if cut < MIN_PREFIX:
            prefix, tail = None, url
        else:
            prefix, tail = url[:cut], url[cut:]
            prefixes.add(prefix)
        edited, deleted = item.edited_at, item.deleted_at
        rows.append([
            None, None, item.external_id, item.conversation_id,
            "" if parent is not None and parent == item.conversation_id else parent,
            text_of[item.kind], text_of[item.direction], text_of[item.visibility],
            author.external_id if author else None, author.name if author else "", author.handle if author else "",
            item.subject, item.text, prefix, tail, ms,
            None if edited is None else to_millis(edited), None if deleted is None else to_millis(deleted),
            eng.likes, eng.replies, eng.shares, eng.views, None, None,
        ])  # fmt: skip
    if account_id is not None:
        for row, item_id in zip(
            rows, item_ids_for(account_id, [(r[_CREATED], r[_EXTERNAL]) for r in rows]), strict=True
        ):
            row[_ID] = item_id
    prepare = PayloadCodec.prepare
    return PreparedPage(
        page=page,
        read=len(page.items),
        authors=authors,
        spans=spans,
        prefixes=prefixes,
        rows=rows,
        payloads=[None if item.raw is None else prepare(item.raw, item.text) for item in items],
        account_id=account_id,
    )


def _payloads(tx: WriteTx, account: Account, prepared: PreparedPage,
              existing: dict[str, tuple[int, bytes | None]]) -> list[bytes | None]:  # fmt: skip
    """The payload blob of each item: a stored blob is kept when it holds the same payload (so a
    replay writes nothing), and when the page brings none."""
    codec = tx.payloads
    if not existing:  # all new: pack what there is
        ready = prepared.payloads
        packing = [p for p in ready if p is not None]
        if not packing:
            return [None] * len(ready)
        packed = iter(codec.pack_many(account.id, packing, tx.now_ms))
        return [None if p is None else next(packed) for p in ready]
    blobs: list[bytes | None] = []
    to_pack: list[int] = []
    packing = []
    for n, (row, ready_one) in enumerate(zip(prepared.rows, prepared.payloads, strict=True)):
        old = existing.get(row[_EXTERNAL])
        stored = None if old is None else old[1]
        if ready_one is None:
            blobs.append(stored)
            continue
        if stored is not None:
            try:
                if codec.unpack(stored) == ready_one:
                    blobs.append(stored)
                    continue
            except (PayloadError, zlib.error):
                pass  # unreadable: replace it
        blobs.append(None)
        to_pack.append(n)
        packing.append(ready_one)
    if packing:
        for n, blob in zip(to_pack, codec.pack_many(account.id, packing, tx.now_ms), strict=True):
            blobs[n] = blob
    return blobs


def _write_items(tx: WriteTx, account: Account, prepared: PreparedPage, conversation_ids: dict[str, int],
                 contact_ids: dict[str, int]) -> int:  # fmt: skip
    """Insert new items (indexed for full text in one statement) and update changed ones.
    Returns how many were written; unchanged items are not touched."""
    rows = prepared.rows
    existing: dict[str, tuple[int, bytes | None]] = {}
    for chunk in _chunks([row[_EXTERNAL] for row in rows]):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT external_id, id, payload FROM items WHERE account_id = ? AND external_id IN ({marks})"
        existing.update((ext, (row_id, blob)) for ext, row_id, blob in tx.conn.execute(sql, (account.id, *chunk)))
    prefix_ids = tx.url_prefixes.ids_for(prepared.prefixes)
    blobs = _payloads(tx, account, prepared, existing)
    account_id = account.id
    if prepared.account_id != account_id:
        ids = item_ids_for(account_id, [(r[_CREATED], r[_EXTERNAL]) for r in rows])
    else:
        ids = [r[_ID] for r in rows]
    new_rows: list[list[object]] = []
    updates: list[list[object]] = []
    fresh = len(rows) - len(existing)
    seq = tx.next_seq(fresh) if fresh else 0
    first_new = seq
    first_update = tx.next_seq(len(existing)) if existing else 0
    for prepared_row, item_id, blob in zip(rows, ids, blobs, strict=True):
        row = prepared_row.copy()
        row[_ACCOUNT] = account_id
        row[_CONVERSATION] = conversation_ids[row[_CONVERSATION]]
        contact = row[_CONTACT]
        if contact is not None:
            row[_CONTACT] = contact_ids.get(contact)
        prefix = row[_PREFIX]
        if prefix is not None:
            row[_PREFIX] = prefix_ids[prefix]
        row[_PAYLOAD] = blob
        known = existing.get(row[_EXTERNAL]) if existing else None
        if known is None:
            row[_ID] = item_id
            row[_SEQ] = seq
            seq += 1
            new_rows.append(row)
        else:
            updates.append([*row[_CONVERSATION:_SEQ], first_update + len(updates), known[0]])
    written = 0
    if new_rows:
        tx.conn.execute("SAVEPOINT new_items")
        try:
            tx.conn.executemany(_INSERT_ITEM, new_rows)
        except sqlite3.IntegrityError:
            tx.conn.execute("ROLLBACK TO new_items")
            _insert_items_one_by_one(tx, new_rows)
        tx.conn.execute("RELEASE new_items")
        tx.conn.execute(_INDEX_NEW_ITEMS, (first_new, first_new + len(new_rows) - 1))
        written += len(new_rows)
    if updates:
        written += max(tx.conn.executemany(_UPDATE_ITEM, updates).rowcount, 0)
    tx.summary["items"] += written
    return written


@contextmanager
def page_transaction(cache: Cache, source: str) -> Iterator[WriteTx]:
    """A write transaction for :func:`write_page`.

    Foreign keys are not checked in it: every reference a page writes (account, conversation,
    contact, item) is one :func:`write_page` has just looked up or inserted in the same
    transaction, and the checks cost a lookup per reference (5 % of an import)."""
    conn = cache.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with cache.write(source) as tx:
            yield tx
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def ingest_page(
    cache: Cache, account: Account, stream: str | None, page: Page | PreparedPage, *, source: str = "sync"
) -> PageResult:
    """Store ``page`` and move ``stream``'s cursor to ``page.next_cursor``, atomically."""
    with page_transaction(cache, source) as tx:
        return write_page(tx, account, stream, page)


def write_page(tx: WriteTx, account: Account, stream: str | None, page: Page | PreparedPage) -> PageResult:
    """The body of :func:`ingest_page`, for callers that already hold a transaction.
    ``stream`` ``None``: records only, no cursor moves (our own sent replies)."""
    prepared = page if isinstance(page, PreparedPage) else prepare_page(page)
    page = prepared.page
    contact_ids = _upsert_contacts(tx, account.channel.value, prepared.authors)
    if prepared.stage is not None:
        if prepared.staged_spans:
            _upsert_staged_conversations(tx, account, prepared.staged_spans)
        else:
            _upsert_conversations(tx, account, prepared.spans, page.conversations)
        written = _write_staged_items(tx, account, prepared, contact_ids)
    else:
        conversation_ids = _upsert_conversations(tx, account, prepared.spans, page.conversations)
        written = _write_items(tx, account, prepared, conversation_ids, contact_ids) if prepared.rows else 0
    for problem in page.problems:
        record_problem(tx, account.id, "payload", problem)
    if stream is not None:
        set_cursor(tx, account.id, stream, page.next_cursor)
    return PageResult(written, prepared.read - written, len(page.problems), tx.last_seq)


# ---------------------------------------------------------------------------------- staged pages
#
# A large file import prepares its pages in a reader process (``omniinbox.sync.reader``), on
# another CPU. The rows of a prepared page go to the writer as a staging file: a one-table SQLite
# file the writer attaches and copies into ``items`` with one INSERT ... SELECT, so the rows are
# never rebuilt as Python objects on the writer's side; what the writer needs in Python (authors,
# conversation spans, URL prefixes, payloads to pack, problems, the cursor) travels pickled.

STAGE_SCHEMA = "stage"  # the name a staging file is attached under
# The rows of _INSERT_ITEM as prepare_page makes them (conversation, contact and URL prefix by
# their text; account, payload and seq empty), numbered from 1 in page order.
_STAGE_TABLE = f"CREATE TABLE rows (n INTEGER PRIMARY KEY, {', '.join(_ITEM_COLUMNS)})"
_STAGE_INSERT = f"INSERT INTO rows {_ITEM_VALUES}"
# The spans of a page, in the order prepare_page found them, when the page tells nothing else
# about its conversations (no ConversationInfo): then they are upserted in SQL too.
_STAGE_SPANS = (
    "CREATE TABLE spans (n INTEGER PRIMARY KEY, external_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " subject TEXT NOT NULL, fallback TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, inbound INTEGER)"
)
_STAGE_SPAN = (
    "INSERT INTO spans (external_id, kind, subject, fallback, first, last, inbound) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# _UPDATE_CONVERSATION and _INSERT_CONVERSATION for every staged span at once, with no status
# or priority reported. Parameters: 1 account id, 2 the seq before the first span's, 3 team
# (the insert only).
_UPDATE_STAGED_CONVERSATIONS = (
    "UPDATE conversations SET"
    " subject = CASE WHEN s.subject != '' THEN s.subject WHEN conversations.subject = '' THEN s.fallback"
    "   ELSE conversations.subject END,"
    " first_item_at = min(conversations.first_item_at, s.first),"
    " last_item_at = max(conversations.last_item_at, s.last),"
    " last_inbound_at = max(coalesce(conversations.last_inbound_at, s.inbound),"
    "   coalesce(s.inbound, conversations.last_inbound_at)),"
    " seq = ?2 + s.n"
    f" FROM {STAGE_SCHEMA}.spans AS s"
    " WHERE conversations.account_id = ?1 AND conversations.external_id = s.external_id AND ("
    "   (s.subject != '' AND conversations.subject IS NOT s.subject)"
    "   OR (conversations.subject = '' AND s.fallback != '')"
    "   OR s.first < conversations.first_item_at OR s.last > conversations.last_item_at"
    "   OR (s.inbound IS NOT NULL"
    "     AND (conversations.last_inbound_at IS NULL OR s.inbound > conversations.last_inbound_at)))"
)
_INSERT_STAGED_CONVERSATIONS = (
    "INSERT INTO conversations (account_id, external_id, kind, subject, status, priority, team,"
    " first_item_at, last_item_at, last_inbound_at, seq)"
    " SELECT ?1, s.external_id, s.kind, CASE WHEN s.subject != '' THEN s.subject ELSE s.fallback END, 'open', 1,"
    " ?3, s.first, s.last, s.inbound, ?2 + s.n"
    f" FROM {STAGE_SCHEMA}.spans AS s"
    " LEFT JOIN conversations AS c ON c.account_id = ?1 AND c.external_id = s.external_id"
    " WHERE c.id IS NULL ORDER BY s.n"
)
_STAGED_ROWS = f"SELECT {', '.join(_ITEM_COLUMNS)} FROM {STAGE_SCHEMA}.rows ORDER BY n"
_ANY_STAGED_STORED = (
    f"SELECT 1 FROM {STAGE_SCHEMA}.rows AS s CROSS JOIN items AS i"
    " ON i.account_id = ? AND i.external_id = s.external_id LIMIT 1"
)
_STAGED_PAYLOADS = "CREATE TEMP TABLE IF NOT EXISTS staged_payloads (n INTEGER PRIMARY KEY, payload BLOB)"
# Parameters: 1 account id, 2 the seq before the page's first, 3 the account's channel. The
# payloads are the staged rows' own (packed by the reader) or those the writer packed.
_COPY_STAGED = (
    f"INSERT INTO items ({', '.join(_ITEM_COLUMNS)})"
    " SELECT s.id, ?1, s.external_id, c.id, s.parent_external_id, s.kind, s.direction, s.visibility, k.id,"
    " s.author_name, s.author_handle, s.subject, s.text, p.id, s.permalink, s.created_at, s.edited_at,"
    " s.deleted_at, s.likes, s.replies, s.shares, s.views, {payload}, ?2 + s.n"
    f" FROM {STAGE_SCHEMA}.rows AS s"
    " LEFT JOIN conversations AS c ON c.account_id = ?1 AND c.external_id = s.conversation_id"
    " LEFT JOIN contacts AS k ON k.channel = ?3 AND k.external_id = s.contact_id"
    " LEFT JOIN url_prefixes AS p ON p.prefix = s.permalink_prefix{join}"
    " ORDER BY s.n"
)
_COPY_PACKED = _COPY_STAGED.format(payload="s.payload", join="")
_COPY_WITH_PAYLOADS = _COPY_STAGED.format(payload="b.payload", join=" LEFT JOIN temp.staged_payloads AS b ON b.n = s.n")


def stage_page(prepared: PreparedPage, path: Path, packer: Packer | None = None) -> PreparedPage:
    """Write ``prepared``'s rows to a new staging file at ``path``, their payloads packed by
    ``packer`` if there is one; return the page without them (and without the page's items),
    ready to be pickled to the writer. Safe in any process: it touches no cache. The file is
    scratch: no journal, no syncing."""
    rows, payloads = prepared.rows, prepared.payloads
    spans_staged = not prepared.page.conversations  # else the writer merges them with the page's in Python
    if packer is not None:
        ready = [p for p in payloads if p is not None]
        if ready:
            blobs = iter(packer.pack_many(ready))
            for row, payload in zip(rows, payloads, strict=True):
                if payload is not None:
                    row[_PAYLOAD] = next(blobs)
        payloads = []
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.execute(_STAGE_TABLE)
        conn.executemany(_STAGE_INSERT, rows)
        if spans_staged:
            spans = prepared.spans.items()
            conn.execute(_STAGE_SPANS)
            conn.executemany(
                _STAGE_SPAN, [(ext, s.kind, s.subject, s.fallback, s.first, s.last, s.inbound) for ext, s in spans]
            )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return dataclasses.replace(
        prepared,
        page=dataclasses.replace(prepared.page, items=[]),
        rows=[],
        payloads=payloads,
        stage=str(path),
        staged=len(rows),
        packed=packer is not None,
        spans={} if spans_staged else prepared.spans,
        staged_spans=len(prepared.spans) if spans_staged else 0,
    )


@contextmanager
def staged_rows(cache: Cache, prepared: PreparedPage) -> Iterator[None]:
    """Attach a staged page's file for the write of the page (outside its transaction: SQLite
    attaches nothing inside one), then detach and delete it. Does nothing for other pages."""
    if prepared.stage is None:
        yield
        return
    conn = cache.conn
    conn.execute(f"ATTACH DATABASE ? AS {STAGE_SCHEMA}", (prepared.stage,))
    try:
        yield
    finally:
        conn.execute(f"DETACH DATABASE {STAGE_SCHEMA}")
        Path(prepared.stage).unlink(missing_ok=True)


def _upsert_staged_conversations(tx: WriteTx, account: Account, count: int) -> None:
    """:func:`_upsert_conversations` for the spans of a staged page, in SQL. A conversation the
    page tells nothing new about is not touched; the sequence numbers are the same."""
    seq = tx.next_seq(count)
    params = (account.id, seq - 1, account.channel.group)
    changed = tx.conn.execute(_UPDATE_STAGED_CONVERSATIONS, params[:2]).rowcount
    added = tx.conn.execute(_INSERT_STAGED_CONVERSATIONS, params).rowcount
    tx.summary["conversations"] += max(changed, 0) + max(added, 0)


def _write_staged_items(tx: WriteTx, account: Account, prepared: PreparedPage, contact_ids: dict[str, int]) -> int:
    """:func:`_write_items` for a staged page (attached by :func:`staged_rows`). A page of new
    items, the bulk of an import, is copied in SQL; any other page (one with items already
    stored, ids made for another account, an id taken) is read back and written as usual."""
    conn = tx.conn
    count = prepared.staged
    if not count:
        return 0
    account_id = account.id
    if prepared.account_id == account_id and conn.execute(_ANY_STAGED_STORED, (account_id,)).fetchone() is None:
        tx.url_prefixes.ids_for(prepared.prefixes)
        copy = _COPY_PACKED
        blobs: list[bytes | None] = []
        if not prepared.packed:
            copy, blobs = _COPY_WITH_PAYLOADS, _payloads(tx, account, prepared, {})
            conn.execute(_STAGED_PAYLOADS)
        first = tx.next_seq(count)
        conn.execute("SAVEPOINT staged_items")
        try:
            if blobs:
                conn.executemany(
                    "INSERT INTO temp.staged_payloads (n, payload) VALUES (?, ?)",
                    [(n, blob) for n, blob in enumerate(blobs, 1) if blob is not None],
                )
            conn.execute(copy, (account_id, first - 1, account.channel.value))
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO staged_items")  # an id is taken: the slow path below probes
        else:
            conn.execute(_INDEX_NEW_ITEMS, (first, first + count - 1))
            tx.summary["items"] += count
            return count
        finally:
            conn.execute("RELEASE staged_items")
            if blobs:
                conn.execute("DELETE FROM temp.staged_payloads")
    rows = [list(row) for row in conn.execute(_STAGED_ROWS)]
    payloads = prepared.payloads
    if prepared.packed:  # back to what the comparison with stored payloads needs
        payloads = [None if row[_PAYLOAD] is None else tx.payloads.unpack(row[_PAYLOAD]) for row in rows]
    unstaged = dataclasses.replace(prepared, rows=rows, payloads=payloads)
    conversations = list(dict.fromkeys(row[_CONVERSATION] for row in rows))
    conversation_ids = _lookup_ids(conn, _CONVERSATION_IDS, account.id, conversations)
    return _write_items(tx, account, unstaged, conversation_ids, contact_ids)


def set_cursor(tx: WriteTx, account_id: int, stream: str, cursor: str | None) -> None:
    """Move a stream's cursor (``None`` forgets it: the next fetch starts afresh)."""
    if cursor is None:
        tx.conn.execute("DELETE FROM sync_cursors WHERE account_id = ? AND stream = ?", (account_id, stream))
        return
    tx.conn.execute(
        "INSERT INTO sync_cursors (account_id, stream, cursor, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (account_id, stream) DO UPDATE SET cursor = excluded.cursor,"
        " updated_at = excluded.updated_at WHERE sync_cursors.cursor IS NOT excluded.cursor",
        (account_id, stream, cursor, tx.now_ms),
    )


def _last_of_each(items: Sequence[Item]) -> list[Item]:
    """One item per external id (a page may repeat an item; the later copy is the newer)."""
    latest = {item.external_id: item for item in items}
    if len(latest) == len(items):
        return list(items)
    return list(latest.values())


def record_problem(tx: WriteTx, account_id: int | None, kind: str, problem: SyncProblem) -> None:
    tx.conn.execute(
        "INSERT INTO sync_problems (account_id, at, kind, reason, external_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, tx.now_ms, kind, problem.reason, problem.external_id, problem.detail),
    )
    tx.next_seq()  # a change batch names it, so a window polling the change sequence hears of the problem
    tx.summary["problems"] += 1


def get_cursor(cache: Cache, account_id: int, stream: str) -> str | None:
    row = cache.conn.execute(
        "SELECT cursor FROM sync_cursors WHERE account_id = ? AND stream = ?", (account_id, stream)
    ).fetchone()
    return None if row is None else row[0]
