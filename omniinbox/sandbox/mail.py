"""Mail, emulated from a scenario: a small IMAP4rev1 server and a small SMTP server of the
sandbox's own, on loopback ephemeral ports, serving the scenario's ``email`` events as one mailbox.

**Mailboxes.** ``INBOX`` holds what the public wrote (each released ``email`` event is a message
built with the ``email`` package: the person's name and address, ``Message-ID`` stable per event,
``In-Reply-To``/``References`` within a thread, a ``+0700`` Date, UTF-8 text sent 8bit,
quoted-printable or base64, and every sixth message ``multipart/alternative`` with HTML). ``Sent``
holds the institution's own messages: replies accepted over SMTP (the bytes received) and
scripted institution events. UIDs follow release order, so in live mode new mail gets new UIDs as
the scenario plays; :meth:`MailStore.rebuild` gives a mailbox a new UIDVALIDITY and renumbers it
(what a server does when a folder is rebuilt).

**IMAP** (RFC 3501 subset): CAPABILITY, NOOP, LOGIN, LOGOUT, LIST/LSUB, SELECT/EXAMINE (EXISTS,
RECENT, FLAGS, UIDVALIDITY, UIDNEXT, PERMANENTFLAGS), STATUS, CHECK, CLOSE, UNSELECT, SEARCH and
FETCH and STORE (plain and UID; FETCH gives UID, FLAGS, INTERNALDATE, RFC822.SIZE, RFC822,
RFC822.HEADER, RFC822.TEXT, ENVELOPE, BODY[...] and BODY.PEEK[...] with HEADER, TEXT,
HEADER.FIELDS(.NOT) and partial ``<o.n>``), APPEND (synchronising and LITERAL+ literals, with
APPENDUID). A message whose Message-ID is already in the target mailbox is not stored twice (as
hosted mail services do, which also file what is submitted over SMTP in Sent): the copy a client
files after sending is the one the server already keeps. A wrong login is ``NO
[AUTHENTICATIONFAILED]``; an unknown command ``BAD``.

**SMTP** (RFC 5321 subset): EHLO/HELO, AUTH PLAIN and LOGIN, MAIL FROM, RCPT TO, DATA (dot
unstuffing, SIZE limit), RSET, NOOP, QUIT. Submission needs the login. The sandbox delivers replies
only: an accepted message is matched by ``In-Reply-To`` (else ``References``) to the message it
answers, recorded with the player as the institution's reply in that thread, filed in ``Sent`` and
its parent marked ``\\Answered``; a message answering nothing of this mailbox is refused (554).

Credentials: the mailbox address and a password made fresh for each run.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.parser
import email.policy
import email.utils
import html
import logging
import re
import socket
import socketserver
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.header import Header, decode_header, make_header
from email.message import EmailMessage
from typing import Any

from omniinbox.sandbox.emulation import Emulation, SandboxAccount, new_token
from omniinbox.sandbox.player import Released, ScenarioPlayer

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = "layanan@sukamaju.go.id"
CITIZEN_DOMAIN = "mail.example.org"
WIB = timezone(timedelta(hours=7), "WIB")
INBOX = "INBOX"
SENT = "Sent"
FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")
_FLAG_NAMES = {flag.lower(): flag for flag in FLAGS}
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAX_LINE = 64 * 1024
MAX_MESSAGE = 10 * 1024 * 1024
IDLE_TIMEOUT = 30 * 60.0  # RFC 3501's autologout timer is at least 30 minutes
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_HEADERS_ONLY = email.parser.BytesHeaderParser(policy=email.policy.compat32)
_FULL = email.parser.BytesParser(policy=email.policy.default)


# =========================================================================== messages


@dataclass(slots=True)
class StoredMessage:
    """One message of a mailbox. The bytes are built on first use (a large scenario's mail is
    mostly never read twice) and then kept."""

    uid: int
    message_id: str  # without angle brackets; "" when the message has none
    internaldate: float
    flags: set[str]
    _raw: bytes | None = None
    _build: Callable[[], bytes] | None = None

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            assert self._build is not None
            self._raw = self._build()
            self._build = None
        return self._raw


@dataclass(slots=True)
class Mailbox:
    name: str
    attributes: tuple[str, ...]
    uidvalidity: int
    uidnext: int = 1
    messages: list[StoredMessage] = field(default_factory=list)

    def add(self, message_id: str, internaldate: float, flags: set[str], *, raw: bytes | None = None,
            build: Callable[[], bytes] | None = None) -> StoredMessage:  # fmt: skip
        stored = StoredMessage(self.uidnext, message_id, internaldate, flags, raw, build)
        self.uidnext += 1
        self.messages.append(stored)
        return stored

    def find(self, message_id: str) -> StoredMessage | None:
        if not message_id:
            return None
        for stored in reversed(self.messages):
            if stored.message_id == message_id:
                return stored
        return None


def _ascii_address(person_id: str, name: str, address: str) -> str:
    """``address`` when it can go into a header as it is; otherwise one made up from the name."""
    if _ADDRESS.match(address):
        return address
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = "".join(ch for ch in folded if ch.isalnum()) or f"warga{zlib.crc32(person_id.encode()) % 100_000}"
    return f"{slug}@{CITIZEN_DOMAIN}"


def _local_part(event_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", event_id).strip(".") or "pesan"


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        f'<body><div style="font-family: sans-serif">{paragraphs}</div></body></html>'
    )


def _reply_subject(subject: str) -> str:
    subject = subject.strip()
    return subject if re.match(r"^\s*(re|balas)\s*:", subject, re.IGNORECASE) else f"Re: {subject}"


def build_message(
    *,
    sender: tuple[str, str],
    recipient: tuple[str, str],
    subject: str,
    text: str,
    sent_at: float,
    message_id: str,
    parents: list[str],
    style: str,
) -> bytes:
    """One message as a mail client would send it (CRLF line ends). ``parents`` are the
    thread's earlier Message-IDs, the one answered last; ``style`` is ``8bit``,
    ``quoted-printable``, ``base64`` or ``alternative`` (plain text and HTML)."""
    headers = [
        ("From", email.utils.formataddr(sender, charset="utf-8")),
        ("To", email.utils.formataddr(recipient, charset="utf-8")),
        ("Subject", subject),
        ("Date", email.utils.format_datetime(datetime.fromtimestamp(sent_at, WIB))),
        ("Message-ID", f"<{message_id}>"),
    ]
    if parents:
        chain = parents if len(parents) <= 10 else [parents[0], *parents[-9:]]
        headers += [("In-Reply-To", f"<{parents[-1]}>"), ("References", " ".join(f"<{p}>" for p in chain))]
    # The MIME part is built by EmailMessage; the envelope headers above are written directly
    # (EmailMessage's header registry parses each one again: three quarters of the time).
    body = EmailMessage()
    text_body = text if text.endswith("\n") else text + "\n"
    if style == "alternative":
        body.set_content(text_body, charset="utf-8", cte="quoted-printable")
        body.add_alternative(_html(text), subtype="html", charset="utf-8", cte="quoted-printable")
    else:
        body.set_content(text_body, charset="utf-8", cte=style)
    return "".join(_header_line(n, v) for n, v in headers).encode("ascii") + body.as_bytes(policy=email.policy.SMTP)


def _header_line(name: str, value: str) -> str:
    """``Name: value``, RFC 2047-encoded when not ASCII, folded when long."""
    if value.isascii() and len(name) + len(value) < 76:
        return f"{name}: {value}\r\n"
    encoded = Header(value, "utf-8" if not value.isascii() else "us-ascii", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n"


def _style(uid: int) -> str:
    if uid % 6 == 1:
        return "alternative"
    if uid % 6 == 3:
        return "base64"
    return "8bit" if uid % 6 == 5 else "quoted-printable"


# =========================================================================== the store


class MailStore:
    """The mailboxes, fed from the player in release order. Thread-safe: IMAP and SMTP sessions
    run on threads of their own."""

    def __init__(self, player: ScenarioPlayer, address: str) -> None:
        self.player = player
        self.address = address
        account = next((a for a in player.accounts("email") if a.handle.lower() == address.lower()), None)
        self.account_name = account.name if account is not None else "Layanan"
        self.account_ids = {account.id} if account is not None else {a.id for a in player.accounts("email")}
        self._lock = threading.RLock()
        base = int(time.time())
        self.mailboxes: dict[str, Mailbox] = {
            INBOX: Mailbox(INBOX, (), base),
            SENT: Mailbox(SENT, ("\\Sent",), base + 1),
        }
        # Scripted events not out yet (by sequence): what is below the first of them and was seen
        # need not be asked for again.
        self._pending = sorted(
            seq
            for scenario in player.scenarios
            for event in scenario.events
            if event.platform == "email" and (seq := player.seq_of(event.id)) is not None
        )
        self._seen: set[int] = set()
        self._top = 0
        self._event_of: dict[str, str] = {}  # Message-ID -> event id
        self._message_id_of: dict[str, str] = {}  # event id -> Message-ID
        self._thread_ids: dict[str, list[str]] = {}  # thread -> its Message-IDs, in order
        self._thread_subject: dict[str, str] = {}
        self._thread_citizen: dict[str, tuple[str, str]] = {}
        self._received: dict[str, bytes] = {}  # reply event id -> the bytes accepted over SMTP

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    # ------------------------------------------------------------------ feeding

    def refresh(self) -> None:
        """Take in the email events released since the last call."""
        with self._lock:
            floor = self._pending[0] - 1 if self._pending else self._top
            fresh = [r for r in self.player.released("email", after_seq=floor) if r.seq not in self._seen]
            for released in fresh:
                if self.account_ids and released.account.id not in self.account_ids:
                    continue
                self._take(released)
            if fresh:
                taken = {r.seq for r in fresh}
                self._seen |= taken
                self._top = max(self._top, *taken)
                self._pending = [s for s in self._pending if s not in taken]

    def _take(self, released: Released) -> None:
        event = released.event
        institution = not event.author
        thread = event.thread or event.id
        earlier = self._thread_ids.setdefault(thread, [])
        parents = list(earlier)
        if event.reply_to and event.reply_to in self._message_id_of:
            answered = self._message_id_of[event.reply_to]
            parents = [*earlier[: earlier.index(answered)], answered] if answered in earlier else [answered]
        sent_at = self.player.wall_time(event)
        raw = self._received.pop(event.id, None)
        if raw is not None:
            message_id = _message_ids(_header_value(raw, "Message-ID"))
            if not message_id:
                message_id = [f"{_local_part(event.id)}@{self.address.rpartition('@')[2]}"]
                raw = f"Message-ID: <{message_id[0]}>\r\n".encode() + raw
            own_id = message_id[0]
        elif institution:
            own_id = f"{_local_part(event.id)}@{self.address.rpartition('@')[2]}"
        else:
            own_id = f"{_local_part(event.id)}@{CITIZEN_DOMAIN}"
        subject = self._thread_subject.setdefault(thread, event.subject or "(tanpa subjek)")
        if earlier:
            subject = _reply_subject(subject)
        me = (self.account_name, self.address)
        if institution:
            person = self._thread_citizen.get(thread, ("", f"warga@{CITIZEN_DOMAIN}"))
            sender, recipient, box, flags = me, person, self.mailboxes[SENT], {"\\Seen"}
        else:
            author = released.author
            name = author.name if author is not None else event.author
            handle = (
                author.handle_on("email") if author is not None else f"{_local_part(event.author)}@{CITIZEN_DOMAIN}"
            )
            sender = (name, _ascii_address(event.author, name, handle))
            self._thread_citizen.setdefault(thread, sender)
            recipient, box, flags = me, self.mailboxes[INBOX], set()
        earlier.append(own_id)
        self._event_of[own_id] = event.id
        self._message_id_of[event.id] = own_id
        if raw is not None:
            if box.find(own_id) is None:  # a client may have filed its copy before sending
                box.add(own_id, sent_at, flags, raw=raw)
            return
        style = _style(box.uidnext)
        text = event.text

        def build() -> bytes:
            return build_message(
                sender=sender,
                recipient=recipient,
                subject=subject,
                text=text,
                sent_at=sent_at,
                message_id=own_id,
                parents=parents,
                style=style,
            )

        box.add(own_id, sent_at, flags, build=build)

    # ------------------------------------------------------------------ changes

    def append(self, mailbox: str, raw: bytes, flags: set[str], internaldate: float | None) -> tuple[int, int]:
        """Store ``raw`` (APPEND); a message whose Message-ID is already there is not stored
        again. Returns (UIDVALIDITY, UID)."""
        with self._lock:
            self.refresh()
            box = self.mailboxes[mailbox]
            ids = _message_ids(_header_value(raw, "Message-ID"))
            known = box.find(ids[0]) if ids else None
            if known is not None:
                known.flags |= flags
                return box.uidvalidity, known.uid
            stored = box.add(ids[0] if ids else "", internaldate or time.time(), set(flags), raw=raw)
            return box.uidvalidity, stored.uid

    def rebuild(self, mailbox: str) -> int:
        """Give ``mailbox`` a new UIDVALIDITY and number its messages again from 1 (a server's
        folder rebuilt). Returns the new UIDVALIDITY."""
        with self._lock:
            box = self.mailboxes[mailbox]
            box.uidvalidity = max(box.uidvalidity + 1, int(time.time()))
            for number, stored in enumerate(box.messages, start=1):
                stored.uid = number
            box.uidnext = len(box.messages) + 1
            return box.uidvalidity

    def deliver(self, raw: bytes) -> tuple[int, str]:
        """A message submitted over SMTP: (reply code, text)."""
        answered = _message_ids(_header_value(raw, "In-Reply-To")) or list(
            reversed(_message_ids(_header_value(raw, "References")))
        )
        with self._lock:
            self.refresh()
            event_id = next((self._event_of[m] for m in answered if m in self._event_of), None)
            if event_id is None:
                return 554, "5.6.0 the sandbox delivers replies only: In-Reply-To names no message of this mailbox"
            parent = self.player.event(event_id)
            if parent is None:
                return 554, "5.6.0 the message answered is gone"
            text = _reply_text(raw)
            if not text:
                return 554, "5.6.0 the reply has no text"
            reply = self.player.add_reply(parent.account, event_id, text, kind="email", visibility="private")
            self._received[reply.event.id] = raw
            self.refresh()
            answered_id = self._message_id_of[event_id]
            for box in self.mailboxes.values():
                stored = box.find(answered_id)
                if stored is not None:
                    stored.flags.add("\\Answered")
        return 250, f"2.0.0 Ok: queued as {reply.event.id}"


def _header_value(raw: bytes, name: str) -> str:
    headers = _HEADERS_ONLY.parsebytes(raw)
    value = headers.get(name)
    return "" if value is None else str(value)


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value)


def _reply_text(raw: bytes) -> str:
    message = _FULL.parsebytes(raw)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        content = part.get_payload(decode=True)
        content = content.decode("utf-8", "replace") if isinstance(content, bytes) else ""
    if not isinstance(content, str):
        return ""
    content = content.replace("\r\n", "\n")
    if part.get_content_subtype() == "html":
        content = re.sub(r"<[^>]+>", " ", content)
        content = html.unescape(content)
    return content.strip()


# =========================================================================== IMAP syntax


class _Bad(Exception):
    """A command the server does not understand: tagged BAD."""


class _No(Exception):
    """A command that cannot be done: tagged NO (the text may start with a response code)."""


class _Bye(Exception):
    """The session ends: untagged BYE and the connection is closed."""


Token = str | bytes | list["Token"]  # an atom or quoted string, a literal, a parenthesised list


def tokenize(text: str, literals: list[bytes]) -> list[Token]:
    """IMAP arguments: atoms (``BODY.PEEK[HEADER.FIELDS (A B)]<0.10>`` is one), quoted strings,
    literals (``\\x00n\\x00`` stands for ``literals[n]``) and parenthesised lists."""
    stack: list[list[Token]] = [[]]
    pos, end = 0, len(text)
    while pos < end:
        char = text[pos]
        if char == " ":
            pos += 1
        elif char == "(":
            stack.append([])
            pos += 1
        elif char == ")":
            if len(stack) == 1:
                raise _Bad("unbalanced parenthesis")
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif char == '"':
            pos += 1
            out: list[str] = []
            while True:
                if pos >= end:
                    raise _Bad("unterminated quoted string")
                char = text[pos]
                if char == "\\" and pos + 1 < end:
                    out.append(text[pos + 1])
                    pos += 2
                elif char == '"':
                    pos += 1
                    break
                else:
                    out.append(char)
                    pos += 1
            stack[-1].append("".join(out))
        elif char == "\x00":
            close = text.index("\x00", pos + 1)
            stack[-1].append(literals[int(text[pos + 1 : close])])
            pos = close + 1
        else:
            start = pos
            depth = 0
            while pos < end:
                char = text[pos]
                if char == "[":
                    depth += 1
                elif char == "]":
                    depth -= 1
                elif depth == 0 and char in ' ()"\x00':
                    break
                pos += 1
            stack[-1].append(text[start:pos])
    if len(stack) != 1:
        raise _Bad("unbalanced parenthesis")
    return stack[0]


def _quote(value: str | bytes | None) -> bytes:
    if value is None:
        return b"NIL"
    data = value.encode("utf-8") if isinstance(value, str) else value
    if b"\r" in data or b"\n" in data or not data.isascii() or len(data) > 1000:
        return b"{%d}\r\n" % len(data) + data
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _internaldate(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, WIB)
    return f"{moment.day:02d}-{_MONTHS[moment.month - 1]}-{moment.year} {moment:%H:%M:%S} +0700"


def _parse_internaldate(value: str) -> float:
    try:
        return datetime.strptime(value.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp()
    except ValueError:
        raise _Bad(f"not an IMAP date-time: {value!r}") from None


def _parse_set(spec: str, largest: int) -> list[tuple[int, int]]:
    """``1:3,7,9:*`` as ranges; ``*`` is ``largest`` (so ``n:*`` always holds the largest)."""
    ranges = []
    for part in spec.split(","):
        ends = part.split(":")
        if not part or len(ends) > 2:
            raise _Bad(f"not a sequence set: {spec!r}")
        numbers = []
        for value in ends:
            if value == "*":
                numbers.append(largest)
            elif value.isdigit() and int(value) > 0:
                numbers.append(int(value))
            else:
                raise _Bad(f"not a sequence set: {spec!r}")
        ranges.append((min(numbers), max(numbers)))
    return ranges


def _in(ranges: list[tuple[int, int]], number: int) -> bool:
    return any(low <= number <= high for low, high in ranges)


def _is_set(token: Token) -> bool:
    return isinstance(token, str) and bool(re.fullmatch(r"[0-9*:,]+", token))


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(header with its blank line, body)."""
    for marker in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(marker)
        if at >= 0:
            return raw[: at + len(marker)], raw[at + len(marker) :]
    return raw, b""


