"""Mastodon over real HTTP against the sandbox's emulation: every corpus cassette parsed (HTML
content, local and remote handles, direct conversations, grouped notifications joined back,
edits), mentions, own statuses and conversations walked forward by the Link header, a public
and a direct reply posted once (with an Idempotency-Key) and seen on the next sync, thread roots
from the context, bad weather ridden out and no token in logs or errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.cassettes import read_cassette

from omniinbox.connectors.base import AuthenticationError, PermanentError
from omniinbox.connectors.http import RateControl, parse_rate_headers
from omniinbox.connectors.mastodon import MastodonConnector, parse_saved, weighted_length
from omniinbox.core import Channel, ItemKind, OutboxState, OutgoingReply, Visibility
from omniinbox.sandbox.mastodon import MastodonPlatform
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import Event, scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.secrets import RedactingFilter
from omniinbox.store import outbox
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

TOKEN = "md-token-Rt5Yh8Jk1"

# ------------------------------------------------------------------------------- the corpus


def _corpus(corpus: Path) -> dict[str, list[dict[str, Any]]]:
    folder = corpus / "mastodon" / "Mastodon.py"
    return {path.name: read_cassette(path) for path in sorted(folder.glob("*.yaml"))}


def _answer(interactions: list[dict[str, Any]], method: str, ending: str) -> Any:
    return next(json.loads(i["body"]) for i in interactions if i["method"] == method and i["uri"].endswith(ending))


def test_every_cassette_parses_without_problems_and_rate_resets_are_iso_times(corpus: Path) -> None:
    cassettes = _corpus(corpus)
    assert len(cassettes) == 7
    for name, interactions in cassettes.items():
        for interaction in interactions:
            page = parse_saved({"uri": interaction["uri"], "body": interaction["body"]})
            assert page.problems == [], (name, interaction["uri"], page.problems)
            headers = {k: v[0] for k, v in interaction["headers"].items()}
            info = parse_rate_headers(headers, now=1_785_000_000)
            assert info.reset_at is not None and 1_785_500_000 < info.reset_at < 1_785_700_000  # 2026-08-01


def test_notifications_html_handles_and_links(corpus: Path) -> None:
    interactions = _corpus(corpus)["test_notifications.yaml"]
    listing = next(i for i in interactions if i["uri"].endswith("/api/v1/notifications"))
    assert 'rel="next"' in listing["headers"]["link"][0] and "min_id=20" in listing["headers"]["link"][0]
    (mention,) = parse_saved(json.loads(listing["body"])).items
    assert mention.kind is ItemKind.MENTION and mention.text == "@mastodonpy_test hello!"
    assert mention.author is not None and mention.author.handle == "@admin@localhost:3000"
    assert mention.conversation_id == mention.external_id == "117020576916218297"
    assert mention.created_at.isoformat() == "2026-08-01T13:51:39.138000+00:00"
    assert parse_saved(_answer(interactions, "GET", "/unread_count")).items == []


def test_replies_edits_and_direct_conversations(corpus: Path) -> None:
    cassettes = _corpus(corpus)
    replies = [i for i in cassettes["test_status_reply.yaml"] if i["method"] == "POST"]
    first, second = (parse_saved(json.loads(i["body"])).items[0] for i in replies)
    assert second.kind is ItemKind.REPLY and second.parent_id == first.external_id
    assert second.conversation_id == first.external_id
    edited = parse_saved(_answer(cassettes["test_status_edit.yaml"], "GET", "/117020586180926938")).items[0]
    assert edited.edited_at is not None and edited.edited_at > edited.created_at
    assert "Kate" in edited.text
    history = parse_saved(_answer(cassettes["test_status_edit.yaml"], "GET", "/history"))
    assert history.items == [] and history.problems == []  # versions, not messages
    conversations = parse_saved(_answer(cassettes["test_conversations.yaml"], "GET", "/conversations/"))
    assert [(i.kind, i.visibility) for i in conversations.items] == [(ItemKind.DM, Visibility.PRIVATE)] * 2
    assert conversations.items[1].parent_id == "117020588315335369"


def test_grouped_notifications_are_joined_back_by_id(corpus: Path) -> None:
    grouped = _answer(_corpus(corpus)["test_grouped_notifications.yaml"], "GET", "partial_avatars")
    assert isinstance(grouped["notification_groups"][0]["most_recent_notification_id"], int)
    assert parse_saved(grouped).items == []  # a favourite group is engagement, not a message
    status = {**grouped["statuses"][0], "account": None}
    mention = {
        **grouped,
        "statuses": [status],
        "notification_groups": [
            {**grouped["notification_groups"][0], "type": "mention", "group_key": "ungrouped-33",
             "sample_account_ids": ["117020566092212359"]}
        ],
    }  # fmt: skip
    (item,) = parse_saved(mention).items
    assert item.author is not None and item.author.handle == "@mastodonpy_test_2@localhost:3000"
    assert "not a Mastodon" in parse_saved({"tickets": []}).problems[0].reason


def test_mastodon_counts_links_and_remote_mentions_short() -> None:
    assert weighted_length("@budi@sosial.sukamaju.go.id lihat https://example.org/" + "x" * 80) == 5 + 7 + 23
    assert weighted_length("a" * 10) == 10


# ------------------------------------------------------------------------------- the sandbox


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, MastodonPlatform]]:
    player = ScenarioPlayer([scenario_named("viral-outage"), scenario_named("routine-day")], live=False)
    player.add_events(
        [
            Event("md-dm", 0.0, "mastodon", "mastodon-inst", "dm", "kabar", "@pemkot boleh minta kontak humas?",
                  "md-dm", visibility="private"),
        ]
    )  # fmt: skip
    platform = MastodonPlatform(player, {TOKEN: "mastodon-inst"})
    with SandboxServer([platform]) as server:
        yield server, platform


def _connector(server: SandboxServer, token: str = TOKEN, **extra: Any) -> MastodonConnector:
    return MastodonConnector(server.url("mastodon"), token=token, sleep=lambda s: None, backoff=0.0,
                             rate=RateControl(), **extra)  # fmt: skip


def test_sync_walks_forward_then_replies_arrive_once_in_their_threads(
    cache: Cache, sandbox: tuple[SandboxServer, MastodonPlatform]
) -> None:
    server, platform = sandbox
    account = add_account(cache, "mastodon:pemkot", Channel.MASTODON, "Pemkot", base_url=server.url("mastodon"))
    engine = SyncEngine(cache, lambda _a: _connector(server))
    first = engine.sync_account(account)
    assert first.ok, first.streams
    mentions = [r for r in platform.player.released("mastodon") if r.author is not None]
    by_stream = {s.stream: s for s in first.streams}
    assert by_stream["mentions"].items_written == len(mentions) > 10
    assert by_stream["conversations"].items_read == 1  # the direct mention, already in from the notifications
    assert cache.conn.execute("SELECT count(*) FROM items WHERE text LIKE '%<%'").fetchone() == (0,)
    dm = cache.conn.execute("SELECT id, conversation_id, visibility FROM items WHERE kind = 'dm'").fetchone()
    assert dm[2] == "private"
    again = engine.sync_account(account)
    assert again.ok and again.items_written == 0
    last = [r for r in server.requests if r.path == "/api/v1/notifications"][-1]
    assert last.query["min_id"] != ["0"] and last.query["types[]"] == ["mention"]

    mention = cache.conn.execute(
        "SELECT id, conversation_id FROM items WHERE kind = 'mention' ORDER BY created_at LIMIT 1"
    ).fetchone()
    outbox.enqueue(cache, account_id=account.id, body="Terima kasih, kami cek segera.", conversation_id=mention[1],
                   in_reply_to_item_id=mention[0])  # fmt: skip
    outbox.enqueue(cache, account_id=account.id, body="Kontak humas: 0812-0000-2222", conversation_id=dm[1],
                   in_reply_to_item_id=dm[0], visibility=Visibility.PRIVATE)  # fmt: skip
    OutboxSender(cache, lambda _a: _connector(server)).send_due()
    assert {e.state for e in outbox.entries(cache)} == {OutboxState.SENT}
    posts = [r for r in server.requests if r.method == "POST"]
    assert len(posts) == 2
    sent = [json.loads(r.body) for r in posts]
    assert [s["visibility"] for s in sent] == ["public", "direct"]
    assert sent[1]["status"].startswith("@")  # a direct status reaches those it mentions
    engine.sync_account(account)
    echoed = cache.conn.execute(
        "SELECT kind, direction, visibility, conversation_id, count(*) FROM items WHERE direction = 'out'"
        " GROUP BY external_id ORDER BY kind"
    ).fetchall()
    assert echoed == [("dm", "out", "private", dm[1], 1), ("reply", "out", "public", mention[1], 1)]
    assert server.count("GET", r"/context$") >= 1  # the thread root was asked for


def test_a_repeated_post_with_the_same_key_is_one_status(sandbox: tuple[SandboxServer, MastodonPlatform]) -> None:
    server, platform = sandbox
    connector = _connector(server)
    target = next(r for r in platform.player.released("mastodon") if r.author is not None)
    status_id = platform.status_id(target.event)
    reply = OutgoingReply(7, "key-7", "Baik, kami teruskan.", Visibility.PUBLIC, status_id, status_id)
    assert connector.send(reply) == connector.send(reply)
    assert len([r for r in platform.player.released("mastodon") if r.author is None]) == 1
    with pytest.raises(PermanentError, match="500"):
        connector.send(OutgoingReply(8, "key-8", "panjang " * 80, Visibility.PUBLIC, status_id, status_id))
    checked = connector.check()
    assert checked.identity == "@pemkot@sosial.sukamaju.go.id (Pemkot Sukamaju)" and connector.max_characters == 500


def test_bad_weather_and_bad_tokens(
    cache: Cache, sandbox: tuple[SandboxServer, MastodonPlatform], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    server, _ = sandbox
    server.inject("GET", r"/mastodon/api/v1/notifications", status=429, headers={"Retry-After": "1"},
                  body={"error": "Too many requests"})  # fmt: skip
    for status in (503, 502, 500):
        server.inject("GET", r"/mastodon/api/", status=status, headers={"Retry-After": "0"} if status == 503 else {})
    server.inject("GET", r"/mastodon/api/v1/conversations", status=200, delay=1.2)
    account = add_account(cache, "mastodon:pemkot", Channel.MASTODON, "Pemkot", base_url=server.url("mastodon"))

    def connector(_a: object) -> MastodonConnector:
        built = _connector(server)
        built.http.timeout = (2.0, 0.6)
        return built

    report = SyncEngine(cache, connector).sync_account(account)  # type: ignore[arg-type]
    assert report.ok, report.streams
    assert {429, 503, 502, 500} <= {r.status for r in server.requests}
    total = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert total[0] == total[1] > 10
    bad = "md-expired-token-16180339"
    expired = SyncEngine(cache, lambda _a: _connector(server, token=bad)).sync_account(account)
    assert expired.streams[0].stopped.startswith("authentication failed")
    with pytest.raises(AuthenticationError, match="access token is invalid") as caught:
        _connector(server, token=bad).check()
    assert bad not in str(caught.value) and bad not in caplog.text and TOKEN not in caplog.text
