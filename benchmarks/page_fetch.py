"""Keyset page latency: ``queries.keyset_page`` + ``queries.rows`` for a page of 100 at the
start, the middle and the end of the base cache's item list (newest first), without a filter and
with a kind filter and a channel filter. The keys that start the middle and end pages are found
once with an OFFSET query, untimed.

    .venv/bin/python benchmarks/page_fetch.py [--quick] [--runs 200]

Target: p95 <= 5 ms at any depth.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _common import (
    ACCOUNT_CHANNEL,
    add_base_args,
    emit,
    ensure_base_cache,
    log,
    machine_info,
    resolve_base_args,
    summarize_ms,
)

from omniinbox.store import queries
from omniinbox.store.cache import Cache
from omniinbox.store.queries import ItemFilter

PAGE = 100
TARGET_P95_MS = 5.0

FILTERS: dict[str, ItemFilter] = {
    "none": ItemFilter(),
    "kind_dm": ItemFilter(kinds=("dm",)),  # one item in six
    "channel_x": ItemFilter(channels=(ACCOUNT_CHANNEL,)),  # the base's only account: every item
}


def start_keys(cache: Cache, flt: ItemFilter) -> tuple[int, dict[str, int | None]]:
    """(matching items, the ``before_id`` of the start, middle and end pages). Untimed."""
    params: list[Any] = []
    clauses = queries._where(flt, params)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    total = cache.conn.execute(f"SELECT count(*) FROM items i {where}", params).fetchone()[0]

    def id_at(offset: int) -> int:
        sql = f"SELECT i.id FROM items i {where} ORDER BY i.id DESC LIMIT 1 OFFSET ?"
        return int(cache.conn.execute(sql, [*params, offset]).fetchone()[0])

    # ids below the key at offset k are those from offset k + 1 on: the middle page starts at
    # total // 2, the end page holds the last PAGE items.
    return total, {"start": None, "middle": id_at(total // 2 - 1), "end": id_at(total - PAGE - 1)}


def timed_page(cache: Cache, flt: ItemFilter, before: int | None) -> tuple[float, float, int]:
    started = time.perf_counter()
    ids = queries.keyset_page(cache, flt, before_id=before, limit=PAGE)
    paged = time.perf_counter()
    found = queries.rows(cache, ids)
    return time.perf_counter() - started, paged - started, len(found)


def query_plan(cache: Cache, flt: ItemFilter, before: int | None) -> list[str]:
    statements: list[str] = []
    cache.conn.set_trace_callback(statements.append)
    try:
        queries.keyset_page(cache, flt, before_id=before, limit=PAGE)
    finally:
        cache.conn.set_trace_callback(None)
    return [row[3] for row in cache.conn.execute(f"EXPLAIN QUERY PLAN {statements[-1]}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_base_args(parser)
    parser.add_argument("--runs", type=int, default=None, help="timed runs per position (default 200; quick 30)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs per position before timing")
    args = parser.parse_args()
    resolve_base_args(args)
    if args.runs is None:
        args.runs = 30 if args.quick else 200

    base = ensure_base_cache(args.base_cache, args.base_items)
    results: dict[str, Any] = {}
    with Cache.open(args.base_cache) as cache:
        items = cache.conn.execute("SELECT count(*) FROM items").fetchone()[0]
        for fname, flt in FILTERS.items():
            total, keys = start_keys(cache, flt)
            per_filter: dict[str, Any] = {"matching_items": total}
            for position, before in keys.items():
                for _ in range(args.warmup):
                    timed_page(cache, flt, before)
                totals: list[float] = []
                keyset: list[float] = []
                sizes: set[int] = set()
                for _ in range(args.runs):
                    total_s, keyset_s, n = timed_page(cache, flt, before)
                    totals.append(total_s)
                    keyset.append(keyset_s)
                    sizes.add(n)
                per_filter[position] = r = {
                    "before_id": before,
                    **summarize_ms(totals),
                    "keyset_only": summarize_ms(keyset),
                    "page_sizes": sorted(sizes),
                }
                log(
                    f"{fname:10} {position:7} p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms rows {sorted(sizes)}"
                )
            per_filter["plan"] = query_plan(cache, flt, keys["middle"])
            results[fname] = per_filter

    p95s = {f"{f}/{pos}": r[pos]["p95_ms"] for f, r in results.items() for pos in ("start", "middle", "end")}
    emit(
        {
            "benchmark": "page_fetch",
            "machine": machine_info(),
            "params": {
                "base_items": args.base_items,
                "items_in_cache": items,
                "base_cache": base,
                "page": PAGE,
                "runs": args.runs,
                "warmup": args.warmup,
                "filters": {name: repr(flt) for name, flt in FILTERS.items()},
                "quick": args.quick,
            },
            "filters": results,
            "worst_p95_ms": max(p95s.values()),
            "targets": {
                "p95_ms_max": TARGET_P95_MS,
                "met": all(v <= TARGET_P95_MS for v in p95s.values()),
                "missed": [k for k, v in p95s.items() if v > TARGET_P95_MS],
            },
        }
    )


if __name__ == "__main__":
    main()
