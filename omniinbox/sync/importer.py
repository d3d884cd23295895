"""Importing files: mail files, and saved API answers of every channel whose registry entry
(``connectors/registry.py``) names a ``parse_saved`` function.

A file import is a connector like any other: each file is a *stream*, its cursor is the number
of messages already committed, and the sync engine commits each page with that cursor. A killed
import resumes where its last committed page ended; a finished import forgets its cursor, so
importing the same file again re-reads it, and changes nothing that is already stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from omniinbox.connectors.base import CheckResult, ConnectorBug, ConnectorError, PermanentError
from omniinbox.connectors.mail import MailEntry, MailParseError, envelope_time, iter_mail_source, parse_message
from omniinbox.connectors.registry import NoConnector, importable_channels, spec_for
from omniinbox.core import Account, Channel, Item, OutgoingReply, Page, Receipt, SyncProblem, utcnow
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import AccountReport, StreamReport, SyncEngine

IMPORT_PAGE = 10_000  # messages per committed page (the benchmarks measure this size)


class UnsupportedImport(ValueError):
    pass


def stream_for(path: Path) -> str:
    return f"import:{path.resolve()}"


class MailFileSource:
    """Reads mail files as pages of items. Keeps the open reader between pages so a large mbox
    is read once, front to back, however many pages it makes."""

    # Not read ahead in a thread: parsing is Python, so a worker parsing the next page holds the
    # interpreter lock the writer needs between its SQLite calls, and the two take turns
    # (measured: a 20,000-message mbox imports 5-10 % faster in one thread). Large files are
    # read in a second process instead (omniinbox.sync.reader), where parsing runs beside the
    # writer; small ones are not worth starting it for.
    read_ahead = False
    PROCESS_FROM_BYTES = 4 << 20

    def __init__(self, paths: list[Path], *, page_size: int = IMPORT_PAGE, own_addresses: tuple[str, ...] = ()) -> None:
        self._paths = {stream_for(p): p for p in paths}
        self.streams = tuple(self._paths)
        self.page_size = page_size
        self.read_in_process = _size_reaches(paths, self.PROCESS_FROM_BYTES)
        self._own = own_addresses
        self._readers: dict[str, tuple[int, Iterator[MailEntry]]] = {}
        self._digests: dict[str, str] = {}  # Message-ID -> digest of the first message using it
        self._started = utcnow()

    def _reader(self, stream: str, position: int) -> Iterator[MailEntry]:
        held = self._readers.get(stream)
        if held is not None and held[0] == position:
            return held[1]
        path = self._paths[stream]
        try:
            entries = iter_mail_source(path)
        except FileNotFoundError:
            raise PermanentError(f"{path}: no such file or folder") from None
        except (MailParseError, OSError) as exc:
            raise PermanentError(str(exc)) from None
        for _ in range(position):  # resuming after an interruption: skip what was committed
            if next(entries, None) is None:
                break
        return entries

    def fetch(self, stream: str, cursor: str | None) -> Page:
        position = int(cursor) if cursor and cursor.isdigit() else 0
        entries = self._reader(stream, position)
        page = Page()
        count = 0
        try:
            for entry in entries:
                count += 1
                try:
                    default_time = envelope_time(entry.envelope) if entry.envelope else None
                    item = parse_message(
                        entry.raw,
                        fallback_id=_fallback_id(entry),
                        default_time=default_time or self._started,
                        own_addresses=self._own,
                    )
                    page.items.append(self._distinct(item, entry))
                except (MailParseError, ValueError, LookupError) as exc:
                    page.problems.append(SyncProblem(reason=f"{entry.locator}: {exc}", external_id=entry.locator))
                if count >= self.page_size:
                    break
        except (MailParseError, OSError) as exc:
            raise PermanentError(f"{self._paths[stream]}: {exc}") from None
        except Exception as exc:  # an unreadable structure we did not foresee: our bug, named
            raise ConnectorBug(f"{self._paths[stream]}: cannot read past message {position + count}: {exc}") from exc
        position += count
        page.has_more = count >= self.page_size
        # A finished file forgets its cursor: importing it again re-reads (and changes nothing).
        page.next_cursor = str(position) if page.has_more else None
        if page.has_more:
            self._readers[stream] = (position, entries)
        else:
            self._readers.pop(stream, None)
        return page

    def _distinct(self, item: Item, entry: MailEntry) -> Item:
        """Broken mailers reuse Message-IDs. A second, different message with an id already seen
        gets ``<id>#<digest>`` so it is kept beside the first instead of overwriting it."""
        digest = hashlib.sha256(entry.raw).hexdigest()[:12]
        first = self._digests.setdefault(item.external_id, digest)
        if first == digest:
            return item
        return dataclasses.replace(item, external_id=f"{item.external_id}#{digest}")

    def reader_state(self) -> dict[str, str]:
        """What a reader process learned (see ``omniinbox.sync.reader``): the Message-IDs seen."""
        return self._digests

    def adopt_reader_state(self, digests: dict[str, str]) -> None:
        self._digests = digests

    def send(self, reply: OutgoingReply) -> Receipt:
        raise PermanentError("imported mail cannot be answered from the import; add a mail account to reply")

    def check(self) -> CheckResult:
        return CheckResult(ok=True, identity="file import", can_read=True)

    def close(self) -> None:
        self._readers.clear()


def _size_reaches(paths: list[Path], limit: int) -> bool:
    """Whether the mail in ``paths`` (a file's size, the sizes of a Maildir's messages, its
    sub-folders too) adds up to ``limit`` bytes; a large Maildir is not walked past that. What
    cannot be read counts nothing (reading it will say why)."""
    total = 0
    for path in paths:
        try:
            if not path.is_dir():
                total += path.stat().st_size
                continue
            for folder, _dirs, files in os.walk(path):
                if Path(folder).name not in ("cur", "new"):
                    continue
                for name in files:
                    total += os.stat(os.path.join(folder, name)).st_size
                    if total >= limit:
                        return True
        except OSError:
            continue
    return total >= limit


