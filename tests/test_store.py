"""The local cache: migrations, idempotent ingest, change sequence, keyset pages, search, actions."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from omniinbox.core import (
    Author,
    Channel,
    ConversationInfo,
    ConversationStatus,
    Engagement,
    Item,
    ItemKind,
    OwnerKind,
    Page,
    Role,
    SyncProblem,
    TagValue,
    Team,
)
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import actions, queries
from omniinbox.store.accounts import AccountExists, add_account, add_user, ensure_account, list_accounts
from omniinbox.store.cache import Cache
from omniinbox.store.compact import TRAIN_AFTER
from omniinbox.store.database import CacheError
from omniinbox.store.ingest import get_cursor, ingest_page, item_id_for, write_page
from omniinbox.store.migrations import MIGRATIONS

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _item(n: int, *, text: str = "", conversation: str = "t1", author: str = "u1", **kw: object) -> Item:
    return Item(
        external_id=f"m{n}",
        kind=ItemKind.COMMENT,
        text=text or f"pesan nomor {n} tentang layanan",
        conversation_id=conversation,
        created_at=T0 + timedelta(minutes=n),
        author=Author(external_id=author, name=f"Warga {author}", handle=f"@{author}", followers=10 * n),
        raw={"id": f"m{n}", "n": n},
        **kw,  # type: ignore[arg-type]
    )


def _dump(cache: Cache) -> dict[str, list[tuple[object, ...]]]:
    tables = ("items", "conversations", "contacts", "url_prefixes", "payload_dictionaries", "sync_cursors", "meta")
    return {t: cache.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def test_new_cache_is_owner_only_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cache.sqlite"
    with Cache.open(path) as cache:
        assert cache.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert [m.name for m in MIGRATIONS.applied(cache.db)] == [m.name for m in MIGRATIONS._migrations]


def test_reopening_applies_nothing_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with Cache.open(path) as cache:
        account = ensure_account(cache, "x:inst", Channel.X, "Institution")
        ingest_page(cache, account, "mentions", Page(items=[_item(1)], next_cursor="c1"))
    with Cache.open(path) as cache:
        assert queries.stats(cache)["items"] == 1
    assert not list(tmp_path.glob("*.bak")), "no backup without a pending migration"


def test_pending_migration_backs_up_first(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with Cache.open(path) as cache:
        ensure_account(cache, "x:inst", Channel.X, "Institution")

    @MIGRATIONS(name="m999_test_only")
    def _extra(db: object) -> None:
        db.execute("CREATE TABLE extra (x)")  # type: ignore[attr-defined]

    try:
        with Cache.open(path) as cache:
            assert cache.conn.execute("SELECT count(*) FROM extra").fetchone()[0] == 0
        backups = list(tmp_path.glob("cache.sqlite.*.before-m999_test_only.bak"))
        assert len(backups) == 1
        assert stat.S_IMODE(os.stat(backups[0]).st_mode) == 0o600
        with sqlite3.connect(backups[0]) as old:
            assert old.execute("SELECT key FROM accounts").fetchall() == [("x:inst",)]
    finally:
        MIGRATIONS._migrations = [m for m in MIGRATIONS._migrations if m.name != "m999_test_only"]


def test_a_file_that_is_not_a_cache_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n" * 100)
    with pytest.raises(CacheError, match=r"not a usable OmniInbox cache|cannot open"):
        Cache.open(path)
    assert path.read_text().startswith("my notes")


def test_ingest_is_idempotent_and_replay_changes_nothing(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    page = Page(items=[_item(n, conversation=f"t{n % 3}") for n in range(50)], next_cursor="after-50", has_more=False)
    first = ingest_page(cache, account, "mentions", page)
    assert first.items_written == 50
    before = _dump(cache)
    again = ingest_page(cache, account, "mentions", page)
    assert again.items_written == 0 and again.items_unchanged == 50
    assert _dump(cache) == before
    assert get_cursor(cache, account.id, "mentions") == "after-50"


def test_changed_item_is_updated_not_duplicated_and_search_follows(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    ingest_page(cache, account, "s", Page(items=[_item(1, text="antrean panjang di kantor")]))
    seq_before = cache.last_seq()
    edited = dataclasses.replace(
        _item(1, text="antrean sudah lancar"), engagement=Engagement(likes=7), edited_at=T0 + timedelta(hours=1)
    )
    result = ingest_page(cache, account, "s", Page(items=[edited]))
    assert result.items_written == 1
    assert cache.conn.execute("SELECT count(*), max(likes), max(text) FROM items").fetchone() == (
        1,
        7,
        "antrean sudah lancar",
    )
    assert queries.search(cache, "panjang") == []
    assert len(queries.search(cache, "lancar")) == 1
    assert cache.last_seq() > seq_before
    assert cache.changes_since(seq_before)["items"] == 1
    assert cache.integrity_problems() == []


def test_duplicate_in_one_page_keeps_the_later_copy(cache: Cache) -> None:
    account = ensure_account(cache, "yt:inst", Channel.YOUTUBE, "Channel")
    older, newer = _item(1, text="versi lama"), dataclasses.replace(_item(1, text="versi baru"))
    ingest_page(cache, account, "s", Page(items=[older, newer]))
    assert cache.conn.execute("SELECT text FROM items").fetchall() == [("versi baru",)]


def test_colliding_time_ordered_ids_take_the_slow_path(cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two new items whose ids collide (same millisecond, same hash bits) are both kept."""
    import omniinbox.store.ingest as ingest

    monkeypatch.setattr(ingest, "item_ids_for", lambda account, keys: [ms << ingest.ID_HASH_BITS for ms, _ext in keys])
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    same_time = [dataclasses.replace(_item(n), created_at=T0) for n in range(5)]
    assert ingest_page(cache, account, "s", Page(items=same_time)).items_written == 5
    assert cache.conn.execute("SELECT count(DISTINCT id) FROM items").fetchone()[0] == 5
    assert len(queries.search(cache, "layanan")) == 5
    assert cache.integrity_problems() == []


