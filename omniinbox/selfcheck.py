"""``omniinbox selfcheck``: what works on this machine, in a few lines, for support and for CI:
the database with full-text search, a demo sync of every emulated platform through the sandbox
on loopback, the desktop toolkit, and which keyring holds secrets.

Each check returns a :class:`Check`; none raises. The core checks (database with full-text
search, mail parsing, the demo sync, the desktop toolkit) decide the exit status; the keyring is reported
(a missing one is a normal state on servers, and the application says so when secrets are needed).
"""

from __future__ import annotations

import ctypes.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from omniinbox import __version__


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    essential: bool = True


def _keyring() -> Check:
    import keyring

    from omniinbox.secrets import SecretStore, SecretsUnavailable

    try:
        store = SecretStore.system()
    except SecretsUnavailable:
        backend = keyring.get_keyring()
        return Check(
            "keyring",
            False,
            f"no usable system keyring ({type(backend).__module__}.{type(backend).__name__}); accounts need"
            " one, or the opt-in plain-text file",
            essential=False,
        )
    return Check("keyring", True, store.description, essential=False)


def _cache_and_search() -> Check:
    from omniinbox.core import Channel
    from omniinbox.store import queries
    from omniinbox.store.cache import Cache
    from omniinbox.sync.importer import import_files

    sample = resources.files("omniinbox") / "resources" / "samples" / "inbox.mbox"
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="omniinbox-selfcheck-") as folder,
        Cache.open(Path(folder) / "check.sqlite") as cache,
    ):
        report = import_files(cache, Channel.EMAIL, [Path(str(sample))])
        hits = queries.search(cache, "layanan", limit=5)
        problems = cache.integrity_problems()
    seconds = time.perf_counter() - started
    if problems:
        return Check("database", False, f"integrity check failed: {problems[0]}")
    if report.items_written == 0 or not hits:
        return Check("database", False, f"imported {report.items_written} sample messages, {len(hits)} search hits")
    return Check(
        "database",
        True,
        f"SQLite {_sqlite_version()} with FTS5: {report.items_written} sample messages imported and found"
        f" by full-text search in {seconds:.2f} s",
    )


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _qt() -> Check:
    if getattr(sys, "frozen", False):  # a bundle has no interpreter to run code with: probe here
        from omniinbox.ui.qtprobe import probe

        ok, what = probe()
        return Check("desktop", ok, what)
    # In a child process: a Qt that cannot start may abort the process, and the check must say so.
    code = "from omniinbox.ui.qtprobe import probe; ok, what = probe(); print(what); raise SystemExit(0 if ok else 1)"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        return Check("desktop", False, "Qt did not start within 60 s")
    if done.returncode == 0:
        return Check("desktop", True, done.stdout.strip().splitlines()[-1][:300])
    return Check("desktop", False, "Qt could not start: " + _qt_reason(done.stdout + "\n" + done.stderr))


def _qt_reason(output: str) -> str:
    """The line of Qt's complaint that says why, with what to do about it."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if "could not connect to display" in line:
            return f"{line} (no desktop session here; headless use needs QT_QPA_PLATFORM=offscreen)"
    for line in lines:
        if "Could not find the Qt platform plugin" in line:
            return f"{line} (QT_QPA_PLATFORM names a platform this Qt does not have)"
    for line in lines:
        if "the Qt platform plugin" in line or "cannot open shared object" in line:
            return f"{line} (install the system libraries listed in the README)"
    return lines[-1][:300] if lines else "no output"


def _demo_sync() -> Check:
    """The sandbox on loopback and a demo sync of every emulated platform into a temporary cache:
    the connectors, HTTP stack, TLS-free loopback paths, sync engine and ingest, end to end."""
    from omniinbox.demo import items_per_channel, start_demo
    from omniinbox.secrets import SecretStore
    from omniinbox.store.cache import Cache
    from omniinbox.sync.engine import SyncEngine

    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="omniinbox-selfcheck-") as folder,
        Cache.open(Path(folder) / "demo.sqlite") as cache,
    ):
        demo = start_demo(cache, live=False, secrets=SecretStore.in_memory(), scenarios=("viral-outage",))
        try:
            engine = SyncEngine(cache, demo.connector_for())
            try:
                stopped = []
                for account in demo.accounts:
                    report = engine.sync_account(account)
                    stopped += [f"{account.key}: {s.stopped}" for s in report.streams if s.stopped]
            finally:
                engine.close()
            counts = items_per_channel(cache)
            port = demo.sandbox.server.port
        finally:
            demo.stop()
    seconds = time.perf_counter() - started
    channels = ", ".join(f"{c} {n}" for c, n in counts.items())
    if stopped:
        return Check("demo sync", False, f"sandbox on 127.0.0.1:{port}; stopped: {'; '.join(stopped)[:300]}")
    if len({a.channel for a in demo.accounts}) != len(counts):
        return Check("demo sync", False, f"some channels delivered nothing: {channels}")
    return Check(
        "demo sync",
        True,
        f"sandbox reachable on 127.0.0.1:{port}; {sum(counts.values())} items in {seconds:.2f} s ({channels})",
    )


# What Qt's xcb platform plugin loads (besides libxcb itself); without any of them Qt aborts.
XCB_LIBRARIES = (
    "xcb-cursor",
    "xkbcommon-x11",
    "xcb-icccm",
    "xcb-image",
    "xcb-keysyms",
    "xcb-render-util",
    "xcb-shape",
    "xcb-randr",
    "xcb-xfixes",
)


def _x_display_answers(display: str) -> bool:
    """Whether an X server answers on ``display`` (libxcb's own connect, as Qt would)."""
    name = ctypes.util.find_library("xcb")
    if name is None:
        return False
    try:
        xcb = ctypes.CDLL(name)
    except OSError:
        return False
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return bool(connection) and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection:
            xcb.xcb_disconnect(connection)


def why_no_window(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the window cannot open here, in words, before Qt is asked (Qt aborts the process when no
    platform plugin loads); ``None`` when it should open. Linux only: elsewhere Qt brings its own."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland...: the person chose
    if not platform and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return (
            "there is no desktop session here (neither DISPLAY nor WAYLAND_DISPLAY is set). Run it on a"
            " desktop, or headless: omniinbox sync --demo --once, omniinbox issues --demo; QT_QPA_PLATFORM=offscreen"
            " opens the window without a screen"
        )
    missing = [f"lib{name}" for name in XCB_LIBRARIES if ctypes.util.find_library(name) is None]
    if missing:
        return (
            f"Qt's window system plugin needs {', '.join(missing)}, not installed here: install them with the"
            " distribution's packages (on Debian and Ubuntu: libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4"
            " libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xfixes0;"
            " the README lists them)"
        )
    if not _x_display_answers(env["DISPLAY"]):
        return f"the X display {env['DISPLAY']!r} does not answer (no X server there, or no permission to use it)"
    return None


CHECKS: tuple[Callable[[], Check], ...] = (_cache_and_search, _demo_sync, _qt, _keyring)


def run_checks() -> list[Check]:
    results = []
    for check in CHECKS:
        try:
            results.append(check())
        except Exception as exc:  # a check that breaks is a failed check, named
            name = check.__name__.strip("_").replace("_", " ")
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
    return results


def header() -> str:
    return f"OmniInbox {__version__} on Python {platform.python_version()}, {platform.system()} {platform.machine()}"
