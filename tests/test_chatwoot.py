"""Chatwoot over real HTTP against the sandbox's emulation: conversations and messages in
(activity messages left out), replies and private notes out once, only changes read again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omniinbox.connectors.base import AuthenticationError, PermanentError
from omniinbox.connectors.chatwoot import ChatwootConnector, parse_saved
from omniinbox.core import Channel, Direction, OutboxState, Visibility
from omniinbox.sandbox.chatwoot import ChatwootPlatform
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.store import outbox
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

TOKEN = "cw-token-Hn7Vb5Xc3"


def test_saved_messages_parse_and_activity_is_left_out() -> None:
    body = {
        "meta": {},
        "payload": [
            {
                "id": 1,
                "conversation_id": 9,
                "content": "Halo, SukaLayan error",
                "message_type": 0,
                "created_at": 1763880000,
                "private": False,
                "sender": {"id": 5, "name": "Warga", "type": "contact", "phone_number": "+62811"},
            },
            {
                "id": 2,
                "conversation_id": 9,
                "content": "Conversation was assigned",
                "message_type": 2,
                "created_at": 1763880001,
            },
            {
                "id": 3,
                "conversation_id": 9,
                "content": "cek server",
                "message_type": 1,
                "private": True,
                "created_at": 1763880002,
                "sender": {"id": 1, "name": "Petugas", "type": "user"},
            },
        ],
    }
    page = parse_saved(body)
    assert [(i.external_id, i.direction, i.visibility) for i in page.items] == [
        ("1", Direction.INBOUND, Visibility.PUBLIC),
        ("3", Direction.OUTBOUND, Visibility.PRIVATE),
    ]
    assert page.items[0].author is not None and page.items[0].author.handle == "+62811"


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, ChatwootPlatform]]:
    player = ScenarioPlayer([scenario_named("viral-outage"), scenario_named("routine-day")], live=False)
    platform = ChatwootPlatform(player, token=TOKEN, account_id=3)
    with SandboxServer([platform]) as server:
        yield server, platform


def _connector(server: SandboxServer, token: str = TOKEN) -> ChatwootConnector:
    return ChatwootConnector(server.url("chatwoot"), token=token, account_id="3", sleep=lambda s: None, backoff=0.0)


def test_sync_then_reply_and_note_then_only_changes(
    cache: Cache, sandbox: tuple[SandboxServer, ChatwootPlatform]
) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "chatwoot:wa", Channel.CHATWOOT, "WhatsApp Layanan")
    report = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert report.ok, report.streams
    conversations = len(platform._conversations())
    assert cache.conn.execute("SELECT count(*) FROM conversations").fetchone() == (conversations,)
    item_id, conversation_id = cache.conn.execute(
        "SELECT id, conversation_id FROM items ORDER BY id LIMIT 1"
    ).fetchone()
    for body, visibility in (
        ("Baik kak, kami bantu jadwalkan ulang.", Visibility.PUBLIC),
        ("VIP: anggota dewan", Visibility.PRIVATE),
    ):
        outbox.enqueue(
            cache,
            account_id=account.id,
            body=body,
            conversation_id=conversation_id,
            in_reply_to_item_id=item_id,
            visibility=visibility,
        )
    OutboxSender(cache, lambda _a: _connector(server)).send_due()
    assert {e.state for e in outbox.entries(cache)} == {OutboxState.SENT}
    assert server.count("POST", r"/messages$") == 2
    reads_before = server.count("GET", r"/messages$")
    again = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert again.ok
    rows = cache.conn.execute("SELECT direction, visibility FROM items WHERE direction = 'out' ORDER BY id").fetchall()
    assert rows == [("out", "public"), ("out", "private")]
    assert reads_before == conversations
    assert server.count("GET", r"/messages$") == reads_before + 1  # only the conversation that changed


def test_bad_token_and_missing_account_number(sandbox: tuple[SandboxServer, ChatwootPlatform]) -> None:
    server, _ = sandbox
    with pytest.raises(AuthenticationError, match="sign in") as caught:
        _connector(server, token="cw-wrong-token-7777").check()
    assert "cw-wrong-token-7777" not in str(caught.value)
    with pytest.raises(PermanentError, match="account number"):
        ChatwootConnector(server.url("chatwoot"), token=TOKEN, account_id="")
