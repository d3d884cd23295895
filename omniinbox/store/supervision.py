"""Reads for the supervisor's view (Qt-free): the workload per person, the review queue (replies
on leaders' accounts awaiting approval, Promote/Protect suggestions no team has judged yet) and
the series of the charts (volume per channel and day, Promote vs Protect per team, first-response
and resolution times per channel and day).

Every read goes through an index, never over the whole items table (``tests/test_supervision.py``
checks the query plans). Measured on caches of :mod:`omniinbox.ui.samples` (30 days of traffic,
so the 14-day window holds ~47% of the items), best of three on a shared 2-core machine:

=============== ============ ==========
read            200k items   1M items
=============== ============ ==========
workload        0.3 ms       0.4 ms
review queue    < 0.1 ms     < 0.1 ms
volume          92 ms        626 ms  (the GROUP BY's sort of the window's items is 3/4 of it)
Promote/Protect 0.1 ms       < 0.1 ms
response times  24 ms        174 ms
=============== ============ ==========

How:

* people: ``conversations_assignee (assignee_id, status)`` for the counts, its open/pending ranges
  for the overdue ones;
* replies awaiting approval: ``outbox_due (state, ...)``;
* suggestions: ``triage_suggestions`` by primary key (item id, which is time-ordered) from the
  window's first id down, each checked against ``tags`` by its primary key;
* volume: the window's conversations through ``conversations_queue (team, status,
  last_item_at)`` and their items through ``items_conversation (conversation_id, id)``: the item
  id says the day (ids are time-ordered) and the conversation its account, so no item row is
  read;
* Promote/Protect: ``tags_value (team, value, item_id)`` over the window's id range;
* times: the window's conversations as above; the first answer is the conversation's first
  outgoing item (``items_conversation`` in id order, stopping at the first), the resolution the
  latest status change to closed in the audit trail (``audit_target (target, id)``).

Days are calendar days at ``utc_offset_ms`` (the desk's time zone), oldest first.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from omniinbox.core import Role, Team
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ID_HASH_BITS, id_floor_for

Conn = sqlite3.Connection | Cache
DAY_MS = 86_400_000
WINDOW_DAYS = 14
OPEN = ("open", "pending")
ALL_STATUSES = ("open", "pending", "snoozed", "closed")
TEAMS = tuple(t.value for t in Team)
SUPERVISING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def item_ms(item_id: int) -> int:
    """When an item was created, from its time-ordered id."""
    return item_id >> ID_HASH_BITS


# ---------------------------------------------------------------------------------- days


def day_index(ms: int, start_ms: int) -> int:
    return (ms - start_ms) // DAY_MS


def window_start(now_ms: int, days: int = WINDOW_DAYS, utc_offset_ms: int = 0) -> int:
    """The first millisecond of the oldest of the ``days`` calendar days ending today."""
    local_midnight = (now_ms + utc_offset_ms) // DAY_MS * DAY_MS
    return local_midnight - (days - 1) * DAY_MS - utc_offset_ms


def window_days(now_ms: int, days: int = WINDOW_DAYS, utc_offset_ms: int = 0) -> list[date]:
    start = window_start(now_ms, days, utc_offset_ms) + utc_offset_ms
    first = datetime.fromtimestamp(start / 1000, UTC).date()
    return [first + timedelta(days=n) for n in range(days)]


# ---------------------------------------------------------------------------------- workload


@dataclass(frozen=True, slots=True)
class Workload:
    """One person's conversations: open (open or pending), overdue (open, waiting for an answer,
    past its due time), closed; ``snoozed`` apart."""

    user_id: int
    login: str
    name: str
    role: str
    team: str | None
    open: int = 0
    overdue: int = 0
    closed: int = 0
    snoozed: int = 0


def workload(conn: Conn, now_ms: int) -> list[Workload]:
    """Every user of the cache with the counts of the conversations assigned to them, by team
    (people without a team last) then name."""
    c = _conn(conn)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for assignee, status, n in c.execute(
        "SELECT assignee_id, status, count(*) FROM conversations INDEXED BY conversations_assignee"
        " WHERE assignee_id IS NOT NULL GROUP BY assignee_id, status"
    ):
        counts[assignee][status] = n
    overdue: dict[int, int] = dict(
        c.execute(
            "SELECT assignee_id, count(*) FROM conversations INDEXED BY conversations_assignee"
            f" WHERE assignee_id IS NOT NULL AND status IN ({_marks(OPEN)}) AND sla_due_at < ?"
            " AND last_inbound_at IS NOT NULL AND last_inbound_at >= last_item_at GROUP BY assignee_id",
            (*OPEN, now_ms),
        ).fetchall()
    )
    out = []
    for uid, login, name, role, team in c.execute("SELECT id, login, name, role, team FROM users"):
        mine = counts.get(uid, {})
        out.append(
            Workload(
                uid,
                login,
                name,
                role,
                team,
                open=mine.get("open", 0) + mine.get("pending", 0),
                overdue=overdue.get(uid, 0),
                closed=mine.get("closed", 0),
                snoozed=mine.get("snoozed", 0),
            )
        )
    order = {t: n for n, t in enumerate(TEAMS)}
    out.sort(key=lambda w: (order.get(w.team or "", len(order)), w.name.casefold(), w.user_id))
    return out


@dataclass(frozen=True, slots=True)
class TeamWorkload:
    team: str | None  # None: people without a team
    open: int
    overdue: int
    closed: int
    people: int


def team_totals(rows: Sequence[Workload]) -> list[TeamWorkload]:
    """The sums of :func:`workload`'s rows per person's team, in the same order."""
    sums: dict[str | None, list[int]] = {}
    for w in rows:
        s = sums.setdefault(w.team, [0, 0, 0, 0])
        s[0] += w.open
        s[1] += w.overdue
        s[2] += w.closed
        s[3] += 1
    return [TeamWorkload(team, *s) for team, s in sums.items()]


# ---------------------------------------------------------------------------------- review queue


@dataclass(frozen=True, slots=True)
class PendingReply:
    """A reply on a leader's account (or another that needs approval), awaiting a supervisor."""

    outbox_id: int
    account_id: int
    account_name: str
    channel: str
    is_leader_account: bool
    body: str
    visibility: str
    created_by: str
    created_at: int
    conversation_id: int | None
    in_reply_to_item_id: int | None
    original_author: str
    original_text: str


