"""Keyboard shortcuts, declared once.

:data:`SHORTCUTS` lists every command a key can trigger: its id, default keys, description and
scope. :class:`Shortcuts` turns them into ``QAction`` objects bound to handlers, applies keys a
person chose (kept in ``QSettings`` under ``shortcuts/<id>``; a settings dialog edits them through
:meth:`Shortcuts.set_keys`), and :class:`ShortcutSheet` shows them all (the ``?`` key).

Scopes: ``window`` shortcuts work anywhere in the main window (text fields keep the plain keys
they type, so ``j`` in the search field is a letter, not "next"); ``composer`` ones only while the
reply editor has the focus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from omniinbox.ui.format import QT_TRANSLATE_NOOP

CONTEXT = "Shortcuts"


@dataclass(frozen=True, slots=True)
class ShortcutSpec:
    id: str
    keys: tuple[str, ...]  # portable key sequence texts
    text: str  # marked for translation in the "Shortcuts" context
    scope: str = "window"  # window | composer


SHORTCUTS: tuple[ShortcutSpec, ...] = (
    ShortcutSpec("next", ("J",), QT_TRANSLATE_NOOP("Shortcuts", "Next item")),
    ShortcutSpec("previous", ("K",), QT_TRANSLATE_NOOP("Shortcuts", "Previous item")),
    ShortcutSpec("open", ("Return", "Enter"), QT_TRANSLATE_NOOP("Shortcuts", "Open the conversation")),
    ShortcutSpec("reply", ("R",), QT_TRANSLATE_NOOP("Shortcuts", "Reply")),
    ShortcutSpec("assign", ("A",), QT_TRANSLATE_NOOP("Shortcuts", "Assign…")),
    ShortcutSpec("promote", ("P",), QT_TRANSLATE_NOOP("Shortcuts", "Promote (your team's judgement)")),
    ShortcutSpec("protect", ("X",), QT_TRANSLATE_NOOP("Shortcuts", "Protect (your team's judgement)")),
    ShortcutSpec("escalate", ("E",), QT_TRANSLATE_NOOP("Shortcuts", "Escalate to a supervisor, priority up")),
    ShortcutSpec("note", ("N",), QT_TRANSLATE_NOOP("Shortcuts", "Add a note…")),
    ShortcutSpec("label", ("L",), QT_TRANSLATE_NOOP("Shortcuts", "Add a label…")),
    ShortcutSpec("close", ("C",), QT_TRANSLATE_NOOP("Shortcuts", "Close the conversation")),
    ShortcutSpec("snooze", ("S",), QT_TRANSLATE_NOOP("Shortcuts", "Snooze…")),
    ShortcutSpec("handoff", ("H",), QT_TRANSLATE_NOOP("Shortcuts", "Hand off to the other team…")),
    ShortcutSpec("toggle_read", ("U",), QT_TRANSLATE_NOOP("Shortcuts", "Mark read or unread")),
    ShortcutSpec("search", ("/", "Ctrl+F"), QT_TRANSLATE_NOOP("Shortcuts", "Search")),
    ShortcutSpec("list", ("Escape",), QT_TRANSLATE_NOOP("Shortcuts", "Back to the list")),
    ShortcutSpec("refresh", ("F5",), QT_TRANSLATE_NOOP("Shortcuts", "Reload the list")),
    ShortcutSpec("supervisor", ("Ctrl+Shift+S",), QT_TRANSLATE_NOOP("Shortcuts", "Supervisor's view")),
    ShortcutSpec("radar", ("I",), QT_TRANSLATE_NOOP("Shortcuts", "Issue radar")),
    ShortcutSpec("send", ("Ctrl+Return", "Ctrl+Enter"), QT_TRANSLATE_NOOP("Shortcuts", "Send the reply"), "composer"),
    ShortcutSpec("shortcuts", ("?", "Shift+?"), QT_TRANSLATE_NOOP("Shortcuts", "Show the keyboard shortcuts")),
)  # fmt: skip

BY_ID = {spec.id: spec for spec in SHORTCUTS}


def describe(spec: ShortcutSpec) -> str:
    return QCoreApplication.translate(CONTEXT, spec.text)


class Shortcuts(QObject):
    """The shortcut actions of one window. ``action(id)`` is the ``QAction`` of a command."""

    def __init__(self, window: QWidget, settings: QSettings | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._actions: dict[str, QAction] = {}
        for spec in SHORTCUTS:
            action = QAction(describe(spec), window)
            action.setObjectName(f"shortcut-{spec.id}")
            context = Qt.ShortcutContext.WindowShortcut
            if spec.scope == "composer":
                context = Qt.ShortcutContext.WidgetWithChildrenShortcut
            action.setShortcutContext(context)
            action.setShortcuts([QKeySequence(k) for k in self.keys(spec.id)])
            if spec.scope == "window":
                window.addAction(action)
            self._actions[spec.id] = action

    def keys(self, shortcut_id: str) -> tuple[str, ...]:
        """The keys in force: the person's choice, else the default."""
        spec = BY_ID[shortcut_id]
        if self._settings is not None:
            chosen = self._settings.value(f"shortcuts/{shortcut_id}")
            if isinstance(chosen, str) and chosen:
                return tuple(k.strip() for k in chosen.split(";") if k.strip())
        return spec.keys

    def set_keys(self, shortcut_id: str, keys: tuple[str, ...] | None) -> None:
        """Bind other keys (``None``: back to the default) and remember the choice."""
        if self._settings is not None:
            if keys is None:
                self._settings.remove(f"shortcuts/{shortcut_id}")
            else:
                self._settings.setValue(f"shortcuts/{shortcut_id}", ";".join(keys))
        self._actions[shortcut_id].setShortcuts([QKeySequence(k) for k in self.keys(shortcut_id)])

    def action(self, shortcut_id: str) -> QAction:
        return self._actions[shortcut_id]

    def bind(self, shortcut_id: str, handler: Callable[[], object]) -> QAction:
        action = self._actions[shortcut_id]
        action.triggered.connect(lambda: handler())
        return action

    def attach(self, shortcut_id: str, widget: QWidget) -> None:
        """Make a ``composer``-scoped shortcut live while ``widget`` (or a child) has the focus."""
        widget.addAction(self._actions[shortcut_id])


class ShortcutSheet(QDialog):
    """Every shortcut and its keys, as bound now."""

    def __init__(self, shortcuts: Shortcuts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        table = QTableWidget(len(SHORTCUTS), 2, self)
        table.setObjectName("shortcut-table")
        table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Command")])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, spec in enumerate(SHORTCUTS):
            keys = ", ".join(
                QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in shortcuts.keys(spec.id)
            )
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(describe(spec)))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(520, 560)
