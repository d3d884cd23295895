"""Fixtures of the desktop client's tests: a sample cache (built once per session, copied per test),
task runners that are always shut down, and a headless Qt platform."""

from __future__ import annotations

import gc
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

from ui_support import NOW, SAMPLE_ITEMS, Sample

from omniinbox.core import Role
from omniinbox.store.accounts import add_user, get_user
from omniinbox.store.cache import Cache
from omniinbox.ui import samples
from omniinbox.ui.tasks import TaskRunner


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "sample.sqlite"
    with Cache.open(path) as cache:
        add_user(cache, "admin", "Administrator", Role.ADMIN)
        samples.fill(cache, SAMPLE_ITEMS, now=NOW)
        cache.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sample(sample_template: Path, tmp_path: Path) -> Iterator[Sample]:
    """A private copy of a cache of 3,000 generated items over ten accounts, triaged."""
    path = tmp_path / "cache.sqlite"
    shutil.copyfile(sample_template, path)
    cache = Cache.open(path)
    users = {login: get_user(cache, login) for login in ("admin", "social-1", "agent-1", "supervisor-1")}
    admin, social, agent, supervisor = users.values()
    assert admin and social and agent and supervisor
    yield Sample(cache, path, admin, social, agent, supervisor)
    cache.close()


@pytest.fixture
def runner(sample: Sample, qapp: object) -> Iterator[TaskRunner]:
    """A real task runner (writer thread, reader pool) on the sample; shut down after the test.
    The poll is off: tests call ``poll_changes()`` when they mean it."""
    r = TaskRunner(sample.cache, poll_ms=0)
    yield r
    r.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("omniinbox-")], "threads left running"
    # Destroy the runner (and its timer) here, on the GUI thread: left to the garbage collector it
    # may be freed later on another test's writer thread, which Qt reports as a warning.
    del r
    gc.collect()


@pytest.fixture
def sync_runner(sample: Sample, qapp: object) -> Iterator[TaskRunner]:
    """A task runner that runs every task at once on the calling thread."""
    r = TaskRunner(sample.cache, synchronous=True)
    yield r
    r.shutdown()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform warns that it has no window manager to pass size hints, raising and grabs to.
    for item in items:
        if "tests/ui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(
                pytest.mark.qt_log_ignore("This plugin does not support (propagateSizeHints|raise|grabbing)")
            )
