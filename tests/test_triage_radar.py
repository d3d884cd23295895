"""Reading the radar: one issue in detail, its items paged by key, an item's issue through merges,
closing and reopening by itself, and triage hooked on the sync engine's pages."""

from __future__ import annotations

from test_triage_support import Feed, issue_of, item, item_id, ms

from omniinbox import triage
from omniinbox.core import Page, Role
from omniinbox.store import issues as store
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.triage import actions, radar


def _water(feed: Feed, start: int = 0, count: int = 6) -> None:
    feed.write(
        [("x:pemkot", item(f"w{n}", f"Air PDAM mati di Kelurahan Mawar #AirMawar {n}", n)) for n in range(start, count)]
    )


def test_an_issue_in_detail_and_its_items_paged_newest_first(cache: Cache) -> None:
    feed = Feed(cache)
    _water(feed)
    triage.update(cache, now_ms=ms(10))
    issue_id = issue_of(cache, "w0") or 0
    detail = radar.issue(cache, issue_id)
    assert detail is not None and detail.summary.items == 6 and detail.summary.level == 1
    assert detail.summary.title == "air, pdam, kelurahan"
    assert detail.measures["started_from"] == item_id(cache, "w0")
    assert len(detail.summary.hourly) == 24 and sum(detail.summary.hourly) == 6
    first = radar.issue_item_ids(cache, issue_id, limit=4)
    rest = radar.issue_item_ids(cache, issue_id, before_id=first[-1], limit=4)
    assert first == sorted(first, reverse=True) and len(first) == 4 and len(rest) == 2
    assert first + rest == [item_id(cache, f"w{n}") for n in range(5, -1, -1)]
    assert radar.issue_of_item(cache, item_id(cache, "w3")) == issue_id
    assert radar.issue(cache, 999) is None


def test_an_item_is_found_in_the_issue_its_issue_was_merged_into(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([
        ("x:pemkot", item("a1", "Lampu jalan Jl. Melati mati", 1)),
        ("x:pemkot", item("a2", "Lampu di Jl. Melati mati sejak malam", 2)),
        ("x:pemkot", item("b1", "Trotoar Jl. Kenanga rusak dan berlubang", 3)),
        ("x:pemkot", item("b2", "Trotoar berlubang di Jl. Kenanga", 4)),
    ])  # fmt: skip
    triage.update(cache, now_ms=ms(5))
    a, b = issue_of(cache, "a1"), issue_of(cache, "b1")
    assert a is not None and b is not None and a != b
    spv = add_user(cache, "spv", "Supervisor", Role.SUPERVISOR)
    kept = actions.merge_issues(cache, spv, [a, b], now_ms=ms(5))
    gone = b if kept == a else a
    assert radar.issue(cache, gone).summary.id == kept  # type: ignore[union-attr]
    assert radar.issue_of_item(cache, item_id(cache, "b2")) == kept


def test_a_closed_issue_reopens_when_the_public_writes_again(cache: Cache) -> None:
    feed = Feed(cache)
    _water(feed, 0, 3)
    triage.update(cache, now_ms=ms(10))
    issue_id = issue_of(cache, "w0") or 0
    user = add_user(cache, "agent", "Agent", Role.AGENT)
    actions.close_issue(cache, user, issue_id, note="PDAM sudah memperbaiki pipa")
    assert store.issue(cache, issue_id).status == "closed"  # type: ignore[union-attr]
    assert radar.open_issues(cache) == []
    assert [s.id for s in radar.open_issues(cache, include_closed=True)] == [issue_id]
    triage.update(cache, now_ms=ms(20))  # nothing new: stays closed
    assert store.issue(cache, issue_id).status == "closed"  # type: ignore[union-attr]
    _water(feed, 3, 4)
    triage.update(cache, now_ms=ms(20))
    reopened = store.issue(cache, issue_id)
    assert reopened is not None and reopened.status == "open" and reopened.closed_at is None
    trail = [r[2] for r in store.issue_audit(cache, issue_id)]
    assert trail.index("issue.reopen") > trail.index("issue.close")


def test_triage_runs_after_each_page_the_sync_engine_commits(cache: Cache) -> None:
    """The hook: ``SyncEngine(cache, connector_for, on_page=lambda *_: triage.update(cache))``."""
    from omniinbox.core import Account, Channel
    from omniinbox.store.accounts import add_account
    from omniinbox.sync.engine import SyncEngine

    pages = [
        Page(items=[item("p1", "Air PDAM mati di Kelurahan Mawar #AirMawar", 1)], next_cursor="1", has_more=True),
        Page(items=[item("p2", "Kelurahan Mawar juga #AirMawar", 2)], next_cursor="2", has_more=False),
    ]

    class TwoPages:
        streams = ("mentions",)

        def fetch(self, stream: str, cursor: str | None) -> Page:
            return pages[0 if cursor is None else 1]

        def close(self) -> None:
            pass

    account: Account = add_account(cache, "x:pemkot", Channel.X, "Pemkot")
    seen: list[int] = []

    def after_page(_account: object, _report: object) -> None:
        seen.append(triage.update(cache, now_ms=ms(5)).items_grouped)

    engine = SyncEngine(cache, lambda _a: TwoPages(), on_page=after_page)  # type: ignore[arg-type, return-value]
    try:
        assert engine.sync_account(account).ok
    finally:
        engine.close()
    assert seen == [1, 1]
    assert issue_of(cache, "p1") == issue_of(cache, "p2") is not None
