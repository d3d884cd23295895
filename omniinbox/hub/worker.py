"""The team hub's sync worker: runs the connectors into the hub and sends the hub's outbox, so
platform rate limits are spent once for the whole team, not once per desk.

* Each page and its cursor are written in one hub transaction (``omniinbox.hub.ingest``).
* One worker per account at a time: a worker syncs an account only while it holds the
  session-level advisory lock ``pg_try_advisory_lock(ACCOUNT_LOCK_CLASS, account id)``; another
  worker finds it taken and moves on to the next account. Several workers can therefore run
  against one hub (on several machines, each with the keyring secrets of the accounts it can
  reach), and a worker that dies releases its accounts with its connection.
* Queued replies are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and sent exactly once
  (see ``omniinbox.hub.outbox`` for the rules, which mirror the local outbox's).

``omniinbox sync --hub DSN`` calls :func:`sync_hub` with the command's own ``connector_for``
(``build_connector(account, secret_store.get(account.secret_ref), rate=rate)``), ``once`` and
``interval``, and prints each :class:`RoundReport` it is handed through ``on_round``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from omniinbox.connectors.base import (
    AuthenticationError,
    Connector,
    ConnectorError,
    PermissionDenied,
    RateLimited,
)
from omniinbox.core import Account, Direction, Item, ItemKind, Page, SyncProblem, Team, utcnow
from omniinbox.hub import outbox
from omniinbox.hub.accounts import list_accounts
from omniinbox.hub.connection import connect, mask_dsn, worker_name
from omniinbox.hub.errors import HubError, HubUnreachable
from omniinbox.hub.ingest import get_cursor, record_problem, write_page
from omniinbox.hub.schema import check_schema
from omniinbox.secrets import REDACTOR
from omniinbox.sync.engine import AccountReport, StreamReport
from omniinbox.sync.outbox_sender import SendReport, backoff_seconds

log = logging.getLogger(__name__)

ACCOUNT_LOCK_CLASS = 0x0A1C  # advisory lock (class, account id): the worker syncing that account
_MAX_INT4 = 2**31 - 1


@dataclass(slots=True)
class RoundReport:
    """One round of a worker: what each account read, which were busy elsewhere, what was sent."""

    accounts: list[AccountReport] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # accounts another worker was syncing
    sent: SendReport = field(default_factory=SendReport)
    recovered: list[int] = field(default_factory=list)  # replies found interrupted, now failed
    assigned: dict[str, int] = field(default_factory=dict)  # team -> conversations given out
    reassigned: dict[str, int] = field(default_factory=dict)  # team -> overdue ones moved


class HubWorker:
    """Runs connectors into the hub over ``conn`` (an autocommit connection as a worker login).

    ``connector_for`` builds the connector of an account (with this machine's keyring secret);
    the worker keeps one per account and closes them in :meth:`close`."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        connector_for: Callable[[Account], Connector],
        *,
        name: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = 5,
        rng: random.Random | None = None,
        on_page: Callable[[Account, StreamReport], None] | None = None,
    ) -> None:
        self.conn = conn
        self.name = name or worker_name()
        self._connector_for = connector_for
        self._clock = clock
        self.max_attempts = max_attempts
        self._rng = rng or random.Random()
        self._on_page = on_page
        self._connectors: dict[int, Connector] = {}

    # ------------------------------------------------------------------ connectors

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

    def _record(self, account: Account, kind: str, reason: str, detail: str = "") -> None:
        with self.conn.transaction():
            record_problem(
                self.conn,
                account.id,
                kind,
                SyncProblem(reason=REDACTOR(reason), detail=REDACTOR(detail)),
                worker=self.name,
            )

    # ------------------------------------------------------------------ reading

    def sync_account(self, account: Account, *, max_pages: int | None = None) -> AccountReport | None:
        """Read every stream of ``account`` until it has no more (or ``max_pages`` per stream).
        ``None`` when another worker is syncing the account right now."""
        key = account.id % _MAX_INT4
        got = self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (ACCOUNT_LOCK_CLASS, key)).fetchone()
        if not got or not got[0]:
            return None
        try:
            return self._sync_locked(account, max_pages)
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (ACCOUNT_LOCK_CLASS, key))

    def _sync_locked(self, account: Account, max_pages: int | None) -> AccountReport:
        started = time.perf_counter()
        report = AccountReport(account.key, account.channel.value)
        try:
            connector = self.connector(account)
        except ConnectorError as exc:
            self._record(account, exc.kind, str(exc))
            report.streams.append(StreamReport("*", stopped=REDACTOR(str(exc))))
            return report
        for stream in connector.streams:
            stream_report = self.sync_stream(account, connector, stream, max_pages=max_pages)
            report.streams.append(stream_report)
            if stream_report.stopped.startswith("authentication"):
                break  # the other streams would fail the same way
        report.seconds = time.perf_counter() - started
        return report

    def sync_stream(
        self, account: Account, connector: Connector, stream: str, *, max_pages: int | None = None
    ) -> StreamReport:
        """Pages of one stream from the hub's cursor on, each committed with its cursor. Call
        only while holding the account's lock (:meth:`sync_account` does)."""
        report = StreamReport(stream)
        cursor = get_cursor(self.conn, account.id, stream)
        while max_pages is None or report.pages < max_pages:
            try:
                page = connector.fetch(stream, cursor)
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
            if report.stopped:
                kind, _, reason = report.stopped.partition(": ")
                report.stopped = REDACTOR(report.stopped)
                self._record(account, kind.replace(" ", "_"), f"{stream}: {reason}")
                break
            try:
                with self.conn.transaction():
                    result = write_page(self.conn, account, stream, page, worker=self.name)
            except psycopg.OperationalError:
                raise  # the hub is gone: nothing was committed; the next round resumes here
            except psycopg.Error as exc:
                log.exception("writing a page of %s/%s into the hub failed", account.key, stream)
                report.stopped = REDACTOR(f"internal error while storing: {type(exc).__name__}: {exc}")
                self._record(account, "bug", f"{stream}: {report.stopped}")
                break
            report.pages += 1
            report.items_read += len(page.items)
            report.items_written += result.items_written
            report.problems += result.problems
            if self._on_page is not None:
                self._on_page(account, report)
            if not page.has_more:
                break
            cursor = page.next_cursor
        return report

    # ------------------------------------------------------------------ sending

    def recover_interrupted(self) -> list[int]:
        return outbox.recover_interrupted(self.conn)

    def send_due(self, accounts: Sequence[Account], *, limit: int | None = None) -> SendReport:
        """Send the due queued replies of ``accounts``, each exactly once across all workers."""
        report = SendReport()
        usable: dict[int, Account] = {}
        for account in accounts:
            try:
                self.connector(account)
            except ConnectorError as exc:  # no secret here, say: another worker may send these
                log.warning("not sending for %s: %s", account.key, REDACTOR(str(exc)))
                continue
            usable[account.id] = account
        while usable and (limit is None or len(report.sent) + len(report.retrying) + len(report.failed) < limit):
            now = self._clock()
            entry = outbox.claim_next(self.conn, now, list(usable), worker=self.name)
            if entry is None:
                break
            try:
                self._send(usable[entry.account_id], entry, now, report)
            finally:
                outbox.release(self.conn, entry.id)
        return report

    def _send(self, account: Account, entry: outbox.HubOutboxEntry, now: datetime, report: SendReport) -> None:
        reply = outbox.reply_for(self.conn, entry)
        try:
            receipt = self.connector(account).send(reply)
        except ConnectorError as exc:
            reason = REDACTOR(f"{exc.kind}: {exc}")
            if exc.retryable and entry.attempts < self.max_attempts:
                wait = (
                    exc.retry_after if exc.retry_after is not None else backoff_seconds(entry.attempts, rng=self._rng)
                )
                outbox.mark_failed(self.conn, entry, reason, retry_at=now + timedelta(seconds=wait))
                report.retrying.append(entry.id)
            else:
                if exc.retryable:
                    reason += f" (gave up after {entry.attempts} attempts)"
                outbox.mark_failed(self.conn, entry, reason, retry_at=None)
                report.failed.append(entry.id)
            return
        except Exception as exc:  # our bug; the reply may not have left: do not retry blindly
            log.exception("sending hub outbox entry %s failed unexpectedly", entry.id)
            reason = REDACTOR(f"internal error: {type(exc).__name__}: {exc}")
            outbox.mark_failed(self.conn, entry, reason, retry_at=None)
            report.failed.append(entry.id)
            return
        sent_at = self._clock()
        outbox.mark_sent(self.conn, entry, receipt.external_id, sent_at)
        report.sent.append(entry.id)
        if receipt.external_id and reply.conversation_external_id is not None:
            # Show the sent reply in its thread at once; the next sync confirms it (same identity).
            item = Item(
                external_id=receipt.external_id,
                kind=ItemKind.REPLY,
                text=entry.body,
                conversation_id=reply.conversation_external_id,
                created_at=sent_at,
                direction=Direction.OUTBOUND,
                parent_id=reply.in_reply_to_external_id,
                permalink=receipt.permalink,
                visibility=entry.visibility,
                raw={"outbox_id": entry.id},
            )
            with self.conn.transaction():
                write_page(self.conn, account, None, Page(items=[item]), worker=self.name)

    # ------------------------------------------------------------------ assigning

    def assign(
        self, teams: Sequence[Team] = tuple(Team), *, overdue_after: timedelta | None = None
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Round-robin the teams' unassigned conversations; with ``overdue_after``, also move
        conversations that waited that long to the next available person."""
        from omniinbox.hub.assignment import auto_assign, reassign_overdue

        assigned = {team.value: auto_assign(self.conn, team) for team in teams}
        moved = {}
        if overdue_after is not None:
            moved = {team.value: reassign_overdue(self.conn, team, overdue_after) for team in teams}
        return assigned, moved

    # ------------------------------------------------------------------ a round

    def run_round(
        self,
        *,
        account_keys: Sequence[str] = (),
        max_pages: int | None = None,
        assign: bool = False,
        overdue_after: timedelta | None = None,
    ) -> RoundReport:
        """Recover interrupted replies, read every enabled account (or those named) that no other
        worker is reading, send what is due, and (``assign``) hand out new work."""
        round_report = RoundReport(recovered=self.recover_interrupted())
        accounts = list_accounts(self.conn, keys=tuple(account_keys))
        for account in accounts:
            report = self.sync_account(account, max_pages=max_pages)
            if report is None:
                round_report.busy.append(account.key)
            else:
                round_report.accounts.append(report)
        round_report.sent = self.send_due(accounts)
        if assign:
            round_report.assigned, round_report.reassigned = self.assign(overdue_after=overdue_after)
        return round_report


def sync_hub(
    dsn: str,
    connector_for: Callable[[Account], Connector],
    *,
    account_keys: Sequence[str] = (),
    once: bool = False,
    interval: float = 60.0,
    assign: bool = False,
    overdue_after: timedelta | None = None,
    on_round: Callable[[RoundReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> int:
    """The worker's main loop (``omniinbox sync --hub DSN``): connect, check the schema, run rounds
    every ``interval`` seconds until ``stop`` is set (or once). A lost connection is retried with
    capped backoff; a hub of another schema version stops the loop with :class:`HubError`.
    Returns the number of rounds run."""
    rounds = 0
    failures = 0
    while stop is None or not stop.is_set():
        try:
            with connect(dsn, application="omniinbox worker") as conn:
                check_schema(conn)
                worker = HubWorker(conn, connector_for)
                try:
                    while stop is None or not stop.is_set():
                        report = worker.run_round(account_keys=account_keys, assign=assign, overdue_after=overdue_after)
                        rounds += 1
                        failures = 0
                        if on_round is not None:
                            on_round(report)
                        if once:
                            return rounds
                        sleep(interval)
                finally:
                    worker.close()
        except (HubUnreachable, psycopg.OperationalError) as exc:
            if once:
                raise HubUnreachable(f"the hub {mask_dsn(dsn)} is not reachable: {REDACTOR(str(exc))}") from None
            failures += 1
            wait = min(300.0, 5.0 * 2 ** min(failures, 6))
            log.warning("hub connection lost (%s); trying again in %.0f s", REDACTOR(str(exc)), wait)
            sleep(wait)
        except HubError:
            raise
    return rounds
