"""Promote/Protect suggestions from the lexicon's signals (thanks, praise, complaints, outage
words, hoax markers) in Bahasa Indonesia and English, plus the item's context; and spam.

A suggestion is a hint with its reason; each team still records its own judgement (the ``tags``
table). Pure functions of the normalised words (:func:`omniinbox.triage.text.analyze`), the raw
text (for emoji) and the lexicon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from omniinbox.triage.lexicon import Lexicon, Signal
from omniinbox.triage.text import fold

PROMOTE = "promote"
PROTECT = "protect"


@dataclass(frozen=True, slots=True)
class Suggestion:
    value: str | None  # "promote", "protect" or None (no evidence either way)
    score: int  # the winning side's weight minus the other's
    reason: str
    signals: dict[str, list[str]] = field(default_factory=dict)  # signal label -> phrases found


def _find(phrase: str, words: Sequence[str], joined: str, raw: str) -> list[int]:
    """Where ``phrase`` starts in ``words`` (as whole words); emoji and other non-word phrases
    are looked for in the raw text (position -1)."""
    if not any(ch.isalnum() for ch in phrase):
        return [-1] if phrase in raw else []
    parts = phrase.split()
    if len(parts) == 1:
        return [n for n, w in enumerate(words) if w == phrase]
    if f" {phrase} " not in joined:
        return []
    return [n for n in range(len(words) - len(parts) + 1) if list(words[n : n + len(parts)]) == parts]


def _negated(words: Sequence[str], at: int, lexicon: Lexicon) -> bool:
    return at > 0 and any(w in lexicon.negations for w in words[max(0, at - 2) : at])


def is_spam(words: Sequence[str], raw: str, lexicon: Lexicon | None = None) -> list[str]:
    """The spam markers found (empty: not spam)."""
    lex = lexicon or Lexicon.default()
    joined = f" {' '.join(words)} "
    folded = fold(raw)
    return [p for p in lex.spam if _find(p, words, joined, folded)]


def suggest(words: Sequence[str], raw: str, lexicon: Lexicon | None = None) -> Suggestion:
    """The suggestion the words alone support."""
    lex = lexicon or Lexicon.default()
    joined = f" {' '.join(words)} "
    folded = fold(raw)
    found: dict[str, list[str]] = {}
    side: dict[str, str] = {}  # label -> the way it leans
    weight = {PROMOTE: 0, PROTECT: 0}
    signal: Signal
    for signal in lex.signals:
        for phrase in signal.phrases:
            for at in _find(phrase, words, joined, folded):
                leans = signal.leans
                label = signal.label
                if leans == PROMOTE and at >= 0 and _negated(words, at, lex):
                    leans, label = PROTECT, "negated praise"
                    phrase_shown = f"{words[at - 1]} {phrase}"
                else:
                    phrase_shown = phrase
                if phrase_shown not in found.setdefault(label, []):
                    found[label].append(phrase_shown)
                    side[label] = leans
                    weight[leans] += signal.weight
    if weight[PROMOTE] == weight[PROTECT]:
        reason = "no Promote or Protect words" if not found else "as much for Promote as for Protect: " + _why(found)
        return Suggestion(None, 0, reason, found)
    value = PROMOTE if weight[PROMOTE] > weight[PROTECT] else PROTECT
    score = abs(weight[PROMOTE] - weight[PROTECT])
    chosen = {label: p for label, p in found.items() if side[label] == value}
    against = {label: p for label, p in found.items() if side[label] != value}
    reason = f"{value.capitalize()}: {_why(chosen)}" + (f" (despite {_why(against)})" if against else "")
    return Suggestion(value, score, reason, found)


def _why(found: dict[str, list[str]]) -> str:
    return "; ".join(f"{label} {', '.join(repr(p) for p in phrases[:4])}" for label, phrases in found.items())


def in_context(
    suggestion: Suggestion, *, issue_id: int | None, issue_level: int, issue_protect: int, issue_promote: int,
    by_kol: bool, outbound: bool,
) -> Suggestion:  # fmt: skip
    """The suggestion with the item's context: nothing for our own messages; an item without
    words of its own takes the lean of an issue it belongs to when the issue clearly leans
    (twice as many of one as of the other); a key opinion leader's item says so."""
    if outbound:
        return Suggestion(None, 0, "our own message", {})
    result = suggestion
    if suggestion.value is None and issue_id is not None and issue_level >= 1:
        if issue_protect >= 2 * max(issue_promote, 1):
            result = Suggestion(PROTECT, 1, f"Protect: part of issue #{issue_id}, which is mostly Protect", {})
        elif issue_promote >= 2 * max(issue_protect, 1):
            result = Suggestion(PROMOTE, 1, f"Promote: part of issue #{issue_id}, which is mostly Promote", {})
    elif suggestion.value == PROTECT and issue_id is not None and issue_level >= 2:
        result = Suggestion(PROTECT, suggestion.score + 1, f"{suggestion.reason}; in a level {issue_level} issue",
                            suggestion.signals)  # fmt: skip
    if by_kol and result.value is not None:
        result = Suggestion(result.value, result.score + 1, f"{result.reason}; by a key opinion leader", result.signals)
    return result
