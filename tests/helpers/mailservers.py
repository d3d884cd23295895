"""Real mail servers for tests: a private Dovecot (IMAP) and an aiosmtpd SMTP server, on loopback.

For answers Dovecot never gives (a UID after the message literal, no UIDVALIDITY, a BAD, a
dropped connection) :func:`scripted_imap` serves IMAP over a real socket with answers given per
command.

Dovecot runs from a config of our own in a temporary folder (it refuses to run its login process
as root, and a userdb uid of 0 fails at SELECT: the mail belongs to uid 65534). Given a
certificate and key it also speaks TLS: STARTTLS on its plain port and implicit TLS on a second
one. It is installed by ``.ci/run``; on a machine without it the tests that need it skip, saying so.

The SMTP server records what it receives, whether the session was encrypted and whether the login
succeeded, and refuses one chosen recipient the way a real server does (``550`` at ``RCPT``).
"""

from __future__ import annotations

import email
import os
import re
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

NOBODY = 65534
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# ------------------------------------------------------------------------------ Dovecot


@dataclass(frozen=True, slots=True)
class Dovecot:
    port: int  # plain IMAP, with STARTTLS when the server has a certificate
    tls_port: int  # implicit TLS (0: none)
    user: str
    password: str
    folder: Path


def dovecot_missing() -> str:
    """Why Dovecot cannot run here, or ``""`` when it can."""
    if not os.path.exists(DOVECOT):
        return f"Dovecot is not installed ({DOVECOT} is missing; .ci/run installs dovecot-imapd)"
    if os.geteuid() != 0:
        return "Dovecot's private instance needs root here (it switches to uid 65534 for the mail)"
    return ""


@contextmanager
def dovecot(
    user: str = "layanan",
    password: str = "imap-pass-3b7f1c",  # noqa: S107 - a test server's
    *,
    cert_file: Path | None = None,
    key_file: Path | None = None,
) -> Iterator[Dovecot]:
    """A Dovecot serving one user on 127.0.0.1; raises RuntimeError (with its log) if it does not start."""
    folder = Path(tempfile.mkdtemp(prefix="omniinbox-dovecot-"))
    folder.chmod(0o755)
    port = free_port()
    tls_port = free_port() if cert_file and key_file else 0
    mail = folder / "mail"
    mail.mkdir()
    os.chown(mail, NOBODY, NOBODY)
    (folder / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
    tls = f"ssl = yes\nssl_cert = <{cert_file}\nssl_key = <{key_file}\n" if tls_port else "ssl = no\n"
    config = folder / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
info_log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
{tls}
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests fail logins on purpose: no delay, no growing per-IP penalty for the logins after them.
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
first_valid_uid = {NOBODY}
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={NOBODY} gid={NOBODY} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
""",
        encoding="utf-8",
    )
    # Dovecot daemonizes; its children keep inherited pipes open, so no output is captured here.
    started = subprocess.run(
        [DOVECOT, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False
    )
    try:
        if started.returncode != 0:
            log = (folder / "dovecot.log").read_text(errors="replace") if (folder / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot did not start (exit {started.returncode}): {log[-500:]}")
        _wait_for(port)
        if tls_port:
            _wait_for(tls_port)
        yield Dovecot(port, tls_port, user, password, folder)
    finally:
        subprocess.run(
            [DOVECOT, "-c", str(config), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------ SMTP


@dataclass(slots=True)
class Recorder:
    """aiosmtpd handler: keeps each accepted message and how its session looked."""

    refuse: str = ""
    messages: list[Message] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)
    logins: list[bool] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse and address == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        # session.ssl is set by STARTTLS; with implicit TLS the transport itself is encrypted.
        transport = server.transport
        self.tls.append(
            session.ssl is not None or (transport is not None and transport.get_extra_info("ssl_object") is not None)
        )
        self.authenticated.append(bool(session.authenticated))
        self.messages.append(email.message_from_bytes(envelope.original_content or b""))
        return "250 Message accepted"


@contextmanager
def smtp_server(
    user: str,
    password: str,
    *,
    context: ssl.SSLContext | None,
    implicit_tls: bool = False,
    refuse: str = "",
) -> Iterator[tuple[Recorder, int]]:
    """An SMTP server on 127.0.0.1 that offers a login. With ``context``: STARTTLS (required
    before login and mail, and the login required before mail), or implicit TLS when
    ``implicit_tls``; without: plain."""
    recorder = Recorder(refuse=refuse)
    port = free_port()

    def authenticator(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (user.encode(), password.encode())
        recorder.logins.append(ok)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 235 or 535 itself

    starttls = context is not None and not implicit_tls
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        ssl_context=context if implicit_tls else None,
        tls_context=context if starttls else None,
        require_starttls=starttls,
        authenticator=authenticator,
        # With implicit TLS aiosmtpd does not count the session as encrypted for this check; it is.
        auth_require_tls=starttls,
        auth_required=starttls,  # with implicit TLS the client logs in because AUTH is offered
    )
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


# ------------------------------------------------------------------------------ scripted IMAP


class _ScriptedHandler(socketserver.StreamRequestHandler):
    server: _ScriptedServer

    def handle(self) -> None:
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted server ready\r\n")
        for line in self.rfile:
            tag, _, rest = line.decode("ascii", "replace").strip().partition(" ")
            words = rest.split()
            command = " ".join(words[:2]).upper() if words[:1] == ["UID"] else (words[:1] or [""])[0].upper()
            self.server.commands.append(command)
            if command == "LOGOUT":
                self.wfile.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return
            answer = self.server.script.get(command)
            if answer is None:
                defaults = {"CAPABILITY": b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"}
                answer = defaults.get(command, b"") + b"{tag} OK done\r\n"
            if answer == b"":  # hang up without a word
                return
            self.wfile.write(answer.replace(b"{tag}", tag.encode()))


class _ScriptedServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, script: Mapping[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.script = dict(script)
        self.commands: list[str] = []


@contextmanager
def scripted_imap(script: Mapping[str, bytes]) -> Iterator[_ScriptedServer]:
    """An IMAP server on 127.0.0.1 (port: ``server.server_address[1]``) that accepts any login
    and answers each command (``"EXAMINE"``, ``"UID SEARCH"``, ...) with the bytes given for it,
    ``{tag}`` replaced by the command's tag; ``b""`` hangs up. Commands not in the script get
    ``OK``. ``server.commands`` lists what was asked."""
    server = _ScriptedServer(script)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def literal(data: bytes) -> bytes:
    """``data`` as an IMAP literal: ``{size}CRLF`` then the bytes."""
    data = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    return b"{%d}\r\n" % len(data) + data