def pending_replies(conn: Conn, *, limit: int = 200) -> list[PendingReply]:
    """Replies awaiting approval, oldest first (who waits longest comes first)."""
    sql = (
        "SELECT o.id, o.account_id, a.name, a.channel, a.owner_kind = 'leader', o.body, o.visibility,"
        " coalesce(u.name, ''), o.created_at, o.conversation_id, o.in_reply_to_item_id,"
        " coalesce(i.author_name, ''), coalesce(i.text, '')"
        " FROM outbox o JOIN accounts a ON a.id = o.account_id LEFT JOIN users u ON u.id = o.created_by"
        " LEFT JOIN items i ON i.id = o.in_reply_to_item_id"
        " WHERE o.state = 'awaiting_approval' ORDER BY o.id LIMIT ?"
    )
    return [PendingReply(r[0], r[1], r[2], r[3], bool(r[4]), *r[5:]) for r in _conn(conn).execute(sql, (limit,))]


@dataclass(frozen=True, slots=True)
class TagToConfirm:
    """A Promote/Protect suggestion on an item that the team working its conversation has not
    judged yet."""

    item_id: int
    value: str  # promote | protect
    score: int
    reason: str
    team: str  # the conversation's team: whose judgement a confirmation records
    channel: str
    author: str
    text: str
    created_at: int  # the item's


def tags_to_confirm(conn: Conn, *, since_ms: int = 0, limit: int = 100, scan: int = 20_000) -> list[TagToConfirm]:
    """Newest first, within items created since ``since_ms``; at most ``scan`` suggestions are
    looked at (each costs two primary-key lookups), so the read stays bounded on any cache."""
    sql = (
        "SELECT s.item_id, s.value, s.score, s.reason, c.team, a.channel, i.author_name, i.text"
        " FROM (SELECT item_id, value, score, reason FROM triage_suggestions"
        "       WHERE item_id >= ? ORDER BY item_id DESC LIMIT ?) s"
        " JOIN items i ON i.id = s.item_id JOIN conversations c ON c.id = i.conversation_id"
        " JOIN accounts a ON a.id = i.account_id"
        " WHERE s.value IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.item_id = s.item_id AND t.team = c.team)"
        " ORDER BY s.item_id DESC LIMIT ?"
    )
    rows = _conn(conn).execute(sql, (id_floor_for(since_ms), scan, limit))
    return [TagToConfirm(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], item_ms(r[0])) for r in rows]