def _header_fields(header: bytes, names: set[str], keep: bool) -> bytes:
    fields: list[list[bytes]] = []
    for line in header.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    chosen = [
        b"".join(lines)
        for lines in fields
        if (lines[0].split(b":", 1)[0].strip().decode("ascii", "replace").lower() in names) == keep
    ]
    return b"".join(chosen) + b"\r\n"


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError):
        return value


def _envelope(raw: bytes) -> bytes:
    headers = _HEADERS_ONLY.parsebytes(raw)

    def text(name: str) -> bytes:
        value = headers.get(name)
        return _quote(None if value is None else str(value))

    def addresses(name: str, fallback: str = "") -> bytes:
        value = headers.get(name) or (headers.get(fallback) if fallback else None)
        if value is None:
            return b"NIL"
        parts = []
        for display, spec in email.utils.getaddresses([str(value)]):
            if not spec:
                continue
            mailbox, _, host = spec.partition("@")
            parts.append(
                b"(" + b" ".join([_quote(display or None), b"NIL", _quote(mailbox), _quote(host or None)]) + b")"
            )
        return b"(" + b"".join(parts) + b")" if parts else b"NIL"

    fields = [
        text("Date"),
        text("Subject"),
        addresses("From"),
        addresses("Sender", "From"),
        addresses("Reply-To", "From"),
        addresses("To"),
        addresses("Cc"),
        addresses("Bcc"),
        text("In-Reply-To"),
        text("Message-ID"),
    ]
    return b"(" + b" ".join(fields) + b")"


