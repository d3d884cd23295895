"""What the desktop client's tests share besides fixtures (importable as ``ui_support``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omniinbox.core import User
from omniinbox.store.cache import Cache
from omniinbox.ui.tasks import TaskRunner

SAMPLE_ITEMS = 3000
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass
class Sample:
    cache: Cache
    path: Path
    admin: User
    social: User
    agent: User
    supervisor: User

    def account_id(self, key: str) -> int:
        return int(self.cache.conn.execute("SELECT id FROM accounts WHERE key = ?", (key,)).fetchone()[0])


def wait_idle(qtbot: Any, runner: TaskRunner, timeout: int = 5000) -> None:
    """Wait until every task submitted so far has been delivered."""
    if runner.pending:
        with qtbot.waitSignal(runner.idle, timeout=timeout):
            pass