@dataclass(frozen=True, slots=True)
class ReviewQueue:
    replies: list[PendingReply]
    tags: list[TagToConfirm]


def review_queue(conn: Conn, now_ms: int, *, days: int = WINDOW_DAYS) -> ReviewQueue:
    return ReviewQueue(pending_replies(conn), tags_to_confirm(conn, since_ms=now_ms - days * DAY_MS))


# ---------------------------------------------------------------------------------- charts


def _channels(c: sqlite3.Connection) -> dict[int, str]:
    return dict(c.execute("SELECT id, channel FROM accounts").fetchall())


def _window_conversations(c: sqlite3.Connection, start_ms: int, columns: str, extra: str = "") -> str:
    return (
        f"SELECT {columns} FROM conversations c INDEXED BY conversations_queue"
        f" WHERE c.team IN ({_marks(TEAMS)}) AND c.status IN ({_marks(ALL_STATUSES)})"
        f" AND c.last_item_at >= {int(start_ms)}{extra}"
    )


@dataclass(frozen=True, slots=True)
class VolumeSeries:
    """Items per channel and day: ``counts[channel][n]`` on ``days[n]``."""

    days: list[date]
    channels: list[str]  # busiest first
    counts: dict[str, list[int]]

    def total(self, day: int) -> int:
        return sum(values[day] for values in self.counts.values())


def volume(conn: Conn, now_ms: int, *, days: int = WINDOW_DAYS, utc_offset_ms: int = 0) -> VolumeSeries:
    """Items (either direction) per channel and day over the last ``days`` calendar days."""
    c = _conn(conn)
    start = window_start(now_ms, days, utc_offset_ms)
    channel_of = _channels(c)
    sql = (
        "SELECT c.account_id, (i.id >> ?) AS ms FROM ("
        + _window_conversations(c, start, "c.id, c.account_id")
        + ") c JOIN items i INDEXED BY items_conversation ON i.conversation_id = c.id AND i.id >= ?"
    )
    # grouped here, not by SQLite, to keep the query a plain walk of two indexes
    sql = f"SELECT account_id, (ms - ?) / {DAY_MS}, count(*) FROM ({sql}) GROUP BY 1, 2"
    counts: dict[str, list[int]] = {}
    params = (start, ID_HASH_BITS, *TEAMS, *ALL_STATUSES, id_floor_for(start))
    for account_id, day, n in c.execute(sql, params):
        if 0 <= day < days:
            channel = channel_of.get(account_id, "?")
            counts.setdefault(channel, [0] * days)[day] += n
    channels = sorted(counts, key=lambda ch: (-sum(counts[ch]), ch))
    return VolumeSeries(window_days(now_ms, days, utc_offset_ms), channels, {ch: counts[ch] for ch in channels})


@dataclass(frozen=True, slots=True)
class TagBalance:
    """Promote and Protect judgements per team over the window (items tagged)."""

    promote: dict[str, int]
    protect: dict[str, int]


def tag_balance(conn: Conn, now_ms: int, *, days: int = WINDOW_DAYS, utc_offset_ms: int = 0) -> TagBalance:
    c = _conn(conn)
    floor = id_floor_for(window_start(now_ms, days, utc_offset_ms))
    found = {(t, v): 0 for t in TEAMS for v in ("promote", "protect")}
    for team in TEAMS:
        for value in ("promote", "protect"):
            found[team, value] = c.execute(
                "SELECT count(*) FROM tags INDEXED BY tags_value WHERE team = ? AND value = ? AND item_id >= ?",
                (team, value, floor),
            ).fetchone()[0]
    return TagBalance({t: found[t, "promote"] for t in TEAMS}, {t: found[t, "protect"] for t in TEAMS})


@dataclass(frozen=True, slots=True)
class Timing:
    """Median and 90th percentile (nearest rank) of durations in ms; ``n`` of them."""

    median_ms: int | None
    p90_ms: int | None
    n: int


