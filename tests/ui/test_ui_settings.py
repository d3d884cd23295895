"""The settings dialog: an account added through it against the sandbox (checked on the network pool,
its secret in an injected keyring and never in the cache file), removed again (secret deleted);
no keyring means no silent plain text; shortcut conflicts refused with the other command's name;
profile, theme and language; and the Bahasa Indonesia translation (complete, and loaded by the
main window)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTranslator
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget
from ui_support import Sample, wait_idle

from omniinbox import account_setup
from omniinbox.core import Team
from omniinbox.sandbox.hub import Sandbox, start_sandbox
from omniinbox.secrets import PlaintextFileKeyring, SecretStore, SecretsUnavailable
from omniinbox.store import views
from omniinbox.ui.app import RESOURCES
from omniinbox.ui.main_window import MainWindow
from omniinbox.ui.settings_dialog import (
    LANGUAGE_KEY,
    PLAINTEXT_SECRETS_KEY,
    THEME_KEY,
    SettingsDialog,
    apply_theme,
    chosen_locale,
)
from omniinbox.ui.shortcuts import Shortcuts
from omniinbox.ui.tasks import TaskRunner

TRANSLATIONS = RESOURCES / "translations"


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "desktop.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def shortcuts(qtbot: Any, settings: QSettings) -> Shortcuts:
    host = QWidget()
    qtbot.addWidget(host)
    return Shortcuts(host, settings)


@pytest.fixture
def store() -> SecretStore:
    return SecretStore.in_memory()


@pytest.fixture
def dialog(
    qtbot: Any, runner: TaskRunner, sample: Sample, shortcuts: Shortcuts, settings: QSettings, store: SecretStore
) -> Iterator[SettingsDialog]:
    d = SettingsDialog(runner, sample.admin, shortcuts, settings, secrets=store)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitUntil(lambda: len(d.accounts.rows) > 0, timeout=5000)
    yield d
    wait_idle(qtbot, runner)
    d.close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = start_sandbox(platforms=["zendesk"], live=False)
    yield sb
    sb.stop()


def _cache_bytes(sample: Sample) -> bytes:
    return b"".join(p.read_bytes() for p in sample.path.parent.glob(sample.path.name + "*"))


def test_an_account_is_added_checked_and_removed_through_the_dialog(
    qtbot: Any, runner: TaskRunner, sample: Sample, dialog: SettingsDialog, store: SecretStore, sandbox: Sandbox
) -> None:
    offered = sandbox.accounts[0]
    page = dialog.accounts
    assert store.description in page.storage_label.text()
    before = len(page.rows)
    add = page.open_add_dialog()
    qtbot.addWidget(add)
    add.set_channel("zendesk")
    assert add.url_field.isVisibleTo(add) and set(add.setting_fields) >= {"email", "since"}
    assert store.description in add.storage_label.text()
    add.key_field.setText(offered.handle)
    add.name_field.setText(offered.name)
    add.url_field.setText(offered.url)
    for name, value in offered.settings.items():
        add.setting_fields[name].setText(value)
    add.secret_field.setText(offered.secret)
    assert add.secret_field.echoMode() is add.secret_field.EchoMode.Password

    add.check_button.click()
    qtbot.waitUntil(lambda: "agent@sukamaju.go.id" in add.result_label.text(), timeout=10000)
    assert "Can reply: yes" in add.result_label.text()
    with qtbot.waitSignal(add.account_added, timeout=10000) as added:
        add.add_button.click()
    account = added.args[0]
    assert account.key == offered.key and account.base_url == offered.url
    qtbot.waitUntil(lambda: len(page.rows) == before + 1, timeout=5000)
    wait_idle(qtbot, runner)

    # the secret is in the keyring, named by the account; the cache file holds only the name
    assert store.get(offered.key) == offered.secret
    assert offered.secret.encode() not in _cache_bytes(sample)
    stored = next(a for a in views.accounts(sample.cache) if a.key == offered.key)
    assert stored.secret_ref == offered.key and offered.secret not in str(stored.settings)

    page.select(offered.key)
    assert page.remove_button.isEnabled()
    asked: list[str] = []
    page.confirm = lambda key: asked.append(key) is None
    page.remove_selected()
    qtbot.waitUntil(lambda: any(r.key == offered.key and not r.enabled for r in page.rows), timeout=5000)
    assert asked == [offered.key]
    assert store.get(offered.key) is None
    assert not page.remove_button.isEnabled()


def test_a_refused_check_keeps_the_account_out(
    qtbot: Any, runner: TaskRunner, dialog: SettingsDialog, store: SecretStore, sandbox: Sandbox
) -> None:
    offered = sandbox.accounts[0]
    add = dialog.accounts.open_add_dialog()
    qtbot.addWidget(add)
    add.set_channel("zendesk")
    add.key_field.setText("wrong")
    add.url_field.setText(offered.url)
    add.setting_fields["email"].setText("agent@sukamaju.go.id")
    add.add_button.click()  # no secret: refused before any network call
    assert "secret" in add.result_label.text()
    add.secret_field.setText("not-the-token")
    add.add_button.click()
    qtbot.waitUntil(lambda: "failed" in add.result_label.text(), timeout=10000)
    wait_idle(qtbot, runner)
    assert "not-the-token" not in add.result_label.text()
    assert store.get("zendesk:wrong") is None
    assert all(r.key != "zendesk:wrong" for r in dialog.accounts.rows)


def test_without_a_keyring_secrets_need_the_explicit_plain_text_opt_in(
    qtbot: Any, runner: TaskRunner, sample: Sample, shortcuts: Shortcuts, settings: QSettings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    file = tmp_path / "secrets-plaintext.json"

    def no_keyring(*, allow_plaintext: bool = False) -> SecretStore:
        if allow_plaintext:
            return SecretStore(PlaintextFileKeyring(file), secure=False)
        raise SecretsUnavailable("no system keyring")

    monkeypatch.setattr(account_setup, "secret_store", no_keyring)
    monkeypatch.setattr(account_setup, "plaintext_opted_in", file.exists)
    d = SettingsDialog(runner, sample.admin, shortcuts, settings)
    qtbot.addWidget(d)
    page = d.accounts
    assert "No system keyring" in page.storage_label.text()
    assert page.plaintext_box.isVisibleTo(d) and not page.plaintext_box.isChecked()
    assert not page.add_button.isEnabled()
    page.plaintext_box.setChecked(True)
    assert page.add_button.isEnabled()
    assert "plain-text file" in page.storage_label.text() and "not encrypted" in page.storage_label.text()
    assert settings.value(PLAINTEXT_SECRETS_KEY) in (True, "true")
    wait_idle(qtbot, runner)


def test_a_key_of_another_command_is_refused_with_its_name(
    dialog: SettingsDialog, shortcuts: Shortcuts, settings: QSettings
) -> None:
    page = dialog.shortcut_page
    assert page.set_key("reply", "J") is False
    assert "Next item" in page.message.text()
    assert shortcuts.keys("reply") == ("R",)
    assert page.editors["reply"].keySequence().toString() == "R"

    assert page.set_key("reply", "Ctrl+R") is True
    assert shortcuts.keys("reply") == ("Ctrl+R",)
    assert shortcuts.action("reply").shortcut() == QKeySequence("Ctrl+R")  # applied at once
    assert settings.value("shortcuts/reply") == "Ctrl+R"
    assert page.set_key("open", "O") is True
    assert shortcuts.keys("open") == ("O", "Enter")  # the other key stays
    page.reset()
    assert shortcuts.keys("reply") == ("R",) and shortcuts.keys("open") == ("Return", "Enter")
    assert settings.value("shortcuts/reply") is None


def test_the_profile_name_and_team_are_saved(
    qtbot: Any, runner: TaskRunner, sample: Sample, dialog: SettingsDialog
) -> None:
    page = dialog.user_page
    page.name_field.setText("  Dewi   Lestari ")
    page.team_choice.setCurrentIndex(page.team_choice.findData(Team.CONTACT_CENTER.value))
    with qtbot.waitSignal(dialog.profile_changed, timeout=5000) as saved:
        page.save_button.click()
    assert saved.args[0].name == "Dewi Lestari" and saved.args[0].team is Team.CONTACT_CENTER
    wait_idle(qtbot, runner)
    row = sample.cache.conn.execute("SELECT name, team FROM users WHERE id = ?", (sample.admin.id,)).fetchone()
    assert tuple(row) == ("Dewi Lestari", "contact_center")


def test_theme_applies_at_once_and_language_on_restart(dialog: SettingsDialog, settings: QSettings) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    page = dialog.appearance
    try:
        page.theme_choice.setCurrentIndex(page.theme_choice.findData("dark"))
        assert app.palette().color(QPalette.ColorRole.Window).name() == "#202124"
        assert settings.value(THEME_KEY) == "dark"
        page.theme_choice.setCurrentIndex(page.theme_choice.findData("light"))
        assert app.palette().color(QPalette.ColorRole.Window).name() != "#202124"
    finally:
        apply_theme(app, "system")
    assert chosen_locale(settings) is None
    page.language_choice.setCurrentIndex(page.language_choice.findData("id"))
    assert settings.value(LANGUAGE_KEY) == "id"
    assert not page.restart_note.isHidden()
    locale = chosen_locale(settings)
    assert locale is not None and locale.language() is QLocale.Language.Indonesian


def test_the_notification_choices_are_kept(dialog: SettingsDialog, settings: QSettings) -> None:
    page = dialog.notifications
    assert page.must_answer_box.isChecked() and page.failed_sends_box.isChecked()
    page.failed_sends_box.setChecked(False)
    assert settings.value("notifications/failed_sends") in (False, "false")


def test_file_settings_opens_the_dialog(qtbot: Any, runner: TaskRunner, sample: Sample, settings: QSettings) -> None:
    window = MainWindow(runner, sample.social, settings)
    qtbot.addWidget(window)
    assert window.settings_action.shortcut() == QKeySequence("Ctrl+,")
    opened = window.show_settings()
    qtbot.waitUntil(lambda: len(opened.accounts.rows) > 0, timeout=5000)
    assert opened.isVisible() and opened.shortcut_page.shortcuts is window.shortcuts
    opened.close()
    wait_idle(qtbot, runner)


# ---------------------------------------------------------------------------------- Bahasa Indonesia


def test_the_indonesian_translation_loads_and_translates_the_main_window(
    qtbot: Any, runner: TaskRunner, sample: Sample, settings: QSettings
) -> None:
    translator = QTranslator()
    locale = QLocale(QLocale.Language.Indonesian, QLocale.Country.Indonesia)
    assert translator.load(locale, "omniinbox", "_", str(TRANSLATIONS))
    app = QCoreApplication.instance()
    assert app is not None
    app.installTranslator(translator)
    try:
        window = MainWindow(runner, sample.social, settings)
        qtbot.addWidget(window)
        assert window.tabs.tabText(0) == "Kotak Masuk"
        assert window.windowTitle() == "OmniInbox"
        menus = [a.text() for a in window.menuBar().actions()]
        assert "&Berkas" in menus
        assert QCoreApplication.translate("SettingsDialog", "Settings") == "Pengaturan"
        # Qt has no Indonesian of its own: its dialog buttons come from our translation
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel is not None and cancel.text() == "Batal"
        wait_idle(qtbot, runner)
    finally:
        app.removeTranslator(translator)
    assert QCoreApplication.translate("SettingsDialog", "Settings") == "Settings"


def test_no_string_of_the_indonesian_translation_is_left_unfinished() -> None:
    root = ET.parse(TRANSLATIONS / "omniinbox_id.ts").getroot()  # noqa: S314 (our own file, in the repository)
    assert root.get("language", "").startswith("id")
    messages = root.findall("./context/message")
    assert len(messages) > 200
    left = []
    for message in messages:
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        kind = translation.get("type")
        if kind in {"vanished", "obsolete"}:
            continue
        forms = translation.findall("numerusform")
        texts = [f.text or "" for f in forms] if message.get("numerus") == "yes" else [translation.text or ""]
        if kind == "unfinished" or not all(t.strip() for t in texts):
            left.append(source)
        for text in texts:  # placeholders survive translation
            for mark in ("%1", "%2", "%n"):
                assert (mark in source) == (mark in text), (source, text)
    assert not left, f"untranslated: {left[:10]}"
    assert (TRANSLATIONS / "omniinbox_id.qm").stat().st_size > 1000


# ---------------------------------------------------------------------------------- issue radar


def test_the_issue_radar_page_is_editable_by_supervisors_only(
    qtbot: Any, runner: TaskRunner, sample: Sample, shortcuts: Shortcuts, settings: QSettings
) -> None:
    pages = {}
    for user in (sample.supervisor, sample.agent):
        d = SettingsDialog(runner, user, shortcuts, settings, secrets=SecretStore.in_memory())
        qtbot.addWidget(d)
        titles = [d.pages.item(i).text() for i in range(d.pages.count())]
        assert "Issue radar" in titles and titles[-1] == "Team hub"
        d.show_page(d.radar_page)
        pages[user.login] = d.radar_page
    wait_idle(qtbot, runner)
    supervisor, agent = pages["supervisor-1"], pages["agent-1"]
    assert supervisor.editable and not supervisor.fields["public_hours"].isReadOnly()
    assert not agent.editable and agent.fields["public_hours"].isReadOnly()
    assert agent.fields["public_hours"].text() == "2"
    assert agent.note.isVisibleTo(agent) and not supervisor.note.isVisibleTo(supervisor)


def test_the_issue_radar_page_speaks_indonesian(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    from omniinbox.ui.kol_registry import RadarSettingsPage

    translator = QTranslator()
    locale = QLocale(QLocale.Language.Indonesian, QLocale.Country.Indonesia)
    assert translator.load(locale, "omniinbox", "_", str(TRANSLATIONS))
    app = QCoreApplication.instance()
    assert app is not None
    app.installTranslator(translator)
    try:
        page = RadarSettingsPage(runner, sample.agent)
        qtbot.addWidget(page)
        assert page.registry_button.text() == "Tokoh kunci (KOL)…"
        assert "supervisor" in page.note.text() and "Hanya" in page.note.text()
        assert page.fields["window_hours"].toolTip().startswith("Pesan hanya dikelompokkan")
        wait_idle(qtbot, runner)
    finally:
        app.removeTranslator(translator)