# =========================================================================== IMAP server


@dataclass(slots=True)
class _Selected:
    mailbox: Mailbox
    readonly: bool
    uidvalidity: int
    known: int  # messages announced with EXISTS


class _ImapSession(socketserver.StreamRequestHandler):
    server: _ImapServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection.settimeout(IDLE_TIMEOUT)
        self.user: str | None = None
        self.selected: _Selected | None = None
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    @property
    def store(self) -> MailStore:
        return self.server.store

    def send(self, data: bytes) -> None:
        self.wfile.write(data)

    def handle(self) -> None:
        caps = " ".join(self.server.capabilities)
        try:
            self.send(f"* OK [CAPABILITY {caps}] OmniInbox sandbox IMAP4rev1 ready\r\n".encode())
            while True:
                read = self._read_command()
                if read is None:
                    return
                tag, text, literals = read
                if not self._run(tag, text, literals):
                    return
        except (OSError, ValueError) as exc:  # the client went away, or timed out
            log.debug("sandbox IMAP session ended: %s", type(exc).__name__)

    def _read_command(self) -> tuple[str, str, list[bytes]] | None:
        parts: list[bytes] = []
        literals: list[bytes] = []
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return None
            if not line.endswith(b"\n"):
                self.send(b"* BYE command line too long\r\n")
                return None
            line = line.rstrip(b"\r\n")
            found = re.search(rb"\{(\d{1,10})(\+?)\}$", line)
            if found is None:
                parts.append(line)
                break
            size = int(found.group(1))
            if size > MAX_MESSAGE:
                tag = (b"".join(parts) + line).split(b" ", 1)[0].decode("ascii", "replace") or "*"
                if found.group(2):  # the client sends it anyway: the stream cannot be followed
                    self.send(f"* BYE {tag} literal of {size} bytes is too large\r\n".encode())
                    return None
                self.send(f"{tag} NO [TOOBIG] literal of {size} bytes is too large\r\n".encode())
                parts.clear()
                literals.clear()
                continue
            if not found.group(2):
                self.send(b"+ Ready for literal data\r\n")
            data = self.rfile.read(size)
            if len(data) < size:
                return None
            parts.append(line[: found.start()] + b"\x00%d\x00" % len(literals))
            literals.append(data)
        text = b"".join(parts).decode("utf-8", "surrogateescape")
        tag, _, rest = text.partition(" ")
        return tag, rest, literals

    def _run(self, tag: str, text: str, literals: list[bytes]) -> bool:
        """Answer one command; False when the session is over."""
        if not tag or not re.fullmatch(r"[!#$&'*,./0-9:;<=>?@A-Z^_`a-z|~-]+", tag) or tag == "*":
            self.send(b"* BAD a command starts with a tag\r\n")
            return True
        name, _, rest = text.partition(" ")
        command = name.upper()
        uid = False
        try:
            if command == "UID":
                uid = True
                name, _, rest = rest.partition(" ")
                command = name.upper()
                if command not in ("FETCH", "SEARCH", "STORE"):
                    raise _Bad(f"UID {command or '(nothing)'} is not a command")
            handler = self._commands.get(command)
            if handler is None:
                raise _Bad(f"unknown command {name[:40]!r}" if name else "a command is missing")
            needs = self._needs.get(command, "auth")
            if needs == "auth" and self.user is None:
                raise _Bad(f"{command}: log in first")
            if needs == "selected" and self.selected is None:
                raise _Bad(f"{command}: select a mailbox first")
            if needs == "none-auth" and self.user is not None:
                raise _Bad("already logged in")
            args = tokenize(rest, literals)
            if needs == "selected":
                self._check_selected()
            done = handler(self, args, uid) if command in ("FETCH", "SEARCH", "STORE") else handler(self, args)
        except _Bad as exc:
            self.send(f"{tag} BAD {exc}\r\n".encode())
            return True
        except _No as exc:
            self.send(f"{tag} NO {exc}\r\n".encode())
            return True
        except _Bye as exc:
            self.send(f"* BYE {exc}\r\n".encode())
            return False
        except (IndexError, TypeError, ValueError) as exc:
            log.debug("sandbox IMAP: cannot read %s arguments: %s", command, exc)
            self.send(f"{tag} BAD {command}: arguments not understood\r\n".encode())
            return True
        prefix = "UID " if uid else ""
        self.send(f"{tag} OK {done or f'{prefix}{command} completed'}\r\n".encode())
        return command != "LOGOUT"

    def _check_selected(self) -> None:
        assert self.selected is not None
        if self.selected.mailbox.uidvalidity != self.selected.uidvalidity:
            raise _Bye("the mailbox was rebuilt (UIDVALIDITY changed): select it again")

    # ------------------------------------------------------------------ any state

    def capability(self, args: list[Token]) -> None:
        self.send(f"* CAPABILITY {' '.join(self.server.capabilities)}\r\n".encode())

    def noop(self, args: list[Token]) -> None:
        self._announce()

    def logout(self, args: list[Token]) -> str:
        self.send(b"* BYE OmniInbox sandbox IMAP logging out\r\n")
        return "LOGOUT completed"

    def login(self, args: list[Token]) -> str:
        if len(args) != 2:
            raise _Bad("LOGIN needs a user name and a password")
        user, password = (a.decode("utf-8", "replace") if isinstance(a, bytes) else a for a in args)
        if not isinstance(user, str) or not isinstance(password, str):
            raise _Bad("LOGIN needs a user name and a password")
        if not self.server.accepts(user, password):
            raise _No("[AUTHENTICATIONFAILED] Invalid credentials")
        self.user = user
        return f"[CAPABILITY {' '.join(self.server.capabilities)}] Logged in"

    def authenticate(self, args: list[Token]) -> None:
        raise _No("[CANNOT] use LOGIN")

    # ------------------------------------------------------------------ authenticated

    def _mailbox(self, token: Token) -> Mailbox:
        name = token.decode("utf-8", "replace") if isinstance(token, bytes) else token
        if not isinstance(name, str):
            raise _Bad("a mailbox name is expected")
        key = INBOX if name.upper() == INBOX else name
        box = self.store.mailboxes.get(key)
        if box is None:
            raise _No(f"[NONEXISTENT] no mailbox {name!r}")
        return box

    def list_mailboxes(self, args: list[Token]) -> None:
        self._list(args, "LIST")

    def list_subscribed(self, args: list[Token]) -> None:
        self._list(args, "LSUB")

    def _list(self, args: list[Token], what: str) -> None:
        if len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise _Bad(f"{what} needs a reference and a pattern")
        reference, pattern = str(args[0]), str(args[1])
        if pattern == "":
            self.send(f'* {what} (\\Noselect) "/" ""\r\n'.encode())
            return
        wanted = re.compile(
            "".join(".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c) for c in reference + pattern),
            re.IGNORECASE,
        )
        for box in self.store.mailboxes.values():
            if wanted.fullmatch(box.name):
                flags = " ".join(("\\HasNoChildren", *box.attributes))
                self.send(f'* {what} ({flags}) "/" {_quote(box.name).decode()}\r\n'.encode())

    def select(self, args: list[Token]) -> str:
        return self._select(args, readonly=False)

    def examine(self, args: list[Token]) -> str:
        return self._select(args, readonly=True)

    def _select(self, args: list[Token], *, readonly: bool) -> str:
        if len(args) != 1:
            raise _Bad("one mailbox name is expected")
        self.selected = None
        self.store.refresh()
        with self.store.locked():
            box = self._mailbox(args[0])
            count, validity, uidnext = len(box.messages), box.uidvalidity, box.uidnext
            unseen = next((n for n, m in enumerate(box.messages, 1) if "\\Seen" not in m.flags), 0)
        self.send(f"* FLAGS ({' '.join(FLAGS)})\r\n* {count} EXISTS\r\n* 0 RECENT\r\n".encode())
        if unseen:
            self.send(f"* OK [UNSEEN {unseen}] first unseen\r\n".encode())
        self.send(
            f"* OK [UIDVALIDITY {validity}] UIDs valid\r\n* OK [UIDNEXT {uidnext}] predicted next UID\r\n".encode()
        )
        permanent = "" if readonly else " ".join(FLAGS)
        self.send(f"* OK [PERMANENTFLAGS ({permanent})] limited\r\n".encode())
        self.selected = _Selected(box, readonly, validity, count)
        return "[READ-ONLY] EXAMINE completed" if readonly else "[READ-WRITE] SELECT completed"

    def status(self, args: list[Token]) -> None:
        if len(args) != 2 or not isinstance(args[1], list):
            raise _Bad("STATUS needs a mailbox and a list of items")
        self.store.refresh()
        with self.store.locked():
            box = self._mailbox(args[0])
            values = {
                "MESSAGES": len(box.messages),
                "RECENT": 0,
                "UIDNEXT": box.uidnext,
                "UIDVALIDITY": box.uidvalidity,
                "UNSEEN": sum(1 for m in box.messages if "\\Seen" not in m.flags),
            }
        items = []
        for item in args[1]:
            if not isinstance(item, str) or item.upper() not in values:
                raise _Bad(f"unknown STATUS item {item!r}")
            items.append(f"{item.upper()} {values[item.upper()]}")
        self.send(f"* STATUS {_quote(box.name).decode()} ({' '.join(items)})\r\n".encode())

    def append(self, args: list[Token]) -> str:
        if len(args) < 2 or not isinstance(args[-1], bytes):
            raise _Bad("APPEND needs a mailbox and a message literal")
        name = args[0]
        flags: set[str] = set()
        when: float | None = None
        for extra in args[1:-1]:
            if isinstance(extra, list):
                flags |= _flag_set(extra)
            elif isinstance(extra, str):
                when = _parse_internaldate(extra)
            else:
                raise _Bad("APPEND takes flags, a date and one message")
        raw = args[-1]
        if not raw.strip():
            raise _No("an empty message is not stored")
        try:
            box = self._mailbox(name)
        except _No:
            raise _No(f"[TRYCREATE] no mailbox {name!r}") from None
        validity, uid = self.store.append(box.name, raw, flags, when)
        if self.selected is not None and self.selected.mailbox is box:
            self._announce()
        return f"[APPENDUID {validity} {uid}] APPEND completed"

    # ------------------------------------------------------------------ selected

    def _announce(self) -> None:
        if self.selected is None:
            return
        self.store.refresh()
        self._check_selected()
        count = len(self.selected.mailbox.messages)
        if count != self.selected.known:
            self.selected.known = count
            self.send(f"* {count} EXISTS\r\n".encode())

    def check(self, args: list[Token]) -> None:
        self._announce()

    def close_mailbox(self, args: list[Token]) -> None:
        self.selected = None

    def unselect(self, args: list[Token]) -> None:
        self.selected = None

    def _visible(self) -> list[StoredMessage]:
        assert self.selected is not None
        return self.selected.mailbox.messages[: self.selected.known]

    def _matching(self, spec: Token, uid: bool) -> list[tuple[int, StoredMessage]]:
        if not isinstance(spec, str) or not _is_set(spec):
            raise _Bad(f"not a sequence set: {spec!r}")
        visible = self._visible()
        if uid:
            ranges = _parse_set(spec, visible[-1].uid if visible else 0)
            return [(n, m) for n, m in enumerate(visible, 1) if _in(ranges, m.uid)]
        ranges = _parse_set(spec, len(visible))
        return [(n, m) for n, m in enumerate(visible, 1) if _in(ranges, n)]

    def fetch(self, args: list[Token], uid: bool) -> None:
        if len(args) != 2:
            raise _Bad("FETCH needs a sequence set and items")
        items = args[1] if isinstance(args[1], list) else [args[1]]
        names: list[str] = []
        for item in items:
            if not isinstance(item, str):
                raise _Bad("FETCH items are atoms")
            upper = item.upper()
            names.extend(
                {
                    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
                    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
                    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
                }.get(upper, [item])
            )
        if uid and not any(n.upper() == "UID" for n in names):
            names.insert(0, "UID")
        plan = [_fetch_item(n) for n in names]
        readonly = self.selected is not None and self.selected.readonly
        for number, message in self._matching(args[0], uid):
            parts: list[bytes] = []
            marks = not readonly and any(p.marks_seen for p in plan) and "\\Seen" not in message.flags
            if marks:
                message.flags.add("\\Seen")
            for part in plan:
                parts.append(part.render(message))
            if marks and not any(p.name == "FLAGS" for p in plan):
                parts.append(_flags(message))
            self.send(b"* %d FETCH (" % number + b" ".join(parts) + b")\r\n")

    def search(self, args: list[Token], uid: bool) -> None:
        if len(args) >= 2 and isinstance(args[0], str) and args[0].upper() == "CHARSET":
            if not isinstance(args[1], str) or args[1].upper() not in ("UTF-8", "US-ASCII"):
                raise _No(f"[BADCHARSET (UTF-8 US-ASCII)] charset {args[1]!r} is not supported")
            args = args[2:]
        if not args:
            raise _Bad("SEARCH needs a key")
        visible = self._visible()
        tests = _search_keys(list(args), visible)
        found = [
            str(message.uid if uid else number)
            for number, message in enumerate(visible, 1)
            if all(test(number, message) for test in tests)
        ]
        self.send(("* SEARCH" + "".join(f" {f}" for f in found) + "\r\n").encode())

    def store_flags(self, args: list[Token], uid: bool) -> None:
        if len(args) != 3:
            raise _Bad("STORE needs a sequence set, an action and flags")
        action = args[1].upper() if isinstance(args[1], str) else ""
        silent = action.endswith(".SILENT")
        action = action.removesuffix(".SILENT")
        if action not in ("FLAGS", "+FLAGS", "-FLAGS"):
            raise _Bad(f"unknown STORE action {args[1]!r}")
        assert self.selected is not None
        if self.selected.readonly:
            raise _No("[READ-ONLY] the mailbox was opened with EXAMINE")
        flags = _flag_set(args[2] if isinstance(args[2], list) else [args[2]])
        for number, message in self._matching(args[0], uid):
            if action == "FLAGS":
                message.flags.clear()
                message.flags |= flags
            elif action == "+FLAGS":
                message.flags |= flags
            else:
                message.flags -= flags
            if not silent:
                shown = b" UID %d" % message.uid if uid else b""
                self.send(b"* %d FETCH (" % number + _flags(message) + shown + b")\r\n")

    _commands: dict[str, Callable[..., Any]] = {
        "CAPABILITY": capability,
        "NOOP": noop,
        "LOGOUT": logout,
        "LOGIN": login,
        "AUTHENTICATE": authenticate,
        "LIST": list_mailboxes,
        "LSUB": list_subscribed,
        "SELECT": select,
        "EXAMINE": examine,
        "STATUS": status,
        "APPEND": append,
        "CHECK": check,
        "CLOSE": close_mailbox,
        "UNSELECT": unselect,
        "FETCH": fetch,
        "SEARCH": search,
        "STORE": store_flags,
    }
    _needs = {
        "CAPABILITY": "any",
        "NOOP": "any",
        "LOGOUT": "any",
        "LOGIN": "none-auth",
        "AUTHENTICATE": "none-auth",
        "CHECK": "selected",
        "CLOSE": "selected",
        "UNSELECT": "selected",
        "FETCH": "selected",
        "SEARCH": "selected",
        "STORE": "selected",
    }


def _flag_set(tokens: list[Token]) -> set[str]:
    flags = set()
    for flag in tokens:
        known = _FLAG_NAMES.get(flag.lower()) if isinstance(flag, str) else None
        if known is None:
            raise _Bad(f"unknown flag {flag!r} (this server keeps {' '.join(FLAGS)})")
        flags.add(known)
    return flags


def _flags(message: StoredMessage) -> bytes:
    return f"FLAGS ({' '.join(sorted(message.flags))})".encode()


@dataclass(frozen=True, slots=True)
class _FetchItem:
    name: str
    marks_seen: bool
    render: Callable[[StoredMessage], bytes]


_SECTION = re.compile(r"^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$", re.IGNORECASE)


def _fetch_item(name: str) -> _FetchItem:
    upper = name.upper()
    simple: dict[str, Callable[[StoredMessage], bytes]] = {
        "UID": lambda m: b"UID %d" % m.uid,
        "FLAGS": _flags,
        "INTERNALDATE": lambda m: f'INTERNALDATE "{_internaldate(m.internaldate)}"'.encode(),
        "RFC822.SIZE": lambda m: b"RFC822.SIZE %d" % len(m.raw),
        "RFC822": lambda m: b"RFC822 " + _literal(m.raw),
        "RFC822.HEADER": lambda m: b"RFC822.HEADER " + _literal(_split(m.raw)[0]),
        "RFC822.TEXT": lambda m: b"RFC822.TEXT " + _literal(_split(m.raw)[1]),
        "ENVELOPE": lambda m: b"ENVELOPE " + _envelope(m.raw),
    }
    if upper in simple:
        return _FetchItem(upper, upper in ("RFC822", "RFC822.TEXT"), simple[upper])
    found = _SECTION.match(name)
    if found is None:
        raise _Bad(f"unsupported FETCH item {name!r}")
    peek = found.group(1).upper() == "BODY.PEEK"
    section = found.group(2).strip()
    start = int(found.group(3)) if found.group(3) else None
    length = int(found.group(4)) if found.group(4) else None
    upper_section = section.upper()
    pick: Callable[[bytes], bytes]
    if upper_section == "":
        pick = lambda raw: raw  # noqa: E731
    elif upper_section == "HEADER":
        pick = lambda raw: _split(raw)[0]  # noqa: E731
    elif upper_section == "TEXT":
        pick = lambda raw: _split(raw)[1]  # noqa: E731
    else:
        fields = re.fullmatch(r"HEADER\.FIELDS(\.NOT)?\s*\(([^)]*)\)", section, re.IGNORECASE)
        if fields is None:
            raise _Bad(f"unsupported body section [{section}]")
        names = {n.lower() for n in fields.group(2).split()}
        keep = fields.group(1) is None
        pick = lambda raw: _header_fields(_split(raw)[0], names, keep)  # noqa: E731
    label = f"BODY[{section}]" + (f"<{start}>" if start is not None else "")

    def render(message: StoredMessage) -> bytes:
        data = pick(message.raw)
        if start is not None:
            data = data[start : start + length if length is not None else None]
        return label.encode("utf-8", "surrogateescape") + b" " + _literal(data)

    return _FetchItem(label, not peek, render)


def _literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def _search_keys(tokens: list[Token], visible: list[StoredMessage]) -> list[Callable[[int, StoredMessage], bool]]:
    out = []
    while tokens:
        out.append(_search_key(tokens, visible))
    return out


def _search_key(tokens: list[Token], visible: list[StoredMessage]) -> Callable[[int, StoredMessage], bool]:
    token = tokens.pop(0)
    if isinstance(token, list):
        inner = _search_keys(list(token), visible)
        return lambda n, m: all(t(n, m) for t in inner)
    if not isinstance(token, str):
        raise _Bad("a search key is expected, not a literal")

    def string() -> str:
        if not tokens:
            raise _Bad(f"{token} needs a value")
        value = tokens.pop(0)
        if isinstance(value, list):
            raise _Bad(f"{token} needs a string")
        return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value).casefold()

    key = token.upper()
    flag_keys = {
        "SEEN": ("\\Seen", True),
        "UNSEEN": ("\\Seen", False),
        "ANSWERED": ("\\Answered", True),
        "UNANSWERED": ("\\Answered", False),
        "FLAGGED": ("\\Flagged", True),
        "UNFLAGGED": ("\\Flagged", False),
        "DELETED": ("\\Deleted", True),
        "UNDELETED": ("\\Deleted", False),
        "DRAFT": ("\\Draft", True),
        "UNDRAFT": ("\\Draft", False),
    }
    if key == "ALL":
        return lambda n, m: True
    if key in flag_keys:
        flag, present = flag_keys[key]
        return lambda n, m: (flag in m.flags) == present
    if key in ("NEW", "RECENT"):
        return lambda n, m: False
    if key == "OLD":
        return lambda n, m: True
    if key == "NOT":
        negated = _search_key(tokens, visible)
        return lambda n, m: not negated(n, m)
    if key == "OR":
        left, right = _search_key(tokens, visible), _search_key(tokens, visible)
        return lambda n, m: left(n, m) or right(n, m)
    if key == "UID":
        spec = tokens.pop(0) if tokens else ""
        if not _is_set(spec):
            raise _Bad(f"UID needs a set, not {spec!r}")
        ranges = _parse_set(str(spec), visible[-1].uid if visible else 0)
        return lambda n, m: _in(ranges, m.uid)
    if _is_set(token):
        ranges = _parse_set(token, len(visible))
        return lambda n, m: _in(ranges, n)
    if key == "HEADER":
        name = string()
        value = string()

        def has_header(n: int, m: StoredMessage) -> bool:
            found = _HEADERS_ONLY.parsebytes(m.raw).get(name)
            return found is not None and value in _decoded(str(found)).casefold()

        return has_header
    if key in ("FROM", "TO", "CC", "BCC", "SUBJECT"):
        value = string()
        header = key.capitalize()
        return lambda n, m: value in _decoded(_header_value(m.raw, header)).casefold()
    if key in ("BODY", "TEXT"):
        value = string()
        whole = key == "TEXT"
        return lambda n, m: value in _searchable(m.raw, whole)
    if key in ("LARGER", "SMALLER"):
        size = int(string())
        return (lambda n, m: len(m.raw) > size) if key == "LARGER" else (lambda n, m: len(m.raw) < size)
    if key in ("SINCE", "BEFORE", "ON"):
        day = datetime.strptime(string().strip(), "%d-%b-%Y").date()

        def on_day(n: int, m: StoredMessage) -> bool:
            arrived = datetime.fromtimestamp(m.internaldate, WIB).date()
            return arrived >= day if key == "SINCE" else arrived < day if key == "BEFORE" else arrived == day

        return on_day
    raise _Bad(f"unknown search key {token!r}")


