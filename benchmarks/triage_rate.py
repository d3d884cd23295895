"""Issue radar throughput at 1,000,000 cached items, plus 1,000 new items per second.

On a copy of the base cache (``_common.ensure_base_cache``):

1. **first run**: ``triage.update`` on a cache that was never triaged: groups the items within the
   horizon (7 days of the base, by id) and computes their issues' measures and levels;
2. **nothing new**: the cost of ``triage.update`` when nothing changed (it runs after every page);
3. **live**: new items arrive at ``--rate`` items per second in pages of ``--page`` (written
   through ``ingest_page`` as the sync engine writes them), ``triage.update`` after each page.
   The stream continues the base's traffic (same generator, same density in time) with a viral
   complaint mixed in: ``--viral`` messages from distinct people on five channels within 90
   minutes, a journalist with 200,000 followers among the first. For every level an issue
   reaches, the delay from the arrival of the page holding the item that raised it (the moment
   the page was due, so waiting behind a slow page counts) to the end of the ``triage.update``
   that recorded it; and the same from the moment the page's write began (processing alone).
   Slow pages are counted apart: a WAL checkpoint of the copied cache can stall a commit.

Before the first run, the copy's full-text index is merged in bounded steps as an import ends
(``store/fts_merge.py``); ``--no-fts-merge`` skips that, to measure the stall it prevents.

Prints one JSON object (progress on stderr). ``--quick``: a 20,000-item base, 5 seconds live.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (
    add_base_args,
    bench_account,
    copy_cache,
    emit,
    ensure_base_cache,
    log,
    machine_info,
    remove_cache_files,
    resolve_base_args,
    summarize_ms,
)

from omniinbox import triage
from omniinbox.core import (
    Account,
    Author,
    Channel,
    Engagement,
    Item,
    ItemKind,
    Page,
    Visibility,
    from_millis,
    to_millis,
)
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import fts_merge
from omniinbox.store import issues as store
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page

VIRAL_CHANNELS = (
    (Channel.X, ItemKind.MENTION),
    (Channel.FACEBOOK, ItemKind.COMMENT),
    (Channel.INSTAGRAM, ItemKind.COMMENT),
    (Channel.ZENDESK, ItemKind.TICKET),
    (Channel.EMAIL, ItemKind.EMAIL),
)
VIRAL_TEXTS = (
    "Air PDAM mati sejak subuh di Kelurahan Cempaka, sudah {n} jam belum mengalir #AirCempaka",
    "pdam cempaka mati lg, air gak ngalir dr pagi, gmn ini min? #AirCempaka",
    "Kelurahan Cempaka tanpa air PDAM dari subuh, warga antre air di masjid",
    "Sudah {n} jam air PDAM di Cempaka tidak mengalir, tolong ada penjelasan",
    "Air mati total di Kelurahan Cempaka, PDAM kapan normal? parahhh",
    "Water supply in Kelurahan Cempaka has been off since dawn, PDAM please update",
    "Mohon informasi gangguan air PDAM di Kelurahan Cempaka, sejak subuh tidak mengalir",
)
BASE_STEP = timedelta(days=300) / 1_000_000  # the base's pace: one item every ~26 s


def _accounts(cache: Cache) -> dict[Channel, Account]:
    accounts = {Channel.X: bench_account(cache)}
    for channel, _kind in VIRAL_CHANNELS[1:]:
        accounts[channel] = ensure_account(cache, f"{channel.value}:bench", channel, f"Benchmark {channel.value}")
    return accounts


def _viral(count: int, start: datetime, rng: random.Random) -> list[tuple[Channel, Item]]:
    """A complaint turning viral: ``count`` messages from distinct people within 90 minutes."""
    out = []
    for n in range(count):
        channel, kind = VIRAL_CHANNELS[n % len(VIRAL_CHANNELS)]
        created = start + timedelta(minutes=90 * (n / max(count - 1, 1)) ** 0.7)
        journalist = n == 3
        author = Author(
            external_id="kabar-cempaka" if journalist else f"viral-{n}",
            name="Kabar Cempaka" if journalist else f"Warga {n}",
            handle="@kabarcempaka" if journalist else f"@warga{n}",
            followers=200_000 if journalist else rng.randint(30, 3000),
            verified=journalist,
        )
        text = rng.choice(VIRAL_TEXTS).format(n=rng.randint(2, 9))
        out.append(
            (
                channel,
                Item(
                    external_id=f"viral-{n}",
                    kind=kind,
                    text=text,
                    conversation_id=f"viral-{n}",
                    created_at=created,
                    author=author,
                    subject="Air PDAM mati" if kind in (ItemKind.TICKET, ItemKind.EMAIL) else "",
                    engagement=Engagement(likes=rng.randrange(40), shares=rng.randrange(10)),
                    visibility=Visibility.PRIVATE if kind in (ItemKind.TICKET, ItemKind.EMAIL) else Visibility.PUBLIC,
                ),
            )
        )
    return out


def _stream(total: int, viral: int, start: datetime, seed: int) -> Iterator[tuple[Channel, Item]]:
    """The live items in order of creation: the base's traffic going on, the viral burst inside."""
    rng = random.Random(seed)
    background = total - viral
    span = BASE_STEP * background
    burst_at = start + span / 3
    events = [
        (item.created_at, Channel.X, item)
        for item in generate_items(background, seed=seed, start=start, span=span, prefix="live", with_payload=True)
    ]
    events += [(item.created_at, channel, item) for channel, item in _viral(viral, burst_at, rng)]
    events.sort(key=lambda e: e[0])
    for _created, channel, item in events:
        yield channel, item


