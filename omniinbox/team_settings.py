"""The desktop's hub connection, as the settings dialog saves it: the hub's address and the login
at this desk, in ``team.json`` in the configuration folder (owner-only). The password is never
here: it lives in the keyring under :func:`omniinbox.hub.replica.secret_ref`.

``omniinbox`` without ``--hub`` opens in team mode when a connection is saved and enabled;
``omniinbox --hub DSN`` always wins, and ``--solo`` ignores the saved one.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omniinbox import paths

if TYPE_CHECKING:
    from omniinbox.secrets import SecretStore

FILE_NAME = "team.json"


class TeamSettingsError(ValueError):
    """The saved hub connection cannot be read or is not valid, said in words."""


@dataclass(frozen=True, slots=True)
class TeamConnection:
    dsn: str  # libpq connection string without the password, e.g. "host=db.example dbname=omniinbox"
    login: str
    enabled: bool = True


def settings_file() -> Path:
    return paths.config_dir() / FILE_NAME


def check(connection: TeamConnection) -> None:
    """Refuse what cannot work, naming it: no address, no login, a password inside the address."""
    from psycopg import ProgrammingError, conninfo

    if not connection.dsn.strip():
        raise TeamSettingsError("the hub's address is empty (e.g. host=db.example dbname=omniinbox)")
    if not connection.login.strip():
        raise TeamSettingsError("the login at this desk is empty")
    try:
        parts = conninfo.conninfo_to_dict(connection.dsn)
    except ProgrammingError as exc:
        raise TeamSettingsError(f"the hub's address is not valid: {str(exc).strip()}") from None
    if parts.get("password"):
        raise TeamSettingsError("the address must not hold the password: it goes to the keyring")


def load(path: Path | None = None) -> TeamConnection | None:
    """The saved connection, or ``None`` when there is none."""
    path = path or settings_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TeamSettingsError(f"{path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("dsn"), str) or not isinstance(data.get("login"), str):
        raise TeamSettingsError(f"{path} does not hold a hub connection (dsn and login)")
    return TeamConnection(data["dsn"], data["login"], bool(data.get("enabled", True)))


def save(connection: TeamConnection, path: Path | None = None) -> Path:
    """Write the connection owner-only, after :func:`check`."""
    check(connection)
    path = path or settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(connection), out, indent=2)
    os.replace(temporary, path)
    return path


def try_connection(connection: TeamConnection, password: str | None) -> str:
    """Connect as the desk's login and say who that is on which hub ("Dewi (agent) on hub schema
    3"); raises :class:`TeamSettingsError` with the server's reason (never the password)."""
    from omniinbox.hub.connection import connect
    from omniinbox.hub.errors import HubError
    from omniinbox.hub.replica import desk_dsn
    from omniinbox.hub.schema import check_schema
    from omniinbox.secrets import REDACTOR

    check(connection)
    try:
        with connect(desk_dsn(connection.dsn, connection.login), application="omniinbox settings",
                     password=password or None) as conn:  # fmt: skip
            version = check_schema(conn)
            row = conn.execute("SELECT name, role FROM omniinbox.users WHERE login = current_user").fetchone()
    except HubError as exc:
        raise TeamSettingsError(REDACTOR(str(exc))) from None
    if row is None:
        raise TeamSettingsError(f"{connection.login} can log in but has no user on this hub: ask an administrator")
    return f"{row[0] or connection.login} ({row[1]}) on hub schema {version}"


def keep_password(connection: TeamConnection, password: str, store: SecretStore) -> None:
    """The login's hub password in the keyring, where ``omniinbox --hub`` looks for it."""
    from omniinbox.hub.replica import secret_ref

    store.set(secret_ref(connection.dsn, connection.login), password)


def forget(path: Path | None = None) -> None:
    (path or settings_file()).unlink(missing_ok=True)
