"""Bounded incremental merges of the full-text index, so live writes never meet a crisis merge.

FTS5 keeps its index as segments in levels. A bulk import (a million items in pages of 10,000)
leaves many large segments behind; a later small live page that tips a level over
``crisismerge`` (16 segments) then merges those large segments inside its own transaction, and
that page's write stalls for seconds (measured by ``benchmarks/triage_rate.py``: 2.5 to 4 s).

The cure is to do that merging beforehand, in steps of bounded size and each in its own short
write transaction: ``INSERT INTO items_fts (items_fts, rank) VALUES ('merge', N)`` merges about
N leaf pages of the level holding the most segments (when it has at least ``usermerge`` of
them), and is a no-op (fewer than two rows changed) when there is nothing worth merging.

* :func:`after_import` runs at the end of a bulk import (``sync/importer.py``): steps until the
  index needs nothing more, within a generous time budget.
* :func:`idle_merge` runs in the background loop after a round that wrote many items: a few
  steps within a small budget; what is left is done after the next rounds.

Nothing here records a change batch: the index's content, and so every search, stays the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from omniinbox.store.cache import Cache

FTS_TABLE = "items_fts"
STEP_PAGES = 256  # leaf pages merged per step (~1 MB written): tens of milliseconds on this machine
IMPORT_BUDGET_S = 120.0  # after an import: enough for a million imported items
IDLE_BUDGET_S = 0.5  # in the background loop after a busy round
IDLE_AFTER_ITEMS = 1000  # a round that wrote at least this many items is followed by merge steps


@dataclass(frozen=True, slots=True)
class MergeReport:
    steps: int  # write transactions run (the last may have found nothing to do)
    seconds: float
    done: bool  # the index needs no more merging (the last step was a no-op)
    longest_step_s: float


def merge_step(cache: Cache, pages: int = STEP_PAGES) -> bool:
    """One bounded merge step in its own write transaction. True when it merged something."""
    with cache.write("fts-merge") as tx:  # records no change batch: it touches no row of ours
        before = tx.conn.total_changes
        tx.conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('merge', ?)", (max(int(pages), 1),))
        return tx.conn.total_changes - before >= 2  # FTS5's way of saying that work was done


def merge(cache: Cache, *, budget_s: float, pages: int = STEP_PAGES, max_steps: int | None = None) -> MergeReport:
    """Merge steps until the index needs none, ``budget_s`` seconds have passed or ``max_steps``
    steps ran. Each step commits on its own, so other writers wait one step at most."""
    started = time.perf_counter()
    steps = 0
    longest = 0.0
    done = False
    while True:
        t = time.perf_counter()
        worked = merge_step(cache, pages)
        longest = max(longest, time.perf_counter() - t)
        steps += 1
        if not worked:
            done = True
            break
        if time.perf_counter() - started >= budget_s or (max_steps is not None and steps >= max_steps):
            break
    return MergeReport(steps, time.perf_counter() - started, done, longest)


def after_import(cache: Cache, *, budget_s: float = IMPORT_BUDGET_S) -> MergeReport:
    """At the end of a bulk import: merge what the import left, in bounded steps."""
    return merge(cache, budget_s=budget_s)


def idle_merge(cache: Cache, written: int, *, budget_s: float = IDLE_BUDGET_S) -> MergeReport | None:
    """After a background round that wrote ``written`` items: a few steps when it wrote many."""
    if written < IDLE_AFTER_ITEMS:
        return None
    return merge(cache, budget_s=budget_s)


def integrity_ok(cache: Cache) -> bool:
    """FTS5's own check of the index against the items it was built from."""
    import sqlite3

    try:
        cache.conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    finally:
        if cache.conn.in_transaction:
            cache.conn.execute("COMMIT")
    return True
