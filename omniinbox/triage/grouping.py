"""Which items belong to the same issue: the rules, as pure functions.

Issues are the connected components of a graph whose edges depend only on the two items
(:func:`edge_reason`), never on what else has arrived or in which order; so however arrivals are
interleaved, the same items end up grouped the same way. Two items are joined when they were
created within the grouping window of each other and

* they are in the same private thread (both are tickets or ticket comments, DMs or mails);
* one is a reply to the other (the parent not being one of our own messages), in one thread;
* they are in the same public thread and share at least :data:`TERMS_IN_THREAD` key terms, or
  were written within :data:`BURST_MS` of each other and lean the same way by their own words
  (two complaints, or two thanks, under one post);
* they share a hashtag that is not generic, or a link that is not generic;
* their texts are near duplicates (SimHash within :data:`NEAR_DUP_BITS` bits; only for texts of
  at least :data:`MIN_WORDS_NEAR_DUP` words and two key terms);
* the key terms they share weigh at least :data:`TERMS_ACROSS` (an item's key terms are its
  first :data:`KEY_TERMS` significant terms, subject first; a term the lexicon lists as common
  in a public institution's inbox, like ``ktp`` or ``antrean``, weighs half);
* they share :data:`TERMS_NAMED` key terms weighing at least 1.5, one of them written as a name
  (``SukaLayan``, ``Dukcapil``), were created within :data:`BURST_MS` of each other, and do not
  lean opposite ways (praise against complaint, by the words of the lexicon).

Guards against chaining everything into one giant issue: our own messages (outbound) only join
the thread they answer and never bridge two issues by their text; spam joins nothing; generic
words, hashtags and links (lexicon and settings) never count; short texts are not compared as
near duplicates; one shared word is never enough.

The store keeps lookup postings (:func:`lookup_keys`) so candidates are found by index within the
time window; :func:`partition` is the same rule applied to every pair, the reference the
incremental grouping is tested against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from omniinbox.triage.lexicon import Lexicon
from omniinbox.triage.text import (
    TextFeatures,
    hamming,
    hash64,
    is_generic_link,
    shingles,
    signed64,
    simhash64,
)

KEY_TERMS = 8
TERMS_ACROSS = 3
TERMS_NAMED = 2
TERMS_IN_THREAD = 2
BURST_MS = 3 * 3_600_000
MIN_PAIR_HITS = TERMS_ACROSS * (TERMS_ACROSS - 1) // 2  # items sharing three terms share three pairs
NEAR_DUP_BITS = 3
MIN_WORDS_NEAR_DUP = 6
MIN_TERMS_NEAR_DUP = 2

FLAG_OUTBOUND = 1
FLAG_SPAM = 2
FLAG_PRIVATE_THREAD = 4
FLAG_FLOOD = 8  # set by the measures, not by grouping
FLAG_DETACHED = 16  # taken out of its issue by a person: automatic grouping leaves it alone
FLAG_PRAISE_WORDS = 32  # its own words lean Promote
FLAG_COMPLAINT_WORDS = 64  # its own words lean Protect

PRIVATE_THREAD_KINDS = frozenset({"ticket", "ticket_comment", "dm", "email"})


@dataclass(frozen=True, slots=True)
class GroupingText:
    """What grouping takes from an item's text."""

    terms: tuple[str, ...]  # key terms
    hashtags: tuple[str, ...]
    links: tuple[str, ...]
    simhash: int | None  # unsigned; None when the text is too short to compare
    names: tuple[str, ...] = ()  # the key terms written as names
    common: tuple[str, ...] = ()  # the key terms the lexicon calls common: they weigh half


def grouping_text(features: TextFeatures, lexicon: Lexicon) -> GroupingText:
    hashtags = tuple(h for h in features.hashtags if len(h) >= 3 and h not in lexicon.generic_hashtags)
    links = tuple(link for link in features.links if not is_generic_link(link, lexicon))
    simhash = None
    if len(features.words) >= MIN_WORDS_NEAR_DUP and len(features.terms) >= MIN_TERMS_NEAR_DUP:
        simhash = simhash64(shingles(features.words))
    terms = features.terms[:KEY_TERMS]
    names = tuple(t for t in terms if t in set(features.names))
    common = tuple(t for t in terms if t in lexicon.common_terms)
    return GroupingText(terms, hashtags, links, simhash, names, common)


