"""The contact center's four HTTP systems end to end: the command line connects accounts to the
running sandbox, ``sync --once`` fills the cache from all of them, replies written with the
command line arrive in the sandbox; and each connector rides out bad weather without losing,
doubling or leaking anything."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from omniinbox.cli import main
from omniinbox.connectors.registry import build_connector
from omniinbox.core import Channel
from omniinbox.sandbox.hub import Sandbox, SandboxAccount, start_sandbox
from omniinbox.secrets import RedactingFilter
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine

WRITES = {
    "zendesk": ("PUT", r"/zendesk/api/v2/tickets/\d+\.json$"),
    "freshdesk": ("POST", r"/reply$"),
    "zammad": ("POST", r"/ticket_articles$"),
    "chatwoot": ("POST", r"/messages$"),
}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(live=False, platforms=["zendesk", "freshdesk", "zammad", "chatwoot"])
    try:
        yield running
    finally:
        running.stop()


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = "") -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _add_args(account: SandboxAccount) -> list[str]:
    return account.add_args()


def test_the_command_line_fills_the_cache_from_all_four_and_replies_arrive(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.sqlite")
    for account in sandbox.accounts:
        _cli(monkeypatch, capsys, *_add_args(account), "--cache", db, stdin=account.secret + "\n")
    reports = [
        json.loads(line) for line in _cli(monkeypatch, capsys, "sync", "--once", "--json", "--cache", db).splitlines()
    ]
    assert {r["channel"] for r in reports} == {"zendesk", "freshdesk", "zammad", "chatwoot"}
    assert all(r["written"] > 0 and not r["stopped"] for r in reports), reports
    with Cache.open(db) as cache:
        per_channel = dict(
            cache.conn.execute(
                "SELECT a.channel, count(*) FROM items i JOIN accounts a ON a.id = i.account_id GROUP BY a.channel"
            )
        )
        first_items = dict(
            cache.conn.execute(
                "SELECT a.channel, min(i.id) FROM items i JOIN accounts a ON a.id = i.account_id GROUP BY a.channel"
            )
        )
    assert set(per_channel) == {"zendesk", "freshdesk", "zammad", "chatwoot"}
    for channel, item in first_items.items():
        _cli(monkeypatch, capsys, "reply", str(item), f"Balasan untuk {channel}", "--cache", db)
    _cli(monkeypatch, capsys, "sync", "--once", "--cache", db)
    sent = [json.loads(line) for line in _cli(monkeypatch, capsys, "outbox", "--json", "--cache", db).splitlines()]
    assert {e["state"] for e in sent} == {"sent"} and len(sent) == 4
    for channel, (method, pattern) in WRITES.items():
        assert sandbox.server.count(method, pattern) == 1, channel
    _cli(monkeypatch, capsys, "sync", "--once", "--cache", db)  # the replies come back as items, once
    with Cache.open(db) as cache:
        echoed = dict(
            cache.conn.execute("SELECT text, count(*) FROM items WHERE text LIKE 'Balasan untuk %' GROUP BY text")
        )
    assert echoed == {f"Balasan untuk {c}": 1 for c in WRITES}


@pytest.mark.parametrize("channel", ["zendesk", "freshdesk", "zammad", "chatwoot"])
def test_bad_weather_is_ridden_out_and_a_truncated_body_stops_with_a_reason(
    cache: Cache, sandbox: Sandbox, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    info = next(a for a in sandbox.accounts if a.channel == channel)
    account = add_account(
        cache, info.key, Channel(channel), info.name, base_url=info.url, secret_ref=info.key, settings=info.settings
    )
    server = sandbox.server
    prefix = f"/{channel}/"
    server.inject("GET", prefix, status=429, headers={"Retry-After": "1"})
    for status in (503, 502, 500):  # a burst of server errors
        server.inject("GET", prefix, status=status, headers={"Retry-After": "0"} if status == 503 else {})
    server.inject("GET", prefix, status=200, delay=1.2)  # slower than the read timeout below

    def connector(_a: object) -> object:
        built = build_connector(account, info.secret)
        built.http.timeout = (2.0, 0.6)  # type: ignore[attr-defined]
        built.http._sleep = lambda s: None  # type: ignore[attr-defined]
        return built

    engine = SyncEngine(cache, connector)  # type: ignore[arg-type]
    first = engine.sync_account(account)
    assert first.ok, first.streams
    total = cache.conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone()
    assert total[0] == total[1] > 0
    assert {429, 503, 502, 500} <= {r.status for r in server.requests}

    server.inject("GET", prefix, status=200, body=b'{"tickets": [{"id": 1, "subj')  # cut short
    cut = SyncEngine(cache, connector).sync_account(account)  # type: ignore[arg-type]
    assert "not JSON" in cut.streams[0].stopped
    recorded = cache.conn.execute("SELECT kind, reason FROM sync_problems").fetchall()
    assert recorded and recorded[-1][0] == "bug" and "not JSON" in recorded[-1][1]
    assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == total[0]  # nothing lost

    expired = add_account(
        cache,
        f"{channel}:expired",
        Channel(channel),
        "Expired",
        base_url=info.url,
        secret_ref="x",
        settings=info.settings,
    )
    report = SyncEngine(cache, lambda _a: build_connector(expired, "expired-token-31415926")).sync_account(expired)
    assert report.streams[0].stopped.startswith("authentication failed")
    assert info.secret not in caplog.text and "expired-token-31415926" not in caplog.text
