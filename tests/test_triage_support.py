"""Helpers of the triage tests: hand-made items on accounts of every channel, the sandbox's
scenarios as items (the same people, texts, threads and times the demo plays), and the
partition of a cache into issues."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from omniinbox import triage
from omniinbox.core import (
    Account,
    Author,
    Channel,
    Direction,
    Engagement,
    Item,
    ItemKind,
    OwnerKind,
    Page,
    Visibility,
    to_millis,
)
from omniinbox.sandbox.scenario import Scenario, scenario_named
from omniinbox.store.accounts import ensure_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
PRIVATE_KINDS = {ItemKind.DM, ItemKind.EMAIL, ItemKind.TICKET, ItemKind.TICKET_COMMENT}


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def ms(minute: float) -> int:
    return to_millis(at(minute)) or 0


@dataclass
class Feed:
    """Accounts on a cache and a way to write items into it, as a connector's pages would."""

    cache: Cache
    accounts: dict[str, Account] = field(default_factory=dict)

    def account(self, key: str, *, leader: bool = False, name: str = "") -> Account:
        if key not in self.accounts:
            channel = Channel(key.split(":", 1)[0])
            self.accounts[key] = ensure_account(
                self.cache, key, channel, name or key, owner_kind=OwnerKind.LEADER if leader else OwnerKind.INSTITUTION
            )
        return self.accounts[key]

    def write(self, entries: Iterable[tuple[str, Item]]) -> None:
        """Items by account key, one page per account in the order given."""
        pages: dict[str, list[Item]] = {}
        for key, item in entries:
            pages.setdefault(key, []).append(item)
        for key, items in pages.items():
            ingest_page(self.cache, self.account(key), None, Page(items=items))


def item(
    ext: str,
    text: str,
    minute: float,
    *,
    author: str | None = None,
    followers: int | None = 300,
    verified: bool = False,
    kind: ItemKind = ItemKind.MENTION,
    thread: str | None = None,
    parent: str | None = None,
    outbound: bool = False,
    subject: str = "",
    likes: int = 0,
    shares: int = 0,
    replies: int = 0,
    views: int = 0,
) -> Item:
    who = author if author is not None else f"u-{ext}"
    return Item(
        external_id=ext,
        kind=kind,
        text=text,
        conversation_id=thread or ext,
        created_at=at(minute),
        author=Author(
            external_id=who,
            name=who.replace("-", " ").title(),
            handle=f"@{who}",
            followers=followers,
            verified=verified,
        ),
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        subject=subject,
        parent_id=parent,
        engagement=Engagement(likes=likes, replies=replies, shares=shares, views=views),
        visibility=Visibility.PRIVATE if kind in PRIVATE_KINDS else Visibility.PUBLIC,
    )


# ------------------------------------------------------------------------------------ scenarios

OWN_PEOPLE = {"admin", "walikota"}  # the institution's staff and the leader write our own posts


def scenario_entries(scenario: Scenario, *, start: datetime = START) -> list[tuple[str, Item]]:
    """Every event of a sandbox scenario as the item its platform's connector would produce, in
    time order, keyed by the account (``<platform>:<scenario account id>``)."""
    entries = []
    for ev in scenario.events:
        account = scenario.account(ev.account)
        person = scenario.people.get(ev.author)
        author = None
        if person is not None:
            author = Author(
                external_id=f"{ev.platform}:{person.id}", name=person.name, handle=person.handle_on(ev.platform),
                followers=person.followers, verified=person.verified,
            )  # fmt: skip
        entries.append(
            (
                f"{account.platform}:{account.id}",
                Item(
                    external_id=ev.id,
                    kind=ItemKind(ev.kind),
                    text=ev.text,
                    conversation_id=ev.thread,
                    created_at=start + timedelta(minutes=ev.at),
                    author=author,
                    direction=Direction.OUTBOUND if ev.author in OWN_PEOPLE else Direction.INBOUND,
                    subject=ev.subject,
                    parent_id=ev.reply_to or None,
                    engagement=Engagement(ev.likes, ev.replies, ev.shares, ev.views),
                    visibility=Visibility(ev.visibility),
                ),
            )
        )
    return entries


def scenario_feed(cache: Cache, *names: str) -> tuple[Feed, list[tuple[str, Item]]]:
    """A feed with the accounts of the named scenarios (leaders' accounts marked) and their
    items, merged in time order."""
    feed = Feed(cache)
    entries: list[tuple[str, Item]] = []
    for name in names:
        scenario = scenario_named(name)
        for account in scenario.accounts:
            feed.account(f"{account.platform}:{account.id}", leader=account.owner == "leader", name=account.name)
        entries.extend(scenario_entries(scenario))
    entries.sort(key=lambda e: (e[1].created_at, e[1].external_id))
    return feed, entries


def play(feed: Feed, entries: Sequence[tuple[str, Item]], *, each: int = 1) -> list[triage.UpdateReport]:
    """Write the items ``each`` at a time, running triage after each page as the sync engine's
    hook does, with the clock at the newest item written."""
    reports = []
    for start in range(0, len(entries), each):
        page = entries[start : start + each]
        feed.write(page)
        reports.append(triage.update(feed.cache, now_ms=max(to_millis(i.created_at) or 0 for _k, i in page)))
    return reports


def partition(cache: Cache) -> set[frozenset[str]]:
    """The issues of a cache as sets of item external ids (issues of two or more items)."""
    groups: dict[int, set[str]] = {}
    for ext, issue_id in cache.conn.execute(
        "SELECT i.external_id, t.issue_id FROM triage_items t JOIN items i ON i.id = t.item_id"
        " WHERE t.issue_id IS NOT NULL"
    ):
        groups.setdefault(issue_id, set()).add(ext)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def issue_of(cache: Cache, external_id: str) -> int | None:
    row = cache.conn.execute(
        "SELECT t.issue_id FROM items i JOIN triage_items t ON t.item_id = i.id WHERE i.external_id = ?",
        (external_id,),
    ).fetchone()
    return None if row is None else row[0]


def item_id(cache: Cache, external_id: str) -> int:
    return int(cache.conn.execute("SELECT id FROM items WHERE external_id = ?", (external_id,)).fetchone()[0])


def test_scenarios_become_items_on_their_accounts(cache: Cache) -> None:
    feed, entries = scenario_feed(cache, "viral-outage")
    scenario = scenario_named("viral-outage")
    assert len(entries) == len(scenario.events)
    assert {key for key, _item in entries} <= set(feed.accounts)
    assert feed.accounts["x:x-leader"].is_leader and not feed.accounts["x:x-inst"].is_leader
    by_id = {i.external_id: i for _k, i in entries}
    assert by_id["fb-post-jadwal"].direction is Direction.OUTBOUND
    assert by_id["kabar-fb"].parent_id == "fb-post-jadwal" and by_id["kabar-fb"].conversation_id == "fb-post-jadwal"
    assert [i.created_at for _k, i in entries] == sorted(i.created_at for _k, i in entries)
