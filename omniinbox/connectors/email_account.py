"""A mailbox: mail read over IMAP (incrementally, by UID), replies sent over SMTP, threaded.

**Reading.** Each folder (``INBOX`` by default) is a stream. The cursor is
``"<UIDVALIDITY>:<last UID read>"``; a fetch asks for ``UID SEARCH UID n+1:*`` (and drops the
last message the server returns for ``*`` even when it is older: RFC 3501 says ``n:*`` always
matches the highest UID), takes up to ``page_size`` of them with ``BODY.PEEK[]`` (so nothing is
marked as read) and parses them with :func:`omniinbox.connectors.mail.parse_message`. When the
folder's UIDVALIDITY changes the folder was rebuilt: it is read again from the start, and since
items are known by their Message-ID (a digest of the message when it has none) nothing is
duplicated. A message that cannot be parsed is a problem naming the folder and UID; the others
go on. Messages deleted from the server stay in the cache: UIDs only tell what is new.

**Replying.** A reply is a plain-text message From the mailbox's address To the person, with
``Subject: Re: ...`` (not doubled), ``In-Reply-To`` and ``References`` from the original, and a
``Message-ID`` derived from the outbox entry's idempotency key, so a reply whose fate is unknown
can be recognised: when a Sent folder is configured, a reply already filed there is not sent
again, and a sent reply is filed there (marked read). It goes out over SMTP with implicit TLS or
STARTTLS. Email has no private notes: a private reply is refused.

**Security.** TLS certificates are always verified (a private CA file may be given); plain
connections are allowed to loopback servers only. Every socket has a timeout. The password is
never part of any message.
"""

from __future__ import annotations

import base64
import contextlib
import email.policy
import email.utils
import hashlib
import imaplib
import ipaddress
import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from omniinbox.connectors.base import (
    AuthenticationError,
    CheckResult,
    ConnectorBug,
    ConnectorError,
    PermanentError,
    TransientError,
)
from omniinbox.connectors.mail import MailParseError, format_message_ids, parse_message
from omniinbox.core import OutgoingReply, Page, Receipt, SyncProblem, Visibility
from omniinbox.secrets import REDACTOR

log = logging.getLogger(__name__)

SECURITY = ("tls", "starttls", "none")
_RE = re.compile(r"^\s*(re|aw|sv|balas)\s*:", re.IGNORECASE)
_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


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
    """``Re: subject``, unless the subject already starts with a reply prefix."""
    subject = subject.strip()
    return subject if _RE.match(subject) else f"Re: {subject}" if subject else "Re:"


def reply_message_id(idempotency_key: str, address: str) -> str:
    """The Message-ID (without angle brackets) of the reply sent for an outbox entry: the same
    key always gives the same id, so a second copy of a reply can be recognised."""
    domain = address.rpartition("@")[2].strip() or "omniinbox.invalid"
    if not _ATEXT.match(domain):
        domain = "omniinbox.invalid"
    key = idempotency_key.strip()
    if not _ATEXT.match(key) or key.startswith(".") or key.endswith(".") or ".." in key:
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"{key}@{domain}"


