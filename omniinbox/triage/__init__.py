"""The issue radar's core (no Qt, no network): items grouped into issues, the three measures of
each issue, levels with their reasons and the must-answer escalation, the key opinion leader
registry, Promote/Protect suggestions, one statement fanned out to every channel, and the issue
brief.

    from omniinbox import triage
    triage.update(cache)          # after each committed page: cheap when nothing changed

Modules: ``text`` and ``lexicon`` (normalisation), ``grouping`` (the rules), ``engine`` (``update``),
``measures`` and ``levels``, ``suggest``, ``kol``, ``actions`` (hand corrections, owner, closing),
``statement`` (one answer, every channel), ``radar`` (reading), ``brief`` (HTML), ``settings``.
"""

from __future__ import annotations

from omniinbox.triage.engine import UpdateReport, update

__all__ = ["UpdateReport", "update"]
