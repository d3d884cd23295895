"""A person's saved searches: a name, the search text and the list filter it ran within.

Stored per person in ``saved_searches`` (unique by name per person); every change is audited
(``search.save``, ``search.rename``, ``search.delete``) and counted as ``saved_searches`` in the
change feed. Qt-free; the desktop client calls these through :mod:`omniinbox.usecases`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from omniinbox.core import TagValue, Team
from omniinbox.store.cache import Cache
from omniinbox.store.views import ListFilter

Conn = sqlite3.Connection | Cache
MAX_NAME = 80


class SavedSearchRefused(ValueError):
    """The saved search cannot be stored or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    user_id: int
    name: str
    query: str
    filter: ListFilter


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def filter_to_json(flt: ListFilter) -> str:
    """A filter as JSON (only the fields that filter)."""
    out: dict[str, Any] = {}
    for name in flt.__dataclass_fields__:
        value = getattr(flt, name)
        if value == () or value is None or value is False:
            continue
        if name == "team":
            value = value.value
        elif name == "tag":
            value = [value[0].value if value[0] is not None else None, value[1].value]
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return json.dumps(out, sort_keys=True)


def filter_from_json(text: str) -> ListFilter:
    """The filter :func:`filter_to_json` wrote; unknown or unreadable fields are left out."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return ListFilter()
    if not isinstance(data, dict):
        return ListFilter()
    values: dict[str, Any] = {}
    try:
        for name in ("channels", "kinds", "statuses"):
            if isinstance(data.get(name), list):
                values[name] = tuple(str(v) for v in data[name])
        if isinstance(data.get("account_ids"), list):
            values["account_ids"] = tuple(int(v) for v in data["account_ids"])
        if data.get("team"):
            values["team"] = Team(data["team"])
        if data.get("assignee_id") is not None:
            values["assignee_id"] = int(data["assignee_id"])
        for name in ("unassigned", "needs_answer", "unread"):
            if data.get(name):
                values[name] = True
        tag = data.get("tag")
        if isinstance(tag, list) and len(tag) == 2:
            values["tag"] = (Team(tag[0]) if tag[0] else None, TagValue(tag[1]))
    except (ValueError, TypeError):
        return ListFilter(**{k: v for k, v in values.items()})
    return ListFilter(**values)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise SavedSearchRefused("a saved search needs a name")
    if len(name) > MAX_NAME:
        raise SavedSearchRefused(f"a saved search's name is at most {MAX_NAME} characters")
    return name


def _row(r: tuple[Any, ...]) -> SavedSearch:
    return SavedSearch(int(r[0]), int(r[1]), r[2], r[3], filter_from_json(r[4]))


def saved_searches(conn: Conn, user_id: int) -> list[SavedSearch]:
    """The person's saved searches by name (the ``UNIQUE (user_id, name)`` index)."""
    rows = _conn(conn).execute(
        "SELECT id, user_id, name, query, filter FROM saved_searches WHERE user_id = ? ORDER BY name COLLATE NOCASE",
        (user_id,),
    )
    return [_row(r) for r in rows]


def get(conn: Conn, search_id: int) -> SavedSearch | None:
    r = (
        _conn(conn)
        .execute("SELECT id, user_id, name, query, filter FROM saved_searches WHERE id = ?", (search_id,))
        .fetchone()
    )
    return _row(r) if r is not None else None


def save(cache: Cache, user_id: int, name: str, query: str, flt: ListFilter) -> SavedSearch:
    """Save a search under ``name``; a search of the same name is replaced."""
    name = _clean_name(name)
    query = query.strip()
    if not query and flt.is_empty():
        raise SavedSearchRefused("there is nothing to save: type a search or choose a queue first")
    with cache.write("action", user_id=user_id) as tx:
        existing = tx.conn.execute(
            "SELECT id FROM saved_searches WHERE user_id = ? AND name = ?", (user_id, name)
        ).fetchone()
        if existing is not None:
            search_id = int(existing[0])
            tx.conn.execute(
                "UPDATE saved_searches SET query = ?, filter = ?, seq = ? WHERE id = ?",
                (query, filter_to_json(flt), tx.next_seq(), search_id),
            )
        else:
            cur = tx.conn.execute(
                "INSERT INTO saved_searches (user_id, name, query, filter, created_at, seq) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, name, query, filter_to_json(flt), tx.now_ms, tx.next_seq()),
            )
            search_id = int(cur.lastrowid or 0)
        tx.audit("search.save", f"saved_search:{search_id}", name=name, query=query, replaced=existing is not None)
        tx.summary["saved_searches"] += 1
    saved = get(cache, search_id)
    assert saved is not None
    return saved


def _own(tx_conn: sqlite3.Connection, user_id: int, search_id: int) -> str:
    row = tx_conn.execute("SELECT user_id, name FROM saved_searches WHERE id = ?", (search_id,)).fetchone()
    if row is None or row[0] != user_id:
        raise SavedSearchRefused("that saved search no longer exists")
    return str(row[1])


def rename(cache: Cache, user_id: int, search_id: int, name: str) -> SavedSearch:
    name = _clean_name(name)
    with cache.write("action", user_id=user_id) as tx:
        before = _own(tx.conn, user_id, search_id)
        clash = tx.conn.execute(
            "SELECT id FROM saved_searches WHERE user_id = ? AND name = ? AND id != ?", (user_id, name, search_id)
        ).fetchone()
        if clash is not None:
            raise SavedSearchRefused(f"there is already a saved search named “{name}”")
        tx.conn.execute("UPDATE saved_searches SET name = ?, seq = ? WHERE id = ?", (name, tx.next_seq(), search_id))
        tx.audit("search.rename", f"saved_search:{search_id}", before=before, after=name)
        tx.summary["saved_searches"] += 1
    saved = get(cache, search_id)
    assert saved is not None
    return saved


def delete(cache: Cache, user_id: int, search_id: int) -> None:
    with cache.write("action", user_id=user_id) as tx:
        name = _own(tx.conn, user_id, search_id)
        tx.conn.execute("DELETE FROM saved_searches WHERE id = ?", (search_id,))
        tx.next_seq()
        tx.audit("search.delete", f"saved_search:{search_id}", name=name)
        tx.summary["saved_searches"] += 1
