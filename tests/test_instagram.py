"""Instagram: every recorded Graph answer parsed; over real HTTP against the sandbox's emulation,
a full sync of the institution's and the leader's media with their comments and replies, replies
arriving once and seen on the next sync, only media whose comment count moved read again, replies
beyond the expansion paged, and bad weather without doubling or leaking."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniinbox.connectors.base import AuthenticationError, PermanentError, RateLimited
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.instagram import InstagramConnector, parse_saved
from omniinbox.connectors.registry import spec_for
from omniinbox.core import Channel, ItemKind, OutboxState, OutgoingReply, Visibility
from omniinbox.sandbox.emulation import SandboxAccount
from omniinbox.sandbox.instagram import InstagramPlatform, emulate
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.secrets import RedactingFilter
from omniinbox.store import outbox
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

IG = "instagram/python-facebook"
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def _load(corpus: Path, name: str) -> object:
    return json.loads((corpus / IG / name).read_bytes())


# ------------------------------------------------------------------------------- recorded answers


def test_comment_pages_name_their_medium_only_in_paging_links(corpus: Path) -> None:
    first = parse_saved(_load(corpus, "comments_p1.json"))
    last = parse_saved(_load(corpus, "comments_p2.json"))  # no paging at all: the last page
    assert [i.external_id for i in first.items] == ["17858154961981086", "17874875428706419"]
    assert {(i.conversation_id, i.parent_id, i.kind) for i in first.items} == {
        ("17846368219941692", "17846368219941692", ItemKind.COMMENT)
    }
    assert first.items[0].created_at == datetime(2020, 6, 1, 10, 56, 52, tzinfo=UTC)
    assert all(i.author is None for i in first.items)  # list pages carry id, text and timestamp only
    assert [i.conversation_id for i in last.items] == ["17892250648466172", "17914413430382429"]
    assert all(i.parent_id is None and not last.problems for i in last.items)
    replies = parse_saved(_load(corpus, "replies.json"))
    assert [(i.external_id, i.text) for i in replies.items] == [("17847314687296283", "@lixiangguodu123 nihao")]


def test_comment_lookup_has_usernames_and_likes(corpus: Path) -> None:
    page = parse_saved(_load(corpus, "comments_fields.json"))  # keyed by id
    by_id = {i.external_id: i for i in page.items}
    assert set(by_id) == {"17892250648466172", "17858154961981086"}
    first = by_id["17892250648466172"]
    assert first.author is not None and first.author.handle == "@ikroskun" and first.author.name == "ikroskun"
    assert first.engagement.likes == 1 and first.text == "@ikroskun  Hey, guys"
    assert parse_saved(_load(corpus, "comments_fields.json"), owner="ikroskun").items[0].direction.value == "out"


def test_media_including_a_carousel(corpus: Path) -> None:
    album = parse_saved(_load(corpus, "media_default.json"))
    assert len(album.items) == 1  # the carousel's children are parts of it, not items
    item = album.items[0]
    assert (item.kind, item.external_id, item.text) == (ItemKind.POST, "17896129349106152", "ALBUM")
    assert item.permalink == "https://www.instagram.com/p/CRyZpmrjYC4/" and item.engagement.likes == 1
    assert "children" not in (item.raw or {})
    many = parse_saved(_load(corpus, "medias_fields.json"))
    assert sorted(i.external_id for i in many.items) == ["17893085207160254", "17896129349106152"]
    assert {c.external_id for c in many.conversations} == {"17893085207160254", "17896129349106152"}


def test_a_mentioned_comment_is_a_mention(corpus: Path) -> None:
    page = parse_saved(_load(corpus, "mentioned_comment.json"))
    (item,) = page.items
    assert item.kind is ItemKind.MENTION and item.external_id == "17967008497439572"
    assert item.author is not None and item.author.handle == "@ikroskun"
    assert item.created_at == datetime(2021, 8, 19, 9, 14, 16, tzinfo=UTC)


def test_unreadable_answers_are_problems_not_tracebacks() -> None:
    assert parse_saved({"error": {"message": "Invalid OAuth access token", "code": 190}}).problems
    assert parse_saved("text").problems
    odd = parse_saved({"data": [{"id": "1", "text": "hi", "timestamp": "yesterday"}, {"text": "no id"}]})
    assert not odd.items and len(odd.problems) == 2 and "unreadable time" in odd.problems[0].reason


# ------------------------------------------------------------------------------- against the emulation


class _Site:
    def __init__(
        self, server: SandboxServer, platform: InstagramPlatform, accounts: list[SandboxAccount], player: ScenarioPlayer
    ) -> None:
        self.server, self.platform, self.accounts, self.player = server, platform, accounts, player

    def connector(self, account: SandboxAccount, token: str | None = None) -> InstagramConnector:
        return InstagramConnector(
            self.server.url("instagram"),
            token=token or account.secret,
            ig_user_id=account.settings["ig_user_id"],
            since=SINCE,
            sleep=lambda s: None,
            backoff=0.0,
            rate=RateControl(),
        )


@pytest.fixture
def site() -> Iterator[_Site]:
    player = ScenarioPlayer([scenario_named("viral-outage"), scenario_named("routine-day")], live=False)
    emulation = emulate(player)
    assert isinstance(emulation.platform, InstagramPlatform)
    with SandboxServer([emulation.platform]) as server:
        yield _Site(server, emulation.platform, emulation.accounts(server.url("instagram")), player)


def _add(cache: Cache, info: SandboxAccount) -> object:
    return add_account(cache, info.key, Channel.INSTAGRAM, info.name, settings=info.settings)


def test_both_accounts_sync_and_replies_arrive_once_then_only_changes(cache: Cache, site: _Site) -> None:
    assert [a.leader for a in site.accounts] == [False, True]  # the mayor's personal account is marked
    spec_for(Channel.INSTAGRAM)  # the registry finds the module's SPEC
    infos = {a.key: a for a in site.accounts}
    accounts = [_add(cache, info) for info in site.accounts]
    engine = SyncEngine(cache, lambda a: site.connector(infos[a.key]))  # type: ignore[attr-defined]
    for account in accounts:
        report = engine.sync_account(account)  # type: ignore[arg-type]
        assert report.ok, report.streams
    model = site.platform.model()
    assert cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone() == (
        len(model.objects),
        len(model.objects),
    )
    own = cache.conn.execute("SELECT count(*) FROM items WHERE kind = 'post' AND direction = 'out'").fetchone()[0]
    assert own == len([o for o in model.objects.values() if o.kind == "media"])
    handles = {r[0] for r in cache.conn.execute("SELECT author_handle FROM items WHERE kind = 'comment'")}
    assert len(handles) > 10 and all(h.startswith("@") and " " not in h for h in handles)
    inst = accounts[0]
    comment_id, conv, comment_ext, conv_ext = cache.conn.execute(
        "SELECT i.id, i.conversation_id, i.external_id, c.external_id FROM items i JOIN conversations c"
        " ON c.id = i.conversation_id WHERE i.kind = 'comment' AND i.account_id = ? ORDER BY i.id LIMIT 1",
        (inst.id,),  # type: ignore[attr-defined]
    ).fetchone()
    outbox.enqueue(
        cache,
        account_id=inst.id,
        body="Halo kak, silakan cek DM ya",
        conversation_id=conv,  # type: ignore[attr-defined]
        in_reply_to_item_id=comment_id,
        visibility=Visibility.PUBLIC,
    )
    OutboxSender(cache, lambda a: site.connector(infos[a.key])).send_due()
    (entry,) = outbox.entries(cache)
    assert entry.state is OutboxState.SENT, entry.last_error
    assert site.server.count("POST", rf"/{comment_ext}/replies$") == 1
    seen = len(site.server.requests)
    for account in accounts:
        assert engine.sync_account(account).ok  # type: ignore[arg-type]
    lookups = [r.query["ids"][0] for r in site.server.requests[seen:] if r.method == "GET" and "ids" in r.query]
    assert lookups == [conv_ext]  # only the medium whose comment count moved was read again
    rows = cache.conn.execute(
        "SELECT kind, direction, parent_external_id, author_handle FROM items WHERE text = ?",
        ("Halo kak, silakan cek DM ya",),
    ).fetchall()
    assert rows == [("reply", "out", comment_ext, "@pemkotsukamaju")]


def test_a_reply_to_a_reply_is_posted_under_the_top_level_comment(site: _Site) -> None:
    info = site.accounts[0]
    connector = site.connector(info)
    model = site.platform.model()
    media_id = model.media["ig-inst"][0]
    comment = model.objects[model.objects[media_id].children[0]]
    first = connector.send(
        OutgoingReply(1, "a", "Satu", Visibility.PUBLIC, media_id, comment.id, references=(media_id, comment.id))
    )
    second = connector.send(
        OutgoingReply(
            2,
            "b",
            "Dua",
            Visibility.PUBLIC,
            media_id,
            first.external_id,
            references=(media_id, comment.id, first.external_id),
        )
    )
    on_media = connector.send(
        OutgoingReply(3, "c", "Tiga", Visibility.PUBLIC, media_id, media_id, references=(media_id,))
    )
    assert site.server.count("POST", rf"/{comment.id}/replies$") == 2
    assert site.server.count("POST", rf"/{media_id}/comments$") == 1
    model = site.platform.model()
    assert model.objects[second.external_id].parent == comment.id
    assert model.objects[on_media.external_id].parent == media_id
    with pytest.raises(PermanentError, match="private"):
        connector.send(OutgoingReply(4, "d", "x", Visibility.PRIVATE, media_id, comment.id))
    with pytest.raises(PermanentError, match="2200"):
        connector.send(OutgoingReply(5, "e", "x" * 2300, Visibility.PUBLIC, media_id, comment.id))


def test_replies_beyond_the_expansion_are_paged(cache: Cache, site: _Site) -> None:
    model = site.platform.model()
    media_id = model.media["ig-inst"][0]
    comment = model.objects[model.objects[media_id].children[0]]
    assert comment.released is not None
    for n in range(30):
        site.player.add_reply("ig-inst", comment.released.event.id, f"balasan {n}", kind="reply")
    info = site.accounts[0]
    account = _add(cache, info)
    assert SyncEngine(cache, lambda _a: site.connector(info)).sync_account(account).ok  # type: ignore[arg-type]
    got = cache.conn.execute("SELECT count(*) FROM items WHERE text LIKE 'balasan %' AND kind = 'reply'").fetchone()
    assert got == (30,)
    assert site.server.count("GET", rf"/{comment.id}/replies$") == 1


def test_bad_weather_and_a_bad_token(cache: Cache, site: _Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    info = site.accounts[0]
    account = _add(cache, info)
    site.server.inject("GET", "/instagram/", status=429, headers={"Retry-After": "0"})
    for status in (500, 502, 503):
        site.server.inject("GET", "/instagram/v", status=status, headers={"Retry-After": "0"} if status == 503 else {})
    report = SyncEngine(cache, lambda _a: site.connector(info)).sync_account(account)  # type: ignore[arg-type]
    assert report.ok, report.streams
    assert cache.conn.execute("SELECT count(*) - count(DISTINCT external_id) FROM items").fetchone() == (0,)
    assert {429, 500, 502, 503} <= {r.status for r in site.server.requests}
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == len(
        [o for o in site.platform.model().objects.values() if o.account.id == "ig-inst"]
    )
    site.server.inject(
        "GET",
        "/media$",
        status=400,
        body={
            "error": {
                "message": "(#4) Application request limit reached",
                "type": "OAuthException",
                "is_transient": True,
                "code": 4,
                "fbtrace_id": "B",
            }
        },
    )
    with pytest.raises(RateLimited, match="#4"):
        site.connector(info).fetch("comments", None)
    wrong = "IGQW-wrong-token-2718281828"
    with pytest.raises(AuthenticationError, match="#190") as caught:
        site.connector(info, token=wrong).check()
    assert wrong not in str(caught.value)
    other = site.accounts[1]
    with pytest.raises(PermanentError, match="does not exist"):  # one account's token cannot read another's
        InstagramConnector(
            site.server.url("instagram"),
            token=info.secret,
            ig_user_id=other.settings["ig_user_id"],
            sleep=lambda s: None,
        ).check()
    assert wrong not in caplog.text and info.secret not in caplog.text
    with pytest.raises(PermanentError, match="user id"):
        InstagramConnector(site.server.url("instagram"), token=info.secret, ig_user_id="pemkot")


def test_import_reads_every_saved_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path, corpus: Path) -> None:
    from omniinbox.cli import main

    bodies = [json.loads(p.read_bytes()) for p in sorted((corpus / IG).glob("*.json"))]
    saved = tmp_path / "instagram.json"
    saved.write_text(json.dumps(bodies), encoding="utf-8")  # a JSON list of answers
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = main(["--cache", str(tmp_path / "cache.sqlite"), "import", "--channel", "instagram", str(saved)])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    out, err = capsys.readouterr()
    assert code == 0, err
    expected = {i.external_id for b in bodies for i in parse_saved(b).items}
    assert len(expected) == 8 and f"{len(expected)} new or changed" in out
    with Cache.open(tmp_path / "cache.sqlite") as cache:
        kinds = dict(cache.conn.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())
    assert kinds == {"post": 2, "comment": 5, "mention": 1}
