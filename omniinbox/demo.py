"""The embedded default: the whole product against the sandbox, on a cache of its own.

:func:`start_demo` starts the platform simulator on loopback (every emulated platform, playing the
chosen scenarios), and connects the demo cache to it: one account per sandbox account, leaders'
personal accounts marked as such, each token in the keyring under a ``demo/`` name (or, when the
machine has no keyring, in memory for this session, which :attr:`Demo.secrets_note` says). From
then on the real parts do the work: connectors, the sync engine, the outbox, the cache.

The sandbox starts afresh on every run, on a new port, with new tokens and the scenarios from
their first minute, so :func:`fresh_demo_cache` empties the demo cache first (a platform's ids
and times are its own; yesterday's run of the sandbox is another platform). The demo cache
(``paths.default_cache(demo=True)``) never holds real accounts, and real caches never hold demo
ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omniinbox.connectors.base import Connector
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.registry import build_connector
from omniinbox.core import Account, Channel, OwnerKind
from omniinbox.sandbox.hub import DEFAULT_SCENARIOS, Sandbox, apply_faults, start_sandbox
from omniinbox.sandbox.scenario import Scenario
from omniinbox.secrets import SecretStore, SecretsUnavailable
from omniinbox.store.accounts import UnknownAccount, add_account, list_accounts, reconnect_account
from omniinbox.store.cache import Cache

DEMO_REF_PREFIX = "demo/"
LIVE_SPEED = 30.0  # scenario minutes per real minute: the viral scenario's four hours in eight minutes
HEAD_START = 120.0  # scenario minutes already out when the window opens: every channel has items at once


class DemoRefused(RuntimeError):
    """The demo was asked to run on a cache that holds real accounts."""


@dataclass(slots=True)
class Demo:
    sandbox: Sandbox
    secrets: SecretStore
    accounts: list[Account]
    secrets_note: str  # where the sandbox tokens are kept, in words

    def connector_for(self, rate: RateControl | None = None) -> Callable[[Account], Connector]:
        shared = rate or RateControl()

        def build(account: Account) -> Connector:
            return build_connector(account, self.secrets.get(account.secret_ref), rate=shared)

        return build

    def is_demo_account(self, account: Account) -> bool:
        return account.secret_ref.startswith(DEMO_REF_PREFIX)

    def stop(self) -> None:
        self.sandbox.stop()


def fresh_demo_cache(path: Path) -> None:
    """Remove the demo cache at ``path`` (with its WAL files and backups) so a new demo run starts
    empty, after making sure it is one: a cache holding real accounts is refused, untouched."""
    if not path.exists():
        return
    with Cache.open(path) as cache:
        _refuse_real_accounts(cache)
    for leftover in [path, *path.parent.glob(path.name + "-*"), *path.parent.glob(path.name + ".backup-*")]:
        leftover.unlink(missing_ok=True)


def _refuse_real_accounts(cache: Cache) -> None:
    real = [a.key for a in list_accounts(cache) if a.secret_ref and not a.secret_ref.startswith(DEMO_REF_PREFIX)]
    if real:
        raise DemoRefused(
            f"{cache.path} holds real accounts ({', '.join(real[:3])}{'...' if len(real) > 3 else ''}); the demo"
            " runs only on a cache of its own (leave out --cache to use the demo cache)"
        )


def demo_secrets() -> tuple[SecretStore, str]:
    """The system keyring when there is one; otherwise memory, said plainly."""
    try:
        store = SecretStore.system()
        return store, f"sandbox tokens are kept in {store.description}"
    except SecretsUnavailable:
        store = SecretStore.in_memory()
        return store, (
            "this machine has no usable keyring, so the sandbox tokens are kept in memory for this session"
            " only (they are worthless outside it; real accounts still need a keyring)"
        )


def start_demo(
    cache: Cache,
    *,
    scenarios: Sequence[str | Scenario] = DEFAULT_SCENARIOS,
    live: bool = True,
    speed: float = LIVE_SPEED,
    head_start: float = HEAD_START,
    faults: Mapping[str, float] | float = 0.0,
    scale: int = 0,
    platforms: Sequence[str] | None = None,
    secrets: SecretStore | None = None,
) -> Demo:
    """Start the sandbox and connect ``cache`` (the demo cache) to every account it offers."""
    _refuse_real_accounts(cache)
    if secrets is None:
        store, note = demo_secrets()
    else:
        store, note = secrets, f"sandbox tokens are kept in {secrets.description}"
    sandbox = start_sandbox(
        scenarios, live=live, speed=speed, head_start=head_start if live else 0.0, scale=scale, platforms=platforms
    )
    try:
        if faults:
            apply_faults(sandbox, faults if isinstance(faults, Mapping) else {"*": faults})
        accounts = []
        for offered in sandbox.accounts:
            ref = DEMO_REF_PREFIX + offered.key
            owner = OwnerKind.LEADER if offered.leader else OwnerKind.INSTITUTION
            try:
                account = reconnect_account(
                    cache, offered.key, base_url=offered.url, settings=offered.settings, name=offered.name,
                    owner_kind=owner, reset_cursors=True,
                )  # fmt: skip
            except UnknownAccount:
                account = add_account(
                    cache, offered.key, Channel(offered.channel), offered.name, owner_kind=owner,
                    base_url=offered.url, handle=offered.handle, secret_ref=ref, settings=offered.settings,
                )  # fmt: skip
            store.set(account.secret_ref, offered.secret)
            accounts.append(account)
    except BaseException:
        sandbox.stop()
        raise
    return Demo(sandbox, store, accounts, note)


def items_per_channel(cache: Cache) -> dict[str, int]:
    """How many items the cache holds per channel, for the demo's summary."""
    rows = cache.conn.execute(
        "SELECT a.channel, count(*) FROM items i JOIN accounts a ON a.id = i.account_id GROUP BY a.channel"
    )
    counts = {str(channel): int(n) for channel, n in rows}
    order = {c.value: n for n, c in enumerate(Channel)}
    return dict(sorted(counts.items(), key=lambda kv: order.get(kv[0], 99)))


def leader_accounts(cache: Cache) -> list[Account]:
    return [a for a in list_accounts(cache) if a.owner_kind is OwnerKind.LEADER]