def percentile(sorted_values: Sequence[int], q: float) -> int | None:
    """Nearest-rank percentile of already sorted values (``None`` when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def timing(values: Sequence[int]) -> Timing:
    ordered = sorted(values)
    return Timing(percentile(ordered, 0.5), percentile(ordered, 0.9), len(ordered))


ALL_CHANNELS = ""  # the key of every channel together in :class:`ResponseTimes`


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """First-response and resolution times of the conversations that started on each day, per
    channel (``ALL_CHANNELS``: all together): ``first_response[channel][n]`` on ``days[n]``."""

    days: list[date]
    channels: list[str]
    first_response: dict[str, list[Timing]] = field(default_factory=dict)
    resolution: dict[str, list[Timing]] = field(default_factory=dict)


def response_times(conn: Conn, now_ms: int, *, days: int = WINDOW_DAYS, utc_offset_ms: int = 0) -> ResponseTimes:
    """For conversations started within the window: the time from their first item to our first
    outgoing item (first response) and, for closed ones, to their closing (resolution)."""
    c = _conn(conn)
    start = window_start(now_ms, days, utc_offset_ms)
    channel_of = _channels(c)
    columns = (
        "c.account_id, c.first_item_at, c.status,"
        " (SELECT o.id FROM items o INDEXED BY items_conversation WHERE o.conversation_id = c.id"
        "  AND o.direction = 'out' AND o.id > ? ORDER BY o.id LIMIT 1)"
    )
    sql = _window_conversations(c, start, columns + ", c.id", f" AND c.first_item_at >= {int(start)}")
    first: dict[tuple[str, int], list[int]] = defaultdict(list)
    resolved: dict[tuple[str, int], list[int]] = defaultdict(list)
    closed: list[tuple[int, str, int, int]] = []  # conversation, channel, day, first item time
    for account_id, first_at, status, out_id, cid in c.execute(
        sql, (id_floor_for(start), *TEAMS, *ALL_STATUSES)
    ).fetchall():
        day = day_index(first_at, start)
        if not 0 <= day < days:
            continue
        channel = channel_of.get(account_id, "?")
        if out_id is not None and item_ms(out_id) > first_at:
            first[channel, day].append(item_ms(out_id) - first_at)
        if status == "closed":
            closed.append((cid, channel, day, first_at))
    for cid, channel, day, first_at in closed:
        closed_at = _closed_at(c, cid)
        if closed_at is not None and closed_at >= first_at:
            resolved[channel, day].append(closed_at - first_at)
    channels = sorted({ch for ch, _ in first} | {ch for ch, _ in resolved})
    return ResponseTimes(
        window_days(now_ms, days, utc_offset_ms),
        channels,
        _timings(first, channels, days),
        _timings(resolved, channels, days),
    )


def _closed_at(c: sqlite3.Connection, conversation_id: int) -> int | None:
    row = c.execute(
        "SELECT at, detail FROM audit_events INDEXED BY audit_target WHERE target = ?"
        " AND action = 'conversation.status' ORDER BY id DESC LIMIT 1",
        (f"conversation:{conversation_id}",),
    ).fetchone()
    if row is None:
        return None
    try:
        status = json.loads(row[1]).get("status")
    except (ValueError, AttributeError):
        return None
    return int(row[0]) if status == "closed" else None  # the latest status change must be the closing


def _timings(values: dict[tuple[str, int], list[int]], channels: list[str], days: int) -> dict[str, list[Timing]]:
    out = {ch: [timing(values.get((ch, d), [])) for d in range(days)] for ch in channels}
    out[ALL_CHANNELS] = [timing([v for ch in channels for v in values.get((ch, d), [])]) for d in range(days)]
    return out


@dataclass(frozen=True, slots=True)
class ChartSeries:
    volume: VolumeSeries
    tags: TagBalance
    times: ResponseTimes


def chart_series(conn: Conn, now_ms: int, *, days: int = WINDOW_DAYS, utc_offset_ms: int = 0) -> ChartSeries:
    kw: dict[str, Any] = {"days": days, "utc_offset_ms": utc_offset_ms}
    return ChartSeries(volume(conn, now_ms, **kw), tag_balance(conn, now_ms, **kw), response_times(conn, now_ms, **kw))
