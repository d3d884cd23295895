"""Screenshots of the desktop client on a cache of generated items: the main window, a
conversation, and each team panel, saved as PNG with ``QWidget.grab()``.

    .venv/bin/python packaging/screenshots.py [--out docs/screenshots] [--items 20000] [--size 1920x1080]
    .venv/bin/python packaging/screenshots.py --demo      # demo.png: the window on the demo's cache

Runs under a virtual X server (``xvfb-run``, when there is no display and it is installed) so the
real window system plugin draws the window; otherwise on Qt's offscreen platform. The cache is a
temporary file; nothing of the user's is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _reexec_under_xvfb() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") or os.environ.get("OMNIINBOX_SHOTS_CHILD"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    env = dict(os.environ, OMNIINBOX_SHOTS_CHILD="1")
    done = subprocess.run([xvfb, "-a", "-s", "-screen 0 1920x1080x24", sys.executable, *sys.argv], env=env)  # noqa: S603 (our own command line)
    sys.exit(done.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument(
        "--demo", action="store_true", help="fill the cache from the demo (sandbox + real connectors) instead"
    )
    args = parser.parse_args()
    _reexec_under_xvfb()
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="omniinbox-shots-config-"))
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QWidget

    from omniinbox.core import Role
    from omniinbox.store import views
    from omniinbox.store.accounts import add_user
    from omniinbox.store.cache import Cache
    from omniinbox.ui import samples
    from omniinbox.ui.app import create_application
    from omniinbox.ui.main_window import MainWindow
    from omniinbox.ui.tasks import TaskRunner

    create_application(["omniinbox-screenshots"])
    width, height = (int(v) for v in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="omniinbox-shots-"))
    cache = Cache.open(workdir / "cache.sqlite")
    runner: TaskRunner | None = None
    try:
        if args.demo:
            return _demo_shots(cache, args.out, width, height)
        add_user(cache, "admin", "Administrator", Role.ADMIN)
        samples.fill(cache, args.items)
        social = next(u for u in views.users(cache) if u.login == "social-1")
        # a few known voices, so the KOL mark shows (the triage's registry sets these in real use)
        with cache.write("screenshots") as tx:
            tx.conn.execute(
                "UPDATE contacts SET is_kol = 1, seq = seq WHERE id IN (SELECT contact_id FROM items"
                " WHERE contact_id IS NOT NULL GROUP BY contact_id ORDER BY count(*) DESC LIMIT 5)"
            )
            tx.summary["contacts"] += 5
        runner = TaskRunner(cache)
        window = MainWindow(runner, social)
        window.resize(width, height)
        window.show()

        def settle(ms: int = 600, until: Callable[[], bool] | None = None) -> None:
            deadline = time.monotonic() + 10
            while True:
                loop = QEventLoop()
                QTimer.singleShot(ms, loop.quit)
                loop.exec()
                if runner is not None and runner.pending == 0 and (until is None or until()):
                    return
                if time.monotonic() > deadline:
                    return

        def shot(widget: QWidget, name: str) -> None:
            settle(300)
            path = args.out / name
            widget.grab().save(str(path))
            print(path)

        settle(800, lambda: window.inbox.model.rowCount() > 0)
        window.inbox.view.step(2)
        settle(800, lambda: window.pane.data is not None)
        shot(window, "main-window.png")

        # a conversation with replies and notes, on the reply tab
        reader = cache.reader()
        busiest = reader.execute(
            "SELECT i.id FROM items i JOIN conversations c ON c.id = i.conversation_id"
            " WHERE c.id IN (SELECT conversation_id FROM notes) ORDER BY i.id DESC LIMIT 1"
        ).fetchone()
        reader.close()
        if busiest:
            window.open_item(busiest[0])
            settle(800, lambda: window.pane.data is not None and window.pane.data.item_id == busiest[0])
            window.pane.composer.editor.setPlainText(
                "Terima kasih atas laporannya. Kami sudah meneruskan ke dinas terkait."
            )
            shot(window.pane, "conversation.png")
            window.pane.tabs.setCurrentWidget(window.pane.card)
            shot(window.pane, "author-card.png")
            window.pane.tabs.setCurrentIndex(0)

        for panel, name in (
            (window.social_panel, "team-social.png"),
            (window.contact_panel, "team-contact-center.png"),
        ):
            window.tabs.setCurrentWidget(panel)
            settle(600, lambda p=panel: p.model.rowCount() > 0)  # type: ignore[misc]
            panel.view.step(1)
            settle(600)
            shot(window, name)
        window.close()
        QCoreApplication.processEvents()
        return 0
    finally:
        if runner is not None:
            runner.shutdown()
        cache.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _demo_shots(cache: object, out: Path, width: int, height: int) -> int:
    """The main window on the demo's cache, open on the viral complaint that started it all."""
    from PySide6.QtCore import QEventLoop, QTimer

    from omniinbox import triage, usecases
    from omniinbox.demo import start_demo
    from omniinbox.secrets import SecretStore
    from omniinbox.store.cache import Cache
    from omniinbox.sync.engine import SyncEngine
    from omniinbox.ui.main_window import MainWindow
    from omniinbox.ui.tasks import TaskRunner

    assert isinstance(cache, Cache)
    demo = start_demo(cache, live=False, secrets=SecretStore.in_memory())
    engine = SyncEngine(cache, demo.connector_for())
    try:
        for account in demo.accounts:
            engine.sync_account(account)
    finally:
        engine.close()
        demo.stop()
    triage.update(cache)
    first = cache.conn.execute(
        "SELECT id FROM items WHERE text LIKE '%SukaLayan error terus%' ORDER BY created_at LIMIT 1"
    ).fetchone()
    runner = TaskRunner(cache)
    try:
        window = MainWindow(runner, usecases.current_user(cache))
        window.resize(width, height)
        window.show()

        def settle(ms: int, until: object = None) -> None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                loop = QEventLoop()
                QTimer.singleShot(ms, loop.quit)
                loop.exec()
                if runner.pending == 0 and (until is None or until()):  # type: ignore[operator]
                    return

        settle(800, lambda: window.inbox.model.rowCount() > 0)
        if first:
            window.open_item(first[0])
            settle(800, lambda: window.pane.data is not None)
        settle(500)
        path = out / "demo.png"
        window.grab().save(str(path))
        print(path)
        window.close()
    finally:
        runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
