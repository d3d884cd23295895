"""File > Settings (Ctrl+,): the accounts, the person at the desk, appearance, notifications and
keyboard shortcuts, one page each.

* **Accounts** lists every account (channel, owner with leaders' accounts marked, state) read on the
  reader pool, and follows the change feed. *Add* (:class:`AddAccountDialog`) asks for what the
  channel's registry entry needs, checks the credentials on the network pool and keeps the secret
  in the keyring (saying where), the account by reference in the cache
  (:mod:`omniinbox.account_setup`, which the command line shares). Without a keyring it says so
  and offers the explicit plain-text opt-in. *Remove* asks first; the secret is deleted, the
  items stay.
* **User**: name and team of the person at the desk (the role is shown; administrators change it).
* **Appearance**: theme (follow the system, light, dark; applied at once) and language (system,
  English, Bahasa Indonesia; applied on the next start, through :func:`chosen_locale`).
* **Notifications**: whether to notify on work assigned to me, must-answer issues and failed sends.
* **Issue radar**: the radar's thresholds (:class:`omniinbox.ui.kol_registry.RadarSettingsPage`),
  edited by supervisors and administrators, and the key opinion leader registry.
* **Shortcuts**: every command of :mod:`omniinbox.ui.shortcuts` with its key, edited with
  ``QKeySequenceEdit``; a key already bound elsewhere is refused with the other command's name.

Settings live in ``QSettings`` under the keys named here (``appearance/theme``...).

Signals (of :class:`SettingsDialog`): ``profile_changed(User)``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QLocale, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from omniinbox import account_setup
from omniinbox.account_setup import AccountDraft, SetupRefused
from omniinbox.connectors.base import CheckResult
from omniinbox.connectors.registry import ChannelSpec, all_specs
from omniinbox.core import Account, Channel, Role, Team, User
from omniinbox.secrets import SecretStore, SecretsUnavailable
from omniinbox.store import views
from omniinbox.store.cache import Cache
from omniinbox.ui import format as fmt
from omniinbox.ui.format import QT_TRANSLATE_NOOP
from omniinbox.ui.kol_registry import RadarSettingsPage, show_kol_registry
from omniinbox.ui.shortcuts import BY_ID, SHORTCUTS, Shortcuts, describe
from omniinbox.ui.tasks import Changes, TaskError, TaskRunner
from omniinbox.ui.team_page import TeamHubPage

THEME_KEY = "appearance/theme"  # system | light | dark
LANGUAGE_KEY = "appearance/language"  # "" (the system's) | en | id
NOTIFY_MUST_ANSWER_KEY = "notifications/must_answer"
NOTIFY_FAILED_SENDS_KEY = "notifications/failed_sends"
NOTIFY_ASSIGNED_KEY = "notifications/assigned"
PLAINTEXT_SECRETS_KEY = "secrets/allow_plaintext"

THEMES = ("system", "light", "dark")
LANGUAGES: dict[str, str] = {"en": "English", "id": "Bahasa Indonesia"}  # each in its own words
_LOCALES = {
    "en": (QLocale.Language.English, QLocale.Country.UnitedStates),
    "id": (QLocale.Language.Indonesian, QLocale.Country.Indonesia),
}

ROLE_NAMES = {
    Role.AGENT: QT_TRANSLATE_NOOP("SettingsDialog", "Contact center agent"),
    Role.SOCIAL_OFFICER: QT_TRANSLATE_NOOP("SettingsDialog", "Social media officer"),
    Role.SUPERVISOR: QT_TRANSLATE_NOOP("SettingsDialog", "Supervisor"),
    Role.ADMIN: QT_TRANSLATE_NOOP("SettingsDialog", "Administrator"),
}

# Qt ships no Indonesian translation of its own words (there is no qtbase_id.qm), so the few that
# our windows show (dialog buttons, the text fields' context menu, the key editor's prompt) are
# marked here: lupdate files them under Qt's contexts in omniinbox_<lang>.ts, and our translator,
# installed for the whole application, answers Qt's own lookups.
QT_OWN_WORDS = (
    QT_TRANSLATE_NOOP("QPlatformTheme", "OK"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Save"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Open"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "&Yes"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "&No"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Abort"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Retry"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Ignore"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Close"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Cancel"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Discard"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Help"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Apply"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Reset"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Restore Defaults"),
    QT_TRANSLATE_NOOP("QLineEdit", "&Undo"),
    QT_TRANSLATE_NOOP("QLineEdit", "&Redo"),
    QT_TRANSLATE_NOOP("QLineEdit", "Cu&t"),
    QT_TRANSLATE_NOOP("QLineEdit", "&Copy"),
    QT_TRANSLATE_NOOP("QLineEdit", "&Paste"),
    QT_TRANSLATE_NOOP("QLineEdit", "Delete"),
    QT_TRANSLATE_NOOP("QLineEdit", "Select All"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "&Undo"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "&Redo"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "Cu&t"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "&Copy"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "&Paste"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "Delete"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "Select All"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "Copy &Link Location"),
    QT_TRANSLATE_NOOP("QKeySequenceEdit", "Press shortcut"),
    QT_TRANSLATE_NOOP("QMessageBox", "Show Details..."),
    QT_TRANSLATE_NOOP("QMessageBox", "Hide Details..."),
)


def _truthy(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def notify_enabled(settings: QSettings | None, key: str) -> bool:
    """Whether a kind of desktop notification is wanted (on unless turned off)."""
    return _truthy(settings.value(key) if settings is not None else None, True)


def chosen_locale(settings: QSettings | None) -> QLocale | None:
    """The locale of the language chosen in the settings (``None``: the system's)."""
    code = str(settings.value(LANGUAGE_KEY) or "") if settings is not None else ""
    if code not in _LOCALES:
        return None
    language, country = _LOCALES[code]
    return QLocale(language, country)


def saved_theme(settings: QSettings | None) -> str:
    theme = str(settings.value(THEME_KEY) or "system") if settings is not None else "system"
    return theme if theme in THEMES else "system"


def apply_theme(app: QApplication, theme: str) -> None:
    """Light, dark, or as the system is (``system``), at once."""
    from omniinbox.ui.app import apply_palette, dark_palette  # app imports the window, which imports us

    hints = app.styleHints()
    if theme == "system":
        hints.unsetColorScheme()
        apply_palette(app)
        return
    hints.setColorScheme(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())


def _keys_text(keys: tuple[str, ...]) -> str:
    return ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys)


