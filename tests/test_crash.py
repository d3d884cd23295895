"""An import killed with SIGKILL leaves a sound cache holding every committed page; finishing and
replaying the import then gives every message exactly once and changes no row.

The import runs in a child process (``tests/helpers/import_pages.py``: ``import_files`` with a
page of 500 messages, printing each committed count) over a generated mbox of 20,000 messages;
the test kills it at three moments: between two pages, inside a page's open write transaction,
and while a page commits (most runs kill it half way through writing the page to the WAL; the
assertions hold whichever side of the commit the kill lands on). The resumed import and the
replay use the real ``omniinbox import``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omniinbox.core import Channel
from omniinbox.store import queries
from omniinbox.store.cache import Cache
from omniinbox.sync.importer import import_files, stream_for

HELPER = Path(__file__).resolve().parent / "helpers" / "import_pages.py"
SAMPLE = Path(__file__).resolve().parents[1] / "omniinbox" / "resources" / "samples" / "inbox.mbox"
MESSAGES = 20_000
PAGE = 500
THREAD = 7  # messages per thread: threads (conversations) and senders (contacts) straddle pages
SENDERS = 97


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))


def message_id(n: int) -> str:
    return f"crash-{n}@test.example"


def write_mbox(path: Path, count: int) -> None:
    """``count`` small, distinct, deterministic messages (written as bytes: fast)."""
    parts: list[bytes] = []
    for n in range(count):
        root = n - n % THREAD
        day, minute = divmod(n, 1440)
        hour, minute = divmod(minute, 60)
        sender = n % SENDERS
        reply = f"In-Reply-To: <{message_id(root)}>\n" if n != root else ""
        parts.append(
            f"From warga{sender}@warga.example.id Mon Mar  2 08:00:00 2026\n"
            f"From: Warga {sender} <warga{sender}@warga.example.id>\n"
            "To: Layanan Kontak <kontak@layanan.example.id>\n"
            f"Subject: {'Re: ' if n != root else ''}pengaduan nomor {root}\n"
            f"Date: {1 + day:02d} Mar 2026 {hour:02d}:{minute:02d}:{n % 60:02d} +0700\n"
            f"Message-ID: <{message_id(n)}>\n"
            f"{reply}"
            "Content-Type: text/plain; charset=utf-8\n"
            "\n"
            f"Pesan {n}: kodeunik{n} mohon dibantu, terima kasih.\n"
            "\n".encode()
        )
    path.write_bytes(b"".join(parts))


def dump(path: Path, tables: tuple[str, ...] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables`` (default: every table, FTS5 shadow tables included), stably ordered."""
    conn = sqlite3.connect(path)
    try:
        names = tables or tuple(
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
            )
        )
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        conn.close()


