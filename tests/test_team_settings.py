"""The desktop's saved hub connection: kept owner-only without a password, refused when it
cannot work, and used by `omniinbox` without --hub unless --solo says otherwise."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path
from typing import Any

import pytest

from omniinbox import cli, team_settings
from omniinbox.team_settings import TeamConnection, TeamSettingsError


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "config"


def test_saved_connection_round_trips_owner_only(config_home: Path) -> None:
    path = team_settings.save(TeamConnection("host=db.example dbname=omniinbox", "dewi"))
    assert path.is_relative_to(config_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert team_settings.load() == TeamConnection("host=db.example dbname=omniinbox", "dewi", True)
    team_settings.forget()
    assert team_settings.load() is None


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (TeamConnection("", "dewi"), "address is empty"),
        (TeamConnection("host=db dbname=x", " "), "login at this desk is empty"),
        (TeamConnection("host=db dbname=x password=hunter2", "dewi"), "must not hold the password"),
        (TeamConnection("host='db", "dewi"), "not valid"),
    ],
)
def test_connections_that_cannot_work_are_refused(config_home: Path, connection: TeamConnection, message: str) -> None:
    with pytest.raises(TeamSettingsError, match=message) as refused:
        team_settings.save(connection)
    assert "hunter2" not in str(refused.value)
    assert not team_settings.settings_file().exists()


def test_a_broken_file_is_named(config_home: Path) -> None:
    team_settings.settings_file().parent.mkdir(parents=True)
    team_settings.settings_file().write_text("{not json", encoding="utf-8")
    with pytest.raises(TeamSettingsError, match="cannot be read"):
        team_settings.load()
    assert cli._saved_team_connection() is None  # the window still opens, solo


def test_the_window_opens_in_team_mode_from_the_saved_connection(
    config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_settings.save(TeamConnection("host=db.example dbname=omniinbox", "dewi"))
    seen: list[tuple[str, str]] = []

    def team(args: argparse.Namespace, _run: Any) -> int:
        seen.append((args.hub, args.hub_user))
        return 0

    monkeypatch.setattr(cli, "_gui_team", team)
    monkeypatch.setattr("omniinbox.ui.app.run", lambda *a, **k: seen.append(("solo", "")) or 0)
    assert cli.main([]) == 0
    assert seen == [("host=db.example dbname=omniinbox", "dewi")]
    assert cli.main(["--solo"]) == 0
    assert seen[-1] == ("solo", "")
    team_settings.save(TeamConnection("host=db.example dbname=omniinbox", "dewi", enabled=False))
    assert cli.main([]) == 0
    assert seen[-1] == ("solo", "")
