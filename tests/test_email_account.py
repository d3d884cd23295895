"""A mailbox over real IMAP (a private Dovecot, plain and TLS with a test CA) and real SMTP
(aiosmtpd with STARTTLS or implicit TLS and the same CA): incremental UID sync, UIDVALIDITY
changes, broken messages, messages left unread, threaded replies sent exactly once."""

from __future__ import annotations

import contextlib
import email.utils
import imaplib
import logging
import ssl
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme
from helpers.mailservers import Dovecot, Recorder, dovecot, dovecot_missing, literal, scripted_imap, smtp_server

from omniinbox.connectors.base import AuthenticationError, Connector, ConnectorBug, PermanentError, TransientError
from omniinbox.connectors.email_account import (
    EmailAccountConnector,
    MailServer,
    imap_folder_name,
    reply_message_id,
    reply_subject,
)
from omniinbox.connectors.mail import parse_message
from omniinbox.core import Account, Channel, OutboxState, OutgoingReply, Page, Visibility
from omniinbox.store import outbox
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import get_cursor, ingest_page
from omniinbox.sync.engine import AccountReport, SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

ADDRESS = "layanan@sukamaju.go.id"
USER = "layanan"
PASSWORD = "imap-pass-3b7f1c"
NOWHERE = MailServer("127.0.0.1", 1, "none")  # nothing listens on port 1


@dataclass(frozen=True, slots=True)
class PrivateCA:
    ca_file: str
    server_context: ssl.SSLContext


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    """A private CA and a certificate for 127.0.0.1 / localhost that it signed."""
    folder = tmp_path_factory.mktemp("ca")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.private_key_pem.write_to_path(str(folder / "server.key"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "server.pem"))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(folder / "server.pem"), append=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return PrivateCA(str(folder / "ca.pem"), context)


@pytest.fixture(scope="module")
def imap_server(test_ca: PrivateCA) -> Iterator[Dovecot]:
    missing = dovecot_missing()
    if missing:
        pytest.skip(missing)
    folder = Path(test_ca.ca_file).parent
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(
                dovecot(USER, PASSWORD, cert_file=folder / "server.pem", key_file=folder / "server.key")
            )
        except RuntimeError as exc:
            pytest.skip(f"Dovecot cannot start here: {exc}")
        yield server


@pytest.fixture
def smtp_starttls(test_ca: PrivateCA) -> Iterator[tuple[Recorder, MailServer]]:
    with smtp_server(USER, PASSWORD, context=test_ca.server_context, refuse="nobody@mail.example.org") as (rec, port):
        yield rec, MailServer("127.0.0.1", port, "starttls")


# ------------------------------------------------------------------------------ helpers


def _client(server: Dovecot) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    conn.login(server.user, server.password)
    return conn


def _append(server: Dovecot, *messages: bytes, folder: str = "INBOX") -> None:
    conn = _client(server)
    try:
        for raw in messages:
            status, data = conn.append(imap_folder_name(folder), "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK", data
    finally:
        conn.logout()


def _fresh_folder(server: Dovecot, name: str) -> str:
    """``name`` deleted (if it was there) and created again: empty, with a new UIDVALIDITY."""
    conn = _client(server)
    try:
        conn.delete(imap_folder_name(name))
        assert conn.create(imap_folder_name(name))[0] == "OK"
    finally:
        conn.logout()
    return name


def _message(n: int, *, reply_to: str = "", subject: str = "", sender: str = "", message_id: bool = True) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender or f"Warga {n} <warga{n}@mail.example.org>"
    msg["To"] = ADDRESS
    msg["Subject"] = subject or f"SukaLayan error {n}"
    if message_id:
        msg["Message-ID"] = f"<m{n}@mail.example.org>"
    msg["Date"] = email.utils.formatdate(1763880000 + n * 60, usegmt=True)
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}>"
        msg["References"] = f"<{reply_to}>"
    msg.set_content(f"Aplikasi antrean tidak bisa dibuka, percobaan ke-{n}.")
    return msg.as_bytes()


