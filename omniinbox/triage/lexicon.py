"""The words triage works with, read from data files (``omniinbox/resources/lexicon/*.toml``).

Three files ship with the application: ``normalize.toml`` (informal spellings, words that never
tie messages together, generic hashtags and link hosts, tracking parameters...), ``stopwords.toml``
(Bahasa Indonesia and English) and ``suggest.toml`` (Promote/Protect signals, spam markers,
negations, words that hint at a key opinion leader's kind). A folder of the same files, e.g.
``<config>/lexicon/``, can extend them (:func:`user_folder`, read once per process): its lists are added to the shipped
ones, a list named ``remove_<name>`` takes entries out, and its ``[slang]`` entries replace or add
mappings.

:class:`Lexicon` is immutable; :meth:`Lexicon.default` is read once per process.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

FILES = ("normalize.toml", "stopwords.toml", "suggest.toml")


def user_folder() -> Path:
    """Where people put their own lexicon files (``<config>/lexicon/``)."""
    from omniinbox.paths import config_dir

    return config_dir() / "lexicon"


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Signal:
    """One kind of evidence for a suggestion: its phrases, which way it leans and how much."""

    name: str
    label: str
    leans: str  # "promote" | "protect"
    weight: int
    phrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    slang: Mapping[str, tuple[str, ...]]
    stopwords: frozenset[str]
    significant: frozenset[str]
    significant_short: frozenset[str]
    generic_terms: frozenset[str]
    generic_hashtags: frozenset[str]
    generic_link_hosts: frozenset[str]
    tracking_params: frozenset[str]
    significant_numbers: frozenset[str]
    double_letters: frozenset[str]
    signals: tuple[Signal, ...]
    spam: tuple[str, ...]
    negations: frozenset[str]
    kol_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sentiment_words: frozenset[str] = frozenset()  # single words of signals with subject = false
    synonyms: Mapping[str, str] = field(default_factory=dict)  # word or stem -> the term grouping uses
    common_terms: frozenset[str] = frozenset()  # terms that weigh half when tying messages together
    digest: str = ""  # identifies the content, recorded with what was derived from it

    @staticmethod
    @lru_cache(maxsize=1)
    def default() -> Lexicon:
        """The lexicon shipped with the application, extended by the files in the user's
        :func:`user_folder` (read once per process)."""
        return Lexicon.load(user_folder())

    @classmethod
    def load(cls, extra: Path | None = None) -> Lexicon:
        """The shipped lexicon, extended by the files in ``extra`` (a folder) when given."""
        folder = resources.files("omniinbox.resources") / "lexicon"
        data = {name: _read(name, (folder / name).read_text(encoding="utf-8")) for name in FILES}
        if extra is not None and extra.is_dir():
            for name in FILES:
                path = extra / name
                if path.is_file():
                    data[name] = _merge(data[name], _read(str(path), path.read_text(encoding="utf-8")))
        return cls._build(data)

    @classmethod
    def _build(cls, data: Mapping[str, Mapping[str, Any]]) -> Lexicon:
        norm, stop, sug = data["normalize.toml"], data["stopwords.toml"], data["suggest.toml"]
        lists = norm.get("lists", {})
        slang = {str(k).casefold(): tuple(str(v).casefold().split()) for k, v in norm.get("slang", {}).items()}
        synonyms: dict[str, str] = {}
        for canonical, variants in norm.get("synonyms", {}).items():
            for variant in _phrases(variants):
                synonyms[variant] = str(canonical).casefold()
        signals = []
        for name, raw in sug.get("signals", {}).items():
            leans = raw.get("leans")
            if leans not in ("promote", "protect"):
                raise LexiconError(f"suggest.toml [signals.{name}]: leans must be 'promote' or 'protect'")
            signals.append(
                Signal(
                    name=name,
                    label=str(raw.get("label", name)),
                    leans=leans,
                    weight=int(raw.get("weight", 1)),
                    phrases=tuple(_phrases(raw.get("phrases", []))),
                )
            )
        kol_words = {str(k): tuple(_phrases(v)) for k, v in sug.get("kol_kinds", {}).items()}
        sentiment = {
            phrase
            for signal, raw in zip(signals, sug.get("signals", {}).values(), strict=True)
            if raw.get("subject", True) is False
            for phrase in signal.phrases
            if " " not in phrase
        }
        digest = hashlib.blake2b(repr(sorted((k, repr(v)) for k, v in data.items())).encode(), digest_size=6)
        return cls(
            slang=slang,
            stopwords=frozenset(_words(stop.get("id", [])) | _words(stop.get("en", []))),
            significant=frozenset(_words(lists.get("significant", []))),
            significant_short=frozenset(_words(lists.get("significant_short", []))),
            generic_terms=frozenset(_words(lists.get("generic_terms", []))),
            generic_hashtags=frozenset(_words(lists.get("generic_hashtags", []))),
            generic_link_hosts=frozenset(_words(lists.get("generic_link_hosts", []))),
            tracking_params=frozenset(_words(lists.get("tracking_params", []))),
            significant_numbers=frozenset(_words(lists.get("significant_numbers", []))),
            double_letters=frozenset(_words(lists.get("double_letters", []))),
            signals=tuple(signals),
            spam=tuple(_phrases(sug.get("spam", {}).get("phrases", []))),
            negations=frozenset(_words(sug.get("negations", {}).get("phrases", []))),
            kol_words=kol_words,
            sentiment_words=frozenset(sentiment),
            synonyms=synonyms,
            common_terms=frozenset(_words(lists.get("common_terms", []))),
            digest=digest.hexdigest(),
        )

    def with_generic(self, terms: Iterable[str] = (), hashtags: Iterable[str] = ()) -> Lexicon:
        """This lexicon with more generic terms and hashtags (the institution's own names, kept
        in the triage settings of a cache)."""
        terms = frozenset(t.casefold().strip() for t in terms if t.strip())
        hashtags = frozenset(h.casefold().strip().lstrip("#") for h in hashtags if h.strip())
        if not terms and not hashtags:
            return self
        return replace(
            self,
            generic_terms=self.generic_terms | terms,
            generic_hashtags=self.generic_hashtags | hashtags,
            digest=hashlib.blake2b(
                f"{self.digest}|{sorted(terms)}|{sorted(hashtags)}".encode(), digest_size=6
            ).hexdigest(),
        )


def _read(name: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{name}: not a readable TOML file: {exc}") from None


def _words(values: object) -> set[str]:
    if not isinstance(values, list):
        raise LexiconError(f"expected a list of words, not {type(values).__name__}")
    return {str(v).casefold().strip() for v in values if str(v).strip()}


def _phrases(values: object) -> list[str]:
    if not isinstance(values, list):
        raise LexiconError(f"expected a list of phrases, not {type(values).__name__}")
    return [" ".join(str(v).casefold().split()) for v in values if str(v).strip()]


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``: lists are added, ``remove_<name>`` lists subtract, tables merge
    (a scalar or a mapping entry in ``extra`` replaces the one in ``base``)."""
    merged: dict[str, Any] = dict(base)
    for key, value in extra.items():
        if key.startswith("remove_"):
            continue
        old = merged.get(key)
        if isinstance(old, list) and isinstance(value, list):
            merged[key] = [*old, *(v for v in value if v not in old)]
        elif isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(old, value)
        else:
            merged[key] = value
    for key, value in extra.items():
        if key.startswith("remove_") and isinstance(value, list):
            target = key.removeprefix("remove_")
            if isinstance(merged.get(target), list):
                gone = {str(v).casefold() for v in value}
                merged[target] = [v for v in merged[target] if str(v).casefold() not in gone]
    return merged