def _portable(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


def shortcut_conflict(shortcuts: Shortcuts, shortcut_id: str, keys: tuple[str, ...]) -> str | None:
    """The id of another command already bound to one of ``keys``, if any."""
    wanted = {_portable(k) for k in keys}
    for spec in SHORTCUTS:
        if spec.id != shortcut_id and wanted & {_portable(k) for k in shortcuts.keys(spec.id)}:
            return spec.id
    return None


# ---------------------------------------------------------------------------------- accounts


class AddAccountDialog(QDialog):
    """Connect one account: the channel, what its registry entry asks for, the secret (a password
    field), *Check* (the platform says who we are and what we may do) and *Add*.

    Attributes: ``channel_choice``, ``key_field``, ``name_field``, ``url_field``, ``handle_field``,
    ``leader_box``, ``setting_fields`` (setting name -> field), ``secret_field``, ``check_button``,
    ``result_label``, ``add_button``.

    Signals: ``account_added(Account)``.
    """

    account_added = Signal(object)

    def __init__(
        self, runner: TaskRunner, user: User, store: SecretStore | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("add-account-dialog")
        self.setWindowTitle(self.tr("Add an account"))
        self.runner = runner
        self.user = user
        self.store = store
        self.setting_fields: dict[str, QLineEdit] = {}
        self._checked: tuple[AccountDraft, CheckResult] | None = None
        self._add_after_check = False
        self._specs = all_specs()

        self.channel_choice = QComboBox(self)
        self.channel_choice.setObjectName("account-channel")
        for channel, spec in self._specs.items():
            self.channel_choice.addItem(spec.title, channel.value)
        self.key_field = QLineEdit(self)
        self.key_field.setObjectName("account-key")
        self.key_field.setPlaceholderText(self.tr("a short name: the handle, the address or the subdomain"))
        self.name_field = QLineEdit(self)
        self.name_field.setObjectName("account-name")
        self.name_field.setPlaceholderText(self.tr("as the team calls it (default: the short name)"))
        self.url_label = QLabel(self.tr("Address"), self)
        self.url_field = QLineEdit(self)
        self.url_field.setObjectName("account-url")
        self.handle_field = QLineEdit(self)
        self.handle_field.setObjectName("account-handle")
        self.handle_field.setPlaceholderText(self.tr("the account's name on the platform (optional)"))
        self.leader_box = QCheckBox(self.tr("A leader's personal account (replies wait for approval)"), self)
        self.leader_box.setObjectName("account-leader")
        self.secret_field = QLineEdit(self)
        self.secret_field.setObjectName("account-secret")
        self.secret_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_hint = QLabel(self)
        self.secret_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.secret_hint.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("Channel"), self.channel_choice)
        form.addRow(self.tr("Short name"), self.key_field)
        form.addRow(self.tr("Display name"), self.name_field)
        form.addRow(self.url_label, self.url_field)
        form.addRow(self.tr("Handle"), self.handle_field)
        form.addRow("", self.leader_box)
        self.settings_box = QGroupBox(self.tr("Channel settings"), self)
        self.settings_form = QFormLayout(self.settings_box)
        secret_box = QGroupBox(self.tr("Secret"), self)
        secret_form = QFormLayout(secret_box)
        secret_form.addRow(self.secret_hint)
        secret_form.addRow(self.tr("Secret"), self.secret_field)
        self.storage_label = QLabel(self)
        self.storage_label.setObjectName("secret-storage")
        self.storage_label.setTextFormat(Qt.TextFormat.PlainText)
        self.storage_label.setWordWrap(True)
        secret_form.addRow(self.storage_label)

        self.check_button = QPushButton(self.tr("Check"), self)
        self.check_button.setObjectName("check-account")
        self.check_button.clicked.connect(lambda: self.check())
        self.result_label = QLabel(self)
        self.result_label.setObjectName("check-result")
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)  # the platform's words: plain text only
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(self)
        self.add_button = buttons.addButton(self.tr("Add"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setObjectName("add-account")
        self.add_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.add)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.settings_box)
        layout.addWidget(secret_box)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        check_row.addWidget(self.result_label, 1, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(check_row)
        layout.addWidget(buttons)
        self.channel_choice.currentIndexChanged.connect(lambda _i: self._channel_changed())
        self._channel_changed()
        self._show_storage()
        self.resize(620, 640)

    def channel(self) -> Channel:
        return Channel(self.channel_choice.currentData())

    def set_channel(self, channel: Channel | str) -> None:
        index = self.channel_choice.findData(Channel(channel).value)
        if index >= 0:
            self.channel_choice.setCurrentIndex(index)

    def spec(self) -> ChannelSpec:
        return self._specs[self.channel()]

    def _channel_changed(self) -> None:
        spec = self.spec()
        while self.settings_form.rowCount():
            self.settings_form.removeRow(0)
        self.setting_fields.clear()
        for setting in spec.settings:
            field = QLineEdit(self.settings_box)
            field.setObjectName(f"setting-{setting.name}")
            field.setPlaceholderText(setting.label if not setting.default else f"{setting.label} ({setting.default})")
            field.setToolTip(setting.label)
            label = setting.name.replace("_", " ").capitalize() + (" *" if setting.required else "")
            self.settings_form.addRow(label, field)
            self.setting_fields[setting.name] = field
        self.settings_box.setVisible(bool(spec.settings))
        self.url_label.setVisible(bool(spec.url_label))
        self.url_field.setVisible(bool(spec.url_label))
        self.url_field.setPlaceholderText(spec.url_label)
        self.secret_hint.setText(spec.secret_label)
        self._show_result("")

    def _show_storage(self) -> None:
        if self.store is None:
            self.storage_label.setText(
                self.tr(
                    "No system keyring is available, so the secret cannot be kept safely. "
                    "Turn on the plain-text file in Settings > Accounts, or start your desktop's keyring."
                )
            )
            self.add_button.setEnabled(False)
        else:
            self.storage_label.setText(
                self.tr("The secret will be kept in %1. The cache keeps only its name.").replace(
                    "%1", self.store.description
                )
            )

    def draft(self) -> AccountDraft:
        return AccountDraft(
            channel=self.channel(),
            key=self.key_field.text(),
            secret=self.secret_field.text(),
            name=self.name_field.text(),
            url=self.url_field.text() if self.spec().url_label else "",
            handle=self.handle_field.text(),
            leader=self.leader_box.isChecked(),
            settings={name: field.text() for name, field in self.setting_fields.items()},
        )

    def _show_result(self, text: str, *, error: bool = False) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet("color: palette(bright-text);" if error else "")

    def check(self) -> None:
        """Ask the platform, on the network pool, what the typed credentials can do."""
        draft = self.draft()
        try:
            draft.probe()
        except SetupRefused as exc:
            self._add_after_check = False
            self._show_result(str(exc), error=True)
            return
        self._checked = None
        self.check_button.setEnabled(False)
        self._show_result(self.tr("Checking…"))
        self.runner.network(
            lambda: account_setup.check_account(draft),
            done=lambda result: self._check_done(draft, result),
            failed=self._check_failed,
            owner=self,
            label="check account",
        )

    def _check_done(self, draft: AccountDraft, result: CheckResult) -> None:
        self.check_button.setEnabled(True)
        yes, no = self.tr("yes"), self.tr("no")
        lines = [
            self.tr("Signed in as: %1").replace("%1", result.identity or "?"),
            self.tr("Can read: %1").replace("%1", yes if result.can_read else no),
            self.tr("Can reply: %1").replace("%1", yes if result.can_reply else no),
        ]
        lines += [self.tr("Note: %1").replace("%1", note) for note in result.notes]
        if not result.ok:
            lines.insert(0, self.tr("The check failed."))
        self._show_result("\n".join(lines), error=not result.ok)
        if result.ok:
            self._checked = (draft, result)
        add, self._add_after_check = self._add_after_check, False
        if add and result.ok:
            self.add()

    def _check_failed(self, error: TaskError) -> None:
        self.check_button.setEnabled(True)
        self._add_after_check = False
        self._show_result(self.tr("The check failed: %1").replace("%1", error.message), error=True)

    def add(self) -> None:
        """Check first when the typed credentials were not checked yet, then keep the secret and
        the account (on the writer thread)."""
        if self.store is None:
            return
        draft = self.draft()
        if self._checked is None or self._checked[0] != draft:
            self._add_after_check = True
            self.check()
            return
        store, user_id = self.store, self.user.id

        def save(cache: Cache) -> Account:
            try:
                return account_setup.add_checked_account(cache, draft, store, user_id=user_id)
            except SecretsUnavailable as exc:
                raise SetupRefused(str(exc)) from None

        self.add_button.setEnabled(False)
        self.runner.write(save, done=self._added, failed=self._add_failed, owner=self, label="add account")

    def _added(self, account: Account) -> None:
        self.add_button.setEnabled(True)
        self.account_added.emit(account)
        self.accept()

    def _add_failed(self, error: TaskError) -> None:
        self.add_button.setEnabled(True)
        self._show_result(self.tr("The account was not added: %1").replace("%1", error.message), error=True)


class AccountsPage(QWidget):
    """The accounts and where their secrets are kept. Attributes: ``table``, ``add_button``,
    ``remove_button``, ``storage_label``, ``plaintext_box``, ``add_dialog`` (while open)."""

    COLUMNS = ("name", "key", "channel", "owner", "state")

    def __init__(
        self,
        runner: TaskRunner,
        user: User,
        settings: QSettings,
        store: SecretStore | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.user = user
        self.settings = settings
        self._injected = store is not None
        self.store = store
        self.rows: list[views.AccountStatus] = []
        self.add_dialog: AddAccountDialog | None = None
        self.confirm: Callable[[str], bool] = self._ask

        self.storage_label = QLabel(self)
        self.storage_label.setObjectName("secret-storage")
        self.storage_label.setTextFormat(Qt.TextFormat.PlainText)
        self.storage_label.setWordWrap(True)
        self.plaintext_box = QCheckBox(
            self.tr("Keep account secrets in a plain-text file readable only by me (not encrypted)"), self
        )
        self.plaintext_box.setObjectName("allow-plaintext-secrets")
        opted_in = _truthy(settings.value(PLAINTEXT_SECRETS_KEY), False)
        self.plaintext_box.setChecked(opted_in or (store is None and account_setup.plaintext_opted_in()))
        self.plaintext_box.toggled.connect(self._plaintext_toggled)

        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("accounts-table")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Account"), self.tr("Channel"), self.tr("Owner"), self.tr("State")]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.add_button = QPushButton(self.tr("Add…"), self)
        self.add_button.setObjectName("accounts-add")
        self.add_button.clicked.connect(self.open_add_dialog)
        self.remove_button = QPushButton(self.tr("Remove…"), self)
        self.remove_button.setObjectName("accounts-remove")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(lambda: self.remove_selected())
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.storage_label)
        layout.addWidget(self.plaintext_box)
        self._find_store()
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(2000)
        self._refresh.timeout.connect(self.reload)
        runner.changed.connect(self._changed)
        self.reload()

    # ------------------------------------------------------------------ where secrets go

    def _find_store(self) -> None:
        if not self._injected:
            try:
                self.store = account_setup.secret_store(allow_plaintext=self.plaintext_box.isChecked())
            except SecretsUnavailable:
                self.store = None
        self.plaintext_box.setVisible(
            not self._injected and (self.store is None or not self.store.secure or self.plaintext_box.isChecked())
        )
        if self.store is None:
            self.storage_label.setText(
                self.tr(
                    "No system keyring is available on this machine, so account secrets cannot be kept "
                    "safely. Start or unlock your desktop's keyring (GNOME Keyring, KWallet, macOS "
                    "Keychain, Windows Credential Manager), or keep them in a plain-text file readable "
                    "only by you."
                )
            )
        else:
            self.storage_label.setText(
                self.tr("Account secrets are kept in %1. The cache keeps only their names.").replace(
                    "%1", self.store.description
                )
            )
        self.add_button.setEnabled(self.store is not None)

    def _plaintext_toggled(self, on: bool) -> None:
        self.settings.setValue(PLAINTEXT_SECRETS_KEY, on)
        self._find_store()

    # ------------------------------------------------------------------ the list

    def _changed(self, changes: Changes) -> None:
        if changes.touches("accounts"):
            self.reload()
        elif changes.touches("problems", "items") and self.isVisible() and not self._refresh.isActive():
            self._refresh.start()  # a sync moved on: its state again, at most every 2 s

    def reload(self) -> None:
        self.runner.read(views.account_status, done=self._show, owner=self, label="accounts")

    def _show(self, rows: list[views.AccountStatus]) -> None:
        current = self.selected_key()
        self.rows = sorted(rows, key=lambda r: (not r.enabled, r.is_leader, r.name.casefold(), r.key))
        self.table.setRowCount(len(self.rows))
        bold = QFont()
        bold.setBold(True)
        for row, status in enumerate(self.rows):
            owner = self.tr("Leader") if status.is_leader else self.tr("Institution")
            cells = [status.name, status.key, fmt.channel_name(status.channel), owner, self._state(status)]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if status.is_leader and column == 3:
                    cell.setFont(bold)
                    cell.setToolTip(self.tr("An official's personal account: replies there wait for approval"))
                if not status.enabled:
                    cell.setForeground(self.palette().placeholderText())
                if column == 4 and status.failing:
                    cell.setToolTip(status.last_problem)
                self.table.setItem(row, column, cell)
            if status.key == current:
                self.table.selectRow(row)
        self._selection_changed()

    def _state(self, status: views.AccountStatus) -> str:
        if not status.enabled:
            return self.tr("Removed")
        if status.failing:
            return self.tr("Failing: %1").replace("%1", status.last_problem.splitlines()[0][:120])
        if status.last_sync_at is None:
            return self.tr("Not synced yet")
        return self.tr("Synced %1").replace("%1", fmt.when(status.last_sync_at))

    def selected_key(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.rows):
            return None
        return self.rows[rows[0].row()].key

    def select(self, key: str) -> None:
        for row, status in enumerate(self.rows):
            if status.key == key:
                self.table.selectRow(row)

    def _selection_changed(self) -> None:
        key = self.selected_key()
        status = next((r for r in self.rows if r.key == key), None)
        self.remove_button.setEnabled(status is not None and status.enabled)

    # ------------------------------------------------------------------ add and remove

    def open_add_dialog(self) -> AddAccountDialog:
        self.add_dialog = AddAccountDialog(self.runner, self.user, self.store, self)
        self.add_dialog.account_added.connect(lambda account: self._added(account))
        self.add_dialog.show()
        return self.add_dialog

    def _added(self, account: Account) -> None:
        self.reload()

    def _ask(self, key: str) -> bool:
        answer = QMessageBox.question(
            self,
            self.tr("Remove the account"),
            self.tr(
                "Stop reading %1 and delete its secret from where it is kept? Its messages stay in the inbox."
            ).replace("%1", key),
        )
        return answer == QMessageBox.StandardButton.Yes

    def remove_selected(self) -> None:
        key = self.selected_key()
        if key is None or not self.confirm(key):
            return
        store, user_id = self.store, self.user.id
        self.runner.write(
            lambda cache: account_setup.remove_account(cache, key, store, user_id=user_id),
            owner=self,
            label="remove account",
        )


# ---------------------------------------------------------------------------------- the other pages


class UserPage(QWidget):
    """The person at the desk. Attributes: ``name_field``, ``team_choice``, ``save_button``,
    ``message``. Signals: ``profile_changed(User)``."""

    profile_changed = Signal(object)

    def __init__(self, runner: TaskRunner, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.user = user
        self.name_field = QLineEdit(user.name, self)
        self.name_field.setObjectName("user-name")
        self.team_choice = QComboBox(self)
        self.team_choice.setObjectName("user-team")
        self.team_choice.addItem(self.tr("No team"), "")
        for team in Team:
            self.team_choice.addItem(fmt.team_name(team.value), team.value)
        self.team_choice.setCurrentIndex(max(0, self.team_choice.findData(user.team.value if user.team else "")))
        role = QLabel(QCoreApplication.translate("SettingsDialog", ROLE_NAMES[user.role]), self)
        role.setToolTip(self.tr("Administrators change roles."))
        login = QLabel(user.login, self)
        login.setTextFormat(Qt.TextFormat.PlainText)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("user-save")
        self.save_button.clicked.connect(self.save)
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        form.addRow(self.tr("Login"), login)
        form.addRow(self.tr("Name"), self.name_field)
        form.addRow(self.tr("Role"), role)
        form.addRow(self.tr("Team"), self.team_choice)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.message, 1)
        layout.addLayout(row)
        layout.addStretch(1)

    def save(self) -> None:
        user, name = self.user, self.name_field.text()
        team_value = str(self.team_choice.currentData() or "")
        team = Team(team_value) if team_value else None
        self.runner.write(
            lambda cache: account_setup.update_profile(cache, user, name=name, team=team),
            done=self._saved,
            failed=lambda error: self.message.setText(error.message),
            owner=self,
            label="profile",
        )

    def _saved(self, user: User) -> None:
        self.user = user
        self.message.setText(self.tr("Saved."))
        self.profile_changed.emit(user)


class AppearancePage(QWidget):
    """Theme (applied at once) and language (on the next start). Attributes: ``theme_choice``,
    ``language_choice``, ``restart_note``."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.theme_choice = QComboBox(self)
        self.theme_choice.setObjectName("theme")
        for theme, text in zip(THEMES, (self.tr("Follow the system"), self.tr("Light"), self.tr("Dark")), strict=True):
            self.theme_choice.addItem(text, theme)
        self.theme_choice.setCurrentIndex(THEMES.index(saved_theme(settings)))
        self.theme_choice.currentIndexChanged.connect(lambda _i: self._theme_changed())
        self.language_choice = QComboBox(self)
        self.language_choice.setObjectName("language")
        self.language_choice.addItem(self.tr("The system's language"), "")
        for code, name in LANGUAGES.items():
            self.language_choice.addItem(name, code)
        saved = str(settings.value(LANGUAGE_KEY) or "")
        self.language_choice.setCurrentIndex(max(0, self.language_choice.findData(saved)))
        self.language_choice.currentIndexChanged.connect(lambda _i: self._language_changed())
        self.restart_note = QLabel(self.tr("The language changes when OmniInbox is started again."), self)
        self.restart_note.setObjectName("restart-note")
        self.restart_note.setWordWrap(True)
        self.restart_note.setVisible(False)
        form = QFormLayout()
        form.addRow(self.tr("Theme"), self.theme_choice)
        form.addRow(self.tr("Language"), self.language_choice)
        form.addRow("", self.restart_note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)

    def _theme_changed(self) -> None:
        theme = str(self.theme_choice.currentData())
        self.settings.setValue(THEME_KEY, theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)

    def _language_changed(self) -> None:
        self.settings.setValue(LANGUAGE_KEY, str(self.language_choice.currentData()))
        self.restart_note.setVisible(True)


class NotificationsPage(QWidget):
    """Which desktop notifications to show. Attributes: ``assigned_box``, ``must_answer_box``,
    ``failed_sends_box``."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.must_answer_box = QCheckBox(self.tr("When an issue must be answered"), self)
        self.must_answer_box.setObjectName("notify-must-answer")
        self.failed_sends_box = QCheckBox(self.tr("When a reply could not be sent"), self)
        self.failed_sends_box.setObjectName("notify-failed-sends")
        self.assigned_box = QCheckBox(self.tr("When a conversation is assigned to me"), self)
        self.assigned_box.setObjectName("notify-assigned")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Show a desktop notification:"), self))
        for box, key in (
            (self.assigned_box, NOTIFY_ASSIGNED_KEY),
            (self.must_answer_box, NOTIFY_MUST_ANSWER_KEY),
            (self.failed_sends_box, NOTIFY_FAILED_SENDS_KEY),
        ):
            box.setChecked(notify_enabled(settings, key))
            box.toggled.connect(lambda on, k=key: self.settings.setValue(k, on))
            layout.addWidget(box)
        layout.addStretch(1)


class ShortcutsPage(QWidget):
    """Every command and its key, editable. The first key of a command is edited here; its other
    keys (``Enter`` beside ``Return``) stay. Attributes: ``table``, ``editors`` (id ->
    ``QKeySequenceEdit``), ``message``, ``reset_button``."""

    def __init__(self, shortcuts: Shortcuts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shortcuts = shortcuts
        self.editors: dict[str, QKeySequenceEdit] = {}
        self.table = QTableWidget(len(SHORTCUTS), 3, self)
        self.table.setObjectName("shortcuts-table")
        self.table.setHorizontalHeaderLabels([self.tr("Command"), self.tr("Key"), self.tr("Also")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for row, spec in enumerate(SHORTCUTS):
            self.table.setItem(row, 0, QTableWidgetItem(describe(spec)))
            editor = QKeySequenceEdit(self.table)
            editor.setObjectName(f"keys-{spec.id}")
            editor.setMaximumSequenceLength(1)
            editor.setClearButtonEnabled(True)
            editor.setToolTip(
                self.tr("Press the new key. Cleared: back to the default (%1).").replace("%1", _keys_text(spec.keys))
            )
            editor.editingFinished.connect(lambda i=spec.id: self._edited(i))
            self.table.setCellWidget(row, 1, editor)
            self.table.setItem(row, 2, QTableWidgetItem())
            self.editors[spec.id] = editor
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(1, 180)
        self.message = QLabel(self)
        self.message.setObjectName("shortcut-message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.reset_button = QPushButton(self.tr("Restore the defaults"), self)
        self.reset_button.setObjectName("shortcuts-reset")
        self.reset_button.clicked.connect(self.reset)
        row_layout = QHBoxLayout()
        row_layout.addWidget(self.message, 1)
        row_layout.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row_layout)
        self.show_keys()

    def show_keys(self) -> None:
        for row, spec in enumerate(SHORTCUTS):
            keys = self.shortcuts.keys(spec.id)
            editor = self.editors[spec.id]
            editor.blockSignals(True)
            editor.setKeySequence(QKeySequence(keys[0]) if keys else QKeySequence())
            editor.blockSignals(False)
            also = self.table.item(row, 2)
            if also is not None:
                also.setText(_keys_text(keys[1:]))

    def set_key(self, shortcut_id: str, key: str) -> bool:
        """Bind ``key`` as the first key of a command (``""``: back to the default), unless
        another command has it: then refuse, name that command, and keep the keys as they were."""
        if not key:
            self.shortcuts.set_keys(shortcut_id, None)
            self.message.setText(
                self.tr("“%1” is back to its default key.").replace("%1", describe(BY_ID[shortcut_id]))
            )
            self.show_keys()
            return True
        current = self.shortcuts.keys(shortcut_id)
        keys = (key, *(k for k in current[1:] if _portable(k) != _portable(key)))
        other = shortcut_conflict(self.shortcuts, shortcut_id, keys)
        if other is not None:
            self.message.setText(
                self.tr("%1 is already the key of “%2”. Choose another key, or change that command first.")
                .replace("%1", _keys_text((key,)))
                .replace("%2", describe(BY_ID[other]))
            )
            self.show_keys()
            return False
        self.shortcuts.set_keys(shortcut_id, keys)
        self.message.setText("")
        self.show_keys()
        return True

    def _edited(self, shortcut_id: str) -> None:
        sequence = self.editors[shortcut_id].keySequence()
        key = sequence.toString(QKeySequence.SequenceFormat.PortableText)
        if key == self.shortcuts.keys(shortcut_id)[0]:
            return
        self.set_key(shortcut_id, key)

    def reset(self) -> None:
        for spec in SHORTCUTS:
            self.shortcuts.set_keys(spec.id, None)
        self.message.setText(self.tr("Every command has its default key again."))
        self.show_keys()


# ---------------------------------------------------------------------------------- the dialog


class SettingsDialog(QDialog):
    """The settings, a page per subject. Attributes: ``pages`` (``QListWidget``), ``stack``,
    ``accounts``, ``user_page``, ``appearance``, ``notifications``, ``shortcut_page``, ``radar_page``,
    ``team_page``.

    ``secrets``: where account secrets go (tests give an in-memory store); by default the system
    keyring, or the plain-text file once the person opted in."""

    profile_changed = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        user: User,
        shortcuts: Shortcuts,
        settings: QSettings,
        *,
        secrets: SecretStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings-dialog")
        self.setWindowTitle(self.tr("Settings"))
        self.accounts = AccountsPage(runner, user, settings, secrets, self)
        self.user_page = UserPage(runner, user, self)
        self.user_page.profile_changed.connect(self.profile_changed)
        self.appearance = AppearancePage(settings, self)
        self.notifications = NotificationsPage(settings, self)
        self.shortcut_page = ShortcutsPage(shortcuts, self)
        self.radar_page = RadarSettingsPage(runner, user, self)  # the issue radar's thresholds
        self.team_page = TeamHubPage(runner, secrets, self)  # team mode: the hub and the login at this desk
        self.radar_page.registry_requested.connect(lambda: show_kol_registry(self, runner, user))
        self.pages = QListWidget(self)
        self.pages.setObjectName("settings-pages")
        self.pages.setSpacing(3)
        self.stack = QStackedWidget(self)
        for title, page in (
            (self.tr("Accounts"), self.accounts),
            (self.tr("User"), self.user_page),
            (self.tr("Appearance"), self.appearance),
            (self.tr("Notifications"), self.notifications),
            (self.tr("Shortcuts"), self.shortcut_page),
            (self.tr("Issue radar"), self.radar_page),
            (self.tr("Team hub"), self.team_page),
        ):
            self.pages.addItem(title)
            self.stack.addWidget(page)
        self.pages.setFixedWidth(self.pages.sizeHintForColumn(0) + 32)
        self.pages.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.pages.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.pages)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        screen = QGuiApplication.primaryScreen()
        self.resize(980, 620 if screen is None else min(620, screen.availableGeometry().height() - 80))

    def show_page(self, page: QWidget) -> None:
        self.pages.setCurrentRow(self.stack.indexOf(page))
