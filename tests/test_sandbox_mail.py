"""The sandbox's own mail servers over real loopback sockets: imaplib and smtplib speak to them
as to any server, and the real EmailAccountConnector syncs the scenario's mail (fully, then
incrementally as the scenario plays, again after a rebuilt folder), sends a reply that the player
records once and that comes back filed in Sent, and is refused a wrong password without saying it."""

from __future__ import annotations

import base64
import dataclasses
import imaplib
import io
import json
import smtplib
import time
import traceback
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

from omniinbox.cli import main
from omniinbox.connectors.base import AuthenticationError
from omniinbox.connectors.email_account import EmailAccountConnector, MailServer
from omniinbox.connectors.registry import build_connector
from omniinbox.core import Channel, Direction, Item, OutboxState, OutgoingReply, Visibility
from omniinbox.sandbox.hub import start_sandbox
from omniinbox.sandbox.mail import INBOX, SENT, MailServers
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.store import outbox
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

ADDRESS = "layanan@sukamaju.go.id"
PASSWORD = "sandbox-mail-pass-7c1e"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _player(*, live: bool = False, clock: Clock | None = None) -> ScenarioPlayer:
    scenarios = [scenario_named(s) for s in ("routine-day", "viral-outage", "good-news")]
    if clock is None:
        return ScenarioPlayer(scenarios, live=live)
    return ScenarioPlayer(scenarios, live=live, speed=60.0, clock=clock)


@pytest.fixture
def servers() -> Iterator[MailServers]:
    running = MailServers(_player(), address=ADDRESS, password=PASSWORD).start()
    try:
        yield running
    finally:
        running.stop()


def _imap(servers: MailServers, *, login: bool = True) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", servers.imap.port, timeout=10)
    if login:
        conn.login(ADDRESS, PASSWORD)
    return conn


def _connector(servers: MailServers, *, password: str = PASSWORD, page_size: int = 200) -> EmailAccountConnector:
    return EmailAccountConnector(
        address=ADDRESS,
        username=ADDRESS,
        password=password,
        imap=MailServer("127.0.0.1", servers.imap.port, "none"),
        smtp=MailServer("127.0.0.1", servers.smtp.port, "none"),
        folders=(INBOX, SENT),
        sent_folder=SENT,
        page_size=page_size,
        timeout=10,
    )


def _emails(player: ScenarioPlayer) -> list[str]:
    return [r.event.id for r in player.released("email") if r.event.author]


def _all_text(exc: BaseException) -> str:
    return " ".join([str(exc), repr(exc), *map(str, exc.args), *traceback.format_exception(exc)])


# ------------------------------------------------------------------------------ IMAP with imaplib


def test_imap_answers_a_mail_client(servers: MailServers) -> None:
    conn = _imap(servers, login=False)
    try:
        assert "IMAP4REV1" in conn.capabilities
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            conn.login(ADDRESS, "not-the-password")
        conn.send(b"x1 SELECT INBOX\r\n")  # imaplib itself would not send it before the login
        assert conn.readline() == b"x1 BAD SELECT: log in first\r\n"
        assert conn.login(ADDRESS, PASSWORD)[0] == "OK"
        status, boxes = conn.list()
        assert status == "OK" and boxes == [b'(\\HasNoChildren) "/" "INBOX"', b'(\\HasNoChildren \\Sent) "/" "Sent"']
        status, count = conn.select("INBOX", readonly=True)
        released = _emails(servers.store.player)
        assert status == "OK" and count == [str(len(released)).encode()]
        validity = conn.response("UIDVALIDITY")[1][0]
        assert validity is not None and validity.isdigit()
        assert conn.response("UIDNEXT")[1] == [str(len(released) + 1).encode()]
        assert conn.uid("SEARCH", "ALL")[1] == [" ".join(str(n) for n in range(1, len(released) + 1)).encode()]
        assert conn.uid("SEARCH", f"UID {len(released) - 1}:*")[1] == [f"{len(released) - 1} {len(released)}".encode()]
        # "n:*" always holds the highest UID, even when n is above it (RFC 3501).
        assert conn.uid("SEARCH", f"UID {len(released) + 5}:*")[1] == [str(len(released)).encode()]
        status, data = conn.uid("FETCH", "1,3", "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[])")
        assert status == "OK"
        first, third = (part for part in data if isinstance(part, tuple))
        assert first[0].startswith(b"1 (UID 1 FLAGS () RFC822.SIZE %d INTERNALDATE " % len(first[1]))
        assert third[0].startswith(b"3 (UID 3 ")
        message = message_from_bytes(first[1])
        assert message["Message-ID"] == f"<{released[0]}@mail.example.org>"
        assert message["To"] == f"Kotak masuk layanan <{ADDRESS}>"
        status, data = conn.status("Sent", "(MESSAGES UIDNEXT UNSEEN)")
        assert status == "OK" and data == [b'"Sent" (MESSAGES 0 UIDNEXT 1 UNSEEN 0)']
        with pytest.raises(imaplib.IMAP4.error, match=r"BAD.*unknown command"):
            conn.xatom("FROBNICATE")
        with pytest.raises(imaplib.IMAP4.error, match="BAD"):
            conn.uid("FETCH", "1", "(BODYSTRUCTURE)")
        status, said = conn.uid("STORE", "1", "+FLAGS", r"(\Flagged)")
        assert status == "NO" and b"READ-ONLY" in said[0]
        assert conn.select("Nowhere")[0] == "NO"
    finally:
        conn.logout()


