"""Settings > Team hub: the hub this desk works on in team mode (its address and the login at this
desk, saved by :mod:`omniinbox.team_settings`; the password only in the keyring), tried before it
is saved. The window opens in team mode on the next start; ``omniinbox --solo`` ignores it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from omniinbox import team_settings
from omniinbox.secrets import SecretStore, SecretsUnavailable
from omniinbox.team_settings import TeamConnection, TeamSettingsError
from omniinbox.ui.tasks import TaskRunner


class TeamHubPage(QWidget):
    """Attributes: ``dsn_field``, ``login_field``, ``password_field``, ``enabled_box``,
    ``try_button``, ``save_button``, ``forget_button``, ``message``."""

    def __init__(self, runner: TaskRunner, secrets: SecretStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._secrets = secrets
        saved = self._saved()
        self.dsn_field = QLineEdit(saved.dsn if saved else "", self)
        self.dsn_field.setObjectName("hub-dsn")
        self.dsn_field.setPlaceholderText("host=db.example dbname=omniinbox")
        self.login_field = QLineEdit(saved.login if saved else "", self)
        self.login_field.setObjectName("hub-login")
        self.password_field = QLineEdit(self)
        self.password_field.setObjectName("hub-password")
        self.password_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_field.setPlaceholderText(self.tr("kept in the keyring; empty: keep the stored one"))
        self.enabled_box = QCheckBox(self.tr("Open the window on this hub (team mode) at the next start"), self)
        self.enabled_box.setChecked(saved.enabled if saved else True)
        self.try_button = QPushButton(self.tr("Try the connection"), self)
        self.try_button.clicked.connect(self.try_connection)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("hub-save")
        self.save_button.clicked.connect(self.save)
        self.forget_button = QPushButton(self.tr("Forget this hub"), self)
        self.forget_button.clicked.connect(self.forget)
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        about = QLabel(
            self.tr(
                "In team mode this desk keeps a copy of what you may see on the team's hub, sends your actions "
                "to it and keeps working offline. The hub's sync workers read the platforms."
            ),
            self,
        )
        about.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Hub address"), self.dsn_field)
        form.addRow(self.tr("Login"), self.login_field)
        form.addRow(self.tr("Password"), self.password_field)
        buttons = QHBoxLayout()
        for button in (self.try_button, self.save_button, self.forget_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.enabled_box)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def _saved(self) -> TeamConnection | None:
        try:
            return team_settings.load()
        except TeamSettingsError:
            return None

    def connection(self) -> TeamConnection:
        return TeamConnection(
            self.dsn_field.text().strip(), self.login_field.text().strip(), self.enabled_box.isChecked()
        )

    def _store(self) -> SecretStore:
        return self._secrets if self._secrets is not None else SecretStore.system()

    def try_connection(self) -> None:
        connection, password = self.connection(), self.password_field.text()
        self.message.setText(self.tr("Trying…"))

        def attempt() -> tuple[bool, str]:
            try:
                return True, team_settings.try_connection(connection, password)
            except TeamSettingsError as exc:  # the hub's reason, for the person at the desk
                return False, str(exc)

        self.runner.network(attempt, done=self._tried, failed=lambda error: self.message.setText(error.message),
                            owner=self, label="hub connection")  # fmt: skip

    def _tried(self, outcome: tuple[bool, str]) -> None:
        ok, text = outcome
        self.message.setText(self.tr("Connected as %1.").replace("%1", text) if ok else text)

    def save(self) -> None:
        connection, password = self.connection(), self.password_field.text()
        try:
            team_settings.save(connection)
            if password:
                team_settings.keep_password(connection, password, self._store())
        except (TeamSettingsError, SecretsUnavailable) as exc:
            self.message.setText(str(exc))
            return
        self.password_field.clear()
        note = self.tr("Saved. The window opens in team mode at the next start.")
        self.message.setText(note if connection.enabled else self.tr("Saved; team mode is off."))

    def forget(self) -> None:
        team_settings.forget()
        self.dsn_field.clear()
        self.login_field.clear()
        self.password_field.clear()
        self.message.setText(self.tr("Forgotten: the window opens on this desk's own cache."))