def imap_folder_name(folder: str) -> str:
    """``folder`` as an IMAP mailbox name: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in folder:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    name = "".join(out)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class EmailAccountConnector:
    """``folders`` are the streams. ``password`` comes from the keyring. ``sent_folder``, when
    given, is where sent replies are filed (and looked for before a reply is sent)."""

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
        sent_folder: str | None = None,
        ca_file: str | None = None,
        page_size: int = 200,
        timeout: float = 30.0,
    ) -> None:
        imap.check("IMAP")
        smtp.check("SMTP")
        if page_size < 1:
            raise PermanentError(f"the page size must be at least 1, not {page_size}")
        self.address = address
        self.username = username
        self._password = password
        if password:
            REDACTOR.add(password)
        self.imap_server = imap
        self.smtp_server = smtp
        self.streams: tuple[str, ...] = tuple(folders)
        self.sent_folder = sent_folder or None
        self.page_size = page_size
        self.timeout = timeout
        try:
            self._context = ssl.create_default_context(cafile=ca_file)  # verification on, always
        except (OSError, ssl.SSLError) as exc:
            raise PermanentError(f"cannot use the CA file {ca_file}: {_reason(exc)}") from None
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
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"{where}: the TLS certificate check failed ({exc.verify_message})") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"{where}: cannot connect ({_reason(exc)})") from None
        try:
            if server.security == "starttls":
                self._starttls(conn, where)
        except BaseException:
            _hang_up(conn)  # no LOGOUT over a connection whose TLS handshake failed
            raise
        try:
            conn.login(self.username, self._password)
        except imaplib.IMAP4.abort as exc:
            _quietly_logout(conn)
            raise TransientError(f"{where}: the server closed the connection during login ({_reason(exc)})") from None
        except imaplib.IMAP4.error:
            _quietly_logout(conn)
            raise AuthenticationError(f"{where}: the server refused the login of {self.username}") from None
        except OSError as exc:
            _quietly_logout(conn)
            raise TransientError(f"{where}: the connection failed during login ({_reason(exc)})") from None
        return conn

    def _starttls(self, conn: imaplib.IMAP4, where: str) -> None:
        if "STARTTLS" not in conn.capabilities:
            raise PermanentError(f"{where}: the server does not offer STARTTLS; use tls or another port")
        try:
            conn.starttls(ssl_context=self._context)
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"{where}: the TLS certificate check failed ({exc.verify_message})") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"{where}: STARTTLS failed ({_reason(exc)})") from None

    def _connection(self) -> imaplib.IMAP4:
        if self._imap is None:
            self._imap = self._connect_imap()
        return self._imap

    def fetch(self, stream: str, cursor: str | None) -> Page:
        try:
            return self._fetch(stream, cursor)
        except imaplib.IMAP4.abort as exc:  # before IMAP4.error: abort is its subclass
            self._drop()
            raise TransientError(f"IMAP {self.imap_server.host}: the connection failed ({_reason(exc)})") from None
        except imaplib.IMAP4.error as exc:
            self._drop()
            raise ConnectorBug(f"IMAP {self.imap_server.host}: unexpected answer ({_reason(exc)})") from None
        except OSError as exc:
            self._drop()
            raise TransientError(f"IMAP {self.imap_server.host}: the connection failed ({_reason(exc)})") from None

    def _fetch(self, folder: str, cursor: str | None) -> Page:
        where = f"IMAP {self.imap_server.host}"
        conn = self._connection()
        status, data = conn.select(imap_folder_name(folder), readonly=True)
        if status != "OK":
            raise PermanentError(f"{where}: cannot open the folder {folder!r} ({_text(data)})")
        validity = _text(conn.response("UIDVALIDITY")[1]).strip()
        if not validity.isdigit():
            raise ConnectorBug(f"{where}: the folder {folder!r} has no UIDVALIDITY ({validity!r})")
        known_validity, _, last = (cursor or "").partition(":")
        last_uid = int(last) if known_validity == validity and last.isdigit() else 0
        status, data = conn.uid("SEARCH", f"UID {last_uid + 1}:*")
        if status != "OK":
            raise ConnectorBug(f"{where}: UID SEARCH failed in {folder!r} ({_text(data)})")
        # "n:*" always includes the highest UID, even when it is below n: keep only what is new.
        uids = sorted({u for u in (int(x) for x in _text(data).split() if x.isdigit()) if u > last_uid})
        chunk = uids[: self.page_size]
        page = Page(has_more=len(uids) > len(chunk))
        if not chunk:
            page.next_cursor = f"{validity}:{last_uid}"
            return page
        status, data = conn.uid("FETCH", _uid_set(chunk), "(UID INTERNALDATE BODY.PEEK[])")
        if status != "OK":
            raise ConnectorBug(f"{where}: UID FETCH failed in {folder!r} ({_text(data)})")
        fetched = {uid: (raw, arrived) for uid, raw, arrived in _fetched(data)}
        for uid in chunk:
            if uid not in fetched:
                continue  # expunged between SEARCH and FETCH
            raw, arrived = fetched[uid]
            try:
                item = parse_message(raw, default_time=arrived, own_addresses=(self.address,))
            except (MailParseError, ValueError, LookupError) as exc:
                page.problems.append(
                    SyncProblem(f"{folder} UID {uid}: {exc}", external_id=f"{folder}/{uid}", detail=f"{len(raw)} bytes")
                )
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
        """The reply as it will be sent (and filed in the Sent folder)."""
        if reply.visibility is Visibility.PRIVATE:
            raise PermanentError("email has no private notes: a reply by mail is seen by its recipient")
        if not reply.recipient or "@" not in reply.recipient:
            raise PermanentError("the reply has no recipient address")
        message = EmailMessage()
        message["From"] = self.address
        message["To"] = reply.recipient
        message["Subject"] = reply_subject(reply.subject)
        message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{reply_message_id(reply.idempotency_key, self.address)}>"
        if reply.in_reply_to_external_id and "@" in reply.in_reply_to_external_id:
            message["In-Reply-To"] = format_message_ids([reply.in_reply_to_external_id])
            chain = [r for r in reply.references if "@" in r and r != reply.in_reply_to_external_id]
            chain.append(reply.in_reply_to_external_id)
            message["References"] = format_message_ids(chain)
        message.set_content(reply.body)
        return message

    def send(self, reply: OutgoingReply) -> Receipt:
        message = self.message_for(reply)
        message_id = reply_message_id(reply.idempotency_key, self.address)
        receipt = Receipt(message_id)
        if self.sent_folder and self._already_filed(message_id):
            log.info("reply %s is already in %s: not sent again", message_id, self.sent_folder)
            return receipt
        self._submit(message)
        if self.sent_folder:
            self._file_sent(message)
        return receipt

    def _submit(self, message: EmailMessage) -> None:
        server = self.smtp_server
        where = f"SMTP {server.host}:{server.port}"
        smtp = self._open_smtp(where)
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reasons = "; ".join(f"{addr}: {code} {_said(msg)}" for addr, (code, msg) in exc.recipients.items())
            if codes and all(400 <= c < 500 for c in codes):
                raise TransientError(f"{where}: the recipient cannot be taken now ({reasons})") from None
            raise PermanentError(f"{where}: the recipient was refused ({reasons})") from None
        except smtplib.SMTPSenderRefused as exc:
            said = f"{exc.smtp_code} {_said(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"{where}: the server asks to try later ({said})") from None
            raise PermanentError(f"{where}: the sender {self.address} was refused ({said})") from None
        except smtplib.SMTPDataError as exc:
            said = f"{exc.smtp_code} {_said(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"{where}: the server asks to try later ({said})") from None
            raise PermanentError(f"{where}: the server refused the message ({said})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise PermanentError(
                f"{where}: the connection failed while sending ({_reason(exc)}); the message may or may not"
                " have gone out, so it is not repeated automatically"
            ) from None
        finally:
            _quietly_quit(smtp)
        if refused:
            raise PermanentError(f"{where}: some recipients were refused: {', '.join(refused)}")

    def _open_smtp(self, where: str) -> smtplib.SMTP:
        try:
            return self._connect_smtp()
        except smtplib.SMTPAuthenticationError:
            raise AuthenticationError(f"{where}: the server refused the login of {self.username}") from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentError(f"{where}: the server does not offer STARTTLS; use tls or another port") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"{where}: the TLS certificate check failed ({exc.verify_message})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"{where}: cannot connect ({_reason(exc)})") from None

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

    @contextlib.contextmanager
    def _sent_folder_session(self) -> Iterator[imaplib.IMAP4]:
        """A connection of its own, so sending never disturbs a sync reading on another thread."""
        conn = self._connect_imap()
        try:
            yield conn
        finally:
            _quietly_logout(conn)

    def _already_filed(self, message_id: str) -> bool:
        """Whether the Sent folder holds a message with this Message-ID. When that cannot be told,
        the reply is sent (as it would be without a Sent folder)."""
        assert self.sent_folder is not None
        try:
            with self._sent_folder_session() as conn:
                status, _ = conn.select(imap_folder_name(self.sent_folder), readonly=True)
                if status != "OK":
                    return False
                status, data = conn.uid("SEARCH", "HEADER", "Message-ID", f'"<{message_id}>"')
                return status == "OK" and bool(_text(data).split())
        except (ConnectorError, OSError, imaplib.IMAP4.error) as exc:
            log.warning("cannot look for reply %s in %s: %s", message_id, self.sent_folder, REDACTOR(str(exc)))
            return False

    def _file_sent(self, message: EmailMessage) -> None:
        """File a copy of a sent reply in the Sent folder. The reply has gone out: a failure here
        is logged, not raised."""
        assert self.sent_folder is not None
        data = message.as_bytes(policy=email.policy.SMTP)
        try:
            with self._sent_folder_session() as conn:
                status, said = conn.append(
                    imap_folder_name(self.sent_folder), r"(\Seen)", imaplib.Time2Internaldate(time.time()), data
                )
                if status != "OK":
                    log.warning("the reply was sent but not filed in %s: %s", self.sent_folder, _text(said))
        except (ConnectorError, OSError, imaplib.IMAP4.error) as exc:
            log.warning("the reply was sent but not filed in %s: %s", self.sent_folder, REDACTOR(str(exc)))

    # ------------------------------------------------------------------ check

    def check(self) -> CheckResult:
        """Log in to IMAP (open each folder) and to SMTP (EHLO, STARTTLS, AUTH); say what works.
        A refused IMAP login raises :class:`AuthenticationError`."""
        notes: list[str] = []
        conn = self._connect_imap()
        try:
            missing = [f for f in self.streams if conn.select(imap_folder_name(f), readonly=True)[0] != "OK"]
            if self.sent_folder and conn.select(imap_folder_name(self.sent_folder), readonly=True)[0] != "OK":
                notes.append(f"there is no Sent folder {self.sent_folder!r}: replies will not be filed")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"IMAP {self.imap_server.host}: the connection failed ({_reason(exc)})") from None
        finally:
            _quietly_logout(conn)
        if missing:
            notes.append(f"cannot open the folder(s) {', '.join(map(repr, missing))}")
        can_read = bool(self.streams) and not missing
        where = f"SMTP {self.smtp_server.host}:{self.smtp_server.port}"
        try:
            smtp = self._open_smtp(where)
            if not smtp.has_extn("auth"):
                notes.append("the SMTP server offers no login: replies are sent without one")
            _quietly_quit(smtp)
            can_reply = True
        except ConnectorError as exc:
            can_reply = False
            notes.append(f"replies cannot be sent: {exc}")
        return CheckResult(
            ok=can_read, identity=self.address, can_read=can_read, can_reply=can_reply, notes=tuple(notes)
        )

    def close(self) -> None:
        self._drop()


def _uid_set(uids: Sequence[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1:3,7,9:10"`` (sorted input)."""
    ranges: list[str] = []
    start = prev = uids[0]
    for uid in uids[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        ranges.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    ranges.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(ranges)


def _fetched(data: Sequence[object]) -> list[tuple[int, bytes, datetime | None]]:
    """(uid, message bytes, arrival time) from imaplib's FETCH answer. The UID and INTERNALDATE
    may come before the message literal (usual) or after it (in the bytes that follow)."""
    out = []
    for index, part in enumerate(data):
        if not isinstance(part, tuple) or len(part) < 2:
            continue
        head = _text(part[0])
        tail = data[index + 1] if index + 1 < len(data) else b""
        around = head + " " + (_text(tail) if isinstance(tail, bytes) else "")
        uid = re.search(r"\bUID (\d+)", around)
        if uid is None:
            continue
        arrived = None
        internal = re.search(r'INTERNALDATE "([^"]+)"', around)
        if internal:
            parsed = imaplib.Internaldate2tuple(f'INTERNALDATE "{internal.group(1)}"'.encode())
            if parsed is not None:
                arrived = datetime.fromtimestamp(time.mktime(parsed)).astimezone()
        out.append((int(uid.group(1)), bytes(part[1]) if isinstance(part[1], bytes | bytearray) else b"", arrived))
    return out


def _text(data: object) -> str:
    if isinstance(data, list | tuple):
        return " ".join(_text(d) for d in data if d is not None)
    if isinstance(data, bytes | bytearray):
        return bytes(data).decode("utf-8", "replace")
    return "" if data is None else str(data)


def _said(data: object) -> str:
    return REDACTOR(_text(data))[:200]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return REDACTOR(str(exc).split("\n")[0])[:160] or type(exc).__name__


def _quietly_logout(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        _hang_up(conn)  # logout() closes the socket only when LOGOUT got an answer


def _hang_up(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown()


def _quietly_quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