def test_conversation_span_subject_and_status(cache: Cache) -> None:
    account = ensure_account(cache, "zendesk:cs", Channel.ZENDESK, "Helpdesk")
    items = [_item(5, conversation="T9"), _item(2, conversation="T9"), _item(9, conversation="T9")]
    info = ConversationInfo("T9", ItemKind.TICKET, subject="e-KTP belum jadi", status=ConversationStatus.PENDING)
    ingest_page(cache, account, "tickets", Page(items=items, conversations=[info]))
    row = cache.conn.execute(
        "SELECT subject, status, team, first_item_at, last_item_at FROM conversations WHERE external_id = 'T9'"
    ).fetchone()
    assert row[:3] == ("e-KTP belum jadi", "pending", "contact_center")
    assert row[4] - row[3] == 7 * 60 * 1000
    # a later page widens the span and does not undo a status the page does not mention
    ingest_page(cache, account, "tickets", Page(items=[_item(20, conversation="T9")]))
    status, last = cache.conn.execute("SELECT status, last_item_at FROM conversations").fetchone()
    assert status == "pending" and last == row[4] + 11 * 60 * 1000


def test_older_pages_never_roll_a_profile_back(cache: Cache) -> None:
    """Followers are taken from the newest item that carries the author; a later page of older
    items (an import of an archive, a replay after a newer sync) changes nothing."""
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    ingest_page(cache, account, "s", Page(items=[_item(5), _item(9)]))  # followers 50, then 90
    assert cache.conn.execute("SELECT followers FROM contacts").fetchone() == (90,)
    seq = cache.last_seq()
    ingest_page(cache, account, "s", Page(items=[_item(5)]))
    ingest_page(cache, account, "archive", Page(items=[_item(2), _item(3)]))  # older: 20, 30
    assert cache.conn.execute("SELECT followers FROM contacts").fetchone() == (90,)
    assert cache.changes_since(seq).get("contacts", 0) == 0
    ingest_page(cache, account, "s", Page(items=[_item(12)]))  # newer: 120
    assert cache.conn.execute("SELECT followers FROM contacts").fetchone() == (120,)


def _payloads(cache: Cache) -> dict[str, tuple[int, bytes]]:
    sql = "SELECT external_id, id, payload FROM items WHERE payload IS NOT NULL"
    return {ext: (item_id, blob) for ext, item_id, blob in cache.conn.execute(sql)}


