"""The one way the desktop client runs work off the GUI thread.

* **Writes** run on a single writer thread that owns the write :class:`Cache`, one after another in
  the order they were asked for. A write function receives the cache (``fn(cache) -> result``)
  and calls Qt-free use-case or store functions; it must not touch widgets.
* **Reads** run on a small pool; each pool thread has its own reader connection
  (:meth:`Cache.reader`), handed to the function (``fn(conn) -> result``). Reads are not ordered
  among themselves: a view that asks again before an answer arrives keeps a generation number and
  ignores answers to older questions.
* **Network** work (checking an account, sending) runs on its own small pool so a slow platform
  never delays a list.

Results and errors come back to the GUI thread as queued signals; the ``done``/``failed``
callbacks given with a task are called there, and only while their ``owner`` widget still exists.
After every write, and whenever the poll finds that another process (a sync worker) wrote to the
cache, :attr:`TaskRunner.changed` says what changed (:class:`Changes`), so each view refreshes only
what it shows.

Tests either run the runner for real and wait with ``qtbot.waitSignal(runner.idle)``, or build it
with ``synchronous=True``: then every task runs at once on the calling thread and its callbacks
are called before ``write``/``read`` return.

Signals:
    changed(Changes): the cache changed (by our writes or another process's).
    task_failed(Task, TaskError): a task failed; the main window shows refusals and problems.
    busy_changed(bool): whether any task is waiting or running.
    idle(): the last pending task was delivered.
"""

from __future__ import annotations

import itertools
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from omniinbox.store import views
from omniinbox.store.cache import Cache

log = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_POLL_MS = 1500


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two points of the cache's change sequence.

    ``summary`` counts changed rows per kind (``items``, ``tags``, ``conversations``, ``notes``,
    ``outbox``, ``audit``, ``problems``, ``accounts``...); ``local``: by this client's own write.
    """

    first_seq: int
    last_seq: int
    summary: dict[str, int]
    local: bool

    def touches(self, *kinds: str) -> bool:
        return any(self.summary.get(kind) for kind in kinds)


@dataclass(frozen=True, slots=True)
class TaskError:
    """Why a task failed, sorted by who is at fault.

    ``refused``: the action cannot be done as asked (the message says why, for people);
    ``environment``: the disk, the database or the network (retrying later may help);
    ``bug``: ours; the traceback went to the log.
    """

    kind: str
    message: str
    label: str = ""


def classify(exc: BaseException, label: str = "") -> TaskError:
    from omniinbox.connectors.base import ConnectorError
    from omniinbox.store.accounts import AccountExists, UnknownAccount
    from omniinbox.store.actions import ActionRefused
    from omniinbox.store.database import CacheError
    from omniinbox.store.outbox import OutboxRefused
    from omniinbox.store.queries import BadQuery
    from omniinbox.usecases import UseCaseRefused

    if isinstance(exc, UseCaseRefused | ActionRefused | OutboxRefused | BadQuery | AccountExists | UnknownAccount):
        return TaskError("refused", str(exc), label)
    if isinstance(exc, CacheError | ConnectorError | OSError):
        return TaskError("environment", str(exc), label)
    if isinstance(exc, sqlite3.OperationalError):
        return TaskError("environment", f"the cache could not be used: {exc}", label)
    log.error("task %r failed", label or "?", exc_info=exc)
    return TaskError("bug", f"an unexpected error ({type(exc).__name__}); the details are in the log", label)


@dataclass(eq=False)
class Task:
    """A handle on submitted work. ``cancel()`` drops its callbacks (and skips it when it has
    not started)."""

    id: int
    label: str
    kind: str  # write | read | network
    done: Callable[[Any], None] | None = None
    failed: Callable[[TaskError], None] | None = None
    owner: QObject | None = None
    cancelled: bool = False
    result: Any = None
    error: TaskError | None = None
    finished: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True
        self.done = self.failed = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    task: Task
    result: Any = None
    error: BaseException | None = None
    changes: Changes | None = None


_STOP = object()


class TaskRunner(QObject):
    """See the module docstring. Attributes: ``cache`` (the write cache; touch it only from write
    functions), ``last_seq`` (the newest change announced to views)."""

    changed = Signal(object)
    task_failed = Signal(object, object)
    busy_changed = Signal(bool)
    idle = Signal()
    _delivered = Signal(object)

    def __init__(
        self,
        cache: Cache,
        *,
        synchronous: bool = False,
        readers: int = 2,
        network: int = 2,
        poll_ms: int = DEFAULT_POLL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache = cache
        self.synchronous = synchronous
        self._ids = itertools.count(1)
        self._pending = 0
        self._closed = False
        self.last_seq = cache.last_seq()
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._reader_local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._writes: queue.Queue[object] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._read_pool: ThreadPoolExecutor | None = None
        self._net_pool: ThreadPoolExecutor | None = None
        self._poll_task: Task | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.poll_changes)
        if not synchronous:
            self._writer = threading.Thread(target=self._write_loop, name="omniinbox-writer", daemon=True)
            self._writer.start()
            self._read_pool = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="omniinbox-read")
            self._net_pool = ThreadPoolExecutor(max_workers=network, thread_name_prefix="omniinbox-net")
            if poll_ms > 0:
                self._poll.start()

    # ------------------------------------------------------------------ submitting

    def write(
        self,
        fn: Callable[[Cache], T],
        *,
        done: Callable[[T], None] | None = None,
        failed: Callable[[TaskError], None] | None = None,
        owner: QObject | None = None,
        label: str = "",
    ) -> Task:
        """Run ``fn(cache)`` on the writer thread, after every write asked for before it."""
        task = self._task("write", label, done, failed, owner)
        if task.cancelled:
            return task
        if self.synchronous:
            self._deliver(self._run_write(task, fn))
        else:
            self._writes.put((task, fn))
        return task

    def read(
        self,
        fn: Callable[[sqlite3.Connection], T],
        *,
        done: Callable[[T], None] | None = None,
        failed: Callable[[TaskError], None] | None = None,
        owner: QObject | None = None,
        label: str = "",
    ) -> Task:
        """Run ``fn(conn)`` on a reader thread with that thread's own read connection."""
        task = self._task("read", label, done, failed, owner)
        if task.cancelled:
            return task
        if self.synchronous:
            self._deliver(self._run(task, lambda: fn(self.cache.conn)))
        else:
            assert self._read_pool is not None
            self._read_pool.submit(self._run_and_post, task, lambda: fn(self._reader()))
        return task

    def network(
        self,
        fn: Callable[[], T],
        *,
        done: Callable[[T], None] | None = None,
        failed: Callable[[TaskError], None] | None = None,
        owner: QObject | None = None,
        label: str = "",
    ) -> Task:
        """Run ``fn()`` (HTTP, IMAP...) on the network pool; it must not touch the cache."""
        task = self._task("network", label, done, failed, owner)
        if task.cancelled:
            return task
        if self.synchronous:
            self._deliver(self._run(task, fn))
        else:
            assert self._net_pool is not None
            self._net_pool.submit(self._run_and_post, task, fn)
        return task

    @property
    def pending(self) -> int:
        """Tasks submitted and not yet delivered."""
        return self._pending

    def _task(
        self,
        kind: str,
        label: str,
        done: Callable[[Any], None] | None,
        failed: Callable[[TaskError], None] | None,
        owner: QObject | None,
    ) -> Task:
        task = Task(next(self._ids), label, kind, done, failed, owner)
        if self._closed:  # a view's timer during shutdown: nothing runs, nothing answers
            task.cancel()
            return task
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        return task

    # ------------------------------------------------------------------ worker side

    def _write_loop(self) -> None:
        while True:
            job = self._writes.get()
            if job is _STOP:
                return
            assert isinstance(job, tuple)
            task: Task = job[0]
            fn: Callable[[Cache], Any] = job[1]
            self._delivered.emit(self._run_write(task, fn))

    def _run_write(self, task: Task, fn: Callable[[Cache], Any]) -> _Outcome:
        if task.cancelled:
            return _Outcome(task)
        cache = self.cache
        before: int | None = None
        try:
            before = cache.last_seq()
            result = fn(cache)
        except Exception as exc:  # delivered to the GUI thread, classified there
            # a use case of several transactions may have committed some before failing
            return _Outcome(task, error=exc, changes=self._changes_after(before))
        return _Outcome(task, result=result, changes=self._changes_after(before))

    def _changes_after(self, before: int | None) -> Changes | None:
        if before is None:
            return None
        try:
            after = self.cache.last_seq()
            if after <= before:
                return None
            return Changes(before + 1, after, self.cache.changes_since(before), local=True)
        except sqlite3.Error:
            log.exception("reading the change feed after a write failed")
            return None

    def _run(self, task: Task, fn: Callable[[], Any]) -> _Outcome:
        if task.cancelled or self._closed:
            return _Outcome(task)
        try:
            return _Outcome(task, result=fn())
        except Exception as exc:  # delivered to the GUI thread, classified there
            return _Outcome(task, error=exc)

    def _run_and_post(self, task: Task, fn: Callable[[], Any]) -> None:
        outcome = self._run(task, fn)
        if not self._closed:
            self._delivered.emit(outcome)

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._reader_local, "conn", None)
        if conn is None:
            conn = self.cache.reader()
            self._reader_local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        return conn

    # ------------------------------------------------------------------ GUI side

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        if self._closed:
            return
        task = outcome.task
        task.finished = True
        try:
            if outcome.changes is not None:
                self._announce(outcome.changes)
            if task.cancelled:
                return
            alive = task.owner is None or shiboken6.isValid(task.owner)
            if outcome.error is not None:
                task.error = classify(outcome.error, task.label)
                self.task_failed.emit(task, task.error)
                if task.failed is not None and alive:
                    task.failed(task.error)
            else:
                task.result = outcome.result
                if task.done is not None and alive:
                    task.done(outcome.result)
        finally:
            self._pending -= 1
            if self._pending == 0:
                self.busy_changed.emit(False)
                self.idle.emit()

    def _announce(self, changes: Changes) -> None:
        if changes.last_seq <= self.last_seq:
            return  # already announced (a poll saw it first)
        self.last_seq = changes.last_seq
        self.changed.emit(changes)

    @Slot()
    def poll_changes(self) -> None:
        """Look for changes written by another process (one poll at a time)."""
        if self._closed or (self._poll_task is not None and not self._poll_task.finished):
            return
        known = self.last_seq

        def look(conn: sqlite3.Connection) -> Changes | None:
            seq = views.last_seq(conn)
            if seq <= known:
                return None
            return Changes(known + 1, seq, views.changes_since(conn, known), local=False)

        def found(changes: Changes | None) -> None:
            if changes is not None:
                self._announce(changes)

        self._poll_task = self.read(look, done=found, label="poll")

    def shutdown(self, timeout: float = 10.0) -> None:
        """Finish the write in progress and the queued writes, stop the pools, close the reader
        connections. Results not yet delivered are dropped; work asked for afterwards is not
        done (its task comes back cancelled). Idempotent."""
        if self._closed:
            return
        self._poll.stop()
        if self._writer is not None:
            self._writes.put(_STOP)
            self._writer.join(timeout)
            if self._writer.is_alive():
                log.error("the writer thread did not finish within %.0f s", timeout)
        self._closed = True
        for pool in (self._read_pool, self._net_pool):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()
        self._pending = 0
