"""``omniinbox hub ...``: set up a team hub and add people to it.

``omniinbox/cli.py`` registers these with :func:`add_hub_arguments` and runs them with
:func:`run_hub_command`; failures come back as :class:`HubCommandError` (one line, an exit code).
psycopg is imported only when a hub command runs.

Passwords are read from a prompt or from standard input (``--password-stdin``), never from the
command line, and go nowhere but PostgreSQL (as a SCRAM verifier). DSNs are printed masked.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from omniinbox.core import Role, Team


class HubCommandError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_hub_arguments(parser: argparse.ArgumentParser, *, parser_class: type[argparse.ArgumentParser]) -> None:
    """The ``hub`` command group: ``init`` and ``user add``."""
    sub = parser.add_subparsers(title="hub commands", metavar="ACTION", parser_class=parser_class, required=True)
    p = sub.add_parser("init", help="create or upgrade the hub's schema and roles in a PostgreSQL database")
    p.add_argument("dsn", metavar="DSN", help="the hub database, e.g. 'host=db.example dbname=omniinbox user=owner'")
    p.add_argument(
        "--role-prefix",
        metavar="PREFIX",
        help="name the group roles PREFIX_agent... (default omniinbox; a hub keeps the prefix it was created with)",
    )
    p.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    p.set_defaults(hub_action="init")

    p = sub.add_parser("user", help="people of the hub")
    users = p.add_subparsers(title="user commands", metavar="ACTION", parser_class=parser_class, required=True)
    a = users.add_parser("add", help="create a login with a role (or update an existing one)")
    a.add_argument("--hub", required=True, metavar="DSN", help="the hub database (as its owner)")
    a.add_argument("login", help="the PostgreSQL login, e.g. dewi")
    a.add_argument("--name", default="", help="what colleagues see, e.g. 'Dewi Lestari'")
    a.add_argument(
        "--role", required=True, help="agent, social_officer, supervisor, admin, or worker (a sync worker's login)"
    )
    a.add_argument("--team", choices=[t.value for t in Team], help="social or contact_center (agents and officers)")
    a.add_argument("--capacity", type=int, default=10, help="conversations at once, for automatic assignment")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.add_argument(
        "--no-password", action="store_true", help="no password (certificate or peer authentication); keeps an old one"
    )
    a.set_defaults(hub_action="user_add")


def _password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.login}: ")
        if getpass.getpass("again: ") != password:
            raise HubCommandError("the two passwords differ; nothing was changed")
    else:
        raise HubCommandError(
            "give the password on standard input with --password-stdin, or run on a terminal to be asked", code=2
        )
    if not password:
        raise HubCommandError("no password given (use --no-password for a login without one)", code=2)
    return password


def _init(args: argparse.Namespace) -> int:
    from omniinbox.hub.connection import connect, mask_dsn
    from omniinbox.hub.schema import migrate

    with connect(args.dsn, application="omniinbox hub init") as conn:
        report = migrate(conn, prefix=args.role_prefix)
    if args.json:
        print(
            json.dumps(
                {
                    "hub": mask_dsn(args.dsn),
                    "version": report.version,
                    "applied": report.applied,
                    "roles_created": report.roles_created,
                    "role_prefix": report.prefix,
                }
            )
        )
        return 0
    done = f"applied {', '.join(map(str, report.applied))}" if report.applied else "already up to date"
    print(f"hub {mask_dsn(args.dsn)}: schema version {report.version} ({done})")
    if report.roles_created:
        print(f"roles created: {', '.join(report.roles_created)}")
    print(f"add people with: omniinbox hub user add --hub DSN LOGIN --name NAME --role ROLE (roles {report.prefix}_*)")
    return 0


def _user_add(args: argparse.Namespace) -> int:
    from omniinbox.hub.connection import connect, mask_dsn
    from omniinbox.hub.schema import check_schema
    from omniinbox.hub.users import add_user, parse_role

    try:
        role = parse_role(args.role)
    except ValueError as exc:
        raise HubCommandError(str(exc), code=2) from None
    team = Team(args.team) if args.team else None
    password = _password(args)
    with connect(args.hub, application="omniinbox hub user add") as conn:
        check_schema(conn)
        user = add_user(
            conn, args.login, name=args.name, role=role, team=team, capacity=args.capacity, password=password
        )
    if user is None:
        print(f"worker login {args.login} ready on {mask_dsn(args.hub)}")
    else:
        where = f", team {user.team.value}" if user.team else ""
        label = user.role.value if isinstance(user.role, Role) else str(user.role)
        print(f"user {user.login} ({user.name}): {label}{where}, capacity {user.capacity}; on {mask_dsn(args.hub)}")
    return 0


def run_hub_command(args: argparse.Namespace) -> int:
    import psycopg

    from omniinbox.hub.errors import HubError, server_message
    from omniinbox.secrets import REDACTOR

    action: Any = {"init": _init, "user_add": _user_add}[args.hub_action]
    try:
        return int(action(args))
    except HubError as exc:
        raise HubCommandError(REDACTOR(str(exc))) from None
    except psycopg.Error as exc:
        raise HubCommandError(f"the hub refused: {REDACTOR(server_message(exc))}") from None
