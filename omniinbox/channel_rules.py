"""What each channel lets a reply be, checked before the reply is queued rather than learnt from a
refusal at the platform.

:func:`check_reply` is the one function the composer and the outbox (``store/outbox.py``
``enqueue``) both call. It returns :class:`Problem` records, each with a code and a short English
message for people; a problem with ``blocks`` false (a leader account's approval) is an outcome to
show, not a refusal.

The rules, per channel, for the reply's visibility and the kind of message answered:

=========================  =====================================  ===============================
channel                    public                                 private
=========================  =====================================  ===============================
X                          reply post, 280 weighted (see below)   direct message, 10,000
Mastodon                   reply, 500 (a link counts 23)          direct mention, 500
Facebook                   comment, 8,000                         Messenger message, 2,000 —
                                                                  24 h after the customer's last
                                                                  message; a private reply to a
                                                                  comment within 7 days of it
Instagram                  comment, 2,200                         only in a DM conversation:
                                                                  1,000 bytes, 24 h window
YouTube                    comment, 10,000                        none
Telegram                   message in the chat, 4,096             only in a private chat
WhatsApp                   message, 4,096, 24 h window            same
Chatwoot                   message to the contact (WhatsApp       private note among agents
                           inbox: 4,096, 24 h window)
Zendesk/Freshdesk/Zammad   public reply                           internal note
email                      the mail reply (private by nature)     none: mail has no notes
listening                  none: imported, answer on the          none
                           platform itself
=========================  =====================================  ===============================

In a direct-message conversation (item kind ``dm``) of a social channel both visibilities mean
the same thing, the next message of that conversation. X counts the way its twitter-text library
does (https://docs.x.com/fundamentals/counting-characters): the text in Unicode NFC; code points
in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 weigh 1, every other code point
(CJK, most symbols) 2; an emoji, however many code points its sequence takes (skin tones, ZWJ
families, flags, keycaps), 2; a link, however long, 23 (the t.co link it becomes). Mastodon also
counts a link as 23 and a mention ``@user@domain`` as ``@user``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from omniinbox.core import Channel, ItemKind, Visibility, utcnow

# ---------------------------------------------------------------------------------- problems

EMPTY = "empty"
TOO_LONG = "too_long"
WINDOW_CLOSED = "window_closed"
NOT_POSSIBLE = "not_possible"  # the channel has no such kind of reply
NOT_ANSWERABLE = "not_answerable"  # items imported without a connection to the platform
APPROVAL = "approval"


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    blocks: bool = True  # False: an outcome to show (approval), not a reason to refuse

    def __str__(self) -> str:
        return self.message


def blocking(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.blocks]


# ---------------------------------------------------------------------------------- counting

_URL = re.compile(
    r"(?<![\w@.])(?:https?://[^\s<>\"]+|www\.[^\s<>\"]+"
    r"|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"\.(?:com|org|net|id|io|co|gov|edu|info|biz|me|ly|app|dev|tv|us|uk|au|sg|my|jp|kr|cn|de|fr|nl|ru)"
    r"(?:/[^\s<>\"]*)?)(?<![.,:;!?)\]'\"])",
    re.IGNORECASE,
)
_SCHEME_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_MASTODON_MENTION = re.compile(r"(?<![\w@])@([a-z0-9_]+)@[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
URL_WEIGHT = 23

# twitter-text v3: code points in these ranges weigh 1; every other one 2.
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_ZWJ = 0x200D
_VS16 = 0xFE0F
_KEYCAP = 0x20E3


def _light(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES)


def _emoji_base(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2300 <= cp <= 0x23FF
        or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
        or 0x2194 <= cp <= 0x21AA
        or 0x25AA <= cp <= 0x25FE
    )


def _emoji_modifier(cp: int) -> bool:
    return 0x1F3FB <= cp <= 0x1F3FF or cp == _VS16 or 0xE0020 <= cp <= 0xE007F


def _regional(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def _weigh_text(text: str) -> int:
    """Weight of text without links, by twitter-text's ranges and its emoji parsing."""
    cps = [ord(c) for c in text]
    total = 0
    i, n = 0, len(cps)
    while i < n:
        cp = cps[i]
        # keycap: 0-9 # * (VS16) U+20E3
        if chr(cp) in "0123456789#*":
            j = i + 1
            if j < n and cps[j] == _VS16:
                j += 1
            if j < n and cps[j] == _KEYCAP:
                total += 2
                i = j + 1
                continue
        if _regional(cp):
            total += 2
            i += 2 if i + 1 < n and _regional(cps[i + 1]) else 1
            continue
        if _emoji_base(cp) and (cp > 0xFFFF or _next_is(cps, i + 1, _VS16) or not _light(cp)):
            i += 1
            while i < n:
                if _emoji_modifier(cps[i]) or cps[i] == _KEYCAP:
                    i += 1
                elif cps[i] == _ZWJ and i + 1 < n and (_emoji_base(cps[i + 1]) or cps[i + 1] > 0xFFFF):
                    i += 2
                else:
                    break
            total += 2
            continue
        total += 1 if _light(cp) else 2
        i += 1
    return total


