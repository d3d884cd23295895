"""Telegram: every recorded Update parsed (edits, replies, forwards, media), the connector over
real HTTP against the sandbox's emulation (the offset cursor confirms only what was stored, edits
update the same item, replies sent once within 4096 characters), 429 with retry_after, 5xx, 401,
403 from a user who blocked the bot, and the token never in a log line, error or repr."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.sandbox import fast_client, player, sandbox_server

from omniinbox import cli
from omniinbox.connectors.base import (
    AuthenticationError,
    PermanentError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.registry import build_connector, spec_for
from omniinbox.connectors.telegram import TelegramConnector, message_item, parse_saved
from omniinbox.core import Account, Channel, Direction, ItemKind, OutboxState, OutgoingReply, Visibility
from omniinbox.sandbox import telegram as emulation
from omniinbox.sandbox.hub import start_sandbox
from omniinbox.sandbox.server import SandboxServer
from omniinbox.store import outbox
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import get_cursor
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

BOT = emulation.bot_id_for("tg-inst")
TOKEN = f"{BOT}:AAH7kQ2xVm9Lw3Rt5Zp8Yc1Nb4Gd6Fs0Ej"
FOLDER = ("telegram", "telegram_types")


def _update(corpus: Path, name: str) -> Any:
    return json.loads(corpus.joinpath(*FOLDER, name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------- corpus


def test_every_recorded_update_is_read(corpus: Path) -> None:
    names = sorted(p.name for p in corpus.joinpath(*FOLDER).glob("*.json"))
    assert len(names) == 6
    for name in names:
        page = parse_saved(_update(corpus, name))
        assert len(page.items) == 1 and not page.problems, name
        item = page.items[0]
        assert item.kind is ItemKind.DM and item.visibility is Visibility.PRIVATE
        assert item.conversation_id == "12345678" and item.external_id.startswith("12345678:")
        assert item.author is not None and item.author.external_id == "12345678" and item.direction is Direction.INBOUND


def test_names_edits_media_forwards_and_a_reply_to_itself(corpus: Path) -> None:
    (plain,) = parse_saved(_update(corpus, "message.json")).items
    assert plain.author is not None
    assert (plain.author.name, plain.author.handle, plain.text) == ("FirstName LastName", "@username", "Hi, world!")
    assert plain.external_id == "12345678:11223" and plain.created_at.timestamp() == 1508709711

    (edited,) = parse_saved(_update(corpus, "edited_message.json")).items
    assert edited.text == "hi there (edited)" and edited.edited_at is not None
    assert edited.edited_at.timestamp() == 1508825379 and edited.created_at.timestamp() == 1508825372

    (photo,) = parse_saved(_update(corpus, "message_with_photo.json")).items
    assert photo.text == "photo description\n[photo 950x320]"  # caption as text, the largest size named
    (document,) = parse_saved(_update(corpus, "message_with_document.json")).items
    assert document.text == "doc description\n[document: test.docx, 20.8 KB]"
    (forward,) = parse_saved(_update(corpus, "forwarded_message.json")).items
    assert forward.text == "[forwarded from Name (@UserName)]\nmessage text"

    (reply,) = parse_saved(_update(corpus, "reply_message.json")).items
    assert reply.text == "Reply to quoted message"
    assert reply.parent_id is None  # the recording quotes a message with its own id: no loop
    body = _update(corpus, "reply_message.json")
    body["message"]["reply_to_message"]["message_id"] = 12000
    (answer,) = parse_saved(body).items
    assert answer.parent_id == "12345678:12000" and answer.kind is ItemKind.DM


def test_groups_channels_service_messages_and_bad_updates() -> None:
    group = {"id": -1001234567890, "title": "Forum Warga", "username": "forumwarga", "type": "supergroup"}
    user = {"id": 42, "is_bot": False, "first_name": "Sari"}
    updates = [
        {"update_id": 1, "message": {"message_id": 5, "from": user, "chat": group, "date": 1700000000,
                                     "new_chat_members": [user]}},
        {"update_id": 2, "message": {"message_id": 6, "from": user, "chat": group, "date": 1700000001, "text": "halo",
                                     "reply_to_message": {"message_id": 3, "chat": group, "date": 1}}},
        {"update_id": 3, "channel_post": {"message_id": 9, "chat": {"id": -1009, "title": "Info", "type": "channel"},
                                          "date": 1700000002, "text": "Pengumuman", "forward_origin": {
                                              "type": "hidden_user", "sender_user_name": "Anon", "date": 1}}},
        {"update_id": 4, "callback_query": {"id": "x"}},
        {"update_id": 5, "message": {"message_id": 7, "chat": group, "text": "no date"}},
        "not an update",
    ]  # fmt: skip
    page = parse_saved({"ok": True, "result": updates})
    assert [i.external_id for i in page.items] == ["-1001234567890:6", "-1009:9"]
    comment, post = page.items
    assert comment.kind is ItemKind.REPLY and comment.parent_id == "-1001234567890:3"
    assert comment.visibility is Visibility.PUBLIC and comment.permalink == "https://t.me/forumwarga/6"
    assert post.kind is ItemKind.POST and post.author is not None and post.author.name == "Info"
    assert post.text == "[forwarded from Anon]\nPengumuman" and post.permalink == "https://t.me/c/9/9"
    assert [c.subject for c in page.conversations] == ["Forum Warga", "Info"]
    assert len(page.problems) == 2 and "no date" in page.problems[0].reason
    assert parse_saved({"ok": False, "error_code": 401, "description": "Unauthorized"}).problems
    sticker = message_item({"message_id": 1, "chat": {"id": 5, "type": "private"}, "date": 1,
                            "sticker": {"emoji": "👍", "file_id": "f"}})  # fmt: skip
    assert sticker is not None and sticker.text == "[sticker 👍]" and sticker.author is None


# ---------------------------------------------------------------------------------- sandbox


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, emulation.TelegramPlatform]]:
    platform = emulation.TelegramPlatform(player("viral-outage", "routine-day"), tokens={TOKEN: "tg-inst"})
    with sandbox_server(platform) as server:
        yield server, platform


def _connector(server: SandboxServer, waits: list[float] | None = None, token: str = TOKEN) -> TelegramConnector:
    return TelegramConnector(server.url("telegram"), token=token, rate=RateControl(), **fast_client(waits))


def _public_messages(platform: emulation.TelegramPlatform) -> int:
    return sum(1 for r in platform.player.released("telegram") if r.author is not None)


def test_sync_confirms_only_what_was_stored_and_edits_update_the_same_item(
    cache: Cache, sandbox: tuple[SandboxServer, emulation.TelegramPlatform], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, platform = sandbox
    from omniinbox.connectors import telegram

    monkeypatch.setattr(telegram, "PAGE_SIZE", 10)
    connector = _connector(server)
    first = connector.fetch("updates", None)
    assert connector.fetch("updates", None).next_cursor == first.next_cursor  # nothing confirmed by reading
    account = ensure_account(cache, "telegram:SukaLayanBot", Channel.TELEGRAM, "SukaLayan")
    report = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert report.ok, report.streams
    messages = _public_messages(platform)
    assert report.items_written == messages and report.streams[0].pages > 3
    kinds = dict(cache.conn.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())
    assert set(kinds) == {"dm", "comment"} and sum(kinds.values()) == messages  # the join message is no item
    group = cache.conn.execute("SELECT subject FROM conversations WHERE external_id LIKE '-100%'").fetchall()
    assert group == [("Forum Warga SukaLayan",)]
    cursor = get_cursor(cache, account.id, "updates")
    assert cursor is not None and int(cursor) == platform.bots[TOKEN].next_id  # the last update_id + 1
    assert {r.query["timeout"][0] for r in server.iter_requests("telegram")} == {"0"}
    assert connector.fetch("updates", None).items == []  # a higher offset forgot what came before

    edited_event = next(r.event for r in platform.player.released("telegram") if r.event.kind == "dm")
    platform.edit(edited_event.id, "Maaf, maksud saya akta kematian")
    again = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert again.ok and again.items_written == 1
    row = cache.conn.execute("SELECT text, edited_at IS NOT NULL FROM items WHERE text LIKE 'Maaf, maksud%'").fetchall()
    assert row == [("Maaf, maksud saya akta kematian", 1)]
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == messages


def test_a_reply_goes_once_in_its_chat_and_stays_single(
    cache: Cache, sandbox: tuple[SandboxServer, emulation.TelegramPlatform]
) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "telegram:SukaLayanBot", Channel.TELEGRAM, "SukaLayan")
    engine = SyncEngine(cache, lambda _a: _connector(server))
    assert engine.sync_account(account).ok
    item_id, chat, external = cache.conn.execute(
        "SELECT i.id, c.external_id, i.external_id FROM items i JOIN conversations c ON c.id = i.conversation_id"
        " WHERE i.kind = 'dm' ORDER BY i.id LIMIT 1"
    ).fetchone()
    outbox.enqueue(cache, account_id=account.id, body="Bisa, silakan kirim NIK Anda.", in_reply_to_item_id=item_id)
    OutboxSender(cache, lambda _a: _connector(server)).send_due()
    (entry,) = outbox.entries(cache)
    assert entry.state is OutboxState.SENT and entry.receipt_id.startswith(f"{chat}:")
    sends = [r for r in server.iter_requests("telegram") if r.path.endswith("/sendMessage")]
    assert len(sends) == 1
    sent = json.loads(sends[0].body)
    assert sent["chat_id"] == int(chat) and sent["reply_parameters"]["message_id"] == int(external.split(":")[1])
    echoed = [r for r in platform.player.released("telegram") if r.event.text == "Bisa, silakan kirim NIK Anda."]
    assert len(echoed) == 1 and echoed[0].author is None  # the platform took it, as the bot's message
    assert engine.sync_account(account).ok  # the bot's own messages are not updates: nothing doubles
    rows = cache.conn.execute(
        "SELECT external_id, direction, parent_external_id FROM items WHERE text = 'Bisa, silakan kirim NIK Anda.'"
    ).fetchall()
    assert rows == [(entry.receipt_id, "out", external)]


def test_flood_waits_server_errors_blocked_users_and_long_replies(
    sandbox: tuple[SandboxServer, emulation.TelegramPlatform],
) -> None:
    server, platform = sandbox
    waits: list[float] = []
    connector = _connector(server, waits)
    page = connector.fetch("updates", None)
    dm = next(i for i in page.items if i.kind is ItemKind.DM)
    reply = OutgoingReply(1, "k", "Baik, kami bantu.", Visibility.PRIVATE, dm.conversation_id, dm.external_id)

    flood = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
             "parameters": {"retry_after": 3}}  # fmt: skip
    server.inject("POST", r"/sendMessage$", status=429, body=flood)
    receipt = connector.send(reply)
    assert receipt.external_id.startswith(dm.conversation_id + ":")
    assert len(waits) == 1 and 2.9 < waits[0] <= 3.0  # parameters.retry_after, not a guess
    assert server.count("POST", r"/sendMessage$") == 2  # refused once, then taken: one message
    server.inject("POST", r"/sendMessage$", status=429, body={**flood, "parameters": {"retry_after": 3600}})
    with pytest.raises(RateLimited, match="3600 s") as slow:
        _connector(server).send(reply)
    assert slow.value.retry_after == 3600

    server.inject("GET", r"/getUpdates$", status=502)
    assert _connector(server).fetch("updates", page.next_cursor).problems == []  # a read is repeated
    server.inject("POST", r"/sendMessage$", status=500)
    with pytest.raises(PermanentError, match="may or may not"):  # a write is not
        _connector(server).send(reply)

    platform.block(int(dm.conversation_id))
    with pytest.raises(PermissionDenied, match="blocked by the user"):
        _connector(server).send(reply)
    too_long = OutgoingReply(1, "k", "😀" * 2049, Visibility.PRIVATE, dm.conversation_id, None)  # 4098 UTF-16 units
    before = server.count("POST", r"/sendMessage$")
    with pytest.raises(PermanentError, match="4,098 characters long; a Telegram message holds at most 4,096"):
        _connector(server).send(too_long)
    assert server.count("POST", r"/sendMessage$") == before


def test_the_token_never_shows(
    sandbox: tuple[SandboxServer, emulation.TelegramPlatform], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = sandbox
    caplog.set_level(logging.DEBUG)  # urllib3 logs each request line, path and all
    connector = _connector(server)
    connector.fetch("updates", None)
    assert f"bot{TOKEN}" not in caplog.text and "/bot***/getUpdates" in caplog.text
    assert TOKEN not in repr(connector) and TOKEN not in repr(vars(connector)) and TOKEN not in str(vars(connector))
    revoked = f"{BOT}:AAxRevokedRevokedRevoked77"
    with pytest.raises(AuthenticationError, match="401 Unauthorized") as caught:
        _connector(server, token=revoked).check()
    assert revoked not in str(caught.value) and "bot***" in str(caught.value)
    server.inject("GET", r"/getMe$", status=404, body={"ok": False, "error_code": 404, "description": "Not Found"})
    with pytest.raises(AuthenticationError, match="does not know this bot token"):
        _connector(server).check()
    server.inject("GET", r"/getUpdates$", drop=True, times=4)
    with pytest.raises(TransientError) as dropped:
        _connector(server).fetch("updates", None)
    assert TOKEN not in str(dropped.value) and TOKEN not in repr(dropped.value)
    assert TOKEN not in caplog.text and revoked not in caplog.text
    with pytest.raises(AuthenticationError, match="not a Telegram bot token") as shape:
        TelegramConnector(token="secret-but-not-a-token-123")
    assert "secret-but-not-a-token-123" not in str(shape.value)


def test_registry_builds_it_and_the_command_line_syncs_and_replies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = spec_for(Channel.TELEGRAM)
    assert [s.name for s in spec.settings] == ["since"] and spec.parse_saved is parse_saved
    running = start_sandbox(live=False, platforms=["telegram"])
    try:
        (info,) = running.accounts
        account = Account(1, info.key, Channel.TELEGRAM, info.name, base_url=info.url, settings=info.settings)
        built = build_connector(account, info.secret)
        assert isinstance(built, TelegramConnector) and built.check().identity.startswith("@SukaLayanBot")
        db = str(tmp_path / "c.sqlite")

        def run(*args: str, stdin: str = "") -> str:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
            assert cli.main([*args, "--cache", db]) == 0
            return capsys.readouterr().out

        run(*info.add_args(), stdin=info.secret + "\n")
        run("sync", "--once")
        with Cache.open(db) as cache:
            (first,) = cache.conn.execute("SELECT min(id) FROM items").fetchone()
        run("reply", str(first), "Terima kasih, laporan diterima")
        run("sync", "--once")
        run("sync", "--once")
        assert running.server.count("POST", r"/sendMessage$") == 1
        with Cache.open(db) as cache:
            sent = cache.conn.execute("SELECT count(*) FROM items WHERE text = 'Terima kasih, laporan diterima'")
            assert sent.fetchone()[0] == 1
    finally:
        running.stop()


def test_timeouts_flood_and_a_truncated_answer_through_the_sync_engine(
    cache: Cache, sandbox: tuple[SandboxServer, emulation.TelegramPlatform]
) -> None:
    server, platform = sandbox
    account = ensure_account(cache, "telegram:SukaLayanBot", Channel.TELEGRAM, "SukaLayan")
    waits: list[float] = []
    flood = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
             "parameters": {"retry_after": 2}}  # fmt: skip
    server.inject("GET", r"/getUpdates$", status=429, body=flood)
    server.inject("GET", r"/getUpdates$", status=0, delay=1.0)  # slower than the read timeout: asked again
    first = SyncEngine(cache, lambda _a: _connector(server, waits)).sync_account(account)
    assert first.ok and first.items_written == _public_messages(platform)
    assert waits and 1.9 < waits[0] <= 2.0
    cursor = get_cursor(cache, account.id, "updates")
    platform.edit(next(r.event.id for r in platform.player.released("telegram") if r.author), "diubah")
    server.inject("GET", r"/getUpdates$", status=200, body=b'{"ok": true, "result": [{"update_id')
    cut = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert "not JSON" in cut.streams[0].stopped and get_cursor(cache, account.id, "updates") == cursor
    resumed = SyncEngine(cache, lambda _a: _connector(server)).sync_account(account)
    assert resumed.ok and resumed.items_written == 1  # the edit, still unconfirmed, arrives now
