"""Freshdesk: the parsers on the recorded shapes, and the connector over real HTTP against the
sandbox's emulation (Link paging, 429, replies and private notes sent once, bad key)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omniinbox.connectors.base import AuthenticationError
from omniinbox.connectors.freshdesk import FreshdeskConnector, parse_saved
from omniinbox.core import Channel, ConversationStatus, Direction, OutboxState, Priority, Visibility
from omniinbox.sandbox.freshdesk import FreshdeskPlatform
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.store import outbox
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

KEY = "fd-key-Zq8Wm3Lp2Xv"


def test_recorded_ticket_and_conversations_parse(corpus: Path) -> None:
    folder = corpus / "freshdesk" / "python-freshdesk"
    ticket = parse_saved(json.loads((folder / "ticket_1.json").read_text(encoding="utf-8")))
    assert not ticket.problems
    (item,) = ticket.items
    assert item.text == "This is a sample ticket, feel free to delete it." and item.subject == "This is a sample ticket"
    info = ticket.conversations[0]
    assert info.status is ConversationStatus.OPEN and info.priority is Priority.LOW
    assert item.author is not None and item.author.external_id == "43026449322"  # the included requester wins
    entries = parse_saved(json.loads((folder / "conversations.json").read_text(encoding="utf-8")))
    assert [(i.external_id, i.visibility, i.direction, i.text) for i in entries.items] == [
        ("c1", Visibility.PRIVATE, Direction.OUTBOUND, "This is a private note"),
        ("c2", Visibility.PUBLIC, Direction.OUTBOUND, "This is a reply"),
    ]
    for single in ("note_1.json", "reply_1.json"):
        assert not parse_saved(json.loads((folder / single).read_text(encoding="utf-8"))).problems


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, FreshdeskPlatform]]:
    player = ScenarioPlayer([scenario_named("viral-outage"), scenario_named("routine-day")], live=False)
    platform = FreshdeskPlatform(player, api_key=KEY)
    with SandboxServer([platform]) as server:
        yield server, platform


def _connector(server: SandboxServer, key: str = KEY, **kw: Any) -> FreshdeskConnector:
    return FreshdeskConnector(
        server.url("freshdesk"), api_key=key, page_size=4, sleep=lambda s: None, backoff=0.0, **kw
    )


def test_sync_pages_by_link_headers_and_then_reads_only_changes(
    cache: Cache, sandbox: tuple[SandboxServer, FreshdeskPlatform]
) -> None:
    server, platform = sandbox
    server.inject("GET", r"/freshdesk/api/v2/tickets$", status=429, headers={"Retry-After": "1"})
    account = ensure_account(cache, "freshdesk:sukamaju", Channel.FRESHDESK, "Layanan Pengaduan")
    report = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert report.ok, report.streams
    tickets = len(platform._tickets())
    assert tickets == 13 and report.streams[0].pages == 4  # 13 tickets, 4 per page
    assert cache.conn.execute("SELECT count(*) FROM items WHERE kind = 'ticket'").fetchone() == (tickets,)
    assert 429 in [r.status for r in server.requests]
    again = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert again.ok and again.items_written == 0


def test_replies_and_notes_are_sent_once_and_read_back(
    cache: Cache, sandbox: tuple[SandboxServer, FreshdeskPlatform]
) -> None:
    server, _ = sandbox
    account = ensure_account(cache, "freshdesk:sukamaju", Channel.FRESHDESK, "Layanan Pengaduan")
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    item_id, conversation_id = cache.conn.execute(
        "SELECT id, conversation_id FROM items ORDER BY id LIMIT 1"
    ).fetchone()
    for body, visibility in (
        ("Jadwal pengganti sudah kami kirim.", Visibility.PUBLIC),
        ("Cek log server.", Visibility.PRIVATE),
    ):
        outbox.enqueue(cache, account_id=account.id, body=body, conversation_id=conversation_id,
                       in_reply_to_item_id=item_id, visibility=visibility)  # fmt: skip
    OutboxSender(cache, lambda _a: _connector(server)).send_due()
    OutboxSender(cache, lambda _a: _connector(server)).send_due()
    assert {e.state for e in outbox.entries(cache)} == {OutboxState.SENT}
    assert server.count("POST", r"/reply$") == 1 and server.count("POST", r"/notes$") == 1
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    rows = cache.conn.execute(
        "SELECT visibility, direction FROM items WHERE kind = 'ticket_comment' ORDER BY id"
    ).fetchall()
    assert rows == [("public", "out"), ("private", "out")]


def test_a_wrong_key_is_an_authentication_error_without_the_key(
    sandbox: tuple[SandboxServer, FreshdeskPlatform],
) -> None:
    server, _ = sandbox
    with pytest.raises(AuthenticationError) as caught:
        _connector(server, key="fd-wrong-key-000111").check()
    assert "fd-wrong-key-000111" not in str(caught.value) and "logged in" in str(caught.value)
    assert _connector(server).check().identity == "Petugas Layanan <layanan@sukamaju.go.id>"
