"""Reads of the key opinion leader registry for the window (Qt-free; the writes are
:mod:`omniinbox.triage.kol`).

* :func:`registry_people`: the registry as people: a person's identities on every channel they
  are linked on, their followers, kind, items and when they were last seen.
* :func:`find_contacts`: contacts by name or handle, through the full-text index of the items
  they wrote (``author_name``, ``author_handle``), so a million items are never scanned.
* :func:`linked_identities`: the contacts linked to one person.

Every query goes through an index: ``contacts`` by id and ``contacts_person``, ``items_contact``
for a contact's item count and latest item, ``items_fts`` for names.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from omniinbox.store import issues as store
from omniinbox.store.cache import Cache

Conn = Cache | sqlite3.Connection
_WORD = re.compile(r"[\w]+", re.UNICODE)
_MATCH_ROWS = 2000  # newest matching items looked at per search


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


@dataclass(frozen=True, slots=True)
class Identity:
    contact_id: int
    channel: str
    name: str
    handle: str
    followers: int | None
    verified: bool
    is_kol: bool
    person_id: int | None
    items: int
    last_seen: int | None  # ms since the epoch: the newest item's creation


@dataclass(frozen=True, slots=True)
class KolPerson:
    key: int  # the person id of linked identities, else the contact id
    name: str
    kind: str
    note: str
    set_at: int
    identities: tuple[Identity, ...]

    @property
    def contact_ids(self) -> list[int]:
        return [i.contact_id for i in self.identities]

    @property
    def followers(self) -> int | None:
        known = [i.followers for i in self.identities if i.followers is not None]
        return sum(known) if known else None

    @property
    def items(self) -> int:
        return sum(i.items for i in self.identities)

    @property
    def last_seen(self) -> int | None:
        seen = [i.last_seen for i in self.identities if i.last_seen is not None]
        return max(seen) if seen else None

    @property
    def verified(self) -> bool:
        return any(i.verified for i in self.identities)


def item_stats(conn: Conn, contact_id: int) -> tuple[int, int | None]:
    """``(items, created_at of the newest)`` of one contact (``items_contact`` index)."""
    c = _conn(conn)
    count = int(c.execute("SELECT count(*) FROM items WHERE contact_id = ?", (contact_id,)).fetchone()[0])
    row = c.execute(
        "SELECT created_at FROM items WHERE contact_id = ? ORDER BY id DESC LIMIT 1", (contact_id,)
    ).fetchone()
    return count, (int(row[0]) if row else None)


def identities_of(conn: Conn, contact_ids: list[int]) -> list[Identity]:
    """These contacts, with their item counts, in the order given (unknown ids left out)."""
    facts = store.contacts(conn, contact_ids)
    out = []
    for cid in contact_ids:
        f = facts.get(cid)
        if f is None:
            continue
        items, last = item_stats(conn, cid)
        out.append(
            Identity(f.id, f.channel, f.name, f.handle, f.followers, f.verified, f.is_kol, f.person_id, items, last)
        )
    return out


def linked_identities(conn: Conn, contact_id: int) -> list[Identity]:
    """The contact and every identity linked to the same person."""
    return identities_of(conn, store.identities(conn, contact_id))


def registry_people(conn: Conn) -> list[KolPerson]:
    """The registry, one entry per person (linked identities together), by name."""
    rows = store.kol_registry(conn)
    groups: dict[int, list[store.KolRow]] = {}
    for r in rows:
        groups.setdefault(r.person_id if r.person_id is not None else r.contact_id, []).append(r)
    people = []
    for key, members in groups.items():
        first = min(members, key=lambda r: (r.note.startswith("linked to"), r.contact_id))
        ids = [m.contact_id for m in sorted(members, key=lambda m: (m.channel, m.contact_id))]
        people.append(
            KolPerson(
                key=key,
                name=first.name or first.handle,
                kind=first.kind,
                note=first.note,
                set_at=first.set_at,
                identities=tuple(identities_of(conn, ids)),
            )
        )
    people.sort(key=lambda p: (p.name.casefold(), p.key))
    return people


def suggestions(conn: Conn, *, limit: int = 100) -> list[store.KolSuggestionRow]:
    return store.kol_suggestions(conn, limit=limit)


def name_query(text: str) -> str | None:
    """The full-text query finding ``text`` in authors' names and handles (each word as a
    prefix), or ``None`` when it has no word."""
    words = _WORD.findall(text.casefold())
    if not words:
        return None
    return "{author_name author_handle} : " + " ".join(f'"{w}"*' for w in words)


def find_contacts(conn: Conn, text: str, *, limit: int = 50) -> list[Identity]:
    """Contacts whose name or handle holds every word of ``text`` (as prefixes), most recently
    active first; ``#123`` finds contact 123."""
    text = text.strip()
    if text.startswith("#") and text[1:].isdigit():
        return identities_of(conn, [int(text[1:])])
    query = name_query(text)
    if query is None:
        return []
    c = _conn(conn)
    found: list[int] = []
    try:
        rows = c.execute(
            "SELECT i.contact_id FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT ?)"
            " f JOIN items i ON i.id = f.rowid WHERE i.contact_id IS NOT NULL",
            (query, _MATCH_ROWS),
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    for (cid,) in rows:
        if cid not in found:
            found.append(cid)
            if len(found) >= limit:
                break
    return identities_of(conn, found)
