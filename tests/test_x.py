"""X over real HTTP against the sandbox's emulation: every corpus cassette parsed (authors,
threads, DM conversations, snowflake times, empty pages), mentions, own tweets and DMs synced in
full and then incrementally (since_id), a reply and a DM sent once and seen on the next sync,
bad weather ridden out, and no token in logs or errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.cassettes import read_cassette

from omniinbox.connectors.base import AuthenticationError, PermanentError
from omniinbox.connectors.http import RateControl, parse_rate_headers
from omniinbox.connectors.registry import spec_for
from omniinbox.connectors.x import XConnector, parse_saved, parse_tweets, weighted_length
from omniinbox.core import Channel, Direction, ItemKind, OutboxState, OutgoingReply, Visibility
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import Event, scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.sandbox.x import XPlatform, emulate
from omniinbox.secrets import RedactingFilter
from omniinbox.store import outbox
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

TOKEN = "x-user-token-Qm8Zt4Lp2"
LEADER_TOKEN = "x-leader-token-Vb6Hn1Kd9"

# ------------------------------------------------------------------------------- the corpus


def _cassettes(corpus: Path) -> dict[str, list[dict[str, Any]]]:
    folder = corpus / "x_twitter" / "tweepy"
    return {path.name: read_cassette(path) for path in sorted(folder.glob("*.yaml"))}


def test_every_cassette_reads_as_its_decoded_copy_and_parses(corpus: Path) -> None:
    cassettes = _cassettes(corpus)
    assert len(cassettes) == 5
    for name, interactions in cassettes.items():
        decoded = json.loads((corpus / "x_twitter" / "tweepy" / "_decoded" / f"{name}.decoded.json").read_text())
        assert [(i["method"], i["uri"], i["status"]) for i in interactions] == [
            (d["method"], d["uri"], d["status"]["code"]) for d in decoded
        ]
        for interaction, copy in zip(interactions, decoded, strict=True):
            body = json.loads(interaction["body"])
            assert body == copy["body"]
            page = parse_saved({"method": interaction["method"], "uri": interaction["uri"], "body": body})
            assert page.problems == [], (name, page.problems)
            reset = interaction["headers"]["x-rate-limit-reset"][0]
            info = parse_rate_headers({k: v[0] for k, v in interaction["headers"].items()}, now=1_600_000_000)
            assert info.reset_at == float(reset) and info.remaining is not None  # epoch seconds, not a delay


def test_mentions_without_expansions_take_their_time_from_the_snowflake(corpus: Path) -> None:
    (mentions,) = _cassettes(corpus)["test_client_get_users_mentions.yaml"]
    page = parse_saved({"uri": mentions["uri"], "body": json.loads(mentions["body"])})
    assert len(page.items) == 10 and {i.kind for i in page.items} == {ItemKind.MENTION}
    first = page.items[0]
    assert first.external_id == "1578516295611748353" and first.conversation_id == first.external_id
    recorded = datetime(2022, 10, 7, 22, 43, 18, tzinfo=UTC)  # the response's Date header
    assert all(0 < (recorded - i.created_at).total_seconds() < 300 for i in page.items)
    assert first.author is None and first.permalink.endswith("/i/web/status/1578516295611748353")


def test_home_timeline_retweets_entities_and_emoji(corpus: Path) -> None:
    (timeline,) = _cassettes(corpus)["test_client_get_home_timeline.yaml"]
    body = json.loads(timeline["body"])
    page = parse_saved(body)  # the bare body, as saved by hand
    assert len(page.items) == 98 and body["meta"]["next_token"]  # a full page that is not the last
    assert {i.kind for i in page.items} == {ItemKind.MENTION}  # unknown endpoint: read as mentions
    retweets = [i for i in page.items if i.text.startswith("RT @")]
    assert retweets and any(i.text.endswith("…") for i in retweets)  # cut off: no includes to complete it
    raw_entities = [t for t in body["data"] if "&lt;" in t["text"] or "&amp;" in t["text"]]
    assert raw_entities
    decoded = {i.external_id: i.text for i in page.items}
    for tweet in raw_entities:
        assert "&lt;" not in decoded[tweet["id"]] and "&amp;" not in decoded[tweet["id"]]
    assert any(ord(ch) > 0xFFFF for i in page.items for ch in i.text)  # emoji outside the BMP survive


def test_dm_cassette_conversations_and_the_empty_page(corpus: Path) -> None:
    interactions = _cassettes(corpus)["test_manage_and_lookup_direct_messages.yaml"]
    pages = {(i["method"], i["uri"]): parse_saved({**i, "body": json.loads(i["body"])}) for i in interactions}
    empty = pages[("GET", "https://api.twitter.com/2/dm_events")]
    assert empty.items == [] and empty.problems == []  # {"meta": {"result_count": 0}}: no data key
    posts = [p for (method, _), p in pages.items() if method == "POST"]
    assert posts and all(p.items == [] and p.problems == [] for p in posts)  # receipts carry no text
    one_to_one = pages[
        ("GET", "https://api.twitter.com/2/dm_conversations/750362064426721281-1072250532645998596/dm_events")
    ]
    assert [(i.text, i.kind, i.visibility) for i in one_to_one.items] == [
        ("Testing 2", ItemKind.DM, Visibility.PRIVATE),
        ("Testing 1", ItemKind.DM, Visibility.PRIVATE),
    ]
    assert {i.conversation_id for i in one_to_one.items} == {"750362064426721281-1072250532645998596"}
    assert one_to_one.items[0].created_at > one_to_one.items[1].created_at


def test_expanded_answer_joins_authors_completes_retweets_and_keeps_partial_errors() -> None:
    body = {
        "data": [
            {
                "id": "1800000000000000010",
                "text": "RT @kabarsukamaju: SukaLayan down sejak pagi, warga antre manual di kantor Disdukcapil …",
                "author_id": "11",
                "created_at": "2026-11-23T08:00:00.000Z",
                "conversation_id": "1800000000000000010",
                "referenced_tweets": [{"type": "retweeted", "id": "1800000000000000001"}],
                "public_metrics": {"retweet_count": 3, "reply_count": 0, "like_count": 0, "quote_count": 1},
            },
            {
                "id": "1800000000000000011",
                "text": "@PemkotSukamaju kapan normal? &lt;3",
                "author_id": "12",
                "created_at": "2026-11-23T08:01:00.000Z",
                "conversation_id": "1800000000000000002",
                "in_reply_to_user_id": "99",
                "referenced_tweets": [
                    {"type": "replied_to", "id": "1800000000000000002"},
                    {"type": "quoted", "id": "1800000000000000001"},
                ],
                "public_metrics": {"retweet_count": 0, "reply_count": 2, "like_count": 7, "quote_count": 0},
            },
        ],
        "includes": {
            "users": [
                {"id": "11", "name": "Rina", "username": "rina_s", "public_metrics": {"followers_count": 40}},
                {"id": "12", "name": "Kabar", "username": "kabarsukamaju", "verified": True,
                 "public_metrics": {"followers_count": 182000}},
                {"id": "13", "name": "Kabar Sukamaju", "username": "kabarsukamaju", "verified_type": "business"},
            ],
            "tweets": [
                {"id": "1800000000000000001", "author_id": "13",
                 "text": "SukaLayan down sejak pagi, warga antre manual di kantor Disdukcapil."
                         " Pemkot belum memberi penjelasan."},
            ],
        },
        "errors": [
            {"value": "1800000000000000002",
             "detail": "Could not find tweet with referenced_tweets.id: [1800000000000000002].",
             "title": "Not Found Error", "resource_type": "tweet", "parameter": "referenced_tweets.id",
             "resource_id": "1800000000000000002", "type": "https://api.twitter.com/2/problems/resource-not-found"},
        ],
        "meta": {"result_count": 2, "newest_id": "1800000000000000011", "oldest_id": "1800000000000000010"},
    }  # fmt: skip
    page = parse_tweets(body, self_id="99")
    retweet, reply = page.items
    assert retweet.text.endswith("Pemkot belum memberi penjelasan.") and retweet.text.startswith("RT @kabarsukamaju: ")
    assert retweet.engagement.shares == 4 and retweet.author is not None and retweet.author.followers == 40
    assert reply.kind is ItemKind.REPLY and reply.parent_id == "1800000000000000002"
    assert reply.conversation_id == "1800000000000000002" and reply.text.startswith("@PemkotSukamaju kapan normal? <3")
    assert "> @kabarsukamaju: SukaLayan down" in reply.text  # the quoted tweet follows
    assert reply.author is not None and (reply.author.handle, reply.author.verified) == ("@kabarsukamaju", True)
    assert reply.author.followers == 182000 and reply.engagement.likes == 7
    assert reply.permalink == "https://x.com/kabarsukamaju/status/1800000000000000011"
    assert [p.external_id for p in page.problems] == ["1800000000000000002"]
    assert "Not Found Error" in page.problems[0].reason


def test_what_is_not_an_x_answer_is_a_problem_and_x_counts_like_x() -> None:
    assert "not an X API v2 answer" in parse_saved({"tickets": []}).problems[0].reason
    assert "not an object" in parse_saved([1, 2]).problems[0].reason
    assert weighted_length("a" * 270 + " https://example.org/a/very/long/path/indeed") == 294
    assert weighted_length("日本") == 4 and weighted_length("👍🏽") == 4
    assert spec_for(Channel.X).parse_saved is parse_saved


# ------------------------------------------------------------------------------- the sandbox


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, XPlatform]]:
    player = ScenarioPlayer([scenario_named("viral-outage"), scenario_named("routine-day")], live=False)
    player.add_events(
        [
            Event("dm-kabar", 0.0, "x", "x-inst", "dm", "kabar", "Min, boleh minta nomor humas Disdukcapil?",
                  "dm-kabar", visibility="private"),
            Event("dm-agus", 0.0, "x", "x-inst", "dm", "langganan", "Saya kirim bukti antrean lewat DM ya",
                  "dm-agus", visibility="private"),
        ]
    )  # fmt: skip
    platform = XPlatform(player, {TOKEN: "x-inst", LEADER_TOKEN: "x-leader"})
    with SandboxServer([platform]) as server:
        yield server, platform


def _connector(server: SandboxServer, platform: XPlatform, token: str = TOKEN, account: str = "x-inst",
               **extra: Any) -> XConnector:  # fmt: skip
    return XConnector(server.url("x"), token=token, user_id=platform.account_user_id(account), page_size=10,
                      sleep=lambda s: None, backoff=0.0, rate=RateControl(), **extra)  # fmt: skip


def test_full_then_incremental_sync_and_a_reply_and_a_dm_arrive_once(
    cache: Cache, sandbox: tuple[SandboxServer, XPlatform]
) -> None:
    server, platform = sandbox
    account = add_account(cache, "x:PemkotSukamaju", Channel.X, "Pemkot", settings={"user_id": "1"})
    engine = SyncEngine(cache, lambda _a: _connector(server, platform))
    first = engine.sync_account(account)
    assert first.ok, first.streams
    mentions = len(platform._timeline_events({r.event.id: r for r in platform.player.released("x")}, "x-inst",
                                             "mentions"))  # fmt: skip
    by_stream = {s.stream: s for s in first.streams}
    assert by_stream["mentions"].items_written == mentions > 20 and by_stream["mentions"].pages > 2
    assert by_stream["dms"].items_written == 2
    rows = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert rows == (mentions + 2, mentions + 2)
    kol = cache.conn.execute(
        "SELECT c.handle, c.followers, c.verified FROM items i JOIN contacts c ON c.id = i.contact_id"
        " WHERE i.text LIKE 'Warga keluhkan aplikasi antrean%'"
    ).fetchone()
    assert kol == ("@kabarsukamaju", 182000, 1)
    dm_conversations = {
        r[0]
        for r in cache.conn.execute(
            "SELECT cv.external_id FROM items i JOIN conversations cv ON cv.id = i.conversation_id WHERE i.kind = 'dm'"
        )
    }
    assert len(dm_conversations) == 2 and all("-" in c for c in dm_conversations)

    again = engine.sync_account(account)
    assert again.ok and again.items_written == 0
    last = [r for r in server.requests if r.path.endswith("/mentions")][-1]
    assert last.query.get("since_id") and "pagination_token" not in last.query

    mention_id = cache.conn.execute(
        "SELECT id, conversation_id FROM items WHERE kind = 'mention' ORDER BY created_at LIMIT 1"
    ).fetchone()
    dm_id = cache.conn.execute("SELECT id, conversation_id FROM items WHERE kind = 'dm' LIMIT 1").fetchone()
    outbox.enqueue(cache, account_id=account.id, body="Mohon maaf, tim kami sedang memperbaiki SukaLayan.",
                   conversation_id=mention_id[1], in_reply_to_item_id=mention_id[0])  # fmt: skip
    outbox.enqueue(cache, account_id=account.id, body="Nomor humas: 0812-0000-1111", conversation_id=dm_id[1],
                   in_reply_to_item_id=dm_id[0], visibility=Visibility.PRIVATE)  # fmt: skip
    OutboxSender(cache, lambda _a: _connector(server, platform)).send_due()
    assert {e.state for e in outbox.entries(cache)} == {OutboxState.SENT}
    assert server.count("POST", r"/x/2/tweets$") == 1
    assert server.count("POST", r"/x/2/dm_conversations/with/\d+/messages$") == 1
    engine.sync_account(account)
    echoed = cache.conn.execute(
        "SELECT text, kind, direction, visibility, count(*) FROM items WHERE direction = 'out'"
        " GROUP BY text ORDER BY text"
    ).fetchall()
    assert echoed == [
        ("Mohon maaf, tim kami sedang memperbaiki SukaLayan.", "reply", "out", "public", 1),
        ("Nomor humas: 0812-0000-1111", "dm", "out", "private", 1),
    ]
    reply_thread = cache.conn.execute("SELECT conversation_id FROM items WHERE text LIKE 'Mohon maaf%'").fetchone()
    assert reply_thread == (mention_id[1],)  # in the mention's thread


def test_the_leaders_account_sees_replies_under_its_post_and_its_post(
    cache: Cache, sandbox: tuple[SandboxServer, XPlatform]
) -> None:
    server, platform = sandbox
    account = add_account(cache, "x:walikota", Channel.X, "Wali Kota", settings={})
    report = SyncEngine(
        cache, lambda _a: _connector(server, platform, token=LEADER_TOKEN, account="x-leader")
    ).sync_account(account)
    assert report.ok
    post = cache.conn.execute("SELECT external_id, kind, direction FROM items WHERE kind = 'post'").fetchone()
    assert post is not None and post[1:] == ("post", "out")
    replies = cache.conn.execute(
        "SELECT count(*), count(DISTINCT cv.external_id) FROM items i JOIN conversations cv"
        " ON cv.id = i.conversation_id WHERE i.kind = 'reply'"
    ).fetchone()
    assert replies[0] > 3 and replies[1] == 1
    assert cache.conn.execute(
        "SELECT DISTINCT cv.external_id FROM items i JOIN conversations cv ON cv.id = i.conversation_id"
        " WHERE i.kind = 'reply'"
    ).fetchone() == (post[0],)
    leaders = [a for a in emulate(platform.player).accounts("http://127.0.0.1:1/x") if a.leader]
    assert [a.key for a in leaders] == ["x:walikota_sukamaju"]


def test_bad_weather_is_ridden_out_and_nothing_leaks(
    cache: Cache, sandbox: tuple[SandboxServer, XPlatform], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    server, platform = sandbox
    reset = "9999999999"
    too_many = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
    server.inject("GET", r"/x/2/users/\d+/mentions", status=429, headers={"Retry-After": "1"}, body=too_many)
    for status in (503, 502, 500):
        server.inject("GET", r"/x/2/", status=status, headers={"Retry-After": "0"} if status == 503 else {})
    server.inject("GET", r"/x/2/dm_events", status=200, delay=1.2)
    account = add_account(cache, "x:PemkotSukamaju", Channel.X, "Pemkot")

    def connector(_a: object) -> XConnector:
        built = _connector(server, platform)
        built.http.timeout = (2.0, 0.6)
        return built

    report = SyncEngine(cache, connector).sync_account(account)  # type: ignore[arg-type]
    assert report.ok, report.streams
    assert {429, 503, 502, 500} <= {r.status for r in server.requests}
    total = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert total[0] == total[1] > 20

    server.inject("GET", r"/x/2/users/\d+/mentions", status=429, headers={"x-rate-limit-remaining": "0",
                  "x-rate-limit-reset": reset})  # fmt: skip
    limited = SyncEngine(cache, connector).sync_account(account)  # type: ignore[arg-type]
    assert limited.streams[0].stopped and limited.streams[0].retry_at is not None

    bad = "x-expired-token-27182818"
    expired = SyncEngine(cache, lambda _a: _connector(server, platform, token=bad)).sync_account(account)
    assert expired.streams[0].stopped.startswith("authentication failed")
    with pytest.raises(AuthenticationError, match="Unauthorized") as caught:
        _connector(server, platform, token=bad).check()
    assert bad not in str(caught.value) and bad not in caplog.text and TOKEN not in caplog.text
    assert bad not in repr(_connector(server, platform, token=bad).http.session.auth.__dict__.keys())

    with pytest.raises(PermanentError, match="280"):
        _connector(server, platform).send(OutgoingReply(1, "k", "panjang " * 40, Visibility.PUBLIC, "1", "1"))
    assert server.count("POST", r"/x/2/tweets$") == 0


def test_check_says_who_and_what_the_token_may_do(sandbox: tuple[SandboxServer, XPlatform]) -> None:
    server, platform = sandbox
    result = _connector(server, platform).check()
    assert result.identity == "@PemkotSukamaju (Pemerintah Kota Sukamaju)" and result.can_reply
    assert result.notes == ()
    unnamed = XConnector(server.url("x"), token=TOKEN, rate=RateControl())
    assert unnamed.user_id == platform.account_user_id("x-inst")  # asked from /2/users/me
    with pytest.raises(PermanentError, match="number"):
        XConnector(server.url("x"), token=TOKEN, user_id="@PemkotSukamaju")
    assert Direction.OUTBOUND.value == "out"
