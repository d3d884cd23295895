"""The whole sandbox in one call: every platform emulation on one loopback server, playing the
chosen scenarios, with fresh tokens, and the accounts a user adds to connect to each.

Used by ``omniinbox sandbox serve`` and by the demo; tests build the pieces they need directly.
An emulation module joins by offering ``emulate(player)`` (see :mod:`omniinbox.sandbox.emulation`)
and being named in :data:`EMULATIONS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from omniinbox.sandbox.emulation import Emulation, SandboxAccount
from omniinbox.sandbox.player import ScenarioPlayer, load_events
from omniinbox.sandbox.scenario import Scenario, scenario_named
from omniinbox.sandbox.server import SandboxServer

__all__ = ["DEFAULT_SCENARIOS", "EMULATIONS", "Sandbox", "SandboxAccount", "apply_faults", "start_sandbox"]

DEFAULT_SCENARIOS = ("routine-day", "viral-outage", "good-news")

# The emulation modules under omniinbox.sandbox, in the order their accounts are listed.
EMULATIONS: tuple[str, ...] = (
    "x",
    "facebook",
    "instagram",
    "youtube",
    "mastodon",
    "telegram",
    "zendesk",
    "freshdesk",
    "zammad",
    "chatwoot",
    "mail",
)


def _emulations(player: ScenarioPlayer, only: Sequence[str] | None) -> list[Emulation]:
    made = []
    for name in EMULATIONS:
        if only is not None and name not in only:
            continue
        module_name = f"omniinbox.sandbox.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # an emulation this version does not have yet
                continue
            raise
        made.append(module.emulate(player))
    return made


@dataclass(slots=True)
class Sandbox:
    server: SandboxServer
    player: ScenarioPlayer
    accounts: list[SandboxAccount]
    emulations: list[Emulation]

    def stop(self) -> None:
        self.server.stop()
        for emulation in self.emulations:
            if emulation.stop is not None:
                emulation.stop()


def apply_faults(sandbox: Sandbox, rates: Mapping[str, float]) -> None:
    """Bad weather on demand: ``rates`` maps a platform name (``"*"``: every one) to the share of
    its requests answered 429, 5xx or slowly. Unknown names are refused, naming the known ones."""
    names = [e.platform.name for e in sandbox.emulations if e.platform is not None]
    unknown = sorted(set(rates) - {*names, "*"})
    if unknown:
        raise ValueError(f"no emulated platform {', '.join(unknown)}; known: {', '.join(names)}")
    for name in names:
        rate = rates.get(name, rates.get("*"))
        if rate is not None:
            sandbox.server.set_fault_rate(name, rate)


def start_sandbox(
    scenarios: Sequence[str | Scenario] = DEFAULT_SCENARIOS,
    *,
    speed: float = 60.0,
    live: bool = True,
    port: int = 0,
    scale: int = 0,
    seed: int = 1,
    platforms: Sequence[str] | None = None,
    head_start: float = 0.0,
) -> Sandbox:
    """Start the server (on an ephemeral port by default) and return it with the accounts.
    ``platforms`` limits it to some emulations (names of :data:`EMULATIONS`); ``head_start``
    releases the first scenario minutes at once (live mode)."""
    loaded = [s if isinstance(s, Scenario) else scenario_named(s) for s in scenarios]
    player = ScenarioPlayer(loaded, speed=speed, live=live, head_start=head_start)
    if scale:
        people, events = load_events(loaded, scale, seed=seed)
        player.register_people(people)
        player.add_events(events)
    emulations = _emulations(player, platforms)
    server = SandboxServer([e.platform for e in emulations if e.platform is not None], port=port).start()
    accounts = [a for e in emulations for a in e.accounts(server.url(e.platform.name) if e.platform else "")]
    return Sandbox(server, player, accounts, emulations)
