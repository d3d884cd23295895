"""A cache filled with generated traffic for the desktop client's tests, screenshots and benchmarks
(Qt-free). Items come from :func:`omniinbox.sandbox.synthetic.generate_items`, spread over the
accounts of a public institution (some of them leaders' personal accounts), stored through the
real ingest path; the triage a working day leaves behind (tags, assignments, statuses, SLA due
times, notes, canned responses) is recorded through the audited store functions.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

from omniinbox.core import (
    Account,
    Author,
    Channel,
    ConversationStatus,
    Direction,
    Item,
    ItemKind,
    OwnerKind,
    Page,
    Priority,
    Role,
    TagValue,
    Team,
    User,
    Visibility,
    to_millis,
)
from omniinbox.sandbox.synthetic import generate_items
from omniinbox.store import actions, views
from omniinbox.store.accounts import add_user, ensure_account, get_user
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page

# key, channel, name, owner, the kinds its items take
ACCOUNTS: tuple[tuple[str, Channel, str, OwnerKind, tuple[ItemKind, ...]], ...] = (
    ("x:pemkot", Channel.X, "Pemkot Sukamaju (X)", OwnerKind.INSTITUTION, (ItemKind.MENTION, ItemKind.REPLY)),
    ("x:walikota", Channel.X, "Wali Kota (X)", OwnerKind.LEADER, (ItemKind.MENTION, ItemKind.REPLY, ItemKind.DM)),
    ("facebook:pemkot", Channel.FACEBOOK, "Pemkot Sukamaju (Facebook)", OwnerKind.INSTITUTION,
     (ItemKind.COMMENT, ItemKind.REPLY, ItemKind.DM)),
    ("instagram:pemkot", Channel.INSTAGRAM, "@pemkotsukamaju", OwnerKind.INSTITUTION,
     (ItemKind.COMMENT, ItemKind.REPLY)),
    ("instagram:walikota", Channel.INSTAGRAM, "Wali Kota (Instagram)", OwnerKind.LEADER, (ItemKind.COMMENT,)),
    ("youtube:pemkot", Channel.YOUTUBE, "Pemkot Sukamaju TV", OwnerKind.INSTITUTION,
     (ItemKind.COMMENT, ItemKind.REPLY)),
    ("mastodon:pemkot", Channel.MASTODON, "@pemkot@social.example", OwnerKind.INSTITUTION,
     (ItemKind.MENTION, ItemKind.DM)),
    ("telegram:pemkot", Channel.TELEGRAM, "Pemkot Sukamaju Bot", OwnerKind.INSTITUTION, (ItemKind.DM,)),
    ("zendesk:pemkot", Channel.ZENDESK, "Layanan Pengaduan (Zendesk)", OwnerKind.INSTITUTION,
     (ItemKind.TICKET, ItemKind.TICKET_COMMENT)),
    ("email:layanan", Channel.EMAIL, "layanan@sukamaju.example", OwnerKind.INSTITUTION, (ItemKind.EMAIL,)),
)  # fmt: skip

# login, name, role, team: generic staff, no real people
USERS: tuple[tuple[str, str, Role, Team | None], ...] = (
    ("social-1", "Social officer 1", Role.SOCIAL_OFFICER, Team.SOCIAL),
    ("social-2", "Social officer 2", Role.SOCIAL_OFFICER, Team.SOCIAL),
    ("agent-1", "Agent 1", Role.AGENT, Team.CONTACT_CENTER),
    ("agent-2", "Agent 2", Role.AGENT, Team.CONTACT_CENTER),
    ("supervisor-1", "Supervisor 1", Role.SUPERVISOR, None),
)

CANNED: tuple[tuple[str, str, Team | None], ...] = (
    ("Terima kasih", "Terima kasih atas masukan Anda. Kami akan menindaklanjutinya segera.", None),
    ("Mohon DM", "Mohon maaf atas ketidaknyamanannya. Silakan kirim detail melalui pesan langsung.", Team.SOCIAL),
    ("Klarifikasi hoaks", "Informasi tersebut tidak benar. Penjelasan resmi ada di situs kami.", Team.SOCIAL),
    ("Tiket diterima", "Pengaduan Anda sudah kami terima dengan nomor tiket ini. Kami kabari dalam 2x24 jam.",
     Team.CONTACT_CENTER),
    ("Thank you", "Thank you for reaching out. We are looking into it and will reply soon.", None),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SampleCache:
    accounts: list[Account]
    users: list[User]
    items: int


def _shape(item: Item, n: int, account_no: int) -> Item:
    """Make a generated item look like its channel's: kind, subject, and every fifth one ours."""
    kinds = ACCOUNTS[account_no][4]
    kind = kinds[n % len(kinds)]
    channel = ACCOUNTS[account_no][1]
    subject = ""
    if channel in (Channel.EMAIL, Channel.ZENDESK):
        subject = " ".join(item.text.split()[:6]).rstrip(".,!?")
    changes: dict[str, object] = {"kind": kind, "subject": subject}
    if kind in (ItemKind.DM, ItemKind.EMAIL, ItemKind.TICKET_COMMENT):
        changes["visibility"] = Visibility.PRIVATE
    if n % 5 == 4:  # our answer in the thread
        changes["direction"] = Direction.OUTBOUND
        changes["author"] = Author(external_id=f"self-{account_no}", name=ACCOUNTS[account_no][2])
    return dataclasses.replace(item, **changes)  # type: ignore[arg-type]