def _searchable(raw: bytes, whole: bool) -> str:
    message = _FULL.parsebytes(raw)
    pieces: list[str] = []
    if whole:
        pieces.extend(_decoded(str(v)) for v in message.values())
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                pieces.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(pieces).casefold()


class _TrackingServer(socketserver.ThreadingTCPServer):
    """Keeps the open sessions' sockets, so that stopping the server ends them too."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[socketserver.BaseRequestHandler], host: str, port: int) -> None:
        super().__init__((host, port), handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def track(self, sock: socket.socket, opened: bool) -> None:
        with self._open_lock:
            if opened:
                self._open.add(sock)
            else:
                self._open.discard(sock)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self.shutdown()
        self.server_close()
        with self._open_lock:
            sessions = list(self._open)
        for sock in sessions:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._thread = None


class _ImapServer(_TrackingServer):
    capabilities = ("IMAP4rev1", "LITERAL+", "UIDPLUS", "UNSELECT")

    def __init__(self, store: MailStore, accepts: Callable[[str, str], bool], host: str, port: int) -> None:
        super().__init__(_ImapSession, host, port)
        self.store = store
        self.accepts = accepts


# =========================================================================== SMTP server


class _SmtpSession(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection.settimeout(IDLE_TIMEOUT)
        self.greeted = False
        self.user: str | None = None
        self.sender: str | None = None
        self.recipients: list[str] = []
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def reply(self, code: int, *lines: str) -> None:
        out = [f"{code}{'-' if n < len(lines) - 1 else ' '}{line}\r\n" for n, line in enumerate(lines)]
        self.wfile.write("".join(out).encode())

    def _line(self) -> str | None:
        line = self.rfile.readline(4096 + 2)
        if not line:
            return None
        if not line.endswith(b"\n"):
            self.reply(500, "5.5.2 line too long")
            return None
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    def handle(self) -> None:
        try:
            self.reply(220, "sandbox.sukamaju.go.id ESMTP OmniInbox sandbox")
            while True:
                line = self._line()
                if line is None:
                    return
                verb, _, rest = line.partition(" ")
                handler = self._verbs.get(verb.upper())
                if handler is None:
                    self.reply(500, f"5.5.2 command not recognized: {verb[:20]!r}")
                    continue
                if handler(self, rest.strip()) is False:
                    return
        except (OSError, ValueError) as exc:
            log.debug("sandbox SMTP session ended: %s", type(exc).__name__)

    def ehlo(self, rest: str) -> None:
        if not rest:
            self.reply(501, "5.5.4 EHLO needs a domain")
            return
        self._reset()
        self.greeted = True
        self.reply(
            250,
            f"sandbox.sukamaju.go.id greets {rest[:60]}",
            f"SIZE {MAX_MESSAGE}",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "AUTH PLAIN LOGIN",
            "HELP",
        )

    def helo(self, rest: str) -> None:
        if not rest:
            self.reply(501, "5.5.4 HELO needs a domain")
            return
        self._reset()
        self.greeted = True
        self.reply(250, "sandbox.sukamaju.go.id")

    def auth(self, rest: str) -> None:
        if not self.greeted:
            self.reply(503, "5.5.1 EHLO first")
            return
        if self.user is not None:
            self.reply(503, "5.5.1 already authenticated")
            return
        mechanism, _, initial = rest.partition(" ")
        mechanism = mechanism.upper()
        try:
            if mechanism == "PLAIN":
                answer = initial.strip() or self._challenge("")
                if answer is None:
                    return
                parts = _b64(answer).split(b"\x00")
                if len(parts) != 3:
                    raise ValueError("not an AUTH PLAIN answer")
                user, password = parts[1].decode("utf-8"), parts[2].decode("utf-8")
            elif mechanism == "LOGIN":
                first = initial.strip() or self._challenge("VXNlcm5hbWU6")
                if first is None:
                    return
                user = _b64(first).decode("utf-8")
                second = self._challenge("UGFzc3dvcmQ6")
                if second is None:
                    return
                password = _b64(second).decode("utf-8")
            else:
                self.reply(504, f"5.5.4 unknown authentication mechanism {mechanism[:20]!r}")
                return
        except (ValueError, UnicodeDecodeError, binascii.Error):
            self.reply(501, "5.5.2 cannot decode the answer")
            return
        if not self.server.accepts(user, password):
            self.reply(535, "5.7.8 Authentication credentials invalid")
            return
        self.user = user
        self.reply(235, "2.7.0 Authentication successful")

    def _challenge(self, prompt: str) -> str | None:
        self.reply(334, prompt)
        answer = self._line()
        if answer is None:
            return None
        if answer.strip() == "*":
            self.reply(501, "5.7.0 authentication cancelled")
            return None
        return answer.strip()

    def mail(self, rest: str) -> None:
        if not self.greeted:
            self.reply(503, "5.5.1 EHLO first")
            return
        if self.user is None:
            self.reply(530, "5.7.0 Authentication required")
            return
        if self.sender is not None:
            self.reply(503, "5.5.1 nested MAIL command")
            return
        found = re.fullmatch(r"FROM:\s*<([^<>]*)>(.*)", rest, re.IGNORECASE)
        if found is None:
            self.reply(501, "5.5.4 syntax: MAIL FROM:<address>")
            return
        for param in found.group(2).split():
            name, _, value = param.partition("=")
            if name.upper() == "SIZE" and value.isdigit() and int(value) > MAX_MESSAGE:
                self.reply(552, "5.3.4 message size exceeds the limit")
                return
        self.sender = found.group(1)
        self.reply(250, "2.1.0 Ok")

    def rcpt(self, rest: str) -> None:
        if self.sender is None:
            self.reply(503, "5.5.1 MAIL first")
            return
        found = re.fullmatch(r"TO:\s*<([^<>@\s]+@[^<>@\s]+)>.*", rest, re.IGNORECASE)
        if found is None:
            self.reply(501, "5.1.3 syntax: RCPT TO:<address>")
            return
        if len(self.recipients) >= 100:
            self.reply(452, "4.5.3 too many recipients")
            return
        self.recipients.append(found.group(1))
        self.reply(250, "2.1.5 Ok")

    def data(self, rest: str) -> bool:
        if not self.recipients:
            self.reply(503, "5.5.1 RCPT first")
            return True
        self.reply(354, "End data with <CR><LF>.<CR><LF>")
        lines: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(MAX_LINE)
            if not line:
                return False
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size <= MAX_MESSAGE:
                bare_lf = line.endswith(b"\n") and not line.endswith(b"\r\n")
                lines.append(line[:-1] + b"\r\n" if bare_lf else line)
        if size > MAX_MESSAGE:
            self.reply(552, "5.3.4 message size exceeds the limit")
        else:
            try:
                code, text = self.server.store.deliver(b"".join(lines))
            except Exception:
                log.exception("sandbox SMTP: could not record a message")
                code, text = 451, "4.3.0 local error, try again later"
            self.reply(code, text)
        self._reset()
        return True

    def rset(self, rest: str) -> None:
        self._reset()
        self.reply(250, "2.0.0 Ok")

    def noop(self, rest: str) -> None:
        self.reply(250, "2.0.0 Ok")

    def vrfy(self, rest: str) -> None:
        self.reply(252, "2.1.5 cannot verify, but will accept the message")

    def help_(self, rest: str) -> None:
        self.reply(214, "2.0.0 EHLO HELO AUTH MAIL RCPT DATA RSET NOOP QUIT")

    def quit_(self, rest: str) -> bool:
        self.reply(221, "2.0.0 Bye")
        return False

    def _reset(self) -> None:
        self.sender = None
        self.recipients = []

    _verbs: dict[str, Callable[..., Any]] = {
        "EHLO": ehlo,
        "HELO": helo,
        "AUTH": auth,
        "MAIL": mail,
        "RCPT": rcpt,
        "DATA": data,
        "RSET": rset,
        "NOOP": noop,
        "VRFY": vrfy,
        "HELP": help_,
        "QUIT": quit_,
    }


def _b64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class _SmtpServer(_TrackingServer):
    def __init__(self, store: MailStore, accepts: Callable[[str, str], bool], host: str, port: int) -> None:
        super().__init__(_SmtpSession, host, port)
        self.store = store
        self.accepts = accepts


# =========================================================================== the emulation


class MailServers:
    """The IMAP and SMTP servers of one mailbox, on ``host`` (loopback), ephemeral ports unless
    given. ``password`` logs in with the mailbox's address as the user name."""

    def __init__(self, player: ScenarioPlayer, *, address: str, password: str, host: str = "127.0.0.1",
                 imap_port: int = 0, smtp_port: int = 0) -> None:  # fmt: skip
        self.address = address
        self._password = password
        self.store = MailStore(player, address)
        self.imap = _ImapServer(self.store, self._accepts, host, imap_port)
        self.smtp = _SmtpServer(self.store, self._accepts, host, smtp_port)
        self.host = host

    def _accepts(self, user: str, password: str) -> bool:
        return user.lower() == self.address.lower() and password == self._password

    def start(self) -> MailServers:
        self.imap.start("sandbox-imap")
        self.smtp.start("sandbox-smtp")
        return self

    def stop(self) -> None:
        self.imap.stop()
        self.smtp.stop()

    def settings(self) -> dict[str, str]:
        """The account settings of ``omniinbox accounts add email``."""
        return {
            "address": self.address,
            "imap_host": self.host,
            "imap_port": str(self.imap.port),
            "imap_security": "none",
            "smtp_host": self.host,
            "smtp_port": str(self.smtp.port),
            "smtp_security": "none",
            "folders": f"{INBOX},{SENT}",
            "sent_folder": SENT,
        }


def emulate(player: ScenarioPlayer) -> Emulation:
    """The mail servers, started, and the sandbox account that connects to them."""
    account = next(iter(player.accounts("email")), None)
    address = account.handle if account is not None else DEFAULT_ADDRESS
    password = new_token()
    servers = MailServers(player, address=address, password=password).start()
    return Emulation(
        None,
        lambda url: [
            SandboxAccount(
                "email",
                f"email:{address}",
                "Kotak masuk layanan (sandbox)",
                "",
                password,
                servers.settings(),
            )
        ],
        servers.stop,
    )
