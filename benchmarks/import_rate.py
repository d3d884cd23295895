"""Bulk import rate: N new generated items into a copy of a cache already holding the base
items, through the sync engine in pages of 10,000 as ``omniinbox import`` runs on a large file
(pages read and prepared in a reader process, stored by this one; full-text indexing included;
``BENCH_READER_PROCESS=0`` reads them in this process, as small files are), compared with a raw ``sqlite3``
executemany of the same 24 column values into a bare table right after each run (the ratio is
the median of the runs' ratios); then the replay rate (importing the same items again must write
nothing).

    .venv/bin/python benchmarks/import_rate.py [--quick] [--items N] [--placement after|interleaved|both]

``BENCH_READ_AHEAD=1`` (with ``BENCH_READER_PROCESS=0``) prepares the next page on the engine's
read-ahead thread (to compare).

Targets: >= 25,000 items/s (goal 50,000); ratio our_rate / raw_rate >= 0.15.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import io
import os
import pstats
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import (
    PAGE_SIZE,
    add_base_args,
    bench_account,
    checkpoint,
    copy_cache,
    emit,
    ensure_base_cache,
    log,
    machine_info,
    pages,
    remove_cache_files,
    resolve_base_args,
)

from omniinbox.connectors.base import CheckResult
from omniinbox.core import OutgoingReply, Page, Receipt
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine

IMPORT_SEED = 2
IMPORT_PREFIX = "imp"
BASE_START = datetime(2026, 1, 1, tzinfo=UTC)  # generate_items' defaults, which the base uses
BASE_SPAN = timedelta(days=300)
# The 24 values _INSERT_ITEM binds, in the same order.
ITEM_COLUMNS = (
    "id", "account_id", "external_id", "conversation_id", "parent_external_id", "kind", "direction",
    "visibility", "contact_id", "author_name", "author_handle", "subject", "text", "permalink_prefix",
    "permalink", "created_at", "edited_at", "deleted_at", "likes", "replies", "shares", "views", "payload", "seq",
)  # fmt: skip

TARGET_RATE = 25_000
GOAL_RATE = 50_000
TARGET_RATIO = 0.15


def make_pages(n: int, base_items: int, placement: str) -> list[Page]:
    """The import, generated up front. ``after``: newer than every base item (a sync catching
    up); ``interleaved``: over the base's time span (an archive export), ids land in between."""
    if placement == "after":
        start, span = BASE_START + BASE_SPAN, BASE_SPAN * n / base_items
    else:
        start, span = BASE_START, BASE_SPAN
    items = generate_items(n, seed=IMPORT_SEED, prefix=IMPORT_PREFIX, threads=max(n // 5, 1), start=start, span=span)
    return list(pages(items, PAGE_SIZE, cursor_prefix=f"{placement}-"))


class PageSource:
    """The generated pages as a large file import serves them to the sync engine: read and
    prepared in a reader process (``read_in_process``), as ``MailFileSource`` is for large files."""

    streams = ("bench-import",)
    read_ahead = os.environ.get("BENCH_READ_AHEAD", "0") == "1"
    read_in_process = os.environ.get("BENCH_READER_PROCESS", "1") == "1"

    def __init__(self, page_list: list[Page]) -> None:
        self.page_list = page_list

    def fetch(self, stream: str, cursor: str | None) -> Page:
        index = int(cursor) if cursor else 0
        if index >= len(self.page_list):
            return Page()
        page = self.page_list[index]
        return dataclasses.replace(page, next_cursor=str(index + 1))

    def send(self, reply: OutgoingReply) -> Receipt:
        raise NotImplementedError

    def check(self) -> CheckResult:
        return CheckResult(ok=True)

    def close(self) -> None:
        pass


def run_pages(cache: Cache, page_list: list[Page]) -> tuple[float, int, int]:
    """Import every page through the sync engine, as ``omniinbox import`` does; return
    (seconds, items written, items unchanged)."""
    account = bench_account(cache)
    set_cursor_none = "DELETE FROM sync_cursors WHERE stream = 'bench-import'"
    cache.conn.execute(set_cursor_none)
    cache.conn.commit()
    engine = SyncEngine(cache, lambda _account: PageSource(page_list))
    gc.collect()
    started = time.perf_counter()
    report = engine.sync_account(account)
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the import stopped: {report.streams}")
    return seconds, report.items_written, report.items_read - report.items_written


def profile_top(profile: cProfile.Profile, limit: int = 15) -> list[str]:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(limit)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return [line for line in lines[start:] if line.strip()]


def one_run(
    args: argparse.Namespace, placement: str, page_list: list[Page], run: int, *, profile: bool, want_rows: bool
) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Import ``page_list`` into a fresh copy of the base, checkpoint, replay it; return the
    figures and, with ``want_rows``, the 24 column values of the rows written (for the raw
    comparison; fetched after the timing, and only once, so no run is timed with them in memory)."""
    copy = args.work_dir / f"import-{placement}.sqlite"
    copy_cache(args.base_cache, copy)
    try:
        with Cache.open(copy) as cache:
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            seconds, written, unchanged = run_pages(cache, page_list)
            if profiler:
                profiler.disable()
            log(f"[{placement} #{run}] {written:,} written in {seconds:.2f} s = {written / seconds:,.0f} items/s")
            checkpoint_started = time.perf_counter()
            checkpoint(cache.conn)
            checkpoint_seconds = time.perf_counter() - checkpoint_started

            seq_before_replay = cache.last_seq()
            r_seconds, r_written, r_unchanged = run_pages(cache, page_list)
            replay_changes = cache.changes_since(seq_before_replay)  # rows any table reported written
            log(f"[{placement} #{run}] replay: {r_written} written in {r_seconds:.2f} s")

            raw_rows: list[tuple[Any, ...]] = []
            if want_rows:
                first_new = cache.conn.execute(
                    "SELECT seq FROM items WHERE account_id = ? AND external_id = ?",
                    (bench_account(cache).id, f"{IMPORT_PREFIX}-{IMPORT_SEED}-0"),
                ).fetchone()[0]
                raw_rows = cache.conn.execute(
                    f"SELECT {', '.join(ITEM_COLUMNS)} FROM items WHERE seq >= ? AND external_id LIKE ? ORDER BY seq",
                    (first_new, f"{IMPORT_PREFIX}-%"),
                ).fetchall()
            total_items = cache.conn.execute("SELECT count(*) FROM items").fetchone()[0]
    finally:
        if not args.keep:
            remove_cache_files(copy)
    result: dict[str, Any] = {
        "seconds": round(seconds, 3),
        "items_written": written,
        "items_unchanged": unchanged,
        "items_per_s": round(written / seconds),
        "checkpoint_after_s": round(checkpoint_seconds, 3),
        "items_in_cache_after": total_items,
        "replay": {
            "seconds": round(r_seconds, 3),
            "items_written": r_written,
            "items_unchanged": r_unchanged,
            "items_per_s": round((r_written + r_unchanged) / r_seconds) if r_seconds else None,
            "changes_reported": replay_changes,
        },
    }
    if profiler:
        result["profile_top_tottime"] = profile_top(profiler)
    return result, raw_rows


def measure_placement(args: argparse.Namespace, placement: str, *, paired_raw: bool) -> dict[str, Any]:
    """``--repeat`` runs, each on a fresh copy of the base; the figures are the medians.

    With ``paired_raw`` each run is followed at once by the raw ``executemany`` of the rows it
    wrote, and the ratio is taken run by run: the machine's speed drifts by tens of percent over
    minutes (shared CPUs), and a ratio of two figures measured minutes apart carries that drift."""
    log(f"[{placement}] generating {args.items:,} items ...")
    page_list = make_pages(args.items, args.base_items, placement)
    # The pages are all in memory only because they are generated before timing; an import
    # holds one or two at a time. Frozen, they are left out of the collector's full passes,
    # which would otherwise scan these 100,000 items again and again during the import and
    # bill it for them (measured: a quarter of the time).
    gc.collect()
    gc.freeze()
    runs: list[dict[str, Any]] = []
    columns_sql = items_columns_sql(args.base_cache)
    try:
        for run in range(1, args.repeat + 1):
            result, rows = one_run(
                args, placement, page_list, run, profile=args.profile and run == 1, want_rows=paired_raw
            )
            if rows:
                result["raw"] = raw_insert_rate(args.work_dir, rows, columns_sql)
                result["ratio"] = round(result["items_per_s"] / result["raw"]["rows_per_s"], 4)
                log(f"[{placement} #{run}] raw: {result['raw']['rows_per_s']:,} rows/s; ratio {result['ratio']:.3f}")
                del rows
            runs.append(result)
    finally:
        gc.unfreeze()
    return {
        "items": args.items,
        "items_per_s": round(statistics.median(r["items_per_s"] for r in runs)),
        "seconds": statistics.median(r["seconds"] for r in runs),
        "items_written": runs[0]["items_written"],
        "replay": {
            "items_per_s": round(statistics.median(r["replay"]["items_per_s"] for r in runs)),
            "items_written": max(r["replay"]["items_written"] for r in runs),
            "changes_reported": runs[0]["replay"]["changes_reported"],
        },
        "runs": runs,
    }


def raw_insert_rate(work_dir: Path, rows: list[tuple[Any, ...]], columns_sql: str) -> dict[str, Any]:
    """executemany of ``rows`` into a fresh table with the items columns, no index, no FTS;
    one transaction per 10,000 rows; WAL, synchronous=NORMAL."""
    path = work_dir / "raw-insert.sqlite"
    remove_cache_files(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"CREATE TABLE items ({columns_sql})")
        sql = f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
        gc.collect()
        started = time.perf_counter()
        for start in range(0, len(rows), PAGE_SIZE):
            conn.execute("BEGIN")
            conn.executemany(sql, rows[start : start + PAGE_SIZE])
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        checkpoint(conn)
    finally:
        conn.close()
        remove_cache_files(path)
    return {"rows": len(rows), "seconds": round(seconds, 3), "rows_per_s": round(len(rows) / seconds)}


def items_columns_sql(base_cache: Path) -> str:
    """The items table's column definitions (name, type, NOT NULL, default, the rowid key),
    without its UNIQUE constraint and foreign keys: "the same columns, no indexes"."""
    conn = sqlite3.connect(f"file:{base_cache}?mode=ro", uri=True)
    try:
        defs = []
        for _cid, name, type_, notnull, default, pk in conn.execute("PRAGMA table_info(items)"):
            d = f"{name} {type_}"
            if pk:
                d += " PRIMARY KEY"
            if notnull:
                d += " NOT NULL"
            if default is not None:
                d += f" DEFAULT {default}"
            defs.append(d)
        return ", ".join(defs)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_base_args(parser)
    parser.add_argument("--items", type=int, default=None, help="items to import (default 100,000; quick 20,000)")
    parser.add_argument(
        "--placement",
        choices=("after", "interleaved", "both"),
        default="both",
        help="new items newer than the base (after), spread over its time span (interleaved), or both;"
        " the headline rate is the first",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the timed import; top functions in the JSON")
    parser.add_argument("--repeat", type=int, default=None, help="runs per placement, median reported (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the imported copies in the work dir")
    args = parser.parse_args()
    resolve_base_args(args)
    if args.items is None:
        args.items = 20_000 if args.quick else 100_000
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3

    base = ensure_base_cache(args.base_cache, args.base_items)
    placements = ["after", "interleaved"] if args.placement == "both" else [args.placement]
    results = {p: measure_placement(args, p, paired_raw=p == placements[0]) for p in placements}
    headline = results[placements[0]]
    raw_runs = [r["raw"] for r in headline["runs"]]
    raw = {"rows_per_s": round(statistics.median(r["rows_per_s"] for r in raw_runs)), "runs": raw_runs}
    ratio = statistics.median(r["ratio"] for r in headline["runs"])  # of the paired runs
    log(f"raw: {raw['rows_per_s']:,} rows/s (median); ratio {ratio:.3f} (median of the paired runs)")
    replay_written = max(r["replay"]["items_written"] for r in results.values())

    emit(
        {
            "benchmark": "import_rate",
            "machine": machine_info(),
            "params": {
                "base_items": args.base_items,
                "base_cache": base,
                "items": args.items,
                "repeat": args.repeat,
                "page_size": PAGE_SIZE,
                "placements": placements,
                "headline_placement": placements[0],
                "seed": IMPORT_SEED,
                "prefix": IMPORT_PREFIX,
                "quick": args.quick,
            },
            "items_per_s": headline["items_per_s"],
            "raw_rows_per_s": raw["rows_per_s"],
            "ratio": round(ratio, 4),
            "ratio_runs": [r["ratio"] for r in headline["runs"]],
            "ratio_of_medians": round(headline["items_per_s"] / raw["rows_per_s"], 4),
            "replay_items_written": replay_written,
            "replay_items_per_s": headline["replay"]["items_per_s"],
            "placements": results,
            "raw": raw,
            "targets": {
                "items_per_s_min": TARGET_RATE,
                "items_per_s_goal": GOAL_RATE,
                "ratio_min": TARGET_RATIO,
                "met_rate": headline["items_per_s"] >= TARGET_RATE,
                "met_goal": headline["items_per_s"] >= GOAL_RATE,
                "met_ratio": ratio >= TARGET_RATIO,
                "met_replay_writes_nothing": replay_written == 0,
                "all_placements_met_rate": all(r["items_per_s"] >= TARGET_RATE for r in results.values()),
            },
        }
    )


if __name__ == "__main__":
    main()
