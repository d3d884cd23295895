"""A real PostgreSQL for the hub tests: a fresh, uniquely named database per test module on
127.0.0.1:5432, and roles with a unique prefix, all dropped afterwards.

The server is the machine's own (``.ci/run`` makes sure it runs). When it cannot be reached the
tests skip on a development machine and FAIL under CI (``CI=true``): a hub that was never tested
must not pass for a tested one. ``OMNIINBOX_TEST_PG`` may point elsewhere (a libpq DSN of a
role allowed to create databases and roles).

Every role a test creates is named ``<prefix>_...``: the group roles of the hub
(``<prefix>_agent``...) and the login roles (``<prefix>_u_dewi``). Dropping the database and
then every role with the prefix cleans up whatever a test made, even one that failed half way.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from omniinbox.core import Role, Team
from omniinbox.hub import users
from omniinbox.hub.connection import connect
from omniinbox.hub.schema import migrate

ADMIN_DSN = os.environ.get("OMNIINBOX_TEST_PG", "host=127.0.0.1 port=5432 dbname=postgres")


def _admin() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"no PostgreSQL for the hub tests at {ADMIN_DSN!r}: {str(exc).strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI must run them: .ci/run starts the server)", pytrace=False)
        pytest.skip(message)


def _dsn(dbname: str, user: str | None = None) -> str:
    params = conninfo.conninfo_to_dict(ADMIN_DSN)
    params["dbname"] = dbname
    if user is not None:
        params["user"] = user
        params.pop("password", None)
    return conninfo.make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


@dataclass
class PgDatabase:
    """One fresh database. ``dsn`` connects as the administrative role (the hub's owner)."""

    name: str
    prefix: str
    dsn: str
    _connections: list[psycopg.Connection[Any]] = field(default_factory=list)

    def connect(self, login: str | None = None) -> psycopg.Connection[Any]:
        """A hub connection as ``login`` (trust authentication on the test server), closed at the end."""
        conn = connect(self.dsn_for(login))
        self._connections.append(conn)
        return conn

    def dsn_for(self, login: str | None = None) -> str:
        return self.dsn if login is None else _dsn(self.name, login)

    def login_name(self, short: str) -> str:
        return f"{self.prefix}_u_{short}"

    def close_connections(self) -> None:
        for conn in self._connections:
            conn.close()
        self._connections.clear()


@dataclass
class PgHub(PgDatabase):
    """A database made a hub with a unique role prefix, and a way to add people to it."""

    def owner(self) -> psycopg.Connection[Any]:
        return self.connect()

    def user(
        self, short: str, role: Role | str, *, team: Team | None = None, capacity: int = 10, name: str = ""
    ) -> tuple[int | None, psycopg.Connection[Any]]:
        """Create the login ``<prefix>_u_<short>`` with ``role`` and return (users id, connection as it)."""
        login = self.login_name(short)
        with connect(self.dsn) as admin:
            added = users.add_user(
                admin, login, name=name or short.title(), role=role, team=team, capacity=capacity, password=None
            )
        return (added.id if added else None), self.connect(login)


def _drop(name: str, prefix: str) -> None:
    with _admin() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        roles = [
            r[0]
            for r in admin.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s ORDER BY rolname",
                (prefix.replace("_", r"\_") + r"\_%",),
            )
        ]
        for role in roles:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _drop_leftovers(admin: psycopg.Connection[Any]) -> None:
    """Databases (and their roles) left by a test process that was killed before cleaning up."""
    for (name,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'oi\\_test\\_%'").fetchall():
        match = re.fullmatch(r"oi_test_(\d+)_([0-9a-f]{8})", name)
        if match is None or _alive(int(match.group(1))):
            continue
        _drop(name, f"oit{match.group(2)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def fresh_database() -> Iterator[PgDatabase]:
    """An empty database (no hub yet) with a unique name and role prefix, dropped afterwards."""
    token = secrets.token_hex(4)
    name, prefix = f"oi_test_{os.getpid()}_{token}", f"oit{token}"
    with _admin() as admin:
        _drop_leftovers(admin)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    database = PgDatabase(name, prefix, _dsn(name))
    try:
        yield database
    finally:
        database.close_connections()
        _drop(name, prefix)


@contextmanager
def fresh_hub() -> Iterator[PgHub]:
    """A fresh database with the hub schema and group roles created."""
    with fresh_database() as database:
        hub = PgHub(database.name, database.prefix, database.dsn)
        try:
            with connect(hub.dsn) as conn:
                migrate(conn, prefix=hub.prefix)
            yield hub
        finally:
            hub.close_connections()


@pytest.fixture(scope="module")
def pg_hub() -> Iterator[PgHub]:
    """One hub per test module (tests in a module create their own accounts and people)."""
    with fresh_hub() as hub:
        yield hub