@dataclass(frozen=True, slots=True)
class ItemFeatures:
    """One item as the grouping rules see it."""

    item_id: int
    created_ms: int
    conversation_id: int
    external_id: str
    parent_ref: str | None  # the external id of the item it replies to, if any
    flags: int
    terms: tuple[str, ...]
    hashtags: frozenset[str]
    links: frozenset[str]
    simhash: int | None
    names: frozenset[str] = frozenset()
    common: frozenset[str] = frozenset()

    @property
    def outbound(self) -> bool:
        return bool(self.flags & FLAG_OUTBOUND)

    @property
    def spam(self) -> bool:
        return bool(self.flags & FLAG_SPAM)

    @property
    def private_thread(self) -> bool:
        return bool(self.flags & FLAG_PRIVATE_THREAD)


def shared_terms(a: Sequence[str], b: Sequence[str]) -> int:
    return len(set(a).intersection(b))


def _same_lean(a: ItemFeatures, b: ItemFeatures) -> bool:
    lean = FLAG_PRAISE_WORDS | FLAG_COMPLAINT_WORDS
    return bool(a.flags & lean) and (a.flags & lean) == (b.flags & lean)


def _opposite(a: ItemFeatures, b: ItemFeatures) -> bool:
    return bool(
        (a.flags & FLAG_PRAISE_WORDS and b.flags & FLAG_COMPLAINT_WORDS)
        or (a.flags & FLAG_COMPLAINT_WORDS and b.flags & FLAG_PRAISE_WORDS)
    )


def edge_reason(a: ItemFeatures, b: ItemFeatures, window_ms: int) -> str | None:
    """Why ``a`` and ``b`` belong to one issue (``thread``, ``reply``, ``thread+terms``,
    ``thread+lean``, ``hashtag``, ``link``, ``near-duplicate``, ``terms``, ``terms+name``), or
    ``None``. Symmetric."""
    if a.item_id == b.item_id or a.spam or b.spam or abs(a.created_ms - b.created_ms) > window_ms:
        return None
    if a.conversation_id == b.conversation_id:
        if a.private_thread and b.private_thread:
            return "thread"
        if (a.parent_ref == b.external_id and not b.outbound) or (b.parent_ref == a.external_id and not a.outbound):
            return "reply"
        if not (a.outbound or b.outbound):
            if not _opposite(a, b) and shared_terms(a.terms, b.terms) >= TERMS_IN_THREAD:
                return "thread+terms"
            if abs(a.created_ms - b.created_ms) <= BURST_MS and _same_lean(a, b):
                return "thread+lean"
    if a.outbound or b.outbound:
        return None
    if a.hashtags & b.hashtags:
        return "hashtag"
    if a.links & b.links:
        return "link"
    if a.simhash is not None and b.simhash is not None and hamming(a.simhash, b.simhash) <= NEAR_DUP_BITS:
        return "near-duplicate"
    shared = set(a.terms).intersection(b.terms)
    weight = sum(0.5 if t in a.common or t in b.common else 1.0 for t in shared)
    if weight >= TERMS_ACROSS:
        return "terms"
    if (
        len(shared) >= TERMS_NAMED
        and weight >= 1.5
        and shared & (a.names | b.names)
        and abs(a.created_ms - b.created_ms) <= BURST_MS
        and not _opposite(a, b)
    ):
        return "terms+name"
    return None


def _pairs(terms: Iterable[str]) -> list[tuple[str, str]]:
    return list(combinations(sorted(set(terms)), 2))


def _key(text: str) -> int:
    return signed64(hash64(text))


def lookup_keys(f: ItemFeatures) -> list[int]:
    """The postings under which ``f`` is found by the items it may join across threads, as
    signed 64-bit keys: each pair of its key terms (``t``), each pair holding one of its names
    again (``n``), its hashtags, links, and the four 16-bit bands of its SimHash. See
    :func:`probe` for how they are looked up."""
    if f.outbound or f.spam:
        return []
    pairs = _pairs(f.terms)
    keys = [f"t{a}\x1f{b}" for a, b in pairs]
    keys += [f"n{a}\x1f{b}" for a, b in pairs if a in f.names or b in f.names]
    keys += [f"h{h}" for h in f.hashtags]
    keys += [f"l{link}" for link in f.links]
    if f.simhash is not None:
        keys += [f"s{band}:{(f.simhash >> (16 * band)) & 0xFFFF}" for band in range(4)]
    return [_key(k) for k in keys]


