"""Background sync: rounds of reading every enabled account and sending its due replies, on a
thread of its own, for the desktop window and the live demo.

The loop opens its own connection to the cache (SQLite in WAL mode lets the window read while it
writes); the window sees its writes through the change sequence it already polls. One
:class:`~omniinbox.sync.engine.SyncEngine` lives as long as the loop, so each account keeps one
HTTP session (and one rate budget) across rounds, and the outbox sender uses the same connectors.
After each round the issue radar (:func:`omniinbox.triage.update`) groups what arrived and
reassesses levels, so a must-answer issue shows up while the window is open.
:meth:`SyncLoop.poke` starts a round at once, e.g. after a reply was queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omniinbox.connectors.base import Connector
from omniinbox.core import Account
from omniinbox.secrets import REDACTOR
from omniinbox.store.accounts import list_accounts
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import AccountReport, SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender, SendReport

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RoundReport:
    """One round: what each account read and sent."""

    started: float
    seconds: float = 0.0
    accounts: list[tuple[AccountReport, SendReport]] = field(default_factory=list)
    error: str = ""  # the round could not run at all (the cache could not be opened...)
    triage: Any = None  # the issue radar's UpdateReport, when it ran

    @property
    def written(self) -> int:
        return sum(r.items_written for r, _ in self.accounts)


class SyncLoop:
    def __init__(
        self,
        cache_path: Path | str,
        connector_for: Callable[[Account], Connector],
        *,
        interval: float = 60.0,
        on_round: Callable[[RoundReport], None] | None = None,
        accounts: Callable[[Account], bool] | None = None,
        triage: bool = True,
    ) -> None:
        self.cache_path = Path(cache_path)
        self.interval = interval
        self.triage = triage  # group what arrived into issues and reassess levels after each round
        self._connector_for = connector_for
        self._on_round = on_round
        self._wanted = accounts or (lambda _account: True)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.last: RoundReport | None = None

    def start(self) -> SyncLoop:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="omniinbox-sync", daemon=True)
            self._thread.start()
        return self

    def poke(self) -> None:
        """Start the next round now instead of at the end of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the page in hand and stop. Everything committed stays; the rest comes next time."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the sync thread did not stop within %.0f s; it ends with the process", timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            cache = Cache.open(self.cache_path)
        except Exception as exc:  # the window says why; the loop cannot do anything without its cache
            report = RoundReport(time.time(), error=REDACTOR(f"the cache cannot be opened for syncing: {exc}"))
            log.error("%s", report.error)
            self._report(report)
            return
        engine = SyncEngine(cache, self._connector_for)
        sender = OutboxSender(cache, engine.connector)
        try:
            while not self._stop.is_set():
                self._round(cache, engine, sender)
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            engine.close()
            cache.close()

    def _round(self, cache: Cache, engine: SyncEngine, sender: OutboxSender) -> None:
        report = RoundReport(time.time())
        started = time.perf_counter()
        try:
            for account in list_accounts(cache):
                if self._stop.is_set():
                    break
                if not account.enabled or not account.secret_ref or not self._wanted(account):  # imports: no connection
                    continue
                read = engine.sync_account(account)
                sent = sender.send_due(account_ids=(account.id,))
                report.accounts.append((read, sent))
            if self.triage and not self._stop.is_set():
                from omniinbox import triage

                report.triage = triage.update(cache)
            if not self._stop.is_set():
                from omniinbox.store import fts_merge

                fts_merge.idle_merge(cache, report.written)  # a few bounded steps after a busy round
        except Exception as exc:  # one bad round must not end background sync for the session
            report.error = REDACTOR(f"{type(exc).__name__}: {exc}")
            log.exception("a sync round failed")
        report.seconds = time.perf_counter() - started
        self.rounds += 1
        self.last = report
        self._report(report)

    def _report(self, report: RoundReport) -> None:
        if self._on_round is not None:
            try:
                self._on_round(report)
            except Exception:
                log.exception("the sync round's listener failed")
