"""A screenshot of the issue radar, on a cache the demo filled (the viral outage at level 3,
must answer), as a supervisor sees it: ``docs/screenshots/issue-radar.png``, and the statement
dialog beside it (``statement.png``).

    .venv/bin/python packaging/radar_screenshot.py [--out docs/screenshots] [--size 1920x1080]

Like ``screenshots.py``: under a virtual X server (``xvfb-run``) when there is no display; the
cache is a temporary file and the sandbox runs on loopback for the few seconds it takes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
sys.path.insert(0, str(ROOT))

from screenshots import _reexec_under_xvfb  # noqa: E402 (after the path is set)


def fill_demo_cache(path: Path) -> None:
    """Sync every demo account once, then run the radar."""
    from omniinbox import triage
    from omniinbox.core import Role
    from omniinbox.demo import start_demo
    from omniinbox.secrets import SecretStore
    from omniinbox.store.accounts import add_user
    from omniinbox.store.cache import Cache
    from omniinbox.sync.engine import SyncEngine

    with Cache.open(path) as cache:
        add_user(cache, "supervisor-1", "Supervisor 1", Role.SUPERVISOR)
        demo = start_demo(cache, live=False, secrets=SecretStore.in_memory())
        try:
            engine = SyncEngine(cache, demo.connector_for())
            try:
                for account in demo.accounts:
                    engine.sync_account(account)
            finally:
                engine.close()
        finally:
            demo.stop()
        triage.update(cache)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    _reexec_under_xvfb()
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="omniinbox-shots-config-"))

    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QWidget

    from omniinbox.store.accounts import get_user
    from omniinbox.store.cache import Cache
    from omniinbox.ui.app import create_application
    from omniinbox.ui.main_window import MainWindow
    from omniinbox.ui.tasks import TaskRunner

    create_application(["omniinbox-screenshots"])
    width, height = (int(v) for v in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="omniinbox-radar-shots-"))
    fill_demo_cache(workdir / "demo.sqlite")
    cache = Cache.open(workdir / "demo.sqlite")
    runner: TaskRunner | None = None
    try:
        supervisor = get_user(cache, "supervisor-1")
        assert supervisor is not None
        runner = TaskRunner(cache)
        window = MainWindow(runner, supervisor)
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
        window.show_radar()
        radar = window.radar
        settle(800, lambda: radar.model.rowCount() > 0 and radar.detail.snapshot is not None)
        radar.detail.items.selectRow(0)
        item = radar.detail.current_item_id()
        if item is not None:
            window.open_item(item)
        settle(800, lambda: window.pane.data is not None)
        shot(window, "issue-radar.png")

        dialog = radar.draft_statement()
        if dialog is not None:
            settle(600, lambda: dialog.snapshot is not None)
            dialog.body.setPlainText(
                "Layanan antrean daring Sukalayan sempat terganggu pagi ini karena gangguan server. Sejak pukul"
                " 10.40 WIB layanan sudah pulih dan nomor antrean yang terlewat tetap berlaku sampai loket tutup"
                " hari ini. Warga yang sudah datang ke kantor kecamatan dan tidak terlayani dapat mengambil nomor"
                " prioritas di meja informasi. Mohon maaf atas ketidaknyamanannya; petugas kami siap membantu di"
                " loket, di pusat layanan 112 dan di kanal ini. Kami akan menambah kapasitas server agar gangguan"
                " serupa tidak terulang."
            )
            dialog.short_body.setPlainText(
                "Antrean daring Sukalayan sudah pulih sejak 10.40 WIB; nomor antrean yang terlewat tetap berlaku"
                " hari ini. Mohon maaf atas ketidaknyamanannya."
            )
            dialog.link.setText("https://sukalayan.example.go.id/pengumuman")
            dialog.update_preview()
            dialog.save()
            settle(600, lambda: dialog.statement_id() is not None)
            dialog.approve()
            settle(600, lambda: dialog.snapshot is not None and dialog.snapshot.statement is not None
                   and dialog.snapshot.statement.state == "approved")  # fmt: skip
            dialog.fan_out()
            settle(800, lambda: dialog.snapshot is not None and bool(dialog.snapshot.replies))
            shot(dialog, "statement.png")
            dialog.close()
        window.close()
        QCoreApplication.processEvents()
        return 0
    finally:
        if runner is not None:
            runner.shutdown()
        cache.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
