"""Starting the desktop client: the application object (high-DPI defaults, Fusion style, a light
or dark palette that follows the system), translations, the cache, the person at the desk, the
task runner and the main window. ``omniinbox`` and ``omniinbox --cache PATH`` call :func:`run`.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, Qt, QTimer, QTranslator
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from omniinbox import __version__, paths
from omniinbox.hub.replica import HubReplicaLoop
from omniinbox.store.cache import Cache
from omniinbox.store.database import CacheError
from omniinbox.sync.loop import SyncLoop
from omniinbox.ui.main_window import MainWindow
from omniinbox.ui.settings_dialog import apply_theme, chosen_locale, saved_theme
from omniinbox.ui.tasks import Changes, TaskRunner
from omniinbox.ui.tray import Tray, install_tray
from omniinbox.usecases import current_user

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
# How long a thread holding the interpreter lock keeps it when another asks (Python's default: 5 ms).
# The list's painting takes the lock once per cell, and with a background thread running Python
# (a sync, the demo's sandbox) it waited up to that long each time: one busy thread made a 10 ms
# repaint of 280 cells take ~220 ms; at 0.25 ms, ~30 ms (benchmarks/ui_perf.py, sync_latency).
GIL_SWITCH_S = 0.00025
ORGANIZATION = "OmniInbox"
APPLICATION = "OmniInbox"


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The application object (or the one that exists), set up once."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Qt 6 scales by the screen's factor; pass fractional factors through (125 %, 150 %) rather
    # than rounding them, so text is neither blurry nor too small.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    sys.setswitchinterval(GIL_SWITCH_S)
    app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("org.omniinbox.OmniInbox")
    icon = RESOURCES / "icons" / "omniinbox.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyle("Fusion")
    # the theme and language chosen in the settings dialog (by default: as the system is)
    apply_theme(app, saved_theme(settings()))
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app, saved_theme(settings())))
    locale = chosen_locale(settings())
    if locale is not None:
        QLocale.setDefault(locale)
    install_translations(app, locale)
    return app


def is_dark(app: QGuiApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    colors = {
        role.Window: "#202124",
        role.WindowText: "#e8eaed",
        role.Base: "#17181a",
        role.AlternateBase: "#232427",
        role.ToolTipBase: "#2d2e31",
        role.ToolTipText: "#e8eaed",
        role.Text: "#e8eaed",
        role.Button: "#2d2e31",
        role.ButtonText: "#e8eaed",
        role.BrightText: "#ff6b6b",
        role.Highlight: "#3d6fb6",
        role.HighlightedText: "#ffffff",
        role.Link: "#8ab4f8",
        role.PlaceholderText: "#9aa0a6",
        role.Mid: "#3c4043",
    }
    for r, color in colors.items():
        palette.setColor(r, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.Text, role.ButtonText, role.WindowText):
        palette.setColor(disabled, r, QColor("#6f7378"))
    return palette


def apply_palette(app: QApplication) -> None:
    """Light or dark, as the system is now (called again when the system switches)."""
    app.setPalette(dark_palette() if is_dark(app) else app.style().standardPalette())


def install_translations(app: QApplication, locale: QLocale | None = None) -> list[QTranslator]:
    """Qt's own and OmniInbox's translations for ``locale`` (the system's by default), where they
    exist (``omniinbox/resources/translations/omniinbox_<lang>.qm``)."""
    locale = locale or QLocale.system()
    installed: list[QTranslator] = []
    sources = (
        ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        ("omniinbox", str(RESOURCES / "translations")),
    )
    for name, folder in sources:
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder):
            app.installTranslator(translator)
            installed.append(translator)
    return installed


def settings() -> QSettings:
    """The desktop client's settings (window layout, working team, shortcuts), in the platform's
    configuration folder."""
    return QSettings(str(paths.config_dir() / "desktop.ini"), QSettings.Format.IniFormat)


def freeze_startup_objects() -> None:
    """Put everything allocated so far (modules, Qt's wrappers, the demo's sandbox scenarios) out
    of the garbage collector's reach. A full collection stops every thread, the GUI's included;
    it then walks only what came after: measured (``benchmarks/ui_perf.py``) at ~80 ms per full
    collection during a demo sync before, the event loop's worst stalls."""
    gc.freeze()


def _poke_on_reply(sync: SyncLoop | HubReplicaLoop, changes: Changes) -> None:
    # a reply to send; in team mode any action journaled for the hub is pushed at once
    if changes.local and changes.touches("outbox", "hub_journal"):
        sync.poke()


def _show_replica_state(window: MainWindow, replica: HubReplicaLoop) -> None:
    """Team mode: the hub connection's state in the status bar ("offline, 3 actions waiting")."""
    label = QLabel(window)
    label.setObjectName("hub-replica-state")
    window.statusBar().addPermanentWidget(label)

    def show() -> None:
        state = replica.state()
        label.setText(state.describe())
        label.setToolTip(state.last_error)

    timer = QTimer(label)
    timer.setInterval(1000)
    timer.timeout.connect(show)
    timer.start()
    show()


def run(
    cache_path: Path,
    *,
    demo: bool = False,
    sync: SyncLoop | HubReplicaLoop | None = None,
    argv: Sequence[str] | None = None,
    login: str | None = None,
) -> int:
    """Open the window on the cache at ``cache_path`` and run until it is closed. ``sync``, when
    given, reads the accounts and sends the outbox in the background while the window is open;
    a reply queued here starts a round at once. In team mode ``sync`` is the cache's
    :class:`HubReplicaLoop` and ``login`` the hub login of the person at the desk."""
    app = create_application(argv)
    try:
        cache = Cache.open(cache_path)
    except CacheError as exc:
        QMessageBox.critical(None, QCoreApplication.translate("App", "OmniInbox"), str(exc))
        return 1
    runner: TaskRunner | None = None
    tray: Tray | None = None
    window: MainWindow | None = None
    try:
        user = current_user(cache, login)
        runner = TaskRunner(cache)
        window = MainWindow(runner, user, settings())
        if demo:
            window.setWindowTitle(window.windowTitle() + " — " + QCoreApplication.translate("App", "demo"))
        window.show()
        freeze_startup_objects()
        tray = install_tray(runner, user, window, settings())  # None where the desktop has no tray
        if sync is not None:
            runner.changed.connect(lambda changes: _poke_on_reply(sync, changes))
            if isinstance(sync, HubReplicaLoop):
                _show_replica_state(window, sync)
            sync.start()
        return int(app.exec())
    finally:
        if sync is not None:
            sync.stop()
        if tray is not None:
            tray.close()
            shiboken6.delete(tray)
        if window is not None:
            shiboken6.delete(window)  # its views stop asking before the runner stops answering
        if runner is not None:
            runner.shutdown()
        cache.close()
