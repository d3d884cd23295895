"""The supervisor's reads (omniinbox.store.supervision) against counts taken the slow way, and the
supervising use cases (approve, reject, reassign) with their refusals."""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniinbox import usecases
from omniinbox.core import ConversationStatus, OutboxState, Role, TagValue, Team, User, to_millis
from omniinbox.store import issues, outbox, supervision, views
from omniinbox.store.accounts import add_user, get_user
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import id_floor_for
from omniinbox.ui import samples

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW_MS = to_millis(NOW) or 0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("supervision") / "sample.sqlite"
    with Cache.open(path) as cache:
        add_user(cache, "admin", "Administrator", Role.ADMIN)
        samples.fill(cache, 2500, now=NOW)
    return path


@pytest.fixture
def sample(template: Path, tmp_path: Path) -> Iterator[Cache]:
    path = tmp_path / "cache.sqlite"
    shutil.copyfile(template, path)
    cache = Cache.open(path)
    yield cache
    cache.close()


def _user(cache: Cache, login: str) -> User:
    user = get_user(cache, login)
    assert user is not None
    return user


def _leader_item(cache: Cache) -> int:
    account = cache.conn.execute("SELECT id FROM accounts WHERE key = 'x:walikota'").fetchone()[0]
    return views.page_ids(cache, views.ListFilter(account_ids=(account,), kinds=("mention",)), limit=1)[0]


def _waiting_reply(cache: Cache) -> int:
    item_id = _leader_item(cache)
    account = cache.conn.execute("SELECT account_id FROM items WHERE id = ?", (item_id,)).fetchone()[0]
    entry = outbox.enqueue(
        cache, account_id=account, body="Terima kasih, kami cek.", in_reply_to_item_id=item_id, user_id=None
    )
    assert entry.state is OutboxState.AWAITING_APPROVAL
    return entry.id


# ---------------------------------------------------------------------------------- workload


def test_workload_counts_match_the_conversations(sample: Cache) -> None:
    rows = supervision.workload(sample, NOW_MS)
    assert {w.login for w in rows} == {u.login for u in views.users(sample)}
    for w in rows:
        by_status = dict(
            sample.conn.execute(
                "SELECT status, count(*) FROM conversations WHERE assignee_id = ? GROUP BY status", (w.user_id,)
            ).fetchall()
        )
        assert w.open == by_status.get("open", 0) + by_status.get("pending", 0)
        assert w.closed == by_status.get("closed", 0)
        assert w.snoozed == by_status.get("snoozed", 0)
        overdue = sum(
            1
            for f in views.conversation_facts(
                sample,
                [r[0] for r in sample.conn.execute("SELECT id FROM conversations WHERE assignee_id = ?", (w.user_id,))],
            ).values()
            if usecases.sla_state(f.sla_due_at, status=f.status, needs_answer=f.needs_answer, now_ms=NOW_MS).kind
            is usecases.SlaKind.OVERDUE
        )
        assert w.overdue == overdue
    assert sum(w.open for w in rows) > 0 and sum(w.overdue for w in rows) > 0
    # teams first in their order, people without a team last
    assert [w.team for w in rows][-2:] == [None, None]
    totals = supervision.team_totals(rows)
    assert sum(t.open for t in totals) == sum(w.open for w in rows)
    assert {t.team for t in totals} == {"social", "contact_center", None}


def test_reassign_is_for_supervisors(sample: Cache) -> None:
    supervisor, agent, other = _user(sample, "supervisor-1"), _user(sample, "agent-1"), _user(sample, "agent-2")
    item = views.page_ids(sample, views.ListFilter(assignee_id=agent.id), limit=1)[0]
    with pytest.raises(usecases.UseCaseRefused, match="only a supervisor"):
        usecases.reassign(sample, agent, [item], other.id)
    before = {w.login: w for w in supervision.workload(sample, NOW_MS)}
    assert usecases.reassign(sample, supervisor, [item], other.id) == 1
    after = {w.login: w for w in supervision.workload(sample, NOW_MS)}
    moved = (before["agent-1"].open + before["agent-1"].closed + before["agent-1"].snoozed) - (
        after["agent-1"].open + after["agent-1"].closed + after["agent-1"].snoozed
    )
    assert moved == 1
    cid = views.conversation_ids_for(sample, [item])[0]
    assert views.conversation(sample, cid).assignee_id == other.id  # type: ignore[union-attr]
    assert views.conversation_audit(sample, cid)[-1].action == "conversation.assign"


# ---------------------------------------------------------------------------------- review queue


