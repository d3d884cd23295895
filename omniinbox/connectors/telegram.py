"""Telegram Bot API: what people write to a bot (privately, in groups it is in, in channels it
administers) in, the bot's replies out.

Reading is ``getUpdates`` with ``offset`` (the cursor: the last ``update_id`` stored, plus one),
``limit=100``, ``timeout=0`` (no long polling: a sync returns at once) and ``allowed_updates``
limited to messages and channel posts and their edits. Telegram keeps unconfirmed updates for 24
hours and forgets an update once ``getUpdates`` is called with a higher offset, so the connector
is never read ahead: the next page is asked for only after this one is committed (a killed sync
gets the same updates again). The bot's own messages are not among the updates; a reply sent
from here is stored from its receipt.

Records: the conversation is the chat (its id); an item's id is ``<chat id>:<message id>``
(message ids are counted per chat). ``message`` is a new item, ``edited_message`` the same item
with its new text and ``edit_date``. A private chat's messages are direct messages; a group's
messages are public comments (replies when they answer another message); a channel post (no
``from``: the chat is the author) is a post. ``reply_to_message`` gives the parent. A photo,
document or other media keeps its caption as text and is marked (``[photo 950x320]``,
``[document: report.pdf]``); a forward names its origin (``forward_origin`` or, in older
payloads, ``forward_from``/``forward_from_chat``/``forward_sender_name``). Service messages
(``new_chat_members``, ``pinned_message``, a new title...) are not items. A message older than the
``since`` setting is skipped.

Writing: ``sendMessage`` with ``chat_id``, the text and ``reply_parameters.message_id`` (the
answered message; sent as a plain message if that one was deleted meanwhile). A message holds at
most 4096 characters; a longer reply is refused before sending, with the count.

Errors: ``{"ok": false, "error_code", "description", "parameters": {"retry_after"}}``. 401 (and a
404 for a token Telegram cannot even parse) mean a wrong or revoked token; 403 is a chat that
blocked the bot or a group that removed it; 429 carries the wait in ``parameters.retry_after``
(per bot, not per host); 409 is another reader (a webhook or a second getUpdates) on the same
bot.

Credentials: the bot token from @BotFather (``123456789:AA...``). It travels in the URL path
(``/bot<token>/method``), so it is registered with the redactor, masked in the client's repr, and
masked in urllib3's request log lines before any handler sees them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from omniinbox.connectors.base import (
    AuthenticationError,
    CheckResult,
    ConnectorBug,
    PermanentError,
    RateLimited,
)
from omniinbox.connectors.http import HttpClient, RateControl
from omniinbox.connectors.registry import ChannelSpec, Setting, since_of
from omniinbox.core import (
    Account,
    Author,
    Channel,
    ConversationInfo,
    Direction,
    Item,
    ItemKind,
    OutgoingReply,
    Page,
    Receipt,
    SyncProblem,
    Visibility,
)
from omniinbox.secrets import RedactingFilter

DEFAULT_BASE = "https://api.telegram.org"
PAGE_SIZE = 100  # the most getUpdates returns at once
MAX_TEXT = 4096  # characters in one message (counted as Telegram does, in UTF-16 code units)
ALLOWED_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post")
TOKEN = re.compile(r"^(\d{3,20}):[A-Za-z0-9_-]{20,}$")
CHAT_ID = re.compile(r"^-?\d{1,20}$")
SERVICE_FIELDS = frozenset(
    {
        "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo", "delete_chat_photo",
        "group_chat_created", "supergroup_chat_created", "channel_chat_created", "pinned_message",
        "migrate_to_chat_id", "migrate_from_chat_id", "message_auto_delete_timer_changed",
        "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
        "video_chat_started", "video_chat_ended", "video_chat_scheduled", "video_chat_participants_invited",
        "users_shared", "chat_shared", "write_access_allowed", "boost_added", "chat_background_set",
        "successful_payment", "connected_website", "proximity_alert_triggered",
    }
)  # fmt: skip

_URLLIB3_MASKED = False


URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.connection", "urllib3.poolmanager")


def _mask_urllib3_logs() -> None:
    """urllib3 logs request lines and retries, path included: mask registered secrets on its own
    loggers, so no handler (the application's, a test's, a third party's) ever receives the token."""
    global _URLLIB3_MASKED
    if not _URLLIB3_MASKED:
        for name in URLLIB3_LOGGERS:
            logging.getLogger(name).addFilter(RedactingFilter())
        _URLLIB3_MASKED = True


class _BotToken:
    """The token, kept out of reprs and string conversions."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<bot token ***>"

    __str__ = __repr__


# ---------------------------------------------------------------------------------- parsing


def _epoch(value: Any, what: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} has no date")
    return datetime.fromtimestamp(value, UTC)


def _name(person: Mapping[str, Any]) -> str:
    parts = [str(person.get("first_name") or "").strip(), str(person.get("last_name") or "").strip()]
    return " ".join(p for p in parts if p) or str(person.get("title") or "")


def user_author(user: Mapping[str, Any]) -> Author:
    """A Telegram ``User`` (or a ``Chat`` speaking as itself: a channel, an anonymous group admin)."""
    username = str(user.get("username") or "")
    handle = f"@{username}" if username else ""
    ident = user.get("id")
    if ident is None:
        raise ValueError("a sender without an id")
    link = f"https://t.me/{username}" if username else ""
    return Author(external_id=str(ident), name=_name(user) or handle or str(ident), handle=handle, url=link)


def _size(num: Any) -> str:
    if not isinstance(num, int) or num <= 0:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if num < 1024 or unit == "GB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return ""  # pragma: no cover


def attachment_marks(message: Mapping[str, Any]) -> list[str]:
    """What a message carries besides text, in words: ``[photo 950x320]``, ``[document: x.pdf]``..."""
    marks: list[str] = []
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        sizes = [p for p in photo if isinstance(p, Mapping)]
        largest = max(sizes, key=lambda p: (p.get("width") or 0) * (p.get("height") or 0), default=None)
        dims = f" {largest.get('width')}x{largest.get('height')}" if largest and largest.get("width") else ""
        marks.append(f"[photo{dims}]")
    document = message.get("document")
    if isinstance(document, Mapping):
        size = _size(document.get("file_size"))
        name = str(document.get("file_name") or document.get("mime_type") or "file")
        marks.append(f"[document: {name}{f', {size}' if size else ''}]")
    media_words = (
        ("video", "video"),
        ("animation", "animation"),
        ("video_note", "video message"),
        ("voice", "voice message"),
        ("audio", "audio"),
    )
    for key, word in media_words:
        media = message.get(key)
        if isinstance(media, Mapping) and not (key == "video" and "animation" in message):
            seconds = media.get("duration")
            title = media.get("title") or media.get("file_name") or ""
            length = f" {int(seconds) // 60}:{int(seconds) % 60:02d}" if isinstance(seconds, int | float) else ""
            marks.append(f"[{word}{length}{f': {title}' if title else ''}]")
    sticker = message.get("sticker")
    if isinstance(sticker, Mapping):
        marks.append(f"[sticker {sticker.get('emoji') or ''}]".replace(" ]", "]"))
    location = message.get("location")
    if isinstance(location, Mapping) and "venue" not in message:
        marks.append(f"[location {location.get('latitude')}, {location.get('longitude')}]")
    venue = message.get("venue")
    if isinstance(venue, Mapping):
        marks.append(f"[place: {venue.get('title', '')}, {venue.get('address', '')}]")
    contact = message.get("contact")
    if isinstance(contact, Mapping):
        marks.append(f"[contact: {_name(contact)} {contact.get('phone_number', '')}]".replace(" ]", "]"))
    poll = message.get("poll")
    if isinstance(poll, Mapping):
        marks.append(f"[poll: {poll.get('question', '')}]")
    dice = message.get("dice")
    if isinstance(dice, Mapping):
        marks.append(f"[dice {dice.get('emoji', '')} {dice.get('value', '')}]")
    return marks


def forward_origin(message: Mapping[str, Any]) -> str:
    """Who a forwarded message came from, in words; "" when it is not a forward."""
    origin = message.get("forward_origin")
    if isinstance(origin, Mapping):
        kind = origin.get("type")
        if kind == "user" and isinstance(origin.get("sender_user"), Mapping):
            return _describe(origin["sender_user"])
        if kind == "hidden_user":
            return str(origin.get("sender_user_name") or "a hidden user")
        if kind == "chat" and isinstance(origin.get("sender_chat"), Mapping):
            return _describe(origin["sender_chat"])
        if kind == "channel" and isinstance(origin.get("chat"), Mapping):
            return _describe(origin["chat"])
        return "elsewhere"
    if isinstance(message.get("forward_from"), Mapping):
        return _describe(message["forward_from"])
    if isinstance(message.get("forward_from_chat"), Mapping):
        return _describe(message["forward_from_chat"])
    if message.get("forward_sender_name"):
        return str(message["forward_sender_name"])
    if message.get("forward_date"):
        return "elsewhere"
    return ""


def _describe(who: Mapping[str, Any]) -> str:
    name = _name(who)
    username = who.get("username")
    if name and username:
        return f"{name} (@{username})"
    return name or (f"@{username}" if username else str(who.get("id", "someone")))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _permalink(chat: Mapping[str, Any], message_id: int) -> str:
    username = chat.get("username")
    if chat.get("type") != "private" and username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):  # a supergroup or channel without a public name: members' link
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return ""


def message_item(message: Mapping[str, Any], *, bot_id: int | None = None) -> Item | None:
    """One ``Message`` (from ``message``, ``edited_message``, ``channel_post`` or
    ``edited_channel_post``); ``None`` for a service message, which says nothing to answer."""
    chat = message.get("chat")
    if not isinstance(chat, Mapping) or chat.get("id") is None:
        raise ValueError("a message without a chat")
    message_id = message.get("message_id")
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise ValueError("a message without a message_id")
    text = message.get("text")
    if not isinstance(text, str):
        text = message.get("caption") if isinstance(message.get("caption"), str) else ""
    marks = attachment_marks(message)
    if not text and not marks:
        if SERVICE_FIELDS & message.keys():
            return None
        marks = ["[a message this version cannot show]"]
    origin = forward_origin(message)
    body = "\n".join(part for part in (f"[forwarded from {origin}]" if origin else "", text, " ".join(marks)) if part)
    chat_id = str(chat["id"])
    sender_chat = message.get("sender_chat")
    sender = message.get("from")
    if isinstance(sender_chat, Mapping):  # a channel, or a group's anonymous admin
        author: Author | None = user_author(sender_chat)
    elif isinstance(sender, Mapping):
        author = user_author(sender)
    elif chat.get("type") == "channel":
        author = user_author(chat)
    else:
        author = None
    kind_of_chat = chat.get("type")
    reply_to = message.get("reply_to_message")
    parent = None
    answered = reply_to.get("message_id") if isinstance(reply_to, Mapping) else None
    if isinstance(answered, int) and answered != message_id:  # a message cannot answer itself (seen in the corpus)
        parent = f"{chat_id}:{answered}"
    if kind_of_chat == "private":
        kind, visibility = ItemKind.DM, Visibility.PRIVATE
    elif kind_of_chat == "channel":
        kind, visibility = ItemKind.POST, Visibility.PUBLIC
    else:
        kind, visibility = (ItemKind.REPLY if parent else ItemKind.COMMENT), Visibility.PUBLIC
    own = bot_id is not None and author is not None and author.external_id == str(bot_id)
    edited = message.get("edit_date")
    return Item(
        external_id=f"{chat_id}:{message_id}",
        kind=kind,
        text=body,
        conversation_id=chat_id,
        created_at=_epoch(message.get("date"), f"message {chat_id}:{message_id}"),
        author=author,
        direction=Direction.OUTBOUND if own else Direction.INBOUND,
        parent_id=parent,
        permalink=_permalink(chat, message_id),
        edited_at=_epoch(edited, "edit_date") if isinstance(edited, int) and not isinstance(edited, bool) else None,
        visibility=visibility,
        raw=message,
    )


def chat_info(chat: Mapping[str, Any]) -> ConversationInfo:
    kind = {"private": ItemKind.DM, "channel": ItemKind.POST}.get(str(chat.get("type")), ItemKind.COMMENT)
    return ConversationInfo(str(chat["id"]), kind, str(chat.get("title") or ""))


def update_message(update: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The message an update carries, whichever of the four message kinds it is."""
    for key in ALLOWED_UPDATES:
        value = update.get(key)
        if isinstance(value, Mapping):
            return value
    return None


def read_updates(
    updates: Iterable[Any], page: Page, *, bot_id: int | None = None, since: datetime | None = None
) -> int | None:
    """Add the items of ``updates`` to ``page``; return the highest ``update_id`` seen."""
    highest: int | None = None
    chats: dict[str, ConversationInfo] = {}
    for n, update in enumerate(updates):
        if not isinstance(update, Mapping) or isinstance(update.get("update_id"), bool):
            page.problems.append(SyncProblem(f"update {n} is not an Update"))
            continue
        update_id = update.get("update_id")
        if isinstance(update_id, int):
            highest = update_id if highest is None else max(highest, update_id)
        message = update_message(update)
        if message is None:
            continue  # an update kind we did not ask for (sent before allowed_updates changed)
        try:
            item = message_item(message, bot_id=bot_id)
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"update {update_id}: {exc}", external_id=str(update_id)))
            continue
        if item is None or (since is not None and item.created_at < since):
            continue
        page.items.append(item)
        chat = message["chat"]
        if chat.get("type") != "private" and chat.get("title"):
            chats[item.conversation_id] = chat_info(chat)
    page.conversations.extend(chats.values())
    return highest


