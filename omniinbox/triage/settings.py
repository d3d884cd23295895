"""The thresholds and choices of the issue radar, declared once, stored in the cache
(``triage_settings``) and editable by supervisors.

Only values that differ from the defaults are stored; a stored value the application no longer
knows is ignored. Changing a grouping setting (window, generic words) affects messages grouped
from then on; the open issues active within the horizon are re-assessed with new thresholds at
the next run (levels reached stay).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from omniinbox.core import Role, User
from omniinbox.store import issues as store
from omniinbox.store.cache import Cache


class SettingsRefused(ValueError):
    """A setting that cannot be changed as asked; the message says why."""


def _describe(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, slots=True)
class TriageSettings:
    window_hours: float = field(
        default=24.0, metadata=_describe("items are grouped only with items created within this many hours of them")
    )
    horizon_days: float = field(
        default=7.0, metadata=_describe("items older than this when first seen are history: not grouped into issues")
    )
    issue_min_items: int = field(
        default=2, metadata=_describe("a group becomes an issue (level 1) with at least this many counted items")
    )
    issue_min_authors: int = field(default=2, metadata=_describe("... and at least this many distinct authors"))
    public_authors: int = field(
        default=20,
        metadata=_describe("level 3 (public interest) with this many distinct authors within public_hours ..."),
    )
    public_hours: float = field(default=2.0, metadata=_describe("... hours ..."))
    public_channels: int = field(default=2, metadata=_describe("... on at least this many channels"))
    public_engagement: int = field(
        default=25000,
        metadata=_describe("or level 3 when likes, shares and replies together reach this (0: never by engagement)"),
    )
    kol_followers_auto: int = field(
        default=100000,
        metadata=_describe(
            "authors with this many followers count as key opinion leaders for levels even when not in"
            " the registry (0: only the registry)"
        ),
    )
    answer_deadline_minutes: int = field(
        default=60, metadata=_describe("a must-answer issue is due this many minutes after it reaches level 3")
    )
    velocity_hours: float = field(default=3.0, metadata=_describe("velocity is counted over this many hours"))
    flood_min_authors: int = field(
        default=5,
        metadata=_describe("the same text from this many low-follower accounts is a flood, kept out of the counts"),
    )
    flood_max_followers: int = field(
        default=25, metadata=_describe("accounts with at most this many followers count as low-follower for floods")
    )
    kol_suggest_followers: int = field(
        default=10000, metadata=_describe("authors with this many followers are suggested as key opinion leaders")
    )
    kol_suggest_reach: int = field(
        default=5000,
        metadata=_describe("authors whose recent items drew this much engagement are suggested as key opinion leaders"),
    )
    generic_terms: tuple[str, ...] = field(
        default=(),
        metadata=_describe(
            "words that never tie messages together (the institution's own names), besides the lexicon's"
        ),
    )
    generic_hashtags: tuple[str, ...] = field(
        default=(),
        metadata=_describe(
            "hashtags that never tie messages together (the institution's own campaigns), besides the lexicon's"
        ),
    )

    @property
    def window_ms(self) -> int:
        return int(self.window_hours * 3_600_000)

    @property
    def horizon_ms(self) -> int:
        return int(self.horizon_days * 86_400_000)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


DEFAULTS = TriageSettings()
_ZERO_MEANS_OFF = frozenset({"kol_followers_auto", "public_engagement", "kol_suggest_reach"})
EDITORS = frozenset({Role.SUPERVISOR, Role.ADMIN})


def describe() -> dict[str, str]:
    """Each setting's meaning, for ``omniinbox issues --settings`` and the settings dialog."""
    return {f.name: str(f.metadata.get("help", "")) for f in fields(TriageSettings)}


def _coerce(name: str, value: Any) -> Any:
    default = getattr(DEFAULTS, name)
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v for v in value.replace(";", ",").split(",")]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise SettingsRefused(f"{name} is a list of words")
        return tuple(dict.fromkeys(v.strip().casefold().lstrip("#") for v in value if v.strip()))
    try:
        number = type(default)(value)
    except (TypeError, ValueError):
        raise SettingsRefused(f"{name} must be a number, not {value!r}") from None
    if number < 0 or (number == 0 and name not in _ZERO_MEANS_OFF):
        raise SettingsRefused(f"{name} must be above zero")
    return number


def load(conn: Any) -> TriageSettings:
    """The settings of the cache behind ``conn`` (a Cache or a connection)."""
    stored = store.settings_values(conn)
    values: dict[str, Any] = {}
    known = {f.name for f in fields(TriageSettings)}
    for name, raw in stored.items():
        if name not in known:
            continue
        try:
            values[name] = _coerce(name, json.loads(raw))
        except (SettingsRefused, ValueError):
            continue  # an unreadable stored value: the default holds
    return dataclasses.replace(DEFAULTS, **values)


def save(cache: Cache, user: User | None, changes: Mapping[str, Any]) -> TriageSettings:
    """Change settings (audited). Only supervisors and administrators may; ``user`` ``None`` is
    the application itself (first-run configuration, tests)."""
    if user is not None and user.role not in EDITORS:
        raise SettingsRefused("only a supervisor or an administrator can change the issue radar's settings")
    known = {f.name for f in fields(TriageSettings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise SettingsRefused(f"unknown setting {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    coerced = {name: _coerce(name, value) for name, value in changes.items()}
    horizon = dataclasses.replace(load(cache), **coerced).horizon_ms
    with cache.write("triage", user_id=user.id if user else None) as tx:
        for name, value in coerced.items():
            stored = list(value) if isinstance(value, tuple) else value
            store.set_setting(tx, name, json.dumps(stored, ensure_ascii=False), user.id if user else None)
            tx.audit("triage.setting", f"setting:{name}", value=stored)
        store.mark_open_issues_dirty(tx, horizon)
    return load(cache)
