"""The tray's and status bar's reads (omniinbox.store.notices): notices after marks, once each;
tray counts; per-account sync state and the offline state; and that the reads use indexes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniinbox.core import SyncProblem, User, to_millis
from omniinbox.store import actions, issues, notices, outbox
from omniinbox.store.accounts import get_user
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import record_problem
from omniinbox.ui import samples

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("notices") / "sample.sqlite"
    with Cache.open(path) as cache:
        samples.fill(cache, 400, now=NOW)
        cache.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sample(template: Path, tmp_path: Path) -> Iterator[Cache]:
    path = tmp_path / "c.sqlite"
    path.write_bytes(template.read_bytes())
    cache = Cache.open(path)
    yield cache
    cache.close()


def _user(cache: Cache, login: str) -> User:
    user = get_user(cache, login)
    assert user is not None
    return user


def _free_conversation(cache: Cache, but_not: int | None = None) -> int:
    row = cache.conn.execute(
        "SELECT id FROM conversations WHERE assignee_id IS NULL AND id IS NOT ? ORDER BY id LIMIT 1", (but_not,)
    ).fetchone()
    return int(row[0])


def test_assignment_by_someone_else_is_a_notice_once(sample: Cache) -> None:
    agent, supervisor = _user(sample, "agent-1"), _user(sample, "supervisor-1")
    start = notices.marks(sample)
    cid = _free_conversation(sample)
    actions.assign(sample, [cid], agent.id, user_id=supervisor.id)
    found, after = notices.notices_since(sample, start, user_id=agent.id)
    assert [(n.kind, n.target) for n in found] == [(notices.ASSIGNED, f"conversation:{cid}")]
    assert found[0].title  # the conversation's subject or author
    again, _ = notices.notices_since(sample, after, user_id=agent.id)
    assert again == []
    # not news to someone else, nor when one takes work oneself
    assert notices.notices_since(sample, start, user_id=supervisor.id)[0] == []
    other = _free_conversation(sample, but_not=cid)
    actions.assign(sample, [other], agent.id, user_id=agent.id)
    assert notices.notices_since(sample, after, user_id=agent.id)[0] == []


def test_must_answer_is_for_supervisors(sample: Cache) -> None:
    agent, supervisor = _user(sample, "agent-1"), _user(sample, "supervisor-1")
    start = notices.marks(sample)
    with sample.write("triage") as tx:
        issue_id = issues.create_issue(tx)
        issues.notify(tx, issue_id, "must_answer", f"Issue #{issue_id} must be answered")
        issues.notify(tx, issue_id, "level", "something else")
    found, after = notices.notices_since(sample, start, user_id=supervisor.id, supervisor=True)
    assert [(n.kind, n.target) for n in found] == [(notices.MUST_ANSWER, f"issue:{issue_id}")]
    assert "must be answered" in found[0].text
    assert notices.notices_since(sample, after, user_id=supervisor.id, supervisor=True)[0] == []
    assert notices.notices_since(sample, start, user_id=agent.id)[0] == []
    assert notices.notices_since(sample, start, user_id=supervisor.id, supervisor=True, kinds=())[0] == []


def _failed_reply(cache: Cache, user: User, reason: str) -> int:
    conversation_id, account_id, item_id = cache.conn.execute(
        "SELECT c.id, c.account_id, i.id FROM conversations c JOIN items i ON i.conversation_id = c.id"
        " JOIN accounts a ON a.id = c.account_id WHERE a.owner_kind = 'institution' AND a.channel = 'email'"
        " ORDER BY i.id DESC LIMIT 1"
    ).fetchone()
    entry = outbox.enqueue(
        cache, account_id=account_id, body="Terima kasih, kami cek.", conversation_id=conversation_id,
        in_reply_to_item_id=item_id, user_id=user.id,
    )  # fmt: skip
    claimed = outbox.claim_next(cache, to_millis(datetime.now(UTC)) or 0 + 10**12)
    assert claimed is not None and claimed.id == entry.id
    outbox.mark_failed(cache, entry.id, reason, retry_at_ms=None)
    return entry.id


def test_failed_reply_is_told_to_its_writer_and_supervisors(sample: Cache) -> None:
    agent, other, supervisor = _user(sample, "agent-1"), _user(sample, "agent-2"), _user(sample, "supervisor-1")
    start = notices.marks(sample)
    oid = _failed_reply(sample, agent, "403 not allowed")
    mine, after = notices.notices_since(sample, start, user_id=agent.id)
    assert [(n.kind, n.target, n.text) for n in mine] == [(notices.FAILED_SEND, f"outbox:{oid}", "403 not allowed")]
    assert notices.notices_since(sample, after, user_id=agent.id)[0] == []
    assert notices.notices_since(sample, start, user_id=other.id)[0] == []
    assert [n.target for n in notices.notices_since(sample, start, user_id=supervisor.id, supervisor=True)[0]] == [
        f"outbox:{oid}"
    ]


def test_tray_counts(sample: Cache) -> None:
    agent = _user(sample, "agent-1")
    now = to_millis(NOW) or 0
    counts = notices.tray_counts(sample, agent.id, now)
    unread = sample.conn.execute(
        "SELECT count(*) FROM items WHERE is_read = 0 AND created_at >= ?", (now - 7 * 86_400_000,)
    ).fetchone()[0]
    assert counts.unread == unread and not counts.unread_capped
    waiting = sample.conn.execute(
        "SELECT count(*) FROM conversations WHERE assignee_id = ? AND status IN ('open', 'pending')"
        " AND last_inbound_at >= last_item_at",
        (agent.id,),
    ).fetchone()[0]
    assert counts.waiting == waiting
    capped = notices.tray_counts(sample, agent.id, now, cap=3)
    assert capped.unread == 3 and capped.unread_capped == (unread > 3)
    assert notices.tray_counts(sample, agent.id, now + 30 * 86_400_000).unread == 0


def _problem(cache: Cache, account_id: int, kind: str, reason: str) -> None:
    with cache.write("sync") as tx:
        record_problem(tx, account_id, kind, SyncProblem(reason=reason))


def test_account_states_and_offline(sample: Cache) -> None:
    states = notices.account_states(sample)
    assert len(states) == len(samples.ACCOUNTS)
    assert not notices.is_offline(states)
    first, *rest = states
    _problem(sample, first.account_id, "permanent", "mentions: 404 not found")
    states = {s.account_id: s for s in notices.account_states(sample)}
    assert states[first.account_id].failing and not states[first.account_id].network
    assert states[first.account_id].last_problem == "mentions: 404 not found"
    assert states[first.account_id].problems == 1
    assert not notices.is_offline(list(states.values()))
    for s in [first, *rest]:
        _problem(sample, s.account_id, "transient", "GET http://x/api: connection refused")
    states = {s.account_id: s for s in notices.account_states(sample)}
    assert all(s.network for s in states.values())
    assert states[first.account_id].problems == 2
    assert notices.is_offline(list(states.values()))
    assert not notices.is_offline([])


def test_is_network_problem() -> None:
    assert notices.is_network_problem("transient", "tickets: GET /x: no answer in time")
    assert notices.is_network_problem("transient", "x: the host name could not be resolved")
    assert not notices.is_network_problem("transient", "x: service unavailable (503)")
    assert not notices.is_network_problem("authentication", "x: connection refused")


def test_reads_use_indexes(sample: Cache) -> None:
    """No plan of these reads scans a big table."""
    conn = sample.conn
    plans = []
    for sql in (
        "SELECT id FROM audit_events WHERE id > 1 AND id <= 9 AND action = 'conversation.assign'",
        "SELECT o.id FROM outbox o WHERE o.state = 'failed' AND o.seq > 1 AND o.seq <= 9",
        "SELECT count(*) FROM (SELECT 1 FROM items WHERE id >= 5 AND is_read = 0 LIMIT 10)",
        "SELECT count(*) FROM conversations WHERE assignee_id = 1 AND status IN ('open', 'pending')",
        "SELECT count(*) FROM issues WHERE must_answer = 1 AND answered_at IS NULL",
        "SELECT at FROM sync_problems WHERE account_id = 1 ORDER BY id DESC LIMIT 5",
    ):
        steps = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        plans.append(steps)
        # a SCAN is allowed of a (partial) index or of a subquery's few rows, never of a table
        bare = [s for s in steps if s.startswith("SCAN ") and "USING" not in s and not s.startswith("SCAN (")]
        assert not bare, (sql, steps)
    assert len(plans) == 6
