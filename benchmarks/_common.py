"""Shared helpers for the benchmark scripts: machine info, argument defaults, the base cache
(built once through the real ingest path and reused), copies of it, timing and percentiles.

Nothing here is a test: the scripts print one JSON object each and leave judging to people.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import sqlite_utils

from omniinbox.core import Account, Channel, Item, Page
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page
from omniinbox.store.migrations import MIGRATIONS

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"

FULL_BASE = 1_000_000
QUICK_BASE = 20_000
PAGE_SIZE = 10_000  # the command line's import page size
BASE_SEED = 1
BASE_PREFIX = "syn"
ACCOUNT_KEY = "x:bench"
ACCOUNT_CHANNEL = Channel.X
STREAM = "bench"


# ---------------------------------------------------------------------------------- output


def log(*parts: object) -> None:
    """Progress, on stderr (stdout carries only the JSON result)."""
    print(*parts, file=sys.stderr, flush=True)


def machine_info() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "machine": platform.machine(),
        # other work on the machine skews timings; recorded so runs can be compared fairly
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def emit(result: dict[str, Any]) -> None:
    json.dump(result, sys.stdout, ensure_ascii=False, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------- arguments


def add_base_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help=f"small smoke run ({QUICK_BASE:,} base items, few runs)")
    parser.add_argument(
        "--base-items",
        type=int,
        default=None,
        help=f"items in the base cache (default {FULL_BASE:,}; quick {QUICK_BASE:,})",
    )
    parser.add_argument(
        "--base-cache", type=Path, default=None, help="path of the base cache (built there when missing)"
    )
    parser.add_argument("--work-dir", type=Path, default=OUT_DIR, help="where copies and scratch files go")


def resolve_base_args(args: argparse.Namespace) -> None:
    """Fill in the quick/full defaults of :func:`add_base_args` in place."""
    if args.base_items is None:
        args.base_items = QUICK_BASE if args.quick else FULL_BASE
    if args.base_cache is None:
        args.base_cache = args.work_dir / f"base-{args.base_items}.sqlite"
    args.work_dir.mkdir(parents=True, exist_ok=True)


# ---------------------------------------------------------------------------------- the base cache


def bench_account(cache: Cache) -> Account:
    return ensure_account(cache, ACCOUNT_KEY, ACCOUNT_CHANNEL, "Benchmark account")


def pages(items: Iterable[Item], size: int = PAGE_SIZE, *, cursor_prefix: str = "p") -> Iterator[Page]:
    """Consecutive pages of ``size`` items, as an importer would hand them to ``ingest_page``."""
    it = iter(items)
    n = 0
    while chunk := list(islice(it, size)):
        n += 1
        yield Page(items=chunk, next_cursor=f"{cursor_prefix}{n}", has_more=len(chunk) == size)


def checkpoint(conn: sqlite3.Connection) -> None:
    """Fold the WAL into the main file and truncate it to zero bytes."""
    busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise RuntimeError("could not checkpoint the WAL (another connection is reading)")


def ensure_base_cache(path: Path, n: int) -> dict[str, Any]:
    """Build the base cache of ``n`` items at ``path`` unless it exists; say what was done.

    Built through ``ingest_page`` in pages of 10,000 from ``generate_items(n, threads=n // 5)``,
    into a temporary file renamed into place when complete (an interrupted build leaves nothing).
    """
    if path.exists():
        migrated = _migrate_base(path)
        return {"path": str(path), "items": n, "built": False, **({"migrated": migrated} if migrated else {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    remove_cache_files(tmp)
    log(f"building base cache of {n:,} items at {path} ...")
    started = time.perf_counter()
    with Cache.open(tmp) as cache:
        account = bench_account(cache)
        done = 0
        items = generate_items(n, seed=BASE_SEED, prefix=BASE_PREFIX, threads=max(n // 5, 1))
        for page in pages(items, cursor_prefix="base-"):
            ingest_page(cache, account, STREAM, page, source="import")
            done += len(page.items)
            if done % 100_000 == 0 or done == n:
                log(f"  {done:,} / {n:,} items ({time.perf_counter() - started:.0f} s)")
        checkpoint(cache.conn)
    seconds = time.perf_counter() - started
    remove_cache_files(path)
    tmp.rename(path)
    log(f"base cache built in {seconds:.1f} s")
    return {"path": str(path), "items": n, "built": True, "build_seconds": round(seconds, 2)}


def _migrate_base(path: Path) -> list[str]:
    """Apply migrations the base cache lacks (made by an older version), once, rather than
    on every copy of it; the backup taken before migrating is removed (the base can be rebuilt)."""
    db = sqlite_utils.Database(sqlite3.connect(path))
    try:
        pending = [m.name for m in MIGRATIONS.pending(db)]
    finally:
        db.close()
    if pending:
        log(f"migrating the base cache ({', '.join(pending)}) ...")
        with Cache.open(path) as cache:
            checkpoint(cache.conn)
        for backup in path.parent.glob(f"{path.name}.*.bak"):
            backup.unlink()
    return pending


def cache_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def remove_cache_files(path: Path) -> None:
    """The cache, its WAL files, and the backups a migration of it left (a copy of an older base
    is migrated when opened, and each backup is as big as the base)."""
    for p in [*cache_files(path), *path.parent.glob(f"{path.name}.*.bak")]:
        p.unlink(missing_ok=True)


def copy_cache(src: Path, dst: Path) -> None:
    """Copy a cache file with its WAL (if any) so the copy starts from exactly the same state.

    The copy is flushed to disk before returning: otherwise the first fsync SQLite makes (at the
    first checkpoint) would pay for writing back the whole freshly copied file, which measured
    as ~0.9 s of a 100,000-item import into a 1M-item copy, a cost no real cache has.
    """
    remove_cache_files(dst)
    copies = [(src, dst)]
    if Path(f"{src}-wal").exists():
        copies.append((Path(f"{src}-wal"), Path(f"{dst}-wal")))
    for s, d in copies:
        shutil.copyfile(s, d)
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def evict_from_os_cache(path: Path) -> bool:
    """Ask the kernel to drop this cache's clean pages from the page cache (only these files;
    no root needed). Returns False where ``posix_fadvise`` is not available."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for p in cache_files(path):
        if p.exists():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


# ---------------------------------------------------------------------------------- statistics


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) by linear interpolation between closest ranks."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """p50/p95/p99/max/mean in milliseconds, rounded for reading."""
    ms = sorted(s * 1000 for s in seconds)
    return {
        "runs": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
        "max_ms": round(ms[-1], 3) if ms else float("nan"),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
    }
