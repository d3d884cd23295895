"""Full-text search latency over the base cache: ``queries.search(..., limit=50)`` followed by
``queries.rows`` for the ids found, per query shape (rare word, common word, two words, phrase,
prefix, no match, with a filter). Warm: each shape is warmed up first, then timed over
``--runs`` runs with varied terms where that means something. The first run of each shape is
also timed cold, on a fresh connection, twice: with the operating system's page cache still
holding the file (``cold_conn_ms``) and after asking the kernel to drop the file's pages
(``cold_os_ms``, via posix_fadvise, which touches only this file).

    .venv/bin/python benchmarks/search_latency.py [--quick] [--runs 200]

Target: p95 <= 50 ms for every shape.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _common import (
    add_base_args,
    emit,
    ensure_base_cache,
    evict_from_os_cache,
    log,
    machine_info,
    resolve_base_args,
    summarize_ms,
)

from omniinbox.store import queries
from omniinbox.store.cache import Cache
from omniinbox.store.queries import ItemFilter

LIMIT = 50
TARGET_P95_MS = 50.0
RARE_EVERY = 997  # synthetic._text adds "kode{serial}" to every 997th item


@dataclass(frozen=True)
class Shape:
    name: str
    terms: Callable[[random.Random, int], str]  # (rng, run number) -> query text
    flt: ItemFilter = field(default_factory=ItemFilter)
    note: str = ""


def shapes(base_items: int) -> list[Shape]:
    rare_serials = list(range(0, base_items, RARE_EVERY))
    common = ["layanan", "saya"]
    pairs_a = ["layanan", "saya", "mohon", "tolong", "informasi", "kantor"]
    pairs_b = ["ktp", "paspor", "pajak", "banjir", "sim", "antrean", "bantuan", "jalan"]
    phrases = ['"rumah sakit"', '"kartu keluarga"', '"izin usaha"', '"lampu jalan"', '"air bersih"']
    prefixes = ["perpanj*", "kelah*", "puskes*", "klarif*", "transp*"]
    filtered = ["layanan", "saya", "paspor", "banjir"]
    return [
        Shape("rare_word", lambda rng, i: f"kode{rng.choice(rare_serials)}", note="a unique kodeNNN token"),
        Shape("common_word", lambda rng, i: common[i % len(common)], note=" / ".join(common)),
        Shape("two_words", lambda rng, i: f"{rng.choice(pairs_a)} {rng.choice(pairs_b)}", note="both required"),
        Shape("phrase", lambda rng, i: rng.choice(phrases), note=", ".join(phrases)),
        Shape("prefix", lambda rng, i: rng.choice(prefixes), note=", ".join(prefixes)),
        Shape("no_match", lambda rng, i: f"tidakada{i}x", note="a word that occurs nowhere"),
        Shape(
            "filter_kind_dm",
            lambda rng, i: filtered[i % len(filtered)],
            ItemFilter(kinds=("dm",)),
            note="kinds=('dm',) with " + " / ".join(filtered),
        ),
    ]


def timed_search(cache: Cache, text: str, flt: ItemFilter) -> tuple[float, float, int]:
    """(seconds for search + rows, seconds for search alone, rows fetched)."""
    started = time.perf_counter()
    ids = queries.search(cache, text, flt, limit=LIMIT)
    searched = time.perf_counter()
    found = queries.rows(cache, ids)
    return time.perf_counter() - started, searched - started, len(found)


def query_plan(cache: Cache, text: str, flt: ItemFilter) -> list[str]:
    """EXPLAIN QUERY PLAN of the SQL ``queries.search`` runs (captured through a trace)."""
    statements: list[str] = []
    cache.conn.set_trace_callback(statements.append)
    try:
        queries.search(cache, text, flt, limit=LIMIT)
    finally:
        cache.conn.set_trace_callback(None)
    sql = next((s for s in statements if "items_fts" in s), None)
    if sql is None:
        return []
    return [row[3] for row in cache.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]


def measure_shape(cache: Cache, args: argparse.Namespace, shape: Shape) -> dict[str, Any]:
    rng = random.Random(f"search:{shape.name}")
    # cold: the shape's first query on a fresh connection, OS page cache dropped, then kept
    first = shape.terms(random.Random(f"first:{shape.name}"), 0)
    evicted = evict_from_os_cache(args.base_cache)
    with Cache.open(args.base_cache) as fresh:
        cold_os = timed_search(fresh, first, shape.flt)[0]
    with Cache.open(args.base_cache) as fresh:
        cold_conn = timed_search(fresh, first, shape.flt)[0]
    for i in range(args.warmup):
        timed_search(cache, shape.terms(rng, i), shape.flt)
    totals: list[float] = []
    search_only: list[float] = []
    counts: list[int] = []
    per_term: dict[str, list[float]] = {}
    for i in range(args.runs):
        text = shape.terms(rng, i)
        total, searched, n = timed_search(cache, text, shape.flt)
        totals.append(total)
        search_only.append(searched)
        counts.append(n)
        per_term.setdefault(text, []).append(total)
    result: dict[str, Any] = {
        "note": shape.note,
        "filter": None if shape.flt.is_empty() else {"kinds": list(shape.flt.kinds)},
        **summarize_ms(totals),
        "search_only": summarize_ms(search_only),
        "cold_conn_ms": round(cold_conn * 1000, 3),
        "cold_os_ms": round(cold_os * 1000, 3) if evicted else None,
        "distinct_terms": len(per_term),
        "mean_rows": round(sum(counts) / len(counts), 1),
        "plan": query_plan(cache, first, shape.flt),
    }
    if len(per_term) <= 10:
        result["per_term"] = {
            term: {k: v for k, v in summarize_ms(times).items() if k in ("runs", "p50_ms", "p95_ms", "max_ms")}
            for term, times in sorted(per_term.items())
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_base_args(parser)
    parser.add_argument("--runs", type=int, default=None, help="timed runs per shape (default 200; quick 30)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed runs per shape before timing")
    parser.add_argument("--shape", action="append", help="only these shapes (repeatable)")
    args = parser.parse_args()
    resolve_base_args(args)
    if args.runs is None:
        args.runs = 30 if args.quick else 200

    base = ensure_base_cache(args.base_cache, args.base_items)
    results: dict[str, Any] = {}
    with Cache.open(args.base_cache) as cache:
        items = cache.conn.execute("SELECT count(*) FROM items").fetchone()[0]
        for shape in shapes(args.base_items):
            if args.shape and shape.name not in args.shape:
                continue
            results[shape.name] = r = measure_shape(cache, args, shape)
            log(
                f"{shape.name:16} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  max {r['max_ms']:7.2f} ms"
                f"  cold {r['cold_conn_ms']:7.2f} / {r['cold_os_ms']} ms  rows {r['mean_rows']}"
            )
    worst = max(results.values(), key=lambda r: r["p95_ms"])["p95_ms"] if results else None
    emit(
        {
            "benchmark": "search_latency",
            "machine": machine_info(),
            "params": {
                "base_items": args.base_items,
                "items_in_cache": items,
                "base_cache": base,
                "limit": LIMIT,
                "runs": args.runs,
                "warmup": args.warmup,
                "quick": args.quick,
            },
            "shapes": results,
            "worst_p95_ms": worst,
            "targets": {
                "p95_ms_max": TARGET_P95_MS,
                "met": all(r["p95_ms"] <= TARGET_P95_MS for r in results.values()),
                "missed": [name for name, r in results.items() if r["p95_ms"] > TARGET_P95_MS],
            },
        }
    )


if __name__ == "__main__":
    main()
