"""Telegram Bot API, emulated from a scenario: each ``telegram`` account of the scenario is a bot.
The public's direct messages (``dm``) come from private chats (one per person); comments and
mentions come from a public group the bot administers ("Forum Warga ...": it reads every
message there); posts from a channel the bot
administers. Replies (``reply_to``) carry the answered message as ``reply_to_message``.

* ``/bot<token>/getMe``, ``/bot<token>/getWebhookInfo``
* ``/bot<token>/getUpdates`` (``offset``, ``limit`` 1-100, ``timeout``, ``allowed_updates``)
* ``/bot<token>/sendMessage`` (``chat_id``, ``text``, ``reply_parameters`` or ``reply_to_message_id``)

Methods answer GET and POST, with parameters in the query string, a form or a JSON body, as
Telegram does. The update queue behaves like Telegram's: updates are numbered in arrival order,
``getUpdates`` with an ``offset`` confirms (and forgets) every update below it, a negative offset
counts from the end. The bot's own messages are not updates. Being added to the group arrives
first as a service message (``new_chat_members``); :meth:`TelegramPlatform.edit` makes an
``edited_message`` update; :meth:`TelegramPlatform.block` makes a chat answer 403 as a user who
blocked the bot does. More than :data:`FLOOD_PER_MINUTE` messages a minute to one chat answer 429
with ``parameters.retry_after``. No rate headers: Telegram sends none.

Credentials: the token in the path; an unknown one answers 401 ``Unauthorized``. The sandbox
server's request log masks the tokens too.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omniinbox.sandbox.emulation import Emulation, new_token, scenario_accounts
from omniinbox.sandbox.player import Released, ScenarioPlayer
from omniinbox.sandbox.scenario import Person
from omniinbox.sandbox.scenario import SandboxAccount as ScenarioAccount
from omniinbox.sandbox.server import HttpError, Platform, Request, Response
from omniinbox.secrets import REDACTOR, RedactingFilter

PLATFORM = "telegram"
MAX_TEXT = 4096
FLOOD_PER_MINUTE = 20
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
GROUP_KINDS = frozenset({"comment", "mention", "reply"})


def _crc(value: str, modulo: int) -> int:
    return zlib.crc32(value.encode()) % modulo


def bot_id_for(account_id: str) -> int:
    return 7_000_000_000 + _crc(f"bot:{account_id}", 900_000_000)


def user_id_for(person_id: str) -> int:
    return 100_000_000 + _crc(f"user:{person_id}", 900_000_000)


def fail(status: int, description: str, retry_after: int | None = None) -> HttpError:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return HttpError(status, body)


@dataclass(slots=True)
class _Bot:
    account: ScenarioAccount
    token: str
    updates: list[dict[str, Any]] = field(default_factory=list)  # the queue, oldest first
    first_id: int = 0  # update_id of updates[0]
    next_id: int = 0
    logged_seq: int = 0  # scenario events up to this sequence number are in the queue
    group_announced: bool = False
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (chat, message id) -> message
    events: dict[tuple[int, int], str] = field(default_factory=dict)  # (chat, message id) -> scenario event id
    last_in_chat: dict[int, str] = field(default_factory=dict)  # chat -> its latest scenario event id
    sent: dict[int, list[float]] = field(default_factory=dict)  # chat -> times of the bot's recent messages
    blocked: set[int] = field(default_factory=set)


class TelegramPlatform(Platform):
    name = PLATFORM

    def __init__(self, player: ScenarioPlayer, *, tokens: dict[str, str]) -> None:
        """``tokens`` maps each bot token to the scenario account it is."""
        super().__init__()
        self.player = player
        _mask_tokens_in_server_log(tokens)
        self._state = threading.RLock()
        self.bots: dict[str, _Bot] = {}
        accounts = {a.id: a for a in player.accounts(PLATFORM)}
        for token, account_id in tokens.items():
            start = 800_000_000 + _crc(f"updates:{account_id}", 50_000_000)
            self.bots[token] = _Bot(accounts[account_id], token, first_id=start, next_id=start)
        for verb in ("GET", "POST"):
            self.route(verb, r"/bot[^/]+/(?P<method>[A-Za-z]+)", self.dispatch)

    # ------------------------------------------------------------------ platform hooks

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        return {}

    def authorize(self, request: Request) -> bool:
        found = _PATH.match(request.path)
        return found is None or found.group("token") in self.bots  # an unknown path answers 404

    def unauthorized(self) -> Response:
        return Response(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})

    def _bot(self, request: Request) -> _Bot:
        found = _PATH.match(request.path)
        if found is None:
            raise fail(404, "Not Found")
        return self.bots[found.group("token")]

    # ------------------------------------------------------------------ the scenario as chats

    def _user(self, person: Person) -> dict[str, Any]:
        first, _, last = person.name.partition(" ")
        user: dict[str, Any] = {"id": user_id_for(person.id), "is_bot": False, "first_name": first}
        if last:
            user["last_name"] = last
        handle = person.handle_on(PLATFORM).lstrip("@")
        if handle and " " not in handle:
            user["username"] = handle
        user["language_code"] = "id"
        return user

    def _me(self, bot: _Bot) -> dict[str, Any]:
        return {
            "id": bot_id_for(bot.account.id),
            "is_bot": True,
            "first_name": bot.account.name,
            "username": bot.account.handle.lstrip("@"),
        }

    def _group(self, bot: _Bot) -> dict[str, Any]:
        title = "Forum Warga " + bot.account.name.split("(")[0].strip()
        return {
            "id": -1_001_000_000_000 - _crc(f"group:{bot.account.id}", 1_000_000),
            "title": title,
            "username": f"forum_{bot.account.handle.lstrip('@').lower()}",
            "type": "supergroup",
        }

    def _channel(self, bot: _Bot) -> dict[str, Any]:
        channel_id = -1_002_000_000_000 - _crc(f"channel:{bot.account.id}", 1_000_000)
        return {"id": channel_id, "title": bot.account.name, "type": "channel"}

    def _chat_of(self, bot: _Bot, released: Released) -> dict[str, Any]:
        """Where a message is: the channel for posts, the group for comments, else the private
        chat of its author (for the bot's own messages: of the person it answers)."""
        event = released.event
        for _ in range(50):  # up the chain of answered messages to one that says where it is
            if event.kind == "post":
                return self._channel(bot)
            if event.kind in GROUP_KINDS:
                return self._group(bot)
            person = self.player.person(event.author) if event.author else None
            if person is not None:
                return self._private(person)
            parent = self.player.event(event.reply_to) if event.reply_to else None
            if parent is None:
                break
            event = parent
        return self._channel(bot)

    def _private(self, person: Person) -> dict[str, Any]:
        user = self._user(person)
        chat = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def _message(self, bot: _Bot, released: Released) -> dict[str, Any]:
        event = released.event
        chat = self._chat_of(bot, released)
        message: dict[str, Any] = {"message_id": released.seq}
        if chat["type"] != "channel":
            message["from"] = self._me(bot) if released.author is None else self._user(released.author)
        message["chat"] = chat
        message["date"] = int(self.player.wall_time(event))
        if event.reply_to:
            parent_seq = self.player.seq_of(event.reply_to)
            answered = bot.messages.get((chat["id"], parent_seq or 0))
            if answered is not None:
                message["reply_to_message"] = {k: v for k, v in answered.items() if k != "reply_to_message"}
        message["text"] = event.text
        return message

    def _pull(self, bot: _Bot) -> None:
        """Queue the scenario's messages to this bot released since the last look."""
        fresh = self.player.released(PLATFORM, account=bot.account.id, after_seq=bot.logged_seq)
        for released in fresh:
            bot.logged_seq = max(bot.logged_seq, released.seq)
            message = self._message(bot, released)
            chat_id = message["chat"]["id"]
            bot.messages[(chat_id, released.seq)] = message
            bot.events[(chat_id, released.seq)] = released.event.id
            bot.last_in_chat[chat_id] = released.event.id
            if released.author is None:
                continue  # the bot's own messages are not updates
            if message["chat"]["type"] == "supergroup" and not bot.group_announced:
                bot.group_announced = True
                joined = {
                    "message_id": max(released.seq - 1, 1),
                    "from": message["from"],
                    "chat": message["chat"],
                    "date": message["date"] - 60,
                    "new_chat_members": [self._me(bot)],
                    "new_chat_member": self._me(bot),
                }
                self._queue(bot, "message", joined)
            self._queue(bot, "channel_post" if message["chat"]["type"] == "channel" else "message", message)

    @staticmethod
    def _queue(bot: _Bot, kind: str, message: dict[str, Any]) -> None:
        bot.updates.append({"update_id": bot.next_id, kind: message})
        bot.next_id += 1

    # ------------------------------------------------------------------ test and demo hooks

    def edit(self, event_id: str, text: str) -> None:
        """The author edits a message: an ``edited_message`` update follows."""
        with self._state:
            for bot in self.bots.values():
                self._pull(bot)
                for key, known in bot.events.items():
                    if known == event_id:
                        edited = {**bot.messages[key], "text": text, "edit_date": int(time.time())}
                        bot.messages[key] = edited
                        kind = "edited_channel_post" if edited["chat"]["type"] == "channel" else "edited_message"
                        self._queue(bot, kind, edited)
                        return
        raise KeyError(f"no Telegram message from event {event_id!r}")

    def block(self, chat_id: int) -> None:
        """The person of a private chat blocks the bot."""
        with self._state:
            for bot in self.bots.values():
                bot.blocked.add(chat_id)

    # ------------------------------------------------------------------ methods

    def dispatch(self, request: Request) -> Response:
        bot = self._bot(request)
        method = request.params["method"].lower()
        handler = {
            "getme": self.get_me,
            "getwebhookinfo": self.get_webhook_info,
            "getupdates": self.get_updates,
            "sendmessage": self.send_message,
        }.get(method)
        if handler is None:
            raise fail(404, "Not Found")
        with self._state:
            return Response(body={"ok": True, "result": handler(bot, _arguments(request))})

    def get_me(self, bot: _Bot, args: Mapping[str, Any]) -> Any:
        flags = {"can_join_groups": True, "can_read_all_group_messages": True, "supports_inline_queries": False}
        return {**self._me(bot), **flags}

    def get_webhook_info(self, bot: _Bot, args: Mapping[str, Any]) -> Any:
        self._pull(bot)
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(bot.updates)}

    def get_updates(self, bot: _Bot, args: Mapping[str, Any]) -> Any:
        offset = _integer(args, "offset", 0)
        limit = _integer(args, "limit", 100)
        if not 1 <= limit <= 100:
            limit = max(1, min(limit, 100))  # Telegram clamps rather than refuses
        allowed = args.get("allowed_updates")
        if isinstance(allowed, str) and allowed:
            try:
                allowed = json.loads(allowed)
            except ValueError:
                raise fail(400, "Bad Request: can't parse allowed_updates JSON array") from None
        self._pull(bot)
        confirmed_to = max(bot.first_id, bot.next_id + offset if offset < 0 else offset)
        drop = confirmed_to - bot.first_id
        if drop > 0:
            del bot.updates[:drop]
            bot.first_id += drop
        chosen = bot.updates
        if isinstance(allowed, list) and allowed:
            chosen = [u for u in chosen if any(k in u for k in allowed)]
        return chosen[:limit]

    def send_message(self, bot: _Bot, args: Mapping[str, Any]) -> Any:
        chat_id = _integer(args, "chat_id", None)
        text = args.get("text")
        if not isinstance(text, str) or not text.strip():
            raise fail(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise fail(400, "Bad Request: message is too long")
        self._pull(bot)
        if chat_id is None or chat_id not in bot.last_in_chat:
            raise fail(400, "Bad Request: chat not found")
        if chat_id in bot.blocked:
            raise fail(403, "Forbidden: bot was blocked by the user")
        now = time.time()
        recent = [t for t in bot.sent.get(chat_id, []) if now - t < 60]
        if len(recent) >= FLOOD_PER_MINUTE:
            wait = int(60 - (now - recent[0])) + 1
            raise fail(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        parameters = args.get("reply_parameters")
        if isinstance(parameters, str):
            try:
                parameters = json.loads(parameters)
            except ValueError:
                raise fail(400, "Bad Request: can't parse reply parameters JSON object") from None
        if not isinstance(parameters, Mapping):
            legacy = _integer(args, "reply_to_message_id", None)
            parameters = {"message_id": legacy} if legacy is not None else {}
        answered = parameters.get("message_id")
        event_id = bot.events.get((chat_id, answered)) if isinstance(answered, int) else None
        if answered is not None and event_id is None and not parameters.get("allow_sending_without_reply"):
            raise fail(400, "Bad Request: message to be replied not found")
        in_reply_to = event_id or bot.last_in_chat[chat_id]
        parent = self.player.event(in_reply_to)
        kind = "reply" if parent is not None and parent.kind in GROUP_KINDS else "dm"
        visibility = "public" if kind == "reply" else "private"
        made = self.player.add_reply(bot.account.id, in_reply_to, text, kind=kind, visibility=visibility)
        bot.sent[chat_id] = [*recent, now]
        self._pull(bot)
        message = bot.messages[(chat_id, made.seq)]
        if event_id is None:
            message = {k: v for k, v in message.items() if k != "reply_to_message"}
        return message


def _mask_tokens_in_server_log(tokens: Mapping[str, str]) -> None:
    """The server logs request lines, and a bot token is in the path: the sandbox's log must not
    show it either (it is printed by ``omniinbox sandbox serve`` and the demo)."""
    for token in tokens:
        REDACTOR.add(token)
    server_log = logging.getLogger("omniinbox.sandbox.server")
    if not any(isinstance(f, RedactingFilter) for f in server_log.filters):
        server_log.addFilter(RedactingFilter())


def _arguments(request: Request) -> dict[str, Any]:
    """A Bot API call's parameters: query string, then a form or JSON body."""
    args: dict[str, Any] = {k: v[0] for k, v in request.query.items() if v}
    content_type = request.headers.get("content-type", "")
    if request.body:
        if "json" in content_type:
            data = request.json()
            if not isinstance(data, dict):
                raise fail(400, "Bad Request: the request body must be a JSON object")
            args.update(data)
        else:
            args.update(request.form())
    return args


def _integer(args: Mapping[str, Any], name: str, default: int | None) -> Any:
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise fail(400, f"Bad Request: invalid {name} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise fail(400, f"Bad Request: invalid {name} specified") from None


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, one sandbox account per bot of the scenario."""
    accounts = player.accounts(PLATFORM)
    tokens = {f"{bot_id_for(a.id)}:AA{new_token()}": a.id for a in accounts}
    by_account = {account_id: token for token, account_id in tokens.items()}
    return Emulation(
        TelegramPlatform(player, tokens=tokens),
        lambda url: scenario_accounts(
            PLATFORM,
            accounts,
            url,
            token=by_account.__getitem__,
            settings=lambda _a: {"since": "2000-01-01"},
            name_suffix="",
        ),
    )
