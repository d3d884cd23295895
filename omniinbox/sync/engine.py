"""The sync engine: the one place where connectors and the cache meet.

For each stream of an account it fetches a page after the stored cursor and commits the page's
records together with the next cursor in one transaction. A crash at any point therefore loses
nothing that was committed, and the next run resumes from the last committed cursor; replaying
a page changes nothing (see ``omniinbox.store.ingest``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from omniinbox.connectors.base import (
    AuthenticationError,
    Connector,
    ConnectorError,
    PermissionDenied,
    RateLimited,
)
from omniinbox.core import Account, SyncProblem, utcnow
from omniinbox.secrets import REDACTOR
from omniinbox.store.cache import Cache
from omniinbox.store.compact import PayloadCodec
from omniinbox.store.ingest import (
    PreparedPage,
    get_cursor,
    page_transaction,
    prepare_page,
    record_problem,
    staged_rows,
    write_page,
)
from omniinbox.sync import reader

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StreamReport:
    stream: str
    pages: int = 0
    items_read: int = 0
    items_written: int = 0
    problems: int = 0
    stopped: str = ""  # why the stream stopped early, in words; empty when it finished
    retry_at: datetime | None = None
    read_in_process: bool = False  # pages were read and prepared in a second process (sync.reader)


@dataclass(slots=True)
class AccountReport:
    account: str
    channel: str
    streams: list[StreamReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def items_read(self) -> int:
        return sum(s.items_read for s in self.streams)

    @property
    def items_written(self) -> int:
        return sum(s.items_written for s in self.streams)

    @property
    def ok(self) -> bool:
        return not any(s.stopped for s in self.streams)


def _record(cache: Cache, account: Account, kind: str, reason: str, detail: str = "") -> None:
    with cache.write("sync") as tx:
        record_problem(tx, account.id, kind, SyncProblem(reason=REDACTOR(reason), detail=REDACTOR(detail)))


def _pages(
    connector: Connector,
    account_id: int,
    stream: str,
    cursor: str | None,
    limit: int | None,
    *,
    in_process: bool,
    payloads: PayloadCodec,
) -> Generator[PreparedPage]:
    """The pages of a stream from ``cursor`` on, each prepared for writing, until one says it is
    the last (or ``limit`` pages). Errors of ``fetch`` are raised in order, after the pages
    before them.

    A connector whose ``read_ahead`` attribute is true (reading changes nothing on the
    platform) is read one page ahead on a worker thread: the next page is fetched, parsed and
    prepared while the caller stores this one. Nothing is acknowledged by reading ahead; the
    cursor only moves when the caller commits a page. Connectors whose reads acknowledge
    earlier data (Telegram's ``getUpdates`` offset) must leave it false, and so should sources
    whose reading is all CPU work (files): the worker would hold the interpreter lock that the
    writer takes back after every SQLite step, and both would run slower than one thread. Those
    may say ``read_in_process`` instead: see ``omniinbox.sync.reader``."""
    if in_process:
        yield from reader.read_in_process(connector, account_id, stream, cursor, limit, payloads)
        return
    if not getattr(connector, "read_ahead", False):
        count = 0
        while limit is None or count < limit:
            page = connector.fetch(stream, cursor)
            count += 1
            yield prepare_page(page, account_id)
            if not page.has_more:
                return
            cursor = page.next_cursor
        return
    handoff: queue.Queue[tuple[PreparedPage | None, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand(entry: tuple[PreparedPage | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        position, count = cursor, 0
        try:
            while limit is None or count < limit:
                page = connector.fetch(stream, position)
                count += 1
                if not hand((prepare_page(page, account_id), None)) or not page.has_more:
                    break
                position = page.next_cursor
        except BaseException as exc:  # handed over, raised on the caller's thread
            hand((None, exc))
        hand((None, None))

    worker = threading.Thread(target=read, name=f"read-ahead {stream}", daemon=True)
    worker.start()
    try:
        while True:
            prepared, error = handoff.get()
            if error is not None:
                raise error
            if prepared is None:
                return
            yield prepared
    finally:
        stop.set()
        worker.join()


class SyncEngine:
    """Runs connectors into a cache. ``connector_for`` builds (or returns) the connector of an
    account; the engine closes what it built when asked to :meth:`close`."""

    def __init__(
        self,
        cache: Cache,
        connector_for: Callable[[Account], Connector],
        *,
        clock: Callable[[], datetime] = utcnow,
        on_page: Callable[[Account, StreamReport], None] | None = None,
    ) -> None:
        self.cache = cache
        self._connector_for = connector_for
        self._clock = clock
        self._on_page = on_page
        self._connectors: dict[int, Connector] = {}

    def connector(self, account: Account) -> Connector:
        if account.id not in self._connectors:
            self._connectors[account.id] = self._connector_for(account)
        return self._connectors[account.id]

    def close(self) -> None:
        for connector in self._connectors.values():
            try:
                connector.close()
            except Exception:  # closing must not hide the real outcome
                log.exception("closing a connector failed")
        self._connectors.clear()

    def sync_account(self, account: Account, *, max_pages: int | None = None) -> AccountReport:
        """Read every stream of ``account`` until it has no more (or ``max_pages`` per stream)."""
        started = time.perf_counter()
        report = AccountReport(account.key, account.channel.value)
        try:
            connector = self.connector(account)
        except ConnectorError as exc:
            _record(self.cache, account, exc.kind, str(exc))
            report.streams.append(StreamReport("*", stopped=REDACTOR(str(exc))))
            return report
        for stream in connector.streams:
            stream_report = self.sync_stream(account, connector, stream, max_pages=max_pages)
            report.streams.append(stream_report)
            if stream_report.stopped and stream_report.stopped.startswith("authentication"):
                break  # the other streams would fail the same way
        report.seconds = time.perf_counter() - started
        return report

    def sync_stream(
        self, account: Account, connector: Connector, stream: str, *, max_pages: int | None = None
    ) -> StreamReport:
        report = StreamReport(stream, read_in_process=reader.wants_process(connector))
        cursor = get_cursor(self.cache, account.id, stream)
        pages = _pages(
            connector,
            account.id,
            stream,
            cursor,
            max_pages,
            in_process=report.read_in_process,
            payloads=self.cache.payloads,
        )
        try:
            self._run_pages(account, stream, pages, report)
        finally:
            pages.close()
        return report

    def _run_pages(self, account: Account, stream: str, pages: Iterator[PreparedPage], report: StreamReport) -> None:
        while True:
            prepared: PreparedPage | None = None
            try:
                prepared = next(pages, None)
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else 60.0
                report.retry_at = self._clock() + timedelta(seconds=wait)
                report.stopped = f"rate limited: {exc}; next try after {report.retry_at:%H:%M:%S} UTC"
            except AuthenticationError as exc:
                report.stopped = f"authentication failed: {exc}"
            except PermissionDenied as exc:
                report.stopped = f"permission denied: {exc}"
            except ConnectorError as exc:
                report.stopped = f"{exc.kind}: {exc}"
                if exc.retryable:
                    wait = exc.retry_after if exc.retry_after is not None else 30.0
                    report.retry_at = self._clock() + timedelta(seconds=wait)
            except Exception as exc:  # our bug: record it, keep the other streams and accounts going
                log.exception("reading %s/%s failed unexpectedly", account.key, stream)
                report.stopped = f"internal error while reading: {type(exc).__name__}: {exc}"
                _record(self.cache, account, "bug", f"{stream}: {report.stopped}")
                break
            if report.stopped:
                kind, _, reason = report.stopped.partition(": ")
                _record(self.cache, account, kind.replace(" ", "_"), f"{stream}: {reason}")
                report.stopped = REDACTOR(report.stopped)
                break
            if prepared is None:
                break
            with staged_rows(self.cache, prepared), page_transaction(self.cache, "sync") as tx:
                result = write_page(tx, account, stream, prepared)
            report.pages += 1
            report.items_read += prepared.read
            report.items_written += result.items_written
            report.problems += result.problems
            if self._on_page is not None:
                self._on_page(account, report)
