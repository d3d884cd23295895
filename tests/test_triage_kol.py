"""The key opinion leader registry: marked by hand with a kind and a note, suggested from
followers, verification and past reach with a reason, identities linked across channels; marking
someone re-assesses the issues they wrote in."""

from __future__ import annotations

import pytest
from test_triage_support import Feed, issue_of, item, ms

from omniinbox import triage
from omniinbox.core import ItemKind, Role
from omniinbox.store import issues as store
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.triage import kol


def _contact(cache: Cache, external_id: str) -> int:
    return int(cache.conn.execute("SELECT id FROM contacts WHERE external_id = ?", (external_id,)).fetchone()[0])


def test_marking_a_kol_spreads_to_linked_identities_and_raises_the_issue_to_level_2(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([
        ("x:pemkot", item("a", "Jembatan Cikapundung retak, warga khawatir", 1, author="warga-a")),
        ("x:pemkot", item("b", "Jembatan Cikapundung retak parah, tolong dicek", 2, author="wartawan")),
    ])  # fmt: skip
    feed.write(
        [("instagram:pemkot", item("c", "Foto jembatan yang retak", 3, author="wartawan-ig", kind=ItemKind.COMMENT))]
    )
    triage.update(cache, now_ms=ms(5))
    issue_id = issue_of(cache, "a")
    assert issue_id is not None and store.issue(cache, issue_id).level == 1  # type: ignore[union-attr]

    supervisor = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)
    x_id, ig_id = _contact(cache, "wartawan"), _contact(cache, "wartawan-ig")
    person = kol.link_identities(cache, supervisor, [x_id, ig_id])
    assert person == min(x_id, ig_id)
    marked = kol.mark_kol(cache, supervisor, x_id, "journalist", note="Kabar Bandung")
    assert sorted(marked) == sorted([x_id, ig_id])
    flags = dict(cache.conn.execute("SELECT id, is_kol FROM contacts"))
    assert flags[x_id] == flags[ig_id] == 1 and flags[_contact(cache, "warga-a")] == 0
    registry = {k.contact_id: k for k in kol.registry(cache)}
    assert registry[x_id].kind == "journalist" and registry[x_id].note == "Kabar Bandung"
    assert (
        registry[x_id].set_by == supervisor.id and registry[ig_id].note == f"Kabar Bandung (linked to contact {x_id})"
    )

    triage.update(cache, now_ms=ms(5))  # the issue the journalist wrote in is re-assessed
    issue = store.issue(cache, issue_id)
    assert issue is not None and issue.level == 2
    assert "a key opinion leader is involved: Wartawan (journalist, x)" in issue.level_reason

    with pytest.raises(kol.KolRefused, match="unknown kind"):
        kol.mark_kol(cache, supervisor, x_id, "celebrity")
    kol.unmark_kol(cache, supervisor, ig_id)
    assert dict(cache.conn.execute("SELECT id, is_kol FROM contacts WHERE id IN (?, ?)", (x_id, ig_id))) == {
        x_id: 0, ig_id: 0,
    }  # fmt: skip
    trail = [r[0] for r in cache.conn.execute("SELECT action FROM audit_events WHERE target LIKE 'contact:%'")]
    assert trail == ["contact.link", "kol.mark", "kol.unmark"]


def test_kols_are_suggested_with_a_reason_and_can_be_dismissed(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([
        ("x:pemkot", item("n1", "Banjir di Jalan Kenanga", 1, author="Kabar Kota News", followers=182_000,
                          verified=True)),
        ("x:pemkot", item("n2", "Banjir lagi", 2, author="Fraksi DPRD Kota", followers=12_000)),
        ("x:pemkot", item("n3", "Banjir!", 3, author="akun-viral", followers=800, likes=3000, shares=2500)),
        ("x:pemkot", item("n4", "Banjir?", 4, author="biasa", followers=150, likes=3)),
    ])  # fmt: skip
    triage.update(cache, now_ms=ms(5))
    found = {s.name: s for s in kol.suggestions(cache)}
    assert set(found) == {"Kabar Kota News", "Fraksi Dprd Kota", "Akun Viral"}
    news = found["Kabar Kota News"]
    assert news.kind == "journalist" and news.reason == "182,000 followers; verified account"
    assert found["Fraksi Dprd Kota"].kind == "official"
    assert found["Akun Viral"].kind == "influencer"
    assert found["Akun Viral"].reason == "past reach: 1 recent items drew 5,500 likes, shares and replies"
    assert next(s.name for s in kol.suggestions(cache)) == "Kabar Kota News"  # the strongest first

    assert kol.dismiss_suggestion(cache, None, found["Akun Viral"].contact_id)
    kol.mark_kol(cache, None, news.contact_id, news.kind)
    assert [s.name for s in kol.suggestions(cache)] == ["Fraksi Dprd Kota"]
    feed.write([("x:pemkot", item("n5", "Banjir lagi dan lagi", 6, author="akun-viral", followers=900, likes=4000))])
    triage.update(cache, now_ms=ms(7))
    assert [s.name for s in kol.suggestions(cache)] == ["Fraksi Dprd Kota"]  # dismissed stays dismissed


def test_linking_needs_two_existing_contacts(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([("x:pemkot", item("a", "halo", 1, author="someone"))])
    with pytest.raises(kol.KolRefused, match="at least two"):
        kol.link_identities(cache, None, [_contact(cache, "someone")])
    with pytest.raises(kol.KolRefused, match="no longer exist"):
        kol.link_identities(cache, None, [_contact(cache, "someone"), 999])
