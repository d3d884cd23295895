"""The issue radar's settings page (File > Settings > Issue radar), the key opinion leader registry
(View > Key opinion leaders, or the button on that page) and the author card's KOL actions.

* :class:`RadarSettingsPage`: every threshold of :class:`omniinbox.triage.settings.TriageSettings`
  with its meaning and unit. Supervisors and administrators edit them (others read them, with a
  note saying why); *Save* checks every field first (a clear message names the field), saves
  through :func:`omniinbox.triage.settings.save` on the writer and re-assesses the radar there
  (``triage.update``), as ``omniinbox issues --set`` does.
* :class:`KolRegistryDialog`: three tabs. *Registry*: one row per person (linked identities
  together): name, handles per channel, followers, kind, items, last seen; *Unmark*, *Unlink*.
  *Suggestions*: who the radar suggests and why (followers, verification, past reach); *Accept*
  (as the kind chosen) and *Dismiss*. *Find people*: contacts by name or handle; several chosen
  (the same journalist on X, Instagram and Facebook) are *linked as one person*; *Mark as KOL*.
* :class:`AuthorKolActions`: *Mark as KOL…* and *Same person as…* under the author card.

Reads are :mod:`omniinbox.store.kol_views` on the reader pool; writes are
:mod:`omniinbox.triage.kol` on the writer, followed by ``triage.update`` so the issues holding
these people's items are re-assessed at once. Names and handles are shown as plain text only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from omniinbox.core import User, from_millis
from omniinbox.store import kol_views
from omniinbox.store.cache import Cache
from omniinbox.store.issues import KolSuggestionRow
from omniinbox.store.kol_views import Identity, KolPerson
from omniinbox.triage import settings as triage_settings
from omniinbox.triage.kol import KINDS
from omniinbox.ui import format as fmt
from omniinbox.ui.format import QT_TRANSLATE_NOOP
from omniinbox.ui.radar import refusals
from omniinbox.ui.tasks import Changes, TaskError, TaskRunner

T = TypeVar("T")
CONTEXT = "RadarSettingsPage"

# Each threshold: (label, unit, meaning), in English source words (translated on display).
SETTING_TEXTS: dict[str, tuple[str, str, str]] = {
    "window_hours": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Grouping window"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "hours"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage", "Messages are grouped only with messages created within this many hours of them."
        ),
    ),
    "horizon_days": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Horizon"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "days"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage", "Messages older than this when first seen are history: not grouped into issues."
        ),
    ),
    "issue_min_items": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Issue: messages"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "messages"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage", "A group becomes an issue (level 1) with at least this many counted messages..."
        ),
    ),
    "issue_min_authors": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Issue: authors"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "authors"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "...and at least this many distinct authors."),
    ),
    "public_authors": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Public interest: authors"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "authors"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage", "Level 3 (public interest) with this many distinct authors within the hours below..."
        ),
    ),
    "public_hours": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Public interest: within"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "hours"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "...counted over this many hours..."),
    ),
    "public_channels": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Public interest: channels"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "channels"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "...on at least this many channels."),
    ),
    "public_engagement": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Public interest: engagement"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "likes, shares and replies"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage",
            "Or level 3 when likes, shares and replies together reach this (0: never by engagement).",
        ),
    ),
    "kol_followers_auto": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "KOL by followers"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "followers"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage",
            "Authors with this many followers count as key opinion leaders for levels even when not in the registry"
            " (0: only the registry).",
        ),
    ),
    "answer_deadline_minutes": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Answer deadline"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "minutes"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage", "A must-answer issue is due this many minutes after it reaches level 3."
        ),
    ),
    "velocity_hours": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Velocity window"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "hours"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Velocity (messages per hour) is counted over this many hours."),
    ),
    "flood_min_authors": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Flood: accounts"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "accounts"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage",
            "The same text from this many low-follower accounts is a flood, kept out of the counts.",
        ),
    ),
    "flood_max_followers": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Flood: low-follower"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "followers at most"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage", "Accounts with at most this many followers count as low-follower for floods."
        ),
    ),
    "kol_suggest_followers": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Suggest KOL: followers"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "followers"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage", "Authors with this many followers are suggested as key opinion leaders."
        ),
    ),
    "kol_suggest_reach": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Suggest KOL: reach"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "likes, shares and replies"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage",
            "Authors whose recent messages drew this much engagement are suggested as key opinion leaders"
            " (0: never by reach).",
        ),
    ),
    "generic_terms": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Generic words"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "words, separated by commas"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage",
            "Words that never tie messages together (the institution's own names), besides the lexicon's.",
        ),
    ),
    "generic_hashtags": (
        QT_TRANSLATE_NOOP("RadarSettingsPage", "Generic hashtags"),
        QT_TRANSLATE_NOOP("RadarSettingsPage", "hashtags, separated by commas"),
        QT_TRANSLATE_NOOP(
            "RadarSettingsPage",
            "Hashtags that never tie messages together (the institution's own campaigns), besides the lexicon's.",
        ),
    ),
}
LABEL_WIDTH = 210  # the settings' names, in one column
ZERO_MEANS_OFF = frozenset({"kol_followers_auto", "public_engagement", "kol_suggest_reach"})

KIND_NAMES = {
    "journalist": QT_TRANSLATE_NOOP("KolRegistryDialog", "Journalist"),
    "official": QT_TRANSLATE_NOOP("KolRegistryDialog", "Official"),
    "influencer": QT_TRANSLATE_NOOP("KolRegistryDialog", "Influencer"),
    "media": QT_TRANSLATE_NOOP("KolRegistryDialog", "Media"),
}


def tr(text: str, context: str = CONTEXT) -> str:
    return QCoreApplication.translate(context, text)


def kind_name(kind: str) -> str:
    return tr(KIND_NAMES[kind], "KolRegistryDialog") if kind in KIND_NAMES else kind


def _ms_text(ms: int | None) -> str:
    return fmt.when(from_millis(ms)) if ms is not None else "—"


def _followers_text(n: int | None) -> str:
    return f"{n:,}" if n is not None else "—"


def _reassessed(fn: Callable[[Cache], T]) -> Callable[[Cache], T]:
    """A KOL or settings write, then the radar re-assessing the issues it touched (cheap when
    nothing else changed), both on the writer; refusals reach people with their message."""

    def run(cache: Cache) -> T:
        from omniinbox import triage

        result = fn(cache)
        triage.update(cache)
        return result

    return refusals(run)


def format_value(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check_values(texts: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Parse the fields' texts: ``(values, problems)``, a problem naming its field in people's words."""
    defaults = triage_settings.DEFAULTS
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, text in texts.items():
        label = tr(SETTING_TEXTS[name][0])
        default = getattr(defaults, name)
        if isinstance(default, tuple):
            values[name] = tuple(w.strip() for w in text.replace(";", ",").split(",") if w.strip())
            continue
        raw = text.strip().replace(" ", "")
        try:
            number: float | int = int(raw) if isinstance(default, int) else float(raw.replace(",", "."))
        except ValueError:
            kind = (
                QCoreApplication.translate("RadarSettingsPage", "a whole number")
                if isinstance(default, int)
                else QCoreApplication.translate("RadarSettingsPage", "a number")
            )
            problems.append(
                QCoreApplication.translate("RadarSettingsPage", "“%1” must be %2, not “%3”.")
                .replace("%1", label)
                .replace("%2", kind)
                .replace("%3", text)
            )
            continue
        if number < 0 or (number == 0 and name not in ZERO_MEANS_OFF):
            rule = (
                QCoreApplication.translate("RadarSettingsPage", "0 or more (0 turns it off)")
                if name in ZERO_MEANS_OFF
                else QCoreApplication.translate("RadarSettingsPage", "above zero")
            )
            problems.append(
                QCoreApplication.translate("RadarSettingsPage", "“%1” must be %2.")
                .replace("%1", label)
                .replace("%2", rule)
            )
            continue
        values[name] = number
    return values, problems


