"""YouTube: the parsers on every recorded answer, the connector over real HTTP against the
sandbox's emulation (paging, replies read by parentId, incremental syncs, replies posted once and
read back), errors sorted by YouTube's reasons (quota until midnight Pacific), no token leaked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.sandbox import fast_client, player, sandbox_server

from omniinbox import cli
from omniinbox.connectors import youtube
from omniinbox.connectors.base import AuthenticationError, PermanentError, PermissionDenied, RateLimited
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.registry import build_connector, spec_for
from omniinbox.connectors.youtube import YouTubeConnector, parse_saved
from omniinbox.core import Account, Channel, Direction, ItemKind, OutboxState, OutgoingReply, Visibility
from omniinbox.sandbox import youtube as emulation
from omniinbox.sandbox.hub import start_sandbox
from omniinbox.sandbox.server import SandboxServer
from omniinbox.store import outbox
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

TOKEN = "ya29.yt-token-Qm4Rk8Wz2Lp6"
FOLDER = ("youtube", "python-youtube")


def _saved(corpus: Path, name: str) -> Any:
    return json.loads(corpus.joinpath(*FOLDER, name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------- corpus


def test_every_recorded_youtube_answer_is_read(corpus: Path) -> None:
    names = sorted(p.name for p in corpus.joinpath(*FOLDER).glob("*.json"))
    assert len(names) == 8
    for name in names:
        page = parse_saved(_saved(corpus, name))
        if name.startswith("error"):
            assert not page.items and page.problems
        else:
            assert page.items and not page.problems, name
            assert all(i.author is not None and i.author.external_id.startswith("UC") for i in page.items)


def test_a_thread_on_a_video_keeps_plain_text_author_and_link(corpus: Path) -> None:
    (item,) = parse_saved(_saved(corpus, "comment_thread_single.json")).items
    assert item.external_id == "UgxKREWxIgDrw8w2e_Z4AaABAg"
    assert item.kind is ItemKind.COMMENT and item.parent_id is None
    assert item.conversation_id == "D-lhorsDlUQ"  # the video is the conversation
    assert item.text.startswith("Super video !!!\nWith full power")  # textOriginal, not the <br /> HTML
    assert item.author is not None
    assert (item.author.name, item.author.external_id) == ("Hieu Nguyen", "UClfzT4CU_yaZjJaI4pKqSjQ")
    assert item.author.url == "http://www.youtube.com/channel/UClfzT4CU_yaZjJaI4pKqSjQ"
    assert item.permalink == "https://www.youtube.com/watch?v=D-lhorsDlUQ&lc=UgxKREWxIgDrw8w2e_Z4AaABAg"
    assert item.created_at == datetime(2019, 4, 20, 1, 3, 39, tzinfo=UTC) and item.edited_at is None


def test_threads_on_the_channel_itself_have_no_video_and_join_the_channel(corpus: Path) -> None:
    items = parse_saved(_saved(corpus, "comment_threads_all_to_me.json")).items
    by_id = {i.external_id: i for i in items}
    assert by_id["UgyWeTdgc4sc1xgmbld4AaABAg"].conversation_id == "JE8xdDp5B8Q"
    channel_comment = by_id["Ugy0FhSzKMNMT9qs6zt4AaABAg"]
    assert channel_comment.conversation_id == "UCa-vrCLQHviTOVnEKDOdetQ" and channel_comment.permalink == ""
    assert channel_comment.text == "大满贯"
    assert by_id["Ugw5zYU6n9pmIgAZWvN4AaABAg"].engagement.likes == 1
    assert by_id["UgwSRpgkjCe6OHHe3IJ4AaABAg"].engagement.replies == 1  # totalReplyCount, no replies block
    # the same people wrote several: one author id each
    assert len({i.author.external_id for i in items if i.author}) == 2


def test_paged_threads_repeat_and_html_is_read_when_no_plain_text(corpus: Path) -> None:
    first, second = (
        _saved(corpus, "comment_threads_by_video_paged_1.json"),
        _saved(corpus, "comment_threads_by_video_paged_2.json"),
    )
    assert first["nextPageToken"] and "nextPageToken" not in second
    page = parse_saved([first, second])
    assert len(page.items) == 5  # page 2 repeats page 1 in the recording: kept once
    html_only = {**first["items"][4]["snippet"]["topLevelComment"]["snippet"]}
    del html_only["textOriginal"]
    assert youtube.comment_text(html_only).startswith("Lot's of good light coming in from here #ChromeDevSummit the")
    link = {**first["items"][0]["snippet"]["topLevelComment"]["snippet"]}
    del link["textOriginal"]
    assert youtube.comment_text(link) == "Google.com"
    assert next(i for i in page.items if i.external_id == "UgwI_ylXVnzPS8Q-oAV4AaABAg").engagement.replies == 2


def test_replies_by_parent_keep_their_thread(corpus: Path) -> None:
    page = parse_saved([_saved(corpus, "comments_by_parent_paged_1.json"),
                        _saved(corpus, "comments_by_parent_paged_2.json")])  # fmt: skip
    assert [i.text for i in page.items] == ["this is the third reply!", "this is the second reply!",
                                            "hey, this is the replay"]  # fmt: skip
    for item in page.items:
        assert item.kind is ItemKind.REPLY
        assert item.parent_id == "Ugw5zYU6n9pmIgAZWvN4AaABAg" == item.conversation_id
        assert item.external_id.startswith("Ugw5zYU6n9pmIgAZWvN4AaABAg.")
    (single,) = parse_saved(_saved(corpus, "comments_single.json")).items
    assert (
        single.kind is ItemKind.COMMENT and single.conversation_id == single.external_id == "UgyUBI0HsgL9emxcZpR4AaABAg"
    )


def test_own_channel_comments_are_outbound_and_broken_entries_are_problems(corpus: Path) -> None:
    body = _saved(corpus, "comments_by_parent_paged_1.json")
    page = youtube.parse_saved(body, own_channel="UCNvMBmCASzTNNX8lW3JRMbw")
    assert {i.direction for i in page.items} == {Direction.OUTBOUND}
    broken = {"items": [{"id": "x", "snippet": {"textOriginal": "no time"}}, {"no": "id"}, "text"]}
    page = parse_saved(broken)
    assert not page.items and len(page.problems) == 3
    assert "publishedAt" in page.problems[0].reason
    assert parse_saved({"what": 1}).problems


def test_quota_resets_at_midnight_pacific() -> None:
    late_evening = datetime(2026, 11, 23, 7, 58, tzinfo=UTC)  # 23:58 in Los Angeles (PST)
    assert youtube._pacific_midnight_in(late_evening) == 120.0
    summer_midnight = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # 00:00 PDT
    assert youtube._pacific_midnight_in(summer_midnight) == 86_400.0


# ---------------------------------------------------------------------------------- sandbox


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, emulation.YouTubePlatform]]:
    platform = emulation.YouTubePlatform(player("viral-outage", "routine-day", "good-news"), tokens={TOKEN: "yt-inst"})
    with sandbox_server(platform) as server:
        yield server, platform


CHANNEL = emulation.channel_id_for("yt-inst")


def _connector(server: SandboxServer, waits: list[float] | None = None, token: str = TOKEN) -> YouTubeConnector:
    since = datetime(2000, 1, 1, tzinfo=UTC)
    client = fast_client(waits)
    return YouTubeConnector(
        server.url("youtube"), token=token, channel_id=CHANNEL, since=since, rate=RateControl(), **client
    )


def _comment_events(platform: emulation.YouTubePlatform) -> int:
    return sum(1 for r in platform.player.released("youtube") if r.event.kind != "post")


def test_full_then_incremental_sync_and_a_reply_read_back_once(
    cache: Cache, sandbox: tuple[SandboxServer, emulation.YouTubePlatform], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, platform = sandbox
    monkeypatch.setattr(youtube, "PAGE_SIZE", 7)  # several pages from a small scenario
    account = ensure_account(cache, "youtube:PemkotSukamajuTV", Channel.YOUTUBE, "Pemkot Sukamaju TV")
    engine = SyncEngine(cache, lambda _a: _connector(server))
    report = engine.sync_account(account)
    assert report.ok, report.streams
    comments = _comment_events(platform)
    assert report.items_written == comments > 7 and report.streams[0].pages >= 3
    rows = cache.conn.execute("SELECT kind, direction, visibility, count(*) FROM items GROUP BY 1, 2, 3").fetchall()
    assert rows == [("comment", "in", "public", comments)]
    handles = {h for (h,) in cache.conn.execute("SELECT author_handle FROM items")}
    assert handles and all(h.startswith("@") for h in handles)
    conversations = {c for (c,) in cache.conn.execute("SELECT external_id FROM conversations")}
    assert CHANNEL in conversations  # good-news comments written on the channel, not under a video
    assert emulation.video_id_for("yt-video") in conversations
    subject = cache.conn.execute(
        "SELECT subject FROM conversations WHERE external_id = ?", (emulation.video_id_for("yt-video"),)
    ).fetchone()
    assert subject == ("Tutorial: cara ambil antrean KTP-el lewat SukaLayan",)  # the video's title
    followers = [f for (f,) in cache.conn.execute("SELECT followers FROM contacts")]
    assert followers and all(isinstance(f, int) for f in followers)  # subscriber counts, read by channel id
    assert 1 <= server.count("GET", r"/youtube/channels$") <= report.streams[0].pages  # new authors only

    again = engine.sync_account(account)
    assert again.ok and again.items_written == 0 and again.streams[0].pages == 1

    (item_id,) = cache.conn.execute(
        "SELECT i.id FROM items i JOIN conversations c ON c.id = i.conversation_id WHERE c.external_id = ? LIMIT 1",
        (emulation.video_id_for("yt-video"),),
    ).fetchone()
    outbox.enqueue(cache, account_id=account.id, body="Terima kasih, sedang kami cek.", in_reply_to_item_id=item_id)
    sent = OutboxSender(cache, lambda _a: _connector(server)).send_due()
    assert len(sent.sent) == 1 and {e.state for e in outbox.entries(cache)} == {OutboxState.SENT}
    assert server.count("POST", r"/youtube/comments$") == 1
    receipt = outbox.entries(cache)[0].receipt_id
    parent = cache.conn.execute("SELECT external_id FROM items WHERE id = ?", (item_id,)).fetchone()[0]
    assert receipt.startswith(parent + ".")

    after = engine.sync_account(account)
    assert after.ok
    mine = cache.conn.execute(
        "SELECT external_id, kind, direction, parent_external_id FROM items WHERE text = ?",
        ("Terima kasih, sedang kami cek.",),
    ).fetchall()
    assert mine == [(receipt, "reply", "out", parent)]  # read back as the platform shows it, once
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == comments + 1


def test_replies_beyond_those_carried_are_read_by_parent(
    cache: Cache, sandbox: tuple[SandboxServer, emulation.YouTubePlatform], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, platform = sandbox
    monkeypatch.setattr(youtube, "PAGE_SIZE", 3)  # replies paged too
    connector = _connector(server)
    page = connector.fetch("comments", None)
    top = next(i for i in page.items if i.kind is ItemKind.COMMENT)
    while page.has_more:
        page = connector.fetch("comments", page.next_cursor)
    thread = platform._index().threads[top.external_id]
    for n in range(8):
        platform.player.add_reply("yt-inst", thread.top.event.id, f"balasan {n}")
    page = connector.fetch("comments", page.next_cursor)
    assert not page.has_more  # only the thread with new replies is new
    replies = [i for i in page.items if i.kind is ItemKind.REPLY]
    assert sorted(i.text for i in replies) == [f"balasan {n}" for n in range(8)]
    assert {i.parent_id for i in replies} == {top.external_id} and {i.direction for i in replies} == {
        Direction.OUTBOUND
    }
    assert server.count("GET", r"/youtube/comments$") == 3  # 8 replies, 3 a page
    reply_to_reply = OutgoingReply(1, "k", "ya", Visibility.PUBLIC, top.conversation_id, replies[0].external_id)
    receipt = connector.send(reply_to_reply)
    assert receipt.external_id.startswith(top.external_id + ".")  # joined the thread, as on youtube.com


def test_weather_quota_and_permissions(sandbox: tuple[SandboxServer, emulation.YouTubePlatform], corpus: Path) -> None:
    server, platform = sandbox
    waits: list[float] = []
    server.inject("GET", r"/youtube/commentThreads$", status=503, headers={"Retry-After": "2"})
    server.inject("GET", r"/youtube/commentThreads$", status=500)
    page = _connector(server, waits).fetch("comments", None)
    assert page.items and 1.9 < waits[0] <= 2.0 and max(waits) <= 2.0  # later calls wait out the rest

    rate = {"error": {"code": 403, "message": "Rate limit", "errors": [{"reason": "rateLimitExceeded"}]}}
    server.inject("GET", r"/youtube/commentThreads$", status=403, body=rate)
    with pytest.raises(RateLimited) as slow:
        _connector(server).fetch("comments", None)
    assert slow.value.retry_after == 60.0

    server.inject("GET", r"/youtube/commentThreads$", status=403, body=_saved(corpus, "error_permission_resp.json"))
    with pytest.raises(PermissionDenied, match="does not have permission"):  # SERVICE_UNAVAILABLE, yet a 403
        _connector(server).fetch("comments", None)

    connector = _connector(server)
    connector.fetch("comments", None)  # titles and subscriber counts learnt: later pages cost one unit
    platform.quota_per_day = platform._quota_used + 1
    connector.fetch("comments", None)  # the last unit
    with pytest.raises(RateLimited, match="midnight Pacific") as spent:
        connector.fetch("comments", None)
    assert spent.value.retry_after is not None and 60 <= spent.value.retry_after <= 25 * 3600
    with pytest.raises(RateLimited):  # the client now waits without asking
        connector.fetch("comments", None)
    assert server.count("GET", r"/youtube/commentThreads$") == 8


def test_a_quota_stop_in_the_sync_engine_says_when(
    cache: Cache, sandbox: tuple[SandboxServer, emulation.YouTubePlatform]
) -> None:
    server, platform = sandbox
    platform.quota_per_day = 0
    account = ensure_account(cache, "youtube:x", Channel.YOUTUBE, "x")
    report = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    stopped = report.streams[0]
    assert stopped.stopped.startswith("rate limited") and "midnight Pacific" in stopped.stopped
    assert stopped.retry_at is not None


def test_bad_token_bad_settings_and_refused_replies(
    sandbox: tuple[SandboxServer, emulation.YouTubePlatform], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = sandbox
    caplog.set_level(logging.DEBUG)
    wrong = "ya29.expired-Zx81Kq"
    with pytest.raises(AuthenticationError, match="invalid authentication credentials") as caught:
        _connector(server, token=wrong).fetch("comments", None)
    assert wrong not in str(caught.value) and wrong not in caplog.text and TOKEN not in caplog.text
    assert TOKEN not in repr(_connector(server))
    with pytest.raises(PermanentError, match="channel's id"):
        YouTubeConnector(server.url("youtube"), token=TOKEN, channel_id="@PemkotSukamajuTV")
    connector = _connector(server)
    page = connector.fetch("comments", None)
    target = page.items[0]
    with pytest.raises(PermanentError, match="no private replies"):
        connector.send(OutgoingReply(1, "k", "x", Visibility.PRIVATE, target.conversation_id, target.external_id))
    with pytest.raises(PermanentError, match="at most 10,000"):
        connector.send(OutgoingReply(1, "k", "x" * 10_001, Visibility.PUBLIC, target.conversation_id,
                                     target.external_id))  # fmt: skip
    with pytest.raises(PermanentError, match="answers a comment"):
        connector.send(OutgoingReply(1, "k", "x", Visibility.PUBLIC, target.conversation_id, None))
    with pytest.raises(PermanentError, match="parent comment could not be found"):
        connector.send(OutgoingReply(1, "k", "x", Visibility.PUBLIC, target.conversation_id, "UgxNoSuchComment"))
    assert server.count("POST", r"/youtube/comments$") == 1
    check = connector.check()
    assert check.ok and check.can_reply and "Pemkot Sukamaju TV" in check.identity


def test_registry_builds_it_and_the_command_line_syncs_and_replies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = spec_for(Channel.YOUTUBE)
    assert [s.name for s in spec.settings] == ["channel_id", "since"] and spec.parse_saved is parse_saved
    running = start_sandbox(live=False, platforms=["youtube"])
    try:
        (info,) = running.accounts
        account = Account(1, info.key, Channel.YOUTUBE, info.name, base_url=info.url, settings=info.settings)
        assert isinstance(build_connector(account, info.secret), YouTubeConnector)
        db = str(tmp_path / "c.sqlite")

        def run(*args: str, stdin: str = "") -> str:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
            assert cli.main([*args, "--cache", db]) == 0
            return capsys.readouterr().out

        run(*info.add_args(), stdin=info.secret + "\n")
        run("sync", "--once")
        with Cache.open(db) as cache:
            (first,) = cache.conn.execute("SELECT min(id) FROM items").fetchone()
        run("reply", str(first), "Terima kasih atas masukannya")
        run("sync", "--once")
        run("sync", "--once")
        assert running.server.count("POST", r"/youtube/comments$") == 1
        with Cache.open(db) as cache:
            echoed = cache.conn.execute("SELECT count(*) FROM items WHERE text = 'Terima kasih atas masukannya'")
            assert echoed.fetchone()[0] == 1
    finally:
        running.stop()


def test_timeouts_and_a_truncated_answer_through_the_sync_engine(
    cache: Cache, sandbox: tuple[SandboxServer, emulation.YouTubePlatform]
) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "youtube:PemkotSukamajuTV", Channel.YOUTUBE, "Pemkot Sukamaju TV")
    server.inject("GET", r"/youtube/commentThreads$", status=0, delay=1.0)  # slower than the read timeout
    server.inject("GET", r"/youtube/videos$", status=502)
    first = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert first.ok and first.items_written == _comment_events(platform)
    commented = next(r.event.id for r in platform.player.released("youtube") if r.event.kind == "comment")
    platform.player.add_reply("yt-inst", commented, "balasan baru")
    server.inject("GET", r"/youtube/commentThreads$", status=200, body=b'{"kind": "youtube#commentThre')
    cut = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert "not JSON" in cut.streams[0].stopped
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == first.items_written  # nothing lost
    resumed = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert resumed.ok and resumed.items_written == 2  # the cursor had not moved: the new reply, and its thread's count
    assert cache.conn.execute("SELECT count(*) FROM items WHERE text = 'balasan baru'").fetchone() == (1,)