def test_reading_with_body_marks_read_and_peek_does_not(servers: MailServers) -> None:
    conn = _imap(servers)
    try:
        conn.select("INBOX")
        conn.uid("FETCH", "1", "(BODY.PEEK[])")
        assert conn.uid("SEARCH", "SEEN")[1] == [b""]
        status, data = conn.uid("FETCH", "2", "(BODY[])")
        assert status == "OK" and b"FLAGS (\\Seen)" in b" ".join(p[0] if isinstance(p, tuple) else p for p in data)
        assert conn.uid("SEARCH", "SEEN")[1] == [b"2"]
        conn.uid("STORE", "2", "-FLAGS.SILENT", r"(\Seen)")
        conn.store("3", "+FLAGS", r"(\Flagged)")
        assert conn.search(None, "UNSEEN", "FLAGGED")[1] == [b"3"]
        assert conn.search(None, "NOT", "FLAGGED", "OR", "1", "3")[1] == [b"1"]
    finally:
        conn.logout()


def test_messages_are_threaded_and_their_encodings_vary(servers: MailServers) -> None:
    player = servers.store.player
    thread = next(r for r in player.released("email") if r.event.author).event
    later = player.add_reply(thread.account, thread.id, "Kami sedang memeriksanya.", kind="email")
    player.add_events([dataclasses.replace(thread, id="susulan-1", text="Ada kabar? Sudah dua hari 😟", reply_to="")])
    conn = _imap(servers)
    try:
        count = int(conn.select("INBOX", readonly=True)[1][0] or 0)
        status, data = conn.fetch(f"1:{count}", "(BODY.PEEK[])")
        assert status == "OK"
        messages = [message_from_bytes(part[1]) for part in data if isinstance(part, tuple)]
        kinds = {_encoding(m) for m in messages}
        assert {"multipart/alternative", "quoted-printable", "base64", "8bit"} <= kinds, kinds
        last = messages[-1]
        assert last["Subject"] == f"Re: {thread.subject}"
        assert last["In-Reply-To"] == f"<{later.event.id}@sukamaju.go.id>"
        assert last["References"] == f"<{thread.id}@mail.example.org> <{later.event.id}@sukamaju.go.id>"
        (text,) = (p for p in last.walk() if p.get_content_type() == "text/plain")
        body = text.get_payload(decode=True)
        assert isinstance(body, bytes) and "😟" in body.decode("utf-8")
        conn.select("Sent", readonly=True)
        (sent,) = (p[1] for p in conn.fetch("1", "(RFC822)")[1] if isinstance(p, tuple))
        mine = message_from_bytes(sent)
        assert (
            mine["From"] == f"Kotak masuk layanan <{ADDRESS}>"
            and mine["In-Reply-To"] == f"<{thread.id}@mail.example.org>"
        )
    finally:
        conn.logout()


def _encoding(message: Message) -> str:
    if message.is_multipart():
        return message.get_content_type()
    return str(message["Content-Transfer-Encoding"])


def test_append_takes_corpus_mail_byte_for_byte(servers: MailServers, corpus: Path) -> None:
    samples = sorted((corpus / "email" / "hunnysoft_via_mail-mime-parser").glob("m*.txt"))[:6]
    assert samples
    conn = _imap(servers)
    try:
        conn.select("INBOX")
        before = len(servers.store.mailboxes[INBOX].messages)
        uids = []
        for path in samples:
            status, said = conn.append("INBOX", r"(\Seen)", imaplib.Time2Internaldate(time.time()), path.read_bytes())
            assert status == "OK", said
            uids.append(int(said[0].split()[2].rstrip(b"]")))  # [APPENDUID validity uid]
        assert uids == list(range(before + 1, before + len(samples) + 1))
        for path, uid in zip(samples, uids, strict=True):
            (part,) = (p for p in conn.uid("FETCH", str(uid), "(BODY.PEEK[])")[1] if isinstance(p, tuple))
            sent = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # imaplib sends CRLF
            assert part[1] == sent, path.name
        # The same Message-ID filed twice: stored once (as hosted mail services do).
        again = conn.append("INBOX", None, None, samples[0].read_bytes())
        assert again[0] == "OK" and len(servers.store.mailboxes[INBOX].messages) == before + len(samples)
    finally:
        conn.logout()


