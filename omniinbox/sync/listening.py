"""Importing the exports of social listening tools (CSV or JSONL) as items of the platform each
row names.

Institutions that cannot afford a platform's API watch it with a listening tool and export what
it found. Each row becomes a mention (``ItemKind.MENTION``, its own conversation) of an account
per platform, created on first use and marked ``{"source": "listening"}`` so the outbox refuses
replies through it:

* ``listening:x``, ``listening:facebook``, ``listening:instagram``, ``listening:youtube`` (and any
  other platform that is a :class:`~omniinbox.core.Channel`) on that channel, so the items sit
  beside the platform's own and filter with them;
* ``listening:tiktok``, ``listening:news`` ... for platforms without a channel, on the
  ``listening`` channel; rows naming no platform, whose link names no known site, go to
  ``listening:other``.

One account per platform rather than one for all, because an item's channel is its account's.

Columns are found by their header, case-insensitively and with spaces, ``_``, ``-`` and ``.``
alike (nested JSONL objects are read as ``author.name``); :data:`ALIASES` lists the names known
for each field, and ``mapping`` (``--map COLUMN=FIELD``) names others. A row needs a time and a
text or a link. Times are ISO 8601, epoch seconds or milliseconds, or what ``dateutil`` reads
("20/11/2026 14:03", "Nov 20, 2026 at 2:03 PM"); a file's slashed dates are day first unless
one of them can only be month first; times without a zone are ``timezone`` (UTC by default).
Files are UTF-8 with or without a byte order mark (UTF-16 with one), delimited by ``,``, ``;``,
tab or ``|`` as ``csv.Sniffer`` finds.

A row's identity is its link (scheme, ``www.``, ``m.``, trailing ``/``, fragments and ``utm_``
parameters aside; twitter.com is x.com), or, without a link, a hash of handle, time and text: a
second row with the same identity is counted as a duplicate and skipped, and importing a file
again changes nothing. A bad row is a problem naming its file, line and reason; the others are
kept. Each platform's rows are a stream per file whose cursor is the number of its rows committed,
so an interrupted import resumes (the sync engine commits each page with its cursor).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dateutil import parser as dateparser

from omniinbox.connectors.base import CheckResult, PermanentError
from omniinbox.core import (
    Account,
    Author,
    Channel,
    Item,
    ItemKind,
    OutgoingReply,
    Page,
    Receipt,
    SyncProblem,
)
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import StreamReport, SyncEngine

FIELDS = ("author", "handle", "followers", "text", "url", "time", "platform")
ALIASES: dict[str, tuple[str, ...]] = {
    "author": ("author", "author name", "name", "full name", "display name", "user", "user name", "from",
               "account name", "profile name", "author display name"),
    "handle": ("handle", "username", "screen name", "author handle", "author username", "user handle",
               "account", "profile", "user screen name", "author screen name"),
    "followers": ("followers", "followers count", "follower count", "author followers", "user followers",
                  "subscribers", "audience", "author followers count"),
    "text": ("text", "content", "message", "mention", "body", "snippet", "full text", "post", "mention content",
             "post text", "caption"),
    "url": ("url", "link", "permalink", "post url", "mention url", "post link", "mention link", "source url"),
    "time": ("time", "date", "created at", "published", "published at", "timestamp", "datetime", "date time",
             "posted at", "created", "date published", "publish date", "post date"),
    "platform": ("platform", "source", "network", "social network", "site", "channel", "source type", "domain",
                 "media", "medium"),
}  # fmt: skip
PLATFORMS: dict[str, str] = {
    "x": "x", "twitter": "x", "x twitter": "x", "twitter x": "x", "tweet": "x",
    "facebook": "facebook", "fb": "facebook", "meta": "facebook",
    "instagram": "instagram", "ig": "instagram", "insta": "instagram",
    "youtube": "youtube", "yt": "youtube",
    "tiktok": "tiktok", "tik tok": "tiktok",
    "mastodon": "mastodon", "telegram": "telegram", "whatsapp": "whatsapp",
}  # fmt: skip
SITES: dict[str, str] = {
    "x.com": "x", "twitter.com": "x", "t.co": "x",
    "facebook.com": "facebook", "fb.com": "facebook", "fb.watch": "facebook",
    "instagram.com": "instagram", "instagr.am": "instagram",
    "youtube.com": "youtube", "youtu.be": "youtube",
    "tiktok.com": "tiktok", "vm.tiktok.com": "tiktok",
    "t.me": "telegram",
}  # fmt: skip
_SOCIAL = frozenset({Channel.X, Channel.FACEBOOK, Channel.INSTAGRAM, Channel.YOUTUBE, Channel.MASTODON,
                     Channel.TELEGRAM, Channel.WHATSAPP})  # fmt: skip
PAGE_SIZE = 10_000


class ListeningImportError(ValueError):
    """The file or the mapping cannot be used at all; the message says why (nothing was written)."""


_CLOCK = "\x00clock"  # resolve_columns' key for a separate clock column read with the date


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[_\-.:/]+", " ", header.replace("\ufeff", "")).lower().split())


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``COLUMN=FIELD`` pairs to {normalized column: field}; a bad pair raises ListeningImportError."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, name = pair.partition("=")
        name = name.strip().lower()
        if not sep or not column.strip() or not name:
            raise ListeningImportError(f"--map {pair!r}: expected COLUMN=FIELD, e.g. 'Nama Akun=author'")
        if name not in FIELDS:
            raise ListeningImportError(f"--map {pair!r}: unknown field {name!r}; fields are: {', '.join(FIELDS)}")
        mapping[_norm(column)] = name
    return mapping


def resolve_columns(headers: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """{field: header} for a file's headers: mapped columns first, then the aliases in order."""
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(_norm(header), header)
    found: dict[str, str] = {}
    for column, name in mapping.items():
        if column not in by_norm:
            raise ListeningImportError(
                f"--map names column {column!r}, which the file does not have; its columns are:"
                f" {', '.join(h for h in headers if h) or '(none)'}"
            )
        found[name] = by_norm[column]
    if "time" not in found and "date" in by_norm and "time" in by_norm:  # a date column and a clock column
        found["time"], found[_CLOCK] = by_norm["date"], by_norm["time"]
    taken = set(found.values())
    for name in FIELDS:
        if name in found:
            continue
        for alias in ALIASES[name]:
            match = by_norm.get(alias)
            if match is not None and match not in taken:
                found[name] = match
                taken.add(match)
                break
    return found


