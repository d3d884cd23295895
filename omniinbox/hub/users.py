"""People of the hub: each is a PostgreSQL LOGIN role, member of one group role, with a ``users`` row.

The password goes to PostgreSQL only, and not even in clear: the SCRAM-SHA-256 verifier is computed
here (as ``psql``'s ``\\password`` does) and only the verifier is sent, so the statement that
creates the role never shows the password, in the server's log or anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from omniinbox.core import Role, Team
from omniinbox.hub.errors import HubError
from omniinbox.hub.schema import DESKTOP_GROUPS, GROUPS, group_role, role_prefix

WORKER = "worker"  # the sync worker's role: a login without a users row
_LOGIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$")
_DEFAULT_TEAM = {Role.AGENT: Team.CONTACT_CENTER, Role.SOCIAL_OFFICER: Team.SOCIAL}


@dataclass(frozen=True, slots=True)
class HubUser:
    id: int
    login: str
    name: str
    role: Role
    team: Team | None
    capacity: int


def parse_role(value: str) -> Role | str:
    """A desktop :class:`Role` or ``"worker"``; ``ValueError`` names the choices."""
    if value == WORKER:
        return WORKER
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join([*(r.value for r in Role), WORKER])
        raise ValueError(f"unknown role {value!r}; roles: {choices}") from None


def add_user(
    conn: psycopg.Connection[Any],
    login: str,
    *,
    name: str,
    role: Role | str,
    team: Team | None = None,
    capacity: int = 10,
    password: str | None,
) -> HubUser | None:
    """Create (or update) the login role ``login`` in the group of ``role`` and its users row.

    ``password`` ``None`` leaves the role without one (for certificate or peer authentication)
    or keeps the one it has. ``role`` ``"worker"`` makes a sync worker's login (no users row;
    returns ``None``). Run as a role that may create roles (the hub's owner)."""
    if not _LOGIN_RE.match(login):
        raise HubError(f"login {login!r}: use letters, digits and _ . @ - (at most 63), starting with a letter")
    if role != WORKER:
        role = Role(role)
        team = team or _DEFAULT_TEAM.get(role)
        if role in _DEFAULT_TEAM and team is None:
            raise HubError(f"a {role.value} belongs to a team")
    if not name.strip() and role != WORKER:
        raise HubError("a user needs a name people recognise")
    if capacity < 0:
        raise HubError("capacity is a number of conversations, 0 or more")
    prefix = role_prefix(conn)
    group = group_role(prefix, role.value if isinstance(role, Role) else role)
    ident = sql.Identifier(login)
    with conn.transaction():
        existing = conn.execute("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
        owner = conn.execute(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'omniinbox'"
        ).fetchone()
        if existing is not None and existing[0]:
            raise HubError(f"{login} is a superuser role; hub users are ordinary logins")
        if owner is not None and owner[0] == login:
            raise HubError(f"{login} owns the hub; give people their own logins")
        verifier = None
        if password is not None:
            if not password:
                raise HubError("the password is empty")
            verifier = conn.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256").decode()
        if existing is None:
            statement = sql.SQL("CREATE ROLE {} LOGIN").format(ident)
        else:
            statement = sql.SQL("ALTER ROLE {} LOGIN").format(ident)
        if verifier is not None:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(verifier))
        conn.execute(statement)
        hub_groups = [group_role(prefix, other) for other in GROUPS]
        member_of = conn.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s AND g.rolname = ANY(%s)",
            (login, hub_groups),
        ).fetchall()
        for (other_group,) in member_of:
            if other_group != group:  # one hub role per login: a change of role leaves the old one
                conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other_group), ident))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), ident))
        if role == WORKER:
            conn.execute("UPDATE omniinbox.users SET active = false WHERE login = %s", (login,))
            return None
        assert isinstance(role, Role)
        row = conn.execute(
            "INSERT INTO omniinbox.users (login, name, role, team, capacity) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role, team = excluded.team,"
            " capacity = excluded.capacity, active = true"
            " RETURNING id",
            (login, name.strip(), role.value, team.value if team else None, capacity),
        ).fetchone()
        assert row is not None
        return HubUser(int(row[0]), login, name.strip(), role, team, capacity)


def deactivate_user(conn: psycopg.Connection[Any], login: str) -> None:
    """Take a person's access away: no login, out of every hub group, users row inactive (kept for history)."""
    prefix = role_prefix(conn)
    ident = sql.Identifier(login)
    with conn.transaction():
        conn.execute("UPDATE omniinbox.users SET active = false, presence = 'offline' WHERE login = %s", (login,))
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is None:
            return
        conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(ident))
        for group in (*DESKTOP_GROUPS, WORKER):
            conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group_role(prefix, group)), ident))


def list_users(conn: psycopg.Connection[Any]) -> list[HubUser]:
    rows = conn.execute(
        "SELECT id, login, name, role, team, capacity FROM omniinbox.users WHERE active ORDER BY login"
    ).fetchall()
    return [HubUser(r[0], r[1], r[2], Role(r[3]), Team(r[4]) if r[4] else None, r[5]) for r in rows]
