"""Settings > Team hub against a real PostgreSQL hub: the connection is tried as the desk's
login (who it is, or the server's reason), saved without its password (that goes to the keyring
under the name `omniinbox --hub` reads), and forgotten."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.pg import PgHub, pg_hub  # noqa: F401 - the fixture
from psycopg import conninfo

from omniinbox import team_settings
from omniinbox.core import Role, Team
from omniinbox.hub.replica import secret_ref
from omniinbox.secrets import SecretStore
from omniinbox.ui.tasks import TaskRunner
from omniinbox.ui.team_page import TeamHubPage


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def _hub_address(hub: PgHub) -> str:
    params = conninfo.conninfo_to_dict(hub.dsn)
    params.pop("user", None)
    return conninfo.make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


def test_the_hub_connection_is_tried_saved_and_forgotten(
    qtbot: Any,
    runner: TaskRunner,
    config_home: Path,
    pg_hub: PgHub,  # noqa: F811
) -> None:
    pg_hub.user("dewi", Role.AGENT, team=Team.CONTACT_CENTER, name="Dewi Lestari")
    store = SecretStore.in_memory()
    page = TeamHubPage(runner, store)
    qtbot.addWidget(page)
    address, login = _hub_address(pg_hub), pg_hub.login_name("dewi")

    page.dsn_field.setText(address)
    page.login_field.setText(login)
    page.try_connection()
    qtbot.waitUntil(lambda: "Connected as" in page.message.text() or "Trying" not in page.message.text(), timeout=10000)
    assert "Connected as Dewi Lestari (agent)" in page.message.text(), page.message.text()

    page.login_field.setText("nobody_here")
    page.try_connection()
    qtbot.waitUntil(lambda: "Trying" not in page.message.text(), timeout=10000)
    assert "Connected" not in page.message.text() and page.message.text()

    page.login_field.setText(login)
    page.password_field.setText("s3cret-pw")
    page.save()
    saved = team_settings.load()
    assert saved == team_settings.TeamConnection(address, login, True)
    assert "s3cret-pw" not in team_settings.settings_file().read_text(encoding="utf-8")
    assert store.get(secret_ref(address, login)) == "s3cret-pw"
    assert page.password_field.text() == ""

    page.dsn_field.setText(address + " password=oops")
    page.save()
    assert "must not hold the password" in page.message.text()
    assert team_settings.load() == saved  # the good one stays

    page.forget()
    assert team_settings.load() is None