def _connector(
    imap: MailServer | Dovecot,
    folder: str = "INBOX",
    *,
    smtp: MailServer = NOWHERE,
    password: str = PASSWORD,
    ca_file: str | None = None,
    page_size: int = 3,
    sent_folder: str | None = None,
) -> EmailAccountConnector:
    server = imap if isinstance(imap, MailServer) else MailServer("127.0.0.1", imap.port, "none")
    return EmailAccountConnector(
        address=ADDRESS,
        username=USER,
        password=password,
        imap=server,
        smtp=smtp,
        folders=(folder,),
        sent_folder=sent_folder,
        ca_file=ca_file,
        page_size=page_size,
        timeout=10,
    )


def _sync(cache: Cache, account: Account, make: Callable[[], Connector]) -> AccountReport:
    engine = SyncEngine(cache, lambda _a: make())
    try:
        return engine.sync_account(account)
    finally:
        engine.close()


def _account(cache: Cache) -> Account:
    return ensure_account(cache, "email:layanan", Channel.EMAIL, "Layanan")


def _unseen(server: Dovecot, folder: str) -> int:
    conn = _client(server)
    try:
        conn.select(imap_folder_name(folder), readonly=True)
        return len(conn.search(None, "UNSEEN")[1][0].split())
    finally:
        conn.logout()


def _all_text(exc: BaseException) -> str:
    chained = [str(exc.__context__), str(exc.__cause__)]
    return " ".join([str(exc), repr(exc), *map(str, exc.args), *chained, *traceback.format_exception(exc)])


# ------------------------------------------------------------------------------ reading


def test_incremental_sync_reads_only_new_mail_and_marks_nothing_read(cache: Cache, imap_server: Dovecot) -> None:
    folder = _fresh_folder(imap_server, "Sync1")
    _append(imap_server, *(_message(n) for n in range(1, 6)), folder=folder)
    account = _account(cache)
    report = _sync(cache, account, lambda: _connector(imap_server, folder))
    assert report.ok and report.items_written == 5 and report.streams[0].pages == 2  # 3 + 2
    validity, _, last = (get_cursor(cache, account.id, folder) or "").partition(":")
    assert validity.isdigit() and last == "5"

    _append(imap_server, _message(6, reply_to="m1@mail.example.org"), folder=folder)
    again = _sync(cache, account, lambda: _connector(imap_server, folder))
    assert again.items_read == 1 and again.items_written == 1
    assert get_cursor(cache, account.id, folder) == f"{validity}:6"

    # Nothing new: "UID 7:*" still answers UID 6, which must not be read again.
    idle = _sync(cache, account, lambda: _connector(imap_server, folder))
    assert idle.ok and idle.items_read == 0
    assert get_cursor(cache, account.id, folder) == f"{validity}:6"

    thread = cache.conn.execute(
        "SELECT count(*) FROM items i JOIN conversations c ON c.id = i.conversation_id WHERE c.external_id = ?",
        ("m1@mail.example.org",),
    ).fetchone()
    assert thread == (2,)
    assert _unseen(imap_server, folder) == 6  # BODY.PEEK: still unread for the people's mail client


def test_uid_gaps_and_pages(cache: Cache, imap_server: Dovecot) -> None:
    folder = _fresh_folder(imap_server, "Gaps")
    _append(imap_server, *(_message(n) for n in range(41, 48)), folder=folder)  # UIDs 1..7
    conn = _client(imap_server)
    try:
        conn.select(folder)
        conn.uid("STORE", "2,4:5", "+FLAGS", r"(\Deleted)")
        conn.expunge()
    finally:
        conn.logout()
    connector = _connector(imap_server, folder, page_size=2)
    try:
        first = connector.fetch(folder, None)
        assert [i.external_id for i in first.items] == ["m41@mail.example.org", "m43@mail.example.org"]
        assert first.has_more and first.next_cursor is not None and first.next_cursor.endswith(":3")
        second = connector.fetch(folder, first.next_cursor)
        assert [i.external_id for i in second.items] == ["m46@mail.example.org", "m47@mail.example.org"]
        assert not second.has_more and second.next_cursor is not None and second.next_cursor.endswith(":7")
    finally:
        connector.close()