def _pages(stream: Iterator[tuple[Channel, Item]], size: int) -> Iterator[list[tuple[Channel, Item]]]:
    page: list[tuple[Channel, Item]] = []
    for entry in stream:
        page.append(entry)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = ensure_base_cache(args.base_cache, args.base_items)
    work = args.work_dir / "triage-rate.sqlite"
    copy_cache(args.base_cache, work)
    result: dict[str, Any] = {"benchmark": "triage_rate", "machine": machine_info(), "base": base}
    try:
        with Cache.open(work) as cache:
            accounts = _accounts(cache)
            base_end = int(cache.conn.execute("SELECT max(created_at) FROM items").fetchone()[0])
            if args.fts_merge:
                # The base was built as an import; an import ends by merging the index's segments
                # (sync/importer.py), so live pages never meet a crisis merge of what it left.
                log("merging the full-text index's segments, as an import ends ...")
                merged_fts = fts_merge.after_import(cache)
                result["fts_merge_after_import"] = {
                    "steps": merged_fts.steps,
                    "seconds": round(merged_fts.seconds, 2),
                    "longest_step_ms": round(merged_fts.longest_step_s * 1000, 1),
                    "done": merged_fts.done,
                }
                log(f"  {merged_fts.steps} steps in {merged_fts.seconds:.1f} s")

            log("first run over the horizon ...")
            started = time.perf_counter()
            first = triage.update(cache, now_ms=base_end)
            seconds = time.perf_counter() - started
            result["first_run"] = {
                "items_in_horizon": first.items_grouped,
                "seconds": round(seconds, 2),
                "items_per_s": round(first.items_grouped / seconds) if seconds else None,
                "issues_created": first.issues_created,
                "issues_refreshed": first.issues_refreshed,
            }
            log(f"  {first.items_grouped:,} items in {seconds:.1f} s")

            idle = []
            for _ in range(200):
                t = time.perf_counter()
                report = triage.update(cache, now_ms=base_end)
                idle.append(time.perf_counter() - t)
                assert report.items_seen == 0
            result["nothing_new"] = summarize_ms(idle)

            total = int(args.rate * args.live_seconds)
            log(f"live: {total:,} items at {args.rate:,}/s in pages of {args.page} ...")
            interval = args.page / args.rate
            start_wall = time.perf_counter()
            due = start_wall
            ingest_s: list[float] = []
            triage_s: list[float] = []
            page_latency: list[float] = []
            delays: list[float] = []
            processing: list[float] = []
            viral_levels: dict[int, float] = {}
            grouped = 0
            created = merged = purged = 0
            live_start = from_millis(base_end + 1000)
            assert live_start is not None
            written = 0
            for n, page in enumerate(_pages(_stream(total, args.viral, live_start, 2), args.page)):
                due = start_wall + n * interval
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                t0 = time.perf_counter()
                by_channel: dict[Channel, list[Item]] = {}
                for channel, item in page:
                    by_channel.setdefault(channel, []).append(item)
                for channel, items in by_channel.items():
                    ingest_page(cache, accounts[channel], None, Page(items=items), source="sync")
                t1 = time.perf_counter()
                written += len(page)
                newest = max(to_millis(item.created_at) or 0 for _c, item in page)
                report = triage.update(cache, now_ms=newest)
                t2 = time.perf_counter()
                ingest_s.append(t1 - t0)
                if t1 - t0 > 1:
                    log(f"  page {n} took {t1 - t0:.1f} s to write (full-text index merge or checkpoint)")
                triage_s.append(t2 - t1)
                page_latency.append(t2 - due)
                grouped += report.items_grouped
                created += report.issues_created
                merged += report.issues_merged
                purged += report.purged
                viral_ids = {i.external_id for _c, i in page if i.external_id.startswith("viral-")}
                for issue_id, before, after in report.level_changes:
                    if after > before:
                        delays.append(t2 - due)
                        processing.append(t2 - t0)
                        if viral_ids and _holds_viral(cache, issue_id):
                            for level in range(before + 1, after + 1):
                                viral_levels.setdefault(level, t2 - due)
            wall = time.perf_counter() - start_wall
            items = written
            viral_issue = _viral_issue(cache)
            result["live"] = {
                "target_items_per_s": args.rate,
                "page": args.page,
                "items": items,
                "seconds": round(wall, 2),
                "achieved_items_per_s": round(items / wall),
                "triage_items_per_s": round(grouped / sum(triage_s)) if sum(triage_s) else None,
                "ingest_page_ms": summarize_ms(ingest_s),
                "triage_page_ms": summarize_ms(triage_s),
                "arrival_to_triaged_ms": summarize_ms(page_latency),
                "level_update_delay_ms": summarize_ms(delays) if delays else None,
                "level_update_processing_ms": summarize_ms(processing) if processing else None,
                "pages_over_1s": {
                    "ingest": sum(1 for x in ingest_s if x > 1),
                    "triage": sum(1 for x in triage_s if x > 1),
                },
                "level_updates": len(delays),
                "issues_created": created,
                "issues_merged": merged,
                "postings_forgotten_items": purged,
                "viral": {
                    "messages": args.viral,
                    "level_delay_ms": {str(k): round(v * 1000, 1) for k, v in sorted(viral_levels.items())},
                    "issue": viral_issue,
                },
            }
            sizes = {
                table: cache.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("items", "triage_items", "triage_keys", "issues")
            }
            sizes["visible_issues"] = cache.conn.execute("SELECT count(*) FROM issues WHERE visible = 1").fetchone()[0]
            sizes["largest_issue_items"] = cache.conn.execute("SELECT coalesce(max(items), 0) FROM issues").fetchone()[
                0
            ]
            result["sizes"] = sizes
    finally:
        remove_cache_files(work)
    live = result["live"]
    delay = live["level_update_delay_ms"]
    processing = live["level_update_processing_ms"]
    result["targets"] = {
        "live_rate_kept (>= 95% of target)": live["achieved_items_per_s"] >= 0.95 * args.rate,
        "level_update_processing_p95_ms <= 1000": bool(processing and processing["p95_ms"] <= 1000),
        "level_update_from_arrival_p95_ms <= 1000": bool(delay and delay["p95_ms"] <= 1000),
        "nothing_new_p95_ms <= 5": result["nothing_new"]["p95_ms"] <= 5,
        "viral issue reached level 3": "3" in live["viral"]["level_delay_ms"],
    }
    return result


