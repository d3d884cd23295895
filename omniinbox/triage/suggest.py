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


@dataclass(frozen=True, slots=True)
class _Matcher:
    """Phrases indexed by their first word; phrases without letters (emoji) apart."""

    by_first: dict[str, list[tuple[tuple[str, ...], int, str]]]  # word -> (words, owner, phrase)
    symbols: list[tuple[str, int]]  # (phrase, owner)

    @classmethod
    def build(cls, phrases: Sequence[tuple[str, int]]) -> _Matcher:
        by_first: dict[str, list[tuple[tuple[str, ...], int, str]]] = {}
        symbols: list[tuple[str, int]] = []
        for phrase, owner in phrases:
            if any(ch.isalnum() for ch in phrase):
                parts = tuple(phrase.split())
                by_first.setdefault(parts[0], []).append((parts, owner, phrase))
            else:
                symbols.append((phrase, owner))
        return cls(by_first, symbols)

    def find(self, words: Sequence[str], raw: str) -> list[tuple[int, str, int]]:
        """``(owner, phrase, position)`` of every match, in text order (emoji at position -1)."""
        found = []
        for n, word in enumerate(words):
            for parts, owner, phrase in self.by_first.get(word, ()):
                if len(parts) == 1 or tuple(words[n : n + len(parts)]) == parts:
                    found.append((owner, phrase, n))
        if self.symbols:
            folded = fold(raw)
            found.extend((owner, phrase, -1) for phrase, owner in self.symbols if phrase in folded)
        return found


_MATCHERS: dict[tuple[str, str], _Matcher] = {}


def _matcher(lexicon: Lexicon, which: str) -> _Matcher:
    key = (lexicon.digest, which)
    found = _MATCHERS.get(key)
    if found is None:
        if which == "spam":
            phrases = [(p, -1) for p in lexicon.spam]
        else:
            phrases = [(p, n) for n, signal in enumerate(lexicon.signals) for p in signal.phrases]
        if len(_MATCHERS) > 16:
            _MATCHERS.clear()
        found = _MATCHERS[key] = _Matcher.build(phrases)
    return found


def _negated(words: Sequence[str], at: int, lexicon: Lexicon) -> bool:
    return at > 0 and any(w in lexicon.negations for w in words[max(0, at - 2) : at])


def is_spam(words: Sequence[str], raw: str, lexicon: Lexicon | None = None) -> list[str]:
    """The spam markers found (empty: not spam)."""
    lex = lexicon or Lexicon.default()
    return list(dict.fromkeys(phrase for _owner, phrase, _at in _matcher(lex, "spam").find(words, raw)))


def suggest(words: Sequence[str], raw: str, lexicon: Lexicon | None = None) -> Suggestion:
    """The suggestion the words alone support."""
    lex = lexicon or Lexicon.default()
    found: dict[str, list[str]] = {}
    side: dict[str, str] = {}  # label -> the way it leans
    weight = {PROMOTE: 0, PROTECT: 0}
    for owner, phrase, at in _matcher(lex, "signals").find(words, raw):
        signal: Signal = lex.signals[owner]
        leans, label, shown = signal.leans, signal.label, phrase
        if leans == PROMOTE and at >= 0 and _negated(words, at, lex):
            leans, label = PROTECT, "negated praise"
            shown = f"{words[at - 1]} {phrase}"
        if shown not in found.setdefault(label, []):
            found[label].append(shown)
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
