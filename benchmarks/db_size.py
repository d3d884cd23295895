"""Database size per million items: bytes of the base cache's main file after
``PRAGMA wal_checkpoint(TRUNCATE)``, with a breakdown per table and index from the ``dbstat``
virtual table when SQLite has it. ``--what-if`` also measures, on a copy, what an FTS5
``optimize`` and a ``VACUUM`` would give.

    .venv/bin/python benchmarks/db_size.py [--quick] [--what-if]

Target: <= 0.6 GB (10^9 bytes) per million items.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path
from typing import Any

from _common import (
    add_base_args,
    checkpoint,
    copy_cache,
    emit,
    ensure_base_cache,
    log,
    machine_info,
    remove_cache_files,
    resolve_base_args,
)

TARGET_GB_PER_MILLION = 0.6
GB = 1_000_000_000


def group_of(name: str) -> str:
    """Which part of the schema a table or index belongs to."""
    if name.startswith("items_fts"):
        return "full_text"
    if name in ("payload_dictionaries", "url_prefixes"):
        return "dictionaries"
    if name == "items":
        return "items_table"
    if name.startswith(("items_", "sqlite_autoindex_items_")):
        return "items_indexes"
    if name.startswith(("conversations", "sqlite_autoindex_conversations")):
        return "conversations"
    if name.startswith(("contacts", "sqlite_autoindex_contacts")):
        return "contacts"
    return "other"


def breakdown(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], dict[str, int]] | None:
    """Per table/index: pages, bytes, payload and unused bytes; and bytes per group."""
    try:
        rows = conn.execute(
            "SELECT name, count(*), sum(pgsize), sum(payload), sum(unused) FROM dbstat"
            " GROUP BY name ORDER BY sum(pgsize) DESC"
        ).fetchall()
    except sqlite3.OperationalError:
        return None  # no SQLITE_ENABLE_DBSTAT_VTAB
    objects = [
        {"name": name, "pages": pages, "bytes": size, "payload_bytes": payload, "unused_bytes": unused}
        for name, pages, size, payload, unused in rows
    ]
    groups: dict[str, int] = {}
    for obj in objects:
        group = group_of(obj["name"])
        groups[group] = groups.get(group, 0) + obj["bytes"]
    return objects, dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def measure(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        checkpoint(conn)
        items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        page_count = conn.execute("PRAGMA page_count").fetchone()[0]
        freelist = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = path.stat().st_size
        result: dict[str, Any] = {
            "items": items,
            "file_bytes": size,
            "wal_bytes": Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0,
            "page_size": page_size,
            "page_count": page_count,
            "freelist_pages": freelist,
            "bytes_per_item": round(size / items, 1) if items else None,
            "gb_per_million_items": round(size / items * 1_000_000 / GB, 4) if items else None,
        }
        started = time.perf_counter()
        parts = breakdown(conn)
        if parts is not None:
            objects, groups = parts
            result["groups_bytes"] = groups
            result["groups_bytes_per_item"] = {g: round(b / items, 1) for g, b in groups.items()} if items else {}
            result["objects"] = objects
            result["dbstat_seconds"] = round(time.perf_counter() - started, 2)
        else:
            result["objects"] = None
        return result
    finally:
        conn.close()


def what_if(args: argparse.Namespace) -> dict[str, Any]:
    """On a copy: size after an FTS5 'optimize' (one segment), then after VACUUM as well."""
    copy = args.work_dir / "size-what-if.sqlite"
    copy_cache(args.base_cache, copy)
    try:
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            started = time.perf_counter()
            conn.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
            optimize_s = time.perf_counter() - started
            checkpoint(conn)
            after_optimize = copy.stat().st_size
            fts_pages = conn.execute("SELECT count(*) FROM dbstat WHERE name = 'items_fts_data'").fetchone()[0]
            started = time.perf_counter()
            conn.execute("VACUUM")
            vacuum_s = time.perf_counter() - started
            checkpoint(conn)
            after_vacuum = copy.stat().st_size
            items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
        finally:
            conn.close()
    finally:
        remove_cache_files(copy)
    return {
        "after_fts_optimize_bytes": after_optimize,
        "after_fts_optimize_fts_data_bytes": fts_pages * 4096,
        "fts_optimize_seconds": round(optimize_s, 2),
        "after_optimize_and_vacuum_bytes": after_vacuum,
        "after_optimize_and_vacuum_gb_per_million": round(after_vacuum / items * 1_000_000 / GB, 4),
        "vacuum_seconds": round(vacuum_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_base_args(parser)
    parser.add_argument("--what-if", action="store_true", help="also measure FTS optimize + VACUUM on a copy")
    args = parser.parse_args()
    resolve_base_args(args)

    base = ensure_base_cache(args.base_cache, args.base_items)
    log(f"measuring {args.base_cache} ...")
    result = measure(args.base_cache)
    if args.what_if:
        log("what if: FTS optimize + VACUUM on a copy ...")
        result["what_if"] = what_if(args)
    gb = result["gb_per_million_items"]
    log(f"{result['file_bytes']:,} bytes for {result['items']:,} items = {gb} GB per million")
    emit(
        {
            "benchmark": "db_size",
            "machine": machine_info(),
            "params": {"base_items": args.base_items, "base_cache": base, "quick": args.quick},
            **result,
            "targets": {"gb_per_million_items_max": TARGET_GB_PER_MILLION, "met": gb <= TARGET_GB_PER_MILLION},
        }
    )


if __name__ == "__main__":
    main()