# ---------------------------------------------------------------------------------- values


def platform_name(value: str, url: str = "") -> str:
    """The platform a row names (``x``, ``tiktok``, ``news``...), else the one its link's site
    is, else ``other``."""
    key = _norm(value.replace("(", " ").replace(")", " "))
    if key:
        if key in PLATFORMS:
            return PLATFORMS[key]
        host = key.removeprefix("www ").replace(" ", ".")
        if host in SITES:
            return SITES[host]
        slug = re.sub(r"[^a-z0-9]+", "-", key).strip("-")
        if slug:
            return slug[:40]
    host = _host(url)
    while host:
        if host in SITES:
            return SITES[host]
        _, _, host = host.partition(".")
    return "other"


def channel_of(platform: str) -> Channel:
    try:
        channel = Channel(platform)
    except ValueError:
        return Channel.LISTENING
    return channel if channel in _SOCIAL else Channel.LISTENING


def _host(url: str) -> str:
    if not url:
        return ""
    if "://" not in url:
        url = "https://" + url
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    for prefix in ("www.", "m.", "mobile."):
        host = host.removeprefix(prefix)
    return host


def canonical_url(url: str) -> str:
    """The link as an identity: host lower-cased without www./m., twitter.com as x.com, no
    fragment, no utm_ parameters, no trailing slash."""
    url = url.strip()
    if not url:
        return ""
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        host = _host(url)
        port = parts.port
    except ValueError:
        return url
    if host == "twitter.com":
        host = "x.com"
    if port:
        host = f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")])
    return urlunsplit(("https", host, parts.path.rstrip("/") or "", query, ""))


_SUFFIX = {"k": 1_000, "rb": 1_000, "ribu": 1_000, "m": 1_000_000, "jt": 1_000_000, "juta": 1_000_000,
           "b": 1_000_000_000}  # fmt: skip


