"""Reading a large file import in a second process, so parsing and preparing run on another CPU
while this process writes.

An import's writer is one thread: SQLite writes one transaction at a time. Parsing and preparing
pages are Python too, and a thread doing them would take the interpreter lock the writer needs
between its SQLite calls, so the two would take turns. A forked reader process does that work
beside the writer instead: it fetches a page, prepares it, stages its rows in a scratch SQLite
file (``omniinbox.store.ingest.stage_page``) and sends the rest of it through a pipe. It stays
at most ``AHEAD`` pages ahead of what the writer has committed. A connector with state that
later streams depend on hands it back at the end of each stream (``reader_state``).

Nothing is acknowledged by reading: the cursor moves only when the writer commits a page, as
with pages read in this process. If the writer dies (even by ``kill -9``) the reader finds its
pipe closed, removes its scratch files and exits; if the reader dies, the writer says so and
stops where its last commit ended.

Only a connector whose ``read_in_process`` is true is read this way (file sources, when the
files are large), and only where a fork is safe: on Linux, from a process running a single
thread (a fork copies the memory, not the other threads, so a lock one of them held would
never be released in the child). Anywhere else pages are read in the writer's thread.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import shutil
import signal
import sqlite3
import sys
import tempfile
import traceback
from collections.abc import Generator
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

from omniinbox.connectors.base import Connector, ConnectorBug, ConnectorError, PermanentError
from omniinbox.store.compact import Packer, PayloadCodec
from omniinbox.store.ingest import PreparedPage, prepare_page, stage_page

AHEAD = 2  # pages the reader may have staged beyond the one the writer is committing


def can_fork() -> bool:
    """True where a reader process can be forked safely: Linux, and this process runs one thread
    (counted by the kernel: threads Qt or a library started are not in ``threading``'s list)."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def wants_process(connector: Connector) -> bool:
    return bool(getattr(connector, "read_in_process", False)) and can_fork()


def read_in_process(
    connector: Connector,
    account_id: int,
    stream: str,
    cursor: str | None,
    limit: int | None,
    payloads: PayloadCodec,
) -> Generator[PreparedPage]:
    """The pages of ``stream`` from ``cursor`` on, prepared and staged in a forked process. Each
    page's staging file is the caller's to delete (``ingest.staged_rows`` does) before it asks for
    the next page. Errors of ``fetch`` are raised here, in order, after the pages before them.

    The reader packs the payloads too once the account has a payload dictionary (``payloads``,
    the cache's codec, says which): the one it has when the reader starts, or the one the writer
    trains and commits on the way, handed over with the next acknowledgement."""
    packer = payloads.packer(account_id)
    directory = Path(tempfile.mkdtemp(prefix="omniinbox-import-"))
    context = multiprocessing.get_context("fork")
    here, there = context.Pipe()
    process = context.Process(
        target=_read,
        args=(there, here, connector, account_id, stream, cursor, limit, directory, packer),
        name=f"reader {stream}",
        daemon=True,
    )
    try:
        process.start()
        there.close()
        while True:
            try:
                kind, value = here.recv()
            except (EOFError, OSError):  # closed; or reset, when it died with acknowledgements unread
                process.join(timeout=5)
                raise ConnectorBug(
                    f"the import's reading process stopped unexpectedly (exit code {process.exitcode})"
                ) from None
            if kind in ("end", "error"):
                error, state = value
                if state is not None:
                    connector.adopt_reader_state(state)  # type: ignore[attr-defined]
                if error is not None:
                    raise error
                return
            yield value
            # Committed: the reader may stage one more. One that has sent everything may have
            # gone already; what it sent is still there to be read.
            dictionary = payloads.dictionary_of(account_id)
            if dictionary != (packer.dict_id if packer else 0):
                packer = payloads.packer(account_id)
            with contextlib.suppress(OSError):
                here.send(packer)
    finally:
        here.close()  # a reader still working finds its pipe closed and stops
        if process.pid is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        shutil.rmtree(directory, ignore_errors=True)


def _read(
    pipe: Pipe,
    writers_end: Pipe,
    connector: Connector,
    account_id: int,
    stream: str,
    cursor: str | None,
    limit: int | None,
    directory: Path,
    packer: Packer | None,
) -> None:
    """The reader process: fetch, prepare, stage and send pages until the last one, ``limit``,
    an error (sent too), or the writer going away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the writer's to handle
    writers_end.close()  # the fork copied it: held open here, the pipe would outlive the writer
    credit, count = AHEAD, 0
    try:
        while limit is None or count < limit:
            try:
                page = connector.fetch(stream, cursor)
                count += 1
                prepared = prepare_page(page, account_id)
                try:
                    prepared = stage_page(prepared, directory / f"{count}.page", packer)
                except (OSError, sqlite3.Error) as exc:  # the temporary folder is full or gone
                    raise PermanentError(f"cannot write the import's scratch file in {directory}: {exc}") from None
            except BaseException as exc:
                _send_end(pipe, connector, exc)
                return
            while credit == 0 or pipe.poll():
                packer = pipe.recv()  # an acknowledgement, with the packer to use from now on
                credit += 1
            pipe.send(("page", prepared))
            credit -= 1
            if not page.has_more:
                break
            cursor = page.next_cursor
        _send_end(pipe, connector, None)
    except (EOFError, OSError):  # the writer is gone (finished early, stopped, or killed)
        shutil.rmtree(directory, ignore_errors=True)
    finally:
        pipe.close()


def _send_end(pipe: Pipe, connector: Connector, exc: BaseException | None) -> None:
    """The last message: the error that stopped the stream, if one did (raised in the writer),
    and what the connector learned while reading that later streams need (its
    ``reader_state()``, handed to ``adopt_reader_state`` in the writer's copy of it: a mail
    import remembers the Message-IDs it has seen across files)."""
    get_state = getattr(connector, "reader_state", None)
    state = get_state() if get_state is not None else None
    if exc is None:
        pipe.send(("end", (None, state)))
        return
    if not isinstance(exc, ConnectorError):  # a traceback does not cross a pipe: keep it as a note
        exc.add_note("In the import's reading process:\n" + "".join(traceback.format_exception(exc)).rstrip())
    try:
        pickle.dumps(exc)
    except Exception:  # not picklable: keep what it says
        exc = ConnectorBug(f"{type(exc).__name__}: {exc}")
    pipe.send(("error", (exc, state)))
