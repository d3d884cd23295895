"""The sync engine and the outbox sender, driven by a scripted connector (the engine is under
test here; connectors meet real HTTP in their own tests)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from omniinbox.connectors.base import (
    AuthenticationError,
    CheckResult,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
)
from omniinbox.core import (
    Account,
    Author,
    Channel,
    Item,
    ItemKind,
    OutboxState,
    OutgoingReply,
    OwnerKind,
    Page,
    Receipt,
    Visibility,
    utcnow,
)
from omniinbox.secrets import REDACTOR, RedactingFilter, SecretStore
from omniinbox.store import outbox, queries
from omniinbox.store.accounts import add_account, ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import get_cursor
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender, backoff_seconds

T0 = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
TOKEN = "sk-live-9f8e7d6c5b4a39281706"


def _items(start: int, count: int) -> list[Item]:
    return [
        Item(
            external_id=str(n),
            kind=ItemKind.MENTION,
            text=f"mention {n} soal antrean",
            conversation_id=f"c{n // 10}",
            created_at=T0 + timedelta(seconds=n),
            author=Author(external_id=f"a{n % 7}", name=f"Akun {n % 7}"),
        )
        for n in range(start, start + count)
    ]


class ScriptedConnector:
    """Serves ``total`` items in pages of ``size``; ``failures`` maps a call number to an error."""

    streams = ("mentions",)

    def __init__(self, total: int = 95, size: int = 20, failures: dict[int, Exception] | None = None) -> None:
        self.total, self.size = total, size
        self.failures = failures or {}
        self.calls = 0
        self.sent: list[OutgoingReply] = []
        self.send_failures: list[Exception] = []

    def fetch(self, stream: str, cursor: str | None) -> Page:
        self.calls += 1
        if self.calls in self.failures:
            raise self.failures[self.calls]
        start = int(cursor or 0)
        count = max(0, min(self.size, self.total - start))
        end = start + count
        return Page(items=_items(start, count), next_cursor=str(end), has_more=end < self.total)

    def send(self, reply: OutgoingReply) -> Receipt:
        if self.send_failures:
            raise self.send_failures.pop(0)
        self.sent.append(reply)
        return Receipt(external_id=f"sent-{len(self.sent)}", permalink=f"https://x.example.org/s/{len(self.sent)}")

    def check(self) -> CheckResult:
        return CheckResult(ok=True, identity="@inst", can_read=True, can_reply=True)

    def close(self) -> None:
        pass


def _engine(cache: Cache, connector: ScriptedConnector) -> SyncEngine:
    return SyncEngine(cache, lambda _account: connector, clock=lambda: T0)


def test_full_sync_commits_every_page_with_its_cursor(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    connector = ScriptedConnector(total=95, size=20)
    report = _engine(cache, connector).sync_account(account)
    assert report.ok and report.items_read == 95 and report.items_written == 95
    assert report.streams[0].pages == 5
    assert get_cursor(cache, account.id, "mentions") == "95"
    assert queries.stats(cache)["items"] == 95


def test_an_interrupted_sync_resumes_from_the_last_committed_cursor(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    failing = ScriptedConnector(failures={3: TransientError("read timed out after 30 s")})
    first = _engine(cache, failing).sync_account(account)
    assert not first.ok and "transient" in first.streams[0].stopped
    assert first.streams[0].retry_at == T0 + timedelta(seconds=30)
    assert get_cursor(cache, account.id, "mentions") == "40"
    second = _engine(cache, ScriptedConnector()).sync_account(account)
    assert second.ok and second.items_read == 55
    assert cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone() == (95, 95)
    reasons = [r[0] for r in cache.conn.execute("SELECT reason FROM sync_problems")]
    assert reasons == ["mentions: read timed out after 30 s"]  # the kind is its own column


def _read_ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("read-ahead")]


class ReadAheadConnector(ScriptedConnector):
    """Marks itself safe to read ahead and records which thread each fetch ran on."""

    read_ahead = True

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.threads: list[str] = []

    def fetch(self, stream: str, cursor: str | None) -> Page:
        self.threads.append(threading.current_thread().name)
        return super().fetch(stream, cursor)


def test_read_ahead_fetches_on_a_worker_and_commits_pages_in_order(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    connector = ReadAheadConnector(total=95, size=20)
    cursors: list[str | None] = []
    engine = SyncEngine(
        cache,
        lambda _a: connector,
        clock=lambda: T0,
        on_page=lambda a, _r: cursors.append(get_cursor(cache, a.id, "mentions")),
    )
    report = engine.sync_account(account)
    assert report.ok and report.items_written == 95 and report.streams[0].pages == 5
    assert cursors == ["20", "40", "60", "80", "95"]  # each page committed with its own cursor, in order
    assert connector.calls == 5 and set(connector.threads) == {"read-ahead mentions"}
    assert not _read_ahead_threads()  # the worker is gone


def test_read_ahead_stores_the_pages_before_an_error_then_stops(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    connector = ReadAheadConnector(failures={3: AuthenticationError("token revoked")})
    report = _engine(cache, connector).sync_account(account)  # type: ignore[arg-type]
    assert report.streams[0].stopped == "authentication failed: token revoked"
    assert report.streams[0].pages == 2 and get_cursor(cache, account.id, "mentions") == "40"
    assert connector.calls == 3 and not _read_ahead_threads()


def test_read_ahead_never_fetches_past_max_pages(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    connector = ReadAheadConnector(total=95, size=20)
    report = _engine(cache, connector).sync_account(account, max_pages=2)  # type: ignore[arg-type]
    assert report.streams[0].pages == 2 and connector.calls == 2
    assert get_cursor(cache, account.id, "mentions") == "40"


def test_connectors_that_acknowledge_on_read_are_never_read_ahead(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    seen: list[str] = []

    class Acknowledging(ScriptedConnector):
        def fetch(self, stream: str, cursor: str | None) -> Page:
            seen.append(threading.current_thread().name)
            return super().fetch(stream, cursor)

    _engine(cache, Acknowledging(total=45, size=20)).sync_account(account)
    assert seen == [threading.current_thread().name] * 3


def test_rate_limit_stops_the_stream_until_the_platform_says(cache: Cache) -> None:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    report = _engine(cache, ScriptedConnector(failures={1: RateLimited("429", retry_after=900)})).sync_account(account)
    assert report.streams[0].retry_at == T0 + timedelta(seconds=900)
    assert get_cursor(cache, account.id, "mentions") is None


def test_failures_never_reveal_the_secret(cache: Cache, caplog: pytest.LogCaptureFixture) -> None:
    store = SecretStore.in_memory()
    store.set("x:inst", TOKEN)
    account = ensure_account(cache, "x:inst", Channel.X, "Institution", secret_ref="x:inst")
    leaky = AuthenticationError(f"401 for https://api.example.org/2/users/me?access_token={TOKEN}")
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    report = _engine(cache, ScriptedConnector(failures={1: leaky})).sync_account(account)
    assert TOKEN not in report.streams[0].stopped and "***" in report.streams[0].stopped
    logging.getLogger("omniinbox.test").error("token was %s", TOKEN)
    assert TOKEN not in caplog.text
    dump = "\n".join(cache.conn.iterdump())
    assert TOKEN not in dump, "no secret may reach the database"
    assert "x:inst" in dump  # only the reference


def test_a_bug_in_one_account_does_not_stop_another(cache: Cache) -> None:
    bad = ensure_account(cache, "x:bad", Channel.X, "Bad")
    good = ensure_account(cache, "x:good", Channel.X, "Good")
    connectors = {bad.id: ScriptedConnector(failures={1: KeyError("data")}), good.id: ScriptedConnector()}
    engine = SyncEngine(cache, lambda account: connectors[account.id], clock=lambda: T0)
    assert "internal error" in engine.sync_account(bad).streams[0].stopped
    assert engine.sync_account(good).items_written == 95


# ------------------------------------------------------------------------------------ outbox


@pytest.fixture
def thread(cache: Cache) -> tuple[Account, int]:
    account = ensure_account(cache, "x:inst", Channel.X, "Institution")
    _engine(cache, ScriptedConnector(total=5)).sync_account(account)
    return account, queries.keyset_page(cache, limit=1)[0]


def _sender(cache: Cache, connector: ScriptedConnector, clock: Callable[[], datetime] = utcnow) -> OutboxSender:
    return OutboxSender(cache, lambda _a: connector, clock=clock, rng=random.Random(4), max_attempts=3)


def test_a_reply_is_stored_then_sent_once_and_shown_in_its_thread(cache: Cache, thread: tuple[Account, int]) -> None:
    account, item_id = thread
    entry = outbox.enqueue(cache, account_id=account.id, body="Terima kasih, kami cek.", in_reply_to_item_id=item_id)
    assert entry.state is OutboxState.QUEUED and entry.conversation_id is not None
    connector = ScriptedConnector()
    report = _sender(cache, connector).send_due()
    assert report.sent == [entry.id]
    assert _sender(cache, connector).send_due().sent == []  # never twice
    assert len(connector.sent) == 1
    sent = connector.sent[0]
    assert sent.in_reply_to_external_id == "4" and sent.conversation_external_id == "c0"
    stored = outbox.get(cache, entry.id)
    assert stored.state is OutboxState.SENT and stored.receipt_id == "sent-1" and stored.attempts == 1
    thread_rows = queries.thread(cache, stored.conversation_id or 0)
    assert thread_rows[-1].direction == "out" and thread_rows[-1].text == "Terima kasih, kami cek."


def test_transient_failures_back_off_then_give_up_with_a_reason(cache: Cache, thread: tuple[Account, int]) -> None:
    account, item_id = thread
    entry = outbox.enqueue(cache, account_id=account.id, body="Mohon maaf", in_reply_to_item_id=item_id)
    connector = ScriptedConnector()
    connector.send_failures = [TransientError("503 Service Unavailable")] * 3
    now = [utcnow()]
    sender = _sender(cache, connector, clock=lambda: now[0])
    assert sender.send_due().retrying == [entry.id]
    queued = outbox.get(cache, entry.id)
    assert queued.state is OutboxState.QUEUED and "503" in queued.last_error
    assert sender.send_due().retrying == []  # not due yet
    for _ in range(2):
        now[0] += timedelta(hours=2)
        sender.send_due()
    failed = outbox.get(cache, entry.id)
    assert failed.state is OutboxState.FAILED and "gave up after 3 attempts" in failed.last_error
    assert connector.sent == []
    outbox.retry(cache, entry.id, user_id=None, now_ms=0)
    assert sender.send_due().sent == [entry.id]


def test_permanent_refusal_fails_at_once(cache: Cache, thread: tuple[Account, int]) -> None:
    account, item_id = thread
    entry = outbox.enqueue(cache, account_id=account.id, body="x" * 10, in_reply_to_item_id=item_id)
    connector = ScriptedConnector()
    connector.send_failures = [PermanentError("the post was deleted")]
    assert _sender(cache, connector).send_due().failed == [entry.id]
    assert outbox.get(cache, entry.id).last_error == "permanent: the post was deleted"


def test_a_crash_while_sending_is_never_resent_automatically(cache: Cache, thread: tuple[Account, int]) -> None:
    account, item_id = thread
    entry = outbox.enqueue(cache, account_id=account.id, body="Halo", in_reply_to_item_id=item_id)
    claimed = outbox.claim_next(cache, 10**15)
    assert claimed is not None and claimed.state is OutboxState.SENDING
    # ... the process dies here; on the next start:
    assert outbox.recover_interrupted(cache) == 1
    recovered = outbox.get(cache, entry.id)
    assert recovered.state is OutboxState.FAILED and "may or may not have reached" in recovered.last_error
    assert _sender(cache, ScriptedConnector()).send_due().sent == []


def test_leader_account_replies_wait_for_approval(cache: Cache) -> None:
    leader = add_account(cache, "x:walikota", Channel.X, "Wali Kota", owner_kind=OwnerKind.LEADER)
    entry = outbox.enqueue(cache, account_id=leader.id, body="Terima kasih warga", visibility=Visibility.PUBLIC)
    assert entry.state is OutboxState.AWAITING_APPROVAL and entry.requires_approval
    connector = ScriptedConnector()
    assert _sender(cache, connector).send_due().sent == []
    approved = outbox.approve(cache, entry.id, user_id=None)
    assert approved.state is OutboxState.QUEUED
    with pytest.raises(outbox.OutboxRefused, match="queued; it cannot become"):
        outbox.approve(cache, entry.id, user_id=None)
    assert _sender(cache, connector).send_due().sent == [entry.id]


def test_empty_replies_are_refused(cache: Cache, thread: tuple[Account, int]) -> None:
    with pytest.raises(outbox.OutboxRefused, match="empty"):
        outbox.enqueue(cache, account_id=thread[0].id, body="  \n ")


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    ceilings = [backoff_seconds(n, rng=rng) for n in range(1, 12)]
    assert ceilings[0] <= 30 and ceilings[3] > 100 and max(ceilings) <= 3600


def test_connector_error_classes_say_what_to_do() -> None:
    assert RateLimited("x").retryable and TransientError("x").retryable
    assert not PermanentError("x").retryable and not AuthenticationError("x").retryable
    assert isinstance(RateLimited("x"), ConnectorError)


def test_secret_store_refuses_without_a_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import keyring
    from keyring.backends import fail

    from omniinbox.secrets import SecretsUnavailable

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(SecretsUnavailable, match="--allow-plaintext-secrets"):
        SecretStore.system()
    from pathlib import Path

    file = Path(str(tmp_path)) / "secrets.json"
    store = SecretStore.system(plaintext_fallback=file)
    store.set("zendesk:cs", TOKEN)
    assert not store.secure and "plain-text file" in store.description
    assert store.get("zendesk:cs") == TOKEN
    assert oct(file.stat().st_mode & 0o777) == "0o600"
    store.delete("zendesk:cs")
    assert store.get("zendesk:cs") is None
    assert REDACTOR(f"Bearer {TOKEN}") == "Bearer ***"