def followers_count(value: str) -> int | None:
    """'12,345', '12.345', '1.2K', '3 jt' → a count; '' → None; anything else raises ValueError."""
    text = value.strip().lower().replace(" ", "").replace("\u00a0", "")
    if not text or text in ("-", "n/a", "na", "none", "null"):
        return None
    match = re.fullmatch(r"(\d+(?:[.,]\d+)*)([a-z]*)", text)
    if match is None or (match.group(2) and match.group(2) not in _SUFFIX):
        raise ValueError(f"followers {value!r} is not a number")
    number, suffix = match.groups()
    if suffix:
        return round(float(number.replace(",", ".")) * _SUFFIX[suffix])
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):  # thousands separators
        return int(re.sub(r"[.,]", "", number))
    if re.fullmatch(r"\d+", number):
        return int(number)
    return int(float(number.replace(",", ".")))


_NO_DATE = datetime(1, 1, 1)  # what dateutil fills in for a missing date: refused as implausible
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b")


def day_first(values: Iterable[str]) -> bool:
    """Whether a file's slashed dates are day first: yes, unless one can only be month first."""
    month_first = False
    for value in values:
        match = _SLASHED.match(value)
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12:
            return True
        if second > 12:
            month_first = True
    return not month_first


def parse_time(value: str, *, dayfirst: bool = True, timezone: tzinfo = UTC) -> datetime:
    """A time as listening tools write it, as an aware datetime (naive ones are in ``timezone``)."""
    text = value.strip()
    if not text:
        raise ValueError("no time")
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        number = float(text)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = dateparser.parse(
                re.sub(r"\s+at\s+", " ", text, flags=re.IGNORECASE), dayfirst=dayfirst, default=_NO_DATE
            )
        except (ValueError, OverflowError):
            raise ValueError(f"time {value!r} is not a date this import reads") from None
    if not 1990 <= parsed.year <= 2100:
        raise ValueError(f"time {value!r} is not a plausible date")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone)
    return parsed.astimezone(UTC)


# ---------------------------------------------------------------------------------- reading


@dataclass(slots=True)
class Row:
    line: int
    values: dict[str, str]  # header -> value


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListeningImportError(
            f"{path}: not UTF-8 (byte {exc.start} cannot be read); export the file as UTF-8 and import it again"
        ) from None


def _csv_rows(text: str, path: Path) -> tuple[list[str], list[Row]]:
    sample = text[:64_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample.split("\n", 20)[0] if sample else ",", delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False)  # fmt: skip
    try:
        headers = next(reader)
    except StopIteration:
        raise ListeningImportError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise ListeningImportError(f"{path}: the header line cannot be read ({exc})") from None
    headers = [h.strip() for h in headers]
    rows: list[Row] = []
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append(Row(line, {"\x00error": f"cannot be read as CSV ({exc})"}))
            line = reader.line_num + 1
            continue
        if any(cell.strip() for cell in record):
            values = dict(zip(headers, record, strict=False))
            if len(record) > len(headers) and any(c.strip() for c in record[len(headers) :]):
                values["\x00error"] = f"has {len(record)} fields; the header has {len(headers)}"
            rows.append(Row(line, values))
        line = reader.line_num + 1
    return headers, rows


def _flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in obj.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name))
        elif value is None:
            flat[name] = ""
        elif isinstance(value, list):
            flat[name] = " ".join(str(v) for v in value)
        else:
            flat[name] = str(value)
    return flat