# ---------------------------------------------------------------------------------- settings page


class RadarSettingsPage(QWidget):
    """Settings > Issue radar. Attributes: ``fields`` (setting name -> ``QLineEdit``),
    ``save_button``, ``defaults_button``, ``registry_button``, ``note`` (why it is read-only),
    ``message``, ``editable``, ``current`` (the stored settings, once read).

    Signals: ``saved(TriageSettings)``, ``registry_requested()``."""

    saved = Signal(object)
    registry_requested = Signal()

    def __init__(self, runner: TaskRunner, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("radar-settings")
        self.runner = runner
        self.user = user
        self.editable = user.role in triage_settings.EDITORS
        self.current: triage_settings.TriageSettings | None = None
        self.fields: dict[str, QLineEdit] = {}

        intro = QLabel(
            self.tr(
                "When messages become an issue, and when an issue reaches level 3 (public interest). "
                "Saved thresholds apply to every desk using this cache; open issues are re-assessed at once."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.note = QLabel(
            self.tr("Only a supervisor or an administrator can change these thresholds; you can read them."), self
        )
        self.note.setObjectName("radar-settings-note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("font-style: italic")
        self.note.setVisible(not self.editable)

        form_widget = QWidget(self)
        column = QVBoxLayout(form_widget)
        column.setSpacing(2)
        for f in fields(triage_settings.TriageSettings):
            label, unit, meaning = SETTING_TEXTS[f.name]
            wide = isinstance(f.default, tuple)
            field = QLineEdit(form_widget)
            field.setObjectName(f"radar-{f.name}")
            field.setReadOnly(not self.editable)
            field.setToolTip(tr(meaning))
            field.setPlaceholderText(format_value(f.default))
            if not wide:
                field.setFixedWidth(120)
                field.setAlignment(Qt.AlignmentFlag.AlignRight)
            name_label = QLabel(tr(label), form_widget)
            name_label.setFixedWidth(LABEL_WIDTH)
            name_label.setBuddy(field)
            line = QHBoxLayout()
            line.addWidget(name_label)
            line.addWidget(field, 1 if wide else 0)
            if not wide:
                line.addWidget(QLabel(tr(unit), form_widget))
                line.addStretch(1)
            help_label = QLabel(tr(meaning), form_widget)
            help_label.setWordWrap(True)
            help_label.setTextFormat(Qt.TextFormat.PlainText)
            help_label.setStyleSheet("color: palette(placeholder-text)")
            under = QHBoxLayout()
            under.setContentsMargins(0, 0, 0, 8)
            under.addSpacing(LABEL_WIDTH + line.spacing())
            under.addWidget(help_label, 1)
            column.addLayout(line)
            column.addLayout(under)
            self.fields[f.name] = field
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_widget)

        self.message = QLabel(self)
        self.message.setObjectName("radar-settings-message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("radar-settings-save")
        self.save_button.clicked.connect(self.save)
        self.defaults_button = QPushButton(self.tr("Fill in the defaults"), self)
        self.defaults_button.setObjectName("radar-settings-defaults")
        self.defaults_button.clicked.connect(self.fill_defaults)
        for b in (self.save_button, self.defaults_button):
            b.setVisible(self.editable)
        self.registry_button = QPushButton(self.tr("Key opinion leaders…"), self)
        self.registry_button.setObjectName("open-kol-registry")
        self.registry_button.clicked.connect(self.registry_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.registry_button)
        buttons.addStretch(1)
        buttons.addWidget(self.defaults_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self.runner.read(triage_settings.load, done=self.show_settings, owner=self, label="radar settings")

    def show_settings(self, current: triage_settings.TriageSettings) -> None:
        self.current = current
        for name, value in current.as_dict().items():
            if name in self.fields:
                self.fields[name].setText(format_value(value))

    def fill_defaults(self) -> None:
        for name, value in triage_settings.DEFAULTS.as_dict().items():
            self.fields[name].setText(format_value(value))
        self.message.setText(self.tr("The defaults are filled in; Save keeps them."))

    def changes(self) -> tuple[dict[str, Any], list[str]]:
        """What differs from the stored settings, and the problems of the fields."""
        values, problems = check_values({name: f.text() for name, f in self.fields.items()})
        current = (self.current or triage_settings.DEFAULTS).as_dict()
        changed = {}
        for name, value in values.items():
            stored = current[name]
            if isinstance(value, tuple):
                if tuple(w.casefold().lstrip("#") for w in value) != tuple(stored):
                    changed[name] = list(value)
            elif value != stored:
                changed[name] = value
        return changed, problems

    def save(self) -> None:
        if not self.editable:
            self.message.setText(self.note.text())
            return
        changed, problems = self.changes()
        for name, f in self.fields.items():
            bad = any(tr(SETTING_TEXTS[name][0]) in p for p in problems)
            f.setStyleSheet("border: 1px solid #c62828" if bad else "")
        if problems:
            self.message.setText("\n".join(problems))
            return
        if not changed:
            self.message.setText(self.tr("Nothing changed."))
            return
        user = self.user
        self.save_button.setEnabled(False)
        self.message.setText(self.tr("Saving and re-assessing the open issues…"))
        self.runner.write(
            _reassessed(lambda cache: triage_settings.save(cache, user, changed)),
            done=self._saved,
            failed=self._failed,
            owner=self,
            label="radar settings",
        )

    def _saved(self, current: triage_settings.TriageSettings) -> None:
        self.save_button.setEnabled(True)
        self.show_settings(current)
        self.message.setText(self.tr("Saved. The open issues were re-assessed with the new thresholds."))
        self.saved.emit(current)

    def _failed(self, error: TaskError) -> None:
        self.save_button.setEnabled(True)
        self.message.setText(error.message)


# ---------------------------------------------------------------------------------- registry


def _table(parent: QWidget, name: str, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.setWordWrap(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _cell(text: str, data: Any = None, tip: str = "") -> QTableWidgetItem:
    cell = QTableWidgetItem(text)  # item text is never rich text: names show as typed
    if data is not None:
        cell.setData(Qt.ItemDataRole.UserRole, data)
    if tip:
        cell.setToolTip(tip)
    return cell


def _selected_rows(table: QTableWidget) -> list[int]:
    return sorted({i.row() for i in table.selectedIndexes()})


def handles_text(identities: Sequence[Identity]) -> str:
    return ", ".join(f"{fmt.channel_name(i.channel)}: {i.handle or i.name}" for i in identities)


class RegistrySnapshot:
    def __init__(self, people: list[KolPerson], suggestions: list[KolSuggestionRow]) -> None:
        self.people = people
        self.suggestions = suggestions


def read_registry(conn: sqlite3.Connection) -> RegistrySnapshot:
    return RegistrySnapshot(kol_views.registry_people(conn), kol_views.suggestions(conn))


class KolRegistryDialog(QDialog):
    """View > Key opinion leaders. Attributes: ``tabs``; ``people_table``, ``unmark_button``,
    ``unlink_button`` (registry); ``suggestion_table``, ``accept_kind``, ``accept_button``,
    ``dismiss_button`` (suggestions); ``search_field``, ``found_table``, ``link_button``,
    ``mark_kind``, ``mark_button``, ``unlink_found_button`` (find people); ``message``;
    ``people``, ``suggestions``, ``found`` (what the tables show)."""

    def __init__(self, runner: TaskRunner, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kol-registry")
        self.setWindowTitle(self.tr("Key opinion leaders"))
        self.runner = runner
        self.user = user
        self.people: list[KolPerson] = []
        self.suggestions: list[KolSuggestionRow] = []
        self.found: list[Identity] = []
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(200)
        self._reload.timeout.connect(self.reload)
        runner.changed.connect(self._on_changes)

        # the registry
        registry = QWidget(self)
        self.people_table = _table(
            registry,
            "kol-people",
            [self.tr("Name"), self.tr("Handles"), self.tr("Followers"), self.tr("Kind"), self.tr("Items"),
             self.tr("Last seen")],
        )  # fmt: skip
        self.unmark_button = QPushButton(self.tr("Unmark"), registry)
        self.unmark_button.setObjectName("kol-unmark")
        self.unmark_button.setToolTip(self.tr("Take the chosen people (every linked identity) out of the registry"))
        self.unmark_button.clicked.connect(self.unmark_selected)
        self.unlink_button = QPushButton(self.tr("Unlink identities…"), registry)
        self.unlink_button.setObjectName("kol-unlink")
        self.unlink_button.clicked.connect(self.ask_unlink)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.unlink_button)
        row.addWidget(self.unmark_button)
        reg_layout = QVBoxLayout(registry)
        reg_layout.addWidget(self.people_table, 1)
        reg_layout.addLayout(row)

        # suggestions
        suggested = QWidget(self)
        self.suggestion_table = _table(
            suggested,
            "kol-suggestions",
            [self.tr("Name"), self.tr("Channel"), self.tr("Handle"), self.tr("Followers"), self.tr("Verified"),
             self.tr("Suggested as"), self.tr("Why")],
        )  # fmt: skip
        self.accept_kind = self._kind_choice(suggested, "kol-accept-kind")
        self.accept_button = QPushButton(self.tr("Accept as KOL"), suggested)
        self.accept_button.setObjectName("kol-accept")
        self.accept_button.clicked.connect(self.accept_selected)
        self.dismiss_button = QPushButton(self.tr("Dismiss"), suggested)
        self.dismiss_button.setObjectName("kol-dismiss")
        self.dismiss_button.setToolTip(self.tr("Not a key opinion leader: not suggested again"))
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.suggestion_table.itemSelectionChanged.connect(self._suggestion_chosen)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(QLabel(self.tr("Kind:"), suggested))
        row.addWidget(self.accept_kind)
        row.addWidget(self.accept_button)
        row.addWidget(self.dismiss_button)
        sug_layout = QVBoxLayout(suggested)
        sug_layout.addWidget(self.suggestion_table, 1)
        sug_layout.addLayout(row)

        # find people, link identities
        finder = QWidget(self)
        self.search_field = QLineEdit(finder)
        self.search_field.setObjectName("kol-search")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setPlaceholderText(self.tr("A name or a handle (e.g. Kabar Cempaka), or #contact number"))
        self.search_field.returnPressed.connect(lambda: self.search(self.search_field.text()))
        search_button = QPushButton(self.tr("Find"), finder)
        search_button.clicked.connect(lambda: self.search(self.search_field.text()))
        self.found_table = _table(
            finder,
            "kol-found",
            [self.tr("Name"), self.tr("Channel"), self.tr("Handle"), self.tr("Followers"), self.tr("Items"),
             self.tr("KOL"), self.tr("Linked to")],
        )  # fmt: skip
        hint = QLabel(
            self.tr(
                "Choose the same person's identities on several channels (Ctrl+click) and link them: "
                "a key opinion leader's mark then covers every one of them."
            ),
            finder,
        )
        hint.setWordWrap(True)
        self.link_button = QPushButton(self.tr("Link as one person"), finder)
        self.link_button.setObjectName("kol-link")
        self.link_button.clicked.connect(self.link_selected)
        self.unlink_found_button = QPushButton(self.tr("Unlink"), finder)
        self.unlink_found_button.setObjectName("kol-unlink-found")
        self.unlink_found_button.clicked.connect(self.unlink_found)
        self.mark_kind = self._kind_choice(finder, "kol-mark-kind")
        self.mark_button = QPushButton(self.tr("Mark as KOL"), finder)
        self.mark_button.setObjectName("kol-mark")
        self.mark_button.clicked.connect(self.mark_found)
        top = QHBoxLayout()
        top.addWidget(self.search_field, 1)
        top.addWidget(search_button)
        row = QHBoxLayout()
        row.addWidget(self.link_button)
        row.addWidget(self.unlink_found_button)
        row.addStretch(1)
        row.addWidget(QLabel(self.tr("Kind:"), finder))
        row.addWidget(self.mark_kind)
        row.addWidget(self.mark_button)
        find_layout = QVBoxLayout(finder)
        find_layout.addLayout(top)
        find_layout.addWidget(hint)
        find_layout.addWidget(self.found_table, 1)
        find_layout.addLayout(row)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("kol-tabs")
        self.tabs.addTab(registry, self.tr("Registry"))
        self.tabs.addTab(suggested, self.tr("Suggestions"))
        self.tabs.addTab(finder, self.tr("Find and link people"))
        self.message = QLabel(self)
        self.message.setObjectName("kol-message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(1040, 600)
        self.reload()

    def _kind_choice(self, parent: QWidget, name: str) -> QComboBox:
        choice = QComboBox(parent)
        choice.setObjectName(name)
        for kind in KINDS:
            choice.addItem(kind_name(kind), kind)
        return choice

    # ------------------------------------------------------------------ reads

    def reload(self) -> None:
        self.runner.read(read_registry, done=self._show, owner=self, label="kol registry")
        if self.search_field.text().strip():
            self.search(self.search_field.text())

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("contacts", "kol_registry", "kol_suggestions"):
            self._reload.start()

    def _show(self, snap: RegistrySnapshot) -> None:
        self.people, self.suggestions = snap.people, snap.suggestions
        t = self.people_table
        t.setRowCount(len(self.people))
        for r, p in enumerate(self.people):
            tip = p.note
            t.setItem(r, 0, _cell(p.name, p.key, tip))
            t.setItem(r, 1, _cell(handles_text(p.identities)))
            t.setItem(r, 2, _cell(_followers_text(p.followers)))
            t.setItem(r, 3, _cell(kind_name(p.kind)))
            t.setItem(r, 4, _cell(f"{p.items:,}"))
            t.setItem(r, 5, _cell(_ms_text(p.last_seen)))
        s = self.suggestion_table
        s.setRowCount(len(self.suggestions))
        for r, g in enumerate(self.suggestions):
            s.setItem(r, 0, _cell(g.name, g.contact_id))
            s.setItem(r, 1, _cell(fmt.channel_name(g.channel)))
            s.setItem(r, 2, _cell(g.handle))
            s.setItem(r, 3, _cell(_followers_text(g.followers)))
            s.setItem(r, 4, _cell(self.tr("yes") if g.verified else self.tr("no")))
            s.setItem(r, 5, _cell(kind_name(g.kind)))
            s.setItem(r, 6, _cell(g.reason, tip=g.reason))
        self.tabs.setTabText(1, self.tr("Suggestions (%1)").replace("%1", str(len(self.suggestions))))

    def search(self, text: str) -> None:
        def read(conn: sqlite3.Connection) -> list[Identity]:
            return kol_views.find_contacts(conn, text)

        self.runner.read(read, done=self._show_found, owner=self, label="find contacts")

    def _show_found(self, found: list[Identity]) -> None:
        self.found = found
        t = self.found_table
        t.setRowCount(len(found))
        for r, i in enumerate(found):
            t.setItem(r, 0, _cell(i.name, i.contact_id, f"#{i.contact_id}"))
            t.setItem(r, 1, _cell(fmt.channel_name(i.channel)))
            t.setItem(r, 2, _cell(i.handle))
            t.setItem(r, 3, _cell(_followers_text(i.followers)))
            t.setItem(r, 4, _cell(f"{i.items:,}"))
            t.setItem(r, 5, _cell(self.tr("yes") if i.is_kol else ""))
            t.setItem(r, 6, _cell(f"#{i.person_id}" if i.person_id is not None else ""))
        if not found and self.search_field.text().strip():
            self.message.setText(self.tr("No one found by that name or handle."))

    # ------------------------------------------------------------------ choices

    def selected_people(self) -> list[KolPerson]:
        return [self.people[r] for r in _selected_rows(self.people_table) if r < len(self.people)]

    def selected_suggestions(self) -> list[KolSuggestionRow]:
        return [self.suggestions[r] for r in _selected_rows(self.suggestion_table) if r < len(self.suggestions)]

    def selected_found(self) -> list[Identity]:
        return [self.found[r] for r in _selected_rows(self.found_table) if r < len(self.found)]

    def _suggestion_chosen(self) -> None:
        chosen = self.selected_suggestions()
        if len(chosen) == 1:
            index = self.accept_kind.findData(chosen[0].kind)
            if index >= 0:
                self.accept_kind.setCurrentIndex(index)

    # ------------------------------------------------------------------ writes

    def _write(self, label: str, fn: Callable[[Cache], object], done_text: str) -> None:
        def finished(_result: object) -> None:
            self.message.setText(done_text)
            self.reload()

        self.runner.write(
            _reassessed(fn),
            done=finished,
            failed=lambda error: self.message.setText(error.message),
            owner=self,
            label=label,
        )

    def _nothing(self) -> None:
        self.message.setText(self.tr("Choose one or more rows first."))

    def unmark_selected(self) -> None:
        from omniinbox.triage import kol

        people = self.selected_people()
        if not people:
            return self._nothing()
        user, firsts = self.user, [p.identities[0].contact_id for p in people if p.identities]

        def write(cache: Cache) -> int:
            for cid in firsts:
                kol.unmark_kol(cache, user, cid)
            return len(firsts)

        self._write(
            "kol unmark",
            write,
            self.tr("No longer key opinion leaders: %1.").replace("%1", ", ".join(p.name for p in people)),
        )

    def accept_selected(self) -> None:
        chosen = self.selected_suggestions()
        if not chosen:
            return self._nothing()
        self.mark([g.contact_id for g in chosen], str(self.accept_kind.currentData()))

    def mark(self, contact_ids: Sequence[int], kind: str) -> None:
        from omniinbox.triage import kol

        user, ids = self.user, list(contact_ids)

        def write(cache: Cache) -> int:
            for cid in ids:
                kol.mark_kol(cache, user, cid, kind)
            return len(ids)

        self._write(
            "kol mark",
            write,
            self.tr("Marked as key opinion leaders (%1): %2.")
            .replace("%1", kind_name(kind))
            .replace("%2", str(len(ids))),
        )

    def dismiss_selected(self) -> None:
        from omniinbox.triage import kol

        chosen = self.selected_suggestions()
        if not chosen:
            return self._nothing()
        user, ids = self.user, [g.contact_id for g in chosen]

        def write(cache: Cache) -> int:
            return sum(kol.dismiss_suggestion(cache, user, cid) for cid in ids)

        self._write("kol dismiss", write, self.tr("Dismissed; not suggested again."))

    def link(self, contact_ids: Sequence[int]) -> None:
        from omniinbox.triage import kol

        user, ids = self.user, list(contact_ids)
        self._write(
            "link identities",
            lambda cache: kol.link_identities(cache, user, ids),
            self.tr("%1 identities linked as one person.").replace("%1", str(len(set(ids)))),
        )

    def link_selected(self) -> None:
        chosen = self.selected_found()
        if len(chosen) < 2:
            self.message.setText(self.tr("Choose at least two identities of the same person to link."))
            return
        self.link([i.contact_id for i in chosen])

    def unlink(self, contact_ids: Sequence[int]) -> None:
        from omniinbox.triage import kol

        user, ids = self.user, list(contact_ids)

        def write(cache: Cache) -> int:
            for cid in ids:
                kol.unlink_identity(cache, user, cid)
            return len(ids)

        self._write("unlink identity", write, self.tr("Unlinked: each is a person of their own again."))

    def unlink_found(self) -> None:
        chosen = [i for i in self.selected_found() if i.person_id is not None]
        if not chosen:
            self.message.setText(self.tr("Choose linked identities to unlink."))
            return
        self.unlink([i.contact_id for i in chosen])

    def ask_unlink(self) -> None:
        """Unlink one identity of the chosen person (the others stay linked)."""
        people = self.selected_people()
        if len(people) != 1 or len(people[0].identities) < 2:
            self.message.setText(self.tr("Choose one person with linked identities."))
            return
        names = [f"{fmt.channel_name(i.channel)}: {i.handle or i.name}" for i in people[0].identities]
        choice, ok = QInputDialog.getItem(self, self.tr("Unlink an identity"), self.tr("Identity:"), names, 0, False)
        if ok and choice in names:
            self.unlink([people[0].identities[names.index(choice)].contact_id])

    def mark_found(self) -> None:
        chosen = self.selected_found()
        if not chosen:
            return self._nothing()
        self.mark([i.contact_id for i in chosen], str(self.mark_kind.currentData()))


def show_kol_registry(parent: QWidget, runner: TaskRunner, user: User) -> KolRegistryDialog:
    """Open the registry (one per parent window: shown again when open)."""
    existing = parent.findChild(KolRegistryDialog, "kol-registry")
    if isinstance(existing, KolRegistryDialog) and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return existing
    dialog = KolRegistryDialog(runner, user, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


# ---------------------------------------------------------------------------------- author card


class AuthorKolActions(QWidget):
    """*Mark as KOL…* and *Same person as…* under the author card. ``set_contact(card)`` with the
    card shown (``None``: no author). *Same person as…* opens the registry's finder on the
    author's name with the author chosen first. Signals: ``message(str)``."""

    message = Signal(str)

    def __init__(self, runner: TaskRunner, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.user = user
        self.contact_id: int | None = None
        self.name = ""
        self.is_kol = False
        self.mark_button = QPushButton(self.tr("Mark as KOL…"), self)
        self.mark_button.setObjectName("author-mark-kol")
        self.mark_button.clicked.connect(self.ask_mark)
        self.same_button = QPushButton(self.tr("Same person as…"), self)
        self.same_button.setObjectName("author-same-person")
        self.same_button.setToolTip(self.tr("Link this author with their identities on other channels"))
        self.same_button.clicked.connect(self.ask_same_person)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mark_button)
        layout.addWidget(self.same_button)
        layout.addStretch(1)
        self.set_contact(None)

    def set_contact(self, card: Any) -> None:
        self.contact_id = getattr(card, "contact_id", None)
        self.name = getattr(card, "name", "") or getattr(card, "handle", "")
        self.is_kol = bool(getattr(card, "is_kol", False))
        self.mark_button.setText(self.tr("Unmark KOL") if self.is_kol else self.tr("Mark as KOL…"))
        for b in (self.mark_button, self.same_button):
            b.setEnabled(self.contact_id is not None)

    def ask_mark(self) -> None:
        if self.contact_id is None:
            return
        if self.is_kol:
            self.unmark()
            return
        names = [kind_name(k) for k in KINDS]
        choice, ok = QInputDialog.getItem(
            self,
            self.tr("Mark as a key opinion leader"),
            self.tr("%1 is a:").replace("%1", self.name),
            names,
            0,
            False,
        )
        if ok and choice in names:
            self.mark(KINDS[names.index(choice)])

    def mark(self, kind: str) -> None:
        from omniinbox.triage import kol

        user, cid = self.user, self.contact_id
        if cid is None:
            return
        self.runner.write(
            _reassessed(lambda cache: kol.mark_kol(cache, user, cid, kind)),
            done=lambda _ids: self.message.emit(self.tr("Marked as a key opinion leader.")),
            failed=lambda error: self.message.emit(error.message),
            owner=self,
            label="mark kol",
        )

    def unmark(self) -> None:
        from omniinbox.triage import kol

        user, cid = self.user, self.contact_id
        if cid is None:
            return
        self.runner.write(
            _reassessed(lambda cache: kol.unmark_kol(cache, user, cid)),
            done=lambda _ids: self.message.emit(self.tr("No longer a key opinion leader.")),
            failed=lambda error: self.message.emit(error.message),
            owner=self,
            label="unmark kol",
        )

    def ask_same_person(self) -> KolRegistryDialog | None:
        if self.contact_id is None:
            return None
        dialog = show_kol_registry(self.window(), self.runner, self.user)
        dialog.tabs.setCurrentIndex(2)
        dialog.search_field.setText(self.name)
        dialog.search(self.name)
        dialog.message.setText(
            self.tr("Choose %1's other identities together with this one (#%2), then Link as one person.")
            .replace("%1", self.name)
            .replace("%2", str(self.contact_id))
        )
        return dialog
