"""Measures and levels on the demo's scenarios and on hand-made cases: a complaint turning viral
becomes one issue across platforms and tickets, reaches level 2 at the first key opinion leader's
message and level 3 when the public picks it up (must answer: deadline, supervisors notified);
floods are kept out of the counts; thresholds are stored in the cache and editable."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from test_triage_support import START, Feed, issue_of, item, item_id, ms, play, scenario_feed

from omniinbox import triage
from omniinbox.core import Author, ItemKind, Role, to_millis
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.store import issues as store
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.triage import kol, radar
from omniinbox.triage import settings as triage_settings

OUTAGE_WAVES = (
    "x-publik", "leader-publik", "fb-publik", "ig-publik", "yt-publik", "mastodon-publik", "tg-publik",
    "zendesk-tiket", "freshdesk-tiket", "zammad-tiket", "chatwoot-wa", "email-warga",
)  # fmt: skip
OUTAGE_EVENTS = ("awal", "awal-2", "kol-kabar", "kol-info-warga", "kol-dewan", "kabar-fb", "email-langganan")


def _kabar_is_a_registered_journalist(cache: Cache, feed: Feed) -> None:
    """Kabar Sukamaju wrote the day before about something else; the team registered it."""
    scenario = scenario_named("viral-outage")
    person = scenario.people["kabar"]
    earlier = replace(
        item("kabar-kemarin", "Festival kuliner Sukamaju Timur ramai pengunjung", -24 * 60),
        author=Author("x:kabar", person.name, person.handle_on("x"), person.followers, person.verified),
    )
    feed.write([("x:x-inst", earlier)])
    contact = cache.conn.execute("SELECT id FROM contacts WHERE external_id = 'x:kabar'").fetchone()[0]
    kol.mark_kol(cache, None, contact, "journalist", note="redaksi media lokal")


def _authors_within(cache: Cache, issue_id: int, end_ms: int, hours: float) -> tuple[int, int]:
    """Distinct authors and channels of the public's items in the issue in the hours up to
    ``end_ms``, counted straight from the rows (not from the measures)."""
    row = cache.conn.execute(
        "SELECT count(DISTINCT i.contact_id), count(DISTINCT a.channel) FROM triage_items t"
        " JOIN items i ON i.id = t.item_id JOIN accounts a ON a.id = i.account_id"
        " WHERE t.issue_id = ? AND i.direction = 'in' AND (t.flags & 2) = 0 AND i.created_at BETWEEN ? AND ?",
        (issue_id, end_ms - int(hours * 3_600_000), end_ms),
    ).fetchone()
    return int(row[0]), int(row[1])


def test_a_complaint_turning_viral_is_one_issue_that_escalates_as_the_public_picks_it_up(cache: Cache) -> None:
    triage_settings.save(cache, None, {"kol_followers_auto": 0})  # only the registry makes a KOL here
    feed, entries = scenario_feed(cache, "viral-outage", "good-news")
    _kabar_is_a_registered_journalist(cache, feed)
    levels_after: dict[str, int] = {}
    for key, it in entries:
        play(feed, [(key, it)])
        issue = store.issue(cache, issue_of(cache, "awal") or 0)
        levels_after[it.external_id] = issue.level if issue else 0

    issue_id = issue_of(cache, "awal")
    assert issue_id is not None
    issue = store.issue(cache, issue_id)
    assert issue is not None
    members = {
        r[0]
        for r in cache.conn.execute(
            "SELECT i.external_id FROM triage_items t JOIN items i ON i.id = t.item_id WHERE t.issue_id = ?",
            (issue_id,),
        )
    }
    # one issue across platforms and the contact center
    channels = set(issue.measures["channels"])
    assert {"x", "facebook", "instagram", "zendesk", "email", "freshdesk", "zammad", "chatwoot", "telegram"} <= channels
    assert set(OUTAGE_EVENTS) <= members
    outage = {it.external_id for _k, it in entries if it.external_id.rsplit("-", 1)[0] in OUTAGE_WAVES}
    assert len(outage & members) >= 0.85 * len(outage), sorted(outage - members)
    assert not members & {"spam-1", "fb-post-jadwal", "leader-post", "kabar-pujian", "rt-terima-kasih"}
    assert not any(m.startswith("pujian") for m in members)  # the good news of the same morning stays apart
    satellites = {issue_of(cache, e) for e in outage - members} - {None}
    assert all(store.issue(cache, s).counted_items < issue.counted_items / 10 for s in satellites)  # type: ignore[union-attr]
    praise = store.issue(cache, issue_of(cache, "pujian-0") or 0)
    assert praise is not None and praise.id != issue_id and praise.level >= 1

    # level 2 exactly when the first key opinion leader wrote, level 3 when the public picked it up
    order = [it.external_id for _k, it in entries]
    assert levels_after[order[order.index("kol-kabar") - 1]] < 2 and levels_after["kol-kabar"] == 2
    first_3 = next(e for e in order if levels_after.get(e, 0) == 3)
    before_3 = order[order.index(first_3) - 1]
    when_3 = next(to_millis(it.created_at) or 0 for _k, it in entries if it.external_id == first_3)
    authors, spread = _authors_within(cache, issue_id, when_3, 2)
    assert authors >= 20 and spread >= 2
    assert levels_after[before_3] == 2
    assert order.index(first_3) > order.index("kol-kabar")
    assert re.fullmatch(r"3 because \d+ distinct authors in 2 hours on \d+ channels", issue.level_reason)
    assert "Kabar Sukamaju (journalist, x)" in issue.measures["levels"]["2"]
    assert issue.measures["level_event_at"]["2"] == ms(45)

    # must answer: a deadline, no owner yet, supervisors told
    assert issue.must_answer and issue.owner_id is None
    assert issue.level3_at is not None and issue.deadline_at == issue.level3_at + 60 * 60_000
    notes = store.notifications(cache, issue_id=issue_id)
    assert len(notes) == 1 and notes[0].role == "supervisor" and "must be answered" in notes[0].message
    top = radar.open_issues(cache)[0]
    assert top.id == issue_id and top.must_answer and top.kols >= 1
    counts = radar.counts(cache)
    assert counts["must_answer"] == 1 and counts["public_interest_authors"] == issue.authors

    # the measures explain themselves
    m = issue.measures
    assert m["started_from"] == item_id(cache, "awal")
    assert "Wali Kota Sukamaju (akun pribadi) (x)" in m["leader_accounts"]
    assert "sukalayan" in [t for t, _n in m["key_terms"]]
    assert m["balance"]["suggested"]["protect"] > 5 * m["balance"]["suggested"]["promote"]
    assert "started from a mention on x by Rina Kusuma" in m["context"]
    assert "key opinion leader" in m["public_interest"] and "leans protect" in m["content"].lower()


def test_the_good_news_is_suggested_promote(cache: Cache) -> None:
    feed, entries = scenario_feed(cache, "good-news")
    play(feed, entries, each=10)
    suggested = dict(cache.conn.execute(
        "SELECT i.external_id, s.value FROM triage_suggestions s JOIN items i ON i.id = s.item_id"))  # fmt: skip
    assert suggested["rt-terima-kasih"] == "promote"
    assert suggested["kabar-pujian"] in ("promote", None)
    praise = [v for e, v in suggested.items() if e.startswith(("pujian", "surat-terima-kasih"))]
    assert praise.count("promote") >= 0.8 * len(praise)
    assert "protect" not in praise
    for summary in radar.open_issues(cache):
        balance = store.issue(cache, summary.id).measures["balance"]  # type: ignore[union-attr]
        assert balance["suggested"]["promote"] >= balance["suggested"]["protect"]
    main = store.issue(cache, issue_of(cache, "pujian-0") or 0)
    assert main is not None and main.counted_items >= 20
    balance = main.measures["balance"]["suggested"]
    assert balance["promote"] > 2 * balance["protect"]
    assert "leans promote" in main.measures["content"].lower()


def test_a_flood_of_the_same_text_from_new_accounts_is_kept_out_of_the_counts(cache: Cache) -> None:
    feed = Feed(cache)
    genuine = [
        item("g1", "Air PDAM mati di Kelurahan Mawar sejak subuh", 1, followers=800),
        item("g2", "Kelurahan Mawar air PDAM mati total dari pagi", 2, followers=120),
        item("g3", "PDAM Mawar mati lagi, air tidak mengalir", 3, followers=None),
    ]
    flood = [
        item(f"f{n}", "Air PDAM mati di Mawar gara-gara pejabatnya korupsi, bongkar semua!", 4 + n / 10, followers=n)
        for n in range(8)
    ]
    feed.write([("x:pemkot", i) for i in genuine + flood])
    triage.update(cache, now_ms=ms(10))
    issue_id = issue_of(cache, "g1")
    assert issue_id is not None and issue_of(cache, "f0") == issue_id
    issue = store.issue(cache, issue_id)
    assert issue is not None
    assert issue.items == 11 and issue.counted_items == 3 and issue.authors == 3
    assert sorted(issue.measures["flood_items"]) == sorted(item_id(cache, f"f{n}") for n in range(8))
    assert "kept out: 8 flood items" in issue.measures["public_interest"]
    flags = cache.conn.execute("SELECT flags & 8 FROM triage_items WHERE item_id = ?", (item_id(cache, "f3"),))
    assert flags.fetchone()[0] == 8


def test_engagement_alone_can_make_public_interest(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([
        ("x:pemkot", item("e1", "Banjir setinggi lutut di Jalan Kenanga, warga terjebak", 1, likes=9000, shares=4000)),
        ("x:pemkot", item("e2", "Jalan Kenanga banjir lagi, warga terjebak di rumah", 2, likes=8000, shares=5000)),
    ])  # fmt: skip
    triage.update(cache, now_ms=ms(3))
    issue = store.issue(cache, issue_of(cache, "e1") or 0)
    assert issue is not None and issue.level == 3
    assert issue.level_reason == "3 because 26,000 likes, shares and replies (threshold 25,000)"


def test_thresholds_are_stored_in_the_cache_and_only_supervisors_change_them(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([("x:pemkot", item(f"t{n}", f"Lampu jalan Jl. Melati mati sejak malam nomor {n}", n, author=f"w{n}"))
                for n in range(6)])  # fmt: skip
    triage.update(cache, now_ms=ms(10))
    issue_id = issue_of(cache, "t0") or 0
    assert store.issue(cache, issue_id).level == 1  # type: ignore[union-attr]
    agent = add_user(cache, "agent", "Agent", Role.AGENT)
    with pytest.raises(triage_settings.SettingsRefused, match="supervisor"):
        triage_settings.save(cache, agent, {"public_authors": 5})
    with pytest.raises(triage_settings.SettingsRefused, match="unknown setting"):
        triage_settings.save(cache, None, {"public_people": 5})
    with pytest.raises(triage_settings.SettingsRefused, match="number"):
        triage_settings.save(cache, None, {"public_authors": "many"})
    supervisor = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)
    saved = triage_settings.save(cache, supervisor, {"public_authors": 5, "public_channels": 1, "public_hours": 1})
    assert (saved.public_authors, saved.public_channels) == (5, 1)
    assert triage_settings.load(cache).public_hours == 1.0
    assert cache.conn.execute("SELECT count(*) FROM audit_events WHERE action = 'triage.setting'").fetchone()[0] == 3
    triage.update(cache, now_ms=ms(10))  # the open issues are re-assessed with the new thresholds
    issue = store.issue(cache, issue_id)
    assert issue is not None and issue.level == 3
    assert issue.level_reason == "3 because 6 distinct authors in 1 hour on 1 channel"


def test_levels_stay_when_the_conversation_cools_down_and_deadlines_follow_the_setting(cache: Cache) -> None:
    triage_settings.save(cache, None, {"public_authors": 3, "public_channels": 1, "answer_deadline_minutes": 30})
    feed = Feed(cache)
    feed.write(
        [("x:pemkot", item(f"c{n}", "Sampah di depan Pasar Baru belum diangkut tiga hari", n)) for n in range(3)]
    )
    triage.update(cache, now_ms=ms(5))
    issue = store.issue(cache, issue_of(cache, "c0") or 0)
    assert issue is not None and issue.level == 3 and issue.deadline_at == ms(5) + 30 * 60_000
    later = START + timedelta(days=2)
    feed.write([("x:pemkot", item("c9", "Sampah Pasar Baru sudah diangkut, terima kasih", 2 * 24 * 60 - 600))])
    triage.update(cache, now_ms=to_millis(later))
    again = store.issue(cache, issue.id)
    assert again is not None and again.level == 3 and again.deadline_at == issue.deadline_at


def test_an_issue_needs_two_authors(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([("x:pemkot", item(f"s{n}", "Lampu jalan Jl. Melati mati, tolong dicek", n, author="same",
                                  kind=ItemKind.MENTION)) for n in range(4)])  # fmt: skip
    triage.update(cache, now_ms=ms(10))
    issue = store.issue(cache, issue_of(cache, "s0") or 0)
    assert issue is not None and issue.level == 0 and not issue.visible
    assert issue.measures["levels"]["0"].startswith("4 items from 1 author")
    assert radar.open_issues(cache) == []
