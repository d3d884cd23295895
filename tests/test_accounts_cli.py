"""``omniinbox accounts`` and ``omniinbox sync`` against the sandbox's Zendesk over real HTTP."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from omniinbox.cli import main
from omniinbox.sandbox.player import ScenarioPlayer
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.sandbox.server import SandboxServer
from omniinbox.sandbox.zendesk import ZendeskPlatform
from omniinbox.secrets import SERVICE

TOKEN = "zd-cli-token-0a9b8c7d6e"
EMAIL = "agent@sukamaju.go.id"


@pytest.fixture
def zendesk() -> Iterator[tuple[SandboxServer, ZendeskPlatform]]:
    platform = ZendeskPlatform(ScenarioPlayer([scenario_named("viral-outage")], live=False), token=TOKEN, email=EMAIL)
    with SandboxServer([platform]) as server:
        yield server, platform


def _run(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(args))


def _add(monkeypatch: pytest.MonkeyPatch, cache: Path, url: str, token: str = TOKEN) -> int:
    return _run(monkeypatch, "accounts", "add", "zendesk", "sukamaju", "--name", "Pusat Layanan", "--url", url,
                "--setting", f"email={EMAIL}", "--secret-stdin", "--cache", str(cache), stdin=token + "\n")  # fmt: skip


def test_add_sync_check_and_remove_an_account(
    tmp_path: Path, zendesk: tuple[SandboxServer, ZendeskPlatform], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    server, platform = zendesk
    cache = tmp_path / "c.sqlite"
    assert _add(monkeypatch, cache, server.url("zendesk")) == 0
    out = capsys.readouterr().out
    assert "checked: Petugas Pusat Layanan <agent@sukamaju.go.id> (agent); can read: yes, can reply: yes" in out
    assert "added zendesk:sukamaju" in out
    assert keyring.get_password(SERVICE, "zendesk:sukamaju") == TOKEN  # in the keyring...
    assert TOKEN.encode() not in cache.read_bytes()  # ...and nowhere in the cache

    assert _run(monkeypatch, "accounts", "list", "--json", "--cache", str(cache)) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["key"] == "zendesk:sukamaju" and listed["url"] == server.url("zendesk")

    assert _run(monkeypatch, "sync", "--once", "--json", "--cache", str(cache)) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["read"] == report["written"] == len(platform.ticket_ids()) and report["stopped"] == []
    assert _run(monkeypatch, "stats", "--json", "--cache", str(cache)) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["items"] == len(platform.ticket_ids())

    assert _run(monkeypatch, "accounts", "check", "zendesk:sukamaju", "--cache", str(cache)) == 0
    assert "can reply: yes" in capsys.readouterr().out
    assert _run(monkeypatch, "accounts", "remove", "zendesk:sukamaju", "--cache", str(cache)) == 0
    assert keyring.get_password(SERVICE, "zendesk:sukamaju") is None


def test_wrong_credentials_are_refused_before_anything_is_stored(
    tmp_path: Path, zendesk: tuple[SandboxServer, ZendeskPlatform], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    server, _ = zendesk
    wrong = "zd-not-the-token-55555"
    assert _add(monkeypatch, tmp_path / "c.sqlite", server.url("zendesk"), token=wrong) == 1
    err = capsys.readouterr().err
    assert "the account was not added" in err and "401" in err and wrong not in err
    assert keyring.get_password(SERVICE, "zendesk:sukamaju") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["accounts", "add", "myspace", "x", "--secret-stdin"], "unknown channel 'myspace'"),
        (["accounts", "add", "whatsapp", "w", "--secret-stdin"], "whatsapp accounts cannot be connected"),
        (["accounts", "add", "zendesk", "z", "--secret-stdin"], "zendesk accounts need --url"),
        (["accounts", "add", "zendesk", "z", "--url", "https://a.zendesk.com", "--setting", "colour=red"],
         "unknown setting(s) for zendesk: colour"),
        (["accounts", "check", "zendesk:nope"], "no account 'zendesk:nope'; accounts: none"),
        (["sync", "--once"], "no accounts to sync"),
    ],
)  # fmt: skip
def test_bad_account_commands_say_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert _run(monkeypatch, *args, "--cache", str(tmp_path / "c.sqlite")) in (1, 2)
    assert message in capsys.readouterr().err
