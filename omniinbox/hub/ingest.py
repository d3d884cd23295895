"""Writing a connector's page into the hub, with its cursor, in the caller's one transaction.

The identity rule is the local cache's: an item is (account, external id); ingesting it again
updates it and never duplicates it. Replaying a page changes nothing: an update that would not
change a row is skipped by the change-stamping trigger, so no change number moves either.

What PostgreSQL cannot store (NUL characters, lone surrogates) is cleaned; an item that still
cannot be stored becomes a sync problem naming it and why, and the rest of the page goes on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg

from omniinbox.core import Account, Author, ConversationInfo, Direction, Item, Page, SyncProblem, utcnow

_BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class HubPageResult:
    items_written: int  # new or changed
    items_unchanged: int
    problems: int


def clean_text(value: object) -> str:
    """Text PostgreSQL accepts: NUL characters and lone surrogates become U+FFFD."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _clean_json(value: Any, depth: int = 0) -> Any:
    if depth > 200:
        raise ValueError("the payload is nested too deeply")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(k): _clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean_text(value)


def payload_json(raw: Mapping[str, Any] | None) -> str | None:
    """The payload as JSON text that ``jsonb`` accepts (no ``\\u0000``, no lone surrogates)."""
    if raw is None:
        return None
    try:
        data = orjson.dumps(raw, default=str, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        data = None
    if data is None or b"\\u0000" in data:
        return json.dumps(_clean_json(raw), ensure_ascii=False, default=str, allow_nan=False)
    return data.decode()


def _when(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"a time was expected, not {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _count(value: object) -> int:
    number = int(value)  # type: ignore[call-overload]
    return max(0, min(number, _BIGINT_MAX))


@dataclass(slots=True)
class _Span:
    kind: str
    subject: str  # from the thread's first message: it names the conversation
    fallback: str  # from any message, for a conversation without a name yet
    first: datetime
    last: datetime
    inbound: datetime | None
    outbound: datetime | None


def _item_row(item: Item) -> dict[str, Any]:
    """The values of one item, checked: raises ``ValueError``/``TypeError`` naming the bad field."""
    if not isinstance(item.external_id, str) or not item.external_id.strip():
        raise ValueError("it has no external id")
    if not isinstance(item.conversation_id, str) or not item.conversation_id.strip():
        raise ValueError("it names no conversation")
    created = _when(item.created_at)
    if created is None:
        raise ValueError("it has no creation time")
    author = item.author
    engagement = item.engagement
    parent = item.parent_id
    return {
        "ext": clean_text(item.external_id),
        "conversation": clean_text(item.conversation_id),
        "parent": ""
        if parent is not None and parent == item.conversation_id
        else (None if parent is None else clean_text(parent)),
        "kind": item.kind.value,
        "direction": item.direction.value,
        "visibility": item.visibility.value,
        "author": clean_text(author.external_id) if author is not None and author.external_id else None,
        "author_name": clean_text(author.name) if author else "",
        "author_handle": clean_text(author.handle) if author else "",
        "subject": clean_text(item.subject),
        "text": clean_text(item.text),
        "permalink": clean_text(item.permalink),
        "created": created,
        "edited": _when(item.edited_at),
        "deleted": _when(item.deleted_at),
        "likes": _count(engagement.likes),
        "replies": _count(engagement.replies),
        "shares": _count(engagement.shares),
        "views": _count(engagement.views),
        "raw": payload_json(item.raw),
    }


_UPSERT_CONTACT = """
    INSERT INTO omniinbox.contacts AS c
        (channel, external_id, name, handle, email, url, followers, verified, observed_at)
    VALUES (%(channel)s, %(ext)s, %(name)s, %(handle)s, %(email)s, %(url)s, %(followers)s, %(verified)s, %(seen)s)
    ON CONFLICT (channel, external_id) DO UPDATE SET
        name = excluded.name, handle = excluded.handle, email = excluded.email, url = excluded.url,
        followers = coalesce(excluded.followers, c.followers), verified = excluded.verified,
        observed_at = excluded.observed_at
    WHERE excluded.observed_at >= coalesce(c.observed_at, '-infinity')
"""
# A profile is taken from the newest item carrying it: an older page never rolls it back.

_UPSERT_CONVERSATION = """
    INSERT INTO omniinbox.conversations AS c (account_id, external_id, kind, subject, status, priority, team,
        first_item_at, last_item_at, last_inbound_at, last_outbound_at)
    VALUES (%(account)s, %(ext)s, %(kind)s, CASE WHEN %(subject)s::text <> '' THEN %(subject)s ELSE %(fallback)s END,
        coalesce(%(status)s::text, 'open'), coalesce(%(priority)s::smallint, 1), %(team)s,
        %(first)s, %(last)s, %(inbound)s, %(outbound)s)
    ON CONFLICT (account_id, external_id) DO UPDATE SET
        subject = CASE WHEN %(subject)s::text <> '' THEN %(subject)s WHEN c.subject = '' THEN %(fallback)s
                       ELSE c.subject END,
        status = coalesce(%(status)s::text, c.status),
        priority = coalesce(%(priority)s::smallint, c.priority),
        first_item_at = least(c.first_item_at, excluded.first_item_at),
        last_item_at = greatest(c.last_item_at, excluded.last_item_at),
        last_inbound_at = greatest(c.last_inbound_at, excluded.last_inbound_at),
        last_outbound_at = greatest(c.last_outbound_at, excluded.last_outbound_at)
"""

_ITEM_COLUMNS = (
    "conversation_id", "parent_external_id", "kind", "direction", "visibility", "contact_id", "author_name",
    "author_handle", "subject", "text", "permalink", "created_at", "edited_at", "deleted_at", "likes", "replies",
    "shares", "views",
)  # fmt: skip
_ITEM_PARAMS = (
    "conversation_id", "parent", "kind", "direction", "visibility", "contact_id", "author_name", "author_handle",
    "subject", "text", "permalink", "created", "edited", "deleted", "likes", "replies", "shares", "views",
)  # fmt: skip
_UPSERT_ITEM = (
    f"INSERT INTO omniinbox.items AS i (account_id, external_id, {', '.join(_ITEM_COLUMNS)}, raw)"
    f" VALUES (%(account)s, %(ext)s, {', '.join(f'%({p})s' for p in _ITEM_PARAMS)}, %(raw)s::jsonb)"
    " ON CONFLICT (account_id, external_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ITEM_COLUMNS)
    + ", raw = coalesce(excluded.raw, i.raw)"
)


def _ids(conn: psycopg.Connection[Any], query: str, key: object, external_ids: Iterable[str]) -> dict[str, int]:
    return {ext: int(row_id) for ext, row_id in conn.execute(query, (key, list(external_ids))).fetchall()}


def _spans(rows: Sequence[dict[str, Any]]) -> dict[str, _Span]:
    spans: dict[str, _Span] = {}
    for row in rows:
        when: datetime = row["created"]
        inbound = row["direction"] == Direction.INBOUND.value
        span = spans.get(row["conversation"])
        if span is None:
            span = spans[row["conversation"]] = _Span(row["kind"], "", row["subject"], when, when, None, None)
        span.first = min(span.first, when)
        span.last = max(span.last, when)
        if inbound:
            span.inbound = when if span.inbound is None else max(span.inbound, when)
        else:
            span.outbound = when if span.outbound is None else max(span.outbound, when)
        if row["subject"] and row["ext"] == row["conversation"]:
            span.subject = row["subject"]
        if not span.fallback:
            span.fallback = row["subject"]
    return spans


def _write_contacts(
    conn: psycopg.Connection[Any], channel: str, items: Sequence[Item], rows: Sequence[dict[str, Any]]
) -> dict[str, int]:
    newest: dict[str, tuple[Author, datetime]] = {}
    for item, row in zip(items, rows, strict=True):
        author = item.author
        if author is None or row["author"] is None:
            continue
        seen = newest.get(row["author"])
        if seen is None or row["created"] >= seen[1]:
            newest[row["author"]] = (author, row["created"])
    if not newest:
        return {}
    params = [
        {
            "channel": channel,
            "ext": ext,
            "name": clean_text(a.name),
            "handle": clean_text(a.handle),
            "email": clean_text(a.email),
            "url": clean_text(a.url),
            "followers": None if a.followers is None else _count(a.followers),
            "verified": bool(a.verified),
            "seen": seen,
        }
        for ext, (a, seen) in sorted(newest.items())  # a fixed order: concurrent pages never deadlock
    ]
    conn.cursor().executemany(_UPSERT_CONTACT, params)
    return _ids(
        conn,
        "SELECT external_id, id FROM omniinbox.contacts WHERE channel = %s AND external_id = ANY(%s)",
        channel,
        newest,
    )


def _write_conversations(
    conn: psycopg.Connection[Any],
    account: Account,
    team: str,
    spans: dict[str, _Span],
    infos: Sequence[ConversationInfo],
) -> dict[str, int]:
    now = utcnow()
    info_by_id = {clean_text(info.external_id): info for info in infos if info.external_id}
    for ext, info in info_by_id.items():
        spans.setdefault(ext, _Span(info.kind.value, clean_text(info.subject), "", now, now, None, None))
    if not spans:
        return {}
    params = []
    for ext, span in sorted(spans.items()):
        known = info_by_id.get(ext)
        subject = span.subject
        status = priority = None
        if known is not None:
            subject = clean_text(known.subject) or subject
            status = known.status.value if known.status is not None else None
            priority = int(known.priority) if known.priority is not None else None
        params.append(
            {
                "account": account.id,
                "ext": ext,
                "kind": span.kind,
                "subject": subject,
                "fallback": span.fallback,
                "status": status,
                "priority": priority,
                "team": team,
                "first": span.first,
                "last": span.last,
                "inbound": span.inbound,
                "outbound": span.outbound,
            }
        )
    conn.cursor().executemany(_UPSERT_CONVERSATION, params)
    return _ids(
        conn,
        "SELECT external_id, id FROM omniinbox.conversations WHERE account_id = %s AND external_id = ANY(%s)",
        account.id,
        spans,
    )


def _write_items(conn: psycopg.Connection[Any], rows: list[dict[str, Any]], problems: list[SyncProblem]) -> None:
    """All at once; should PostgreSQL refuse the batch, item by item so only the bad ones are left out."""
    try:
        with conn.transaction():
            conn.cursor().executemany(_UPSERT_ITEM, rows)
        return
    except psycopg.DataError:
        pass
    for row in rows:
        try:
            with conn.transaction():
                conn.execute(_UPSERT_ITEM, row)
        except psycopg.DataError as exc:
            message = exc.diag.message_primary or type(exc).__name__
            problems.append(
                SyncProblem(reason=f"item {row['ext']}: PostgreSQL cannot store it: {message}", external_id=row["ext"])
            )


def write_page(
    conn: psycopg.Connection[Any], account: Account, stream: str | None, page: Page, *, worker: str = ""
) -> HubPageResult:
    """Store ``page`` and move ``stream``'s cursor to ``page.next_cursor``; call inside a transaction.
    ``stream`` ``None``: records only, no cursor moves (a reply the worker has just sent)."""
    problems = list(page.problems)
    latest: dict[str, Item] = {}
    for item in page.items:  # one per external id; a later copy in the page is the newer
        latest[getattr(item, "external_id", "") or f"#{len(latest)}"] = item
    items: list[Item] = []
    rows: list[dict[str, Any]] = []
    for item in latest.values():
        try:
            row = _item_row(item)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            ext = str(getattr(item, "external_id", "") or "")
            problems.append(SyncProblem(reason=f"item {ext or '(no id)'}: cannot be stored: {exc}", external_id=ext))
            continue
        items.append(item)
        rows.append(row)
    team_row = conn.execute("SELECT team FROM omniinbox.accounts WHERE id = %s", (account.id,)).fetchone()
    if team_row is None:
        raise LookupError(f"account {account.key} is not in the hub")
    contact_ids = _write_contacts(conn, account.channel.value, items, rows)
    conversation_ids = _write_conversations(conn, account, str(team_row[0]), _spans(rows), page.conversations)
    for row in rows:
        row["account"] = account.id
        row["conversation_id"] = conversation_ids[row["conversation"]]
        row["contact_id"] = contact_ids.get(row["author"]) if row["author"] is not None else None
    if rows:
        _write_items(conn, rows, problems)
    written_row = conn.execute(
        "SELECT count(*) FROM omniinbox.items WHERE txid = pg_current_xact_id() AND account_id = %s", (account.id,)
    ).fetchone()
    written = int(written_row[0]) if written_row else 0
    if problems:
        conn.cursor().executemany(
            "INSERT INTO omniinbox.sync_problems (account_id, kind, reason, external_id, detail, worker)"
            " VALUES (%s, 'payload', %s, %s, %s, %s)",
            [
                (account.id, clean_text(p.reason), clean_text(p.external_id), clean_text(p.detail), worker)
                for p in problems
            ],
        )
    if stream is not None:
        set_cursor(conn, account.id, stream, page.next_cursor)
    return HubPageResult(written, len(rows) - written, len(problems))


def set_cursor(conn: psycopg.Connection[Any], account_id: int, stream: str, cursor: str | None) -> None:
    """Move a stream's cursor (``None`` forgets it: the next fetch starts afresh)."""
    if cursor is None:
        conn.execute("DELETE FROM omniinbox.sync_cursors WHERE account_id = %s AND stream = %s", (account_id, stream))
        return
    conn.execute(
        "INSERT INTO omniinbox.sync_cursors (account_id, stream, cursor, updated_at) VALUES (%s, %s, %s, now())"
        " ON CONFLICT (account_id, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at"
        " WHERE sync_cursors.cursor IS DISTINCT FROM excluded.cursor",
        (account_id, stream, clean_text(cursor)),
    )


def get_cursor(conn: psycopg.Connection[Any], account_id: int, stream: str) -> str | None:
    row = conn.execute(
        "SELECT cursor FROM omniinbox.sync_cursors WHERE account_id = %s AND stream = %s", (account_id, stream)
    ).fetchone()
    return None if row is None else row[0]


def record_problem(
    conn: psycopg.Connection[Any], account_id: int | None, kind: str, problem: SyncProblem, *, worker: str = ""
) -> None:
    conn.execute(
        "INSERT INTO omniinbox.sync_problems (account_id, kind, reason, external_id, detail, worker)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (
            account_id,
            kind,
            clean_text(problem.reason),
            clean_text(problem.external_id),
            clean_text(problem.detail),
            worker,
        ),
    )
