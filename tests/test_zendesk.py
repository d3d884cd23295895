"""Zendesk: the parsers on every recorded answer, the connector over real HTTP against the
sandbox's emulation (faults, resume inside an export page, replies sent exactly once, bad
credentials), and ``omniinbox import --channel zendesk`` on saved answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.sandbox import ZENDESK_EMAIL as EMAIL
from helpers.sandbox import ZENDESK_TOKEN as TOKEN
from helpers.sandbox import fast_client, zendesk_sandbox

from omniinbox import cli
from omniinbox.connectors.base import AuthenticationError
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.registry import build_connector, spec_for
from omniinbox.connectors.zendesk import ZendeskConnector, parse_comments, parse_saved, parse_tickets
from omniinbox.core import (
    Account,
    Channel,
    ConversationStatus,
    ItemKind,
    OutboxState,
    OutgoingReply,
    Priority,
    Visibility,
)
from omniinbox.sandbox.server import SandboxServer
from omniinbox.sandbox.zendesk import ZendeskPlatform
from omniinbox.store import outbox, queries
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import get_cursor
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

DECODED = ("zendesk", "zenpy", "_decoded")


def _decoded(corpus: Path, name: str) -> list[dict[str, Any]]:
    path = corpus.joinpath(*DECODED) / f"{name}.json.decoded.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _every_body(corpus: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(corpus.joinpath(*DECODED).glob("*.decoded.json")):
        for interaction in json.loads(path.read_text(encoding="utf-8")):
            yield f"{interaction['method']} {interaction['uri']}", interaction["body"]


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


def test_every_recorded_body_is_read_or_named(corpus: Path) -> None:
    """parse_saved takes whatever Zendesk answered: messages where there are some, otherwise one
    problem saying what the answer holds; never an exception."""
    kinds: dict[str, int] = {}
    for where, body in _every_body(corpus):
        page = parse_saved(body)
        if page.items:
            assert not page.problems, (where, page.problems)
            for item in page.items:
                kinds[item.kind.value] = kinds.get(item.kind.value, 0) + 1
                assert item.external_id.isdigit() and item.conversation_id.isdigit()
        else:
            assert [p.reason.split(" (")[0] for p in page.problems] == [
                "not a Zendesk answer with tickets, comments or audits"
            ], where
    assert kinds["ticket"] > 90 and kinds["ticket_comment"] >= 1


def test_recorded_comments_parse_with_exact_fourteen_digit_ids(corpus: Path) -> None:
    found = []
    for interaction in _decoded(corpus, "TestAttachmentUpload.test_redact_attachment-upload-single"):
        if "/comments.json" in interaction["uri"]:
            ticket_id = interaction["uri"].split("/tickets/")[1].split("/")[0]
            page = parse_comments(interaction["body"], ticket_id, "https://acme.zendesk.com")
            assert not page.problems
            found += page.items
            # Saved on its own, the answer names its ticket only through its paging links.
            saved = parse_saved(interaction["body"])
            assert [(i.external_id, i.conversation_id) for i in saved.items] == [("33144692244499", "33")]
            skipped = parse_comments(interaction["body"], ticket_id, "https://a", first_is_description=True)
            assert skipped.items == []  # the first page's first comment is the ticket's description
    assert [i.external_id for i in found] == ["33144692244499"]
    assert found[0].text == "Some comment" and found[0].visibility is Visibility.PUBLIC


def test_recorded_audits_give_openings_and_comments(corpus: Path) -> None:
    body = _decoded(corpus, "TestTicketAudits.test_values")[0]["body"]
    page = parse_saved(body)
    assert not page.problems
    comments = sum(1 for a in body["audits"] for e in a["events"] if e["type"] == "Comment")
    assert len(page.items) == comments
    opening = next(i for i in page.items if i.conversation_id == "1")
    assert opening.kind is ItemKind.TICKET and opening.external_id == "1"
    assert opening.subject == "Sample ticket: Meet the ticket" and opening.text.startswith("Hi there,")
    info = next(c for c in page.conversations if c.external_id == "1")
    assert info.subject == "Sample ticket: Meet the ticket" and info.status is ConversationStatus.OPEN


def test_saved_answers_import_and_bad_shapes_are_named() -> None:
    ticket = {"id": 5, "subject": "S", "description": "D", "status": "hold", "priority": "urgent",
              "created_at": "2026-01-02T03:04:05Z", "requester_id": 9}  # fmt: skip
    page = parse_saved({"ticket": ticket})
    assert [i.text for i in page.items] == ["D"]
    assert page.conversations[0].status is ConversationStatus.PENDING
    assert page.conversations[0].priority is Priority.URGENT
    page = parse_saved({"tickets": [{"id": 6, "status": "open"}, "junk", {"id": 7, "created_at": "yesterday"}]})
    assert [p.reason for p in page.problems] == [
        "ticket 6: ticket 6 has no created_at",
        "ticket entry 1 has no numeric id",
        "ticket 7: ticket 7 has an unreadable created_at 'yesterday'",
    ]
    assert parse_saved({"comments": []}).problems[0].reason.startswith("a comments answer that does not name")
    assert parse_saved([1, 2]).problems[0].reason == "not a Zendesk answer: a JSON list, not an object"
    html_only = {"ticket_id": 8, "comments": [{"id": 81, "html_body": "<p>Halo <b>tim</b></p>", "public": False,
                                               "created_at": "2026-01-02T03:04:05Z"}]}  # fmt: skip
    (note,) = parse_saved(html_only).items
    assert note.text == "Halo tim" and note.visibility is Visibility.PRIVATE
    deleted = parse_saved({"tickets": [{"id": 9, "status": "deleted", "subject": "x"}]})
    assert deleted.items == [] and deleted.conversations[0].status is ConversationStatus.CLOSED


# ------------------------------------------------------------------------------- over HTTP


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, ZendeskPlatform]]:
    with zendesk_sandbox("viral-outage") as pair:
        yield pair


def _connector(server: SandboxServer, waits: list[float] | None = None, **kw: Any) -> ZendeskConnector:
    kw.setdefault("page_size", 4)
    return ZendeskConnector(server.url("zendesk"), email=EMAIL, token=kw.pop("token", TOKEN), **fast_client(waits),
                            **kw)  # fmt: skip


def _account(cache: Cache) -> Any:
    return ensure_account(cache, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan")


def _stored_tickets(cache: Cache) -> set[str]:
    return {r[0] for r in cache.conn.execute("SELECT external_id FROM items WHERE kind = 'ticket'")}


def _comment_reads(server: SandboxServer, since: int = 0) -> list[str]:
    return [r.path.split("/")[4] for r in server.requests[since:] if r.path.endswith("/comments.json")]


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
    assert json.loads(get_cursor(cache, account.id, "tickets") or "{}")["export"]  # the export's after_cursor
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


def test_a_stopped_sync_resumes_inside_an_export_page(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    """One export page of 10 tickets is stored 3 tickets at a time; a sync stopped after two
    batches asks for the same export page again and reads comments only of the tickets not stored."""
    server, platform = sandbox
    account = _account(cache)
    first = SyncEngine(cache, lambda _a: _connector(server, page_size=10, tickets_per_page=3))
    assert first.sync_account(account, max_pages=2).items_written == 6
    stored = _stored_tickets(cache)
    cursor = json.loads(get_cursor(cache, account.id, "tickets") or "{}")
    assert cursor["pos"] == 6 and "start_time" in cursor
    mark = len(server.requests)
    second = SyncEngine(cache, lambda _a: _connector(server, page_size=10, tickets_per_page=3)).sync_account(account)
    assert second.ok, second.streams
    exports = [r for r in server.requests[mark:] if "incremental" in r.path]
    assert exports[0].query.get("start_time") == [str(cursor["start_time"])]  # the same page again
    assert not set(_comment_reads(server, mark)) & stored
    assert _stored_tickets(cache) == {str(t) for t in platform.ticket_ids()}
    total, distinct = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert total == distinct == len(platform.ticket_ids())


def test_a_page_that_changed_while_stopped_is_worked_through_again(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    server, platform = sandbox
    account = _account(cache)
    SyncEngine(cache, lambda _a: _connector(server, page_size=10, tickets_per_page=3)).sync_account(
        account, max_pages=1
    )
    stored = _stored_tickets(cache)
    changed = min(stored)
    reply = OutgoingReply(1, "k1", "Sudah kami teruskan.", Visibility.PUBLIC, changed, changed)
    receipt = _connector(server).send(reply)  # the ticket moves to the end of the export
    mark = len(server.requests)
    report = SyncEngine(cache, lambda _a: _connector(server, page_size=10, tickets_per_page=3)).sync_account(account)
    assert report.ok
    assert stored <= set(_comment_reads(server, mark))  # the changed page was read from its start
    rows = cache.conn.execute("SELECT external_id, text FROM items WHERE kind = 'ticket_comment'").fetchall()
    assert rows == [(receipt.external_id, "Sudah kami teruskan.")]
    total, distinct = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert total == distinct == len(platform.ticket_ids()) + 1


def test_a_reply_that_may_have_arrived_is_never_repeated(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    server, _platform = sandbox
    account = _account(cache)
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    item_id, conversation_id, ticket = cache.conn.execute(
        "SELECT i.id, i.conversation_id, c.external_id FROM items i JOIN conversations c ON c.id = i.conversation_id"
        " ORDER BY i.id LIMIT 1"
    ).fetchone()
    put = rf"/zendesk/api/v2/tickets/{ticket}\.json"
    sender = OutboxSender(cache, lambda _a: _connector(server))
    # The platform takes the reply but answers after the client's read timeout.
    server.inject("PUT", put, status=0, delay=1.0)
    late = outbox.enqueue(cache, account_id=account.id, body="Balasan yang terlambat dijawab.",
                          conversation_id=conversation_id, in_reply_to_item_id=item_id)  # fmt: skip
    sender.send_due()
    # A gateway error: the platform may or may not have taken it.
    server.inject("PUT", put, status=504)
    gateway = outbox.enqueue(cache, account_id=account.id, body="Balasan lewat gateway.",
                             conversation_id=conversation_id, in_reply_to_item_id=item_id)  # fmt: skip
    sender.send_due()
    sender.send_due()
    assert server.count("PUT", put) == 2  # each tried once, never repeated
    for entry in (late, gateway):
        stored = outbox.get(cache, entry.id)
        assert stored.state is OutboxState.FAILED and "may or may not" in stored.last_error
    # "Not now, in 1 s": the platform refused it, so it is repeated once after the wait.
    server.inject("PUT", put, status=503, headers={"Retry-After": "1"})
    waits: list[float] = []
    refused = outbox.enqueue(cache, account_id=account.id, body="Balasan setelah menunggu.",
                             conversation_id=conversation_id, in_reply_to_item_id=item_id)  # fmt: skip
    OutboxSender(cache, lambda _a: _connector(server, waits)).send_due()
    assert outbox.get(cache, refused.id).state is OutboxState.SENT and waits == [pytest.approx(1, abs=0.2)]
    assert server.count("PUT", put) == 4
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    texts = [r[0] for r in cache.conn.execute("SELECT text FROM items WHERE kind = 'ticket_comment' ORDER BY id")]
    assert texts == ["Balasan yang terlambat dijawab.", "Balasan setelah menunggu."]  # each once


def test_a_reply_without_an_audit_in_the_answer_is_read_back(
    cache: Cache, sandbox: tuple[SandboxServer, ZendeskPlatform]
) -> None:
    server, platform = sandbox
    platform.audit_in_answers = False
    ticket = str(platform.ticket_ids()[0])
    connector = _connector(server)
    receipt = connector.send(OutgoingReply(1, "k", "Catatan internal.", Visibility.PRIVATE, ticket, ticket))
    assert server.count("PUT", r"/tickets/\d+\.json") == 1
    account = _account(cache)
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    row = cache.conn.execute("SELECT external_id, visibility FROM items WHERE kind = 'ticket_comment'").fetchone()
    assert row == (receipt.external_id, "private") and len(receipt.external_id) == 14


def test_ticket_updates_carry_zendesks_per_ticket_budget_without_blocking_the_host(
    sandbox: tuple[SandboxServer, ZendeskPlatform],
) -> None:
    server, platform = sandbox
    connector = _connector(server)
    ticket = str(platform.ticket_ids()[0])
    response = connector.http.request(
        "PUT", f"api/v2/tickets/{ticket}.json", json_body={"ticket": {"comment": {"body": "x", "public": True}}}
    )
    assert response.headers["zendesk-ratelimit-per-ticket-updates"].startswith("total=30; remaining=29; resets=")
    assert response.headers["ratelimit-limit"] == "700" and "x-rate-limit-remaining" in response.headers
    assert connector.http.rate.wait_for(connector.http.rate_key) == 0


def test_an_oauth_token_works_and_a_wrong_one_is_not_revealed(
    sandbox: tuple[SandboxServer, ZendeskPlatform], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = sandbox
    caplog.set_level(logging.DEBUG)
    good = ZendeskConnector(server.url("zendesk"), oauth_token=TOKEN, **fast_client())
    assert good.check().identity.startswith("Petugas Pusat Layanan <agent@sukamaju.go.id>")
    wrong = "zd-oauth-wrong-98f7e6d5"
    with pytest.raises(AuthenticationError) as caught:
        ZendeskConnector(server.url("zendesk"), oauth_token=wrong, **fast_client()).check()
    assert wrong not in str(caught.value) and "Couldn't authenticate you" in str(caught.value)
    assert wrong not in caplog.text


# ------------------------------------------------------------------------------- import


def _import(capsys: pytest.CaptureFixture[str], tmp_path: Path, *paths: Path) -> tuple[int, str, str]:
    """``omniinbox import --channel zendesk PATH...`` in-process; the root logger it sets up is restored."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = cli.main(["--cache", str(tmp_path / "cache.sqlite"), "import", "--channel", "zendesk",
                         *map(str, paths)])  # fmt: skip
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_reads_every_kind_of_saved_answer_and_names_bad_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, corpus: Path
) -> None:
    bodies = [body for _, body in _every_body(corpus)]
    saved = tmp_path / "zendesk.jsonl"
    saved.write_text("\n".join(json.dumps(b) for b in bodies) + '\n{"tickets": [\n', encoding="utf-8")
    code, out, err = _import(capsys, tmp_path, saved)
    assert code == 0, err
    expected = {(i.external_id) for b in bodies for i in parse_saved(b).items}
    assert f"{len(expected)} new or changed" in out
    assert "zendesk.jsonl:" in err and "not JSON" in err  # the truncated last line, by file and line
    assert "not a Zendesk answer with tickets, comments or audits (it holds: upload)" in err
    with Cache.open(tmp_path / "cache.sqlite") as cache:
        ids = {r[0] for r in cache.conn.execute("SELECT external_id FROM items")}
        assert "33144692244499" in ids and ids == expected