def _fallback_id(entry: MailEntry) -> str:
    return "sha256:" + hashlib.sha256(entry.raw).hexdigest()[:32]


@dataclass(slots=True)
class ImportReport:
    account: str
    files: dict[str, StreamReport] = field(default_factory=dict)

    @property
    def items_read(self) -> int:
        return sum(r.items_read for r in self.files.values())

    @property
    def items_written(self) -> int:
        return sum(r.items_written for r in self.files.values())

    @property
    def problems(self) -> int:
        return sum(r.problems for r in self.files.values())

    @property
    def failed_files(self) -> dict[str, str]:
        return {path: r.stopped for path, r in self.files.items() if r.stopped}


def check_supported(channel: Channel) -> None:
    """Raise :class:`UnsupportedImport` for a channel whose files cannot be imported yet."""
    if channel is Channel.EMAIL:
        return
    try:
        parse = spec_for(channel).parse_saved
    except NoConnector:
        parse = None
    if parse is None:
        raise UnsupportedImport(
            f"importing saved {channel.value} responses is not supported yet; supported now: {importable_channels()}"
        )


class SavedAnswersSource:
    """Saved API answers of one platform, read through that platform's own parser: a ``.json``
    file holds one answer (or a JSON list of answers), a ``.jsonl`` file one answer per line.
    Each file is a stream; its cursor is the number of answers committed."""

    # Parsing is CPU work: not read ahead in a thread (see MailFileSource), nor in a process: a
    # page is 50 answers, too small to pay for being staged.
    read_ahead = False

    def __init__(self, paths: list[Path], parse: Callable[[Any], Page], *, per_page: int = 50) -> None:
        self._paths = {stream_for(p): p for p in paths}
        self.streams = tuple(self._paths)
        self._parse = parse
        self.per_page = per_page
        self._answers: dict[str, list[tuple[str, Any]]] = {}

    def _load(self, stream: str) -> list[tuple[str, Any]]:
        if stream in self._answers:
            return self._answers[stream]
        path = self._paths[stream]
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise PermanentError(f"{path}: no such file") from None
        except OSError as exc:
            raise PermanentError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        answers: list[tuple[str, Any]] = []
        text = raw.decode("utf-8", errors="replace")
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    try:
                        answers.append((f"{path.name}:{number}", json.loads(line)))
                    except ValueError as exc:
                        answers.append((f"{path.name}:{number}", _Unreadable(f"not JSON ({exc})")))
        else:
            try:
                body = json.loads(text)
            except ValueError as exc:
                raise PermanentError(f"{path}: not valid JSON ({exc}); nothing was read from it") from None
            bodies = body if isinstance(body, list) else [body]
            answers = [(f"{path.name}#{n}", b) for n, b in enumerate(bodies)]
        self._answers[stream] = answers
        return answers

    def fetch(self, stream: str, cursor: str | None) -> Page:
        answers = self._load(stream)
        start = int(cursor) if cursor and cursor.isdigit() else 0
        chunk = answers[start : start + self.per_page]
        page = Page()
        for where, body in chunk:
            if isinstance(body, _Unreadable):
                page.problems.append(SyncProblem(f"{where}: {body.reason}", external_id=where))
                continue
            try:
                part = self._parse(body)
            except ConnectorError as exc:
                page.problems.append(SyncProblem(f"{where}: {exc}", external_id=where))
                continue
            page.items += part.items
            page.conversations += part.conversations
            page.problems += [dataclasses.replace(p, reason=f"{where}: {p.reason}") for p in part.problems]
        end = start + len(chunk)
        page.has_more = end < len(answers)
        page.next_cursor = str(end) if page.has_more else None
        return page

    def send(self, reply: OutgoingReply) -> Receipt:
        raise PermanentError("imported answers cannot be replied to from the import; add the account to reply")

    def check(self) -> CheckResult:
        return CheckResult(ok=True, identity="file import", can_read=True)

    def close(self) -> None:
        self._answers.clear()


@dataclass(frozen=True, slots=True)
class _Unreadable:
    reason: str


def import_files(
    cache: Cache,
    channel: Channel,
    paths: list[Path],
    *,
    account_key: str | None = None,
    on_page: Callable[[Account, StreamReport], None] | None = None,
    page_size: int = IMPORT_PAGE,
    started: datetime | None = None,
) -> ImportReport:
    """Import ``paths`` into the account ``account_key`` (default ``<channel>:import``)."""
    check_supported(channel)
    key = account_key or f"{channel.value}:import"
    source: MailFileSource | SavedAnswersSource
    if channel is Channel.EMAIL:
        account = ensure_account(cache, key, channel, "Imported mail")
        source = MailFileSource(paths, page_size=page_size)
    else:
        spec = spec_for(channel)
        assert spec.parse_saved is not None  # check_supported said so
        account = ensure_account(cache, key, channel, f"Imported {spec.title}")
        parse = spec.parse_saved
        source = SavedAnswersSource(paths, parse)
    engine = SyncEngine(cache, lambda _account: source, on_page=on_page)
    try:
        result: AccountReport = engine.sync_account(account)
    finally:
        engine.close()
    if result.items_written:
        from omniinbox.store import fts_merge

        fts_merge.after_import(cache)  # merge the index's segments now, not in a later live write
    report = ImportReport(account.key)
    for stream_report in result.streams:
        report.files[stream_report.stream.removeprefix("import:")] = stream_report
    return report
