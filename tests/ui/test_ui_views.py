"""The desktop client's reads (omniinbox.store.views): queues page by key and agree with a plain
query, plans use indexes, rows carry what the list paints, the conversation pane's facts."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from ui_support import Sample

from omniinbox.core import ConversationStatus, Page, TagValue, Team
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import actions, outbox, views
from omniinbox.store.accounts import get_account
from omniinbox.store.ingest import ingest_page
from omniinbox.store.views import ListFilter, QueueKind, queue_filter

# What each filter means, said once more in the plainest SQL (a whole-table query, no keyset).
_CONV = "SELECT id FROM conversations WHERE "


def _expected(conn: sqlite3.Connection, flt: ListFilter) -> list[int]:
    where: list[str] = []
    params: list[Any] = []
    if flt.team:
        where.append(f"conversation_id IN ({_CONV} team = ?)")
        params.append(flt.team.value)
    if flt.statuses:
        where.append(f"conversation_id IN ({_CONV} status IN ({','.join('?' * len(flt.statuses))}))")
        params.extend(flt.statuses)
    if flt.assignee_id is not None:
        where.append(f"conversation_id IN ({_CONV} assignee_id = ?)")
        params.append(flt.assignee_id)
    if flt.unassigned:
        where.append(f"conversation_id IN ({_CONV} assignee_id IS NULL)")
    if flt.needs_answer:
        where.append(
            f"direction = 'in' AND conversation_id IN ({_CONV} status IN ('open', 'pending')"
            " AND last_inbound_at >= last_item_at)"
        )
    if flt.tag:
        team, value = flt.tag
        where.append("id IN (SELECT item_id FROM tags WHERE value = ?" + (" AND team = ?)" if team else ")"))
        params.extend([value.value, team.value] if team else [value.value])
    if flt.account_ids:
        where.append(f"account_id IN ({','.join('?' * len(flt.account_ids))})")
        params.extend(flt.account_ids)
    sql = "SELECT id FROM items" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    return [r[0] for r in conn.execute(sql, params)]


def _all_pages(conn: sqlite3.Connection, flt: ListFilter, size: int) -> list[int]:
    plan = views.plan_for(flt, conn)
    out: list[int] = []
    before = None
    while True:
        page = views.page_ids(conn, flt, before_id=before, limit=size, plan=plan)
        assert len(page) <= size
        out += page
        if len(page) < size:
            return out
        before = page[-1]


@pytest.mark.parametrize("team", [None, Team.SOCIAL, Team.CONTACT_CENTER])
@pytest.mark.parametrize("kind", list(QueueKind))
def test_every_queue_pages_to_exactly_what_it_means(sample: Sample, kind: QueueKind, team: Team | None) -> None:
    conn = sample.cache.conn
    flt = queue_filter(kind, user_id=sample.social.id, team=team)
    expected = _expected(conn, flt)
    assert _all_pages(conn, flt, 97) == expected
    for plan in ("walk", "conversations"):  # every plan gives the same answer
        if plan == "conversations" and not (flt.statuses or flt.assignee_id or flt.team or flt.unassigned):
            continue
        assert views.page_ids(conn, flt, limit=10_000, plan=plan) == expected


def test_the_sample_gives_every_queue_something_to_show(sample: Sample) -> None:
    conn = sample.cache.conn
    for kind in QueueKind:
        assert views.page_ids(conn, queue_filter(kind, user_id=sample.social.id), limit=1), kind


def test_accounts_channels_and_newer_items(sample: Sample) -> None:
    conn = sample.cache.conn
    leader = sample.account_id("x:walikota")
    flt = ListFilter(account_ids=(leader,))
    ids = views.page_ids(conn, flt, limit=5000)
    assert ids == _expected(conn, flt) and ids
    by_channel = views.page_ids(conn, ListFilter(channels=("x",)), limit=5000)
    assert set(ids) < set(by_channel)
    middle = ids[len(ids) // 2]
    assert views.page_ids(conn, flt, after_id=middle, limit=5000) == [i for i in ids if i > middle]
    assert views.matching_ids(conn, flt, by_channel) == set(ids)


def test_plans_use_indexes_and_rare_sets_are_reached_through_their_conversations(sample: Sample) -> None:
    conn = sample.cache.conn
    mine = queue_filter(QueueKind.MINE, user_id=sample.social.id)
    assert views.plan_for(mine) == "conversations"
    assert any("conversations_assignee" in step for step in views.query_plan(conn, mine))
    assert views.plan_for(queue_filter(QueueKind.PROMOTE)) == "tags"
    assert any("tags_value" in step for step in views.query_plan(conn, queue_filter(QueueKind.PROMOTE)))
    walk = views.query_plan(conn, queue_filter(QueueKind.UNASSIGNED))
    assert "INTEGER PRIMARY KEY (rowid<?)" in walk[0] and not any("TEMP B-TREE" in s for s in walk)
    closed = queue_filter(QueueKind.CLOSED)
    assert views.plan_for(closed) == "walk"  # without a connection nothing is counted
    assert views.plan_for(closed, conn) == "conversations"  # few are closed in the sample
    for step in views.query_plan(conn, closed, plan="conversations"):
        assert "SCAN i" not in step and "SCAN items" not in step


def test_search_within_a_queue(sample: Sample) -> None:
    conn = sample.cache.conn
    everywhere = views.search_ids(conn, "banjir", limit=10_000)
    unassigned = views.search_ids(conn, "banjir", queue_filter(QueueKind.UNASSIGNED), limit=10_000)
    assert everywhere and unassigned and set(unassigned) < set(everywhere)
    assert unassigned == [i for i in everywhere if i in set(_expected(conn, queue_filter(QueueKind.UNASSIGNED)))]
    assert views.search_ids(conn, "banjir", before_id=everywhere[9], limit=5) == everywhere[10:15]
    with pytest.raises(views.queries.BadQuery):
        views.search_ids(conn, "   ")


def test_list_rows_carry_what_the_list_paints(sample: Sample) -> None:
    conn = sample.cache.conn
    ids = views.page_ids(conn, limit=300)
    rows = views.list_rows(conn, [*ids[:3], 12345, *ids[3:300]])
    assert [r.id for r in rows] == ids  # order kept, an unknown id left out
    facts = views.conversation_facts(conn, {r.conversation_id for r in rows})
    for row in rows:
        f = facts[row.conversation_id]
        assert (row.priority, row.team, row.sla_due_at, row.needs_answer) == (
            f.priority,
            f.team,
            f.sla_due_at,
            f.needs_answer,
        )
        assert "\n" not in row.excerpt and len(row.excerpt) <= views.EXCERPT_CHARS
    assert any(r.tags for r in rows) and any(r.is_leader_account for r in rows) and any(r.sla_due_at for r in rows)
    assert any(r.assignee for r in rows) and any(not r.is_read for r in rows) and any(r.is_read for r in rows)


def test_excerpt_is_one_safe_line() -> None:
    text = "Halo\n\n  <b>admin</b>\u202edesrever\u200b  kantor\t" + "x" * 500
    line = views.excerpt(text)
    assert line.startswith("Halo <b>admin</b>desrever kantor x")
    assert "\u202e" not in line and "\u200b" not in line and len(line) == views.EXCERPT_CHARS
    assert line.endswith("…")


def test_author_card_finds_earlier_items_on_every_linked_channel(sample: Sample) -> None:
    conn = sample.cache.conn
    # the most prolific author and two of their identities linked into one person
    contact_id, count = conn.execute(
        "SELECT contact_id, count(*) n FROM items WHERE contact_id IS NOT NULL GROUP BY contact_id ORDER BY n DESC"
    ).fetchone()
    newest = conn.execute("SELECT max(id) FROM items WHERE contact_id = ?", (contact_id,)).fetchone()[0]
    card = views.author_card(conn, newest, earlier=1000)
    assert card is not None and card.contact_id == contact_id
    assert len(card.earlier) == count - 1 and all(r.id < newest for r in card.earlier)
    other = conn.execute("SELECT id FROM contacts WHERE channel != ? LIMIT 1", (card.channel,)).fetchone()[0]
    with sample.cache.write("test") as tx:
        tx.conn.execute("UPDATE contacts SET person_id = 1, is_kol = 1 WHERE id IN (?, ?)", (contact_id, other))
        tx.summary["contacts"] += 2
    linked = views.author_card(conn, newest, earlier=1000)
    assert linked is not None and linked.is_kol and len(linked.channels) == 2
    theirs = conn.execute("SELECT count(*) FROM items WHERE contact_id = ? AND id < ?", (other, newest)).fetchone()[0]
    assert len(linked.earlier) == count - 1 + theirs
    outbound = conn.execute("SELECT id FROM items WHERE direction = 'out' LIMIT 1").fetchone()[0]
    card_out = views.author_card(conn, outbound)
    assert card_out is None or card_out.name  # our own replies have the account as author


def test_conversation_pane_reads(sample: Sample) -> None:
    cache, conn = sample.cache, sample.cache.conn
    item_id = views.page_ids(conn, limit=1)[0]
    cid = views.conversation_ids_for(conn, [item_id])[0]
    actions.add_note(cache, cid, "first note", user_id=sample.agent.id)
    actions.set_tag(cache, [item_id], Team.SOCIAL, TagValue.PROTECT, user_id=sample.social.id)
    account_id = conn.execute("SELECT account_id FROM items WHERE id = ?", (item_id,)).fetchone()[0]
    entry = outbox.enqueue(
        cache, account_id=account_id, body="ok", in_reply_to_item_id=item_id, user_id=sample.admin.id
    )
    assert [n.body for n in views.notes(conn, cid)][-1] == "first note"
    trail = views.conversation_audit(conn, cid)
    assert [a.action for a in trail][-3:] == ["note.add", "tag.set", "reply.queue"]
    assert trail[-2].user == "Social officer 1" and trail[-1].target == f"outbox:{entry.id}"
    assert [e.id for e in views.conversation_outbox(conn, cid)] == [entry.id]
    assert views.outbox_counts(conn)[entry.state.value] >= 1
    facts = views.conversation(conn, cid)
    assert facts is not None and facts.id == cid
    assert [r.id for r in views.thread(conn, cid)] == sorted(r.id for r in views.thread(conn, cid))


def test_sidebar_counts_agree_with_the_queues(sample: Sample) -> None:
    conn = sample.cache.conn
    counts = views.sidebar_counts(conn, sample.social.id)
    assert counts.items == conn.execute("SELECT count(*) FROM items").fetchone()[0]

    def conversations(flt: ListFilter) -> int:
        return len(set(views.conversation_ids_for(conn, _expected(conn, flt))))

    for kind in (QueueKind.MINE, QueueKind.UNASSIGNED, QueueKind.SNOOZED, QueueKind.CLOSED):
        flt = queue_filter(kind, user_id=sample.social.id)
        assert counts.queues[kind.value] >= conversations(flt), kind  # some conversations have no item shown
    assert counts.queues["promote"] == len(_expected(conn, queue_filter(QueueKind.PROMOTE)))
    assert (
        counts.queues["mine"]
        == conn.execute(
            "SELECT count(*) FROM conversations WHERE assignee_id = ? AND status IN ('open', 'pending')",
            (sample.social.id,),
        ).fetchone()[0]
    )
    assert sum(counts.teams.values()) == counts.queues["open"] + counts.queues["pending"]


def test_change_feed_on_a_reader(sample: Sample) -> None:
    cache = sample.cache
    reader = cache.reader()
    try:
        seq = views.last_seq(reader)
        account = get_account(cache, "x:pemkot")
        ingest_page(cache, account, None, Page(items=list(generate_items(3, prefix="late"))))
        actions.set_status(cache, [1], ConversationStatus.CLOSED, user_id=None)
        assert views.last_seq(reader) == cache.last_seq() > seq
        assert views.changes_since(reader, seq) == cache.changes_since(seq)
        assert views.changes_since(reader, seq)["items"] == 3
        assert len(views.changed_item_ids(reader, seq)) == 3
    finally:
        reader.close()


def test_account_status_names_failing_accounts(sample: Sample) -> None:
    from omniinbox.core import SyncProblem
    from omniinbox.store.ingest import record_problem, set_cursor

    cache = sample.cache
    x, mail = sample.account_id("x:pemkot"), sample.account_id("email:layanan")
    with cache.write("sync") as tx:
        set_cursor(tx, x, "mentions", "c1")
        set_cursor(tx, mail, "INBOX", "u1")
    with cache.write("sync") as tx:
        record_problem(tx, mail, "sync", SyncProblem("the server refused the login"))
    status = {s.key: s for s in views.account_status(cache.conn)}
    assert status["email:layanan"].problems == 1 and status["email:layanan"].last_problem.startswith("the server")
    assert not status["x:pemkot"].failing and status["x:pemkot"].last_sync_at is not None
    assert status["x:walikota"].is_leader and status["x:walikota"].last_sync_at is None