def run_cli(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "omniinbox.cli", *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@dataclass
class Killed:
    at_kill: int  # the committed count the parent had read when it sent SIGKILL
    committed: int  # the last committed count the child printed before it died
    writing: int  # the count of the last page the child began to write (committed or not)
    lines: list[str]


def kill_import(db: Path, mbox: Path, cwd: Path, *, when: str, page: int) -> Killed:
    """Start the paged import and SIGKILL it at ``when`` of page ``page`` (1-based)."""
    options = {"inside-transaction": ["--pause-in-page", str(page)], "during-commit": ["--trace-commit"]}
    child = subprocess.Popen(
        [sys.executable, str(HELPER), str(db), str(PAGE), *options.get(when, []), str(mbox)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    lines: list[str] = []
    at_kill = 0
    try:
        for line in child.stdout:
            lines.append(line.strip())
            word, _, number = line.partition(" ")
            assert word != "done", f"the import finished before it could be killed: {lines}"
            if word == "committed":
                at_kill = int(number)
                if when == "between-pages" and at_kill == page * PAGE:
                    break  # the child is reading the next page
            if word == "writing" and when == "inside-transaction" and int(number) == page * PAGE:
                break  # page `page` is written, not committed: the child sleeps in the transaction
            if word == "commit" and when == "during-commit" and int(number) == page * PAGE:
                # SQLite has begun to commit page `page`, which takes it about a millisecond:
                # 0.3 ms later it is usually appending the page's frames to the log.
                end = time.perf_counter() + 0.0003
                while time.perf_counter() < end:
                    pass
                break
        else:
            pytest.fail(f"the import stopped by itself: {lines}")
        os.kill(child.pid, signal.SIGKILL)
        lines.extend(line.strip() for line in child.stdout)  # what it printed before it died
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        stderr = child.stderr.read()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, (child.returncode, stderr)
    assert "Traceback" not in stderr
    assert not any(line.startswith("done") for line in lines), lines

    def last(word: str) -> int:
        return max((int(line.split()[1]) for line in lines if line.startswith(word + " ")), default=0)

    return Killed(at_kill, last("committed"), last("writing"), lines)


@pytest.fixture(scope="module")
def big_mbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mbox") / "big.mbox"
    write_mbox(path, MESSAGES)
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("when", "page"),
    [("between-pages", 3), ("inside-transaction", 5), ("during-commit", 8)],
)
def test_killed_import_keeps_every_committed_page(tmp_path: Path, big_mbox: Path, when: str, page: int) -> None:
    db = tmp_path / "cache.sqlite"
    killed = kill_import(db, big_mbox, tmp_path, when=when, page=page)
    assert killed.at_kill >= (page - 1) * PAGE, killed.lines
    assert Path(f"{db}-wal").exists()  # killed, not closed: SQLite recovers from the log

    # The cache after the kill: sound, with every committed page and nothing half of a page.
    with Cache.open(db) as cache:
        assert cache.integrity_problems() == []
        conn = cache.conn
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {r[0] for r in conn.execute("SELECT external_id FROM items")}
        count = len(stored)
        assert count >= killed.at_kill
        # Whole pages only: what the child reported committed, or also the page it was committing
        # when it died (committed, but killed before it could say so).
        assert count in (killed.committed, killed.writing), killed.lines
        assert count % PAGE == 0
        if when == "inside-transaction":
            assert count == (page - 1) * PAGE  # the paused page never committed
        assert stored == {message_id(n) for n in range(count)}  # exactly the first `count` messages
        (account_id,) = conn.execute("SELECT id FROM accounts WHERE key = 'email:import'").fetchone()
        cursor = conn.execute(
            "SELECT cursor FROM sync_cursors WHERE account_id = ? AND stream = ?", (account_id, stream_for(big_mbox))
        ).fetchone()
        assert cursor == (str(count),)  # the cursor was committed with its page
        indexed = conn.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'kodeunik*'").fetchone()
        assert indexed == (count,)  # every stored item is in the full-text index, once
        assert conn.execute("SELECT count(*) FROM items WHERE payload IS NOT NULL").fetchone() == (count,)
        for n in (0, killed.at_kill - 1, count - 1):
            ids = queries.search(cache, f"kodeunik{n}")
            assert [r.external_id for r in queries.rows(cache, ids)] == [message_id(n)]
        assert queries.search(cache, f"kodeunik{count}") == []  # not committed, not indexed
        assert conn.execute("SELECT count(*) FROM sync_problems").fetchone() == (0,)
        seq = cache.last_seq()
        assert conn.execute("SELECT max(seq) FROM change_batches").fetchone() == (seq,)

    # Import again: it resumes after the cursor and ends with every message exactly once.
    proc = run_cli("--cache", db, "import", "--channel", "email", "--json", big_mbox, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["read"], summary["written"], summary["unreadable"]) == (MESSAGES - count, MESSAGES - count, 0)
    with Cache.open(db) as cache:
        assert cache.integrity_problems() == []
        conn = cache.conn
        assert conn.execute("SELECT count(*), count(DISTINCT external_id) FROM items").fetchone() == (
            MESSAGES,
            MESSAGES,
        )
        assert {r[0] for r in conn.execute("SELECT external_id FROM items")} == {message_id(n) for n in range(MESSAGES)}
        assert conn.execute("SELECT count(*) FROM conversations").fetchone() == (-(-MESSAGES // THREAD),)
        assert conn.execute("SELECT count(*) FROM contacts").fetchone() == (SENDERS,)
        indexed = conn.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'kodeunik*'").fetchone()
        assert indexed == (MESSAGES,)
        assert conn.execute("SELECT count(*) FROM sync_cursors").fetchone() == (0,)  # finished: forgotten
        # Threads straddle pages: each conversation is still named by its first message.
        assert conn.execute(
            "SELECT count(*) FROM conversations WHERE subject NOT LIKE 'pengaduan nomor %'"
        ).fetchone() == (0,)
        # Every reply sits in its thread's conversation.
        assert conn.execute(
            "SELECT count(*) FROM items i JOIN conversations c ON c.id = i.conversation_id"
            " WHERE c.external_id != 'crash-' || (CAST(substr(i.external_id, 7) AS INTEGER) / ? * ?)"
            " || '@test.example'",
            (THREAD, THREAD),
        ).fetchone() == (0,)

    # Replay: nothing is written, no row (nor the sequence) moves.
    core_tables = ("items", "conversations", "contacts", "url_prefixes", "payload_dictionaries", "meta")
    before = dump(db)
    proc = run_cli("--cache", db, "import", "--channel", "email", "--json", big_mbox, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["read"], summary["written"], summary["unchanged"]) == (MESSAGES, 0, MESSAGES)
    after = dump(db)
    for table in core_tables:
        assert after[table] == before[table], table
    assert after.keys() == before.keys()
    for table in before:  # and every other table, FTS5 shadow tables and change batches included
        assert after[table] == before[table], table


def test_replaying_a_paged_import_with_threads_across_pages_changes_nothing(tmp_path: Path) -> None:
    """One message per page: every thread of the sample straddles pages, its replies ("Re: ...")
    come after its first message. The conversation keeps the first message's subject, and a replay
    rewrites no conversation row (a regression test: the subject used to flip on every page)."""
    db = tmp_path / "cache.sqlite"
    with Cache.open(db) as cache:
        import_files(cache, Channel.EMAIL, [SAMPLE], page_size=1)
        subject = cache.conn.execute(
            "SELECT subject FROM conversations WHERE external_id = '20260309081200.a1@warga.example.id'"
        ).fetchone()
        assert subject == ("e-KTP belum jadi sudah 3 bulan",)
    before = dump(db)
    with Cache.open(db) as cache:
        report = import_files(cache, Channel.EMAIL, [SAMPLE], page_size=1)
        assert report.items_written == 0
    after = dump(db)
    for table in before:
        assert after[table] == before[table], table