def test_import_of_nothing_readable_fails_naming_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    truncated = tmp_path / "export.json"
    truncated.write_text('{"tickets": [{"id": 1, "subject": "Lampu jalan', encoding="utf-8")
    wrong = tmp_path / "users.json"
    wrong.write_text(json.dumps({"users": [{"id": 1}]}), encoding="utf-8")
    code, out, err = _import(capsys, tmp_path, truncated, wrong)
    assert code == 1
    assert f"{truncated}: not valid JSON" in err and "nothing was read from it" in err
    assert "users.json#0: not a Zendesk answer with tickets, comments or audits (it holds: users)" in err
    assert "Imported 0 item(s)" in out


def test_the_registry_builds_zendesk_accounts_on_the_shared_budget(
    sandbox: tuple[SandboxServer, ZendeskPlatform],
) -> None:
    server, _ = sandbox

    def account(**settings: str) -> Account:
        return Account(1, "zendesk:sukamaju", Channel.ZENDESK, "Pusat Layanan", base_url=server.url("zendesk"),
                       settings=settings)  # fmt: skip

    by_token = build_connector(account(email=EMAIL), TOKEN)
    by_oauth = build_connector(account(auth="oauth"), TOKEN)
    assert isinstance(by_token, ZendeskConnector) and isinstance(by_oauth, ZendeskConnector)
    assert by_token.http.rate is by_oauth.http.rate is RateControl.shared()
    assert by_token.check().can_reply and by_oauth.check().can_reply
    with pytest.raises(AuthenticationError, match="needs the agent's email"):
        build_connector(account(), TOKEN)
    with pytest.raises(AuthenticationError, match="no secret is stored"):
        build_connector(account(email=EMAIL), None)
    assert spec_for(Channel.ZENDESK).parse_saved is not None