# ------------------------------------------------------------------------------ the real connector


def test_the_connector_reads_the_whole_mailbox_then_only_new_mail_as_the_scenario_plays() -> None:
    clock = Clock()
    player = _player(live=True, clock=clock)
    clock.now += 130 * 60 / player.speed  # 130 scenario minutes in
    with _running(player) as servers:
        connector = _connector(servers, page_size=4)
        try:
            first = _read_all(connector, INBOX, None)
            released = _emails(player)
            assert 0 < len(released) < len(_player().released("email"))
            assert [i.external_id for i in first.items] == [f"{e}@mail.example.org" for e in released]
            texts = {r.event.id: r.event.text for r in player.released("email")}
            for item in first.items:
                assert item.text == texts[item.external_id.split("@")[0]]  # qp, base64, 8bit, html all decoded
                assert item.direction is Direction.INBOUND and item.author is not None
            assert any(i.author and i.author.email == "agus.harahap@mail.example.org" for i in first.items) or all(
                "langganan" not in e for e in released
            )
            idle = connector.fetch(INBOX, first.cursor)
            assert idle.items == [] and idle.next_cursor == first.cursor

            clock.now += 200 * 60 / player.speed  # the rest of the scenario plays
            later = _read_all(connector, INBOX, first.cursor)
            now_released = _emails(player)
            assert [i.external_id for i in later.items] == [
                f"{e}@mail.example.org" for e in now_released[len(released) :]
            ]
            assert later.items and later.cursor.split(":")[1] == str(len(now_released))
        finally:
            connector.close()


class _Read:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.cursor = ""


def _read_all(connector: EmailAccountConnector, folder: str, cursor: str | None) -> _Read:
    out = _Read()
    while True:
        page = connector.fetch(folder, cursor)
        assert not page.problems, page.problems
        out.items.extend(page.items)
        cursor = page.next_cursor
        if not page.has_more:
            out.cursor = cursor or ""
            return out


class _running:
    def __init__(self, player: ScenarioPlayer) -> None:
        self.servers = MailServers(player, address=ADDRESS, password=PASSWORD)

    def __enter__(self) -> MailServers:
        return self.servers.start()

    def __exit__(self, *exc: object) -> None:
        self.servers.stop()


def test_a_rebuilt_folder_is_read_again_from_the_start(servers: MailServers) -> None:
    connector = _connector(servers, page_size=50)
    try:
        first = _read_all(connector, INBOX, None)
        old_validity = first.cursor.split(":")[0]
        watching = _imap(servers)
        watching.select("INBOX", readonly=True)
        new_validity = servers.store.rebuild(INBOX)
        assert str(new_validity) != old_validity
        # A session that had the folder selected is told the way servers say it: BYE.
        with pytest.raises(imaplib.IMAP4.abort, match="rebuilt"):
            watching.uid("FETCH", "1", "(UID)")
        watching.shutdown()
        again = _read_all(connector, INBOX, first.cursor)
        assert [i.external_id for i in again.items] == [i.external_id for i in first.items]
        assert again.cursor == f"{new_validity}:{len(first.items)}"
    finally:
        connector.close()


def test_a_reply_sent_over_smtp_is_recorded_once_filed_in_sent_and_threaded(servers: MailServers) -> None:
    player = servers.store.player
    connector = _connector(servers)
    try:
        inbox = _read_all(connector, INBOX, None)
        original = inbox.items[1]
        assert original.author is not None
        reply = OutgoingReply(
            7,
            "outbox-7-a1b2",
            "Terima kasih, laporan Bapak/Ibu sudah kami teruskan ke petugas.",
            Visibility.PUBLIC,
            original.conversation_id,
            original.external_id,
            original.subject,
            original.author.email or "",
        )
        receipt = connector.send(reply)
        assert receipt.external_id == "outbox-7-a1b2@sukamaju.go.id"
        again = connector.send(reply)  # retried after an unclear failure: found in Sent, not sent again
        assert again == receipt
        replies = [r for r in player.released("email") if not r.event.author]
        assert len(replies) == 1
        (echo,) = replies
        assert echo.event.kind == "email" and echo.event.visibility == "private"
        assert echo.event.reply_to == original.external_id.split("@")[0] and echo.event.text == reply.body

        sent = _read_all(connector, SENT, None)
        (filed,) = sent.items
        assert filed.external_id == receipt.external_id and filed.direction is Direction.OUTBOUND
        assert filed.parent_id == original.external_id and filed.conversation_id == original.conversation_id
        assert filed.subject == f"Re: {original.subject}" and filed.text == reply.body
        conn = _imap(servers)
        try:
            conn.select("INBOX", readonly=True)
            (uid,) = conn.uid("SEARCH", "ANSWERED")[1][0].split()
            assert uid == b"2"
        finally:
            conn.logout()
    finally:
        connector.close()


