"""The main window: the side bar, the lists (the inbox and one panel per team, as tabs), the
conversation pane, the search field and the status bar, with every command on a shortcut from
the registry (:mod:`omniinbox.ui.shortcuts`) and in the Item menu.

The window holds no data of its own: lists, pane, side bar and status bar read through the task
runner and follow its change feed; actions go through :class:`omniinbox.ui.item_actions.ItemActions`.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QWidget,
)

from omniinbox.core import ConversationStatus, Priority, TagValue, Team, User
from omniinbox.store.views import ListFilter
from omniinbox.ui import format as fmt
from omniinbox.ui.collab import install as install_collab
from omniinbox.ui.conversation_pane import ConversationPane
from omniinbox.ui.item_actions import ItemActions
from omniinbox.ui.kol_registry import show_kol_registry
from omniinbox.ui.list_panel import ListPanel, TeamPanel
from omniinbox.ui.radar import RadarPage
from omniinbox.ui.settings_dialog import SettingsDialog
from omniinbox.ui.shortcuts import Shortcuts, ShortcutSheet
from omniinbox.ui.sidebar import RADAR_KEY, Sidebar
from omniinbox.ui.status_bar import StatusBar
from omniinbox.ui.supervisor import show_supervisor
from omniinbox.ui.tasks import TaskRunner
from omniinbox.usecases import is_supervisor, working_team

SEARCH_DEBOUNCE_MS = 250


class MainWindow(QMainWindow):
    """Attributes: ``sidebar``, ``tabs`` (``inbox``, ``social_panel``, ``contact_panel``), ``pane``,
    ``search_field``, ``status``, ``shortcuts``, ``actions``."""

    def __init__(self, runner: TaskRunner, user: User, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("main-window")
        self.runner = runner
        self.user = user
        self.settings = settings
        self.setWindowTitle(self.tr("OmniInbox"))
        self.sheet: ShortcutSheet | None = None

        self.sidebar = Sidebar(runner, user, self)
        self.inbox = ListPanel(runner, parent=self)
        self.inbox.setObjectName("inbox-panel")
        self.social_panel = TeamPanel(runner, Team.SOCIAL, user, self)
        self.contact_panel = TeamPanel(runner, Team.CONTACT_CENTER, user, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("list-tabs")
        self.tabs.addTab(self.inbox, self.tr("Inbox"))
        self.tabs.addTab(self.social_panel, fmt.team_name(Team.SOCIAL.value))
        self.tabs.addTab(self.contact_panel, fmt.team_name(Team.CONTACT_CENTER.value))
        self.pane = ConversationPane(runner, user, self)
        self.radar = RadarPage(runner, user, self)  # the issue radar, shown instead of the lists
        self.middle = QStackedWidget(self)
        self.middle.addWidget(self.tabs)
        self.middle.addWidget(self.radar)

        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.setObjectName("main-split")
        self.split.addWidget(self.sidebar)
        self.split.addWidget(self.middle)
        self.split.addWidget(self.pane)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 3)
        self.split.setStretchFactor(2, 2)
        self.split.setSizes([210, 1090, 560])
        self.setCentralWidget(self.split)

        self.search_field = QLineEdit(self)
        self.search_field.setObjectName("search")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setPlaceholderText(self.tr("Search messages  ( / )"))
        self.search_field.setMinimumWidth(320)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search_field.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_field.returnPressed.connect(self._run_search)
        self.team_choice = QComboBox(self)
        self.team_choice.setObjectName("working-team")
        for team in Team:
            self.team_choice.addItem(fmt.team_name(team.value), team.value)
        saved = settings.value("working_team") if settings is not None else None
        start = Team(saved) if saved in {t.value for t in Team} else working_team(user)
        self.team_choice.setCurrentIndex(list(Team).index(start))
        self.team_choice.currentIndexChanged.connect(self._team_changed)
        toolbar = QToolBar(self.tr("Search"), self)
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search_field)
        spacer = QWidget(self)
        spacer.setMinimumWidth(24)
        toolbar.addWidget(spacer)
        toolbar.addWidget(QLabel(self.tr("Working as: "), self))
        toolbar.addWidget(self.team_choice)
        toolbar.addWidget(QLabel("  " + self.tr("Signed in as %1").replace("%1", user.name), self))
        self.addToolBar(toolbar)

        self.status = StatusBar(runner, self)
        self.setStatusBar(self.status)

        self.item_actions = ItemActions(
            runner, user, self.selected_item_ids, self._panel_team, self.working_team, parent=self
        )
        self.item_actions.message.connect(self.say)
        self.pane.message.connect(self.say)
        self.pane.open_item.connect(self.open_item)
        self.pane.set_team(self.working_team())

        for panel in self.panels():
            panel.current_changed.connect(lambda item_id, p=panel: self._current_changed(p, item_id))
            panel.activated.connect(lambda _item_id: self.open_current())
        self.social_panel.tag_requested.connect(lambda value: self.item_actions.tag(TagValue(value), Team.SOCIAL))
        self.contact_panel.tag_requested.connect(
            lambda value: self.item_actions.tag(TagValue(value), Team.CONTACT_CENTER)
        )
        self.social_panel.handoff_requested.connect(self.item_actions.ask_handoff)
        self.contact_panel.handoff_requested.connect(self.item_actions.ask_handoff)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.sidebar.filter_chosen.connect(self.show_filter)
        self.sidebar.team_chosen.connect(self.show_team)
        self.sidebar.supervisor_chosen.connect(lambda: show_supervisor(self))
        self.sidebar.radar_chosen.connect(self.show_radar)
        self.radar.open_item.connect(self.open_item)
        self.radar.message.connect(self.say)

        self.shortcuts = Shortcuts(self, settings)
        self._bind_shortcuts()
        self._build_menus()
        self.collab = install_collab(self)  # saved searches, Mentions, "Create ticket…"
        self.sidebar.select("queue:all")
        self.resize(1860, 1000)
        if settings is not None and settings.value("geometry") is not None:
            self.restoreGeometry(settings.value("geometry"))

    # ------------------------------------------------------------------ panels

    def panels(self) -> list[ListPanel]:
        return [self.inbox, self.social_panel, self.contact_panel]

    def active_panel(self) -> ListPanel:
        panel = self.tabs.currentWidget()
        assert isinstance(panel, ListPanel)
        return panel

    def _panel_team(self) -> Team | None:
        return self.active_panel().team()

    def working_team(self) -> Team:
        return Team(self.team_choice.currentData())

    def selected_item_ids(self) -> list[int]:
        return self.active_panel().selected_item_ids()

    def show_filter(self, flt: ListFilter) -> None:
        self.middle.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.inbox)
        self.inbox.show_filter(flt)

    def show_team(self, team: Team) -> None:
        self.middle.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.social_panel if team is Team.SOCIAL else self.contact_panel)

    def show_radar(self) -> None:
        self.middle.setCurrentWidget(self.radar)
        self.sidebar.select(RADAR_KEY)
        self.radar.view.setFocus()

    def open_item(self, item_id: int) -> None:
        """Show an item in the pane, selecting it in the list when the list has it."""
        self.active_panel().select_item(item_id)
        self.pane.show_item(item_id)

    def open_current(self) -> None:
        item_id = self.active_panel().current_item()
        if item_id is None:
            return
        self.pane.show_item(item_id)
        self.pane.thread_view.setFocus()
        self.item_actions.mark_read(True, [item_id])

    def _current_changed(self, panel: ListPanel, item_id: int | None) -> None:
        if panel is self.active_panel() and item_id is not None:
            self.pane.show_item(item_id)

    def _tab_changed(self, _index: int) -> None:
        panel = self.active_panel()
        if self.search_field.text().strip() != panel.search_text():
            self._run_search()
        item_id = panel.current_item()
        if item_id is not None:
            self.pane.show_item(item_id)

    def _team_changed(self, _index: int) -> None:
        if self.settings is not None:
            self.settings.setValue("working_team", self.working_team().value)
        self.pane.set_team(self.working_team())
        self.pane.reload()

    def _run_search(self) -> None:
        self._search_timer.stop()
        self.active_panel().search(self.search_field.text())

    def say(self, text: str) -> None:
        self.status.showMessage(text, 6000)

    # ------------------------------------------------------------------ commands

    def _bind_shortcuts(self) -> None:
        s, a = self.shortcuts, self.item_actions
        s.bind("next", lambda: self.step(1))
        s.bind("previous", lambda: self.step(-1))
        s.bind("open", self.open_current)
        s.bind("reply", self.reply)
        s.bind("assign", a.ask_assign)
        s.bind("promote", a.promote)
        s.bind("protect", a.protect)
        s.bind("escalate", a.escalate)
        s.bind("note", a.ask_note)
        s.bind("label", a.ask_label)
        s.bind("close", a.close)
        s.bind("snooze", a.ask_snooze)
        s.bind("handoff", a.ask_handoff)
        s.bind("toggle_read", self.toggle_read)
        s.bind("search", self.focus_search)
        s.bind("list", self.focus_list)
        s.bind("refresh", lambda: self.active_panel().model.reload())
        s.bind("supervisor", lambda: show_supervisor(self))
        s.bind("radar", self.show_radar)
        s.bind("send", self.pane.composer.request_send)
        s.attach("send", self.pane.composer)
        s.bind("shortcuts", self.show_shortcuts)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.settings_action = file_menu.addAction(self.tr("&Settings…"))
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(lambda: self.show_settings())
        item = bar.addMenu(self.tr("&Item"))
        for shortcut_id in ("open", "reply", "assign", "promote", "protect", "escalate", "note", "label", "close",
                            "snooze", "handoff", "toggle_read"):  # fmt: skip
            item.addAction(self.shortcuts.action(shortcut_id))
        item.addSeparator()
        status = item.addMenu(self.tr("Status"))
        for value in (ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.CLOSED):
            status.addAction(fmt.status_name(value.value)).triggered.connect(
                lambda _c=False, v=value: self.item_actions.set_status(v)
            )
        priority = item.addMenu(self.tr("Priority"))
        for p in Priority:
            priority.addAction(fmt.priority_name(int(p))).triggered.connect(
                lambda _c=False, v=p: self.item_actions.set_priority(v)
            )
        view = bar.addMenu(self.tr("&View"))
        for shortcut_id in ("next", "previous", "search", "list", "refresh", "radar"):
            view.addAction(self.shortcuts.action(shortcut_id))
        if is_supervisor(self.user):
            view.addAction(self.shortcuts.action("supervisor"))
        self.kol_action = view.addAction(self.tr("&Key opinion leaders…"))
        self.kol_action.setObjectName("view-kol-registry")
        self.kol_action.triggered.connect(lambda: show_kol_registry(self, self.runner, self.user))
        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.shortcuts.action("shortcuts"))

    def reply(self) -> None:
        item_id = self.active_panel().current_item()
        if item_id is not None:
            self.pane.show_item(item_id)
        self.pane.focus_reply()

    def toggle_read(self) -> None:
        panel = self.active_panel()
        row = panel.model.list_row(panel.view.currentIndex().row())
        self.item_actions.mark_read(not row.is_read if row is not None else True)

    def focus_search(self) -> None:
        self.search_field.setFocus()
        self.search_field.selectAll()

    def step(self, rows: int) -> None:
        """j/k: move in the radar's list when the radar shows, else in the active list."""
        if self.middle.currentWidget() is self.radar:
            self.radar.step(rows)
        else:
            self.active_panel().view.step(rows)

    def focus_list(self) -> None:
        self.active_panel().view.setFocus()

    def show_settings(self) -> SettingsDialog:
        """File > Settings (accounts, user, appearance, notifications, shortcuts)."""
        settings = self.settings if self.settings is not None else QSettings()
        self.settings_dialog = SettingsDialog(self.runner, self.user, self.shortcuts, settings, parent=self)
        self.settings_dialog.show()
        return self.settings_dialog

    def show_shortcuts(self) -> None:
        self.sheet = ShortcutSheet(self.shortcuts, self)
        self.sheet.setObjectName("shortcut-sheet")
        self.sheet.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.settings is not None:
            self.settings.setValue("geometry", self.saveGeometry())
        super().closeEvent(event)
