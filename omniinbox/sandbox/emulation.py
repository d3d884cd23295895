"""How a platform emulation plugs into the sandbox.

Each emulation module (``omniinbox/sandbox/<platform>.py``) offers ``emulate(player) ->
Emulation``: its :class:`~omniinbox.sandbox.server.Platform` (the HTTP routes, answering from the
scenario player) and, once the server knows the platform's base URL, the accounts a user adds to
connect to it. Tokens are made fresh for each run with :func:`new_token`, so a sandbox token is
worth nothing outside the process that made it.

:func:`omniinbox.sandbox.hub.start_sandbox` lists the emulation modules and starts them all on
one loopback server.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from omniinbox.sandbox.scenario import SandboxAccount as ScenarioAccount
from omniinbox.sandbox.server import Platform


def new_token() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True, slots=True)
class SandboxAccount:
    """What ``omniinbox accounts add`` needs to connect to one emulated account."""

    channel: str
    key: str  # "channel:handle"
    name: str
    url: str
    secret: str
    settings: dict[str, str] = field(default_factory=dict)
    leader: bool = False  # an official's personal account: replies wait for approval

    @property
    def handle(self) -> str:
        return self.key.split(":", 1)[1]

    def add_args(self) -> list[str]:
        """The arguments of ``omniinbox accounts add`` (the secret goes on standard input)."""
        args = ["accounts", "add", self.channel, self.handle, "--name", self.name]
        if self.url:
            args += ["--url", self.url]
        for name, value in self.settings.items():
            args += ["--setting", f"{name}={value}"]
        if self.leader:
            args.append("--leader")
        return [*args, "--secret-stdin"]

    def add_command(self) -> str:
        return f"omniinbox {shlex.join(self.add_args())} <<< {shlex.quote(self.secret)}"


def scenario_accounts(
    channel: str,
    accounts: Sequence[ScenarioAccount],
    url: str,
    *,
    token: Callable[[str], str],
    settings: Callable[[str], dict[str, str]],
    name_suffix: str = " (sandbox)",
) -> list[SandboxAccount]:
    """One sandbox account per scenario account of a platform (``token`` and ``settings`` by the
    scenario account's id); a leader's personal account is marked."""
    return [
        SandboxAccount(
            channel,
            f"{channel}:{a.handle.lstrip('@')}",
            f"{a.name}{name_suffix}",
            url,
            token(a.id),
            settings(a.id),
            leader=a.owner == "leader",
        )
        for a in accounts
    ]


@dataclass(slots=True)
class Emulation:
    """``platform`` is served by the sandbox's HTTP server; an emulation speaking another
    protocol (mail: IMAP and SMTP) has none, runs servers of its own and gives ``stop``."""

    platform: Platform | None
    accounts: Callable[[str], list[SandboxAccount]]  # the platform's base URL ("" if none) -> accounts
    stop: Callable[[], None] | None = None