def test_a_rebuilt_folder_is_read_again_without_duplicates(cache: Cache, imap_server: Dovecot) -> None:
    folder = _fresh_folder(imap_server, "Rebuilt")
    no_id = _message(10, message_id=False)  # known by a digest of its bytes instead
    _append(imap_server, no_id, _message(11), _message(12), folder=folder)
    account = _account(cache)
    assert _sync(cache, account, lambda: _connector(imap_server, folder)).items_written == 3
    before = get_cursor(cache, account.id, folder)

    _fresh_folder(imap_server, folder)  # deleted and created again: a new UIDVALIDITY, UIDs from 1
    _append(imap_server, no_id, _message(11), _message(12), _message(13), folder=folder)
    report = _sync(cache, account, lambda: _connector(imap_server, folder))
    assert report.items_read == 4 and report.items_written == 1
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone() == (4,)
    after = get_cursor(cache, account.id, folder)
    assert before is not None and after is not None
    assert after.split(":")[0] != before.split(":")[0] and after.endswith(":4")


def test_corpus_mail_lands_and_a_broken_message_becomes_a_problem(
    cache: Cache, imap_server: Dovecot, corpus: Path
) -> None:
    folder = _fresh_folder(imap_server, "Corpus")
    samples = sorted((corpus / "email" / "hunnysoft_via_mail-mime-parser").glob("m*.txt"))
    assert len(samples) > 10
    broken = b"\x00\x01 not a message at all"
    raws = [p.read_bytes() for p in samples]
    _append(imap_server, *raws[:5], broken, *raws[5:], folder=folder)  # a fresh folder: the broken one is UID 6
    account = _account(cache)
    report = _sync(cache, account, lambda: _connector(imap_server, folder, page_size=4))
    assert report.ok and report.items_read == len(samples) and report.streams[0].problems == 1
    ids = {parse_message(raw).external_id for raw in raws if b"message-id:" in raw.lower()}
    stored = {r[0] for r in cache.conn.execute("SELECT external_id FROM items")}
    assert ids <= stored  # every message with a Message-ID is known by it, whatever its MIME
    ((reason, external_id),) = cache.conn.execute("SELECT reason, external_id FROM sync_problems").fetchall()
    assert reason.startswith("Corpus UID 6: not a mail message") and external_id == "Corpus/6"


def test_a_missing_folder_stops_its_stream_with_a_reason(cache: Cache, imap_server: Dovecot) -> None:
    connector = _connector(imap_server, "Tidak Ada")
    try:
        with pytest.raises(PermanentError, match="cannot open the folder 'Tidak Ada'"):
            connector.fetch("Tidak Ada", None)
    finally:
        connector.close()
    report = _sync(cache, _account(cache), lambda: _connector(imap_server, "Tidak Ada"))
    assert not report.ok and "Tidak Ada" in report.streams[0].stopped


def test_a_folder_with_a_non_ascii_name(cache: Cache, imap_server: Dovecot) -> None:
    assert imap_folder_name("台北") == '"&U,BTFw-"'  # RFC 3501's example
    assert imap_folder_name('A&B "x"') == '"A&-B \\"x\\""'
    folder = _fresh_folder(imap_server, "Pengaduan – Wilayah Ü")
    _append(imap_server, _message(51), folder=folder)
    conn = _client(imap_server)
    try:
        listed = b" ".join(x for x in conn.list()[1] if isinstance(x, bytes))
    finally:
        conn.logout()
    assert b"Pengaduan &IBM- Wilayah &ANw-" in listed  # the server stored the name it was meant to
    assert _sync(cache, _account(cache), lambda: _connector(imap_server, folder)).items_written == 1


