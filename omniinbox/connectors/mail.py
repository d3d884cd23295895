"""Email: turn RFC 5322 / MIME messages into :class:`core.Item` records and read mail sources.

No Qt, no database, no network. Two entry points:

* :func:`parse_message` decodes one message (bytes) into an ``Item``: plain-text body, decoded
  subject and sender, a UTC ``created_at`` and the threading ids (``parent_id`` from
  ``In-Reply-To``/``References``, ``conversation_id`` = the thread's root Message-ID).
* :func:`iter_mail_source` streams the messages of a single ``.eml`` file, an mbox file or a
  Maildir directory as :class:`MailEntry` values (a locator plus the raw bytes).

Parsing uses the ``email`` package with the ``compat32`` policy, which is faster than
``policy.default`` and keeps raw 8-bit header bytes recoverable (they come back as surrogate
escapes). Headers are decoded here, by hand: RFC 2047 encoded words (any codec Python knows,
utf-7 included), then raw 8-bit bytes as UTF-8, the part's charset, cp1252 and finally Latin-1,
so a header never comes out with U+FFFD. Bodies: ``text/plain`` is preferred inside
``multipart/alternative``; HTML is converted to text; ``multipart/related`` is walked into;
enclosed messages (``message/rfc822``, ``multipart/digest``) contribute their readable text;
everything else (images, TNEF ``winmail.dat``, ...) is listed as ``[attachment: name]``.
"""

from __future__ import annotations

import binascii
import codecs
import errno
import functools
import hashlib
import os
import re
import warnings
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import utils as email_utils
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from omniinbox import core

