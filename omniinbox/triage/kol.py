"""The key opinion leader registry: people and organisations marked by hand (journalists,
officials, influencers, media), suggested from followers, verification and past reach (by
:func:`omniinbox.triage.engine.update`), and identities linked across channels.

A KOL's contact rows carry ``is_kol`` (so their items stand out in every list) on every linked
identity; the registry row says what kind, why, and who set it. Marking or unmarking someone
re-assesses the issues holding their recent items at the next :func:`~omniinbox.triage.update`.
"""

from __future__ import annotations

from collections.abc import Sequence

from omniinbox.core import User
from omniinbox.store import issues as store
from omniinbox.store.cache import Cache, WriteTx

KINDS = ("journalist", "official", "influencer", "media")


class KolRefused(ValueError):
    """The change cannot be made as asked; the message says why, for people."""


def _contact(cache: Cache, contact_id: int) -> store.ContactFacts:
    found = store.contacts(cache, [contact_id]).get(contact_id)
    if found is None:
        raise KolRefused(f"there is no contact {contact_id}")
    return found


def _touch_issues(tx: WriteTx, contact_ids: Sequence[int]) -> None:
    store.mark_dirty(tx, store.issues_with_contacts(tx.conn, contact_ids))


def mark_kol(cache: Cache, user: User | None, contact_id: int, kind: str, *, note: str = "") -> list[int]:
    """Register a contact (and every identity linked to it) as a key opinion leader. Returns the
    contact ids marked."""
    if kind not in KINDS:
        raise KolRefused(f"unknown kind {kind!r}; a key opinion leader is one of: {', '.join(KINDS)}")
    _contact(cache, contact_id)
    ids = store.identities(cache, contact_id)
    user_id = user.id if user else None
    with cache.write("triage", user_id=user_id) as tx:
        for cid in ids:
            text = note.strip()
            if cid != contact_id:
                text = f"{text} (linked to contact {contact_id})" if text else f"linked to contact {contact_id}"
            store.register_kol(tx, cid, kind, text, user_id)
            store.drop_kol_suggestion(tx, cid)
        store.set_is_kol(tx, ids, True)
        _touch_issues(tx, ids)
        tx.audit("kol.mark", f"contact:{contact_id}", kind=kind, note=note.strip(), identities=ids)
    return ids


def unmark_kol(cache: Cache, user: User | None, contact_id: int) -> list[int]:
    """Take a contact and its linked identities out of the registry."""
    _contact(cache, contact_id)
    ids = store.identities(cache, contact_id)
    with cache.write("triage", user_id=user.id if user else None) as tx:
        store.unregister_kol(tx, ids)
        store.set_is_kol(tx, ids, False)
        _touch_issues(tx, ids)
        tx.audit("kol.unmark", f"contact:{contact_id}", identities=ids)
    return ids


def link_identities(cache: Cache, user: User | None, contact_ids: Sequence[int]) -> int:
    """Say that these contacts (on several channels) are one person. A key opinion leader's mark
    spreads to the identities linked to it. Returns the person id (the smallest contact id)."""
    ids = sorted(set(contact_ids))
    if len(ids) < 2:
        raise KolRefused("choose at least two identities to link")
    facts = store.contacts(cache, ids)
    if len(facts) != len(ids):
        raise KolRefused("some of the chosen contacts no longer exist")
    group = set(ids)
    for cid in ids:  # whole existing groups join
        group.update(store.identities(cache, cid))
    person = min(group)
    everyone = sorted(group)
    marked = {k.contact_id: k for k in store.kol_registry(cache) if k.contact_id in group}
    with cache.write("triage", user_id=user.id if user else None) as tx:
        store.set_person(tx, everyone, person)
        if marked:
            first = marked[min(marked)]
            for cid in everyone:
                if cid not in marked:
                    store.register_kol(
                        tx, cid, first.kind, f"linked to contact {first.contact_id}", user.id if user else None
                    )
                    store.drop_kol_suggestion(tx, cid)
            store.set_is_kol(tx, everyone, True)
        _touch_issues(tx, everyone)
        tx.audit("contact.link", f"contact:{person}", identities=everyone)
    return person


def unlink_identity(cache: Cache, user: User | None, contact_id: int) -> None:
    """Take one identity out of its person (its KOL mark, if any, stays)."""
    facts = _contact(cache, contact_id)
    if facts.person_id is None:
        return
    with cache.write("triage", user_id=user.id if user else None) as tx:
        store.set_person(tx, [contact_id], None)
        _touch_issues(tx, [contact_id])
        tx.audit("contact.unlink", f"contact:{contact_id}", person=facts.person_id)


def dismiss_suggestion(cache: Cache, user: User | None, contact_id: int) -> bool:
    """Not a key opinion leader: the suggestion is not shown again."""
    with cache.write("triage", user_id=user.id if user else None) as tx:
        done = store.dismiss_kol_suggestion(tx, contact_id, user.id if user else None)
        if done:
            tx.audit("kol.dismiss", f"contact:{contact_id}")
    return done


def registry(cache: Cache) -> list[store.KolRow]:
    return store.kol_registry(cache)


def suggestions(cache: Cache, *, limit: int = 100) -> list[store.KolSuggestionRow]:
    return store.kol_suggestions(cache, limit=limit)
