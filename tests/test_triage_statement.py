"""One answer, every channel: a must-answer issue's statement is approved by a supervisor and goes
out through the outbox as one reply per channel and account, fitted to each channel's limit; over
real HTTP against the sandbox's contact-center platforms, each reply arrives once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_triage_support import Feed, issue_of, item, ms

from omniinbox import triage
from omniinbox.connectors.registry import build_connector
from omniinbox.core import Account, Channel, ItemKind, Role, Team
from omniinbox.sandbox.hub import Sandbox, start_sandbox
from omniinbox.store import issues as store
from omniinbox.store import outbox
from omniinbox.store.accounts import add_account, add_user
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender
from omniinbox.triage import actions, statement
from omniinbox.triage import settings as triage_settings
from omniinbox.triage.statement import StatementRefused, adapt

BODY = (
    "Mohon maaf atas gangguan aplikasi SukaLayan sejak pagi ini. Tim kami sedang memulihkan server dan"
    " menargetkan layanan normal kembali pukul 14.00. Selama gangguan, antrean manual dibuka di semua kantor"
    " kecamatan sampai pukul 15.00, dan jadwal yang terlewat dapat dijadwalkan ulang tanpa antre. Kabar bahwa"
    " data warga bocor karena server diretas tidak benar: tidak ada data yang keluar dari sistem kami."
    " Informasi terbaru kami sampaikan di semua kanal resmi Pemerintah Kota Sukamaju."
)
LINK = "https://sukamaju.go.id/siaran/sukalayan"


def test_the_statement_is_fitted_to_each_channels_limit() -> None:
    assert adapt(BODY, None) == BODY
    assert adapt(BODY, 10000) == BODY
    on_x = adapt(BODY, 280, link=LINK)
    assert len(on_x) <= 280 and on_x.endswith(f"… {LINK}")
    assert on_x.startswith("Mohon maaf atas gangguan aplikasi SukaLayan sejak pagi ini.")
    assert adapt(BODY, 280, short_body="SukaLayan pulih pukul 14.00; antrean manual dibuka.") == (
        "SukaLayan pulih pukul 14.00; antrean manual dibuka."
    )
    one_long_word = adapt("x" * 600, 500)
    assert len(one_long_word) <= 500 and one_long_word.endswith("…")


def _must_answer_issue(cache: Cache) -> tuple[int, Feed]:
    triage_settings.save(cache, None, {"public_authors": 5, "public_channels": 2})
    feed = Feed(cache)
    feed.account("x:walikota", leader=True)
    entries = [
        ("x:pemkot", item("x1", "SukaLayan error dari pagi, antrean KTP gimana? #SukaLayanDown", 1, likes=30)),
        ("x:pemkot", item("x2", "Masih down SukaLayan, gak bisa ambil antrean #SukaLayanDown", 2, likes=900)),
        ("x:walikota", item("w1", "Pak, SukaLayan down dari pagi #SukaLayanDown", 3, kind=ItemKind.REPLY)),
        (
            "facebook:pemkot",
            item("f1", "Aplikasi SukaLayan error, antrean KTP tidak bisa diambil", 4, kind=ItemKind.COMMENT),
        ),
        (
            "zendesk:pemkot",
            item(
                "z1",
                "Sejak pagi SukaLayan tidak bisa diakses, antrean KTP saya hangus",
                5,
                kind=ItemKind.TICKET,
                subject="SukaLayan gangguan",
            ),
        ),
        (
            "zendesk:pemkot",
            item(
                "z2",
                "SukaLayan down, mohon antrean KTP dijadwalkan ulang",
                6,
                kind=ItemKind.TICKET,
                subject="SukaLayan down",
            ),
        ),
        (
            "email:layanan",
            item(
                "m1",
                "SukaLayan gangguan, antrean KTP tidak bisa diambil",
                7,
                kind=ItemKind.EMAIL,
                subject="Antrean KTP",
            ),
        ),
    ]
    feed.write(entries)
    triage.update(cache, now_ms=ms(8))
    issue_id = issue_of(cache, "x1")
    assert issue_id is not None
    issue = store.issue(cache, issue_id)
    assert issue is not None and issue.must_answer and issue.items == len(entries)
    return issue_id, feed


def test_one_answer_goes_to_every_channel_and_account_once(cache: Cache) -> None:
    issue_id, _feed = _must_answer_issue(cache)
    officer = add_user(cache, "social", "Social officer", Role.SOCIAL_OFFICER, Team.SOCIAL)
    supervisor = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)

    draft = statement.draft_statement(cache, officer, issue_id, BODY, link=LINK)
    with pytest.raises(StatementRefused, match="approved by a supervisor"):
        statement.approve_statement(cache, officer, draft.id)
    with pytest.raises(StatementRefused, match="must be approved"):
        statement.fan_out(cache, officer, draft.id)
    approved = statement.approve_statement(cache, supervisor, draft.id)
    assert approved.state == "approved" and approved.approved_by == supervisor.id

    plan = statement.plan_fanout(cache, draft.id)
    assert [(t.channel, t.account_key) for t in plan] == [
        ("email", "email:layanan"), ("facebook", "facebook:pemkot"), ("x", "x:pemkot"), ("x", "x:walikota"),
        ("zendesk", "zendesk:pemkot"),
    ]  # fmt: skip
    by_key = {t.account_key: t for t in plan}
    assert (
        by_key["x:pemkot"].item_id == cache.conn.execute("SELECT id FROM items WHERE external_id = 'x2'").fetchone()[0]
    )
    assert len(by_key["x:pemkot"].body) <= 280 and by_key["x:pemkot"].shortened
    assert by_key["email:layanan"].body == BODY and not by_key["email:layanan"].shortened
    assert by_key["facebook:pemkot"].body == BODY  # 8,000 characters fit it
    latest_ticket = cache.conn.execute("SELECT id FROM items WHERE external_id = 'z2'").fetchone()[0]
    assert by_key["zendesk:pemkot"].item_id == latest_ticket  # private channels: the latest message

    progress = statement.fan_out(cache, officer, draft.id)
    states = {r.channel + ":" + str(r.account_id): r.state for r in progress}
    assert len(progress) == 5
    leader = next(r for r in progress if r.account_id == by_key["x:walikota"].account_id)
    assert leader.state == "awaiting_approval"  # a leader's personal account: a person approves the reply
    assert sorted(states.values()) == ["awaiting_approval", "queued", "queued", "queued", "queued"]
    assert statement.progress_summary(progress) == {"awaiting_approval": 1, "queued": 4}
    assert store.statement(cache, draft.id).state == "fanned_out"  # type: ignore[union-attr]

    again = statement.fan_out(cache, officer, draft.id)
    assert [r.outbox_id for r in again] == [r.outbox_id for r in progress]
    assert cache.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 5


def test_a_fan_out_interrupted_after_queueing_does_not_queue_twice(cache: Cache) -> None:
    issue_id, _feed = _must_answer_issue(cache)
    supervisor = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)
    draft = statement.draft_statement(cache, supervisor, issue_id, "SukaLayan pulih pukul 14.00.")
    statement.approve_statement(cache, supervisor, draft.id)
    target = statement.plan_fanout(cache, draft.id)[0]
    # the first run queued this reply and stopped before recording it
    with cache.write("triage") as tx:
        store.plan_statement_reply(tx, draft.id, target.account_id, target.channel, target.item_id,
                                   target.conversation_id, target.body)  # fmt: skip
    early = outbox.enqueue(cache, account_id=target.account_id, body=target.body,
                           conversation_id=target.conversation_id, in_reply_to_item_id=target.item_id)  # fmt: skip
    progress = statement.fan_out(cache, supervisor, draft.id)
    assert next(r for r in progress if r.account_id == target.account_id).outbox_id == early.id
    assert cache.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == len(progress)


def test_only_a_must_answer_issue_gets_a_statement(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([("x:pemkot", item("a", "Lampu jalan Jl. Melati mati", 1)),
                ("x:pemkot", item("b", "Lampu Jl. Melati mati lagi", 2))])  # fmt: skip
    triage.update(cache, now_ms=ms(3))
    user = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)
    with pytest.raises(StatementRefused, match="not must-answer"):
        statement.draft_statement(cache, user, issue_of(cache, "a") or 0, "Sedang kami perbaiki.")
    with pytest.raises(StatementRefused, match="no issue"):
        statement.draft_statement(cache, user, 999, "x")


def test_owner_and_deadline_of_a_must_answer_issue(cache: Cache) -> None:
    issue_id, _feed = _must_answer_issue(cache)
    agent = add_user(cache, "agent", "Agent", Role.AGENT, Team.CONTACT_CENTER)
    other = add_user(cache, "agent-2", "Agent 2", Role.AGENT, Team.CONTACT_CENTER)
    supervisor = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)
    assert store.issue(cache, issue_id).owner_id is None  # type: ignore[union-attr]
    with pytest.raises(actions.IssueRefused, match="only a supervisor"):
        actions.set_owner(cache, agent, issue_id, other.id)
    actions.set_owner(cache, agent, issue_id, agent.id)  # takes it
    with pytest.raises(actions.IssueRefused, match="take an issue from its owner"):
        actions.set_owner(cache, other, issue_id, None)
    actions.set_owner(cache, supervisor, issue_id, other.id)
    actions.set_deadline(cache, supervisor, issue_id, ms(120))
    issue = store.issue(cache, issue_id)
    assert issue is not None and issue.owner_id == other.id and issue.deadline_at == ms(120)
    with pytest.raises(actions.IssueRefused, match="must be answered"):
        actions.close_issue(cache, agent, issue_id)
    note = store.notifications(cache, issue_id=issue_id)[0]
    with pytest.raises(actions.IssueRefused, match="supervisor"):
        actions.acknowledge(cache, agent, note.id)
    assert actions.acknowledge(cache, supervisor, note.id)
    assert store.notifications(cache) == []
    trail = [r[2] for r in store.issue_audit(cache, issue_id)]
    assert trail.count("issue.owner") == 2 and "issue.deadline" in trail and "issue.must_answer" in trail


# ------------------------------------------------------------------------------------ over real HTTP


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(["viral-outage"], live=False, platforms=list(WRITES))
    try:
        yield running
    finally:
        running.stop()


WRITES = {
    "zendesk": ("PUT", r"/zendesk/api/v2/tickets/\d+\.json$"),
    "freshdesk": ("POST", r"/reply$"),
    "zammad": ("POST", r"/ticket_articles$"),
    "chatwoot": ("POST", r"/messages$"),
}


def test_the_statement_reaches_every_contact_center_platform_once(cache: Cache, sandbox: Sandbox) -> None:
    accounts: dict[int, tuple[Account, str]] = {}
    for info in sandbox.accounts:
        account = add_account(cache, info.key, Channel(info.channel), info.name, base_url=info.url,
                              secret_ref=info.key, settings=info.settings)  # fmt: skip
        accounts[account.id] = (account, info.secret)

    def connector_for(account: Account):  # type: ignore[no-untyped-def]
        known, secret = accounts[account.id]
        return build_connector(known, secret)

    engine = SyncEngine(cache, connector_for)
    try:
        for account, _secret in accounts.values():
            assert engine.sync_account(account).ok
    finally:
        engine.close()
    triage.update(cache)
    issue_id = cache.conn.execute("SELECT id FROM issues WHERE must_answer = 1").fetchone()[0]
    issue = store.issue(cache, issue_id)
    assert issue is not None and set(issue.measures["channels"]) == set(WRITES)

    supervisor = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)
    draft = statement.draft_statement(cache, supervisor, issue_id, BODY)
    statement.approve_statement(cache, supervisor, draft.id)
    progress = statement.fan_out(cache, supervisor, draft.id)
    assert {r.channel for r in progress} == set(WRITES) and {r.state for r in progress} == {"queued"}

    report = OutboxSender(cache, connector_for).send_due()
    assert len(report.sent) == 4 and not report.failed
    for channel, (method, pattern) in WRITES.items():
        assert sandbox.server.count(method, pattern) == 1, channel
    done = statement.fanout_progress(cache, draft.id)
    assert {r.state for r in done} == {"sent"} and all(r.sent_at for r in done)
    triage.update(cache)
    answered = store.issue(cache, issue_id)
    assert answered is not None and answered.answered_at == max(r.sent_at or 0 for r in done)
    assert "issue.answered" in [r[2] for r in store.issue_audit(cache, issue_id)]
    statement.fan_out(cache, supervisor, draft.id)  # again: nothing new goes out
    assert OutboxSender(cache, connector_for).send_due().sent == []
