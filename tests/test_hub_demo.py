"""Team mode with the demo: ``omniinbox sync --hub DSN --demo`` registers the sandbox's accounts
in a real PostgreSQL hub and fills it through the hub worker; a second run adds nothing."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from helpers.pg import PgHub, pg_hub  # noqa: F401 - the fixture

from omniinbox.cli import main
from omniinbox.sandbox.hub import DEFAULT_SCENARIOS
from omniinbox.sandbox.scenario import scenario_named


def _sync(capsys: pytest.CaptureFixture[str], dsn: str) -> list[dict[str, object]]:
    code = main(["sync", "--hub", dsn, "--demo", "--once", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, (err, out)
    return [json.loads(line) for line in out.splitlines()]


def test_the_demo_fills_the_hub_through_the_worker(pg_hub: PgHub, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    lines = _sync(capsys, pg_hub.dsn)
    accounts = [line for line in lines if "account" in line]
    assert accounts and all(not line["stopped"] for line in accounts), accounts
    assert lines[-1]["hub_round"] is True
    expected: Counter[str] = Counter()
    for name in DEFAULT_SCENARIOS:
        expected.update(e.platform for e in scenario_named(name).events)
    with pg_hub.owner() as conn:
        per_channel = dict(
            conn.execute(
                "SELECT a.channel, count(*) FROM omniinbox.items i JOIN omniinbox.accounts a ON a.id = i.account_id"
                " GROUP BY a.channel"
            ).fetchall()
        )
        for channel in ("zendesk", "freshdesk", "zammad", "chatwoot"):
            assert per_channel[channel] == expected[channel], channel
        secrets_in_settings = conn.execute(
            "SELECT count(*) FROM omniinbox.accounts WHERE settings::text ILIKE '%token%'"
        ).fetchone()
        assert secrets_in_settings == (0,)
    # A second run: a new sandbox on a new port, the accounts pointed at it, nothing new stored.
    _sync(capsys, pg_hub.dsn)
    with pg_hub.owner() as conn:
        again = dict(
            conn.execute(
                "SELECT a.channel, count(*) FROM omniinbox.items i JOIN omniinbox.accounts a ON a.id = i.account_id"
                " GROUP BY a.channel"
            ).fetchall()
        )
        assert again == per_channel
        assert conn.execute("SELECT count(DISTINCT key) = count(*) FROM omniinbox.accounts").fetchone() == (True,)


def test_an_unreachable_hub_is_named_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sync", "--hub", "host=127.0.0.1 port=1 dbname=x password=hunter2", "--demo", "--once"])
    _, err = capsys.readouterr()
    assert code == 1
    assert "cannot connect to the hub" in err and "port=1" in err
    assert "hunter2" not in err and "Traceback" not in err
