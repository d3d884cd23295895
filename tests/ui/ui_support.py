"""What the desktop client's tests share besides fixtures (importable as ``ui_support``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from omniinbox.core import User
from omniinbox.store.cache import Cache

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
