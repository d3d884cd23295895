"""A mailbox: mail read over IMAP (incrementally, by UID), replies sent over SMTP, threaded.

**Reading.** Each folder (``INBOX`` by default) is a stream. The cursor is
``"<UIDVALIDITY>:<last UID read>"``; a fetch asks for ``UID SEARCH UID n+1:*`` (and drops the
last message the server returns for ``*`` even when it is older: RFC 3501 says ``n:*`` always
matches the highest UID), takes up to ``page_size`` of them with ``BODY.PEEK[]`` (so nothing is
marked as read) and parses them with :func:`omniinbox.connectors.mail.parse_message`. When the
folder's UIDVALIDITY changes the folder was rebuilt: it is read again from the start, and since
items are known by their Message-ID nothing is duplicated. A message that cannot be parsed is a
problem naming the folder and UID; the others go on.

**Replying.** A reply is a plain-text message From the mailbox's address To the person, with
``Subject: Re: ...`` (not doubled), ``In-Reply-To`` and ``References`` from the original, and a
``Message-ID`` derived from the outbox entry's idempotency key, so a reply whose fate is unknown
can be recognised if it shows up in the mailbox. It goes out over SMTP with implicit TLS or
STARTTLS. Email has no private notes: a private reply is refused.

**Security.** TLS certificates are always verified (a private CA file may be given); plain
connections are allowed to loopback servers only. The password is never part of any message.
"""

from __future__ import annotations

import contextlib
import email.utils
import imaplib
import ipaddress
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from omniinbox.connectors.base import (
    AuthenticationError,
    CheckResult,
    ConnectorBug,
    PermanentError,
    TransientError,
)
from omniinbox.connectors.mail import MailParseError, format_message_ids, parse_message
from omniinbox.core import OutgoingReply, Page, Receipt, SyncProblem, Visibility
from omniinbox.secrets import REDACTOR

