"""Grouping items into issues: the pairwise rules, the same partition whatever the order of
arrival, the guards against chaining, hand corrections respected later, and the cost of a run
with nothing new."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from test_triage_support import Feed, at, issue_of, item, item_id, ms, partition

from omniinbox import triage
from omniinbox.core import ItemKind, Role, User
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import issues as store
from omniinbox.store.accounts import add_user, get_user
from omniinbox.store.cache import Cache
from omniinbox.triage import actions, grouping
from omniinbox.triage import settings as triage_settings
from omniinbox.triage.engine import features_of
from omniinbox.triage.grouping import ItemFeatures, edge_reason

HOUR = 3_600_000
WINDOW = 24 * HOUR


def features(n: int, **changes: object) -> ItemFeatures:
    base = ItemFeatures(
        item_id=n, created_ms=ms(n), conversation_id=n, external_id=f"e{n}", parent_ref=None, flags=0,
        terms=(), hashtags=frozenset(), links=frozenset(), simhash=None,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ the rules


def test_three_shared_key_terms_join_two_unrelated_threads() -> None:
    a = features(1, terms=("sukalay", "antre", "ktp", "error"))
    assert edge_reason(a, features(2, terms=("ktp", "antre", "sukalay")), WINDOW) == "terms"
    assert edge_reason(a, features(3, terms=("ktp", "antre", "pajak")), WINDOW) is None


def test_two_shared_terms_join_only_with_a_name_in_a_burst_and_not_praise_with_complaint() -> None:
    a = features(1, terms=("sukalay", "down", "cuti"), names=frozenset({"sukalay"}))
    b = features(30, terms=("sukalay", "down", "queue"))
    assert edge_reason(a, b, WINDOW) == "terms+name"
    assert edge_reason(a, replace(b, created_ms=a.created_ms + 4 * HOUR), WINDOW) is None
    assert edge_reason(replace(a, names=frozenset()), b, WINDOW) is None
    praise = replace(b, flags=grouping.FLAG_PRAISE_WORDS)
    complaint = replace(a, flags=grouping.FLAG_COMPLAINT_WORDS)
    assert edge_reason(complaint, praise, WINDOW) is None


def test_threads_replies_hashtags_links_and_near_duplicates_join() -> None:
    private = grouping.FLAG_PRIVATE_THREAD
    assert edge_reason(features(1, flags=private, conversation_id=9), features(2, flags=private, conversation_id=9),
                       WINDOW) == "thread"  # fmt: skip
    parent = features(1, conversation_id=9)
    child = features(2, conversation_id=9, parent_ref="e1")
    assert edge_reason(parent, child, WINDOW) == "reply"
    assert edge_reason(features(1, hashtags=frozenset({"airmati"})), features(2, hashtags=frozenset({"airmati"})),
                       WINDOW) == "hashtag"  # fmt: skip
    assert edge_reason(features(1, links=frozenset({"kabar.id/b/1"})), features(2, links=frozenset({"kabar.id/b/1"})),
                       WINDOW) == "link"  # fmt: skip
    assert edge_reason(features(1, simhash=0b1011), features(2, simhash=0b0010), WINDOW) == "near-duplicate"
    assert edge_reason(features(1, simhash=0b1111), features(2, simhash=0), WINDOW) is None


def test_guards_our_messages_spam_and_the_window() -> None:
    ours = grouping.FLAG_OUTBOUND
    canned = ("tindak", "lanjut", "laporan")
    # two canned answers of ours, or our answer and a citizen's text, never join by words
    assert edge_reason(features(1, flags=ours, terms=canned), features(2, flags=ours, terms=canned), WINDOW) is None
    assert edge_reason(features(1, flags=ours, terms=canned), features(2, terms=canned), WINDOW) is None
    # a comment under our post is not joined to the post, but our reply joins the comment it answers
    post = features(1, flags=ours, conversation_id=9)
    comment = features(2, conversation_id=9, parent_ref="e1")
    assert edge_reason(post, comment, WINDOW) is None
    assert edge_reason(comment, features(3, flags=ours, conversation_id=9, parent_ref="e2"), WINDOW) == "reply"
    spam = grouping.FLAG_SPAM
    tags = frozenset({"promo"})
    assert edge_reason(features(1, flags=spam, hashtags=tags), features(2, hashtags=tags), WINDOW) is None
    far = features(2, hashtags=frozenset({"airmati"}), created_ms=ms(1) + WINDOW + 1)
    assert edge_reason(features(1, hashtags=frozenset({"airmati"})), far, WINDOW) is None


def test_every_pair_the_rules_join_is_found_by_its_lookups() -> None:
    rng = random.Random(3)
    vocabulary = [f"w{n}" for n in range(12)]
    pool = []
    for n in range(120):
        terms = tuple(rng.sample(vocabulary, rng.randint(0, 6)))
        pool.append(
            features(
                n,
                created_ms=ms(0) + rng.randrange(0, 8 * HOUR),
                terms=terms,
                names=frozenset(t for t in terms if rng.random() < 0.3),
                hashtags=frozenset(rng.sample(["a", "b", "c", "d", "e"], rng.randint(0, 1))),
                simhash=rng.getrandbits(64) if rng.random() < 0.3 else None,
                flags=rng.choice([0, 0, grouping.FLAG_PRAISE_WORDS, grouping.FLAG_COMPLAINT_WORDS]),
                conversation_id=rng.randrange(40),
            )
        )
    joined = 0
    for a in pool:
        p = grouping.probe(a)
        for b in pool:
            if a is b or a.conversation_id == b.conversation_id or edge_reason(a, b, WINDOW) is None:
                continue
            joined += 1
            postings = set(grouping.lookup_keys(b))
            window_hits = [k for k in p.window if k in postings]
            burst_hit = bool(set(p.burst) & postings)
            within = abs(a.created_ms - b.created_ms) <= grouping.BURST_MS
            assert grouping.is_candidate(p, window_hits, burst_hit, within), (a, b, edge_reason(a, b, WINDOW))
    assert joined > 100  # the pool exercises the rules


# ------------------------------------------------------------------------------------ order of arrival


def _corpus() -> list[tuple[str, object]]:
    """Hand-made subjects with every kind of edge, decoys, spam, our canned answers, and random
    traffic of the synthetic generator over the same hours."""
    e: list[tuple[str, object]] = []
    x, fb, zd, mail = "x:pemkot", "facebook:pemkot", "zendesk:pemkot", "email:layanan"
    # water outage: words, hashtag, a comment thread under our post, tickets, mails, English
    e += [(fb, item("post-air", "Info jadwal distribusi air bersih pekan ini", 0, kind=ItemKind.POST, outbound=True))]
    for n, text in enumerate([
        "Air PDAM mati sejak subuh di Kelurahan Mawar, tolong dicek #AirMati",
        "pdam mati lg, air gak ngalir dari pagi di kel mawar",
        "Sudah 2 hari air PDAM tidak mengalir di Mawar, parah",
        "#AirMati di Mawar sampai siang belum ada info",
        "PDAM water has been off since dawn in Mawar, any update?",
    ]):  # fmt: skip
        e.append((x, item(f"air-x{n}", text, 10 + 7 * n)))
    for n, text in enumerate(["Air mati min di Mawar dari subuh", "Iya di Mawar juga air mati, PDAM gimana ini"]):
        e.append((fb, item(f"air-fb{n}", text, 20 + 5 * n, kind=ItemKind.COMMENT, thread="post-air",
                           parent="post-air")))  # fmt: skip
    e.append((fb, item("air-fb-reply", "Sama, air PDAM mati juga", 31, kind=ItemKind.REPLY, thread="post-air",
                       parent="air-fb1")))  # fmt: skip
    e.append((zd, item("air-tiket", "Air PDAM tidak mengalir sejak subuh di Kelurahan Mawar", 40,
                       kind=ItemKind.TICKET, subject="Air mati")))  # fmt: skip
    e.append((zd, item("air-tiket-c", "Sampai sekarang belum ada perubahan", 70, kind=ItemKind.TICKET_COMMENT,
                       thread="air-tiket")))  # fmt: skip
    e.append((zd, item("air-tiket-ours", "Terima kasih atas laporannya, kami tindak lanjuti", 75,
                       kind=ItemKind.TICKET_COMMENT, thread="air-tiket", outbound=True)))  # fmt: skip
    e.append((mail, item("air-mail", "Yth PDAM, air di Kelurahan Mawar mati sejak subuh. Mohon segera diperbaiki.",
                         55, kind=ItemKind.EMAIL, subject="Air PDAM mati")))  # fmt: skip
    # a damaged road, tied by a news link carrying different tracking parameters
    e.append((x, item("jalan-1", "Jalan rusak parah https://kabar.id/berita/jalan-melati?utm_source=tw", 15)))
    e.append((x, item("jalan-2", "Ini beritanya https://www.kabar.id/berita/jalan-melati/?fbclid=xyz", 45)))
    e.append((fb, item("jalan-3", "lihat www.kabar.id/berita/jalan-melati", 80, kind=ItemKind.COMMENT)))
    # praise of the vaccination day, and a copied hoax about it (near duplicates)
    for n, text in enumerate([
        "Terima kasih Puskesmas Melati, vaksinasi anak cepat dan petugas ramah",
        "Vaksinasi anak di Puskesmas Melati lancar, petugasnya ramah banget",
    ]):  # fmt: skip
        e.append((x, item(f"vaksin-ok{n}", text, 100 + 10 * n)))
    for n, suffix in enumerate(["", "!!", " Sebarkan!!"]):
        e.append((x, item(f"hoaks{n}", f"Katanya vaksin di Puskesmas Melati kedaluwarsa, anak-anak jadi demam{suffix}",
                          110 + 3 * n)))  # fmt: skip
    # decoys: one shared word each, generic hashtags, the same words two days later
    e.append((x, item("decoy-1", "Air mancur taman kota bagus #LayananPublik", 33)))
    e.append((x, item("decoy-2", "Pajak kendaraan bisa dibayar online? #LayananPublik", 34)))
    e.append((x, item("late-air", "Air PDAM mati lagi di Kelurahan Mawar, tolong dicek #AirMati", 60 * 50)))
    # spam flood, and our canned answer everywhere
    for n in range(4):
        e.append((x, item(f"spam{n}", "Dana cepat cair tanpa jaminan, klik link di bio!!!", 50 + n, followers=3)))
    for n, answered in enumerate(["air-x0", "jalan-1", "vaksin-ok0", "decoy-2"]):
        e.append((x, item(f"ours{n}", "Terima kasih atas laporannya, kami tindak lanjuti", 90 + n, outbound=True,
                          thread=answered, parent=answered, kind=ItemKind.REPLY)))  # fmt: skip
    # random traffic over the same hours
    for n, gen in enumerate(generate_items(120, seed=5, start=at(0), span=at(300) - at(0), threads=60, authors=40,
                                           prefix="rnd", with_payload=False)):  # fmt: skip
        e.append(("x:pemkot" if n % 2 else "instagram:pemkot", gen))
    return e


def _arrive(tmp_path: Path, name: str, entries: list[tuple[str, object]], rng: random.Random | None) -> Cache:
    cache = Cache.open(tmp_path / f"{name}.sqlite")
    triage_settings.save(cache, None, {"generic_terms": ["kota"]})
    feed = Feed(cache)
    order = list(entries)
    if rng is not None:
        rng.shuffle(order)
    now = ms(60 * 60)
    n = 0
    while n < len(order):
        size = rng.randint(1, 12) if rng is not None else len(order)
        feed.write(order[n : n + size])  # type: ignore[arg-type]
        triage.update(cache, now_ms=now, batch=rng.choice([3, 50, 1000]) if rng is not None else 1000)
        n += size
    return cache


def test_the_same_issues_whatever_the_order_of_arrival(tmp_path: Path) -> None:
    entries = _corpus()
    reference = _arrive(tmp_path, "in-order", entries, None)
    expected = partition(reference)
    try:
        # the incremental result is the rule applied to every pair
        rows = store.feature_rows(reference, [r[0] for r in reference.conn.execute("SELECT item_id FROM triage_items")])
        names = dict(reference.conn.execute("SELECT id, external_id FROM items"))
        pairwise = {frozenset(names[i] for i in g) for g in grouping.partition([features_of(r) for r in rows], WINDOW)}
        assert expected == pairwise
        # the subjects came out as intended
        water = next(g for g in expected if "air-x0" in g)
        assert {"air-x1", "air-x2", "air-x3", "air-x4", "air-fb0", "air-fb1", "air-fb-reply", "air-tiket",
                "air-tiket-c", "air-tiket-ours", "air-mail", "ours0"} <= water  # fmt: skip
        assert not water & {"post-air", "decoy-1", "late-air", "jalan-1", "hoaks0", "vaksin-ok0", "spam0"}
        assert {"jalan-1", "jalan-2", "jalan-3", "ours1"} in expected
        assert {"hoaks0", "hoaks1", "hoaks2"} <= next(g for g in expected if "hoaks0" in g)
        assert not any("spam0" in g for g in expected)
        # the same canned answer in four places does not chain them: each joins what it answers
        assert not any(len({"ours0", "ours1", "ours2", "ours3"} & g) > 1 for g in expected)
        assert {"decoy-2", "ours3"} in expected
    finally:
        reference.close()
    for seed in (1, 2, 3, 4, 5):
        shuffled = _arrive(tmp_path, f"seed-{seed}", entries, random.Random(seed))
        try:
            assert partition(shuffled) == expected, f"seed {seed}"
        finally:
            shuffled.close()


# ------------------------------------------------------------------------------------ runs


def test_a_run_with_nothing_new_reads_and_writes_nothing(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([("x:pemkot", item("a", "Air PDAM mati di Kelurahan Mawar #AirMati", 1)),
                ("x:pemkot", item("b", "Di Mawar juga #AirMati", 2))])  # fmt: skip
    first = triage.update(cache, now_ms=ms(10))
    assert first.items_grouped == 2 and first.issues_created == 1
    seq = cache.last_seq()
    again = triage.update(cache, now_ms=ms(10))
    assert again.items_seen == 0 and again.issues_refreshed == 0
    assert cache.last_seq() == seq
    # an engagement change is read, refreshes the issue, groups nothing again
    feed.write([("x:pemkot", item("a", "Air PDAM mati di Kelurahan Mawar #AirMati", 1, likes=40))])
    changed = triage.update(cache, now_ms=ms(10))
    assert (changed.items_seen, changed.items_grouped, changed.issues_refreshed) == (1, 0, 1)
    assert store.issue(cache, issue_of(cache, "a") or 0).engagement == 40  # type: ignore[union-attr]


def test_items_older_than_the_horizon_are_history_and_old_postings_are_forgotten(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([("x:pemkot", item("old", "Air PDAM mati #AirMati", 0)),
                ("x:pemkot", item("old-2", "Air mati lagi #AirMati", 5))])  # fmt: skip
    report = triage.update(cache, now_ms=ms(60 * 24 * 10))  # ten days later: beyond the 7-day horizon
    assert report.items_seen == 0 and report.items_grouped == 0  # a first run reads only the horizon
    assert cache.conn.execute("SELECT count(*) FROM triage_items").fetchone()[0] == 0

    feed.write([("x:pemkot", item("new", "Air PDAM mati #AirMati", 60 * 24 * 10)),
                ("x:pemkot", item("lone", "Sekadar bertanya jam buka perpustakaan", 60 * 24 * 10 + 1))])  # fmt: skip
    triage.update(cache, now_ms=ms(60 * 24 * 10 + 2))
    assert cache.conn.execute("SELECT count(*) FROM triage_keys").fetchone()[0] > 0
    again = triage.update(cache, since_seq=0, now_ms=ms(60 * 24 * 10 + 2))  # everything read again
    assert again.history == 2 and again.items_grouped == 0
    later = triage.update(cache, since_seq=0, now_ms=ms(60 * 24 * 20))  # the clock moves on ten days
    assert later.purged == 2
    assert cache.conn.execute("SELECT count(*) FROM triage_keys").fetchone()[0] == 0
    assert cache.conn.execute("SELECT count(*) FROM triage_items").fetchone()[0] == 0  # neither is in an issue


# ------------------------------------------------------------------------------------ hand corrections


def _supervisor(cache: Cache) -> User:
    return get_user(cache, "spv") or add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)


def _two_subjects(feed: Feed) -> None:
    feed.write([
        ("x:pemkot", item("w1", "Air PDAM mati di Kelurahan Mawar sejak subuh", 1)),
        ("x:pemkot", item("w2", "Kelurahan Mawar air PDAM mati total", 2)),
        ("x:pemkot", item("w3", "PDAM Mawar mati lagi, air tidak mengalir", 3)),
        ("x:pemkot", item("r1", "Jalan Melati rusak parah, banyak lubang besar", 4)),
        ("x:pemkot", item("r2", "Lubang besar di Jalan Melati belum ditambal", 5)),
    ])  # fmt: skip
    triage.update(feed.cache, now_ms=ms(10))


def test_split_issues_stay_apart_when_new_items_relate_to_both(cache: Cache) -> None:
    feed = Feed(cache)
    _two_subjects(feed)
    water = issue_of(cache, "w1")
    assert water is not None and issue_of(cache, "w3") == water
    new = actions.split_issue(cache, _supervisor(cache), water, [item_id(cache, "w3")], now_ms=ms(10))
    assert issue_of(cache, "w3") == new and issue_of(cache, "w1") == water
    trail = [r[2] for r in store.issue_audit(cache, water)]
    assert "issue.split" in trail
    # a new item sharing words with both sides joins the larger one, and does not re-merge them
    feed.write([("x:pemkot", item("w4", "Air PDAM Mawar mati, tidak mengalir sejak subuh", 6))])
    triage.update(cache, now_ms=ms(10))
    assert issue_of(cache, "w4") == water and issue_of(cache, "w3") == new


def test_moved_items_stay_and_detached_items_join_nothing_again(cache: Cache) -> None:
    feed = Feed(cache)
    _two_subjects(feed)
    spv = _supervisor(cache)
    water, road = issue_of(cache, "w1"), issue_of(cache, "r1")
    assert water is not None and road is not None and water != road
    assert actions.move_items(cache, spv, [item_id(cache, "w2")], road, now_ms=ms(10)) == 1
    assert issue_of(cache, "w2") == road
    feed.write([("x:pemkot", item("w5", "Kelurahan Mawar air PDAM mati sejak subuh", 7))])
    triage.update(cache, now_ms=ms(10))
    assert issue_of(cache, "w5") in (water, road)
    assert issue_of(cache, "w1") != issue_of(cache, "r1")  # kept apart

    assert actions.detach_items(cache, spv, [item_id(cache, "r2")], now_ms=ms(10)) == 1
    feed.write([("x:pemkot", item("r3", "Lubang besar di Jalan Melati belum ditambal juga", 8))])
    triage.update(cache, now_ms=ms(10))
    assert issue_of(cache, "r2") is None


def test_merged_issues_become_one_and_the_merge_is_audited(cache: Cache) -> None:
    feed = Feed(cache)
    _two_subjects(feed)
    water, road = issue_of(cache, "w1"), issue_of(cache, "r1")
    assert water is not None and road is not None
    kept = actions.merge_issues(cache, _supervisor(cache), [road, water], now_ms=ms(10))
    assert kept == water  # the larger
    assert {issue_of(cache, e) for e in ("w1", "w2", "w3", "r1", "r2")} == {water}
    gone = store.issue(cache, road)
    assert gone is not None and gone.status == "merged" and gone.merged_into == water
    assert store.final_issue(cache, road).id == water  # type: ignore[union-attr]
    assert any(r[2] == "issue.merge_by_hand" for r in store.issue_audit(cache, water))
    with pytest.raises(actions.IssueRefused, match="merged into"):
        actions.merge_issues(cache, _supervisor(cache), [road, water])
