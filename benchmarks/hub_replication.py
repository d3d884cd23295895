"""Team mode on a real PostgreSQL: how long an action on one desk takes to show in another desk's
local cache, and how fast the sync worker fills the hub.

* **Replication delay**: two desks (a supervisor and an agent of the contact center), each a
  team-mode cache kept by its own :class:`~omniinbox.hub.replica.HubReplicaLoop` (LISTEN/NOTIFY,
  pushing journaled actions). An action is a Promote/Protect set through the use case on the
  supervisor's cache (``usecases.tag``); the clock stops when the tag is readable in the agent's
  cache (polled every millisecond on a reader connection). The whole path: local transaction and
  journal, the loop noticing it, the push under the supervisor's login (row-level security), the
  hub's NOTIFY at commit, the agent's loop pulling the change feed and writing its cache.
* **Worker ingest rate**: what ``omniinbox sync --hub DSN --demo --once`` does (the sandbox's
  accounts registered in the hub, :func:`omniinbox.hub.worker.sync_hub` once through the real
  connectors, under a worker login), with the sandbox serving ``--messages`` generated messages as
  ``sandbox serve --scale N`` does; the emulated rate allowances are lifted, as in
  ``demo_scale.py``. Items/s = items in the hub after the round / seconds of the round.

A fresh database with a unique role prefix is created on the server of ``--admin-dsn`` (a role
allowed to create databases and roles; default ``$OMNIINBOX_TEST_PG`` or the local server) and
dropped afterwards.

    .venv/bin/python benchmarks/hub_replication.py [--actions 100] [--messages 20000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from _common import emit, log, machine_info, summarize_ms
from psycopg import conninfo, sql

from omniinbox import usecases
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.registry import build_connector
from omniinbox.core import Account, Author, Channel, Item, ItemKind, OwnerKind, Page, Role, TagValue, Team
from omniinbox.hub import accounts, ingest, replica, users
from omniinbox.hub.connection import connect
from omniinbox.hub.schema import migrate
from omniinbox.hub.worker import sync_hub
from omniinbox.sandbox.hub import DEFAULT_SCENARIOS, start_sandbox
from omniinbox.secrets import SecretStore
from omniinbox.store.cache import Cache

ADMIN_DSN = os.environ.get("OMNIINBOX_TEST_PG", "host=127.0.0.1 port=5432 dbname=postgres")


def _dsn(admin_dsn: str, dbname: str, user: str | None = None) -> str:
    extra: dict[str, Any] = {"dbname": dbname}
    if user is not None:
        extra["user"] = user
    return conninfo.make_conninfo(admin_dsn, **extra)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.001)


_TAGGED = "SELECT 1 FROM tags WHERE item_id = ? AND value = 'protect'"


def replication_delay(admin_dsn: str, dbname: str, prefix: str, folder: Path, actions: int) -> dict[str, Any]:
    owner_dsn = _dsn(admin_dsn, dbname)
    logins = {short: f"{prefix}_u_{short}" for short in ("sari", "dewi", "sync")}
    with connect(owner_dsn) as owner:
        users.add_user(owner, logins["sari"], name="Sari", role=Role.SUPERVISOR, password=None)
        users.add_user(owner, logins["dewi"], name="Dewi", role=Role.AGENT, team=Team.CONTACT_CENTER, password=None)
        users.add_user(owner, logins["sync"], name="sync", role="worker", password=None)
        account = accounts.add_account(owner, "zendesk:bench", Channel.ZENDESK, "Pusat Layanan")
    start = datetime.now(UTC) - timedelta(hours=2)
    items = [
        Item(external_id=f"b{n}", kind=ItemKind.TICKET, text=f"keluhan {n} soal air PDAM", conversation_id=f"c{n}",
             created_at=start + timedelta(seconds=n), author=Author(f"w{n % 17}", name=f"Warga {n % 17}"))
        for n in range(actions)
    ]  # fmt: skip
    with connect(_dsn(admin_dsn, dbname, logins["sync"])) as worker, worker.transaction():
        ingest.write_page(worker, account, None, Page(items=items))
    desks: dict[str, tuple[Cache, replica.HubReplicaLoop]] = {}
    for short in ("sari", "dewi"):
        dsn = _dsn(admin_dsn, dbname, logins[short])
        path = folder / f"{short}.sqlite"
        with Cache.open(path) as cache:
            replica.init_replica(cache, dsn, logins[short])
        loop = replica.HubReplicaLoop(path, dsn, interval=30.0).start()
        desks[short] = (Cache.open(path), loop)
    sari_cache, sari_loop = desks["sari"]
    dewi_cache, _ = desks["dewi"]
    try:
        _wait(lambda: dewi_cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == actions, 60, "first pull")
        _wait(lambda: sari_cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == actions, 60, "first pull")
        sari = usecases.current_user(sari_cache, logins["sari"])
        sari_items = [r[0] for r in sari_cache.conn.execute("SELECT id FROM items ORDER BY external_id")]
        dewi_item = dict(dewi_cache.conn.execute("SELECT external_id, id FROM items").fetchall())
        ext_of = dict(sari_cache.conn.execute("SELECT id, external_id FROM items").fetchall())
        reader = dewi_cache.reader()
        delays: list[float] = []
        for item in sari_items:
            target = dewi_item[ext_of[item]]
            t0 = time.perf_counter()
            usecases.tag(sari_cache, sari, [item], Team.CONTACT_CENTER, TagValue.PROTECT, toggle=False)
            sari_loop.poke()  # as the window does after a person's action
            _wait(lambda t=target: reader.execute(_TAGGED, (t,)).fetchone() is not None, 30, "the tag")  # type: ignore[misc]
            delays.append(time.perf_counter() - t0)
        reader.close()
        states = {short: loop.state() for short, (_c, loop) in desks.items()}
    finally:
        for cache, loop in desks.values():
            loop.stop()
            cache.close()
    return {
        "actions": actions,
        "delay": summarize_ms(delays),
        "pushed_by_supervisor": states["sari"].pushed,
        "refused": states["sari"].refused,
        "poked_like_the_window": True,
    }


def worker_ingest(admin_dsn: str, dbname: str, prefix: str, messages: int) -> dict[str, Any]:
    owner_dsn = _dsn(admin_dsn, dbname)
    worker_login = f"{prefix}_u_ingest"
    store = SecretStore.in_memory()
    log(f"starting the sandbox with {messages:,} generated messages ...")
    sandbox = start_sandbox(DEFAULT_SCENARIOS, live=False, scale=messages)
    try:
        for platform in sandbox.server.platforms.values():
            platform.budget_per_minute = 10**9
        with connect(owner_dsn) as owner:
            users.add_user(owner, worker_login, name="ingest", role="worker", password=None)
            for offered in sandbox.accounts:
                ref = f"bench:{offered.key}"
                accounts.add_account(
                    owner, offered.key, Channel(offered.channel), offered.name, base_url=offered.url,
                    handle=offered.handle, secret_ref=ref, settings=offered.settings,
                    owner_kind=OwnerKind.LEADER if offered.leader else OwnerKind.INSTITUTION,
                )  # fmt: skip
                store.set(ref, offered.secret)
            before = owner.execute("SELECT count(*) FROM omniinbox.items").fetchone()
        rate = RateControl.shared()

        def connector_for(account: Account) -> Any:
            return build_connector(account, store.get(account.secret_ref), rate=rate)

        log("syncing into the hub ...")
        started = time.perf_counter()
        keys = tuple(a.key for a in sandbox.accounts)
        sync_hub(_dsn(admin_dsn, dbname, worker_login), connector_for, account_keys=keys, once=True)
        seconds = time.perf_counter() - started
        with connect(owner_dsn) as owner:
            after = owner.execute("SELECT count(*) FROM omniinbox.items").fetchone()
            problems = owner.execute("SELECT count(*) FROM omniinbox.sync_problems").fetchone()
    finally:
        sandbox.stop()
    assert before is not None and after is not None and problems is not None
    items = int(after[0]) - int(before[0])
    return {
        "messages": messages,
        "accounts": len(sandbox.accounts),
        "items": items,
        "seconds": round(seconds, 2),
        "items_per_s": round(items / seconds) if seconds else None,
        "sync_problems": int(problems[0]),
    }


def initial_pull(admin_dsn: str, dbname: str, prefix: str, folder: Path) -> dict[str, Any]:
    """A desk opened for the first time on a filled hub: the whole feed into an empty cache."""
    login = f"{prefix}_u_sari"  # the supervisor sees everything
    dsn = _dsn(admin_dsn, dbname, login)
    with Cache.open(folder / "first.sqlite") as cache, connect(dsn) as conn:
        replica.init_replica(cache, dsn, login)
        started = time.perf_counter()
        report = replica.pull(conn, cache)
        seconds = time.perf_counter() - started
        items = cache.conn.execute("SELECT count(*) FROM items").fetchone()[0]
        again = time.perf_counter()
        before = cache.last_seq()
        replica.pull(conn, cache)
        replay_changed = cache.last_seq() != before
        replay_seconds = time.perf_counter() - again
    return {
        "items": items,
        "hub_rows": sum(report.rows.values()),
        "seconds": round(seconds, 2),
        "items_per_s": round(items / seconds) if seconds else None,
        "next_pull_s": round(replay_seconds, 3),
        "next_pull_changed_anything": replay_changed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-dsn", default=ADMIN_DSN, help="a role that may create databases and roles")
    parser.add_argument("--actions", type=int, default=100, help="tag actions timed from one desk to the other")
    parser.add_argument("--messages", type=int, default=20_000, help="generated messages the sandbox serves")
    args = parser.parse_args()
    token = secrets.token_hex(4)
    dbname, prefix = f"oi_bench_{token}", f"oib{token}"
    with psycopg.connect(args.admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        with connect(_dsn(args.admin_dsn, dbname)) as owner:
            migrate(owner, prefix=prefix)
        with tempfile.TemporaryDirectory() as folder:
            log(f"replication delay over {args.actions} actions ...")
            delay = replication_delay(args.admin_dsn, dbname, prefix, Path(folder), args.actions)
        ingest_rate = worker_ingest(args.admin_dsn, dbname, prefix, args.messages)
        with tempfile.TemporaryDirectory() as folder:
            log("a new supervisor's desk pulls the whole hub ...")
            first_pull = initial_pull(args.admin_dsn, dbname, prefix, Path(folder))
    finally:
        with psycopg.connect(args.admin_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
            for (role,) in admin.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (prefix + r"\_%",)
            ).fetchall():
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    emit(
        {
            "benchmark": "hub_replication",
            "machine": machine_info(),
            "replication": delay,
            "worker_ingest": ingest_rate,
            "initial_pull": first_pull,
        }
    )


if __name__ == "__main__":
    main()
