"""The hub's sync worker on a real PostgreSQL: pages and cursors committed together, one worker per
account (two racing workers read each page once), replies sent exactly once by two workers, an
interrupted send never repeated, bad payloads recorded while the rest goes on, and a real
connector (Zendesk, over HTTP against the sandbox) end to end."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from helpers.pg import PgHub, pg_hub  # noqa: F401 - the fixture

from omniinbox.connectors.base import AuthenticationError, CheckResult, RateLimited, TransientError
from omniinbox.connectors.registry import build_connector
from omniinbox.core import (
    Account,
    Author,
    Channel,
    Item,
    ItemKind,
    OutboxState,
    OutgoingReply,
    Page,
    Receipt,
    Role,
    SyncProblem,
)
from omniinbox.hub import accounts, locks, outbox
from omniinbox.hub.ingest import _write_items, get_cursor, write_page
from omniinbox.hub.worker import HubWorker, sync_hub
from omniinbox.sandbox.hub import Sandbox, start_sandbox
from omniinbox.secrets import REDACTOR
from omniinbox.store.outbox import INTERRUPTED

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
TOKEN = "zd-live-4b1e2c9d8f7a6e5d"


def _items(start: int, count: int, prefix: str = "") -> list[Item]:
    return [
        Item(
            external_id=f"{prefix}{n}",
            kind=ItemKind.TICKET_COMMENT,
            text=f"keluhan {n} soal air PDAM",
            conversation_id=f"{prefix}t{n // 5}",
            created_at=T0 + timedelta(seconds=n),
            author=Author(f"{prefix}w{n % 4}", name=f"Warga {n % 4}"),
            raw={"id": n, "via": "web"},
        )
        for n in range(start, start + count)
    ]


class ScriptedConnector:
    """Serves ``total`` items in pages of ``size``. ``gate``: the first fetch waits for it.
    Sending records every reply; ``send_gate`` makes each send wait (for races)."""

    streams = ("tickets",)

    def __init__(self, total: int = 23, size: int = 5, prefix: str = "") -> None:
        self.total, self.size, self.prefix = total, size, prefix
        self.fetches: list[str | None] = []
        self.sent: list[OutgoingReply] = []
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self.send_gate: threading.Barrier | None = None
        self.send_errors: list[Exception] = []
        self.closed = False
        self._lock = threading.Lock()

    def fetch(self, stream: str, cursor: str | None) -> Page:
        self.started.set()
        if self.gate is not None and not self.fetches:
            assert self.gate.wait(10)
        with self._lock:
            self.fetches.append(cursor)
        start = int(cursor or 0)
        count = max(0, min(self.size, self.total - start))
        end = start + count
        return Page(items=_items(start, count, self.prefix), next_cursor=str(end), has_more=end < self.total)

    def send(self, reply: OutgoingReply) -> Receipt:
        if self.send_gate is not None:
            self.send_gate.wait(10)
        with self._lock:
            if self.send_errors:
                raise self.send_errors.pop(0)
            self.sent.append(reply)
            return Receipt(external_id=f"sent-{reply.outbox_id}")

    def check(self) -> CheckResult:
        return CheckResult(ok=True)

    def close(self) -> None:
        self.closed = True


def _count(conn: psycopg.Connection[Any], query: str, *params: Any) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def account(pg_hub: PgHub, request: pytest.FixtureRequest) -> Account:  # noqa: F811
    key = f"zendesk:{request.node.name[:40]}"
    return accounts.add_account(pg_hub.owner(), key, Channel.ZENDESK, "Pusat Layanan", secret_ref=key)


@pytest.fixture
def worker_conns(pg_hub: PgHub) -> Iterator[tuple[psycopg.Connection[Any], psycopg.Connection[Any]]]:  # noqa: F811
    pg_hub.user("worker1", "worker")
    pg_hub.user("worker2", "worker")
    yield pg_hub.connect(pg_hub.login_name("worker1")), pg_hub.connect(pg_hub.login_name("worker2"))


# ---------------------------------------------------------------------------------- reading


def test_pages_and_cursor_land_together_and_a_replay_changes_nothing(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    conn, _ = worker_conns
    connector = ScriptedConnector(total=23, size=5)
    worker = HubWorker(conn, lambda a: connector, name="w1")
    report = worker.sync_account(account)
    assert report is not None and report.ok
    assert (report.items_read, report.items_written, report.streams[0].pages) == (23, 23, 5)
    assert get_cursor(conn, account.id, "tickets") == "23"
    assert _count(conn, "SELECT count(*) FROM omniinbox.items WHERE account_id = %s", account.id) == 23
    assert _count(conn, "SELECT count(*) FROM omniinbox.conversations WHERE account_id = %s", account.id) == 5
    top = _count(conn, "SELECT max(seq) FROM omniinbox.items WHERE account_id = %s", account.id)

    conn.execute("DELETE FROM omniinbox.sync_cursors WHERE account_id = %s", (account.id,))  # read it all again
    again = worker.sync_account(account)
    assert again is not None and (again.items_read, again.items_written) == (23, 0)
    assert _count(conn, "SELECT max(seq) FROM omniinbox.items WHERE account_id = %s", account.id) == top
    worker.close()
    assert connector.closed


def test_two_workers_racing_on_one_account_read_each_page_once(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    first, second = ScriptedConnector(total=40, size=8), ScriptedConnector(total=40, size=8)
    first.gate = threading.Event()  # the first worker is mid-sync while the second tries
    w1 = HubWorker(worker_conns[0], lambda a: first, name="w1")
    w2 = HubWorker(worker_conns[1], lambda a: second, name="w2")
    results: dict[str, object] = {}
    runner = threading.Thread(target=lambda: results.setdefault("w1", w1.sync_account(account)))
    runner.start()
    assert first.started.wait(10)
    assert w2.sync_account(account) is None  # busy: another worker holds the account
    first.gate.set()
    runner.join(10)
    assert second.fetches == []
    after = w2.sync_account(account)  # now free: resumes from the committed cursor
    assert after is not None and after.items_read == 0 and second.fetches == ["40"]
    assert first.fetches == [None, "8", "16", "24", "32"]
    conn = worker_conns[0]
    assert _count(conn, "SELECT count(*) FROM omniinbox.items WHERE account_id = %s", account.id) == 40

    # and without choreography: both loop over the account at once, pages are still read once
    conn.execute("DELETE FROM omniinbox.sync_cursors WHERE account_id = %s", (account.id,))
    first.gate, first.fetches, second.fetches = None, [], []
    first.total = second.total = 60
    barrier = threading.Barrier(2)

    def run(worker: HubWorker) -> None:
        barrier.wait(10)
        for _ in range(5):
            worker.sync_account(account)

    threads = [threading.Thread(target=run, args=(w,)) for w in (w1, w2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    read = [c for c in first.fetches + second.fetches if c != "60"]
    assert sorted(read, key=lambda c: int(c or 0)) == [None, "8", "16", "24", "32", "40", "48", "56"]
    assert _count(conn, "SELECT count(*) FROM omniinbox.items WHERE account_id = %s", account.id) == 60


def test_bad_items_become_problems_and_the_rest_is_stored(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    good = _items(0, 3, "bad-")
    nul = Item(
        external_id="nul",
        kind=ItemKind.COMMENT,
        text="ada\x00nol",
        conversation_id="bad-t0",
        created_at=T0,
        author=Author("bad-w9", name="Nol\x00"),
        raw={"text": "ada\x00nol", "broken": "\ud800"},
    )
    no_time = Item(external_id="no-time", kind=ItemKind.COMMENT, text="x", conversation_id="bad-t0", created_at=None)  # type: ignore[arg-type]
    no_thread = Item(external_id="no-thread", kind=ItemKind.COMMENT, text="x", conversation_id="", created_at=T0)

    class Connector(ScriptedConnector):
        def fetch(self, stream: str, cursor: str | None) -> Page:
            return Page(
                items=[*good, nul, no_time, no_thread],
                problems=[SyncProblem(reason="ticket 77: no requester", external_id="77")],
                next_cursor="x",
            )

    report = HubWorker(worker_conns[0], lambda a: Connector(), name="w1").sync_account(account)
    assert report is not None and report.ok
    assert report.streams[0].problems == 3 and report.items_written == 4
    conn = worker_conns[0]
    text, raw = conn.execute("SELECT text, raw FROM omniinbox.items WHERE external_id = 'nul'").fetchone()  # type: ignore[misc]
    assert text == "ada\ufffdnol" and raw["text"] == "ada\ufffdnol"
    reasons = [
        r[0] for r in conn.execute("SELECT reason FROM omniinbox.sync_problems WHERE account_id = %s", (account.id,))
    ]
    assert any("no-time" in r and "creation time" in r for r in reasons)
    assert any("no-thread" in r and "conversation" in r for r in reasons)
    assert "ticket 77: no requester" in reasons
    assert get_cursor(conn, account.id, "tickets") == "x"


def test_a_row_postgresql_refuses_is_left_out_alone(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    """Should the server refuse one row of a page's batch, the page is written item by item and
    only that item becomes a problem."""
    conn = worker_conns[0]
    with conn.transaction():
        write_page(conn, account, None, Page(items=_items(0, 2, "ref-")))
    rows = conn.execute(
        "SELECT external_id, conversation_id FROM omniinbox.items WHERE account_id = %s ORDER BY external_id",
        (account.id,),
    ).fetchall()
    base = {"account": account.id, "parent": None, "kind": "comment", "direction": "in", "visibility": "public",
            "contact_id": None, "author_name": "", "author_handle": "", "subject": "", "text": "diralat",
            "permalink": "", "edited": None, "deleted": None, "likes": 0, "replies": 0, "shares": 0, "views": 0,
            "raw": None}  # fmt: skip
    batch = [
        {**base, "ext": rows[0][0], "conversation_id": rows[0][1], "created": T0},
        {**base, "ext": rows[1][0], "conversation_id": rows[1][1], "created": "the day after tomorrow"},
    ]
    problems: list[SyncProblem] = []
    with conn.transaction():
        _write_items(conn, batch, problems)
    texts = dict(conn.execute("SELECT external_id, text FROM omniinbox.items WHERE account_id = %s", (account.id,)))
    assert texts == {rows[0][0]: "diralat", rows[1][0]: "keluhan 1 soal air PDAM"}
    assert [p.external_id for p in problems] == [rows[1][0]] and "cannot store" in problems[0].reason


def test_connector_errors_stop_the_stream_with_a_reason_and_no_secret(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    REDACTOR.add(TOKEN)
    errors: list[Exception] = [RateLimited("slow down", retry_after=30), AuthenticationError(f"token {TOKEN} expired")]

    class Failing(ScriptedConnector):
        def fetch(self, stream: str, cursor: str | None) -> Page:
            if cursor == "5":
                raise errors.pop(0)
            return super().fetch(stream, cursor)

    clock = [T0]
    worker = HubWorker(worker_conns[0], lambda a: Failing(total=20, size=5), name="w1", clock=lambda: clock[0])
    first = worker.sync_account(account)
    assert first is not None and first.streams[0].stopped.startswith("rate limited")
    assert first.streams[0].retry_at == T0 + timedelta(seconds=30) and first.items_written == 5
    second = worker.sync_account(account)
    assert second is not None and second.streams[0].stopped.startswith("authentication failed")
    assert TOKEN not in second.streams[0].stopped
    problems = (
        worker_conns[0]
        .execute("SELECT kind, reason FROM omniinbox.sync_problems WHERE account_id = %s ORDER BY id", (account.id,))
        .fetchall()
    )
    assert [k for k, _ in problems] == ["rate_limited", "authentication_failed"]
    assert all(TOKEN not in reason for _, reason in problems)
    assert get_cursor(worker_conns[0], account.id, "tickets") == "5"  # nothing after the failure moved


# ---------------------------------------------------------------------------------- sending


def _queue(pg_hub: PgHub, account: Account, count: int) -> list[int]:  # noqa: F811
    owner = pg_hub.owner()
    conversations = [
        r[0]
        for r in owner.execute(
            "SELECT id FROM omniinbox.conversations WHERE account_id = %s ORDER BY id LIMIT %s", (account.id, count)
        )
    ]
    short = f"agent{account.id}"
    _, agent = pg_hub.user(short, Role.AGENT)
    entries = []
    for conversation in conversations:
        assert locks.take(agent, conversation).acquired
        entries.append(outbox.queue_reply(agent, conversation, f"Mohon maaf, kami tindak lanjuti ({conversation})."))
        locks.release(agent, conversation)
    return entries


def test_two_workers_send_each_reply_exactly_once(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    connector = ScriptedConnector(total=50, size=50)
    w1 = HubWorker(worker_conns[0], lambda a: connector, name="w1")
    w2 = HubWorker(worker_conns[1], lambda a: connector, name="w2")
    w1.sync_account(account)
    entries = _queue(pg_hub, account, 10)
    connector.send_gate = threading.Barrier(2)  # every send waits for the other worker's: true overlap
    reports: dict[str, Any] = {}
    threads = [threading.Thread(target=lambda w=w: reports.setdefault(w.name, w.send_due([account]))) for w in (w1, w2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    keys = [r.idempotency_key for r in connector.sent]
    assert len(keys) == len(set(keys)) == 10
    assert sorted(reports["w1"].sent + reports["w2"].sent) == sorted(entries)
    assert reports["w1"].sent and reports["w2"].sent  # both really worked
    owner = pg_hub.owner()
    states = dict(owner.execute("SELECT id, state FROM omniinbox.outbox WHERE id = ANY(%s)", (entries,)).fetchall())
    assert set(states.values()) == {"sent"}
    echoed = _count(
        owner, "SELECT count(*) FROM omniinbox.items WHERE account_id = %s AND direction = 'out'", account.id
    )
    assert echoed == 10  # each reply shows in its thread once
    assert _count(owner, "SELECT count(*) FROM omniinbox.audit_events WHERE action = 'reply.sent'") >= 10


def test_an_interrupted_send_is_never_repeated_but_a_live_one_is_left_alone(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    connector = ScriptedConnector(total=10, size=10)
    HubWorker(worker_conns[0], lambda a: connector, name="w1").sync_account(account)
    first, second = _queue(pg_hub, account, 2)

    doomed = pg_hub.connect(pg_hub.login_name("worker1"))
    claimed = outbox.claim_next(doomed, datetime.now(UTC), [account.id], worker="doomed")
    assert claimed is not None and claimed.id == first and claimed.state is OutboxState.SENDING
    survivor = HubWorker(worker_conns[1], lambda a: connector, name="w2")
    assert survivor.recover_interrupted() == []  # its worker is alive: leave it
    doomed.close()  # the worker dies mid-send
    assert survivor.recover_interrupted() == [first]
    entry = outbox.get(worker_conns[1], first)
    assert entry is not None and entry.state is OutboxState.FAILED and entry.last_error == INTERRUPTED
    sent = survivor.send_due([account])
    assert sent.sent == [second] and [r.outbox_id for r in connector.sent] == [second]

    # the dead worker's send did reach the platform after all: its claim may still say so
    late = pg_hub.connect(pg_hub.login_name("worker1"))
    assert outbox.mark_sent(late, claimed, "late-receipt", datetime.now(UTC))
    entry = outbox.get(late, first)
    assert entry is not None and entry.state is OutboxState.SENT and entry.receipt_id == "late-receipt"


def test_weather_is_retried_later_and_refusals_fail_with_the_reason(
    pg_hub: PgHub,  # noqa: F811
    account: Account,
    worker_conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
) -> None:
    connector = ScriptedConnector(total=10, size=10)
    clock = [datetime.now(UTC)]
    worker = HubWorker(worker_conns[0], lambda a: connector, name="w1", clock=lambda: clock[0], rng=random.Random(3))
    worker.sync_account(account)
    weather, refused = _queue(pg_hub, account, 2)
    connector.send_errors = [TransientError("503 from the platform"), AuthenticationError(f"bad token {TOKEN}")]
    report = worker.send_due([account])
    assert report.retrying == [weather] and report.failed == [refused]
    failed = outbox.get(worker_conns[0], refused)
    assert failed is not None and failed.state is OutboxState.FAILED and TOKEN not in failed.last_error
    assert worker.send_due([account]).sent == []  # not due yet
    clock[0] += timedelta(hours=2)
    assert worker.send_due([account]).sent == [weather]


# ---------------------------------------------------------------------------------- end to end


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(live=False)
    try:
        yield running
    finally:
        running.stop()


def test_a_real_connector_fills_the_hub_and_a_locked_reply_arrives_once(
    pg_hub: PgHub,  # noqa: F811
    sandbox: Sandbox,
) -> None:
    info = next(a for a in sandbox.accounts if a.channel == "zendesk")
    account = accounts.add_account(
        pg_hub.owner(), "zendesk:e2e", Channel.ZENDESK, info.name, base_url=info.url, secret_ref=info.key,
        settings=info.settings,
    )  # fmt: skip
    _, worker_conn = pg_hub.user("e2e_worker", "worker")
    rounds: list[Any] = []
    dsn = pg_hub.dsn_for(pg_hub.login_name("e2e_worker"))
    only = ("zendesk:e2e",)
    assert (
        sync_hub(dsn, lambda a: build_connector(a, info.secret), account_keys=only, once=True, on_round=rounds.append)
        == 1
    )
    report = rounds[0].accounts[0]
    assert report.ok and report.items_written > 0
    ticket = worker_conn.execute(
        "SELECT c.id, i.id FROM omniinbox.conversations c JOIN omniinbox.items i ON i.conversation_id = c.id"
        " WHERE c.account_id = %s AND i.direction = 'in' ORDER BY i.created_at LIMIT 1",
        (account.id,),
    ).fetchone()
    assert ticket is not None
    _, dewi = pg_hub.user("dewi", Role.AGENT)
    _, eko = pg_hub.user("eko", Role.AGENT)
    assert locks.take(dewi, ticket[0]).acquired
    seen_by_eko = locks.take(eko, ticket[0])
    assert not seen_by_eko.acquired and seen_by_eko.holder_name == "Dewi"
    outbox.queue_reply(dewi, ticket[0], "Baik Bapak/Ibu, laporan sudah kami teruskan.", in_reply_to_item_id=ticket[1])
    sync_hub(dsn, lambda a: build_connector(a, info.secret), account_keys=only, once=True, on_round=rounds.append)
    assert rounds[1].sent.sent and not rounds[1].sent.failed
    assert sandbox.server.count("PUT", r"/zendesk/api/v2/tickets/\d+\.json$") == 1
    sync_hub(dsn, lambda a: build_connector(a, info.secret), account_keys=only, once=True, on_round=rounds.append)
    assert sandbox.server.count("PUT", r"/zendesk/api/v2/tickets/\d+\.json$") == 1  # never twice
    echoed = _count(
        worker_conn, "SELECT count(*) FROM omniinbox.items WHERE text = 'Baik Bapak/Ibu, laporan sudah kami teruskan.'"
    )
    assert echoed == 1
