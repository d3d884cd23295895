"""Text normalisation for Bahasa Indonesia and English, as grouping and suggestions need it.

:func:`analyze` turns a message into :class:`TextFeatures`:

* links are taken out first and normalised (:func:`normalize_url`: lower-case host without
  ``www.``, no fragment, no tracking parameters, no trailing slash), then e-mail addresses,
  ``@mentions`` and ``#hashtags`` (lower-case, diacritics stripped);
* the rest is case-folded, diacritics stripped, split into words; letters repeated three times or
  more are squeezed (``parahhhh`` -> ``parah``; ``goooood`` -> ``good`` where the lexicon knows the
  doubled spelling), ``warga2`` and ``anak-anak`` become one word, informal spellings are mapped
  (``gak`` -> ``tidak``, ``udh`` -> ``sudah``, ``makasih`` -> ``terima kasih``): these are ``words``,
  in order, for phrase matching;
* ``terms`` are the words that can name a subject: not stopwords, not generic (``min``, ``warga``,
  ``pagi``...), at least three letters unless the lexicon lists them (``kk``), numbers only when
  they name something (``112``) or are long identifiers, and lightly stemmed (:func:`stem`), in
  order of first appearance.

Everything here is a pure function of the text and the :class:`~omniinbox.triage.lexicon.Lexicon`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import parse_qsl, urlencode, urlsplit

from omniinbox.triage.lexicon import Lexicon

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MENTION = re.compile(r"(?<![\w@])@([\w.]{1,60})")
_HASHTAG = re.compile(r"(?<![\w&#])#([^\W_][\w]{0,80})")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_RUN = re.compile(r"(.)\1{2,}")
_RUN_TO_TWO = re.compile(r"(.)\1{2,}")
_REDUPLICATED_2 = re.compile(r"^([a-z]{2,})2$")
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class TextFeatures:
    words: tuple[str, ...]
    terms: tuple[str, ...]
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    links: tuple[str, ...]
    names: tuple[str, ...] = ()  # the terms written as names (``SukaLayan``, ``Dukcapil`` mid-sentence)


def fold(text: str) -> str:
    """Case-folded, with diacritics stripped (``Café`` -> ``cafe``)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_url(url: str, lexicon: Lexicon) -> str:
    """A link as grouping compares it: ``host/path?query`` without scheme, ``www.``, fragment,
    tracking parameters and trailing slash; the host and scheme lower-cased."""
    url = url.rstrip(".,;:!?…")
    if not re.match(r"https?://", url, re.IGNORECASE):
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return ""
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in lexicon.tracking_params
    ]
    path = parts.path.rstrip("/")
    normalized = host + path
    if query:
        normalized += "?" + urlencode(sorted(query))
    return normalized


def is_generic_link(link: str, lexicon: Lexicon) -> bool:
    """A home page, or a profile on a social platform: names no subject."""
    host, _, rest = link.partition("/")
    path = rest.split("?", 1)[0]
    segments = [s for s in path.split("/") if s]
    if not segments:
        return True
    return host in lexicon.generic_link_hosts and len(segments) < 2


def _squeeze(word: str, lexicon: Lexicon) -> str:
    if not _RUN.search(word):
        return word
    two = _RUN_TO_TWO.sub(r"\1\1", word)
    if two in lexicon.double_letters or two in lexicon.slang or two in lexicon.significant:
        return two
    return _RUN.sub(r"\1", word)


def _expand(token: str, lexicon: Lexicon) -> Iterable[str]:
    """One raw token -> normalised words (squeezed, reduplication folded, slang mapped)."""
    token = _squeeze(token, lexicon)
    mapped = lexicon.slang.get(token)
    if mapped is not None:
        yield from mapped
        return
    if "-" in token:
        parts = [p for p in token.split("-") if p]
        if len(set(parts)) == 1:  # anak-anak, dengar-dengar
            parts = parts[:1]
        for part in parts:
            yield from _expand(part, lexicon)
        return
    reduplicated = _REDUPLICATED_2.match(token)
    if reduplicated:  # warga2
        token = reduplicated.group(1)
    yield from lexicon.slang.get(token, (token,))


_VOWELS = frozenset("aeiou")


def stem(word: str) -> str:
    """A light, conservative Indonesian stemmer (and English plural ``-s``): the same word in its
    common forms gets the same stem (``diakses``, ``mengakses`` -> ``akses``; ``antrean`` -> ``antre``;
    ``keluhkan``, ``keluhan`` -> ``keluh``). It never needs to be right, only consistent."""
    if len(word) < 6 or not word.isalpha():
        return word
    for particle in ("nya", "lah", "kah", "pun"):
        if word.endswith(particle) and len(word) - len(particle) >= 4:
            word = word[: -len(particle)]
            break
    if word.startswith("meng") and len(word) > 6 and word[4] in _VOWELS:
        word = word[4:]
    elif word.startswith("meny") and len(word) > 6 and word[4] in _VOWELS:
        word = "s" + word[4:]
    elif word.startswith("mem") and len(word) > 6 and word[3] in "bpf":
        word = word[3:]
    elif word.startswith("mem") and len(word) > 6 and word[3] in _VOWELS:
        word = "p" + word[3:]
    elif word.startswith("men") and len(word) > 6 and word[3] in "cdjz":
        word = word[3:]
    elif word.startswith("men") and len(word) > 6 and word[3] in _VOWELS:
        word = "t" + word[3:]
    elif word.startswith("me") and len(word) > 6 and word[2] in "lmnrwy":
        word = word[2:]
    elif word.startswith("peng") and len(word) > 7 and word[4] in _VOWELS:
        word = word[4:]
    elif word.startswith("di") and len(word) >= 6:
        word = word[2:]
    if word.endswith("kan") and len(word) - 3 >= 4:
        word = word[:-3]
    elif word.endswith("an") and len(word) - 2 >= 5:
        word = word[:-2]
    elif word.endswith("s") and len(word) >= 6 and word[-2] not in "aeiosu":
        word = word[:-1]
    return word


