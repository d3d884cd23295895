"""``omniinbox selfcheck`` and the keyring choice it reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backend
import pytest

from omniinbox.secrets import MemoryKeyring, PlaintextFileKeyring, SecretStore, SecretsUnavailable


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omniinbox.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_selfcheck_reports_database_desktop_and_keyring() -> None:
    done = _run("selfcheck", "--json", env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["database"]["ok"] and "FTS5" in checks["database"]["detail"]
    assert checks["desktop"]["ok"] and "'offscreen' platform" in checks["desktop"]["detail"]
    assert not checks["keyring"]["essential"]  # reported either way, never fatal
    demo = checks["demo sync"]
    assert demo["ok"] and demo["essential"], demo
    assert "sandbox reachable on 127.0.0.1:" in demo["detail"] and "zendesk" in demo["detail"]


def test_selfcheck_fails_and_says_why_when_qt_cannot_start() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "no-such-platform"}
    done = _run("selfcheck", env=env)
    assert done.returncode == 1
    line = next(x for x in done.stdout.splitlines() if "desktop" in x)
    assert line.startswith("FAIL desktop: Qt could not start:") and "no-such-platform" in line


def test_our_keyrings_are_never_chosen_by_keyring_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring picks among every backend class it can see; the in-memory and plain-text ones
    must only ever be used when asked for, or secrets would silently vanish or lie in a file."""
    chosen = {type(b) for b in keyring.backend.get_all_keyring()}
    assert MemoryKeyring not in chosen and PlaintextFileKeyring not in chosen
    monkeypatch.setattr(keyring, "get_keyring", lambda: keyring.backends.fail.Keyring())
    with pytest.raises(SecretsUnavailable, match="--allow-plaintext-secrets"):
        SecretStore.system()


def test_why_no_window_names_the_reason_before_qt_would_abort(monkeypatch: pytest.MonkeyPatch) -> None:
    from omniinbox import selfcheck

    if not sys.platform.startswith("linux"):
        pytest.skip("the pre-check is for Linux desktops")
    assert selfcheck.why_no_window({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert selfcheck.why_no_window({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert "no desktop session" in (selfcheck.why_no_window({}) or "")
    monkeypatch.setattr(
        selfcheck.ctypes.util, "find_library", lambda name: None if name == "xcb-icccm" else f"lib{name}.so"
    )
    assert "libxcb-icccm" in (selfcheck.why_no_window({"DISPLAY": ":0"}) or "")
    monkeypatch.setattr(selfcheck, "_x_display_answers", lambda display: False)
    monkeypatch.setattr(selfcheck.ctypes.util, "find_library", lambda name: f"lib{name}.so")
    assert "does not answer" in (selfcheck.why_no_window({"DISPLAY": ":987"}) or "")


def test_the_window_without_a_desktop_says_so_and_starts_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from omniinbox import cli

    if not sys.platform.startswith("linux"):
        pytest.skip("the pre-check is for Linux desktops")
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    started: list[object] = []
    monkeypatch.setattr("omniinbox.demo.start_demo", lambda *a, **k: started.append(a))
    assert cli.main(["--demo", "--cache", str(tmp_path / "d.sqlite")]) == 1
    err = capsys.readouterr().err
    assert "the window cannot open: there is no desktop session" in err and "sync --demo --once" in err
    assert started == []