def test_approving_a_leader_reply_queues_it_and_an_agent_cannot(sample: Cache) -> None:
    supervisor, agent = _user(sample, "supervisor-1"), _user(sample, "agent-1")
    outbox_id = _waiting_reply(sample)
    waiting = supervision.pending_replies(sample)
    assert [r.outbox_id for r in waiting] == [outbox_id]
    assert waiting[0].is_leader_account and waiting[0].channel == "x" and waiting[0].original_text
    with pytest.raises(usecases.UseCaseRefused, match="only a supervisor or an administrator can approve"):
        usecases.approve_reply(sample, agent, outbox_id)
    assert outbox.get(sample, outbox_id).state is OutboxState.AWAITING_APPROVAL
    entry = usecases.approve_reply(sample, supervisor, outbox_id)
    assert entry.state is OutboxState.QUEUED and entry.approved_by == supervisor.id
    assert supervision.pending_replies(sample) == []
    audit = sample.conn.execute(
        "SELECT user_id, action FROM audit_events WHERE target = ? ORDER BY id DESC LIMIT 1", (f"outbox:{outbox_id}",)
    ).fetchone()
    assert audit == (supervisor.id, "reply.approve")
    with pytest.raises(usecases.UseCaseRefused, match="no longer awaiting approval"):
        usecases.approve_reply(sample, supervisor, outbox_id)


def test_rejecting_cancels_and_leaves_a_note(sample: Cache) -> None:
    admin, social = _user(sample, "admin"), _user(sample, "social-1")
    outbox_id = _waiting_reply(sample)
    with pytest.raises(usecases.UseCaseRefused):
        usecases.reject_reply(sample, social, outbox_id, "no")
    entry = usecases.reject_reply(sample, admin, outbox_id, "tone")
    assert entry.state is OutboxState.CANCELLED
    assert entry.conversation_id is not None
    note = views.notes(sample, entry.conversation_id)[-1]
    assert note.body.startswith("Reply rejected by Administrator: tone")


def test_tags_to_confirm_are_suggestions_the_working_team_has_not_judged(sample: Cache) -> None:
    ids = views.page_ids(sample, limit=40)
    with sample.write("test") as tx:
        for n, item_id in enumerate(ids):
            issues.save_suggestion(tx, item_id, "protect" if n % 2 else "promote", 3 + n, "complaint words")
        issues.save_suggestion(tx, ids[-1], None, 0, "nothing")  # no evidence either way
    teams = {
        cid: f.team for cid, f in views.conversation_facts(sample, views.conversation_ids_for(sample, ids)).items()
    }
    conv = dict(
        sample.conn.execute(
            f"SELECT id, conversation_id FROM items WHERE id IN ({','.join('?' * len(ids))})", ids
        ).fetchall()
    )
    tags = views.tags_of(sample, ids)
    expected = [i for n, i in enumerate(ids[:-1]) if teams[conv[i]] not in tags.get(i, {})]
    found = supervision.tags_to_confirm(sample, since_ms=NOW_MS - 14 * supervision.DAY_MS)
    assert [t.item_id for t in found] == expected
    assert found and all(t.value in ("promote", "protect") and t.text for t in found)
    first = found[0]
    usecases.tag(
        sample, _user(sample, "supervisor-1"), [first.item_id], Team(first.team), TagValue(first.value), toggle=False
    )
    assert first.item_id not in {t.item_id for t in supervision.tags_to_confirm(sample, since_ms=0)}


# ---------------------------------------------------------------------------------- charts


