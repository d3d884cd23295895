"""Run a mail import in small pages and say so after each committed page (for tests/test_crash.py).

Usage: python import_pages.py CACHE PAGE_SIZE [--pause-in-page N] [--trace-commit] [--process-from BYTES] PATH...

After every page the sync engine has committed, prints ``committed <count>`` (messages of this
run committed so far) and flushes, so the parent process knows what is durable.

Before a page's transaction commits (after its rows are written, still inside the write
transaction) it prints ``writing <count>``, where ``count`` is what will be committed once this
page is. With ``--pause-in-page N`` the helper then sleeps inside the open transaction of page N
(1-based), so the parent can kill it there: deterministically mid-transaction. With
``--trace-commit`` it prints ``commit <count>`` as SQLite starts to run each page's ``COMMIT``, so
the parent can kill it while the commit is being written.

The CLI has no page-size option (the page size is ``IMPORT_PAGE``); this script calls
``omniinbox.sync.importer.import_files`` directly with a small one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from omniinbox.core import Channel
from omniinbox.store.cache import Cache
from omniinbox.sync import engine
from omniinbox.sync.importer import MailFileSource, import_files


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache")
    parser.add_argument("page_size", type=int)
    parser.add_argument("--pause-in-page", type=int, default=0)
    parser.add_argument("--trace-commit", action="store_true")
    parser.add_argument("--process-from", type=int, default=None, help="MailFileSource.PROCESS_FROM_BYTES")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()

    pages = 0
    committed = 0
    pending = 0
    original_write_page = engine.write_page

    def write_page(tx: Any, account: Any, stream: Any, page: Any) -> Any:
        nonlocal pages, pending
        result = original_write_page(tx, account, stream, page)
        pages += 1
        pending = committed + page.read
        print(f"writing {pending}", flush=True)
        if pages == args.pause_in_page:
            time.sleep(60)  # the parent kills us here, inside the open write transaction
        return result

    engine.write_page = write_page  # the engine calls it by this name inside its transaction

    def on_page(_account: object, report: engine.StreamReport) -> None:
        nonlocal committed
        committed = report.items_read  # on_page runs after the page's transaction committed
        print(f"committed {committed}", flush=True)

    def trace(statement: str) -> None:
        if statement == "COMMIT" and pending > committed:
            print(f"commit {pending}", flush=True)

    if args.process_from is not None:
        MailFileSource.PROCESS_FROM_BYTES = args.process_from
    cache = Cache.open(args.cache)
    if args.trace_commit:
        cache.conn.set_trace_callback(trace)
    try:
        report = import_files(
            cache, Channel.EMAIL, [Path(p) for p in args.paths], page_size=args.page_size, on_page=on_page
        )
    finally:
        cache.close()
    how = "process" if all(r.read_in_process for r in report.files.values()) else "thread"
    print(f"done {report.items_read} {report.items_written} {how}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
