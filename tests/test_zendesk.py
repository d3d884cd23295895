"""Zendesk: the parsers on real recorded answers, and the connector over real HTTP against the
sandbox's emulation (faults, resume, replies sent exactly once, bad credentials)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omniinbox.connectors.base import AuthenticationError
from omniinbox.connectors.zendesk import ZendeskConnector, parse_comments, parse_saved, parse_tickets
from omniinbox.core import Channel, ConversationStatus, ItemKind, OutboxState, Visibility
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.sandbox.zendesk import ZendeskPlatform
from omniinbox.store import outbox, queries
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import get_cursor
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

TOKEN = "zd-token-7c1f9a2e5b"
EMAIL = "agent@sukamaju.go.id"


def _decoded(corpus: Path, name: str) -> list[dict[str, Any]]:
    path = corpus / "zendesk" / "zenpy" / "_decoded" / f"{name}.json.decoded.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_every_recorded_ticket_answer_parses(corpus: Path) -> None:
    tickets = 0
    for cassette in ("TicketsIncrementalTest.test_get_values", "TestTicketsPagination.test_values"):
        for interaction in _decoded(corpus, cassette):
            body = interaction["body"]
            if interaction["method"] != "GET" or not isinstance(body, dict) or "tickets" not in body:
                continue
            page, live = parse_tickets(body, "https://acme.zendesk.com")
            assert not page.problems
            assert len(page.conversations) == len(body["tickets"]) and len(live) == len(page.items)
            tickets += len(page.items)
            for item in page.items:
                assert item.kind is ItemKind.TICKET and item.external_id == item.conversation_id
                assert item.permalink.startswith("https://acme.zendesk.com/agent/tickets/")
    assert tickets > 90


def test_recorded_comments_parse_with_exact_fourteen_digit_ids(corpus: Path) -> None:
    found = []
    for interaction in _decoded(corpus, "TestAttachmentUpload.test_redact_attachment-upload-single"):
        if "/comments.json" in interaction["uri"]:
            ticket_id = interaction["uri"].split("/tickets/")[1].split("/")[0]
            body = {**interaction["body"], "_continued": True}  # keep the first comment: no ticket here
            page = parse_comments(body, ticket_id, "https://acme.zendesk.com")
            assert not page.problems
            found += page.items
    assert [i.external_id for i in found] == ["33144692244499"]
    assert found[0].text == "Some comment" and found[0].visibility is Visibility.PUBLIC


def test_saved_answers_import_and_bad_shapes_are_named() -> None:
    page = parse_saved({"ticket": {"id": 5, "subject": "S", "description": "D", "status": "open",
                                   "created_at": "2026-01-02T03:04:05Z", "requester_id": 9}})  # fmt: skip
    assert [i.text for i in page.items] == ["D"] and page.conversations[0].status is ConversationStatus.OPEN
    page = parse_saved({"tickets": [{"id": 6, "status": "open"}, "junk"]})
    assert [p.reason for p in page.problems] == [
        "ticket 6: ticket 6 has no created_at",
        "ticket entry 1 has no numeric id",
    ]


# ------------------------------------------------------------------------------- over HTTP


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, ZendeskPlatform]]:
    player = ScenarioPlayer([scenario_named("viral-outage")], live=False)
    platform = ZendeskPlatform(player, token=TOKEN, email=EMAIL)
    with SandboxServer([platform]) as server:
        yield server, platform


def _connector(server: SandboxServer, **kw: Any) -> ZendeskConnector:
    waits: list[float] = []
    return ZendeskConnector(server.url("zendesk"), email=EMAIL, token=kw.pop("token", TOKEN), page_size=4,
                            timeout=(2.0, 0.5), sleep=waits.append, backoff=0.0, **kw)  # fmt: skip


def test_a_full_sync_reads_every_ticket_and_comment(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan")
    connector = _connector(server)
    report = SyncEngine(cache, lambda _a: connector).sync_account(account)
    assert report.ok, report.streams
    tickets = platform.ticket_ids()
    assert report.streams[0].pages == -(-len(tickets) // 4)
    counts = dict(cache.conn.execute("SELECT kind, count(*) FROM items GROUP BY kind"))
    assert counts == {"ticket": len(tickets)}  # scenario tickets have no later comments yet
    subjects = {r[0] for r in cache.conn.execute("SELECT subject FROM conversations")}
    assert "SukaLayan tidak bisa diakses" in subjects
    assert json.loads(get_cursor(cache, account.id, "tickets") or "{}")["cursor"]
    again = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert again.ok and again.items_written == 0 and again.items_read == 0  # only what changed is asked for


def test_faults_mid_sync_are_ridden_out(cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]) -> None:
    server, platform = sandbox
    server.inject("GET", r"/zendesk/api/v2/incremental/", status=429, headers={"Retry-After": "1"})
    server.inject("GET", r"/comments\.json", status=503, headers={"Retry-After": "0"})
    server.inject("GET", r"/comments\.json", status=502)
    server.inject("GET", r"/comments\.json", delay=1.0, status=200)  # longer than the 0.5 s read timeout
    account = ensure_account(cache, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan")
    report = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert report.ok, report.streams
    assert queries.stats(cache)["items"] == len(platform.ticket_ids())
    statuses = [r.status for r in server.requests]
    assert {429, 503, 502} <= set(statuses)  # every fault was met, and ridden out
    assert statuses.count(200) >= len(platform.ticket_ids())


def test_a_stopped_sync_resumes_without_duplicates(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan")
    first = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account, max_pages=2)
    assert first.items_written == 8
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    total, distinct = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert total == distinct == len(platform.ticket_ids())


def test_replies_and_internal_notes_go_out_once_and_come_back(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    server, _platform = sandbox
    account = ensure_account(cache, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan")
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    item_id, conversation_id, ticket = cache.conn.execute(
        "SELECT i.id, i.conversation_id, c.external_id FROM items i JOIN conversations c ON c.id = i.conversation_id"
        " ORDER BY i.id LIMIT 1"
    ).fetchone()
    public = outbox.enqueue(cache, account_id=account.id, body="Mohon maaf, SukaLayan sedang dipulihkan.",
                            conversation_id=conversation_id, in_reply_to_item_id=item_id)  # fmt: skip
    note = outbox.enqueue(cache, account_id=account.id, body="Eskalasi ke tim TI.", conversation_id=conversation_id,
                          in_reply_to_item_id=item_id, visibility=Visibility.PRIVATE)  # fmt: skip
    sender = OutboxSender(cache, lambda _a: _connector(server))
    sender.send_due()
    sender.send_due()  # nothing left: nothing is sent again
    assert [outbox.get(cache, e.id).state for e in (public, note)] == [OutboxState.SENT, OutboxState.SENT]
    assert server.count("PUT", rf"/zendesk/api/v2/tickets/{ticket}\.json") == 2
    sent = [json.loads(r.body)["ticket"]["comment"] for r in server.iter_requests("zendesk") if r.method == "PUT"]
    assert [c["public"] for c in sent] == [True, False]
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    rows = cache.conn.execute(
        "SELECT direction, visibility, text FROM items WHERE kind = 'ticket_comment' ORDER BY id"
    ).fetchall()
    assert rows == [
        ("out", "public", "Mohon maaf, SukaLayan sedang dipulihkan."),
        ("out", "private", "Eskalasi ke tim TI."),
    ]


def test_a_deleted_ticket_closes_its_conversation(cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan")
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    gone = platform.ticket_ids()[0]
    platform.delete_ticket(gone)
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    status = cache.conn.execute("SELECT status FROM conversations WHERE external_id = ?", (str(gone),)).fetchone()
    assert status == ("closed",)


def test_wrong_credentials_stop_the_account_without_revealing_the_token(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    server, _ = sandbox
    wrong = "zd-wrong-token-1234567"
    with pytest.raises(AuthenticationError) as caught:
        _connector(server, token=wrong).check()
    assert wrong not in str(caught.value) and "401" in str(caught.value)
    account = ensure_account(cache, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan")
    report = SyncEngine(cache, lambda _a: _connector(server, token=wrong)).sync_account(account)
    assert report.streams[0].stopped.startswith("authentication failed")
    assert wrong not in report.streams[0].stopped
    assert _connector(server).check().can_reply