def test_volume_counts_every_item_of_the_window_by_channel_and_day(sample: Cache) -> None:
    series = supervision.volume(sample, NOW_MS)
    start = supervision.window_start(NOW_MS)
    assert len(series.days) == 14 and series.days[-1] == NOW.date()
    expected: dict[str, list[int]] = defaultdict(lambda: [0] * 14)
    for item_id, channel in sample.conn.execute(
        "SELECT i.id, a.channel FROM items i JOIN accounts a ON a.id = i.account_id WHERE i.id >= ?",
        (id_floor_for(start),),
    ):
        expected[channel][(supervision.item_ms(item_id) - start) // supervision.DAY_MS] += 1
    assert series.counts == dict(expected)
    assert series.channels[0] == max(expected, key=lambda ch: sum(expected[ch]))
    assert sum(series.total(d) for d in range(14)) == sum(map(sum, expected.values()))


def test_volume_days_follow_the_desk_time_zone(sample: Cache) -> None:
    utc = supervision.volume(sample, NOW_MS)
    jakarta = supervision.volume(sample, NOW_MS, utc_offset_ms=7 * 3_600_000)
    assert jakarta.days[-1] == NOW.date()
    assert sum(map(sum, utc.counts.values())) != 0 and utc.counts != jakarta.counts


def test_tag_balance_counts_judgements_per_team(sample: Cache) -> None:
    balance = supervision.tag_balance(sample, NOW_MS)
    floor = id_floor_for(supervision.window_start(NOW_MS))
    counts = Counter(
        {(t, v): n for t, v, n in sample.conn.execute(
            "SELECT team, value, count(*) FROM tags WHERE item_id >= ? GROUP BY team, value", (floor,)
        )}
    )  # fmt: skip
    assert balance.promote == {t.value: counts[t.value, "promote"] for t in Team}
    assert balance.protect == {t.value: counts[t.value, "protect"] for t in Team}
    assert balance.promote["social"] > 0 and balance.protect["contact_center"] > 0


def test_percentiles_are_nearest_rank() -> None:
    assert supervision.percentile([], 0.5) is None
    assert supervision.timing([5]) == supervision.Timing(5, 5, 1)
    values = list(range(1, 11))
    assert supervision.timing(values) == supervision.Timing(5, 9, 10)
    assert supervision.percentile(list(range(1, 101)), 0.9) == 90


def test_response_times_by_channel_and_day(sample: Cache) -> None:
    supervisor = _user(sample, "supervisor-1")
    start = supervision.window_start(NOW_MS)
    recent = sample.conn.execute(
        "SELECT id FROM conversations WHERE first_item_at >= ? ORDER BY id LIMIT 5", (start,)
    ).fetchall()
    firsts = [
        sample.conn.execute("SELECT min(id) FROM items WHERE conversation_id = ?", r).fetchone()[0] for r in recent
    ]
    usecases.set_status(sample, supervisor, firsts, ConversationStatus.CLOSED)
    times = supervision.response_times(sample, NOW_MS)
    first: dict[tuple[str, int], list[int]] = defaultdict(list)
    resolved: dict[tuple[str, int], list[int]] = defaultdict(list)
    for cid, channel, first_at, status in sample.conn.execute(
        "SELECT c.id, a.channel, c.first_item_at, c.status FROM conversations c JOIN accounts a ON a.id = c.account_id"
        " WHERE c.first_item_at >= ?",
        (start,),
    ).fetchall():
        day = (first_at - start) // supervision.DAY_MS
        if day >= 14:
            continue
        out = sample.conn.execute(
            "SELECT min(id) FROM items WHERE conversation_id = ? AND direction = 'out' AND id >= ?",
            (cid, id_floor_for(start)),
        ).fetchone()[0]
        if out is not None and supervision.item_ms(out) > first_at:
            first[channel, day].append(supervision.item_ms(out) - first_at)
        if status == "closed":
            at, detail = sample.conn.execute(
                "SELECT at, detail FROM audit_events WHERE target = ? AND action = 'conversation.status'"
                " ORDER BY id DESC LIMIT 1",
                (f"conversation:{cid}",),
            ).fetchone()
            assert json.loads(detail)["status"] == "closed"
            if at >= first_at:
                resolved[channel, day].append(at - first_at)
    assert first and resolved
    for channel in times.channels:
        for day in range(14):
            assert times.first_response[channel][day] == supervision.timing(first.get((channel, day), []))
            assert times.resolution[channel][day] == supervision.timing(resolved.get((channel, day), []))
    every_day = [[x for (_, d), v in first.items() if d == day for x in v] for day in range(14)]
    assert times.first_response[supervision.ALL_CHANNELS] == [supervision.timing(v) for v in every_day]


def test_reads_go_through_indexes(sample: Cache) -> None:
    """No read of the supervisor's view scans items, conversations, tags or the audit trail."""
    statements: list[str] = []
    sample.conn.set_trace_callback(statements.append)
    try:
        supervision.workload(sample, NOW_MS)
        supervision.review_queue(sample, NOW_MS)
        supervision.chart_series(sample, NOW_MS)
    finally:
        sample.conn.set_trace_callback(None)
    plans = [
        row[3]
        for statement in statements
        if statement.lstrip().upper().startswith("SELECT")
        for row in sample.conn.execute("EXPLAIN QUERY PLAN " + statement).fetchall()
    ]
    assert any("conversations_queue" in p for p in plans) and any("items_conversation" in p for p in plans)
    scans = [
        p
        for p in plans
        if p.split()[:2] in (["SCAN", t] for t in ("items", "i", "o", "conversations", "c", "tags", "audit_events"))
    ]
    assert not scans, scans