def _json_rows(text: str, path: Path) -> tuple[list[str], list[Row]]:
    rows: list[Row] = []
    if path.suffix.lower() == ".json":
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise ListeningImportError(f"{path}: not valid JSON ({exc}); nothing was read from it") from None
        entries = body if isinstance(body, list) else [body]
        lines: Iterable[tuple[int, Any]] = ((n, e) for n, e in enumerate(entries, 1))
    else:
        lines = ((n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip())
    headers: dict[str, None] = {}
    for number, entry in lines:
        if isinstance(entry, str):
            try:
                entry = json.loads(entry)
            except ValueError as exc:
                rows.append(Row(number, {"\x00error": f"not JSON ({exc})"}))
                continue
        if not isinstance(entry, Mapping):
            rows.append(Row(number, {"\x00error": "not a JSON object"}))
            continue
        values = _flatten(entry)
        headers.update(dict.fromkeys(values))
        rows.append(Row(number, values))
    return list(headers), rows


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """The headers and rows of an export (CSV, or JSON Lines / a JSON list for .jsonl/.ndjson/.json)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ListeningImportError(f"{path}: no such file") from None
    except OSError as exc:
        raise ListeningImportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    text = _decode(raw, path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _json_rows(text, path)
    return _csv_rows(text, path)


@dataclass(slots=True)
class Entry:
    """One row of a platform: its item, or the problem that kept it out."""

    line: int
    item: Item | None = None
    problem: str = ""
    note: str = ""  # a problem with the row that did not keep it out


@dataclass(slots=True)
class ParsedFile:
    path: Path
    columns: dict[str, str]
    by_platform: dict[str, list[Entry]] = field(default_factory=dict)
    duplicates: int = 0


def _identity(handle: str, created: datetime, text: str, url: str) -> str:
    canonical = canonical_url(url)
    if canonical:
        return "url:" + canonical
    key = "\x1f".join((handle.lower().lstrip("@"), created.isoformat(), " ".join(text.split())))
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def parse_file(
    path: Path, mapping: Mapping[str, str] | None = None, *, timezone: tzinfo = UTC, seen: set[str] | None = None
) -> ParsedFile:
    """Read an export into entries per platform. ``seen`` (identities already read from earlier
    files of the same import) is extended; rows already seen count as duplicates."""
    headers, rows = read_rows(path)
    columns = resolve_columns(headers, mapping or {})
    missing = [] if "time" in columns else ["the time"]
    if "text" not in columns and "url" not in columns:
        missing.append("the text or the link")
    if missing:
        raise ListeningImportError(
            f"{path}: no column for {' nor '.join(missing)}; its columns are:"
            f" {', '.join(h for h in headers if h) or '(none)'}. Name them with --map COLUMN=FIELD"
            f" (fields: {', '.join(FIELDS)})"
        )

    def get(row: Row, name: str) -> str:
        header = columns.get(name)
        value = row.values.get(header, "").strip() if header is not None else ""
        if name == "time" and _CLOCK in columns:
            value = f"{value} {row.values.get(columns[_CLOCK], '').strip()}".strip()
        return value

    dayfirst = day_first(get(r, "time") for r in rows)
    parsed = ParsedFile(path, columns)
    seen = set() if seen is None else seen
    name = path.name
    for row in rows:
        url = get(row, "url")
        platform = platform_name(get(row, "platform"), url)
        entries = parsed.by_platform.setdefault(platform, [])
        error = row.values.get("\x00error")
        if error:
            entries.append(Entry(row.line, problem=f"{name}:{row.line}: {error}"))
            continue
        text, handle, author = get(row, "text"), get(row, "handle"), get(row, "author")
        if not text and not url:
            entries.append(Entry(row.line, problem=f"{name}:{row.line}: no text and no link"))
            continue
        try:
            created = parse_time(get(row, "time"), dayfirst=dayfirst, timezone=timezone)
        except ValueError as exc:
            entries.append(Entry(row.line, problem=f"{name}:{row.line}: {exc}"))
            continue
        note = ""
        try:
            followers = followers_count(get(row, "followers"))
        except ValueError as exc:
            followers, note = None, f"{name}:{row.line}: {exc}; kept without a follower count"
        identity = _identity(handle, created, text, url)
        if identity in seen:
            parsed.duplicates += 1
            continue
        seen.add(identity)
        handle = handle.lstrip("@")
        who = handle.lower() or (f"name:{author.lower()}" if author else "")
        item = Item(
            external_id=identity,
            kind=ItemKind.MENTION,
            text=text or url,
            conversation_id=identity,
            created_at=created,
            author=Author(who, author or handle, handle=handle, followers=followers) if who else None,
            permalink=url if url.startswith(("http://", "https://")) else (f"https://{url}" if url else ""),
            raw={"source": "listening", "platform": platform, "file": name, "line": row.line,
                 "row": {k: v for k, v in row.values.items() if not k.startswith("\x00")}},
        )  # fmt: skip
        entries.append(Entry(row.line, item=item, note=note))
    return parsed


# ---------------------------------------------------------------------------------- the source


def stream_for(path: Path) -> str:
    return f"listening:{path.resolve()}"


class ListeningSource:
    """One platform's rows of the parsed files, as pages for the sync engine: each file is a
    stream whose cursor is the number of this platform's rows committed."""

    read_ahead = False  # turning rows into items is CPU work: see importer.MailFileSource

    def __init__(self, platform: str, files: Sequence[ParsedFile], *, page_size: int = PAGE_SIZE) -> None:
        self.platform = platform
        self._entries = {stream_for(f.path): f.by_platform.get(platform, []) for f in files}
        self.streams = tuple(s for s, entries in self._entries.items() if entries)
        self.page_size = page_size

    def fetch(self, stream: str, cursor: str | None) -> Page:
        entries = self._entries[stream]
        start = int(cursor) if cursor and cursor.isdigit() else 0
        chunk = entries[start : start + self.page_size]
        page = Page()
        for entry in chunk:
            if entry.item is not None:
                page.items.append(entry.item)
            reason = entry.problem or entry.note
            if reason:
                page.problems.append(SyncProblem(reason, external_id=f"line {entry.line}"))
        end = start + len(chunk)
        page.has_more = end < len(entries)
        page.next_cursor = str(end) if page.has_more else None
        return page

    def send(self, reply: OutgoingReply) -> Receipt:
        raise PermanentError("items imported from a listening tool cannot be answered: answer on the platform itself")

    def check(self) -> CheckResult:
        return CheckResult(ok=True, identity="listening-tool import", can_read=True)

    def close(self) -> None:
        self._entries.clear()


@dataclass(slots=True)
class ListeningReport:
    """What an import did: per account its streams, plus files that could not be read at all."""

    accounts: dict[str, list[StreamReport]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # path -> reason
    duplicates: int = 0
    refused: int = 0  # rows left out
    bad_rows: list[str] = field(default_factory=list)  # "file:line: reason" of rows left out or amended

    @property
    def account(self) -> str:
        return ", ".join(self.accounts) or "(no account)"

    def _streams(self) -> Iterator[StreamReport]:
        for streams in self.accounts.values():
            yield from streams

    @property
    def items_read(self) -> int:
        return sum(s.items_read for s in self._streams())

    @property
    def items_written(self) -> int:
        return sum(s.items_written for s in self._streams())

    @property
    def problems(self) -> int:
        return sum(s.problems for s in self._streams())

    @property
    def failed_files(self) -> dict[str, str]:
        stopped = {f"{key} {s.stream.removeprefix('listening:')}": s.stopped
                   for key, streams in self.accounts.items() for s in streams if s.stopped}  # fmt: skip
        return {**self.failed, **stopped}


def _constant(source: ListeningSource) -> Callable[[Account], ListeningSource]:
    return lambda _account: source


def account_key(platform: str, prefix: str = "listening") -> str:
    return f"{prefix}:{platform}"


def import_listening(
    cache: Cache,
    paths: Sequence[Path],
    *,
    mapping: Mapping[str, str] | None = None,
    prefix: str = "listening",
    timezone: tzinfo = UTC,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[Account, StreamReport], None] | None = None,
) -> ListeningReport:
    """Import listening-tool exports into an account per platform (see the module docstring). A
    file that cannot be read at all is named in ``failed`` and the others go on."""
    report = ListeningReport()
    files: list[ParsedFile] = []
    seen: set[str] = set()
    for path in paths:
        try:
            files.append(parse_file(path, mapping, timezone=timezone, seen=seen))
        except ListeningImportError as exc:
            report.failed[str(path)] = str(exc)
    report.duplicates = sum(f.duplicates for f in files)
    for parsed in files:
        flagged = sorted((e for es in parsed.by_platform.values() for e in es if e.problem or e.note),
                         key=lambda e: e.line)  # fmt: skip
        report.bad_rows += [e.problem or e.note for e in flagged]
        report.refused += sum(1 for e in flagged if e.item is None)
    platforms = sorted({p for f in files for p in f.by_platform})
    for platform in platforms:
        channel = channel_of(platform)
        title = platform if channel is Channel.LISTENING else channel.value
        account = ensure_account(cache, account_key(platform, prefix), channel, f"Listening import ({title})",
                                 settings={"source": "listening", "platform": platform})  # fmt: skip
        source = ListeningSource(platform, files, page_size=page_size)
        engine = SyncEngine(cache, _constant(source), on_page=on_page)
        try:
            result = engine.sync_account(account)
        finally:
            engine.close()
        report.accounts[account.key] = result.streams
    return report
