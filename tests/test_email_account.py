"""A mailbox over real IMAP (a private Dovecot) and real SMTP (aiosmtpd with STARTTLS and a
test CA): incremental UID sync, UIDVALIDITY changes, broken messages, threaded replies sent once."""

from __future__ import annotations

import email
import imaplib
import ssl
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from helpers.mailservers import Dovecot, dovecot, dovecot_available, free_port

from omniinbox.connectors.base import AuthenticationError, PermanentError
from omniinbox.connectors.email_account import EmailAccountConnector, MailServer, reply_subject
from omniinbox.core import Account, Channel, OutboxState, Visibility
from omniinbox.store import outbox
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import AccountReport, SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender

pytestmark = pytest.mark.skipif(not dovecot_available(), reason="Dovecot is not installed here (.ci/run installs it)")

ADDRESS = "layanan@sukamaju.go.id"


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Dovecot]:
    with dovecot() as server:
        yield server


def _client(server: Dovecot) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    conn.login(server.user, server.password)
    return conn


def _append(server: Dovecot, *messages: bytes, folder: str = "INBOX") -> None:
    conn = _client(server)
    try:
        for raw in messages:
            status, data = conn.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK", data
    finally:
        conn.logout()


def _message(n: int, *, reply_to: str = "", subject: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Warga {n} <warga{n}@mail.example.org>"
    msg["To"] = ADDRESS
    msg["Subject"] = subject or f"SukaLayan error {n}"
    msg["Message-ID"] = f"<m{n}@mail.example.org>"
    msg["Date"] = email.utils.formatdate(1763880000 + n * 60, usegmt=True)
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}>"
        msg["References"] = f"<{reply_to}>"
    msg.set_content(f"Aplikasi antrean tidak bisa dibuka, percobaan ke-{n}.")
    return msg.as_bytes()


def _sync(cache: Cache, account: Account, make: Callable[[], EmailAccountConnector]) -> AccountReport:
    engine = SyncEngine(cache, lambda _a: make())
    try:
        return engine.sync_account(account)
    finally:
        engine.close()


def _fresh_folder(server: Dovecot, name: str) -> str:
    conn = _client(server)
    try:
        conn.delete(name)
        assert conn.create(name)[0] == "OK"
    finally:
        conn.logout()
    return name


def _connector(
    server: Dovecot,
    folder: str,
    *,
    smtp: MailServer | None = None,
    password: str = "",
    ca_file: str | None = None,
    page_size: int = 3,
) -> EmailAccountConnector:
    return EmailAccountConnector(
        address=ADDRESS,
        username=server.user,
        password=password or server.password,
        imap=MailServer("127.0.0.1", server.port, "none"),
        smtp=smtp or MailServer("127.0.0.1", 1, "none"),
        folders=(folder,),
        ca_file=ca_file,
        page_size=page_size,
        timeout=10,
    )


def test_incremental_sync_reads_only_new_mail_and_marks_nothing_read(cache: Cache, imap_server: Dovecot) -> None:
    folder = _fresh_folder(imap_server, "Sync1")
    _append(imap_server, *(_message(n) for n in range(1, 6)), folder=folder)
    account = ensure_account(cache, "email:layanan", Channel.EMAIL, "Layanan")
    report = _sync(cache, account, lambda: _connector(imap_server, folder))
    assert report.ok and report.items_written == 5 and report.streams[0].pages == 2  # 3 + 2
    _append(imap_server, _message(6, reply_to="m1@mail.example.org"), folder=folder)
    again = _sync(cache, account, lambda: _connector(imap_server, folder))
    assert again.items_read == 1  # only the new message (the UID n:* quirk is handled)
    thread = cache.conn.execute(
        "SELECT count(*) FROM items i JOIN conversations c ON c.id = i.conversation_id WHERE c.external_id = ?",
        ("m1@mail.example.org",),
    ).fetchone()
    assert thread == (2,)
    conn = _client(imap_server)
    try:
        conn.select(folder, readonly=True)
        assert conn.search(None, "UNSEEN")[1][0].split() != []  # still unread for the mail client
        assert len(conn.search(None, "UNSEEN")[1][0].split()) == 6
    finally:
        conn.logout()


def test_a_rebuilt_folder_is_read_again_without_duplicates(cache: Cache, imap_server: Dovecot) -> None:
    folder = _fresh_folder(imap_server, "Rebuilt")
    _append(imap_server, _message(11), _message(12), folder=folder)
    account = ensure_account(cache, "email:layanan", Channel.EMAIL, "Layanan")
    _sync(cache, account, lambda: _connector(imap_server, folder))
    _fresh_folder(imap_server, folder)  # deleted and created again: a new UIDVALIDITY
    _append(imap_server, _message(11), _message(12), _message(13), folder=folder)
    report = _sync(cache, account, lambda: _connector(imap_server, folder))
    assert report.items_read == 3 and report.items_written == 1
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone() == (3,)


def test_corpus_mail_and_a_broken_message(cache: Cache, imap_server: Dovecot, corpus: Path) -> None:
    folder = _fresh_folder(imap_server, "Corpus")
    samples = sorted((corpus / "email" / "hunnysoft_via_mail-mime-parser").glob("m0*.txt"))[:6]
    _append(imap_server, *(p.read_bytes() for p in samples), b"\x00\x01 not a message at all", folder=folder)
    account = ensure_account(cache, "email:layanan", Channel.EMAIL, "Layanan")
    report = _sync(cache, account, lambda: _connector(imap_server, folder, page_size=50))
    assert report.ok and report.items_read >= len(samples)


