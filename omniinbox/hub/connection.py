"""Connecting to the hub: timeouts on everything, passwords never shown.

A DSN may be a keyword string (``host=db port=5432 dbname=hub user=dewi password=...``) or a URI
(``postgresql://dewi:...@db/hub``). Wherever one is printed or put into an error it goes through
:func:`mask_dsn` first, and any password it carries is registered with the secrets redactor so a
message that quotes it by accident is cleaned in logs too.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import psycopg
from psycopg import conninfo

from omniinbox import __version__
from omniinbox.hub.errors import HubUnreachable, server_message
from omniinbox.secrets import REDACTOR

CONNECT_TIMEOUT = 10  # seconds to wait for the server to answer a connection
STATEMENT_TIMEOUT_MS = 60_000  # no single statement of ours runs longer; migrations get more
LOCK_TIMEOUT_MS = 15_000  # waiting for a row or table lock
IDLE_IN_TRANSACTION_TIMEOUT_MS = 300_000  # a crashed client never holds locks for long


def mask_dsn(dsn: str) -> str:
    """``dsn`` with its password replaced by ``***`` (unparseable text is masked whole)."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "***"
    if "password" in params:
        params["password"] = "***"  # noqa: S105 - the mask, not a password
    return conninfo.make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


def _remember_password(dsn: str) -> None:
    try:
        password = conninfo.conninfo_to_dict(dsn).get("password")
    except psycopg.ProgrammingError:
        return
    if password:
        REDACTOR.add(str(password))


def worker_name() -> str:
    """How a worker calls itself in the hub (``claimed_by``, ``application_name``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def connect(
    dsn: str,
    *,
    application: str = "omniinbox",
    statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
    password: str | None = None,
) -> psycopg.Connection[Any]:
    """An autocommit connection (callers open transactions explicitly with
    ``conn.transaction()``), with a connect timeout, statement, lock and idle timeouts, and
    TCP keepalives so a vanished server is noticed."""
    _remember_password(dsn)
    extra: dict[str, Any] = {}
    if password:
        REDACTOR.add(password)
        extra["password"] = password
    options = (
        f"-c statement_timeout={int(statement_timeout_ms)} -c lock_timeout={LOCK_TIMEOUT_MS}"
        f" -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
    try:
        return psycopg.connect(
            dsn,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=f"{application} {__version__}"[:63],
            options=options,
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
            **extra,
        )
    except psycopg.OperationalError as exc:
        raise HubUnreachable(f"cannot connect to the hub {mask_dsn(dsn)}: {REDACTOR(server_message(exc))}") from None
    except psycopg.ProgrammingError as exc:
        raise HubUnreachable(f"the hub address is not valid: {REDACTOR(server_message(exc))}") from None