__all__ = [
    "EPOCH",
    "MailEntry",
    "MailParseError",
    "envelope_time",
    "format_message_ids",
    "html_to_text",
    "iter_mail_source",
    "parse_entry",
    "parse_message",
    "parse_message_ids",
    "references_chain",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""``created_at`` of a message without a usable date when the caller gives no ``default_time``."""

_MAX_DEPTH = 30  # MIME nesting deeper than this is not followed (hostile or broken input)
_REFERENCES_LIMIT = 20


class MailParseError(ValueError):
    """A message or a mail source could not be read. The message says what and why."""


# =========================================================================== charsets


_CHARSET_ALIASES = {
    # superset codecs: mail clients label GBK/GB18030 text "gb2312", cp949 text "euc-kr"...
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-8-i": "iso8859-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "ansi_x3.4-1968": "ascii",
}
# Codecs Python accepts for bytes.decode but which are not charsets a mail can declare.
_NOT_CHARSETS = frozenset({"unicode_escape", "raw_unicode_escape", "undefined", "idna", "punycode", "mbcs", "oem"})
_LATIN1 = "latin-1"


@functools.lru_cache(maxsize=256)
def _codec(name: str | None) -> str | None:
    """The Python codec for a declared MIME charset name, or None when it is unknown or unusable."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    label = _CHARSET_ALIASES.get(label, label)
    if not label or label in ("unknown-8bit", "x-unknown", "unknown", "default", "8bit"):
        return None
    try:
        info = codecs.lookup(label)
        b"".decode(info.name)  # LookupError for bytes-to-bytes codecs such as base64
    except (LookupError, ValueError, TypeError):
        return None
    if info.name in _NOT_CHARSETS:
        return None
    return info.name


def _is_latin1_family(codec: str | None) -> bool:
    return codec in ("latin-1", "iso8859-1", "cp1252", "ascii")


def _decode_strict(data: bytes, candidates: tuple[str | None, ...]) -> str | None:
    seen: set[str] = set()
    for name in candidates:
        if not name or name in seen:
            continue
        seen.add(name)
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _header_text(data: bytes, first: str | None = None, hint: str | None = None) -> str:
    """Decode header bytes without ever producing U+FFFD: declared charset, UTF-8, the part's
    charset, cp1252, then Latin-1 (which cannot fail)."""
    if not first and data.isascii():
        return data.decode("ascii")
    first_codec = _codec(first)
    if _is_latin1_family(first_codec):
        first_codec = "cp1252"
    decoded = _decode_strict(data, (first_codec, "utf-8", _codec(hint), "cp1252"))
    return decoded if decoded is not None else data.decode(_LATIN1)


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported on demand: only hard cases need it

    try:
        best = from_bytes(data[:262144]).best()
    except Exception:  # a detector bug must not stop an import
        return None
    if best is None or best.encoding is None:
        return None
    try:
        return data.decode(best.encoding, "replace")
    except LookupError:
        return None


def _body_text(data: bytes, declared: str | None) -> str:
    """Decode a text body: the declared charset, UTF-8, charset detection, then UTF-8 with
    replacement characters."""
    codec = _codec(declared)
    if codec == "ascii":
        candidates: tuple[str | None, ...] = ("utf-8",)
    elif _is_latin1_family(codec):
        candidates = ("cp1252", _LATIN1)  # cp1252 is what "iso-8859-1" mail really is
    else:
        candidates = (codec, "utf-8")
    text = _decode_strict(data, candidates)
    if text is not None:
        return text
    detected = _detect(data)
    if detected is not None:
        return detected
    return data.decode(codec or "utf-8", "replace")


def _as_bytes(value: str) -> bytes:
    """Header or payload text from the bytes parser back to its bytes (surrogate escapes)."""
    return value.encode("utf-8", "surrogateescape")


# =========================================================================== headers

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_NEWLINES = re.compile(rb"[\r\n]+")


def _unfold(data: bytes) -> bytes:
    return _NEWLINES.sub(b" ", _FOLD.sub(b"", data))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _decode_word(encoding: bytes, payload: bytes) -> bytes | None:
    if encoding in (b"Q", b"q"):
        return binascii.a2b_qp(payload, header=True)
    payload = payload.strip()
    try:
        return binascii.a2b_base64(payload + b"=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        try:
            return binascii.a2b_base64(payload[: len(payload) // 4 * 4])
        except (binascii.Error, ValueError):
            return None


def _decode_header(data: bytes, hint: str | None = None) -> str:
    """Decode a header value: RFC 2047 encoded words and raw 8-bit bytes. Not collapsed."""
    data = _unfold(data)
    if b"=?" not in data:
        return _header_text(data, None, hint)
    pieces: list[tuple[bytes, str | None]] = []  # (bytes, charset) ; charset None = plain text
    pos = 0
    for match in _ENCODED_WORD.finditer(data):
        gap = data[pos : match.start()]
        pos = match.end()
        previous_encoded = bool(pieces) and pieces[-1][1] is not None
        if gap and not (previous_encoded and gap.isspace()):
            pieces.append((gap, None))
        decoded = _decode_word(match.group(2), match.group(3))
        if decoded is None:
            pieces.append((match.group(0), None))
            continue
        charset = match.group(1).decode("ascii", "replace").split("*", 1)[0].lower()
        if pieces and pieces[-1][1] == charset:  # adjacent words: a character may span both
            pieces[-1] = (pieces[-1][0] + decoded, charset)
        else:
            pieces.append((decoded, charset))
    if pos < len(data):
        pieces.append((data[pos:], None))
    return "".join(_header_text(chunk, charset, hint) for chunk, charset in pieces)


def _header(data: bytes, hint: str | None = None) -> str:
    return _collapse(_decode_header(data, hint))


_CJK_NAME = re.compile(r"^[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\s·]+$")


def _repair_mojibake(name: str) -> str:
    """Undo a display name decoded with the wrong charset and re-saved (double encoding).

    ``"JosÃ©"`` (UTF-8 read as Latin-1) becomes ``"José"``; the GBK bytes of ``"袁聪"`` read as
    Latin-1 become ``"袁聪"`` again. Names that are not clearly mojibake are returned unchanged.
    """
    if not name or name.isascii():
        return name
    try:
        data = name.encode(_LATIN1)
    except UnicodeEncodeError:
        try:
            data = name.encode("cp1252")
        except UnicodeEncodeError:
            return name
    try:
        fixed = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if fixed != name:
            return fixed
    compact = data.replace(b" ", b"")
    if compact and all(byte >= 0x80 for byte in compact) and len(compact) % 2 == 0:
        for codec in ("gb18030", "big5hkscs", "cp932", "cp949"):
            try:
                fixed = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if _CJK_NAME.match(fixed):
                return fixed
    return name


# "andy at example.com" as pipermail archives write it
_PIPERMAIL_ADDRESS = re.compile(
    r"(?<![^\s<(\"',;:])([^\s@<>()\"',;:]+) at ((?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,})(?=$|[\s>),;])"
)


_SIMPLE_ADDRESS = re.compile(
    r'^\s*(?:(?:"(?P<qname>[^"\\<>]*)"|(?P<name>[^"<>,()@\\;:]*?))\s*<(?P<addr>[^<>\s,"()\\]+)>'
    r'|(?P<bare>[^<>\s,"()\\]+@[^<>\s,"()\\]+)(?:\s+\((?P<comment>[^()"\\]*)\))?)\s*$'
)  # "Name" <a@b>, Name <a@b>, a@b, a@b (Name)


def _addresses(data: bytes, hint: str | None = None) -> list[tuple[str, str]]:
    """``(display name, address)`` pairs of an address header, decoded."""
    text = _unfold(data).decode(_LATIN1)  # byte-transparent, so the raw bytes survive parsing
    if "@" not in text and " at " in text:
        text = _PIPERMAIL_ADDRESS.sub(r"\1@\2", text)
    simple = _SIMPLE_ADDRESS.match(text)
    if simple:  # fast path for the common single-address forms
        found = simple.groupdict()
        name = found["qname"] or found["name"] or found["comment"] or ""
        pairs = [(name, found["addr"] or found["bare"])]
    else:
        pairs = email_utils.getaddresses([text])
    result: list[tuple[str, str]] = []
    for name, address in pairs:
        name_text = _repair_mojibake(_header(name.encode(_LATIN1), hint))
        address_text = _collapse(_header_text(address.encode(_LATIN1), None, hint))
        if name_text or address_text:
            result.append((name_text, address_text))
    return result


def _format_addresses(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} <{address}>" if name and address else name or address for name, address in pairs)


_MSGID_BRACKETED = re.compile(r"<([^<>]*)>")


def parse_message_ids(value: str) -> list[str]:
    """The message ids in a ``Message-ID``, ``In-Reply-To`` or ``References`` value, in order,
    without angle brackets. Tolerates comments, missing brackets and folded ids."""
    ids = ["".join(m.split()) for m in _MSGID_BRACKETED.findall(value)]
    ids = [i for i in ids if i]
    if ids:
        return ids
    tokens = [t.strip("<>,;\"'") for t in value.replace(",", " ").split()]
    with_at = [t for t in tokens if "@" in t]
    return with_at or [t for t in tokens[:1] if t]


def format_message_ids(ids: Collection[str]) -> str:
    """``"<a> <b>"``: the form of an ``In-Reply-To`` or ``References`` header value."""
    return " ".join(f"<{i}>" for i in ids)


def references_chain(headers: Mapping[str, Any], *, limit: int = _REFERENCES_LIMIT) -> tuple[str, ...]:
    """Message ids for the ``References`` header of a reply to the message with these headers.

    ``headers`` is ``Item.raw["headers"]`` from :func:`parse_message` (lower-case names). The
    chain is the parent's ``References`` (or, lacking them, its ``In-Reply-To``) followed by the
    parent's ``Message-ID`` (RFC 5322 section 3.6.4). Duplicates are dropped; a chain longer than
    ``limit`` keeps the root and the most recent ids. The reply's ``In-Reply-To`` is the last id.
    """
    parent_refs = parse_message_ids(str(headers.get("references") or ""))
    if not parent_refs:
        parent_refs = parse_message_ids(str(headers.get("in-reply-to") or ""))[:1]
    own = parse_message_ids(str(headers.get("message-id") or ""))[:1]
    chain: list[str] = []
    seen: set[str] = set()
    for msgid in [*parent_refs, *own]:
        if msgid not in seen:
            seen.add(msgid)
            chain.append(msgid)
    if limit > 1 and len(chain) > limit:
        chain = chain[:1] + chain[-(limit - 1) :]
    return tuple(chain)


# =========================================================================== dates

_DATE_FRAGMENT = re.compile(
    r"\d{1,2}\s+[A-Za-z]{3}\w*\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}))?"
)
_HAS_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# Zone names that parsedate does not know and would silently read as UTC (Indonesian local zones).
_ZONE_NAMES = {"WIB": "+0700", "WITA": "+0800", "WIT": "+0900"}
_ZONE_NAME = re.compile(r"\b(WIB|WITA|WIT)\b")


def _parse_date(value: str) -> datetime | None:
    value = _collapse(value)
    if not value:
        return None
    if "WI" in value:
        value = _ZONE_NAME.sub(lambda m: _ZONE_NAMES[m.group(1)], value)
    parsed: datetime | None = None
    try:
        parsed = email_utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        match = _DATE_FRAGMENT.search(value)
        if match:
            try:
                parsed = email_utils.parsedate_to_datetime(match.group(0))
            except (TypeError, ValueError, IndexError, OverflowError):
                parsed = None
    if parsed is None and _HAS_YEAR.search(value):
        from dateutil import parser as date_parser

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # UnknownTimezoneWarning for odd zone names
                parsed = date_parser.parse(value, fuzzy=True, default=datetime(2000, 1, 1))
        except (ValueError, OverflowError, TypeError):
            parsed = None
    if parsed is None:
        return None
    try:
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if not 1970 <= parsed.year <= 2100:
        return None
    return parsed


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_ENVELOPE_DATE = re.compile(
    r"([A-Z][a-z]{2})\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}:\d{2}:\d{2})\s+(?:([+-]\d{4})\s+)?(\d{4})"
)


def envelope_time(envelope: str) -> datetime | None:
    """The date of an mbox ``From `` line (``"andy at example.com  Sat Nov 14 21:29:28 2015"``),
    in UTC (the line has no zone unless one is written; it is taken as UTC), or None."""
    matches = list(_ENVELOPE_DATE.finditer(envelope))
    if not matches:
        return None
    weekday, month, day, clock, zone, year = matches[-1].groups()
    return _parse_date(f"{weekday}, {day} {month} {year} {clock} {zone or '+0000'}")


# =========================================================================== HTML


class _HTMLText(HTMLParser):
    _SKIP = frozenset({"script", "style", "title", "noscript", "template"})
    _PARAGRAPH = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "ul", "ol", "dl", "pre", "hr"}
    )
    _LINE = frozenset(
        {
            "br",
            "div",
            "tr",
            "dt",
            "dd",
            "section",
            "article",
            "header",
            "footer",
            "address",
            "center",
            "form",
            "fieldset",
            "caption",
            "body",
            "html",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
            return
        if tag == "pre":
            self._pre += 1
        if tag in self._PARAGRAPH:
            self.parts.append("\n\n")
        elif tag in self._LINE:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            if self._skip:
                self._skip -= 1
            return
        if tag == "pre" and self._pre:
            self._pre -= 1
        if tag in self._PARAGRAPH:
            self.parts.append("\n\n")
        elif tag in self._LINE and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            self.parts.append(data)
        else:
            self.parts.append(_HTML_SPACE.sub(" ", data))


_HTML_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML body: tags, scripts and styles dropped, entities decoded,
    paragraph and line breaks kept, runs of blank lines collapsed."""
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # HTMLParser can assert on pathological input; fall back to a crude strip
        import html

        text = html.unescape(_TAG.sub(" ", markup))
    text = text.replace("\xa0", " ").replace("\u200b", "")
    lines = [" ".join(line.split()) if line.strip() else "" for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# =========================================================================== MIME bodies

_PARSER = BytesParser(policy=compat32)
_BODY_SUBTYPES = frozenset({"plain", "html", "enriched", "richtext", "markdown", "x-markdown"})
_SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOUNDARY_LINE = re.compile(rb"^--([^\s\"]{1,200})[ \t]*\r?$", re.MULTILINE)


@dataclass(slots=True)
class _Body:
    texts: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)
    charsets: list[str] = field(default_factory=list)

    def merge(self, other: _Body) -> None:
        self.texts.extend(other.texts)
        self.attachments.extend(other.attachments)
        self.inline.extend(other.inline)
        self.charsets.extend(other.charsets)

    def has_text(self) -> bool:
        return any(t.strip() for t in self.texts)


def _charset_of(part: Message) -> str | None:
    try:
        charset = part.get_content_charset()
    except Exception:
        return None
    return charset if isinstance(charset, str) and charset else None


def _filename_of(part: Message) -> str:
    """The attachment's file name, decoded (RFC 2231, RFC 2047 words or raw 8-bit bytes)."""
    charset = _charset_of(part)
    raw_8bit = False
    source: Message = part
    try:
        params = [
            (header_name, header_value)
            for header_name, header_value in part.raw_items()
            if str(header_name).lower() in ("content-disposition", "content-type")
        ]
        if any(not str(header_value).isascii() for _, header_value in params):
            # compat32 would turn raw 8-bit bytes into U+FFFD; hand it Latin-1 text instead
            raw_8bit = True
            source = Message()
            for header_name, header_value in params:
                source[str(header_name)] = _as_bytes(str(header_value)).decode(_LATIN1)
        name = source.get_filename()
    except Exception:
        name = None
    if not name:
        return ""
    text = str(name)
    if raw_8bit:
        try:
            decoded = _header(text.encode(_LATIN1), charset)
        except UnicodeEncodeError:  # already decoded from an RFC 2231 charset
            decoded = _collapse(text)
    else:
        decoded = _header(_as_bytes(text), charset)
    return re.split(r"[\\/]", decoded)[-1].strip()


def _disposition_of(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:
        return ""


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return _as_bytes(payload)
    return b""


def _walk(part: Message, out: _Body, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    ctype = part.get_content_type()
    maintype, _, subtype = ctype.partition("/")
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if maintype == "message":
            if subtype == "delivery-status":
                _delivery_status(children, out)
            else:
                for child in children:
                    _enclosed(child, out, depth + 1)
        elif subtype == "alternative":
            _alternative(children, out, depth)
        elif subtype == "related":
            _related(part, children, out, depth)
        elif subtype == "signed":
            for child in children:
                if child.get_content_type() not in _SIGNATURE_TYPES:
                    _walk(child, out, depth + 1)
        else:  # mixed, digest, report, parallel, encrypted and unknown subtypes
            for child in children:
                _walk(child, out, depth + 1)
        return
    if maintype == "multipart":
        _salvage_multipart(part, out, depth)
        return
    _leaf(part, maintype, subtype, out)


def _leaf(part: Message, maintype: str, subtype: str, out: _Body) -> None:
    charset = _charset_of(part)
    if charset:
        out.charsets.append(charset)
    disposition = _disposition_of(part)
    if maintype == "text" and subtype in _BODY_SUBTYPES and disposition != "attachment":
        data = _payload_bytes(part)
        if subtype == "html" and not charset:
            meta = _META_CHARSET.search(data[:4096])
            if meta:
                charset = meta.group(1).decode("ascii", "replace")
        text = _body_text(data, charset)
        if subtype == "html":
            text = html_to_text(text)
        out.texts.append(text)
        return
    if f"{maintype}/{subtype}" in _SIGNATURE_TYPES:
        return
    out.attachments.append(_filename_of(part) or f"{maintype}/{subtype}")


def _alternative(children: list[Message], out: _Body, depth: int) -> None:
    for child in children:
        if child.get_content_type() == "text/plain" and _disposition_of(child) != "attachment":
            sub = _Body()
            _walk(child, sub, depth + 1)
            if sub.has_text():
                out.merge(sub)
                return
    fallback: _Body | None = None
    for child in reversed(children):  # the last alternative is the richest
        sub = _Body()
        _walk(child, sub, depth + 1)
        if sub.has_text():
            out.merge(sub)
            return
        fallback = fallback or sub
    if fallback is not None:
        out.merge(fallback)


def _related(part: Message, children: list[Message], out: _Body, depth: int) -> None:
    if not children:
        return
    root = children[0]
    start = part.get_param("start")
    if isinstance(start, str) and start.strip():
        wanted = start.strip().strip("<>")
        for child in children:
            if str(child.get("Content-ID", "")).strip().strip("<>") == wanted:
                root = child
                break
    _walk(root, out, depth + 1)
    for child in children:
        if child is root:
            continue
        if _disposition_of(child) == "attachment":
            _walk(child, out, depth + 1)
        else:  # an inline resource the HTML refers to (cid:), not something to read
            out.inline.append(_filename_of(child) or child.get_content_type())


def _enclosed(message: Message, out: _Body, depth: int) -> None:
    sub = _Body()
    _walk(message, sub, depth)
    headers = _first_headers(message)
    hint = _header_hint(sub.charsets)
    lines = ["---------- enclosed message ----------"]
    for label, key in (("From", "from"), ("Date", "date"), ("Subject", "subject")):
        value = headers.get(key)
        if value is not None:
            decoded = _format_addresses(_addresses(value, hint)) if key == "from" else _header(value, hint)
            if decoded:
                lines.append(f"{label}: {decoded}")
    body = "\n\n".join(t for t in (_clean_text(t) for t in sub.texts) if t)
    out.texts.append("\n".join(lines) + ("\n\n" + body if body else ""))
    out.attachments.extend(sub.attachments)
    out.inline.extend(sub.inline)
    out.charsets.extend(sub.charsets)


def _delivery_status(blocks: list[Message], out: _Body) -> None:
    lines = [f"{name}: {_header(_as_bytes(str(value)))}" for block in blocks for name, value in block.raw_items()]
    if lines:
        out.texts.append("\n".join(lines))


def _salvage_multipart(part: Message, out: _Body, depth: int) -> None:
    """A multipart whose boundary is missing or wrong: find the boundary in the body, else read
    the body as plain text."""
    data = _payload_bytes(part)
    match = _BOUNDARY_LINE.search(data)
    if match and depth < _MAX_DEPTH:
        rebuilt = b"Content-Type: " + part.get_content_type().encode() + b'; boundary="'
        rebuilt += match.group(1) + b'"\n\n' + data
        reparsed = _PARSER.parsebytes(rebuilt)
        if reparsed.is_multipart():
            _walk(reparsed, out, depth + 1)
            return
    charset = _charset_of(part)
    out.texts.append(_body_text(data, charset))


def _header_hint(charsets: list[str]) -> str | None:
    for charset in charsets:
        codec = _codec(charset)
        if codec and codec not in ("utf-8", "ascii"):
            return codec
    return None


_TEXT_NEWLINES = re.compile(r"\r\n?")


def _clean_text(text: str) -> str:
    text = _TEXT_NEWLINES.sub("\n", text).replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


# =========================================================================== messages

_WANTED_HEADERS = frozenset(
    {
        "message-id",
        "from",
        "sender",
        "reply-to",
        "return-path",
        "to",
        "cc",
        "date",
        "subject",
        "in-reply-to",
        "references",
        "received",
    }
)


def _first_headers(message: Message) -> dict[str, bytes]:
    """First occurrence of each header we use, as raw bytes (m0010 repeats ``From`` in its
    headers; the first one is the real one)."""
    found: dict[str, bytes] = {}
    for name, value in message.raw_items():
        key = str(name).strip().lower()
        if key in _WANTED_HEADERS and key not in found:
            found[key] = _as_bytes(str(value))
    return found


def _stable_id(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:32]


def parse_message(
    raw: bytes,
    *,
    fallback_id: str | None = None,
    default_time: datetime | None = None,
    own_addresses: Collection[str] = (),
) -> core.Item:
    """Decode one RFC 5322 message into an :class:`core.Item` (``kind=EMAIL``, private).

    * ``external_id``: the Message-ID without angle brackets; when it is missing or empty,
      ``fallback_id``, else ``"sha256:<32 hex>"`` of ``raw`` (stable across re-imports).
    * ``created_at``: the ``Date`` header in UTC; when it is missing or unreadable, the newest
      ``Received`` date, then ``default_time`` (made UTC), then :data:`EPOCH`.
    * ``parent_id``: the last ``In-Reply-To`` id (else the last ``References`` id);
      ``conversation_id``: the first ``References`` id, else ``In-Reply-To``, else its own id.
    * ``direction``: ``OUTBOUND`` when the sender's address is in ``own_addresses``.
    * ``raw``: evidence only, ``{"headers": {...decoded...}, "attachments": [...], "size": n}``.

    Raises :class:`MailParseError` when ``raw`` is not bytes, is empty or has no header at all.
    Everything else (bad charsets, broken MIME, odd dates) is decoded on a best-effort basis.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MailParseError(f"mail message must be bytes, not {type(raw).__name__}")
    data = bytes(raw)
    if not data.strip():
        raise MailParseError("empty mail message: no headers and no body")
    try:
        message = _PARSER.parsebytes(data)
    except Exception as exc:  # the feed parser is lenient; this is a last line of defence
        raise MailParseError(f"cannot parse mail message ({len(data)} bytes): {exc}") from exc
    if not message.keys():
        first_line = data.lstrip().split(b"\n", 1)[0][:60].decode("utf-8", "replace")
        raise MailParseError(f"not a mail message: no RFC 5322 header found (starts with {first_line!r})")
    headers = _first_headers(message)

    body = _Body()
    try:
        _walk(message, body, 0)
    except Exception:  # never lose a message to a MIME oddity: fall back to the raw body text
        body = _Body(texts=[_body_text(_payload_bytes(message) if not message.is_multipart() else b"", None)])
    hint = _header_hint([c for c in (_charset_of(message),) if c] + body.charsets)

    subject = _header(headers.get("subject", b""), hint)
    parsed: dict[str, list[tuple[str, str]]] = {}
    senders: list[tuple[str, str]] = []
    for key in ("from", "sender", "reply-to", "return-path"):
        if key in headers:
            parsed[key] = _addresses(headers[key], hint)
            senders = [(n, a) for n, a in parsed[key] if a]
            if senders:
                break
    author: core.Author | None = None
    if senders:
        name, address = senders[0]
        author = core.Author(external_id=address.lower(), name=name, handle=address, email=address)

    own_ids = parse_message_ids(_header_text(_unfold(headers.get("message-id", b""))))
    external_id = own_ids[0] if own_ids else (fallback_id or _stable_id(data))
    in_reply_to = parse_message_ids(_header_text(_unfold(headers.get("in-reply-to", b""))))
    references = parse_message_ids(_header_text(_unfold(headers.get("references", b""))))
    parent_id = in_reply_to[-1] if in_reply_to else (references[-1] if references else None)
    if parent_id == external_id:
        parent_id = None
    if references:
        conversation_id = references[0]
    elif in_reply_to:
        conversation_id = in_reply_to[0]
    else:
        conversation_id = external_id

    date_text = _header(headers.get("date", b""))
    created_at = _parse_date(date_text)
    date_source = "date"
    if created_at is None and "received" in headers:
        received = _header(headers["received"])
        created_at = _parse_date(received.rsplit(";", 1)[-1]) if ";" in received else None
        date_source = "received"
    if created_at is None:
        created_at = _aware_utc(default_time) if default_time is not None else EPOCH
        date_source = "default"

    texts = [t for t in (_clean_text(t) for t in body.texts) if t]
    text = "\n\n".join(texts)
    if body.attachments:
        markers = "\n".join(f"[attachment: {name}]" for name in body.attachments)
        text = f"{text}\n\n{markers}" if text else markers

    direction = core.Direction.INBOUND
    if author is not None and own_addresses:
        own = {a.strip().lower() for a in own_addresses}
        if author.external_id in own:
            direction = core.Direction.OUTBOUND

    evidence_headers: dict[str, str] = {}
    for key in ("message-id", "from", "reply-to", "to", "cc", "date", "subject", "in-reply-to", "references"):
        value = headers.get(key)
        if value is None:
            continue
        if key in ("from", "reply-to", "to", "cc"):
            pairs = parsed[key] if key in parsed else _addresses(value, hint)
            evidence_headers[key] = _format_addresses(pairs) or _header(value, hint)
        elif key == "subject":
            evidence_headers[key] = subject
        else:
            evidence_headers[key] = _header(value, hint)
    evidence: dict[str, Any] = {
        "headers": evidence_headers,
        "attachments": list(body.attachments),
        "size": len(data),
    }
    if body.inline:
        evidence["inline"] = list(body.inline)
    if date_source != "date":
        evidence["date_source"] = date_source

    return core.Item(
        external_id=external_id,
        kind=core.ItemKind.EMAIL,
        text=text,
        conversation_id=conversation_id,
        created_at=created_at,
        author=author,
        direction=direction,
        subject=subject,
        parent_id=parent_id,
        visibility=core.Visibility.PRIVATE,
        raw=evidence,
    )


# =========================================================================== mail sources


@dataclass(frozen=True, slots=True)
class MailEntry:
    """One message of a mail source.

    ``locator`` says where it came from: the file path of a single message, ``"name.mbox#17"``
    (1-based position in an mbox) or ``"Maildir/cur/<file>"``. ``raw`` is the message's bytes
    (without the mbox ``From `` line, ``>From`` lines unescaped). ``envelope`` is the mbox
    ``From `` line after ``"From "`` (empty elsewhere); :func:`envelope_time` reads its date.
    """

    locator: str
    raw: bytes
    envelope: str = ""


def parse_entry(
    entry: MailEntry,
    *,
    default_time: datetime | None = None,
    own_addresses: Collection[str] = (),
) -> core.Item:
    """:func:`parse_message` for a :class:`MailEntry`; the mbox envelope date is used before
    ``default_time`` when the message has no usable date."""
    fallback_time = envelope_time(entry.envelope) if entry.envelope else None
    return parse_message(
        entry.raw,
        default_time=fallback_time or default_time,
        own_addresses=own_addresses,
    )


_FROM_LINE = re.compile(rb"From \S.*\d{1,2}:\d{2}.*\d{4}")
_ESCAPED_FROM = re.compile(rb">+From ")
_BLANK = (b"\n", b"\r\n", b"\r")


def iter_mail_source(path: Path | str) -> Iterator[MailEntry]:
    """Stream the messages of a mail source: one message file (``.eml`` or any name), an mbox
    file, or a Maildir directory (``cur/`` and ``new/``, Maildir++ sub-folders included).

    The format is recognised from the content, not the extension: a file whose first line starts
    with ``From `` is an mbox. The path is checked now; the messages are read lazily (an mbox is
    read line by line, so its size does not matter).

    Raises ``FileNotFoundError`` for a missing path and :class:`MailParseError` for a path that
    cannot be read or a directory that is not a Maildir; both name the path.
    """
    source = Path(path)
    try:
        is_dir = source.is_dir()
        exists = is_dir or source.exists()
    except OSError as exc:
        raise MailParseError(f"cannot read mail source {source}: {exc.strerror or exc}") from exc
    if not exists:
        raise FileNotFoundError(errno.ENOENT, "mail source not found", str(source))
    if is_dir:
        if not _is_maildir(source):
            raise MailParseError(
                f"mail source {source} is a directory but not a Maildir (no cur/ or new/ folder in it)"
            )
        return _iter_maildir(source, source.name)
    try:
        with source.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise MailParseError(f"cannot read mail source {source}: {exc.strerror or exc}") from exc
    if not head.strip():
        raise MailParseError(f"mail source {source} is empty")
    if head.lstrip(b"\r\n").startswith(b"From "):
        return _iter_mbox(source)
    return _iter_single(source)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() or (path / "new").is_dir()


def _iter_single(path: Path) -> Iterator[MailEntry]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MailParseError(f"cannot read mail file {path}: {exc.strerror or exc}") from exc
    if data.strip():
        yield MailEntry(locator=str(path), raw=data)


def _iter_maildir(root: Path, prefix: str) -> Iterator[MailEntry]:
    for folder in ("cur", "new"):
        directory = root / folder
        if not directory.is_dir():
            continue
        with os.scandir(directory) as scan:
            names = sorted(e.name for e in scan if not e.name.startswith(".") and e.is_file())
        for name in names:
            try:
                data = (directory / name).read_bytes()
            except FileNotFoundError:  # moved by a mail client (new/ -> cur/) while we read
                continue
            except OSError as exc:
                raise MailParseError(f"cannot read mail file {directory / name}: {exc.strerror or exc}") from exc
            if data.strip():
                yield MailEntry(locator=f"{prefix}/{folder}/{name}", raw=data)
    with os.scandir(root) as scan:  # Maildir++: .Sent, .Archive.2025 ...
        subfolders = sorted(e.name for e in scan if e.name.startswith(".") and e.name not in (".", ".."))
    for name in subfolders:
        child = root / name
        if child.is_dir() and _is_maildir(child):
            yield from _iter_maildir(child, f"{prefix}/{name}")


def _iter_mbox(path: Path) -> Iterator[MailEntry]:
    """Split an mbox on ``From `` lines that begin the file or follow a blank line (mboxrd
    unescaping). When the first separator carries a date, later ones must carry one too, so a
    body line such as ``From here on...`` after a blank line does not split a message."""
    name = path.name
    index = 0
    envelope = b""
    lines: list[bytes] = []
    started = False
    strict = False
    previous_blank = True
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise MailParseError(f"cannot read mbox {path}: {exc.strerror or exc}") from exc
    with handle:
        for line in handle:
            if line.startswith(b"From ") and previous_blank and (not strict or _FROM_LINE.match(line)):
                if started:
                    entry = _mbox_entry(name, index, envelope, lines)
                    if entry is not None:
                        yield entry
                else:
                    started = True
                    strict = _FROM_LINE.match(line) is not None
                index += 1
                envelope = line[5:].rstrip(b"\r\n")
                lines = []
                previous_blank = False
                continue
            previous_blank = line in _BLANK
            if not started:
                continue  # blank lines before the first separator
            if line.startswith(b">") and _ESCAPED_FROM.match(line):
                line = line[1:]
            lines.append(line)
    if started:
        entry = _mbox_entry(name, index, envelope, lines)
        if entry is not None:
            yield entry


def _mbox_entry(name: str, index: int, envelope: bytes, lines: list[bytes]) -> MailEntry | None:
    if lines and lines[-1] in _BLANK:
        lines = lines[:-1]  # the blank line that separates messages
    data = b"".join(lines)
    if not data.strip():
        return None
    return MailEntry(locator=f"{name}#{index}", raw=data, envelope=_header_text(envelope))