def _number_term(word: str, lexicon: Lexicon) -> str | None:
    if word in lexicon.significant_numbers:
        return word
    if len(word) >= 4 and not (len(word) == 4 and 1900 <= int(word) <= 2099):
        return word
    return None


def analyze(text: str, lexicon: Lexicon | None = None) -> TextFeatures:
    """See the module docstring."""
    lex = lexicon or Lexicon.default()
    links: list[str] = []
    for match in _URL.finditer(text):
        normalized = normalize_url(match.group(0), lex)
        if normalized and normalized not in links:
            links.append(normalized)
    rest = _URL.sub(" ", text)
    rest = _EMAIL.sub(" ", rest)
    mentions = list(dict.fromkeys(fold(m).rstrip(".") for m in _MENTION.findall(rest)))
    rest = _MENTION.sub(" ", rest)
    hashtags: list[str] = []
    for tag in _HASHTAG.findall(rest):
        tag = fold(tag)
        if tag.isdigit():
            continue  # "#12345" is a number (a ticket), left in the text
        if tag not in hashtags:
            hashtags.append(tag)
    rest = _HASHTAG.sub(lambda m: " " if not m.group(1).isdigit() else " " + m.group(1), rest)
    words: list[str] = []
    for token in _WORD.findall(fold(rest)):
        words.extend(_expand(token, lex))
    terms = terms_of(words, lex)
    named = set(terms_of(_name_words(rest, lex), lex))
    names = tuple(t for t in terms if t in named)
    return TextFeatures(tuple(words), terms, tuple(hashtags), tuple(mentions), tuple(links), names)


_CAMEL = re.compile(r"[a-z][A-Z]")
_ABBREVIATION = re.compile(r"(?:^|\s)[A-Z][a-z]{0,3}\.$")  # "Jl.", "Kel.", "No." do not end a sentence
_SENTENCE_END = frozenset(".!?:;\n\"'“”‘’([")


def _name_words(text: str, lexicon: Lexicon) -> list[str]:
    """Words written as names: in CamelCase (``SukaLayan``), or capitalised (``Dukcapil``) where a
    sentence does not start."""
    found: list[str] = []
    for match in _WORD.finditer(text):
        token = match.group(0)
        if _CAMEL.search(token):
            pass
        elif len(token) >= 3 and token[0].isupper() and token[1:].islower():
            before = text[: match.start()].rstrip()
            if not before or (before[-1] in _SENTENCE_END and not _ABBREVIATION.search(before)):
                continue
        else:
            continue
        found.extend(_expand(fold(token), lexicon))
    return found


def terms_of(words: Iterable[str], lexicon: Lexicon) -> tuple[str, ...]:
    """The words that can name a subject, stemmed, distinct, in order of first appearance."""
    seen: dict[str, None] = {}
    stop, generic, significant = lexicon.stopwords, lexicon.generic_terms, lexicon.significant
    sentiment, synonyms = lexicon.sentiment_words, lexicon.synonyms
    for word in words:
        if word in stop or word in generic or word in sentiment:
            continue
        same = synonyms.get(word)
        if same is not None:
            seen.setdefault(same, None)
            continue
        if word in significant:
            seen.setdefault(word, None)
            continue
        if word.isdigit():
            number = _number_term(word, lexicon)
            if number is not None:
                seen.setdefault(number, None)
            continue
        if len(word) < 3 and word not in lexicon.significant_short:
            continue
        stemmed = stem(word)
        if stemmed in stop or stemmed in generic:
            continue
        seen.setdefault(synonyms.get(stemmed, stemmed), None)
    return tuple(seen)


# ------------------------------------------------------------------------------------ SimHash


def hash64(value: str) -> int:
    """A stable 64-bit hash (unsigned) of a string: the same in every process and release."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "little")


def signed64(value: int) -> int:
    """An unsigned 64-bit value as the signed integer SQLite stores."""
    return value - (1 << 64) if value >= (1 << 63) else value


def unsigned64(value: int) -> int:
    return value & _MASK64


def shingles(words: Sequence[str]) -> list[str]:
    """The features a SimHash is taken over: each word and each pair of neighbouring words."""
    return [*words, *(f"{a} {b}" for a, b in pairwise(words))]


def simhash64(features: Iterable[str]) -> int:
    """Charikar's SimHash over ``features`` (each counted once per occurrence), unsigned.

    Per bit, the majority vote of the features' hash bits. The votes are counted for all 64 bits
    at once in bit-sliced counters (plane ``j`` holds bit ``j`` of every bit's count), so a
    feature costs a few integer operations instead of 64."""
    planes: list[int] = []
    n = 0
    for feature in features:
        n += 1
        carry = hash64(feature)
        for j, plane in enumerate(planes):
            planes[j] = plane ^ carry
            carry &= plane
            if not carry:
                break
        else:
            if carry:
                planes.append(carry)
    threshold = n // 2  # a bit is set where more than half the features have it
    greater, equal = 0, _MASK64
    for j in reversed(range(max(len(planes), threshold.bit_length()))):
        plane = planes[j] if j < len(planes) else 0
        if (threshold >> j) & 1:
            equal &= plane
        else:
            greater |= equal & plane
            equal &= ~plane & _MASK64
    return greater


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()
