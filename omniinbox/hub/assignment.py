"""Who works on what: manual assignment, claiming from the queue, round-robin with capacity and
presence, and moving work that waited too long. The rules live in PostgreSQL (see the functions
of migration 3); these are their Python faces.

Every change of assignee, by any of these paths or a supervisor's plain ``UPDATE``, is recorded
by a trigger in ``assignments`` (from, to, by whom, why) and in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg

from omniinbox.core import Team
from omniinbox.hub.errors import refusals


@dataclass(frozen=True, slots=True)
class Workload:
    user_id: int
    login: str
    name: str
    role: str
    team: str | None
    capacity: int
    presence: str
    open_assigned: int  # open and pending conversations assigned to them (as far as the caller sees)


def assign(conn: psycopg.Connection[Any], conversation_id: int, user_id: int | None) -> bool:
    """Give a conversation to ``user_id`` (``None``: back to the queue). Supervisors only: for
    anyone else PostgreSQL refuses. False when no such conversation is visible."""
    with refusals():
        cur = conn.execute(
            "UPDATE omniinbox.conversations SET assignee_id = %s WHERE id = %s", (user_id, conversation_id)
        )
    return cur.rowcount == 1


def claim(conn: psycopg.Connection[Any], conversation_id: int) -> None:
    """Take an unassigned conversation of one's own team's queue."""
    with refusals():
        conn.execute("SELECT omniinbox.claim_conversation(%s)", (conversation_id,))


def auto_assign(conn: psycopg.Connection[Any], team: Team, *, limit: int = 1000) -> int:
    """Round-robin the team's unassigned open conversations to its online people, each up to
    their capacity; returns how many were given out (supervisors and workers)."""
    with refusals():
        row = conn.execute("SELECT omniinbox.auto_assign(%s, %s)", (team.value, limit)).fetchone()
    return int(row[0]) if row else 0


def reassign_overdue(conn: psycopg.Connection[Any], team: Team, older_than: timedelta) -> int:
    """Move conversations whose citizen has waited longer than ``older_than`` (and that have been
    with their assignee as long) to the next available person; returns how many moved."""
    with refusals():
        row = conn.execute("SELECT omniinbox.reassign_overdue(%s, %s)", (team.value, older_than)).fetchone()
    return int(row[0]) if row else 0


def set_presence(conn: psycopg.Connection[Any], presence: str) -> None:
    """``online``, ``away`` or ``offline``: only people online are given work automatically."""
    with refusals():
        conn.execute("SELECT omniinbox.set_presence(%s)", (presence,))


def workload(conn: psycopg.Connection[Any], team: Team | None = None) -> list[Workload]:
    rows = conn.execute(
        "SELECT user_id, login, name, role, team, capacity, presence, open_assigned FROM omniinbox.workload"
        " WHERE %s::text IS NULL OR team = %s ORDER BY name",
        (team.value if team else None, team.value if team else None),
    ).fetchall()
    return [Workload(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), r[6], int(r[7])) for r in rows]