def _next_is(cps: list[int], at: int, value: int) -> bool:
    return at < len(cps) and cps[at] == value


def x_length(text: str) -> int:
    """The length of ``text`` as X counts a post (see the module docstring)."""
    text = unicodedata.normalize("NFC", text.strip())
    total, start = 0, 0
    for match in _URL.finditer(text):
        total += _weigh_text(text[start : match.start()]) + URL_WEIGHT
        start = match.end()
    return total + _weigh_text(text[start:])


def mastodon_length(text: str) -> int:
    """Mastodon's count: code points, a link as 23, a remote mention without its domain."""
    text = _MASTODON_MENTION.sub(lambda m: "@" + m.group(1), text.strip())
    return len(_SCHEME_URL.sub("x" * URL_WEIGHT, text))


def plain_length(text: str) -> int:
    return len(text.strip())


def utf8_length(text: str) -> int:
    return len(text.strip().encode("utf-8"))


# ---------------------------------------------------------------------------------- routes


@dataclass(frozen=True, slots=True)
class Route:
    """What a reply becomes on its channel: its name, its length limit and how it is counted, and
    the time window after the customer's last message (or the item answered) it must fall in."""

    name: str
    limit: int | None = None
    count: Callable[[str], int] = plain_length
    unit: str = "characters"
    window: timedelta | None = None
    window_from_item: bool = False  # the window opens at the item answered, not the last message
    window_name: str = ""
    instead: str = ""  # what is possible once the window has closed


DAY = timedelta(hours=24)
WEEK = timedelta(days=7)

_PUBLIC: dict[Channel, Route] = {
    Channel.X: Route("x", 280, x_length),
    Channel.MASTODON: Route("mastodon", 500, mastodon_length),
    Channel.FACEBOOK: Route("facebook", 8000),
    Channel.INSTAGRAM: Route("instagram", 2200),
    Channel.YOUTUBE: Route("youtube", 10000),
    Channel.TELEGRAM: Route("telegram", 4096),
    Channel.WHATSAPP: Route(
        "whatsapp",
        4096,
        window=DAY,
        window_name="WhatsApp's 24-hour customer service window",
        instead="only a pre-approved template message can reach them now, or wait for them to write again",
    ),
    Channel.EMAIL: Route("email"),
    Channel.ZENDESK: Route("zendesk"),
    Channel.FRESHDESK: Route("freshdesk"),
    Channel.ZAMMAD: Route("zammad"),
    Channel.CHATWOOT: Route("chatwoot"),
}

CHARACTER_LIMITS: dict[Channel, int | None] = {c: (_PUBLIC[c].limit if c in _PUBLIC else None) for c in Channel}