def test_a_wrong_password_is_refused_without_revealing_it(imap_server: Dovecot) -> None:
    with pytest.raises(AuthenticationError) as caught:
        _connector(imap_server, "INBOX", password="not-the-password-999").fetch("INBOX", None)
    assert "not-the-password-999" not in str(caught.value) and imap_server.user in str(caught.value)


def test_plain_connections_only_to_loopback() -> None:
    with pytest.raises(PermanentError, match="unencrypted IMAP"):
        EmailAccountConnector(
            address=ADDRESS,
            username="u",
            password="p",
            imap=MailServer("mail.example.org", 143, "none"),
            smtp=MailServer("mail.example.org", 587, "starttls"),
        )


def test_reply_subjects_are_not_doubled() -> None:
    assert reply_subject("SukaLayan error") == "Re: SukaLayan error"
    assert reply_subject("RE: SukaLayan error") == "RE: SukaLayan error"
    assert reply_subject("Balas: keluhan") == "Balas: keluhan"


# ------------------------------------------------------------------------------- SMTP


class Recorder:
    def __init__(self, refuse: str = "") -> None:
        self.messages: list[Message] = []
        self.refuse = refuse
        self.tls: list[bool] = []
        self.logins: list[bool] = []

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if self.refuse and address == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.tls.append(session.ssl is not None)
        self.messages.append(email.message_from_bytes(envelope.original_content or b""))
        return "250 Message accepted"


@pytest.fixture
def smtp_tls(tmp_path: Path) -> Iterator[tuple[Recorder, MailServer, str]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    recorder = Recorder(refuse="nobody@mail.example.org")
    port = free_port()

    def authenticator(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"layanan", b"imap-pass-3b7f1c")
        recorder.logins.append(ok)
        return AuthResult(success=ok)

    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield recorder, MailServer("127.0.0.1", port, "starttls"), str(ca_file)
    finally:
        controller.stop()


def test_replies_go_out_once_threaded_over_starttls(
    cache: Cache, imap_server: Dovecot, smtp_tls: tuple[Recorder, MailServer, str]
) -> None:
    recorder, smtp, ca_file = smtp_tls
    folder = _fresh_folder(imap_server, "Replies")
    _append(
        imap_server,
        _message(21),
        _message(22, reply_to="m21@mail.example.org", subject="Re: SukaLayan error 21"),
        folder=folder,
    )
    account = ensure_account(cache, "email:layanan", Channel.EMAIL, "Layanan")

    def connector(_account: object) -> EmailAccountConnector:
        return _connector(imap_server, folder, smtp=smtp, ca_file=ca_file)

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
    OutboxSender(cache, connector).send_due()
    OutboxSender(cache, connector).send_due()
    assert outbox.get(cache, entry.id).state is OutboxState.SENT, outbox.get(cache, entry.id).last_error
    (sent,) = recorder.messages
    assert recorder.tls == [True]  # STARTTLS was used, with the certificate verified against the test CA
    assert recorder.logins == [True]  # and the login happened inside it
    assert sent["To"] == "warga22@mail.example.org" and sent["Subject"] == "Re: SukaLayan error 21"
    assert sent["In-Reply-To"] == "<m22@mail.example.org>"
    assert sent["References"] == "<m21@mail.example.org> <m22@mail.example.org>"
    assert sent["Message-ID"] == f"<{entry.idempotency_key}@sukamaju.go.id>"


def test_a_refused_recipient_fails_with_a_reason(
    cache: Cache, imap_server: Dovecot, smtp_tls: tuple[Recorder, MailServer, str]
) -> None:
    recorder, smtp, ca_file = smtp_tls
    connector = _connector(imap_server, "INBOX", smtp=smtp, ca_file=ca_file)
    from omniinbox.core import OutgoingReply

    reply = OutgoingReply(
        outbox_id=1,
        idempotency_key="k1",
        body="x",
        visibility=Visibility.PUBLIC,
        conversation_external_id=None,
        in_reply_to_external_id=None,
        subject="s",
        recipient="nobody@mail.example.org",
    )
    with pytest.raises(PermanentError, match=r"550 5\.1\.1 mailbox unavailable"):
        connector.send(reply)
    with pytest.raises(PermanentError, match="no private notes"):
        connector.send(OutgoingReply(2, "k2", "x", Visibility.PRIVATE, None, None, "s", "a@b.c"))
    assert recorder.messages == []
    untrusted = _connector(imap_server, "INBOX", smtp=smtp)  # the system CAs do not know the test CA
    with pytest.raises(PermanentError, match="TLS certificate check failed"):
        untrusted.send(OutgoingReply(3, "k3", "x", Visibility.PUBLIC, None, None, "s", "a@b.c"))


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
    }
    account = add_account(
        cache, "email:layanan", Channel.EMAIL, "Layanan", secret_ref="email:layanan", settings=settings
    )
    report = _sync(cache, account, lambda: build_connector(account, imap_server.password))  # type: ignore[arg-type,return-value]
    assert report.ok and report.items_written == 1
    broken = add_account(cache, "email:broken", Channel.EMAIL, "Broken", settings={"address": ADDRESS})
    with pytest.raises(PermanentError, match="incomplete mail server settings"):
        build_connector(broken, "pw")
