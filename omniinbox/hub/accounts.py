"""Platform accounts in the hub. No secret is ever stored here: ``secret_ref`` names the keyring
entry that each worker syncing the account keeps on its own machine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from omniinbox.core import Account, Channel, OwnerKind, Team
from omniinbox.hub.errors import HubError, refusals

_COLUMNS = "id, key, channel, name, owner_kind, base_url, handle, secret_ref, settings, enabled"
_SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "private_key")


def _account(row: tuple[Any, ...]) -> Account:
    return Account(
        id=int(row[0]),
        key=row[1],
        channel=Channel(row[2]),
        name=row[3],
        owner_kind=OwnerKind(row[4]),
        base_url=row[5],
        handle=row[6],
        secret_ref=row[7],
        settings=dict(row[8] or {}),
        enabled=bool(row[9]),
    )


def add_account(
    conn: psycopg.Connection[Any],
    key: str,
    channel: Channel,
    name: str,
    *,
    owner_kind: OwnerKind = OwnerKind.INSTITUTION,
    team: Team | None = None,
    base_url: str = "",
    handle: str = "",
    secret_ref: str = "",
    settings: Mapping[str, Any] | None = None,
) -> Account:
    """Register an account (admins only, PostgreSQL checks). ``team`` defaults to the channel's
    group: email and helpdesks to the contact center, social platforms to the social team."""
    settings = dict(settings or {})
    leaked = [name for name in settings if any(word in name.lower() for word in _SECRET_WORDS)]
    if leaked:
        raise HubError(
            f"settings {', '.join(sorted(leaked))} look like secrets: secrets stay in each worker's keyring,"
            " the hub keeps only their name (secret_ref)"
        )
    with refusals():
        row = conn.execute(
            f"INSERT INTO omniinbox.accounts (key, channel, name, owner_kind, team, base_url, handle, secret_ref,"
            f" settings) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
            (
                key,
                channel.value,
                name,
                owner_kind.value,
                (team or Team(channel.group)).value,
                base_url,
                handle,
                secret_ref,
                Jsonb(settings),
            ),
        ).fetchone()
    assert row is not None
    return _account(row)


def reconnect_account(
    conn: psycopg.Connection[Any], key: str, *, base_url: str, settings: Mapping[str, Any], reset_cursors: bool = False
) -> Account | None:
    """Point the account ``key`` at a new address and settings (admins only); ``None`` if the hub
    has no such account. ``reset_cursors`` forgets its stream positions (a replaced platform: the
    demo's sandbox starts afresh on every run)."""
    with refusals(), conn.transaction():
        row = conn.execute(
            f"UPDATE omniinbox.accounts SET base_url = %s, settings = %s, enabled = true WHERE key = %s"
            f" RETURNING {_COLUMNS}",
            (base_url, Jsonb(dict(settings)), key),
        ).fetchone()
        if row is None:
            return None
        if reset_cursors:
            conn.execute("DELETE FROM omniinbox.sync_cursors WHERE account_id = %s", (row[0],))
    return _account(row)


def list_accounts(
    conn: psycopg.Connection[Any], *, keys: tuple[str, ...] = (), enabled_only: bool = True
) -> list[Account]:
    query = f"SELECT {_COLUMNS} FROM omniinbox.accounts WHERE (NOT %s OR enabled) AND (%s OR key = ANY(%s)) ORDER BY id"
    rows = conn.execute(query, (enabled_only, not keys, list(keys))).fetchall()
    return [_account(r) for r in rows]


def get_account(conn: psycopg.Connection[Any], account_id: int) -> Account:
    row = conn.execute(f"SELECT {_COLUMNS} FROM omniinbox.accounts WHERE id = %s", (account_id,)).fetchone()
    if row is None:
        raise HubError(f"there is no account {account_id} in the hub")
    return _account(row)