SECURITY = ("tls", "starttls", "none")
_RE = re.compile(r"^\s*(re|aw|sv|balas)\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MailServer:
    host: str
    port: int
    security: str = "tls"  # tls (implicit), starttls, or none (loopback only)

    def check(self, what: str) -> None:
        if self.security not in SECURITY:
            raise PermanentError(f"{what} security must be one of {', '.join(SECURITY)}, not {self.security!r}")
        if self.security == "none" and not _loopback(self.host):
            raise PermanentError(f"refusing an unencrypted {what} connection to {self.host}: use tls or starttls")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reply_subject(subject: str) -> str:
    subject = subject.strip()
    return subject if _RE.match(subject) else f"Re: {subject}" if subject else "Re:"


class EmailAccountConnector:
    """``folders`` are the streams. ``password`` comes from the keyring."""

    read_ahead = True  # BODY.PEEK: reading marks nothing

    def __init__(
        self,
        *,
        address: str,
        username: str,
        password: str,
        imap: MailServer,
        smtp: MailServer,
        folders: Sequence[str] = ("INBOX",),
        ca_file: str | None = None,
        page_size: int = 200,
        timeout: float = 30.0,
    ) -> None:
        imap.check("IMAP")
        smtp.check("SMTP")
        self.address = address
        self.username = username
        self._password = password
        REDACTOR.add(password)
        self.imap_server = imap
        self.smtp_server = smtp
        self.streams: tuple[str, ...] = tuple(folders)
        self.page_size = page_size
        self.timeout = timeout
        self._context = ssl.create_default_context(cafile=ca_file)  # verification on, always
        self._imap: imaplib.IMAP4 | None = None

    # ------------------------------------------------------------------ IMAP

    def _connect_imap(self) -> imaplib.IMAP4:
        server = self.imap_server
        where = f"IMAP {server.host}:{server.port}"
        try:
            if server.security == "tls":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    server.host, server.port, ssl_context=self._context, timeout=self.timeout
                )
            else:
                conn = imaplib.IMAP4(server.host, server.port, timeout=self.timeout)
                if server.security == "starttls":
                    conn.starttls(ssl_context=self._context)
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"{where}: the TLS certificate check failed ({exc.verify_message})") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"{where}: cannot connect ({_reason(exc)})") from None
        try:
            conn.login(self.username, self._password)
        except imaplib.IMAP4.error:
            _quietly_logout(conn)
            raise AuthenticationError(f"{where}: the server refused the login of {self.username}") from None
        except OSError as exc:
            raise TransientError(f"{where}: the connection failed during login ({_reason(exc)})") from None
        return conn

    def _connection(self) -> imaplib.IMAP4:
        if self._imap is None:
            self._imap = self._connect_imap()
        return self._imap

    def fetch(self, stream: str, cursor: str | None) -> Page:
        try:
            return self._fetch(stream, cursor)
        except (OSError, imaplib.IMAP4.abort) as exc:
            self._drop()
            raise TransientError(f"IMAP {self.imap_server.host}: the connection failed ({_reason(exc)})") from None

    def _fetch(self, folder: str, cursor: str | None) -> Page:
        conn = self._connection()
        status, data = conn.select(_quote(folder), readonly=True)
        if status != "OK":
            raise PermanentError(f"IMAP {self.imap_server.host}: no folder {folder!r} ({_text(data)})")
        validity = _text(conn.response("UIDVALIDITY")[1]) or "0"
        known_validity, _, last = (cursor or "").partition(":")
        last_uid = int(last) if known_validity == validity and last.isdigit() else 0
        status, data = conn.uid("SEARCH", f"UID {last_uid + 1}:*")
        if status != "OK":
            raise ConnectorBug(f"IMAP {self.imap_server.host}: UID SEARCH failed ({_text(data)})")
        uids = sorted(u for u in (int(x) for x in _text(data).split() if x.isdigit()) if u > last_uid)
        chunk = uids[: self.page_size]
        page = Page(has_more=len(uids) > len(chunk))
        if not chunk:
            page.next_cursor = f"{validity}:{last_uid}"
            return page
        status, data = conn.uid("FETCH", ",".join(map(str, chunk)), "(UID INTERNALDATE BODY.PEEK[])")
        if status != "OK":
            raise ConnectorBug(f"IMAP {self.imap_server.host}: UID FETCH failed ({_text(data)})")
        for uid, raw, arrived in _fetched(data):
            try:
                item = parse_message(raw, default_time=arrived, own_addresses=(self.address,))
            except (MailParseError, ValueError, LookupError) as exc:
                page.problems.append(SyncProblem(f"{folder} UID {uid}: {exc}", external_id=f"{folder}/{uid}"))
                continue
            page.items.append(item)
        page.next_cursor = f"{validity}:{chunk[-1]}"
        return page

    def _drop(self) -> None:
        if self._imap is not None:
            _quietly_logout(self._imap)
            self._imap = None

    # ------------------------------------------------------------------ SMTP

    def message_for(self, reply: OutgoingReply) -> EmailMessage:
        if reply.visibility is Visibility.PRIVATE:
            raise PermanentError("email has no private notes: a reply by mail is seen by its recipient")
        if not reply.recipient or "@" not in reply.recipient:
            raise PermanentError("the reply has no recipient address")
        message = EmailMessage()
        message["From"] = self.address
        message["To"] = reply.recipient
        message["Subject"] = reply_subject(reply.subject)
        message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        domain = self.address.rpartition("@")[2] or "omniinbox.invalid"
        message["Message-ID"] = f"<{reply.idempotency_key}@{domain}>"
        if reply.in_reply_to_external_id and "@" in reply.in_reply_to_external_id:
            message["In-Reply-To"] = format_message_ids([reply.in_reply_to_external_id])
            chain = [r for r in reply.references if "@" in r]
            if reply.in_reply_to_external_id not in chain:
                chain.append(reply.in_reply_to_external_id)
            message["References"] = format_message_ids(chain)
        message.set_content(reply.body)
        return message

    def send(self, reply: OutgoingReply) -> Receipt:
        message = self.message_for(reply)
        server = self.smtp_server
        where = f"SMTP {server.host}:{server.port}"
        try:
            smtp = self._connect_smtp()
        except smtplib.SMTPAuthenticationError:
            raise AuthenticationError(f"{where}: the server refused the login of {self.username}") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"{where}: the TLS certificate check failed ({exc.verify_message})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"{where}: cannot connect ({_reason(exc)})") from None
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(
                f"{addr}: {code} {msg.decode(errors='replace')}" for addr, (code, msg) in exc.recipients.items()
            )
            raise PermanentError(f"{where}: the recipient was refused ({reasons})") from None
        except smtplib.SMTPDataError as exc:
            said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"{where}: the server asks to try later ({exc.smtp_code} {said})") from None
            raise PermanentError(f"{where}: the server refused the message ({exc.smtp_code} {said})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise PermanentError(
                f"{where}: the connection failed while sending ({_reason(exc)}); the message may or may not"
                " have gone out, so it is not repeated automatically"
            ) from None
        finally:
            _quietly_quit(smtp)
        if refused:
            raise PermanentError(f"{where}: some recipients were refused: {', '.join(refused)}")
        return Receipt(str(message["Message-ID"]).strip("<>"))

    def _connect_smtp(self) -> smtplib.SMTP:
        server = self.smtp_server
        if server.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, context=self._context, timeout=self.timeout)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            if server.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=self._context)
            smtp.ehlo()
            if self.username and self._password and smtp.has_extn("auth"):
                smtp.login(self.username, self._password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    # ------------------------------------------------------------------ check

    def check(self) -> CheckResult:
        notes: list[str] = []
        conn = self._connect_imap()
        try:
            status, _ = conn.select("INBOX", readonly=True)
            can_read = status == "OK"
        finally:
            _quietly_logout(conn)
        try:
            _quietly_quit(self._connect_smtp())
            can_reply = True
        except smtplib.SMTPAuthenticationError:
            can_reply = False
            notes.append("the SMTP server refused the login: replies cannot be sent")
        except (OSError, smtplib.SMTPException) as exc:
            can_reply = False
            notes.append(f"the SMTP server cannot be reached ({_reason(exc)}): replies cannot be sent")
        return CheckResult(
            ok=can_read, identity=self.address, can_read=can_read, can_reply=can_reply, notes=tuple(notes)
        )

    def close(self) -> None:
        self._drop()


def _fetched(data: Sequence[object]) -> list[tuple[int, bytes, datetime | None]]:
    """(uid, message bytes, arrival time) from imaplib's FETCH answer."""
    out = []
    for part in data:
        if not isinstance(part, tuple) or len(part) < 2:
            continue
        head = part[0].decode("ascii", "replace") if isinstance(part[0], bytes) else str(part[0])
        uid = re.search(r"UID (\d+)", head)
        if uid is None:
            continue
        arrived = None
        internal = re.search(r'INTERNALDATE "([^"]+)"', head)
        if internal:
            parsed = imaplib.Internaldate2tuple(f'INTERNALDATE "{internal.group(1)}"'.encode())
            if parsed is not None:
                arrived = datetime.fromtimestamp(time.mktime(parsed)).astimezone()
        out.append((int(uid.group(1)), bytes(part[1]) if isinstance(part[1], bytes | bytearray) else b"", arrived))
    return out


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: object) -> str:
    if isinstance(data, list):
        return " ".join(_text(d) for d in data if d is not None)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return "" if data is None else str(data)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return REDACTOR(str(exc).split("\n")[0])[:160] or type(exc).__name__


def _quietly_logout(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        conn.logout()


def _quietly_quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
