"""Levels of an issue, each with its reason:

1. **issue**: at least ``issue_min_items`` counted items from ``issue_min_authors`` distinct authors;
2. **key opinion leader involved**: an author in the registry (or, when ``kol_followers_auto`` is
   set, with at least that many followers) wrote in it;
3. **public interest**: ``public_authors`` distinct authors within ``public_hours`` hours on at
   least ``public_channels`` channels, or ``public_engagement`` likes, shares and replies. Level 3
   makes the issue *must answer*.

Levels reached are kept: an issue whose conversation cools down stays at its level until people
close it (hand corrections re-assess from scratch). :func:`assess` is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omniinbox.triage.measures import Measures, plural
from omniinbox.triage.settings import TriageSettings


@dataclass(frozen=True, slots=True)
class Assessment:
    level: int
    reasons: dict[int, str] = field(default_factory=dict)  # level -> why it is reached
    event_at: dict[int, int] = field(default_factory=dict)  # level -> item time it was reached

    @property
    def reason(self) -> str:
        return self.reasons.get(self.level, "not an issue yet: " + self.reasons.get(0, ""))


def assess(m: Measures, settings: TriageSettings, *, now_ms: int) -> Assessment:
    reasons: dict[int, str] = {}
    event_at: dict[int, int] = {}
    if m.formed_at is None:
        reasons[0] = (
            f"{plural(m.counted_items, 'item')} from {plural(m.authors, 'author')}; an issue needs"
            f" {settings.issue_min_items} items from {settings.issue_min_authors} authors"
        )
        return Assessment(0, reasons, event_at)
    terms = ", ".join(f"'{t}'" for t, _n in m.key_terms[:3]) or "one subject"
    reasons[1] = (
        f"1 because {plural(m.counted_items, 'item')} from {plural(m.authors, 'author')} on"
        f" {plural(len(m.channels), 'channel')} are about {terms}"
    )
    event_at[1] = m.formed_at
    level = 1
    if m.kols:
        level = 2
        if len(m.kols) == 1:
            reasons[2] = f"2 because a key opinion leader is involved: {m.kols[0].describe()}"
        else:
            named = ", ".join(k.describe() for k in m.kols[:4]) + (", ..." if len(m.kols) > 4 else "")
            reasons[2] = f"2 because {len(m.kols)} key opinion leaders are involved: {named}"
        event_at[2] = max(m.formed_at, m.first_kol_at or m.formed_at)
    by_authors = m.window.first_reached_at is not None
    by_engagement = settings.public_engagement > 0 and m.engagement >= settings.public_engagement
    if by_authors or by_engagement:
        level = 3
        if by_authors:
            hours = f"{settings.public_hours:g} hour" + ("" if settings.public_hours == 1 else "s")
            reasons[3] = (
                f"3 because {m.window.authors} distinct authors in {hours} on {plural(m.window.channels, 'channel')}"
            )
            event_at[3] = max(m.formed_at, m.window.first_reached_at or m.formed_at)
        else:
            reasons[3] = (
                f"3 because {m.engagement:,} likes, shares and replies (threshold {settings.public_engagement:,})"
            )
            event_at[3] = max(m.formed_at, now_ms if m.last_seen is None else min(now_ms, m.last_seen))
    return Assessment(level, reasons, event_at)
