"""The whole sandbox in one call: every platform emulation on one loopback server, playing the
chosen scenarios, with fresh tokens, and the settings an account needs to connect to each.

Used by ``omniinbox sandbox serve`` and by the demo; tests build the pieces they need directly.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from omniinbox.sandbox.chatwoot import ChatwootPlatform
from omniinbox.sandbox.freshdesk import FreshdeskPlatform
from omniinbox.sandbox.player import ScenarioPlayer, load_events
from omniinbox.sandbox.scenario import Scenario, scenario_named
from omniinbox.sandbox.server import Platform, SandboxServer
from omniinbox.sandbox.zammad import ZammadPlatform
from omniinbox.sandbox.zendesk import ZendeskPlatform

DEFAULT_SCENARIOS = ("routine-day", "viral-outage", "good-news")
ZENDESK_EMAIL = "agent@sukamaju.go.id"
CHATWOOT_ACCOUNT = 1


@dataclass(frozen=True, slots=True)
class SandboxAccount:
    """What ``omniinbox accounts add`` needs to connect to one emulated platform."""

    channel: str
    key: str
    name: str
    url: str
    secret: str
    settings: dict[str, str] = field(default_factory=dict)

    def add_command(self) -> str:
        options = " ".join(f"--setting {k}={v}" for k, v in self.settings.items())
        return (
            f"omniinbox accounts add {self.channel} {self.key.split(':', 1)[1]} --name '{self.name}'"
            f" --url {self.url} {options} --secret-stdin <<< '{self.secret}'"
        ).replace("  ", " ")


@dataclass(slots=True)
class Sandbox:
    server: SandboxServer
    player: ScenarioPlayer
    accounts: list[SandboxAccount]

    def stop(self) -> None:
        self.server.stop()


def start_sandbox(
    scenarios: Sequence[str | Scenario] = DEFAULT_SCENARIOS,
    *,
    speed: float = 60.0,
    live: bool = True,
    port: int = 0,
    scale: int = 0,
    seed: int = 1,
) -> Sandbox:
    """Start the server (on an ephemeral port by default) and return it with the accounts."""
    loaded = [s if isinstance(s, Scenario) else scenario_named(s) for s in scenarios]
    player = ScenarioPlayer(loaded, speed=speed, live=live)
    if scale:
        people, events = load_events(loaded, scale, seed=seed)
        player.register_people(people)
        player.add_events(events)
    tokens = {name: secrets.token_urlsafe(18) for name in ("zendesk", "freshdesk", "zammad", "chatwoot")}
    platforms: list[Platform] = [
        ZendeskPlatform(player, token=tokens["zendesk"], email=ZENDESK_EMAIL),
        FreshdeskPlatform(player, api_key=tokens["freshdesk"]),
        ZammadPlatform(player, token=tokens["zammad"]),
        ChatwootPlatform(player, token=tokens["chatwoot"], account_id=CHATWOOT_ACCOUNT),
    ]
    server = SandboxServer(platforms, port=port).start()
    accounts = [
        SandboxAccount(
            "zendesk",
            "zendesk:sandbox",
            "Pusat Layanan (sandbox)",
            server.url("zendesk"),
            tokens["zendesk"],
            {"email": ZENDESK_EMAIL, "since": "2000-01-01"},
        ),
        SandboxAccount(
            "freshdesk",
            "freshdesk:sandbox",
            "Layanan Pengaduan (sandbox)",
            server.url("freshdesk"),
            tokens["freshdesk"],
            {"since": "2000-01-01"},
        ),
        SandboxAccount(
            "zammad",
            "zammad:sandbox",
            "Helpdesk Dukcapil (sandbox)",
            server.url("zammad"),
            tokens["zammad"],
            {"since": "2000-01-01"},
        ),
        SandboxAccount(
            "chatwoot",
            "chatwoot:sandbox",
            "WhatsApp Layanan (sandbox)",
            server.url("chatwoot"),
            tokens["chatwoot"],
            {"account_id": str(CHATWOOT_ACCOUNT), "since": "2000-01-01"},
        ),
    ]
    return Sandbox(server, player, accounts)
