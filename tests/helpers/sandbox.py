"""The sandbox emulation server for tests: started on an ephemeral loopback port, stopped after.

Use :func:`sandbox_server` in a fixture, with the platform emulations a test needs::

    @pytest.fixture
    def zendesk() -> Iterator[tuple[SandboxServer, ZendeskPlatform]]:
        with zendesk_sandbox() as pair:
            yield pair

and :func:`fast_client` for the keyword arguments that keep a connector's waits short and
recorded (``timeout``, ``sleep``, ``backoff``): a test that injects ``Retry-After: 2`` then
finds ``2`` in ``waits`` instead of sleeping two seconds. Every connector passes unknown keyword
arguments on to its ``HttpClient``, so ``SomeConnector(server.url("name"), ..., **fast_client(waits))``
works for all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.sandbox.server import Platform, SandboxServer
from omniinbox.sandbox.zendesk import ZendeskPlatform

ZENDESK_TOKEN = "zd-token-7c1f9a2e5b"
ZENDESK_EMAIL = "agent@sukamaju.go.id"


@contextmanager
def sandbox_server(*platforms: Platform) -> Iterator[SandboxServer]:
    """A running server hosting ``platforms`` (each under ``/<platform.name>/``)."""
    server = SandboxServer(list(platforms)).start()
    try:
        yield server
    finally:
        server.stop()


def player(*scenarios: str) -> ScenarioPlayer:
    """Every event of the named scenarios released at once (tests do not wait for scenario time)."""
    return ScenarioPlayer([scenario_named(name) for name in scenarios or ("viral-outage",)], live=False)


@contextmanager
def zendesk_sandbox(
    *scenarios: str, token: str = ZENDESK_TOKEN, email: str = ZENDESK_EMAIL
) -> Iterator[tuple[SandboxServer, ZendeskPlatform]]:
    platform = ZendeskPlatform(player(*scenarios), token=token, email=email)
    with sandbox_server(platform) as server:
        yield server, platform


def fast_client(waits: list[float] | None = None, *, read_timeout: float = 0.5) -> dict[str, Any]:
    """Client settings for tests: a short read timeout (an injected ``delay=1.0`` is a timeout),
    no backoff between retries, and rate-limit waits appended to ``waits`` instead of slept."""
    sink = waits if waits is not None else []
    return {"timeout": (2.0, read_timeout), "sleep": sink.append, "backoff": 0.0}
