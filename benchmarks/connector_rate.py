"""Full-sync rate of each connector against the sandbox over real HTTP on loopback:
N generated messages (the scenarios' mix, deterministic) served by the emulations, synced into a
fresh cache through the sync engine. Loopback HTTP and the emulation share the machine with the
sync, and the emulated rate allowances are lifted, so this measures the client's whole path (HTTP,
parsing, ingest), not a platform's speed or its limits (with them, a sync waits as the platform says).

    .venv/bin/python benchmarks/connector_rate.py [--messages N] [--platform NAME ...]

``--platform`` names emulations of ``omniinbox.sandbox.hub.EMULATIONS`` (default: all).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import emit, log, machine_info

from omniinbox.connectors.registry import build_connector
from omniinbox.core import Channel
from omniinbox.sandbox.hub import start_sandbox
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000, help="generated messages across all platforms")
    parser.add_argument("--platform", action="append", help="only this emulation (repeatable)")
    args = parser.parse_args()
    log(f"starting the sandbox with {args.messages:,} generated messages ...")
    sandbox = start_sandbox(live=False, scale=args.messages, platforms=args.platform)
    for platform in sandbox.server.platforms.values():
        platform.budget_per_minute = 10**9  # the emulated allowances are lifted: this measures our path
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            for info in sandbox.accounts:
                with Cache.open(Path(folder) / f"{info.key.replace(':', '_').replace('@', '')}.sqlite") as cache:
                    account = add_account(
                        cache,
                        info.key,
                        Channel(info.channel),
                        info.name,
                        base_url=info.url,
                        secret_ref=info.key,
                        settings=info.settings,
                    )
                    engine = SyncEngine(cache, lambda _a, a=account, s=info.secret: build_connector(a, s))
                    started = time.perf_counter()
                    report = engine.sync_account(account)
                    seconds = time.perf_counter() - started
                    engine.close()
                    requests = sum(1 for _ in sandbox.server.iter_requests(info.channel))
                    results[info.key] = {
                        "items": report.items_written,
                        "seconds": round(seconds, 2),
                        "items_per_s": round(report.items_written / seconds) if seconds else None,
                        "requests": requests,
                        "ok": report.ok,
                    }
                    log(
                        f"{info.key:24} {report.items_written:7,} items in {seconds:6.2f} s"
                        f" = {report.items_written / seconds:8,.0f}/s, {requests:,} requests"
                    )
    finally:
        sandbox.stop()
    emit(
        {
            "benchmark": "connector_rate",
            "machine": machine_info(),
            "params": {"messages": args.messages, "platforms": args.platform or "all"},
            "connectors": results,
        }
    )


if __name__ == "__main__":
    main()
