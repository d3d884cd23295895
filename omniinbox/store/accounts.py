"""Accounts (one connection to one channel) and users, as stored in the cache.

The secret of an account is never here: ``secret_ref`` names its keyring entry.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from omniinbox.core import Account, Channel, OwnerKind, Role, Team, User
from omniinbox.store.cache import Cache

_ACCOUNT_COLUMNS = "id, key, channel, name, owner_kind, base_url, handle, secret_ref, settings, enabled"


class AccountExists(ValueError):
    pass


class UnknownAccount(LookupError):
    pass


def _account(row: sqlite3.Row | tuple[Any, ...]) -> Account:
    return Account(
        id=row[0],
        key=row[1],
        channel=Channel(row[2]),
        name=row[3],
        owner_kind=OwnerKind(row[4]),
        base_url=row[5],
        handle=row[6],
        secret_ref=row[7],
        settings=json.loads(row[8]),
        enabled=bool(row[9]),
    )


def add_account(
    cache: Cache,
    key: str,
    channel: Channel,
    name: str,
    *,
    owner_kind: OwnerKind = OwnerKind.INSTITUTION,
    base_url: str = "",
    handle: str = "",
    secret_ref: str = "",
    settings: Mapping[str, Any] | None = None,
    user_id: int | None = None,
) -> Account:
    with cache.write("accounts", user_id=user_id) as tx:
        if tx.conn.execute("SELECT 1 FROM accounts WHERE key = ?", (key,)).fetchone():
            raise AccountExists(f"an account named {key!r} already exists")
        cur = tx.conn.execute(
            "INSERT INTO accounts (key, channel, name, owner_kind, base_url, handle, secret_ref, settings,"
            " created_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                channel.value,
                name,
                owner_kind.value,
                base_url,
                handle,
                secret_ref,
                json.dumps(dict(settings or {}), sort_keys=True),
                tx.now_ms,
                tx.next_seq(),
            ),
        )
        tx.audit("account.add", f"account:{cur.lastrowid}", key=key, channel=channel.value, owner=owner_kind.value)
        tx.summary["accounts"] += 1
    return get_account(cache, key)


def ensure_account(cache: Cache, key: str, channel: Channel, name: str, **kwargs: Any) -> Account:
    """The account named ``key``, created on first use (imports use this)."""
    try:
        return get_account(cache, key)
    except UnknownAccount:
        return add_account(cache, key, channel, name, **kwargs)


def get_account(cache: Cache, key_or_id: str | int) -> Account:
    column = "id" if isinstance(key_or_id, int) else "key"
    row = cache.conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE {column} = ?", (key_or_id,)).fetchone()
    if row is None:
        raise UnknownAccount(f"no account {key_or_id!r}")
    return _account(row)


def list_accounts(cache: Cache) -> list[Account]:
    return [_account(r) for r in cache.conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY key")]


def reconnect_account(
    cache: Cache,
    key: str,
    *,
    base_url: str,
    settings: Mapping[str, Any],
    name: str | None = None,
    owner_kind: OwnerKind | None = None,
    reset_cursors: bool = False,
    user_id: int | None = None,
) -> Account:
    """Point an existing account at a new address and settings (and enable it again). With
    ``reset_cursors`` its streams are read from the start on the next sync: for a platform that
    was replaced (the demo's sandbox starts afresh each run), the old positions mean nothing.
    Items already cached stay; reading them again changes nothing."""
    account = get_account(cache, key)
    with cache.write("accounts", user_id=user_id) as tx:
        tx.conn.execute(
            "UPDATE accounts SET base_url = ?, settings = ?, name = ?, owner_kind = ?, enabled = 1, seq = ?"
            " WHERE id = ?",
            (
                base_url,
                json.dumps(dict(settings), sort_keys=True),
                name or account.name,
                (owner_kind or account.owner_kind).value,
                tx.next_seq(),
                account.id,
            ),
        )
        if reset_cursors:
            tx.conn.execute("DELETE FROM sync_cursors WHERE account_id = ?", (account.id,))
        tx.audit("account.reconnect", f"account:{account.id}", key=key, reset_cursors=reset_cursors)
        tx.summary["accounts"] += 1
    return get_account(cache, key)


def remove_account(cache: Cache, key: str, *, user_id: int | None = None) -> Account:
    """Disable an account and forget its cursors. Its items stay: they are the institution's
    record of what was said."""
    account = get_account(cache, key)
    with cache.write("accounts", user_id=user_id) as tx:
        tx.conn.execute("UPDATE accounts SET enabled = 0, seq = ? WHERE id = ?", (tx.next_seq(), account.id))
        tx.conn.execute("DELETE FROM sync_cursors WHERE account_id = ?", (account.id,))
        tx.audit("account.remove", f"account:{account.id}", key=key)
        tx.summary["accounts"] += 1
    return account


def add_user(cache: Cache, login: str, name: str, role: Role, team: Team | None = None) -> User:
    with cache.write("users") as tx:
        cur = tx.conn.execute(
            "INSERT INTO users (login, name, role, team, created_at) VALUES (?, ?, ?, ?, ?)",
            (login, name, role.value, team.value if team else None, tx.now_ms),
        )
        tx.audit("user.add", f"user:{cur.lastrowid}", login=login, role=role.value)
    return User(int(cur.lastrowid or 0), login, name, role, team)


def get_user(cache: Cache, login: str) -> User | None:
    row = cache.conn.execute("SELECT id, login, name, role, team FROM users WHERE login = ?", (login,)).fetchone()
    if row is None:
        return None
    return User(row[0], row[1], row[2], Role(row[3]), Team(row[4]) if row[4] else None)
