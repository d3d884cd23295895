"""The task runner: writes in order on one writer thread, reads on reader connections, results
and errors on the GUI thread, the change feed (our writes and another process's)."""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading

import pytest
import shiboken6
from PySide6.QtCore import QObject, Signal
from ui_support import Sample, wait_idle

from omniinbox import usecases
from omniinbox.core import Page, TagValue, Team
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import views
from omniinbox.store.accounts import get_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page
from omniinbox.ui.tasks import Changes, TaskError, TaskRunner


def test_writes_run_in_order_on_the_writer_thread_and_answer_on_the_gui_thread(
    qtbot: object, runner: TaskRunner, sample: Sample
) -> None:
    gui = threading.current_thread()
    seen: list[tuple[str, int]] = []
    answered: list[tuple[int, threading.Thread]] = []
    ids = views.page_ids(sample.cache, limit=20)

    def step(n: int):  # type: ignore[no-untyped-def]
        def write(cache: Cache) -> int:
            seen.append((threading.current_thread().name, n))
            return usecases.tag(cache, sample.social, ids[n : n + 1], Team.SOCIAL, TagValue.PROTECT, toggle=False)

        return write

    for n in range(20):
        runner.write(step(n), done=lambda result, n=n: answered.append((n, threading.current_thread())))
    assert runner.pending == 20
    wait_idle(qtbot, runner)
    assert [n for _, n in seen] == list(range(20))
    assert {name for name, _ in seen} == {"omniinbox-writer"}
    assert [n for n, _ in answered] == list(range(20)) and {t for _, t in answered} == {gui}
    tags = views.tags_of(sample.cache, ids)
    assert all(tags[i]["social"] == "protect" for i in ids)


def test_reads_use_their_own_connections(qtbot: object, runner: TaskRunner, sample: Sample) -> None:
    connections: list[sqlite3.Connection] = []

    def read(conn: sqlite3.Connection) -> list[int]:
        connections.append(conn)
        assert threading.current_thread().name.startswith("omniinbox-read")
        return views.page_ids(conn, limit=5)

    answers: list[list[int]] = []
    for _ in range(6):
        runner.read(read, done=answers.append)
    wait_idle(qtbot, runner)
    assert answers == [views.page_ids(sample.cache, limit=5)] * 6
    assert sample.cache.conn not in connections and 1 <= len(set(map(id, connections))) <= 2


def test_errors_are_sorted_by_who_is_at_fault(
    qtbot: object, runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[TaskError] = []
    signalled: list[TaskError] = []
    runner.task_failed.connect(lambda task, error: signalled.append(error))

    def refused(cache: Cache) -> None:
        raise usecases.UseCaseRefused("nothing is selected")

    def broken(conn: sqlite3.Connection) -> None:
        raise ZeroDivisionError("division by zero")

    def disk(cache: Cache) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    runner.write(refused, failed=errors.append, label="tag")
    with caplog.at_level(logging.ERROR, logger="omniinbox.ui.tasks"):
        runner.read(broken, failed=errors.append, label="list rows")
        wait_idle(qtbot, runner)
    runner.write(disk, failed=errors.append)
    wait_idle(qtbot, runner)
    by_kind = {e.kind: e for e in errors}
    assert by_kind["refused"].message == "nothing is selected" and by_kind["refused"].label == "tag"
    assert "ZeroDivisionError" in by_kind["bug"].message and "division by zero" not in by_kind["bug"].message
    assert "database or disk is full" in by_kind["environment"].message
    assert "list rows" in caplog.text and "ZeroDivisionError: division by zero" in caplog.text  # the traceback
    assert signalled == errors


def test_a_write_announces_what_changed_and_a_poll_finds_another_process(
    qtbot: object, runner: TaskRunner, sample: Sample
) -> None:
    changes: list[Changes] = []
    runner.changed.connect(changes.append)
    ids = views.page_ids(sample.cache, limit=2)
    assert not any(r.is_read for r in views.list_rows(sample.cache, ids))
    runner.write(lambda cache: usecases.mark_read(cache, sample.admin, ids, True))
    runner.write(lambda cache: usecases.mark_read(cache, sample.admin, ids, True))  # changes nothing
    wait_idle(qtbot, runner)
    assert len(changes) == 1
    assert changes[0].local and changes[0].summary == {"items": 2} and changes[0].last_seq == runner.last_seq
    # another process (a sync worker) writes to the same file
    other = Cache.open(sample.path)
    try:
        account = get_account(other, "telegram:pemkot")
        ingest_page(other, account, "updates", Page(items=list(generate_items(4, prefix="tg")), next_cursor="9"))
        with qtbot.waitSignal(runner.changed, timeout=5000) as blocker:
            runner.poll_changes()
        seen: Changes = blocker.args[0]  # type: ignore[index]
        assert not seen.local and seen.summary["items"] == 4 and seen.last_seq == other.last_seq()
        assert runner.last_seq == other.last_seq()
        runner.poll_changes()  # nothing new: nothing announced
        with qtbot.assertNotEmitted(runner.changed, wait=50):  # type: ignore[attr-defined]
            wait_idle(qtbot, runner)
    finally:
        other.close()


def test_callbacks_of_a_deleted_owner_are_not_called(qtbot: object, runner: TaskRunner) -> None:
    owner = QObject()
    called: list[object] = []
    runner.read(lambda conn: 1, done=called.append, owner=owner)
    shiboken6.delete(owner)  # the widget is gone before the answer arrives
    wait_idle(qtbot, runner)
    task = runner.read(lambda conn: 2, done=called.append)
    task.cancel()
    wait_idle(qtbot, runner)
    assert called == []


def test_synchronous_runner_answers_before_returning(sync_runner: TaskRunner, sample: Sample) -> None:
    got: list[object] = []
    changes: list[Changes] = []
    sync_runner.changed.connect(changes.append)
    ids = views.page_ids(sample.cache, limit=3)
    sync_runner.read(lambda conn: views.page_ids(conn, limit=3), done=got.append)
    assert got == [ids]
    sync_runner.write(lambda c: usecases.tag(c, sample.social, ids, Team.SOCIAL, TagValue.PROMOTE, toggle=False))
    assert changes and changes[-1].touches("tags") and sync_runner.pending == 0


def test_shutdown_finishes_queued_writes_and_refuses_new_work(qtbot: object, sample: Sample) -> None:
    runner = TaskRunner(sample.cache, poll_ms=50)
    ids = views.page_ids(sample.cache, views.ListFilter(team=Team.SOCIAL), limit=30)
    for item_id in ids:
        runner.write(lambda c, i=item_id: usecases.mark_read(c, sample.admin, [i], False))
    runner.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("omniinbox-")]
    assert not any(r.is_read for r in views.list_rows(sample.cache, ids))  # every queued write was done
    late = runner.read(lambda conn: pytest.fail("ran after shutdown"))
    assert late.cancelled and runner.pending == 0
    runner.shutdown()  # twice is harmless


def test_signals_keep_python_reference_counts(qapp: object) -> None:
    """PySide6 6.12.0 dropped a reference to True on every signal emitted, until the interpreter
    crashed; pyproject excludes it, and this catches a binding with the same fault."""

    class Emitter(QObject):
        fired = Signal(object)

    emitter = Emitter()
    got: list[object] = []
    emitter.fired.connect(got.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for n in range(500):
        emitter.fired.emit(n % 2 == 0)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(got) == 500
    assert after[0] - before[0] == 250 and after[1] - before[1] == 250  # the list holds them, nothing else moved