def parse_saved(body: Any) -> Page:
    """Saved Telegram answers: one ``Update`` (as in the corpus), a ``getUpdates`` answer
    (``{"ok": true, "result": [...]}``), or a JSON list of Updates. An error answer is a problem."""
    page = Page()
    if isinstance(body, Mapping) and body.get("ok") is False:
        page.problems.append(SyncProblem(f"an error answer: {body.get('error_code')} {body.get('description')}"))
        return page
    if isinstance(body, Mapping) and isinstance(body.get("result"), list):
        updates: list[Any] = body["result"]
    elif isinstance(body, Mapping) and "update_id" in body:
        updates = [body]
    elif isinstance(body, list):
        updates = body
    else:
        page.problems.append(SyncProblem("neither an Update, a list of Updates, nor a getUpdates answer"))
        return page
    read_updates(updates, page)
    return page


# ---------------------------------------------------------------------------------- connector


class TelegramConnector:
    """One bot's updates, and messages sent as that bot."""

    streams: tuple[str, ...] = ("updates",)
    read_ahead = False  # getUpdates with a higher offset confirms (forgets) what came before

    def __init__(
        self,
        base_url: str = DEFAULT_BASE,
        *,
        token: str,
        since: datetime | None = None,
        rate: RateControl | None = None,
        **client: Any,
    ) -> None:
        token = token.strip()
        found = TOKEN.match(token)
        if found is None:
            raise AuthenticationError(
                "this is not a Telegram bot token: @BotFather gives one like 123456789:AAH... (digits, colon, letters)"
            )
        self._token = _BotToken(token)
        self.bot_id = int(found.group(1))
        _mask_urllib3_logs()
        self.http = HttpClient(base_url or DEFAULT_BASE, secrets=[token], rate=rate, **client)
        self.http.rate_key = f"{self.http.rate_key}/bot{self.bot_id}"  # Telegram's limits are per bot
        self.since = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC))

    def __repr__(self) -> str:
        return f"TelegramConnector(bot={self.bot_id}, host={self.http.host!r})"

    # ------------------------------------------------------------------ HTTP

    def _call(self, method: str, *, params: Mapping[str, Any] | None = None, body: Any = None) -> Any:
        """One Bot API method; its ``result``. A 429 waits ``parameters.retry_after`` (a refused
        call was not performed, so a send is repeated too) while the wait is short."""
        verb = "GET" if body is None else "POST"
        url = f"{self.http.base_url}bot{self._token.reveal()}/{method}"
        where = f"{verb} {self.http.host}/bot***/{method}"
        for attempt in range(1, 4):
            response = self.http.request(verb, url, params=params, json_body=body, ok=(404, 429), attempts=3)
            if response.status_code == 404:
                raise AuthenticationError(f"{where}: Telegram does not know this bot token (404 Not Found)")
            data = self.http.json_of(response)
            if response.status_code == 429:
                wait = _retry_after(data)
                self.http.rate.block(self.http.rate_key, wait)
                if attempt < 3 and wait <= self.http.max_wait:
                    continue  # the wait happens before the next request
                said = str(data.get("description") or "Too Many Requests") if isinstance(data, Mapping) else ""
                raise RateLimited(f"{where}: {said} (Telegram asks to wait {wait:.0f} s)", retry_after=wait)
            if not isinstance(data, Mapping) or data.get("ok") is not True or "result" not in data:
                raise ConnectorBug(f"{where}: the answer is not a Bot API result")
            return data["result"]
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ reading

    def fetch(self, stream: str, cursor: str | None) -> Page:
        if stream != "updates":
            raise PermanentError(f"Telegram has no stream {stream!r}; it has: updates")
        if cursor is not None and not cursor.lstrip("-").isdigit():
            raise ConnectorBug(f"the stored Telegram cursor is unreadable ({cursor[:30]!r}); reset the account's sync")
        params: dict[str, Any] = {"limit": PAGE_SIZE, "timeout": 0, "allowed_updates": json.dumps(ALLOWED_UPDATES)}
        if cursor is not None:
            params["offset"] = int(cursor)
        updates = self._call("getUpdates", params=params)
        if not isinstance(updates, list):
            raise ConnectorBug("Telegram's getUpdates result is not a list")
        page = Page()
        highest = read_updates(updates, page, bot_id=self.bot_id, since=self.since)
        page.next_cursor = str(highest + 1) if highest is not None else cursor
        page.has_more = len(updates) >= PAGE_SIZE
        return page

    # ------------------------------------------------------------------ writing

    def send(self, reply: OutgoingReply) -> Receipt:
        chat = (reply.conversation_external_id or "").strip()
        if not CHAT_ID.match(chat):
            raise PermanentError("a Telegram reply needs the chat it goes to")
        text = reply.body.strip()
        if not text:
            raise PermanentError("the reply is empty")
        length = _utf16_length(text)
        if length > MAX_TEXT:
            raise PermanentError(
                f"the reply is {length:,} characters long; a Telegram message holds at most {MAX_TEXT:,}:"
                " shorten it or send it in parts"
            )
        body: dict[str, Any] = {"chat_id": int(chat), "text": text}
        parent = reply.in_reply_to_external_id or ""
        parent_chat, _, parent_message = parent.rpartition(":")
        if parent_chat == chat and parent_message.isdigit():
            body["reply_parameters"] = {"message_id": int(parent_message), "allow_sending_without_reply": True}
        sent = self._call("sendMessage", body=body)
        if not isinstance(sent, Mapping) or not isinstance(sent.get("message_id"), int):
            raise ConnectorBug("Telegram accepted the message but did not say which it became")
        sent_to = sent.get("chat")
        place: Mapping[str, Any] = sent_to if isinstance(sent_to, Mapping) else {"id": chat}
        return Receipt(f"{chat}:{sent['message_id']}", _permalink(place, sent["message_id"]))

    def check(self) -> CheckResult:
        me = self._call("getMe")
        if not isinstance(me, Mapping):
            raise ConnectorBug("Telegram's getMe result is not a User")
        identity = f"@{me.get('username')} ({me.get('first_name', '')})"
        notes: list[str] = []
        can_read = True
        hook = self._call("getWebhookInfo")
        if isinstance(hook, Mapping) and hook.get("url"):
            can_read = False
            notes.append(
                "a webhook is set for this bot, so getUpdates cannot read it: remove the webhook (deleteWebhook)"
                " or read this bot through the system the webhook feeds (e.g. Chatwoot)"
            )
        if me.get("can_read_all_group_messages") is False:
            notes.append("in groups the bot sees only commands, replies to it and mentions (privacy mode is on)")
        return CheckResult(ok=True, identity=identity, can_read=can_read, can_reply=True, notes=tuple(notes))

    def close(self) -> None:
        self.http.close()


def _retry_after(data: Any) -> float:
    if isinstance(data, Mapping):
        parameters = data.get("parameters")
        if isinstance(parameters, Mapping):
            value = parameters.get("retry_after")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return max(float(value), 0.0)
        found = re.search(r"retry after (\d+)", str(data.get("description") or ""))
        if found:
            return float(found.group(1))
    return 30.0


# ---------------------------------------------------------------------------------- registry


def _build(account: Account, secret: str, rate: RateControl) -> TelegramConnector:
    return TelegramConnector(account.base_url or DEFAULT_BASE, token=secret, since=since_of(account), rate=rate)


SPEC = ChannelSpec(
    Channel.TELEGRAM,
    "Telegram bot (private chats, groups and channels the bot is in)",
    "",
    "the bot token from @BotFather (123456789:AA...)",
    (Setting("since", "skip messages older than this date (Telegram keeps unread updates for 24 hours)"),),
    _build,
    parse_saved,
)
