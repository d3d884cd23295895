"""Sending what the outbox holds, honestly.

Each entry is moved to ``sending`` in a committed transaction before the connector is called,
so a crash can never lead to a second post: see ``omniinbox.store.outbox``. Failures the world
causes (rate limits, timeouts, 5xx) are retried with capped exponential backoff and jitter;
failures that will not go away (authentication, permission, a refusal) fail at once, with the
platform's reason in words.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from omniinbox.connectors.base import Connector, ConnectorError
from omniinbox.core import Account, Direction, Item, ItemKind, Page, to_millis, utcnow
from omniinbox.secrets import REDACTOR
from omniinbox.store import outbox, tickets
from omniinbox.store.accounts import get_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page

log = logging.getLogger(__name__)


def backoff_seconds(
    attempt: int, *, base: float = 30.0, cap: float = 3600.0, rng: random.Random | None = None
) -> float:
    """Capped exponential backoff with full jitter: attempt 1 → up to 30 s, 2 → 60 s, ... ≤ cap."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return (rng or random).uniform(ceiling / 2, ceiling)


@dataclass(slots=True)
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class OutboxSender:
    def __init__(
        self,
        cache: Cache,
        connector_for: Callable[[Account], Connector],
        *,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = 5,
        rng: random.Random | None = None,
    ) -> None:
        self.cache = cache
        self._connector_for = connector_for
        self._clock = clock
        self.max_attempts = max_attempts
        self._rng = rng or random.Random()

    def send_due(self, *, limit: int | None = None, account_ids: tuple[int, ...] = ()) -> SendReport:
        report = SendReport()
        while limit is None or len(report.sent) + len(report.retrying) + len(report.failed) < limit:
            now_ms = to_millis(self._clock()) or 0
            entry = outbox.claim_next(self.cache, now_ms, account_ids=account_ids)
            if entry is None:
                break
            account = get_account(self.cache, entry.account_id)
            reply = outbox.reply_for(self.cache, entry)
            try:
                receipt = self._connector_for(account).send(reply)
            except ConnectorError as exc:
                reason = REDACTOR(f"{exc.kind}: {exc}")
                if exc.retryable and entry.attempts < self.max_attempts:
                    wait = exc.retry_after if exc.retry_after is not None else backoff_seconds(
                        entry.attempts, rng=self._rng)  # fmt: skip
                    outbox.mark_failed(self.cache, entry.id, reason, retry_at_ms=now_ms + int(wait * 1000))
                    report.retrying.append(entry.id)
                else:
                    if exc.retryable:
                        reason += f" (gave up after {entry.attempts} attempts)"
                    outbox.mark_failed(self.cache, entry.id, reason, retry_at_ms=None)
                    report.failed.append(entry.id)
                continue
            except Exception as exc:  # our bug; the reply may not have left: do not retry blindly
                log.exception("sending outbox entry %s failed unexpectedly", entry.id)
                outbox.mark_failed(
                    self.cache, entry.id, REDACTOR(f"internal error: {type(exc).__name__}: {exc}"), retry_at_ms=None
                )
                report.failed.append(entry.id)
                continue
            sent_at = self._clock()
            outbox.mark_sent(self.cache, entry.id, receipt.external_id, sent_ms=to_millis(sent_at) or 0)
            if reply.new_ticket:  # a new ticket: store it as the platform answered and link it
                tickets.record_created(self.cache, account, entry.id, receipt)
            self._record_sent_item(account, entry.id, reply.conversation_external_id, reply.in_reply_to_external_id,
                                   entry.body, receipt.external_id, receipt.permalink, sent_at)  # fmt: skip
            report.sent.append(entry.id)
        return report

    def _record_sent_item(
        self,
        account: Account,
        outbox_id: int,
        conversation_ext: str | None,
        parent_ext: str | None,
        body: str,
        external_id: str,
        permalink: str,
        sent_at: datetime,
    ) -> None:
        """Show the sent reply in its thread at once; the next sync confirms it (same identity)."""
        if not external_id or conversation_ext is None:
            return
        item = Item(
            external_id=external_id,
            kind=ItemKind.REPLY,
            text=body,
            conversation_id=conversation_ext,
            created_at=sent_at,
            direction=Direction.OUTBOUND,
            parent_id=parent_ext,
            permalink=permalink,
            raw={"outbox_id": outbox_id},
        )
        ingest_page(self.cache, account, None, Page(items=[item]), source="outbox")