def test_payload_round_trip_small_and_large(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    big = {"text": "x" * 5000, "emoji": "🙏", "big_int": 2**70, "when": datetime(2026, 1, 2, tzinfo=UTC)}
    ingest_page(cache, account, "s", Page(items=[_item(1), dataclasses.replace(_item(2), raw=big)]))
    stored = _payloads(cache)
    assert queries.payload(cache, stored["m1"][0]) == {"id": "m1", "n": 1}
    assert queries.payload(cache, stored["m2"][0]) == {**big, "when": "2026-01-02 00:00:00+00:00"}
    assert len(stored["m2"][1]) < 200  # compressed
    assert queries.payload(cache, 12345) is None


def test_payload_text_is_stored_once_and_dictionaries_shrink_what_follows(cache: Cache) -> None:
    """The item's text is taken out of its payload; after TRAIN_AFTER payloads the account gets
    a dictionary, and later payloads of the same shape shrink to a fraction of their JSON."""
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    text = "Mohon informasi perpanjangan SIM keliling hari ini, terima kasih 🙏"

    def item(n: int) -> Item:
        raw = {"id": f"m{n}", "text": text, "author_id": f"u{n % 7}", "public_metrics": {"like_count": n % 5}}
        return dataclasses.replace(_item(n), text=text, raw=raw)

    ingest_page(cache, account, "s", Page(items=[item(n) for n in range(1, 11)]))
    first = _payloads(cache)["m1"]
    assert text.encode() not in first[1] and len(first[1]) < len(orjson.dumps(item(1).raw))
    assert queries.payload(cache, first[0])["text"] == text  # type: ignore[index]
    assert cache.conn.execute("SELECT count(*) FROM payload_dictionaries").fetchone()[0] == 0

    ingest_page(cache, account, "s", Page(items=[item(n) for n in range(11, 11 + TRAIN_AFTER)]))
    assert cache.conn.execute("SELECT account_id FROM payload_dictionaries").fetchall() == [(account.id,)]
    ingest_page(cache, account, "s", Page(items=[item(n) for n in range(1000, 1010)]))
    later = _payloads(cache)["m1005"]
    assert len(later[1]) < 30
    # every payload reads back, whichever dictionary (or none) wrote it, also on a fresh codec
    with Cache.open(cache.path) as other:  # type: ignore[arg-type]
        for ext, (item_id, _blob) in _payloads(cache).items():
            got = queries.payload(other, item_id)
            assert got["id"] == ext and got["text"] == text  # type: ignore[index]


def test_a_dictionary_trained_in_a_rolled_back_page_is_not_used(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    items = [dataclasses.replace(_item(n), raw={"id": f"m{n}", "k": "v" * (n % 9)}) for n in range(TRAIN_AFTER + 5)]
    with pytest.raises(RuntimeError), cache.write("sync") as tx:
        write_page(tx, account, "s", Page(items=items))
        assert tx.conn.execute("SELECT count(*) FROM payload_dictionaries").fetchone()[0] == 1
        raise RuntimeError("interrupted")
    assert cache.conn.execute("SELECT count(*) FROM payload_dictionaries").fetchone()[0] == 0
    ingest_page(cache, account, "s", Page(items=items[:3]))
    for _ext, (item_id, _blob) in _payloads(cache).items():
        assert queries.payload(cache, item_id) is not None


def test_problems_are_recorded_with_the_page(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    page = Page(items=[_item(1)], problems=[SyncProblem("tweet 9 has no text field", external_id="9")])
    ingest_page(cache, account, "s", page)
    assert cache.conn.execute("SELECT kind, reason, external_id FROM sync_problems").fetchall() == [
        ("payload", "tweet 9 has no text field", "9")
    ]


def test_keyset_pages_cover_everything_once_newest_first(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    items = list(generate_items(2_500, seed=3, threads=400))
    for start in range(0, len(items), 1000):
        ingest_page(cache, account, "s", Page(items=items[start : start + 1000]))
    seen: list[int] = []
    before = None
    while ids := queries.keyset_page(cache, before_id=before, limit=333):
        seen.extend(ids)
        before = ids[-1]
    assert len(seen) == len(set(seen)) == 2_500
    created = [r.created_at for r in queries.rows(cache, seen)]
    assert created == sorted(created, reverse=True)
    dms = queries.keyset_page(cache, queries.ItemFilter(kinds=("dm",)), limit=10_000)
    assert dms and all(r.kind == "dm" for r in queries.rows(cache, dms))


def test_search_is_newest_first_and_safe_for_any_input(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    items = [
        _item(1, text="Lampu jalan padam di Jalan Merdeka"),
        _item(2, text="lampu jalan sudah menyala, terima kasih"),
        _item(3, text="Pelayanan e-KTP cepat"),
    ]
    ingest_page(cache, account, "s", Page(items=items))
    hits = queries.rows(cache, queries.search(cache, "lampu"))
    assert [h.external_id for h in hits] == ["m2", "m1"]
    assert [h.external_id for h in queries.rows(cache, queries.search(cache, '"jalan padam"'))] == ["m1"]
    assert len(queries.search(cache, "lamp*")) == 2
    assert len(queries.search(cache, "padam OR cepat")) == 2
    assert queries.search(cache, "Warga") != []  # author names are indexed
    for hostile in ('"unbalanced', "AND OR NOT", "*", "(", "NEAR(", "a:b", "e-KTP", "'; DROP TABLE items; --"):
        try:
            queries.search(cache, hostile)  # a result, or a clear "empty search"; never an SQL error
        except queries.BadQuery as exc:
            assert "empty" in str(exc)
    with pytest.raises(queries.BadQuery):
        queries.search(cache, "   ")


def test_accounts_are_unique_and_listed(cache: Cache) -> None:
    add_account(cache, "x:gubernur", Channel.X, "Gubernur", owner_kind=OwnerKind.LEADER)
    with pytest.raises(AccountExists):
        add_account(cache, "x:gubernur", Channel.X, "Again")
    assert [(a.key, a.is_leader) for a in list_accounts(cache)] == [("x:gubernur", True)]


def test_actions_are_audited_and_sequenced(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    ingest_page(cache, account, "s", Page(items=[_item(1), _item(2, conversation="t2")]))
    officer = add_user(cache, "dewi", "Dewi", Role.SOCIAL_OFFICER, Team.SOCIAL)
    agent = add_user(cache, "agus", "Agus", Role.AGENT, Team.CONTACT_CENTER)
    ids = queries.keyset_page(cache)
    seq = cache.last_seq()
    assert actions.set_tag(cache, ids, Team.SOCIAL, TagValue.PROTECT, user_id=officer.id) == 2
    assert actions.set_tag(cache, ids, Team.SOCIAL, TagValue.PROTECT, user_id=officer.id) == 0  # no-op, no audit
    assert actions.set_tag(cache, ids[:1], Team.CONTACT_CENTER, TagValue.PROMOTE, user_id=agent.id) == 1
    row = queries.rows(cache, ids[:1])[0]
    assert row.tags == {"social": "protect", "contact_center": "promote"}
    conv = row.conversation_id
    assert actions.assign(cache, [conv], agent.id, user_id=officer.id) == 1
    actions.set_status(cache, [conv], ConversationStatus.PENDING, user_id=agent.id)
    actions.add_note(cache, conv, "Sudah dihubungi lewat telepon", user_id=agent.id)
    with pytest.raises(actions.ActionRefused):
        actions.add_note(cache, conv, "   ", user_id=agent.id)
    with pytest.raises(actions.ActionRefused):
        actions.set_status(cache, [conv], ConversationStatus.SNOOZED, user_id=agent.id)
    trail = actions.audit_trail(cache, f"conversation:{conv}")
    assert [e["action"] for e in trail] == ["conversation.assign", "conversation.status", "note.add"]
    assert trail[0]["user"] == "dewi"
    assert len(actions.audit_trail(cache, f"item:{ids[0]}")) == 2
    assert cache.changes_since(seq)["tags"] == 3
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        cache.conn.execute("DELETE FROM audit_events")
    cache.conn.rollback()
    filtered = queries.keyset_page(cache, queries.ItemFilter(tag=(Team.CONTACT_CENTER, TagValue.PROMOTE)))
    assert filtered == ids[:1]
    assert queries.keyset_page(cache, queries.ItemFilter(assignee_id=agent.id)) == [row.id]


def test_snoozed_conversations_wake_up(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    ingest_page(cache, account, "s", Page(items=[_item(1)]))
    conv = queries.rows(cache, queries.keyset_page(cache))[0].conversation_id
    actions.set_status(cache, [conv], ConversationStatus.SNOOZED, user_id=None, snoozed_until_ms=1000)
    assert actions.snooze_due(cache, now_ms=999) == 0
    assert actions.snooze_due(cache, now_ms=1000) == 1
    assert cache.conn.execute("SELECT status FROM conversations").fetchone()[0] == "open"


def test_item_ids_order_by_time() -> None:
    earlier = item_id_for(1_700_000_000_000, 1, "zzz")
    later = item_id_for(1_700_000_000_001, 1, "aaa")
    assert earlier < later
    assert item_id_for(-5, 1, "x") >= 0  # dates before 1970 do not break the ordering
