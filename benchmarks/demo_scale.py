"""The demo at scale: ``omniinbox sandbox serve --scale N`` serves N generated messages (the
scenarios' mix across every platform, deterministic by seed) and one cache syncs all of them
through the real connectors, as ``omniinbox sync --demo --once`` does, account after account.

The emulated rate allowances are lifted (a real platform's limits would make a million-item sync
a matter of days, by the platform's choice, not ours), so this measures the client's whole path:
HTTP on loopback, parsing, the sync engine, ingest with full-text indexing; the emulation runs in
the same process and shares the CPUs.

    .venv/bin/python benchmarks/demo_scale.py [--messages 1000000] [--platform NAME ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import emit, log, machine_info

from omniinbox.demo import items_per_channel, start_demo
from omniinbox.secrets import SecretStore
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="generated messages across all platforms")
    parser.add_argument("--platform", action="append", help="only this emulation (repeatable; default: all)")
    parser.add_argument("--work-dir", type=Path, help="where the cache goes (default: a temporary folder)")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=args.work_dir) as folder, Cache.open(Path(folder) / "demo.sqlite") as cache:
        log(f"starting the sandbox with {args.messages:,} generated messages ...")
        demo = start_demo(cache, live=False, scale=args.messages, secrets=SecretStore.in_memory(),
                          platforms=args.platform)  # fmt: skip
        serving = time.perf_counter() - started
        log(f"serving after {serving:.1f} s")
        for platform in demo.sandbox.server.platforms.values():
            platform.budget_per_minute = 10**9
        engine = SyncEngine(cache, demo.connector_for())
        sync_started = time.perf_counter()
        try:
            for account in demo.accounts:
                t = time.perf_counter()
                report = engine.sync_account(account)
                seconds = time.perf_counter() - t
                results[account.key] = {
                    "items": report.items_written,
                    "seconds": round(seconds, 1),
                    "items_per_s": round(report.items_written / seconds) if seconds else None,
                    "ok": report.ok,
                    "stopped": [s.stopped for s in report.streams if s.stopped],
                }
                log(f"{account.key:34} {report.items_written:9,} items in {seconds:7.1f} s"
                    f" = {report.items_written / max(seconds, 1e-9):7,.0f}/s")  # fmt: skip
        finally:
            engine.close()
            demo.stop()
        sync_seconds = time.perf_counter() - sync_started
        counts = items_per_channel(cache)
        problems = cache.integrity_problems()
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
    total = sum(counts.values())
    emit(
        {
            "benchmark": "demo_scale",
            "machine": machine_info(),
            "params": {"messages": args.messages, "platforms": args.platform or "all"},
            "serving_after_s": round(serving, 1),
            "sync_seconds": round(sync_seconds, 1),
            "items": total,
            "items_per_s": round(total / sync_seconds) if sync_seconds else None,
            "items_per_channel": counts,
            "accounts": results,
            "all_ok": all(r["ok"] for r in results.values()),
            "integrity_problems": problems,
            "cache_bytes": size,
        }
    )


if __name__ == "__main__":
    main()