def test_a_wrong_password_is_refused_without_revealing_it(
    imap_server: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-password-999"
    connector = _connector(imap_server, password=wrong)
    with pytest.raises(AuthenticationError) as caught:
        connector.fetch("INBOX", None)
    assert USER in str(caught.value)
    with pytest.raises(AuthenticationError) as checked:
        connector.check()
    for exc in (caught.value, checked.value):
        assert wrong not in _all_text(exc)
    assert wrong not in caplog.text


def test_imap_over_starttls_and_tls_verifies_the_certificate(
    cache: Cache, imap_server: Dovecot, test_ca: PrivateCA
) -> None:
    folder = _fresh_folder(imap_server, "Secure")
    _append(imap_server, _message(61), folder=folder)
    for server in (
        MailServer("127.0.0.1", imap_server.port, "starttls"),
        MailServer("127.0.0.1", imap_server.tls_port, "tls"),
    ):
        connector = _connector(server, folder, ca_file=test_ca.ca_file)
        try:
            page = connector.fetch(folder, None)
            assert [i.external_id for i in page.items] == ["m61@mail.example.org"]
            assert isinstance(connector._imap.sock, ssl.SSLSocket)
        finally:
            connector.close()
        untrusted = _connector(server, folder)  # the system's CAs do not know the test CA
        with pytest.raises(PermanentError, match="TLS certificate check failed"):
            untrusted.fetch(folder, None)


def test_refusals_before_any_connection(tmp_path: Path) -> None:
    for imap, smtp, what in (
        (MailServer("mail.example.org", 143, "none"), MailServer("mail.example.org", 587, "starttls"), "IMAP"),
        (MailServer("mail.example.org", 993, "tls"), MailServer("mail.example.org", 25, "none"), "SMTP"),
    ):
        with pytest.raises(PermanentError, match=f"refusing an unencrypted {what} connection to mail.example.org"):
            _connector(imap, smtp=smtp)
    with pytest.raises(PermanentError, match="security must be one of"):
        _connector(MailServer("127.0.0.1", 993, "ssl3"))
    with pytest.raises(PermanentError, match="cannot use the CA file"):
        _connector(NOWHERE, ca_file=str(tmp_path / "missing.pem"))


def test_an_unreachable_server_is_transient() -> None:
    with pytest.raises(TransientError, match="connection refused"):
        _connector(NOWHERE).fetch("INBOX", None)


# ------------------------------------------------------------------------------ replying


def test_reply_subjects_and_message_ids() -> None:
    assert reply_subject("SukaLayan error") == "Re: SukaLayan error"
    assert reply_subject("RE: SukaLayan error") == "RE: SukaLayan error"
    assert reply_subject("  re:SukaLayan error") == "re:SukaLayan error"
    assert reply_subject("Balas: keluhan") == "Balas: keluhan"
    assert reply_subject("Reklamasi pantai") == "Re: Reklamasi pantai"
    assert reply_subject("") == "Re:"
    key = "5f0c2a9e41d34b7c9a1b2c3d4e5f6a7b"
    assert reply_message_id(key, ADDRESS) == f"{key}@sukamaju.go.id"
    odd = reply_message_id("outbox:7 <again>", ADDRESS)
    assert odd == reply_message_id("outbox:7 <again>", ADDRESS) and odd.endswith("@sukamaju.go.id")
    assert "<" not in odd and " " not in odd and odd != reply_message_id("outbox:8 <again>", ADDRESS)


def test_replies_go_out_once_threaded_over_starttls(
    cache: Cache, imap_server: Dovecot, smtp_starttls: tuple[Recorder, MailServer], test_ca: PrivateCA
) -> None:
    recorder, smtp = smtp_starttls
    folder = _fresh_folder(imap_server, "Replies")
    _append(
        imap_server,
        _message(21),
        _message(22, reply_to="m21@mail.example.org", subject="Re: SukaLayan error 21"),
        folder=folder,
    )
    account = _account(cache)

    def connector(_account: object) -> EmailAccountConnector:
        return _connector(imap_server, folder, smtp=smtp, ca_file=test_ca.ca_file)

    _sync(cache, account, lambda: connector(None))
    item_id, conversation_id = cache.conn.execute(
        "SELECT id, conversation_id FROM items WHERE external_id = 'm22@mail.example.org'"
    ).fetchone()
    entry = outbox.enqueue(
        cache,
        account_id=account.id,
        body="Terima kasih, jadwal pengganti sudah kami kirim.",
        conversation_id=conversation_id,
        in_reply_to_item_id=item_id,
    )
    first = OutboxSender(cache, connector).send_due()
    second = OutboxSender(cache, connector).send_due()
    assert first.sent == [entry.id] and second.sent == []
    sent_entry = outbox.get(cache, entry.id)
    assert sent_entry.state is OutboxState.SENT, sent_entry.last_error
    (sent,) = recorder.messages
    assert recorder.tls == [True]  # STARTTLS was used, the certificate checked against the test CA
    assert recorder.logins == [True] and recorder.authenticated == [True]  # the login happened inside it
    assert sent["From"] == ADDRESS and sent["To"] == "warga22@mail.example.org"
    assert sent["Subject"] == "Re: SukaLayan error 21"  # not "Re: Re: ..."
    assert sent["In-Reply-To"] == "<m22@mail.example.org>"
    assert sent["References"] == "<m21@mail.example.org> <m22@mail.example.org>"
    assert sent["Message-ID"] == f"<{entry.idempotency_key}@sukamaju.go.id>"
    assert sent_entry.receipt_id == f"{entry.idempotency_key}@sukamaju.go.id"
    assert email.utils.parsedate_to_datetime(sent["Date"]) is not None
    body = sent.get_payload(decode=True)
    assert isinstance(body, bytes) and body.decode().strip() == "Terima kasih, jadwal pengganti sudah kami kirim."


def test_a_refused_recipient_fails_the_outbox_entry_with_a_reason(
    cache: Cache, smtp_starttls: tuple[Recorder, MailServer], test_ca: PrivateCA
) -> None:
    recorder, smtp = smtp_starttls
    account = _account(cache)
    original = parse_message(_message(71, sender="Nobody <nobody@mail.example.org>"))
    ingest_page(cache, account, None, Page(items=[original]))
    item_id = cache.conn.execute("SELECT id FROM items WHERE external_id = 'm71@mail.example.org'").fetchone()[0]
    entry = outbox.enqueue(cache, account_id=account.id, body="Baik, kami cek.", in_reply_to_item_id=item_id)
    report = OutboxSender(cache, lambda _a: _connector(NOWHERE, smtp=smtp, ca_file=test_ca.ca_file)).send_due()
    assert report.failed == [entry.id]
    failed = outbox.get(cache, entry.id)
    assert failed.state is OutboxState.FAILED
    assert "recipient was refused" in failed.last_error and "550 5.1.1 mailbox unavailable" in failed.last_error
    assert recorder.messages == []


def test_what_email_cannot_send(smtp_starttls: tuple[Recorder, MailServer], test_ca: PrivateCA) -> None:
    recorder, smtp = smtp_starttls
    connector = _connector(NOWHERE, smtp=smtp, ca_file=test_ca.ca_file)
    with pytest.raises(PermanentError, match="no private notes"):
        connector.send(OutgoingReply(2, "k2", "x", Visibility.PRIVATE, None, None, "s", "a@b.example"))
    with pytest.raises(PermanentError, match="no recipient address"):
        connector.send(OutgoingReply(3, "k3", "x", Visibility.PUBLIC, None, None, "s", ""))
    untrusted = _connector(NOWHERE, smtp=smtp)  # the system's CAs do not know the test CA
    with pytest.raises(PermanentError, match="TLS certificate check failed"):
        untrusted.send(OutgoingReply(4, "k4", "x", Visibility.PUBLIC, None, None, "s", "a@b.example"))
    wrong = "smtp-wrong-pass-42"
    with pytest.raises(AuthenticationError) as caught:
        _connector(NOWHERE, smtp=smtp, ca_file=test_ca.ca_file, password=wrong).send(
            OutgoingReply(5, "k5", "x", Visibility.PUBLIC, None, None, "s", "a@b.example")
        )
    assert wrong not in _all_text(caught.value)
    assert recorder.messages == []


def test_implicit_tls_and_a_server_without_starttls(test_ca: PrivateCA) -> None:
    reply = OutgoingReply(1, "k-implicit", "Halo", Visibility.PUBLIC, None, None, "Jadwal", "warga@mail.example.org")
    with smtp_server(USER, PASSWORD, context=test_ca.server_context, implicit_tls=True) as (recorder, port):
        receipt = _connector(NOWHERE, smtp=MailServer("127.0.0.1", port, "tls"), ca_file=test_ca.ca_file).send(reply)
    assert receipt.external_id == "k-implicit@sukamaju.go.id"
    assert recorder.tls == [True] and recorder.logins == [True]
    assert recorder.messages[0]["Subject"] == "Re: Jadwal" and "In-Reply-To" not in recorder.messages[0]
    with smtp_server(USER, PASSWORD, context=None) as (plain, port):
        wants_tls = _connector(NOWHERE, smtp=MailServer("127.0.0.1", port, "starttls"), ca_file=test_ca.ca_file)
        with pytest.raises(PermanentError, match="does not offer STARTTLS"):
            wants_tls.send(reply)
        assert plain.messages == [] and plain.logins == []  # the password never went out in the clear
        _connector(NOWHERE, smtp=MailServer("127.0.0.1", port, "none")).send(reply)  # loopback: allowed
    assert plain.tls == [False] and len(plain.messages) == 1


def test_sent_replies_are_filed_and_recognised(
    cache: Cache, imap_server: Dovecot, smtp_starttls: tuple[Recorder, MailServer], test_ca: PrivateCA
) -> None:
    recorder, smtp = smtp_starttls
    sent_folder = _fresh_folder(imap_server, "Terkirim")
    inbox = _fresh_folder(imap_server, "Masuk")
    _append(imap_server, _message(81), folder=inbox)
    account = _account(cache)

    def connector(_account: object = None) -> EmailAccountConnector:
        return _connector(imap_server, inbox, smtp=smtp, ca_file=test_ca.ca_file, sent_folder=sent_folder)

    _sync(cache, account, connector)
    item_id = cache.conn.execute("SELECT id FROM items WHERE external_id = 'm81@mail.example.org'").fetchone()[0]
    entry = outbox.enqueue(cache, account_id=account.id, body="Sudah kami teruskan.", in_reply_to_item_id=item_id)
    assert OutboxSender(cache, connector).send_due().sent == [entry.id]
    assert len(recorder.messages) == 1

    conn = _client(imap_server)
    try:
        conn.select(sent_folder, readonly=True)
        assert conn.search(None, "SEEN")[1][0].split() == [b"1"]  # filed, and not waiting to be read
    finally:
        conn.logout()

    # Sent again with the same key (say, a person retried after an unclear failure): recognised.
    reply = outbox.reply_for(cache, outbox.get(cache, entry.id))
    assert connector().send(reply).external_id == f"{entry.idempotency_key}@sukamaju.go.id"
    assert len(recorder.messages) == 1

    # Reading the Sent folder finds the reply the outbox already recorded: the same item.
    report = _sync(cache, account, lambda: _connector(imap_server, sent_folder))
    assert report.ok and report.items_read == 1
    rows = cache.conn.execute(
        "SELECT direction FROM items WHERE external_id = ?", (f"{entry.idempotency_key}@sukamaju.go.id",)
    ).fetchall()
    assert rows == [("out",)]


# ------------------------------------------------------------------------------ check and settings


def test_check_says_what_the_account_can_do(
    imap_server: Dovecot, smtp_starttls: tuple[Recorder, MailServer], test_ca: PrivateCA
) -> None:
    _, smtp = smtp_starttls
    good = _connector(imap_server, "INBOX", smtp=smtp, ca_file=test_ca.ca_file).check()
    assert (good.ok, good.identity, good.can_read, good.can_reply, good.notes) == (True, ADDRESS, True, True, ())
    no_smtp = _connector(imap_server, "INBOX", sent_folder="Tiada").check()
    assert no_smtp.ok and no_smtp.can_read and not no_smtp.can_reply
    assert any("connection refused" in n for n in no_smtp.notes)
    assert any("no Sent folder 'Tiada'" in n for n in no_smtp.notes)
    no_folder = _connector(imap_server, "Tidak Ada", smtp=smtp, ca_file=test_ca.ca_file).check()
    assert not no_folder.ok and not no_folder.can_read and no_folder.can_reply
    assert any("Tidak Ada" in n for n in no_folder.notes)


def test_an_email_account_is_built_from_its_settings(cache: Cache, imap_server: Dovecot) -> None:
    from omniinbox.connectors.registry import build_connector
    from omniinbox.store.accounts import add_account

    folder = _fresh_folder(imap_server, "Registry")
    _append(imap_server, _message(31), folder=folder)
    settings = {
        "address": ADDRESS,
        "username": imap_server.user,
        "imap_host": "127.0.0.1",
        "imap_port": str(imap_server.port),
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": "25",
        "smtp_security": "none",
        "folders": folder,
        "sent_folder": "Terkirim",
    }
    account = add_account(
        cache, "email:layanan", Channel.EMAIL, "Layanan", secret_ref="email:layanan", settings=settings
    )
    built = build_connector(account, imap_server.password)
    assert isinstance(built, EmailAccountConnector) and built.sent_folder == "Terkirim"
    built.close()
    report = _sync(cache, account, lambda: build_connector(account, imap_server.password))
    assert report.ok and report.items_written == 1
    broken = add_account(cache, "email:broken", Channel.EMAIL, "Broken", settings={"address": ADDRESS})
    with pytest.raises(PermanentError, match="incomplete mail server settings"):
        build_connector(broken, "pw")


# ------------------------------------------------------------------------------ answers Dovecot never gives


def _scripted(server: object) -> EmailAccountConnector:
    port = int(server.server_address[1])  # type: ignore[attr-defined]
    return _connector(MailServer("127.0.0.1", port, "none"))


EXAMINE = b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] UIDs valid\r\n{tag} OK [READ-ONLY] examined\r\n"


