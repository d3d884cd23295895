"""The bounded full-text merges: they leave the index sound, searches unchanged, and no change batch."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from omniinbox.core import Channel, Page
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import fts_merge, views
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page

QUERIES = ("air", "pdam", "tolong", "layanan", "mati", "terima kasih", "#pelayanan", "jalan")


def _imported(cache: Cache, pages: int = 40, size: int = 50) -> None:
    account = ensure_account(cache, "x:import", Channel.X, "Imported")
    items = generate_items(pages * size, seed=7, authors=300, threads=400)
    for _ in range(pages):
        ingest_page(cache, account, None, Page(items=list(islice(items, size))), source="import")


def _segments(cache: Cache) -> int:
    return int(cache.conn.execute("SELECT count(*) FROM items_fts_data").fetchone()[0])


def _searches(cache: Cache) -> dict[str, list[int]]:
    return {q: views.search_ids(cache.conn, q, limit=10_000) for q in QUERIES}


def test_merge_keeps_the_index_sound_and_searches_unchanged(cache: Cache) -> None:
    _imported(cache)
    before = _searches(cache)
    assert sum(len(v) for v in before.values()) > 0
    seq = cache.last_seq()
    batches = cache.conn.execute("SELECT count(*) FROM change_batches").fetchone()[0]

    worked = fts_merge.merge_step(cache, pages=4)
    assert worked  # 40 page segments at level 0: there was merging to do
    report = fts_merge.after_import(cache)
    assert report.done and report.steps >= 1

    assert fts_merge.integrity_ok(cache)
    assert cache.integrity_problems() == []
    cache.conn.execute("INSERT INTO items_fts (items_fts) VALUES ('integrity-check')")
    if cache.conn.in_transaction:
        cache.conn.execute("COMMIT")
    assert _searches(cache) == before
    # Nothing the views follow changed: no sequence number, no change batch.
    assert cache.last_seq() == seq
    assert cache.conn.execute("SELECT count(*) FROM change_batches").fetchone()[0] == batches
    # Once done, a step finds nothing to do.
    assert fts_merge.merge_step(cache) is False


def test_merge_is_bounded_by_steps_and_budget(cache: Cache) -> None:
    _imported(cache, pages=40, size=50)
    report = fts_merge.merge(cache, budget_s=60, pages=1, max_steps=2)
    assert report.steps == 2 and not report.done
    assert fts_merge.integrity_ok(cache)
    rest = fts_merge.merge(cache, budget_s=0.0, pages=1)
    assert rest.steps == 1  # a zero budget still takes one step, and stops after it


def test_idle_merge_only_after_busy_rounds(cache: Cache) -> None:
    _imported(cache, pages=20, size=50)
    assert fts_merge.idle_merge(cache, written=10) is None
    report = fts_merge.idle_merge(cache, written=fts_merge.IDLE_AFTER_ITEMS)
    assert report is not None and report.steps >= 1
    assert fts_merge.integrity_ok(cache)


def test_import_files_merges_at_the_end(tmp_path: Path, monkeypatch: object) -> None:
    from omniinbox.sync import importer

    calls: list[int] = []
    real = fts_merge.after_import

    def spy(cache: Cache, **kwargs: object) -> fts_merge.MergeReport:
        calls.append(1)
        return real(cache)

    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(fts_merge, "after_import", spy)
    try:
        mbox = tmp_path / "mail.mbox"
        mbox.write_text(
            "From a@example.org Mon Nov 23 10:00:00 2026\nFrom: A <a@example.org>\nTo: us@example.org\n"
            "Subject: Air mati\nMessage-ID: <1@example.org>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\n"
            "Air PDAM mati sejak pagi\n",
            encoding="utf-8",
        )
        with Cache.open(tmp_path / "c.sqlite") as c:
            report = importer.import_files(c, Channel.EMAIL, [mbox])
            assert report.items_written == 1
            assert fts_merge.integrity_ok(c)
    finally:
        mp.undo()
    assert calls == [1]
