"""Reading the issue radar: open issues with their level, reason, counts and deadline; the three
counts of the field; one issue in detail; its items (paged by key); suggestions and the teams'
agreement with them; supervisors' notifications. Works on the write cache or a reader connection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omniinbox.core import from_millis
from omniinbox.store import issues as store
from omniinbox.store.cache import Cache

Conn = sqlite3.Connection | Cache


def _conn(conn: Conn) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, Cache) else conn


def _iso(ms: int | None) -> str | None:
    value = from_millis(ms)
    return None if value is None else value.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class IssueSummary:
    id: int
    title: str
    status: str
    level: int
    reason: str
    items: int
    counted_items: int
    authors: int
    kols: int
    channels: tuple[str, ...]
    engagement: int
    first_seen: datetime | None
    last_seen: datetime | None
    must_answer: bool
    deadline: datetime | None
    overdue: bool
    owner: str  # the owner's login; "" while unassigned
    answered: datetime | None
    velocity: float  # counted items per hour over the last velocity hours
    hourly: tuple[int, ...]  # counted items per hour, the 24 hours up to the latest

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "level": self.level,
            "reason": self.reason,
            "items": self.items,
            "counted_items": self.counted_items,
            "authors": self.authors,
            "kols": self.kols,
            "channels": len(self.channels),
            "channel_names": list(self.channels),
            "engagement": self.engagement,
            "first_seen": None if self.first_seen is None else self.first_seen.isoformat(timespec="seconds"),
            "last_seen": None if self.last_seen is None else self.last_seen.isoformat(timespec="seconds"),
            "must_answer": self.must_answer,
            "deadline": None if self.deadline is None else self.deadline.isoformat(timespec="seconds"),
            "overdue": self.overdue,
            "owner": self.owner or None,
            "answered": None if self.answered is None else self.answered.isoformat(timespec="seconds"),
            "velocity_per_hour": self.velocity,
        }


def _summary(row: store.IssueRow, owners: dict[int, str], now_ms: int | None) -> IssueSummary:
    m = row.measures
    overdue = bool(
        row.must_answer and row.answered_at is None and row.deadline_at is not None and now_ms is not None
        and now_ms > row.deadline_at
    )  # fmt: skip
    return IssueSummary(
        id=row.id,
        title=row.title,
        status=row.status,
        level=row.level,
        reason=row.level_reason,
        items=row.items,
        counted_items=row.counted_items,
        authors=row.authors,
        kols=row.kols,
        channels=tuple(m.get("channels", {})),
        engagement=row.engagement,
        first_seen=from_millis(row.first_item_at),
        last_seen=from_millis(row.last_item_at),
        must_answer=row.must_answer,
        deadline=from_millis(row.deadline_at),
        overdue=overdue,
        owner=owners.get(row.owner_id, "") if row.owner_id is not None else "",
        answered=from_millis(row.answered_at),
        velocity=float(m.get("velocity", 0.0)),
        hourly=tuple(m.get("hourly", {}).get("hours", ())),
    )


def _owners(conn: Conn) -> dict[int, str]:
    return dict(_conn(conn).execute("SELECT id, login FROM users"))


def open_issues(
    conn: Conn,
    *,
    level: int | None = None,
    min_level: int = 1,
    active_since_ms: int | None = None,
    include_closed: bool = False,
    limit: int = 200,
    now_ms: int | None = None,
) -> list[IssueSummary]:
    """The radar's list: must-answer issues not yet answered first (earliest deadline first),
    then by level and latest activity. ``active_since_ms``: only issues with items since then."""
    rows = store.radar(
        conn, min_level=min_level, level=level, active_since=active_since_ms, include_closed=include_closed,
        limit=limit,
    )  # fmt: skip
    owners = _owners(conn)
    return [_summary(r, owners, now_ms) for r in rows]


def counts(conn: Conn, *, active_since_ms: int | None = None) -> dict[str, int]:
    """The three counts of the field: open issues, key opinion leaders involved, items and authors
    in public-interest issues (and how many must still be answered, per level)."""
    return store.radar_counts(conn, active_since=active_since_ms)


@dataclass(frozen=True, slots=True)
class IssueDetail:
    summary: IssueSummary
    measures: dict[str, Any]  # see omniinbox.triage.measures.Measures, plus "levels" and "level_event_at"
    statements: list[store.StatementRow]
    notifications: list[store.NotificationRow]


def issue(conn: Conn, issue_id: int, *, now_ms: int | None = None) -> IssueDetail | None:
    """One issue (followed through merges to the issue that holds its items now)."""
    row = store.final_issue(conn, issue_id)
    if row is None:
        return None
    return IssueDetail(
        _summary(row, _owners(conn), now_ms),
        row.measures,
        store.statements(conn, row.id),
        store.notifications(conn, open_only=False, issue_id=row.id),
    )


def issue_item_ids(conn: Conn, issue_id: int, *, before_id: int | None = None, limit: int = 100) -> list[int]:
    """The issue's items, newest first, paged by key (``before_id``: the last id of the previous page)."""
    sql = "SELECT item_id FROM triage_items WHERE issue_id = ?"
    params: list[Any] = [issue_id]
    if before_id is not None:
        sql += " AND item_id < ?"
        params.append(before_id)
    params.append(limit)
    return [r[0] for r in _conn(conn).execute(sql + " ORDER BY item_id DESC LIMIT ?", params)]


def issue_of_item(conn: Conn, item_id: int) -> int | None:
    issue_id = store.issue_of(conn, item_id)
    if issue_id is None:
        return None
    row = store.final_issue(conn, issue_id)
    return None if row is None else row.id


def suggestion(conn: Conn, item_id: int) -> store.SuggestionRow | None:
    return store.suggestions(conn, [item_id]).get(item_id)


@dataclass(frozen=True, slots=True)
class Agreement:
    team: str
    agreed: int
    decided: int  # items the team tagged that had a suggestion

    @property
    def rate(self) -> float | None:
        return None if not self.decided else self.agreed / self.decided


def agreement(conn: Conn, *, since_ms: int | None = None) -> dict[str, Agreement]:
    """Per team, how often its Promote/Protect agreed with the suggestion (for supervisors)."""
    found = store.agreement(conn, since_ms=since_ms)
    return {team: Agreement(team, *found.get(team, (0, 0))) for team in ("social", "contact_center")}


def notifications(conn: Conn, *, open_only: bool = True) -> list[store.NotificationRow]:
    """What supervisors must be told (must-answer issues), oldest first."""
    return store.notifications(conn, open_only=open_only)