def test_smtp_refuses_what_it_must(servers: MailServers) -> None:
    original = f"<{_emails(servers.store.player)[0]}@mail.example.org>"
    smtp = smtplib.SMTP("127.0.0.1", servers.smtp.port, timeout=10)
    try:
        smtp.ehlo("klien.example")
        assert smtp.has_extn("auth") and "PLAIN" in smtp.esmtp_features["auth"]
        assert smtp.mail(ADDRESS)[0] == 530  # no submission without the login
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login(ADDRESS, "wrong")
        code, _ = smtp.docmd("AUTH", "LOGIN " + base64.b64encode(ADDRESS.encode()).decode())
        assert code == 334
        assert smtp.docmd(base64.b64encode(PASSWORD.encode()).decode())[0] == 235
        stranger = (
            f"From: {ADDRESS}\r\nTo: a@mail.example.org\r\nSubject: Halo\r\n"
            "Message-ID: <x1@sukamaju.go.id>\r\n\r\nHalo\r\n"
        )
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail(ADDRESS, ["a@mail.example.org"], stranger)
        assert refused.value.smtp_code == 554 and b"replies only" in refused.value.smtp_error
        dotted = (
            f"From: {ADDRESS}\r\nTo: a@mail.example.org\r\nSubject: Re: Halo\r\nMessage-ID: <x2@sukamaju.go.id>\r\n"
            f"In-Reply-To: {original}\r\n\r\nBaris pertama\r\n.baris dengan titik\r\n..\r\n"
        )
        assert smtp.sendmail(ADDRESS, ["a@mail.example.org"], dotted) == {}
        assert smtp.rset()[0] == 250 and smtp.noop()[0] == 250
        assert smtp.docmd("DATA")[0] == 503  # no recipient yet
        assert smtp.docmd("TURN")[0] == 500
    finally:
        smtp.quit()
    filed = servers.store.mailboxes[SENT].messages[-1].raw
    assert filed.endswith(b"\r\n\r\nBaris pertama\r\n.baris dengan titik\r\n..\r\n")  # stuffed, unstuffed
    (reply,) = [r for r in servers.store.player.released("email") if not r.event.author]
    assert reply.event.text == "Baris pertama\n.baris dengan titik\n.."


def test_a_wrong_password_is_an_authentication_error_that_does_not_say_it(servers: MailServers) -> None:
    wrong = "wrong-mail-pass-93af"
    connector = _connector(servers, password=wrong)
    with pytest.raises(AuthenticationError) as imap_refused:
        connector.fetch(INBOX, None)
    assert wrong not in _all_text(imap_refused.value) and PASSWORD not in _all_text(imap_refused.value)
    reply = OutgoingReply(1, "k1", "x", Visibility.PUBLIC, None, "nobody@mail.example.org", "s", "a@mail.example.org")
    sending = EmailAccountConnector(
        address=ADDRESS,
        username=ADDRESS,
        password=wrong,
        imap=MailServer("127.0.0.1", servers.imap.port, "none"),
        smtp=MailServer("127.0.0.1", servers.smtp.port, "none"),
        timeout=10,
    )
    with pytest.raises(AuthenticationError) as smtp_refused:
        sending.send(reply)
    assert wrong not in _all_text(smtp_refused.value)
    assert not [r for r in servers.store.player.released("email") if not r.event.author]


# ------------------------------------------------------------------------------ the whole sandbox


