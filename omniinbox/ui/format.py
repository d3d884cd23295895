"""How values read in the desktop client: channel and team names, ages, follower counts, SLA
states. Every word goes through Qt's translation system (context ``Format``) so the interface
can be shipped in other languages."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication

from omniinbox.usecases import SlaKind, SlaState

_CONTEXT = "Format"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name Qt's lupdate looks for
    """Marks ``text`` for translation in ``context``; translated where it is shown (:func:`tr`)."""
    return text


CHANNEL_NAMES: dict[str, str] = {
    "email": QT_TRANSLATE_NOOP("Format", "Email"),
    "zendesk": QT_TRANSLATE_NOOP("Format", "Zendesk"),
    "freshdesk": QT_TRANSLATE_NOOP("Format", "Freshdesk"),
    "zammad": QT_TRANSLATE_NOOP("Format", "Zammad"),
    "chatwoot": QT_TRANSLATE_NOOP("Format", "Chatwoot"),
    "x": QT_TRANSLATE_NOOP("Format", "X"),
    "facebook": QT_TRANSLATE_NOOP("Format", "Facebook"),
    "instagram": QT_TRANSLATE_NOOP("Format", "Instagram"),
    "youtube": QT_TRANSLATE_NOOP("Format", "YouTube"),
    "mastodon": QT_TRANSLATE_NOOP("Format", "Mastodon"),
    "telegram": QT_TRANSLATE_NOOP("Format", "Telegram"),
    "whatsapp": QT_TRANSLATE_NOOP("Format", "WhatsApp"),
    "listening": QT_TRANSLATE_NOOP("Format", "Listening"),
}

TEAM_NAMES: dict[str, str] = {
    "social": QT_TRANSLATE_NOOP("Format", "Social media"),
    "contact_center": QT_TRANSLATE_NOOP("Format", "Contact center"),
}
TEAM_SHORT: dict[str, str] = {
    "social": QT_TRANSLATE_NOOP("Format", "SM"),
    "contact_center": QT_TRANSLATE_NOOP("Format", "CC"),
}
TAG_NAMES: dict[str, str] = {
    "promote": QT_TRANSLATE_NOOP("Format", "Promote"),
    "protect": QT_TRANSLATE_NOOP("Format", "Protect"),
}
STATUS_NAMES: dict[str, str] = {
    "open": QT_TRANSLATE_NOOP("Format", "Open"),
    "pending": QT_TRANSLATE_NOOP("Format", "Pending"),
    "snoozed": QT_TRANSLATE_NOOP("Format", "Snoozed"),
    "closed": QT_TRANSLATE_NOOP("Format", "Closed"),
}
PRIORITY_NAMES: dict[int, str] = {
    0: QT_TRANSLATE_NOOP("Format", "Low"),
    1: QT_TRANSLATE_NOOP("Format", "Normal"),
    2: QT_TRANSLATE_NOOP("Format", "High"),
    3: QT_TRANSLATE_NOOP("Format", "Urgent"),
}
OUTBOX_STATE_NAMES: dict[str, str] = {
    "awaiting_approval": QT_TRANSLATE_NOOP("Format", "Awaiting approval"),
    "queued": QT_TRANSLATE_NOOP("Format", "Queued"),
    "sending": QT_TRANSLATE_NOOP("Format", "Sending"),
    "sent": QT_TRANSLATE_NOOP("Format", "Sent"),
    "failed": QT_TRANSLATE_NOOP("Format", "Failed"),
    "cancelled": QT_TRANSLATE_NOOP("Format", "Cancelled"),
}
KIND_NAMES: dict[str, str] = {
    "post": QT_TRANSLATE_NOOP("Format", "Post"),
    "comment": QT_TRANSLATE_NOOP("Format", "Comment"),
    "reply": QT_TRANSLATE_NOOP("Format", "Reply"),
    "mention": QT_TRANSLATE_NOOP("Format", "Mention"),
    "dm": QT_TRANSLATE_NOOP("Format", "Direct message"),
    "email": QT_TRANSLATE_NOOP("Format", "Email"),
    "ticket": QT_TRANSLATE_NOOP("Format", "Ticket"),
    "ticket_comment": QT_TRANSLATE_NOOP("Format", "Ticket comment"),
}


def tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _named(table: Mapping[Any, str], key: str | int) -> str:
    name = table.get(key)
    return tr(name) if name else str(key)


def channel_name(channel: str) -> str:
    return _named(CHANNEL_NAMES, channel)


def team_name(team: str) -> str:
    return _named(TEAM_NAMES, team)


def team_short(team: str) -> str:
    return _named(TEAM_SHORT, team)


def tag_name(value: str) -> str:
    return _named(TAG_NAMES, value)


def status_name(status: str) -> str:
    return _named(STATUS_NAMES, status)


def priority_name(priority: int) -> str:
    return _named(PRIORITY_NAMES, priority)


def outbox_state_name(state: str) -> str:
    return _named(OUTBOX_STATE_NAMES, state)


def kind_name(kind: str) -> str:
    return _named(KIND_NAMES, kind)


def now_ms() -> int:
    return int(time.time() * 1000)


def count(n: int | None) -> str:
    """``1234`` -> ``1.2k``; ``None`` -> ``""``."""
    if n is None:
        return ""
    if n < 1000:
        return str(n)
    for div, suffix in (
        (1_000_000_000, QCoreApplication.translate("Format", "B")),
        (1_000_000, QCoreApplication.translate("Format", "M")),
        (1000, QCoreApplication.translate("Format", "k")),
    ):
        if n >= div:
            value = n / div
            text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
            return f"{text}{suffix}"
    return str(n)


def duration(ms: int) -> str:
    """A short span: ``45s``, ``12m``, ``3h``, ``5d``."""
    seconds = abs(ms) // 1000
    if seconds < 60:
        return QCoreApplication.translate("Format", "%ns").replace("%n", str(seconds))
    if seconds < 3600:
        return QCoreApplication.translate("Format", "%nm").replace("%n", str(seconds // 60))
    if seconds < 86400 * 2:
        return QCoreApplication.translate("Format", "%nh").replace("%n", str(seconds // 3600))
    return QCoreApplication.translate("Format", "%nd").replace("%n", str(seconds // 86400))


def age(created_ms: int, now: int) -> str:
    """How long ago, short: ``now``, ``12m``, ``3h``, ``5d``, then the date."""
    delta = now - created_ms
    if delta < 60_000:
        return QCoreApplication.translate("Format", "now")
    if delta < 30 * 86_400_000:
        return duration(delta)
    return datetime.fromtimestamp(created_ms / 1000, UTC).astimezone().strftime("%d %b %Y")


def when(value: datetime | None) -> str:
    """A full local date and time."""
    if value is None:
        return ""
    return value.astimezone().strftime("%d %b %Y %H:%M")


def sla_text(state: SlaState) -> str:
    if state.kind is SlaKind.NONE:
        return ""
    if state.kind is SlaKind.MET:
        return QCoreApplication.translate("Format", "met")
    if state.kind is SlaKind.OVERDUE:
        return QCoreApplication.translate("Format", "overdue %1").replace("%1", duration(-state.remaining_ms))
    return QCoreApplication.translate("Format", "due in %1").replace("%1", duration(state.remaining_ms))
