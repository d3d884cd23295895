"""Triage reads each stored neighbour's features once per transaction (a page's new items test the
same recent items again and again), and groups exactly as it does reading them every time."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from test_triage_grouping import _arrive, _corpus
from test_triage_support import partition

from omniinbox.store import issues as store
from omniinbox.triage import engine


def test_a_transaction_reads_each_neighbour_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[list[int]] = []
    runs: list[int] = []
    real_rows = store.feature_rows

    def counting(conn: Any, item_ids: Any) -> list[store.FeatureRow]:
        rows = real_rows(conn, item_ids)
        reads.append([r.item_id for r in rows])
        return rows

    real_init = engine._Run.__init__

    def init(self: engine._Run, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        runs.append(len(reads))  # where this transaction's reads start

    monkeypatch.setattr(store, "feature_rows", counting)
    monkeypatch.setattr(engine._Run, "__init__", init)
    cache = _arrive(tmp_path, "once", _corpus(), None)
    try:
        assert sum(len(r) for r in reads) > 0
        bounds = [*runs, len(reads)]
        for start, end in pairwise(bounds):
            ids = [i for r in reads[start:end] for i in r]
            assert len(ids) == len(set(ids)), "a stored item's features were read twice in one transaction"
    finally:
        cache.close()


def test_the_same_issues_as_reading_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = _corpus()
    once = _arrive(tmp_path, "cached", entries, None)
    try:
        expected = partition(once)
    finally:
        once.close()

    def every_time(self: engine._Run, item_ids: Any) -> list[tuple[int, int, Any]]:
        return [(r.item_id, r.flags, engine.features_of(r)) for r in store.feature_rows(self.conn, item_ids)]

    monkeypatch.setattr(engine._Run, "_stored", every_time)
    again = _arrive(tmp_path, "uncached", entries, None)
    try:
        assert partition(again) == expected and expected
    finally:
        again.close()
