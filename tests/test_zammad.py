"""Zammad: the parsers on the recorded log, and the connector over real HTTP against the
sandbox's emulation (paging until an empty page, notes sent once, a bad token)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omniinbox.connectors.base import AuthenticationError
from omniinbox.connectors.zammad import ZammadConnector, parse_saved, tickets_of
from omniinbox.core import Channel, ItemKind, OutboxState, Visibility
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.sandbox.zammad import ZammadPlatform
from omniinbox.store import outbox
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

TOKEN = "zm-token-4Rk9Qx2Tn"


def _log(path: Path) -> list[tuple[dict[str, Any], bytes]]:
    """The zammadoo format: a JSON line, then exactly content_size bytes of body, then a newline."""
    data = path.read_bytes()
    entries, pos = [], 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        meta = json.loads(data[pos:end])
        body = data[end + 1 : end + 1 + meta["content_size"]]
        entries.append((meta, body))
        pos = end + 2 + meta["content_size"]
    return entries


def test_recorded_articles_and_both_search_shapes_parse(corpus: Path) -> None:
    folder = corpus / "zammad" / "zammadoo"
    articles = [json.loads(b) for m, b in _log(folder / "test_create_article_via_ticket.log")
                if "/ticket_articles/by_ticket/" in m["url"]]  # fmt: skip
    page = parse_saved(articles[0])
    assert not page.problems and page.items
    assert page.items[0].kind is ItemKind.TICKET and page.items[0].external_id.startswith("a")
    assert {i.visibility for i in page.items} <= {Visibility.PUBLIC, Visibility.PRIVATE}
    searches = [json.loads(b) for m, b in _log(folder / "test_ticket_search.log") if "/search" in m["url"] and b]
    assert searches and all(len(tickets_of(s)) == len(s["tickets"]) for s in searches if isinstance(s, dict))
    past_the_end = [json.loads(b) for m, b in _log(folder / "test_ticket_iter_with_offset.log") if m["method"] == "GET"]
    assert tickets_of(past_the_end[0]) == []


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, ZammadPlatform]]:
    platform = ZammadPlatform(ScenarioPlayer([scenario_named("viral-outage")], live=False), token=TOKEN)
    with SandboxServer([platform]) as server:
        yield server, platform


def _connector(server: SandboxServer, token: str = TOKEN) -> ZammadConnector:
    return ZammadConnector(server.url("zammad"), token=token, page_size=4, sleep=lambda s: None, backoff=0.0)


def test_sync_pages_until_an_empty_page_and_notes_go_out_once(
    cache: Cache, sandbox: tuple[SandboxServer, ZammadPlatform]
) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "zammad:helpdesk", Channel.ZAMMAD, "Helpdesk")
    report = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert report.ok and report.streams[0].pages == 3  # 6 tickets: 4 + 2, then the empty page
    assert cache.conn.execute("SELECT count(*) FROM conversations").fetchone() == (len(platform._tickets()),)
    item_id, conversation_id = cache.conn.execute(
        "SELECT id, conversation_id FROM items ORDER BY id LIMIT 1"
    ).fetchone()
    outbox.enqueue(cache, account_id=account.id, body="Catatan: eskalasi.", conversation_id=conversation_id,
                   in_reply_to_item_id=item_id, visibility=Visibility.PRIVATE)  # fmt: skip
    OutboxSender(cache, lambda _a: _connector(server)).send_due()
    assert [e.state for e in outbox.entries(cache)] == [OutboxState.SENT]
    assert server.count("POST", r"/zammad/api/v1/ticket_articles$") == 1
    SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert cache.conn.execute(
        "SELECT visibility, direction FROM items WHERE text = 'Catatan: eskalasi.'"
    ).fetchall() == [("private", "out")]


def test_a_bad_token_is_an_authentication_error(sandbox: tuple[SandboxServer, ZammadPlatform]) -> None:
    server, _ = sandbox
    with pytest.raises(AuthenticationError, match="Invalid token") as caught:
        _connector(server, token="zm-bad-token-99999").check()
    assert "zm-bad-token-99999" not in str(caught.value)
    assert _connector(server).check().identity == "Petugas Helpdesk <helpdesk@sukamaju.go.id>"
