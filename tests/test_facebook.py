"""Facebook Pages: every recorded Graph answer parsed; over real HTTP against the sandbox's
emulation, a full sync of post comments and Messenger, replies in thread and through the Send
API arriving once and seen on the next sync, the 24-hour window, only changes read again, and
bad weather (429, 5xx, Graph rate-limit codes, a bad token) without doubling or leaking."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniinbox.cli import main
from omniinbox.connectors.base import AuthenticationError, PermanentError, PermissionDenied, RateLimited
from omniinbox.connectors.facebook import FacebookConnector, graph_error, graph_time, parse_saved
from omniinbox.connectors.http import RateControl
from omniinbox.core import Channel, Direction, ItemKind, OutboxState, OutgoingReply, Visibility
from omniinbox.sandbox.emulation import SandboxAccount
from omniinbox.sandbox.facebook import FacebookPlatform, emulate
from omniinbox.sandbox.hub import start_sandbox
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import Event, scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.secrets import RedactingFilter
from omniinbox.store import outbox
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

FB = "facebook/python-facebook"
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def _load(corpus: Path, name: str) -> object:
    return json.loads((corpus / FB / name).read_bytes())


# ------------------------------------------------------------------------------- recorded answers


def test_comment_pages_without_ids_or_authors_are_threaded_from_their_permalinks(corpus: Path) -> None:
    items = [i for name in ("comments_p1.json", "comments_p2.json") for i in parse_saved(_load(corpus, name)).items]
    assert len(items) == 15
    assert {i.conversation_id for i in items} == {"19292868552_10158407654328553"}
    assert all(i.author is None and i.created_at.tzinfo is not None for i in items)
    ids = {i.external_id for i in items}
    assert len(ids) == 15
    replies = [i for i in items if i.kind is ItemKind.REPLY]
    assert len(replies) == 5  # the ones with reply_comment_id= in their permalink
    assert all(r.parent_id in ids for r in replies)  # every reply's comment is in the same pages
    top = [i for i in items if i.kind is ItemKind.COMMENT]
    assert all(t.parent_id == "19292868552_10158407654328553" for t in top)
    first = next(i for i in items if i.external_id == "10158407654328553_10158407903973553")
    assert first.engagement.replies == 2
    assert first.created_at == datetime(2021, 8, 10, 19, 38, 44, tzinfo=UTC)
    assert "Boa noite" in items[0].text


def test_single_comment_and_multi_id_lookup(corpus: Path) -> None:
    one = parse_saved(_load(corpus, "comment_info.json"))
    many = parse_saved(_load(corpus, "comments_info.json"))  # an object keyed by id, not a list
    assert [i.external_id for i in one.items] == ["10158371815748553_10158371930463553"]
    assert [i.external_id for i in many.items] == [
        "10158371815748553_10158371930463553",
        "10158371815748553_10158372268858553",
    ]
    assert {i.conversation_id for i in many.items} == {"19292868552_10158371815748553"}
    assert many.items[1].engagement.replies == 1 and not many.problems


def test_page_feed_posts_carry_reactions_comments_and_shares(corpus: Path) -> None:
    page = parse_saved(_load(corpus, "feeds_default_fields_p1.json"))
    assert len(page.items) == 5 and not page.problems
    first = page.items[0]
    assert first.kind is ItemKind.POST and first.conversation_id == first.external_id == "19292868552_10158349356748553"
    assert (first.engagement.likes, first.engagement.replies, first.engagement.shares) == (125, 13, 10)
    assert first.permalink == "https://www.facebook.com/19292868552/posts/10158349356748553/"
    assert "attachments" not in (first.raw or {})
    assert [c.kind for c in page.conversations] == [ItemKind.POST] * 5


def test_time_paged_user_posts_have_no_cursors_and_the_last_page_no_next(corpus: Path) -> None:
    first, last = (parse_saved(_load(corpus, n)) for n in ("feed_fields_p1.json", "feed_fields_p2.json"))
    assert [i.external_id for i in first.items][:2] == ["4_10113477241177441", "4_10113449068715281"]
    assert first.items[0].text == "Happy July 4th! 🇺🇸"
    assert first.items[0].created_at == graph_time("2021-07-04T19:50:58+0000", "t")
    assert len(last.items) == 5 and not last.problems


def test_messenger_conversations_and_messages(corpus: Path) -> None:
    conversations = parse_saved(_load(corpus, "cvses_info.json"))
    assert {c.external_id for c in conversations.conversations} == {"t_587956915396498", "t_233782918546745"}
    assert all(c.kind is ItemKind.DM for c in conversations.conversations) and not conversations.items
    one = parse_saved(_load(corpus, "message_info.json")).items[0]
    many = parse_saved(_load(corpus, "messages_info.json")).items
    assert one.kind is ItemKind.DM and one.visibility is Visibility.PRIVATE
    assert one.author is not None and one.author.name == "Kun Liu" and one.author.external_id == "2711636948859886"
    assert one.author.email == ""  # "<PSID>@facebook.com" is not an address
    assert one.text.startswith("[image")  # only an attachment: described, not empty
    assert len(many) == 2 and len({m.conversation_id for m in many}) == 1
    assert "video" in many[1].text


def test_error_answers_and_graph_codes(corpus: Path) -> None:
    saved = parse_saved(_load(corpus, "error_data.json"))
    assert not saved.items and "Object does not exist" in saved.problems[0].reason
    body = _load(corpus, "error_data.json")
    assert isinstance(graph_error(400, body, "GET host/x"), PermanentError)
    assert "(#100)" in str(graph_error(400, body, "GET host/x"))
    expired = {"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}
    assert isinstance(graph_error(400, expired, "w"), AuthenticationError)
    assert isinstance(graph_error(403, {"error": {"message": "x", "code": 200}}, "w"), PermissionDenied)
    assert isinstance(graph_error(400, {"error": {"message": "x", "code": 10}}, "w"), PermissionDenied)
    usage = {
        "x-business-use-case-usage": json.dumps({"1": [{"call_count": 100, "estimated_time_to_regain_access": 7}]})
    }
    limited = graph_error(400, {"error": {"message": "Calls to this api have exceeded", "code": 613}}, "w", usage)
    assert isinstance(limited, RateLimited) and limited.retry_after == 420
    assert isinstance(graph_error(400, {"error": {"message": "x", "code": 4}}, "w"), RateLimited)
    assert parse_saved([1, 2]).problems and parse_saved({"unrelated": True}).problems


# ------------------------------------------------------------------------------- against the emulation


def _dm_events() -> list[Event]:
    common = {"platform": "facebook", "account": "fb-inst", "kind": "dm", "visibility": "private"}
    return [
        Event(
            id="fb-dm-1",
            at=30,
            author="langganan",
            text="Min, KTP saya belum jadi sejak bulan lalu",
            thread="fb-dm-1",
            **common,
        ),  # type: ignore[arg-type]
        Event(id="fb-dm-2", at=31, author="langganan", text="Nomor antrean saya A-113", thread="fb-dm-1", **common),  # type: ignore[arg-type]
    ]


class _Site:
    def __init__(
        self, server: SandboxServer, platform: FacebookPlatform, account: SandboxAccount, player: ScenarioPlayer
    ) -> None:
        self.server, self.platform, self.account, self.player = server, platform, account, player

    def connector(self, token: str | None = None, **extra: object) -> FacebookConnector:
        return FacebookConnector(
            self.server.url("facebook"),
            token=token or self.account.secret,
            page_id=self.account.settings["page_id"],
            since=SINCE,
            sleep=lambda s: None,
            backoff=0.0,
            rate=RateControl(),
            **extra,
        )  # type: ignore[arg-type]


def _site(player: ScenarioPlayer) -> Iterator[_Site]:
    emulation = emulate(player)
    assert isinstance(emulation.platform, FacebookPlatform)
    with SandboxServer([emulation.platform]) as server:
        account = emulation.accounts(server.url("facebook"))[0]
        yield _Site(server, emulation.platform, account, player)


@pytest.fixture
def site() -> Iterator[_Site]:
    player = ScenarioPlayer([scenario_named("viral-outage"), scenario_named("routine-day")], live=False)
    player.add_events(_dm_events())
    yield from _site(player)


def test_full_sync_replies_arrive_once_and_only_changes_are_read_again(cache: Cache, site: _Site) -> None:
    account = add_account(cache, "facebook:page", Channel.FACEBOOK, "Pemkot", settings=site.account.settings)
    engine = SyncEngine(cache, lambda _a: site.connector())
    report = engine.sync_account(account)
    assert report.ok, report.streams
    model = site.platform.model()
    expected = len([o for o in model.objects.values() if o.kind in ("post", "comment", "message")])
    assert cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone() == (expected,) * 2
    kinds = dict(cache.conn.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())
    assert kinds["post"] == len([o for o in model.objects.values() if o.kind == "post"]) and kinds["dm"] == 2
    orphans = cache.conn.execute(
        "SELECT count(*) FROM items i WHERE i.kind IN ('comment', 'reply') AND NOT EXISTS (SELECT 1 FROM items p"
        " WHERE p.external_id = i.parent_external_id OR (i.parent_external_id = '' AND p.kind = 'post'"
        " AND p.conversation_id = i.conversation_id))"
    ).fetchone()[0]
    assert orphans == 0  # every comment hangs under a post that was read
    assert cache.conn.execute("SELECT count(*) FROM items WHERE kind = 'post' AND direction = 'out'").fetchone()[0]
    dm = cache.conn.execute("SELECT visibility, author_name FROM items WHERE kind = 'dm' LIMIT 1").fetchone()
    assert dm == ("private", "Agus Harahap")
    # a public reply under a citizen's comment, and a Messenger reply
    comment_id, comment_conv = cache.conn.execute(
        "SELECT id, conversation_id FROM items WHERE kind = 'comment' AND direction = 'in' ORDER BY id LIMIT 1"
    ).fetchone()
    dm_id, dm_conv = cache.conn.execute("SELECT id, conversation_id FROM items WHERE kind = 'dm' LIMIT 1").fetchone()
    outbox.enqueue(
        cache,
        account_id=account.id,
        body="Terima kasih, kami cek ya.",
        conversation_id=comment_conv,
        in_reply_to_item_id=comment_id,
        visibility=Visibility.PUBLIC,
    )
    outbox.enqueue(
        cache,
        account_id=account.id,
        body="Baik Pak Agus, kami bantu cek A-113.",
        conversation_id=dm_conv,
        in_reply_to_item_id=dm_id,
        visibility=Visibility.PRIVATE,
    )
    OutboxSender(cache, lambda _a: site.connector()).send_due()
    entries = outbox.entries(cache)
    assert [e.state for e in entries] == [OutboxState.SENT] * 2, [e.last_error for e in entries]
    assert site.server.count("POST", r"/comments$") == 1
    assert site.server.count("POST", r"/\d+/messages$") == 1
    receipts = {e.body: e.receipt_id for e in entries}
    assert receipts["Baik Pak Agus, kami bantu cek A-113."].startswith("m_")
    assert receipts["Terima kasih, kami cek ya."].startswith("10158")
    comment_reads = site.server.count("GET", r"/comments$")
    assert comment_reads >= 1  # a post with more new comments than came with the feed was paged through its edge
    again = SyncEngine(cache, lambda _a: site.connector()).sync_account(account)
    assert again.ok, again.streams
    echoed = dict(
        cache.conn.execute(
            "SELECT text, count(*) FROM items WHERE direction = 'out' AND kind IN ('reply', 'dm') GROUP BY text"
        ).fetchall()
    )
    assert echoed == {"Terima kasih, kami cek ya.": 1, "Baik Pak Agus, kami bantu cek A-113.": 1}
    reply = cache.conn.execute(
        "SELECT kind, parent_external_id FROM items WHERE text = 'Terima kasih, kami cek ya.'"
    ).fetchone()
    parent_ext = cache.conn.execute("SELECT external_id FROM items WHERE id = ?", (comment_id,)).fetchone()[0]
    assert reply == ("reply", parent_ext)  # the echo sits under the comment it answers
    assert site.server.count("GET", r"/comments$") == comment_reads  # the new comments came with the feed
    comments_read = again.streams[0].items_read
    assert 2 <= comments_read <= report.streams[0].items_read // 4, comments_read  # only what changed (and a margin)


def test_a_reply_to_a_reply_goes_under_its_top_level_comment(cache: Cache, site: _Site) -> None:
    account = add_account(cache, "facebook:page", Channel.FACEBOOK, "Pemkot", settings=site.account.settings)
    assert SyncEngine(cache, lambda _a: site.connector()).sync_account(account).ok
    comment_id, conv, comment_ext = cache.conn.execute(
        "SELECT id, conversation_id, external_id FROM items WHERE kind = 'comment' ORDER BY id LIMIT 1"
    ).fetchone()
    outbox.enqueue(
        cache,
        account_id=account.id,
        body="Balasan pertama",
        conversation_id=conv,
        in_reply_to_item_id=comment_id,
        visibility=Visibility.PUBLIC,
    )
    OutboxSender(cache, lambda _a: site.connector()).send_due()
    assert SyncEngine(cache, lambda _a: site.connector()).sync_account(account).ok
    reply_id = cache.conn.execute("SELECT id FROM items WHERE text = 'Balasan pertama'").fetchone()[0]
    outbox.enqueue(
        cache,
        account_id=account.id,
        body="Balasan kedua",
        conversation_id=conv,
        in_reply_to_item_id=reply_id,
        visibility=Visibility.PUBLIC,
    )
    OutboxSender(cache, lambda _a: site.connector()).send_due()
    posted = [r for r in site.server.requests if r.method == "POST"]
    assert [r.path.split("/")[2] for r in posted] == [comment_ext, comment_ext]
    assert SyncEngine(cache, lambda _a: site.connector()).sync_account(account).ok
    second = cache.conn.execute("SELECT parent_external_id FROM items WHERE text = 'Balasan kedua'").fetchone()
    assert second == (comment_ext,)


def test_messenger_window_refuses_old_conversations_unless_tagged() -> None:
    days_ago = 3 * 86400
    player = ScenarioPlayer([scenario_named("routine-day")], live=False, wall_clock=lambda: time.time() - days_ago)
    player.add_events(_dm_events())
    for site in _site(player):
        conversation = site.platform.model().conversations["fb-inst"][0]
        reply = OutgoingReply(1, "k", "Mohon maaf baru kami balas.", Visibility.PRIVATE, conversation, None)
        with pytest.raises(PermanentError, match="24-hour window") as caught:
            site.connector().send(reply)
        hours = int(str(caught.value).split("wrote ")[1].split(" hours")[0])
        assert 72 <= hours < 96
        assert site.server.count("POST", r"/messages$") == 0  # refused before anything was sent
        receipt = site.connector(message_tag="HUMAN_AGENT").send(reply)
        assert receipt.external_id.startswith("m_")
        posted = json.loads(next(r for r in site.server.requests if r.method == "POST").body)
        assert posted["messaging_type"] == "MESSAGE_TAG" and posted["tag"] == "HUMAN_AGENT"
        with pytest.raises(PermanentError, match="message_tag"):
            site.connector(message_tag="not a tag!")


def test_the_emulation_itself_refuses_a_send_outside_the_window() -> None:
    player = ScenarioPlayer([scenario_named("routine-day")], live=False, wall_clock=lambda: time.time() - 2 * 86400)
    player.add_events(_dm_events())
    for site in _site(player):
        psid = next(
            m
            for m in site.connector().graph.get(
                f"{site.platform.model().conversations['fb-inst'][0]}/messages", {"fields": "from"}
            )["data"]
        )["from"]["id"]
        with pytest.raises(PermissionDenied, match="2018278"):
            site.connector().graph.call(
                "POST",
                f"{site.account.settings['page_id']}/messages",
                json_body={"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "halo"}},
            )


def test_bad_weather_is_ridden_out_and_limits_stop_with_a_reason(
    cache: Cache, site: _Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    account = add_account(cache, "facebook:page", Channel.FACEBOOK, "Pemkot", settings=site.account.settings)
    server = site.server
    server.inject("GET", "/facebook/", status=429, headers={"Retry-After": "0"})
    for status in (503, 502, 500):
        server.inject("GET", "/facebook/", status=status, headers={"Retry-After": "0"} if status == 503 else {})
    server.inject("GET", r"/comments$", status=200, delay=1.0)  # slower than the read timeout

    def connector(_a: object) -> FacebookConnector:
        built = site.connector()
        built.http.timeout = (2.0, 0.5)
        return built

    first = SyncEngine(cache, connector).sync_account(account)  # type: ignore[arg-type]
    assert first.ok, first.streams
    total = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert total[0] == total[1] > 0
    assert {429, 503, 502, 500} <= {r.status for r in server.requests}

    usage = json.dumps(
        {site.account.settings["page_id"]: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}]}
    )
    server.inject(
        "GET",
        "/feed$",
        status=400,
        headers={"X-Business-Use-Case-Usage": usage},
        body={
            "error": {
                "message": "(#32) Page request limit reached",
                "type": "OAuthException",
                "code": 32,
                "fbtrace_id": "A1",
            }
        },
    )
    limited = SyncEngine(cache, connector).sync_account(account)  # type: ignore[arg-type]
    assert limited.streams[0].stopped.startswith("rate limited") and "(#32)" in limited.streams[0].stopped
    assert limited.streams[0].retry_at is not None
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == total[0]

    wrong = "EAAB-wrong-token-31415926"
    expired = add_account(cache, "facebook:expired", Channel.FACEBOOK, "X", settings=site.account.settings)
    report = SyncEngine(cache, lambda _a: site.connector(token=wrong)).sync_account(expired)
    assert report.streams[0].stopped.startswith("authentication failed") and "(#190)" in report.streams[0].stopped
    with pytest.raises(AuthenticationError) as caught:
        site.connector(token=wrong).check()
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert wrong not in caplog.text and site.account.secret not in caplog.text


def test_usage_near_the_limit_slows_down_then_stops(site: _Site) -> None:
    site.platform.budget_per_minute = 12
    slept: list[float] = []
    connector = FacebookConnector(
        site.server.url("facebook"),
        token=site.account.secret,
        page_id=site.account.settings["page_id"],
        sleep=slept.append,
        backoff=0.0,
    )
    with pytest.raises(RateLimited) as caught:
        for _ in range(30):
            connector.check()
    assert any(0 < s <= 5 for s in slept)  # spaced out as usage passed 90 %
    assert caught.value.retry_after is not None and caught.value.retry_after >= 60


# ------------------------------------------------------------------------------- the command line


def test_the_command_line_connects_syncs_and_replies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = start_sandbox(["routine-day"], live=False, platforms=["facebook"])
    try:
        db = str(tmp_path / "c.sqlite")

        def cli(*args: str, stdin: str = "") -> str:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
            code = main(list(args))
            out, err = capsys.readouterr()
            assert code == 0, err
            return out

        (info,) = sandbox.accounts
        cli(*info.add_args(), "--cache", db, stdin=info.secret + "\n")
        (report,) = [json.loads(x) for x in cli("sync", "--once", "--json", "--cache", db).splitlines()]
        assert report["written"] > 0 and not report["stopped"], report
        with Cache.open(db) as cache:
            item = cache.conn.execute("SELECT min(id) FROM items WHERE kind = 'comment'").fetchone()[0]
        cli("reply", str(item), "Terima kasih masukannya", "--cache", db)
        cli("sync", "--once", "--cache", db)
        cli("sync", "--once", "--cache", db)
        assert sandbox.server.count("POST", r"/comments$") == 1
        with Cache.open(db) as cache:
            rows = cache.conn.execute(
                "SELECT direction, kind FROM items WHERE text = 'Terima kasih masukannya'"
            ).fetchall()
        assert rows == [(Direction.OUTBOUND.value, "reply")]
    finally:
        sandbox.stop()


def test_import_reads_every_saved_answer_and_names_bad_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, corpus: Path
) -> None:
    bodies = [json.loads(p.read_bytes()) for p in sorted((corpus / FB).glob("*.json"))]
    saved = tmp_path / "facebook.jsonl"
    saved.write_text("\n".join(json.dumps(b) for b in bodies) + '\n{"data": [\n', encoding="utf-8")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = main(["--cache", str(tmp_path / "cache.sqlite"), "import", "--channel", "facebook", str(saved)])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    out, err = capsys.readouterr()
    assert code == 0, err
    expected = {i.external_id for b in bodies for i in parse_saved(b).items}
    assert f"{len(expected)} new or changed" in out
    assert "facebook.jsonl:" in err and "not JSON" in err and "Object does not exist" in err
    with Cache.open(tmp_path / "cache.sqlite") as cache:
        assert {r[0] for r in cache.conn.execute("SELECT external_id FROM items")} == expected
