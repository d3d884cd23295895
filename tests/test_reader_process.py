"""Large file imports are read and prepared in a forked reader process and reach the writer as
staging files (``omniinbox.sync.reader``, ``ingest.stage_page``). The cache they leave must be
the one an import read in the writer's own thread leaves, row for row; the reader's errors, its
death and the writer stopping early must each end cleanly.

Every case runs in a fresh process (``tests/helpers``): the reader is forked only from a process
running a single thread, which this test process cannot promise.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from omniinbox.core import Channel, Item, ItemKind, Page
from omniinbox.store import ingest
from omniinbox.store.cache import Cache
from omniinbox.sync.importer import MailFileSource, import_files

HELPERS = Path(__file__).resolve().parent / "helpers"
ROOT = Path(__file__).resolve().parents[1]


def run_helper(*argv: str | Path, scratch: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a helper; with ``scratch``, as its temporary folder (where the reader's files go)."""
    env = {**os.environ, "TMPDIR": str(scratch)} if scratch else None
    return subprocess.run(
        [sys.executable, *map(str, argv)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, env=env
    )


def reader_case(case: str, tmp_path: Path) -> dict[str, Any]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = run_helper(HELPERS / "reader_cases.py", case, tmp_path / f"{case}.sqlite", scratch=scratch)
    assert proc.returncode == 0, proc.stderr
    if case == "bug":  # logged with the reader's traceback, which the pipe did not carry
        assert "In the import's reading process" in proc.stderr and "on page 3" in proc.stderr, proc.stderr
    else:
        assert "Traceback" not in proc.stderr, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    assert result["read_in_process"] is True, result
    assert result["attached"] == ["main", "temp"], "a staging file was left attached"
    assert result["scratch_left"] == [] and not any(scratch.iterdir()), "the reader's scratch folder was left"
    assert result["readers_left"] == 0, "a reader process was left running"
    return result


def message(n: int, message_id: str | None = None) -> str:
    """Message ``n`` of threads of five from 31 senders, as an mbox entry."""
    root = n - n % 5
    reply = f"In-Reply-To: <m{root}@warga.example.id>\n" if n != root else ""
    return (
        f"From warga{n % 31}@warga.example.id Mon Mar  2 08:00:00 2026\n"
        f"From: Warga {n % 31} <warga{n % 31}@warga.example.id>\n"
        "To: Layanan Kontak <kontak@layanan.example.id>\n"
        f"Subject: {'Re: ' if n != root else ''}laporan jalan rusak {root}\n"
        f"Date: {1 + n // 1440 % 28:02d} Mar 2026 {n // 60 % 24:02d}:{n % 60:02d}:00 +0700\n"
        f"Message-ID: <{message_id or f'm{n}@warga.example.id'}>\n"
        f"{reply}"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"Laporan {n}: jalan berlubang di RT {n % 40}, kodeunik{n}.\n\n"
    )


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What an import leaves, less the clock: every row of the tables it writes."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
        tables = {
            "items": "SELECT * FROM items ORDER BY id",
            "conversations": "SELECT * FROM conversations ORDER BY id",
            "contacts": "SELECT * FROM contacts ORDER BY id",
            "url_prefixes": "SELECT * FROM url_prefixes ORDER BY id",
            "problems": "SELECT kind, reason, external_id, detail FROM sync_problems ORDER BY id",
            "dictionaries": "SELECT id, account_id, data, samples FROM payload_dictionaries ORDER BY id",
            "cursors": "SELECT account_id, stream, cursor FROM sync_cursors ORDER BY stream",
            "batches": "SELECT seq, first_seq, source, summary FROM change_batches ORDER BY seq",
            "found": "SELECT rowid FROM items_fts WHERE items_fts MATCH 'kodeunik1234 OR berlubang' ORDER BY rowid",
        }
        return {name: conn.execute(sql).fetchall() for name, sql in tables.items()}
    finally:
        conn.close()


def import_in_helper(db: Path, *paths: Path, page: int = 400) -> list[str]:
    scratch = db.with_name(f"{db.stem}-scratch")
    scratch.mkdir(exist_ok=True)
    proc = run_helper(HELPERS / "import_pages.py", db, str(page), "--process-from", "0", *paths, scratch=scratch)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert not any(scratch.iterdir()), "the reader's scratch files were left"
    return proc.stdout.splitlines()[-1].split()


@pytest.fixture
def mail_files(tmp_path: Path) -> list[Path]:
    first, second = tmp_path / "first.mbox", tmp_path / "second.mbox"
    first.write_text("".join(message(n) for n in range(2_300)), encoding="utf-8")
    # The second file reuses a Message-ID of the first for another message (kept beside it:
    # the reader of the second file must know what the first one's saw) and repeats one of the
    # first's messages; its last entry is no message at all.
    later = [message(n, "m7@warga.example.id" if n == 2_310 else None) for n in range(2_300, 3_000)]
    broken = "From nobody Mon Mar  2 08:00:00 2026\nno header here\n\n"
    second.write_text("".join([*later, message(0), broken]), encoding="utf-8")
    return [first, second]


def test_an_import_read_in_a_process_leaves_the_cache_a_thread_import_does(
    tmp_path: Path, mail_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_process = tmp_path / "process.sqlite"
    done = import_in_helper(in_process, *mail_files)
    assert done[0] == "done" and done[3] == "process", done

    in_thread = tmp_path / "thread.sqlite"
    monkeypatch.setattr(MailFileSource, "PROCESS_FROM_BYTES", 1 << 62)
    with Cache.open(in_thread) as cache:
        report = import_files(cache, Channel.EMAIL, mail_files, page_size=400)
    assert not any(r.read_in_process for r in report.files.values())
    assert [report.items_read, report.items_written] == [int(done[1]), int(done[2])]

    got, expected = snapshot(in_process), snapshot(in_thread)
    assert len(got["items"]) == 3_000  # the repeat once
    kept_beside = [r[2] for r in got["items"] if "#" in r[2]]
    assert len(kept_beside) == 1 and re.fullmatch(r"m7@warga\.example\.id#[0-9a-f]{12}", kept_beside[0])
    assert len(got["problems"]) == 1
    assert got["found"], "the full-text index found nothing"
    for table in expected:
        assert got[table] == expected[table], table


def test_replaying_an_import_read_in_a_process_changes_nothing(tmp_path: Path, mail_files: list[Path]) -> None:
    db = tmp_path / "cache.sqlite"
    import_in_helper(db, *mail_files)
    before = snapshot(db)
    done = import_in_helper(db, *mail_files)
    assert done[2] == "0" and done[3] == "process", done
    after = snapshot(db)
    for table in ("items", "conversations", "contacts", "url_prefixes", "dictionaries", "found"):
        assert after[table] == before[table], table  # the problem is recorded again, as a thread import does


def test_a_page_with_stored_items_is_written_through_the_usual_path(tmp_path: Path) -> None:
    result = reader_case("replay", tmp_path)
    assert (result["items"], result["items_written"], result["items_read"]) == (200, 0, 200)


def test_an_item_id_already_taken_is_probed_past(tmp_path: Path) -> None:
    result = reader_case("id-taken", tmp_path)
    assert (result["items"], result["items_written"], result["stopped"]) == (200, 200, "")


@pytest.mark.parametrize(
    ("case", "stopped"),
    [
        ("permanent", "permanent: page 3 cannot be read"),
        ("bug", "internal error while reading: ValueError: unexpected value on page 3"),
        ("die", "bug: the import's reading process stopped unexpectedly (exit code 3)"),
        ("scratch-full", "permanent: cannot write the import's scratch file in {scratch}: [Errno 28] No space left"),
    ],
)
def test_a_reader_that_fails_stops_the_stream_after_the_pages_it_read(tmp_path: Path, case: str, stopped: str) -> None:
    result = reader_case(case, tmp_path)
    if "{scratch}" in stopped:  # named by its path, which changes from run to run
        head, _, tail = stopped.partition("{scratch}")
        assert result["stopped"].startswith(head) and tail in result["stopped"], result["stopped"]
        stopped = result["stopped"]
    assert result["stopped"] == stopped
    assert (result["pages"], result["items"], result["cursor"]) == (2, 80, ["2"])
    assert len(result["problems"]) == 1 and result["problems"][0].endswith(stopped.partition(": ")[2])


def test_a_page_limit_reaches_the_reader(tmp_path: Path) -> None:
    result = reader_case("two-pages", tmp_path)
    assert (result["pages"], result["items"], result["cursor"], result["stopped"]) == (2, 80, ["2"], "")


def test_a_writer_that_fails_stops_the_reader_and_keeps_what_it_committed(tmp_path: Path) -> None:
    result = reader_case("writer-fails", tmp_path)
    assert result["raised"] == "OSError: disk full"
    assert (result["items"], result["cursor"]) == (40, ["1"])


def test_no_reader_process_is_forked_while_another_thread_runs(tmp_path: Path) -> None:
    result = reader_case("threads", tmp_path)
    assert result["wants_process_with_a_thread"] is False
    assert result["items"] == 200


def test_the_staged_statements_are_driven_by_the_staging_file(cache: Cache, tmp_path: Path) -> None:
    """Each statement over a staged page walks the page's rows and looks up what it needs by
    index: none scans a table of the cache."""
    items = [
        Item(f"e{n}", ItemKind.COMMENT, f"teks {n}", f"c{n // 2}", datetime(2026, 1, 1, tzinfo=UTC)) for n in range(9)
    ]
    ingest.stage_page(ingest.prepare_page(Page(items=items), 1), tmp_path / "one.page")
    cache.conn.execute("PRAGMA foreign_keys = OFF")  # as in ingest.page_transaction
    cache.conn.execute(f"ATTACH DATABASE ? AS {ingest.STAGE_SCHEMA}", (str(tmp_path / "one.page"),))
    cache.conn.execute(ingest._STAGED_PAYLOADS)
    statements = {
        "update conversations": (ingest._UPDATE_STAGED_CONVERSATIONS, 2),
        "insert conversations": (ingest._INSERT_STAGED_CONVERSATIONS, 3),
        "copy packed": (ingest._COPY_PACKED, 3),
        "copy with payloads": (ingest._COPY_WITH_PAYLOADS, 3),
        "any stored": (ingest._ANY_STAGED_STORED, 1),
    }
    for name, (sql, params) in statements.items():
        plan = [row[3] for row in cache.conn.execute(f"EXPLAIN QUERY PLAN {sql}", (1,) * params)]
        assert plan[0] == "SCAN s", (name, plan)
        assert all(step.startswith("SEARCH") for step in plan[1:]), (name, plan)
