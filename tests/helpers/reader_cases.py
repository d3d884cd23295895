"""Run one case of the sync engine reading in a second process, in a fresh process, and print
what happened as JSON (for tests/test_reader_process.py).

Usage: python reader_cases.py CASE CACHE

A fresh process because the reader is forked only from a process running a single thread, which
the test process (with its servers and Qt) cannot promise.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from omniinbox.connectors.base import CheckResult, PermanentError
from omniinbox.core import Author, Channel, Engagement, Item, ItemKind, OutgoingReply, Page, Receipt
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import item_id_for
from omniinbox.sync import engine as ingest_engine
from omniinbox.sync import reader
from omniinbox.sync.engine import AccountReport, StreamReport, SyncEngine

PAGE = 40
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def make_item(n: int) -> Item:
    return Item(
        external_id=f"r{n}",
        conversation_id=f"c{n // 3}",
        kind=ItemKind.COMMENT,
        text=f"pesan nomor {n} tentang banjir",
        created_at=START + timedelta(minutes=n),
        author=Author(external_id=f"a{n % 7}", name=f"Warga {n % 7}", handle=f"warga{n % 7}"),
        permalink=f"https://x.example/warga/status/r{n}",
        engagement=Engagement(likes=n % 5),
        raw={"id": f"r{n}", "text": f"pesan nomor {n} tentang banjir", "n": n},
    )


class Source:
    """``pages`` pages of PAGE items; what happens at page ``fail_at`` depends on ``how``."""

    streams = ("s",)
    read_in_process = True

    def __init__(self, pages: int, *, fail_at: int = 0, how: str = "") -> None:
        self.pages, self.fail_at, self.how = pages, fail_at, how

    def fetch(self, stream: str, cursor: str | None) -> Page:
        index = int(cursor or 0)
        if index + 1 == self.fail_at:
            if self.how == "permanent":
                raise PermanentError(f"page {index + 1} cannot be read")
            if self.how == "bug":
                raise ValueError(f"unexpected value on page {index + 1}")
            if self.how == "die":
                os._exit(3)
        items = [make_item(index * PAGE + k) for k in range(PAGE)]
        more = index + 1 < self.pages
        return Page(items=items, next_cursor=str(index + 1) if more else None, has_more=more)

    def send(self, reply: OutgoingReply) -> Receipt:
        raise PermanentError("not here")

    def check(self) -> CheckResult:
        return CheckResult(ok=True)

    def close(self) -> None:
        pass


def scratch_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("omniinbox-import-*")}


def run(case: str, cache_path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"case": case}
    before = scratch_dirs()
    with Cache.open(cache_path) as cache:
        account = ensure_account(cache, "x:reader", Channel.X, "Reader test")
        max_pages = None
        source = Source(5)
        if case in ("permanent", "bug", "die"):
            source = Source(5, fail_at=3, how=case)
        elif case == "scratch-full":
            stage_page, staged = reader.stage_page, []

            def full(*args: Any) -> Any:
                staged.append(1)
                if len(staged) == 3:
                    raise OSError(28, "No space left on device")
                return stage_page(*args)

            reader.stage_page = full  # type: ignore[assignment]  # the fork takes it along
        elif case == "two-pages":
            max_pages = 2
        elif case == "id-taken":
            # An item of another account already holds the id the 5th new item will get.
            other = ensure_account(cache, "x:other", Channel.X, "Other")
            taken = item_id_for(int(make_item(4).created_at.timestamp() * 1000), account.id, "r4")
            with cache.write("test") as tx:
                conv = tx.conn.execute(
                    "INSERT INTO conversations (account_id, external_id, kind, team, first_item_at,"
                    " last_item_at, seq) VALUES (?, 'o', 'comment', 'social', 0, 0, ?) RETURNING id",
                    (other.id, tx.next_seq()),
                ).fetchone()[0]
                tx.conn.execute(
                    "INSERT INTO items (id, account_id, external_id, conversation_id, kind, created_at, seq)"
                    " VALUES (?, ?, 'o1', ?, 'comment', 0, ?)",
                    (taken, other.id, conv, tx.next_seq()),
                )
                tx.summary["items"] += 1
        elif case == "threads":
            stop = threading.Event()
            thread = threading.Thread(target=stop.wait)
            thread.start()
            out["wants_process_with_a_thread"] = reader.wants_process(source)
            stop.set()
            thread.join()
            deadline = time.monotonic() + 5  # the kernel ends the thread just after join() returns
            while len(os.listdir("/proc/self/task")) > 1 and time.monotonic() < deadline:
                time.sleep(0.01)
        engine = SyncEngine(cache, lambda _account: source)
        if case == "writer-fails":
            write_page, calls = ingest_engine.write_page, []

            def failing(*args: Any) -> Any:
                calls.append(1)
                if len(calls) == 2:
                    raise OSError("disk full")
                return write_page(*args)

            ingest_engine.write_page = failing  # type: ignore[assignment]
            try:
                engine.sync_account(account)
            except OSError as exc:
                out["raised"] = f"{type(exc).__name__}: {exc}"
            ingest_engine.write_page = write_page
            report = AccountReport("x:reader", "x", [StreamReport("s", read_in_process=True)])
        else:
            report = engine.sync_account(account, max_pages=max_pages)
        if case == "replay":
            cache.conn.execute("DELETE FROM sync_cursors")
            cache.conn.commit()
            report = engine.sync_account(account)
        stream = report.streams[0]
        out.update(
            read_in_process=stream.read_in_process,
            pages=stream.pages,
            items_read=stream.items_read,
            items_written=stream.items_written,
            stopped=stream.stopped,
            items=cache.conn.execute("SELECT count(*) FROM items WHERE account_id = ?", (account.id,)).fetchone()[0],
            cursor=cache.conn.execute("SELECT cursor FROM sync_cursors WHERE stream = 's'").fetchone(),
            problems=[r[0] for r in cache.conn.execute("SELECT reason FROM sync_problems ORDER BY id")],
            attached=[r[1] for r in cache.conn.execute("PRAGMA database_list")],
        )
    out["scratch_left"] = sorted(scratch_dirs() - before)
    out["readers_left"] = len(multiprocessing.active_children())
    return out


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], Path(sys.argv[2]))), flush=True)