def _holds_viral(cache: Cache, issue_id: int) -> bool:
    return bool(
        cache.conn.execute(
            "SELECT 1 FROM triage_items t JOIN items i ON i.id = t.item_id WHERE t.issue_id = ?"
            " AND i.external_id LIKE 'viral-%' LIMIT 1",
            (issue_id,),
        ).fetchone()
    )


def _viral_issue(cache: Cache) -> dict[str, Any] | None:
    row = cache.conn.execute(
        "SELECT t.issue_id, count(*) FROM items i JOIN triage_items t ON t.item_id = i.id"
        " WHERE i.external_id LIKE 'viral-%' AND t.issue_id IS NOT NULL GROUP BY t.issue_id ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    issue = store.issue(cache, row[0])
    if issue is None:
        return None
    return {
        "viral_messages_in_it": row[1],
        "items": issue.items,
        "level": issue.level,
        "reason": issue.level_reason,
        "channels": issue.channels,
        "kols": issue.kols,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_base_args(parser)
    parser.add_argument("--rate", type=int, default=1000, help="new items per second (default 1000)")
    parser.add_argument("--page", type=int, default=100, help="items per page (default 100)")
    parser.add_argument("--live-seconds", type=float, default=None, help="how long items arrive (default 30; quick 5)")
    parser.add_argument("--viral", type=int, default=600, help="messages of the viral complaint (default 600)")
    parser.add_argument(
        "--no-fts-merge",
        dest="fts_merge",
        action="store_false",
        help="skip the full-text merge an import ends with (to measure the stall it prevents)",
    )
    args = parser.parse_args()
    resolve_base_args(args)
    if args.live_seconds is None:
        args.live_seconds = 5.0 if args.quick else 30.0
    args.viral = min(args.viral, int(args.rate * args.live_seconds) // 2)
    emit(run(args))


if __name__ == "__main__":
    main()
