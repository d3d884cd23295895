"""Connecting an account, as ``omniinbox accounts add`` and the desktop's settings dialog both do it
(no Qt here): validate what the person typed against the channel's registry entry, check the
credentials against the platform, then keep the secret in the keyring and the account, by
reference only, in the cache.

Where secrets go is said honestly (:attr:`SecretStore.description`). Without a usable system
keyring :func:`secret_store` refuses with :class:`SecretsUnavailable`, unless the person opted
in to the plain-text file readable only by them (the CLI's ``--allow-plaintext-secrets``, a
check box in the dialog).

Also here: the few edits a person makes to their own profile (display name, team).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from omniinbox import paths
from omniinbox.connectors.base import CheckResult
from omniinbox.connectors.registry import NoConnector, build_connector, check_settings, spec_for
from omniinbox.core import Account, Channel, OwnerKind, Team, User
from omniinbox.secrets import REDACTOR, SecretStore, SecretsUnavailable
from omniinbox.store.accounts import AccountExists, UnknownAccount, add_account, get_account, reconnect_account
from omniinbox.store.accounts import remove_account as _remove_account
from omniinbox.store.cache import Cache
from omniinbox.usecases import UseCaseRefused

__all__ = [
    "AccountDraft",
    "SetupRefused",
    "add_checked_account",
    "check_account",
    "keyring_available",
    "plaintext_opted_in",
    "remove_account",
    "secret_store",
    "update_profile",
]


class SetupRefused(UseCaseRefused):
    """What was typed cannot make an account; the message says why, for people."""


def keyring_available() -> bool:
    """Whether the system has a usable keyring (otherwise secrets need the plain-text opt-in)."""
    try:
        SecretStore.system()
    except SecretsUnavailable:
        return False
    return True


def plaintext_opted_in() -> bool:
    """Whether the person opted in to the plain-text file earlier (it exists only once they did
    and a secret was kept there): then the window's background sync should read it too."""
    return paths.plaintext_secrets_file().exists()


def secret_store(*, allow_plaintext: bool = False) -> SecretStore:
    """The system keyring; without one, the owner-only plain-text file when ``allow_plaintext``
    (the person opted in), else :class:`SecretsUnavailable` with what to do."""
    return SecretStore.system(plaintext_fallback=paths.plaintext_secrets_file() if allow_plaintext else None)


@dataclass(frozen=True, slots=True)
class AccountDraft:
    """An account as typed: ``key`` may omit the ``channel:`` prefix; empty settings are dropped."""

    channel: Channel | str
    key: str
    secret: str = field(repr=False)
    name: str = ""
    url: str = ""
    handle: str = ""
    leader: bool = False
    settings: Mapping[str, str] = field(default_factory=dict)

    def probe(self) -> Account:
        """The account this draft makes (id 0, not stored), or :class:`SetupRefused`."""
        try:
            channel = Channel.parse(self.channel) if isinstance(self.channel, str) else self.channel
            spec = spec_for(channel)
            settings = {k.strip(): v.strip() for k, v in self.settings.items() if k.strip() and v.strip()}
            check_settings(channel, settings)
        except (ValueError, NoConnector) as exc:
            raise SetupRefused(str(exc)) from None
        raw_key = self.key.strip()
        if not raw_key:
            raise SetupRefused("the account needs a short name (its key), such as the handle or the address")
        if spec.url_label and not self.url.strip():
            raise SetupRefused(f"{channel.value} accounts need an address ({spec.url_label})")
        if not self.secret.strip():
            raise SetupRefused(f"no secret given ({spec.secret_label})")
        key = raw_key if raw_key.startswith(f"{channel.value}:") else f"{channel.value}:{raw_key}"
        owner = OwnerKind.LEADER if self.leader else OwnerKind.INSTITUTION
        return Account(
            0, key, channel, self.name.strip() or key, owner, self.url.strip(), self.handle.strip(), key, settings
        )


def check_account(draft: AccountDraft) -> CheckResult:
    """Ask the platform what the draft's credentials can do (network: run it off the GUI thread).
    The secret is kept in memory only for the check. Raises ``ConnectorError`` (the platform's
    answer, redacted) or :class:`SetupRefused`."""
    probe = draft.probe()
    secret = draft.secret.strip()
    REDACTOR.add(secret)
    connector = build_connector(probe, secret)
    try:
        return connector.check()
    finally:
        connector.close()


def add_checked_account(
    cache: Cache, draft: AccountDraft, store: SecretStore, *, user_id: int | None = None
) -> Account:
    """Keep the draft's secret in ``store`` and the account in the cache (its ``secret_ref``
    names the keyring entry; the secret itself never reaches the cache). An account removed
    earlier under the same key is connected again with the new address and settings.

    Check first (:func:`check_account`): this function does not go to the network."""
    probe = draft.probe()
    try:
        existing: Account | None = get_account(cache, probe.key)
    except UnknownAccount:
        existing = None
    if existing is not None and existing.enabled:
        raise AccountExists(f"an account named {probe.key!r} already exists")
    store.set(probe.secret_ref, draft.secret.strip())  # first: an account without its secret cannot sync
    try:
        if existing is not None:
            return reconnect_account(
                cache,
                probe.key,
                base_url=probe.base_url,
                settings=probe.settings,
                name=probe.name,
                owner_kind=probe.owner_kind,
                user_id=user_id,
            )
        return add_account(
            cache,
            probe.key,
            probe.channel,
            probe.name,
            owner_kind=probe.owner_kind,
            base_url=probe.base_url,
            handle=probe.handle,
            secret_ref=probe.secret_ref,
            settings=probe.settings,
            user_id=user_id,
        )
    except BaseException:
        store.delete(probe.secret_ref)
        raise


def remove_account(cache: Cache, key: str, store: SecretStore | None, *, user_id: int | None = None) -> Account:
    """Stop syncing the account (its items stay: the institution's record) and delete its secret
    from ``store`` (when the keyring cannot be reached, the entry is left there)."""
    account = _remove_account(cache, key, user_id=user_id)
    if account.secret_ref and store is not None:
        with contextlib.suppress(SecretsUnavailable):
            store.delete(account.secret_ref)
    return account


def update_profile(cache: Cache, user: User, *, name: str, team: Team | None) -> User:
    """Change the display name and team of ``user`` (the role is the administrators' to change)."""
    name = " ".join(name.split())
    if not name:
        raise SetupRefused("the name cannot be empty")
    with cache.write("users", user_id=user.id) as tx:
        cur = tx.conn.execute(
            "UPDATE users SET name = ?, team = ? WHERE id = ?", (name, team.value if team else None, user.id)
        )
        if cur.rowcount != 1:
            raise SetupRefused(f"no user {user.login!r} in this cache")
        tx.audit("user.profile", f"user:{user.id}", name=name, team=team.value if team else None)
        tx.summary["users"] += 1
    return User(user.id, user.login, name, user.role, team)