def test_the_sandbox_mailbox_syncs_into_a_cache_and_a_queued_reply_comes_back_once(cache: Cache) -> None:
    sandbox = start_sandbox(platforms=["mail"], live=False)
    try:
        (info,) = sandbox.accounts
        assert info.channel == "email" and info.key == f"email:{ADDRESS}" and info.url == ""
        assert "--setting" in info.add_args() and info.secret not in info.add_args()
        account = add_account(
            cache, info.key, Channel.EMAIL, info.name, base_url="", secret_ref=info.key, settings=info.settings
        )
        engine = SyncEngine(cache, lambda a: build_connector(a, info.secret))
        try:
            report = engine.sync_account(account)
            expected = len(_emails(sandbox.player))
            assert report.ok and report.items_written == expected
            assert engine.sync_account(account).items_written == 0

            item_id, conversation_id = cache.conn.execute(
                "SELECT id, conversation_id FROM items ORDER BY id LIMIT 1"
            ).fetchone()
            entry = outbox.enqueue(
                cache,
                account_id=account.id,
                body="Mohon maaf atas gangguannya, jadwal pengganti kami kirim hari ini.",
                conversation_id=conversation_id,
                in_reply_to_item_id=item_id,
            )
            sender = OutboxSender(cache, lambda a: build_connector(a, info.secret))
            assert sender.send_due().sent == [entry.id]
            assert outbox.get(cache, entry.id).state is OutboxState.SENT
            engine.sync_account(account)
            rows = cache.conn.execute(
                "SELECT count(*), min(direction) FROM items WHERE text LIKE 'Mohon maaf atas gangguannya%'"
            ).fetchone()
            assert rows[0] == 1
            assert len([r for r in sandbox.player.released("email") if not r.event.author]) == 1
        finally:
            engine.close()
    finally:
        sandbox.stop()


def test_the_command_line_adds_the_mailbox_syncs_it_and_a_reply_arrives_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def cli(*args: str, stdin: str = "") -> str:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        assert code == 0, err
        assert info.secret not in out + err
        return out

    sandbox = start_sandbox(platforms=["mail"], live=False)
    try:
        (info,) = sandbox.accounts
        db = str(tmp_path / "c.sqlite")
        cli(*info.add_args(), "--cache", db, stdin=info.secret + "\n")
        (report,) = [json.loads(line) for line in cli("sync", "--once", "--json", "--cache", db).splitlines()]
        assert report["channel"] == "email" and not report["stopped"]
        assert report["written"] == len(_emails(sandbox.player))
        with Cache.open(db) as cache:
            (first,) = cache.conn.execute("SELECT min(id) FROM items").fetchone()
        cli("reply", str(first), "Balasan untuk email", "--cache", db)
        cli("sync", "--once", "--cache", db)  # sends the reply
        cli("sync", "--once", "--cache", db)  # reads it back from Sent
        (sent,) = [json.loads(line) for line in cli("outbox", "--json", "--cache", db).splitlines()]
        assert sent["state"] == "sent"
        with Cache.open(db) as cache:
            echoed = cache.conn.execute("SELECT count(*) FROM items WHERE text = 'Balasan untuk email'").fetchone()
        assert echoed == (1,)
        replies = [r for r in sandbox.player.released("email") if not r.event.author]
        assert [r.event.text for r in replies] == ["Balasan untuk email"]
    finally:
        sandbox.stop()


def test_literals_of_both_kinds_and_new_mail_announced_on_noop() -> None:
    clock = Clock()
    player = _player(live=True, clock=clock)
    clock.now += 110 * 60 / player.speed
    with _running(player) as servers:
        conn = _imap(servers)
        try:
            count = int(conn.select("INBOX")[1][0] or 0)
            assert count == len(_emails(player)) > 0
            message = b"Subject: literal+\r\nMessage-ID: <plus@mail.example.org>\r\n\r\nHalo\r\n"
            conn.send(b"p1 APPEND Sent {%d+}\r\n" % len(message) + message + b"\r\n")  # no "+" awaited
            assert conn.readline().startswith(b"p1 OK [APPENDUID ")
            conn.send(b"p2 LOGIN {3}\r\n")
            assert conn.readline() == b"+ Ready for literal data\r\n"
            conn.send(b"abc x\r\n")
            assert conn.readline() == b"p2 BAD already logged in\r\n"
            conn.send(b"p3 APPEND Sent {999999999}\r\n")  # refused before a byte of it is sent
            assert conn.readline() == b"p3 NO [TOOBIG] literal of 999999999 bytes is too large\r\n"
            conn.send(b"p4 UID FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.9>)\r\n")
            assert conn.readline() == b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)]<0> {9}\r\n"
            assert conn.readline() == b"Subject: )\r\n" and conn.readline() == b"p4 OK UID FETCH completed\r\n"

            clock.now += 120 * 60 / player.speed
            assert conn.noop()[0] == "OK"
            announced = conn.response("EXISTS")[1]
            assert announced[-1] == str(len(_emails(player))).encode() and len(_emails(player)) > count
        finally:
            conn.logout()