def _pages(count: int, seed: int, page: int, end: datetime, span: timedelta) -> Iterator[dict[int, list[Item]]]:
    items = generate_items(count, seed=seed, threads=max(count // 5, 1), start=end - span, span=span)
    n = 0
    while True:
        chunk = list(islice(items, page))
        if not chunk:
            return
        by_account: dict[int, list[Item]] = defaultdict(list)
        for item in chunk:
            account_no = hash_thread(item.conversation_id) % len(ACCOUNTS)
            by_account[account_no].append(_shape(item, n, account_no))
            n += 1
        yield by_account


def hash_thread(conversation_id: str) -> int:
    """A stable spread of threads over accounts (``hash()`` of a str changes between runs)."""
    return sum(conversation_id.encode()) * 2654435761 % 2**32


def fill(
    cache: Cache,
    items: int = 3000,
    *,
    seed: int = 7,
    triage: bool = True,
    page: int = 5000,
    now: datetime | None = None,
    span: timedelta = timedelta(days=30),
) -> SampleCache:
    """Add the sample accounts, users, canned responses and ``items`` generated items, written over
    the ``span`` before ``now``, to ``cache``; with ``triage``, tag, assign, snooze, close and set
    due times on a deterministic share of the newest."""
    now = now or datetime.now(UTC)
    accounts = [
        ensure_account(cache, key, channel, name, owner_kind=owner) for key, channel, name, owner, _ in ACCOUNTS
    ]
    users = [get_user(cache, login) or add_user(cache, login, name, role, team) for login, name, role, team in USERS]
    if not views.canned_responses(cache):
        for title, body, team in CANNED:
            actions.add_canned_response(cache, title, body, team=team, user_id=None)
    for by_account in _pages(items, seed, page, now, span):
        for account_no, chunk in sorted(by_account.items()):
            ingest_page(cache, accounts[account_no], None, Page(items=chunk), source="import")
    if triage:
        _triage(cache, users, now)
    return SampleCache(accounts, users, items)


def _triage(cache: Cache, users: list[User], now: datetime) -> None:
    """What a working day leaves on the newest items: judgements by both teams, assignments,
    statuses, priorities, due times and a few notes."""
    ids = views.page_ids(cache, limit=min(4000, views.sidebar_counts(cache, None).items))
    by_user = {u.login: u for u in users}
    social, agent, supervisor = by_user["social-1"], by_user["agent-1"], by_user["supervisor-1"]
    promote = [i for n, i in enumerate(ids) if n % 13 == 3]
    protect = [i for n, i in enumerate(ids) if n % 9 == 1]
    actions.set_tag(cache, promote, Team.SOCIAL, TagValue.PROMOTE, user_id=social.id)
    actions.set_tag(cache, protect, Team.SOCIAL, TagValue.PROTECT, user_id=social.id)
    actions.set_tag(cache, protect[::3], Team.CONTACT_CENTER, TagValue.PROTECT, user_id=agent.id)
    actions.set_tag(cache, promote[1::4], Team.CONTACT_CENTER, TagValue.PROMOTE, user_id=agent.id)
    conversations = views.conversation_ids_for(cache, ids)
    facts = views.conversation_facts(cache, conversations)
    for n, cid in enumerate(conversations):
        team = facts[cid].team
        if n % 4 == 0:
            workers = [u for u in users if u.team is not None and u.team.value == team]
            actions.assign(cache, [cid], workers[n // 4 % len(workers)].id, user_id=supervisor.id)
    now_ms = to_millis(now) or 0
    hour = 3_600_000
    actions.set_status(cache, conversations[7::23], ConversationStatus.CLOSED, user_id=agent.id)
    actions.set_status(cache, conversations[5::31], ConversationStatus.PENDING, user_id=agent.id)
    actions.set_status(
        cache, conversations[11::37], ConversationStatus.SNOOZED, user_id=agent.id, snoozed_until_ms=now_ms + 20 * hour
    )
    actions.set_priority(cache, conversations[2::17], Priority.HIGH, user_id=supervisor.id)
    actions.set_priority(cache, conversations[3::41], Priority.URGENT, user_id=supervisor.id)
    for n, cid in enumerate(conversations[:600]):
        due = now_ms + (n % 7 - 2) * hour + (n % 5) * 600_000  # some overdue, some soon, some later
        actions.set_sla_due(cache, [cid], due, user_id=None)
    for cid in conversations[1:60:6]:
        actions.add_note(cache, cid, "Sudah dicek ke dinas terkait; menunggu jawaban.", user_id=agent.id)
    actions.mark_read(cache, ids[40::3], user_id=social.id)