_MESSENGER = Route(
    "a Messenger message",
    2000,
    window=DAY,
    window_name="Messenger's 24-hour window",
    instead="answer in public on their post or comment, or wait for them to write again",
)
_FACEBOOK_PRIVATE_REPLY = Route(
    "a private reply to a Facebook comment",
    2000,
    window=WEEK,
    window_from_item=True,
    window_name="the 7 days in which a Page may answer a comment privately",
    instead="answer in public under the comment instead",
)
_INSTAGRAM_DM = Route(
    "an Instagram direct message",
    1000,
    utf8_length,
    unit="bytes",
    window=DAY,
    window_name="Instagram's 24-hour messaging window",
    instead="answer in public under one of their comments, or wait for them to write again",
)
_CHATWOOT_WHATSAPP = Route(
    "a WhatsApp message",
    4096,
    window=DAY,
    window_name="WhatsApp's 24-hour customer service window",
    instead=(
        "only a pre-approved template message (sent from Chatwoot) can reach them now, or add a private note;"
        " wait for them to write again"
    ),
)
_X_DM = Route("an X direct message", 10000)
_NOTE = Route("a private note")
_MASTODON_DIRECT = Route("a direct Mastodon mention", 500, mastodon_length)


def _is_dm(kind: ItemKind | str | None) -> bool:
    return kind is not None and str(kind) == ItemKind.DM.value


def route(
    channel: Channel | str, visibility: Visibility | str, kind: ItemKind | str | None = None, *, inbox: str = ""
) -> Route | Problem:
    """What a reply of ``visibility`` to an item of ``kind`` on ``channel`` becomes, or the
    problem that says it is not possible there. ``inbox`` is a Chatwoot conversation's channel
    type ("whatsapp" for a WhatsApp inbox)."""
    ch = Channel.parse(str(channel))
    private = Visibility(str(visibility)) is Visibility.PRIVATE
    dm = _is_dm(kind)
    if ch is Channel.LISTENING:
        return Problem(
            NOT_ANSWERABLE,
            "items imported from a listening tool cannot be answered from here: answer on the platform itself"
            " (open the item's link)",
        )
    if ch is Channel.CHATWOOT:
        if private:
            return _NOTE
        return _CHATWOOT_WHATSAPP if inbox.lower().removeprefix("channel::") == "whatsapp" else _PUBLIC[ch]
    if ch in (Channel.ZENDESK, Channel.FRESHDESK, Channel.ZAMMAD):
        return Route(f"an internal {ch.value} note") if private else _PUBLIC[ch]
    if ch is Channel.EMAIL:
        if private:
            return Problem(
                NOT_POSSIBLE,
                "email has no private notes: a mail reply reaches only its recipients; send it as a normal reply,"
                " or add a note to the conversation",
            )
        return _PUBLIC[ch]
    if ch is Channel.WHATSAPP:
        return _PUBLIC[ch]
    if ch is Channel.FACEBOOK:
        if dm:
            return _MESSENGER
        return _FACEBOOK_PRIVATE_REPLY if private else _PUBLIC[ch]
    if ch is Channel.INSTAGRAM:
        if dm:
            return _INSTAGRAM_DM
        if private:
            return Problem(
                NOT_POSSIBLE,
                "Instagram comments are answered in public only; a private conversation needs them to send a direct"
                " message first",
            )
        return _PUBLIC[ch]
    if ch is Channel.YOUTUBE:
        if private:
            return Problem(NOT_POSSIBLE, "YouTube has no private replies: comments are answered in public only")
        return _PUBLIC[ch]
    if ch is Channel.X:
        return _X_DM if dm or private else _PUBLIC[ch]
    if ch is Channel.MASTODON:
        return _MASTODON_DIRECT if dm or private else _PUBLIC[ch]
    if ch is Channel.TELEGRAM:
        if private and not dm:
            return Problem(
                NOT_POSSIBLE,
                "Telegram has no private replies to a group or channel message: the bot answers in the chat"
                " it came from",
            )
        return _PUBLIC[ch]
    raise AssertionError(f"no reply rules for channel {ch.value}")  # every Channel is handled above