@dataclass(frozen=True, slots=True)
class Probe:
    """What an item looks up to find the items it may join across threads.

    ``window`` keys are looked up among items created within the grouping window, ``burst``
    keys among items created within :data:`BURST_MS`. Every pair :func:`edge_reason` joins
    outside one thread is found (:func:`is_candidate`): three shared terms share three term
    pairs; two shared terms one of which is a name of ``f`` share a pair in ``named_pairs``,
    and one of which is a name of the other item share an ``n`` posting of the other item;
    equal hashtags and links share their key; SimHashes within three bits agree on one band.
    """

    window: tuple[int, ...]
    burst: tuple[int, ...]
    pairs: frozenset[int]  # the window keys that are term pairs
    named_pairs: frozenset[int]  # the term pairs holding one of the item's names


def probe(f: ItemFeatures) -> Probe:
    if f.outbound or f.spam:
        return Probe((), (), frozenset(), frozenset())
    pairs = _pairs(f.terms)
    pair_keys = [_key(f"t{a}\x1f{b}") for a, b in pairs]
    named = frozenset(k for k, (a, b) in zip(pair_keys, pairs, strict=True) if a in f.names or b in f.names)
    others = [_key(f"h{h}") for h in f.hashtags] + [_key(f"l{link}") for link in f.links]
    if f.simhash is not None:
        others += [_key(f"s{band}:{(f.simhash >> (16 * band)) & 0xFFFF}") for band in range(4)]
    burst = tuple(_key(f"n{a}\x1f{b}") for a, b in pairs)
    return Probe(tuple(pair_keys + others), burst, frozenset(pair_keys), named)


def is_candidate(p: Probe, window_hits: Iterable[int], burst_hit: bool, within_burst: bool) -> bool:
    """Whether an item whose postings matched ``window_hits`` of ``p.window`` (and, when
    ``burst_hit``, one of ``p.burst``) may be joined: worth loading and testing. The store
    answers the same question in SQL (``omniinbox.store.issues.candidate_items``)."""
    pair_hits = 0
    named = False
    for key in window_hits:
        if key not in p.pairs:
            return True  # a hashtag, a link or a SimHash band
        pair_hits += 1
        named = named or key in p.named_pairs
    return pair_hits >= MIN_PAIR_HITS or (within_burst and (named or burst_hit))


def encode_terms(terms: Sequence[str], names: Iterable[str] = (), common: Iterable[str] = ()) -> str:
    """Key terms as stored: space-separated, a name marked with a trailing ``*``, a common term
    with a trailing ``~``."""
    named, usual = set(names), set(common)
    return " ".join(t + ("*" if t in named else "") + ("~" if t in usual else "") for t in terms)


def decode_terms(stored: str) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """``(terms, names, common)`` from :func:`encode_terms`."""
    terms, names, common = [], set(), set()
    for word in stored.split():
        term = word.rstrip("*~")
        terms.append(term)
        if "*" in word[len(term) :]:
            names.add(term)
        if "~" in word[len(term) :]:
            common.add(term)
    return tuple(terms), frozenset(names), frozenset(common)


def partition(items: Sequence[ItemFeatures], window_ms: int) -> list[frozenset[int]]:
    """The issues :func:`edge_reason` makes of ``items``, comparing every pair (the reference;
    quadratic). Only groups of two or more; sorted by their smallest item id."""
    parent = {f.item_id: f.item_id for f in items}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in combinations(items, 2):
        if edge_reason(a, b, window_ms) is not None:
            ra, rb = find(a.item_id), find(b.item_id)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, set[int]] = {}
    for f in items:
        groups.setdefault(find(f.item_id), set()).add(f.item_id)
    return sorted((frozenset(g) for g in groups.values() if len(g) > 1), key=min)