def test_uid_and_arrival_after_the_message_and_a_message_without_a_body() -> None:
    body = _message(91, message_id=False).replace(b"Date:", b"X-Date:")  # no Date: the arrival time counts
    fetch = (
        b"* 1 FETCH (BODY[] "
        + literal(_message(90))
        + b' UID 5 INTERNALDATE "23-Nov-2025 07:30:00 +0700")\r\n'
        + b'* 2 FETCH (UID 8 INTERNALDATE "23-Nov-2025 08:00:00 +0700" BODY[] '
        + literal(body)
        + b")\r\n"
        + b'* 3 FETCH (UID 9 INTERNALDATE "23-Nov-2025 09:00:00 +0700" BODY[] {0}\r\n)\r\n'
        + b"{tag} OK fetched\r\n"
    )
    script = {"EXAMINE": EXAMINE, "UID SEARCH": b"* SEARCH 5 8 9 3\r\n{tag} OK searched\r\n", "UID FETCH": fetch}
    with scripted_imap(script) as server:
        connector = _scripted(server)
        try:
            page = connector.fetch("INBOX", "7:4")
        finally:
            connector.close()
    assert page.items[0].external_id == "m90@mail.example.org" and page.items[1].external_id.startswith("sha256:")
    assert page.items[1].created_at.isoformat() == "2025-11-23T01:00:00+00:00"
    ((problem),) = page.problems
    assert problem.reason == "INBOX UID 9: empty mail message: no headers and no body"
    assert page.next_cursor == "7:9" and not page.has_more  # UID 3 (below the cursor) is not read


def test_protocol_surprises_are_our_bugs_and_a_dropped_connection_is_weather() -> None:
    no_validity = {"EXAMINE": b"* 3 EXISTS\r\n{tag} OK [READ-ONLY] examined\r\n"}
    bad_search = {"EXAMINE": EXAMINE, "UID SEARCH": b"{tag} BAD what is that\r\n"}
    no_search = {"EXAMINE": EXAMINE, "UID SEARCH": b"{tag} NO not now\r\n"}
    dropped = {"EXAMINE": EXAMINE, "UID SEARCH": b"* SEARCH 5\r\n{tag} OK searched\r\n", "UID FETCH": b""}
    for script, error, words in (
        (no_validity, ConnectorBug, "has no UIDVALIDITY"),
        (bad_search, ConnectorBug, "unexpected answer"),
        (no_search, ConnectorBug, "UID SEARCH failed in 'INBOX' \\(not now\\)"),
        (dropped, TransientError, "the connection failed"),
    ):
        with scripted_imap(script) as server:
            connector = _scripted(server)
            try:
                with pytest.raises(error, match=words):
                    connector.fetch("INBOX", None)
            finally:
                connector.close()
