"""The status bar: sync state per account with the reasons of failures, the offline state (every
account failing with network errors), outbox counts, and the popup listing every account."""

from __future__ import annotations

from typing import Any

from ui_support import Sample, wait_idle

from omniinbox.core import SyncProblem
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import record_problem
from omniinbox.ui.status_bar import StatusBar
from omniinbox.ui.tasks import TaskRunner


def _bar(qtbot: Any, runner: TaskRunner) -> StatusBar:
    bar = StatusBar(runner)
    qtbot.addWidget(bar)
    qtbot.waitUntil(lambda: bool(bar.sync.text()), timeout=5000)
    return bar


def _problems(bar: StatusBar, runner: TaskRunner, account_ids: list[int], kind: str, reason: str) -> None:
    def write(cache: Cache) -> None:
        with cache.write("sync") as tx:
            for account_id in account_ids:
                record_problem(tx, account_id, kind, SyncProblem(reason=reason))

    # a recorded problem takes no change number, so the feed does not announce it: the bar reads
    # again on its timer; here, at once
    runner.write(write, done=lambda _r: bar.refresh())


def _synced(bar: StatusBar, runner: TaskRunner, account_id: int, at_ms: int) -> None:
    def write(cache: Cache) -> None:
        with cache.write("sync") as tx:
            tx.conn.execute(
                "INSERT OR REPLACE INTO sync_cursors (account_id, stream, cursor, updated_at) VALUES (?, 'x', 'c', ?)",
                (account_id, at_ms),
            )

    runner.write(write, done=lambda _r: bar.refresh())


def test_accounts_failing_with_their_reason(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    bar = _bar(qtbot, runner)
    assert bar.sync.text().startswith("10 accounts") and "not synced yet" in bar.sync.text()
    assert not bar.offline
    wali = sample.account_id("x:walikota")
    _problems(bar, runner, [wali], "authentication", "mentions: 401 <b>token</b> expired")
    wait_idle(qtbot, runner)
    qtbot.waitUntil(lambda: "1 with problems" in bar.sync.text(), timeout=5000)
    wait_idle(qtbot, runner)
    assert "401 <b>token</b> expired" in bar.sync.toolTip()
    assert not bar.offline and "Offline" not in bar.sync.text()
    popup = bar.show_popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    table = popup.table
    assert table.rowCount() == 10
    rows = {table.item(r, 0).text(): table.item(r, 3).text() for r in range(table.rowCount())}
    assert rows["Wali Kota (X)"] == "failing: mentions: 401 <b>token</b> expired"  # plain text, as recorded
    assert rows["Pemkot Sukamaju (X)"] == "not synced yet"
    assert popup.title.text() == "1 of 10 accounts have problems"
    assert popup.outbox.text().startswith("Outbox: 0 queued")
    popup.hide()


def test_offline_when_every_account_fails_with_network_errors(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    bar = _bar(qtbot, runner)
    ids = [r[0] for r in sample.cache.conn.execute("SELECT id FROM accounts").fetchall()]
    _problems(bar, runner, ids[:-1], "transient", "mentions: GET http://x/api: connection refused")
    wait_idle(qtbot, runner)
    qtbot.waitUntil(lambda: "9 with problems" in bar.sync.text(), timeout=5000)
    assert not bar.offline
    _problems(bar, runner, ids[-1:], "transient", "tickets: GET http://y/api: no answer in time")
    wait_idle(qtbot, runner)
    qtbot.waitUntil(lambda: bar.offline, timeout=5000)
    assert bar.sync.text().startswith("Offline: no account can be reached")
    popup = bar.show_popup()
    assert popup.title.text().startswith("Offline")
    states = {popup.table.item(r, 3).text() for r in range(popup.table.rowCount())}
    assert all(s.startswith("unreachable: ") for s in states)
    popup.hide()
    # one account syncs again: no longer offline, its state is OK
    _synced(bar, runner, ids[0], 1 << 45)
    wait_idle(qtbot, runner)
    qtbot.waitUntil(lambda: not bar.offline, timeout=5000)
    wait_idle(qtbot, runner)
    assert "9 with problems" in bar.sync.text() and "last sync" in bar.sync.text()
    ok = [a for a in bar.accounts if a.account_id == ids[0]]
    assert ok and not ok[0].failing


def test_outbox_counts(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    bar = _bar(qtbot, runner)
    assert bar.outbox.text() == "Outbox: 0 queued"
    account_id = sample.account_id("email:layanan")

    def add(cache: Cache) -> None:
        with cache.write("outbox") as tx:
            for n, state in enumerate(("queued", "failed", "awaiting_approval", "failed")):
                tx.conn.execute(
                    "INSERT INTO outbox (account_id, body, state, idempotency_key, created_at, seq)"
                    " VALUES (?, 'x', ?, ?, 0, ?)",
                    (account_id, state, f"k{n}", tx.next_seq()),
                )
            tx.summary["outbox"] += 4

    runner.write(add)
    wait_idle(qtbot, runner)
    qtbot.waitUntil(lambda: "failed" in bar.outbox.text(), timeout=5000)
    assert bar.outbox.text() == "Outbox: 1 queued · 1 awaiting approval · 2 failed"
    assert bar.outbox_counts == {"queued": 1, "failed": 2, "awaiting_approval": 1}