def chatwoot_inbox(raw: object) -> str:
    """The channel type a stored Chatwoot payload names ("whatsapp" for ``Channel::Whatsapp``),
    looked for on the message, its ``conversation`` and their ``meta``; "" when none is named."""
    if not isinstance(raw, Mapping):
        return ""
    places: list[Any] = [raw, raw.get("conversation"), raw.get("meta")]
    conversation = raw.get("conversation")
    if isinstance(conversation, Mapping):
        places.append(conversation.get("meta"))
    for place in places:
        if isinstance(place, Mapping):
            value = place.get("channel") or place.get("channel_type")
            if isinstance(value, str) and value:
                return value.removeprefix("Channel::").lower()
    return ""


def character_count(text: str, channel: Channel | str | None = None, visibility: Visibility | str = "public") -> int:
    """The length of ``text`` as ``channel`` counts a reply of ``visibility`` (code points of the
    stripped text when the channel is unknown or has no such reply)."""
    if channel is None:
        return plain_length(text)
    try:
        found = route(channel, visibility)
    except ValueError:
        return plain_length(text)
    return found.count(text) if isinstance(found, Route) else plain_length(text)


def character_limit(channel: Channel | str, visibility: Visibility | str = "public") -> int | None:
    """The longest reply of ``visibility`` on ``channel``; ``None``: no practical limit (or unknown)."""
    try:
        found = route(channel, visibility)
    except ValueError:
        return None
    return found.limit if isinstance(found, Route) else None


# ---------------------------------------------------------------------------------- the check


def _when(value: datetime) -> str:
    return value.strftime("%d %b %Y %H:%M UTC")


def check_reply(
    channel: Channel | str,
    text: str,
    visibility: Visibility | str = Visibility.PUBLIC,
    *,
    kind: ItemKind | str | None = None,
    last_customer_at: datetime | None = None,
    item_at: datetime | None = None,
    now: datetime | None = None,
    leader: bool = False,
    inbox: str = "",
    imported: bool = False,
) -> list[Problem]:
    """Everything that stands between ``text`` and the platform, as a list of problems (empty:
    nothing). ``kind`` is the kind of the item answered (a ``dm`` is answered in its
    conversation); ``last_customer_at`` the time of the customer's last message in the
    conversation and ``item_at`` the time of the item answered (windows are not checked when they
    are unknown); ``leader`` adds the approval outcome; ``imported`` marks an account filled from
    files, which has no connection to answer through."""
    try:
        ch = Channel.parse(str(channel))
        vis = Visibility(str(visibility))
    except ValueError as exc:
        return [Problem(NOT_POSSIBLE, str(exc))]
    problems: list[Problem] = []
    if not text.strip():
        problems.append(Problem(EMPTY, "the reply is empty"))
    found = route(ch, vis, kind, inbox=inbox)
    if imported and ch is not Channel.LISTENING:
        problems.append(
            Problem(
                NOT_ANSWERABLE,
                f"this {ch.value} account holds imported items and has no connection to answer through: answer on"
                " the platform itself, or from a connected account",
            )
        )
    if isinstance(found, Problem):
        problems.append(found)
    else:
        if found.limit is not None and text.strip():
            count = found.count(text)
            if count > found.limit:
                how = ""
                if ch is Channel.X and found.count is x_length and count != plain_length(text):
                    how = " as X counts them (a link counts 23, an emoji or CJK character 2)"
                problems.append(
                    Problem(TOO_LONG, f"the reply has {count} {found.unit}{how}; {found.name} accepts {found.limit}")
                )
        opened = item_at if found.window_from_item else last_customer_at
        if found.window is not None and opened is not None:
            closes = opened + found.window
            if (now or utcnow()) > closes:
                problems.append(
                    Problem(WINDOW_CLOSED, f"{found.window_name} closed on {_when(closes)}: {found.instead}")
                )
    if leader:
        problems.append(Problem(APPROVAL, "the reply waits for a supervisor's approval", blocks=False))
    return problems


def first_refusal(problems: list[Problem]) -> str | None:
    """The message of the first problem that refuses the reply, or ``None``."""
    refusals = blocking(problems)
    return refusals[0].message if refusals else None
