"""X API v2, emulated from a scenario: each scenario account on ``x`` is a user with its own
token; the public's messages to it are its mentions (and DMs), its own posts and the replies it
sends are its tweets.

* ``GET  /2/users/me`` (who the token belongs to; ``x-access-level`` header)
* ``GET  /2/users/by/username/{username}``
* ``GET  /2/users/{id}/mentions`` and ``GET /2/users/{id}/tweets``: newest first,
  ``max_results`` 5..100 (default 10), ``since_id``, ``until_id``, ``start_time``,
  ``pagination_token``; ``meta.{result_count, newest_id, oldest_id, next_token}``; an empty
  page is ``{"meta": {"result_count": 0}}``; ``includes.users`` and ``includes.tweets`` per
  ``expansions``
* ``GET  /2/dm_events``: the token's DM events, newest first, ``max_results`` 1..100 (default
  100), ``pagination_token``; ``meta.{result_count, next_token, previous_token}``
* ``POST /2/tweets`` ``{"text", "reply": {"in_reply_to_tweet_id"}}`` (201, ``{"data": {"id", "text"}}``)
* ``POST /2/dm_conversations/with/{participant_id}/messages`` ``{"text"}`` (201,
  ``{"data": {"dm_conversation_id", "dm_event_id"}}``)

Ids are snowflakes made from an event's place in the scenario (its minute, then its sequence
number), so "newer" means a larger id, as on X, and a scenario gives the same ids on every run.
Errors are X's problem documents (``title``, ``detail``,
``type``, ``status``); rate headers are ``x-rate-limit-limit/remaining/reset`` (epoch seconds).
"""

from __future__ import annotations

import base64
import bisect
import threading
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from omniinbox.sandbox.emulation import Emulation, new_token, scenario_accounts
from omniinbox.sandbox.player import Released, ScenarioPlayer
from omniinbox.sandbox.scenario import Event
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

TWEPOCH_MS = 1288834974657
_PRIVATE_KINDS = frozenset({"dm"})


def _problem(status: int, title: str, detail: str, kind: str = "about:blank") -> HttpError:
    return HttpError(status, {"title": title, "detail": detail, "type": kind, "status": status})


def _invalid(detail: str) -> HttpError:
    return HttpError(
        400,
        {
            "errors": [{"message": detail}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _token(after: int) -> str:
    return base64.b32encode(f"x{after}".encode()).decode().rstrip("=").lower()


def _untoken(token: str) -> int:
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8)).decode()
        return int(raw[1:])
    except (ValueError, UnicodeDecodeError):
        raise _invalid(f"The `pagination_token` query parameter value [{token}] is not valid") from None


class XPlatform(Platform):
    name = "x"
    budget_per_minute = 450 * 4  # mentions: 450 per 15 minutes, counted here per minute

    def __init__(self, player: ScenarioPlayer, tokens: dict[str, str]) -> None:
        super().__init__()
        self.player = player
        self.tokens = tokens  # token -> scenario account id
        self.accounts = {a.id: a for a in player.accounts("x")}
        self._ids_lock = threading.Lock()
        self._by_tweet: dict[str, str] = {}  # tweet id -> event id
        # What a page is cut from, built once per release of the player (not per request: at a
        # million generated messages a rebuild per page made a full sync quadratic).
        self._model_lock = threading.Lock()
        self._model_key: object = None
        self._index: dict[str, Released] = {}
        self._lists: dict[tuple[str, str], tuple[list[tuple[int, Released]], list[int]]] = {}
        self.route("GET", r"/2/users/me", self.me)
        self.route("GET", r"/2/users/by/username/(?P<username>\w+)", self.by_username)
        self.route("GET", r"/2/users/(?P<id>\d+)/(?P<timeline>mentions|tweets)", self.timeline)
        self.route("GET", r"/2/dm_events", self.dm_events)
        self.route("POST", r"/2/tweets", self.post_tweet)
        self.route("POST", r"/2/dm_conversations/with/(?P<participant>\d+)/messages", self.post_dm)

    # ------------------------------------------------------------------ platform plumbing

    def authorize(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def unauthorized(self) -> Response:
        return Response(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.budget_per_minute),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(time.time() + max(reset_in, 1))),
        }

    def _caller(self, request: Request) -> str:
        return self.tokens[request.headers["authorization"][7:]]

    # ------------------------------------------------------------------ identities

    def account_user_id(self, account_id: str) -> str:
        return str(1_500_000_000_000_000_000 + zlib.crc32(account_id.encode()) % 10**9)

    def person_user_id(self, person_id: str) -> str:
        return str(10**15 + zlib.crc32(person_id.encode()) % 10**14)

    def _author_id(self, released: Released) -> str:
        if released.author is None or self._own(released):
            return self.account_user_id(released.account.id)
        return self.person_user_id(released.author.id)

    def _own(self, released: Released) -> bool:
        return released.author is None or released.event.kind == "post"

    def _user(self, user_id: str) -> dict[str, Any] | None:
        for account in self.accounts.values():
            if self.account_user_id(account.id) == user_id:
                return {
                    "id": user_id,
                    "name": account.name,
                    "username": account.handle.lstrip("@"),
                    "verified": True,
                    "verified_type": "government",
                    "public_metrics": {"followers_count": 98000, "following_count": 120, "tweet_count": 5400},
                }
        return None

    def _person_user(self, released: Released) -> dict[str, Any]:
        if released.author is None or self._own(released):
            return self._user(self.account_user_id(released.account.id)) or {}
        person = released.author
        return {
            "id": self.person_user_id(person.id),
            "name": person.name,
            "username": person.handle_on("x").lstrip("@"),
            "verified": person.verified,
            "verified_type": "blue" if person.verified else "none",
            "public_metrics": {"followers_count": person.followers, "following_count": 300, "tweet_count": 1200},
        }

    def tweet_id(self, event: Event) -> str:
        seq = self.player.seq_of(event.id) or 0
        made = str(((self.player.order_ms(event) - TWEPOCH_MS) << 22) | (seq & 0x3FFFFF))
        with self._ids_lock:
            self._by_tweet[made] = event.id
        return made

    # ------------------------------------------------------------------ rendering

    def _tweet(self, released: Released) -> dict[str, Any]:
        event = released.event
        tweet_id = self.tweet_id(event)
        root = self.player.event(event.thread) or event
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": event.text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": self._author_id(released),
            "created_at": _iso(self.player.wall_time(event)),
            "conversation_id": self.tweet_id(root),
            "public_metrics": {
                "retweet_count": released.shares,
                "reply_count": released.replies,
                "like_count": released.likes,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": released.views,
            },
        }
        parent = self.player.event(event.reply_to) if event.reply_to else None
        if parent is not None:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": self.tweet_id(parent)}]
            tweet["in_reply_to_user_id"] = (
                self.account_user_id(parent.account)
                if not parent.author or parent.kind == "post"
                else self.person_user_id(parent.author)
            )
        mentions = []
        for word in event.text.split():
            handle = word.strip(".,!?:;()").lstrip("@")
            if word.startswith("@") and handle:
                start = event.text.find(word)
                mentions.append({"start": start, "end": start + len(handle) + 1, "username": handle})
        if mentions:
            tweet["entities"] = {"mentions": mentions}
        return tweet

    def _timeline_events(self, index: dict[str, Released], account_id: str, timeline: str) -> list[Released]:
        chosen = []
        for released in index.values():
            if released.account.id != account_id:
                continue
            if released.event.visibility == "private" or released.event.kind in _PRIVATE_KINDS:
                continue
            if (timeline == "tweets") == self._own(released):
                chosen.append(released)
        return chosen

    def _model(self) -> tuple[dict[str, Released], dict[tuple[str, str], tuple[list[tuple[int, Released]], list[int]]]]:
        grouped = self.player.threads("x")  # the same object while nothing new is out
        with self._model_lock:
            if self._model_key is not grouped:
                self._index = {r.event.id: r for rs in grouped.values() for r in rs}
                self._lists = {}
                self._model_key = grouped
            return self._index, self._lists

    def _sorted(self, account_id: str, what: str) -> tuple[dict[str, Released], list[tuple[int, Released]], list[int]]:
        """Index of released events, and ``what`` ("mentions", "tweets" or "dms") of an account
        newest first, with the negated ids ascending for bisection."""
        index, lists = self._model()
        made = lists.get((account_id, what))
        if made is None:
            if what == "dms":
                mine = [r for r in index.values() if r.account.id == account_id
                        and (r.event.visibility == "private" or r.event.kind in _PRIVATE_KINDS)]  # fmt: skip
            else:
                mine = self._timeline_events(index, account_id, what)
            rows = sorted(((int(self.tweet_id(r.event)), r) for r in mine), key=lambda pair: pair[0], reverse=True)
            made = (rows, [-tid for tid, _ in rows])
            with self._model_lock:
                lists[(account_id, what)] = made
        return index, made[0], made[1]

    @staticmethod
    def _window(rows: list[tuple[int, Released]], negated: list[int], *, since: int | None, until: int | None,
                below: int | None) -> list[tuple[int, Released]]:  # fmt: skip
        """The rows with ``since < id < min(until, below)``, newest first, found by bisection."""
        top = min(v for v in (until, below) if v is not None) if (until, below) != (None, None) else None
        start = bisect.bisect_right(negated, -top) if top is not None else 0
        end = bisect.bisect_left(negated, -since) if since is not None else len(rows)
        return rows[start:end]

    def timeline(self, request: Request) -> Response:
        user_id = request.params["id"]
        account = next((a for a in self.accounts if self.account_user_id(a) == user_id), None)
        if account is None:
            raise HttpError(
                200,
                {
                    "errors": [
                        {
                            "value": user_id,
                            "detail": f"Could not find user with id: [{user_id}].",
                            "title": "Not Found Error",
                            "resource_type": "user",
                            "parameter": "id",
                            "resource_id": user_id,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                },
            )
        size = _bounded(request.arg("max_results"), 10, 5, 100, "max_results")
        index, ordered, negated = self._sorted(account, request.params["timeline"])
        since_id = _number(request.arg("since_id"), "since_id")
        until_id = _number(request.arg("until_id"), "until_id")
        start = request.arg("start_time")
        if start:
            try:
                start_ms = datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp() * 1000
            except ValueError:
                raise _invalid(f"The `start_time` query parameter value [{start}] is not a valid time") from None
            order = self.player.order_ms_at(start_ms / 1000)
            since_id = max(since_id or 0, (order - TWEPOCH_MS) << 22)
        token = request.arg("pagination_token")
        below = _untoken(token) if token else None
        rows = self._window(ordered, negated, since=since_id, until=until_id, below=below)
        chunk = rows[:size]
        if not chunk:
            return Response(body={"meta": {"result_count": 0}})
        tweets = [self._tweet(r) for _, r in chunk]
        meta: dict[str, Any] = {
            "result_count": len(tweets),
            "newest_id": tweets[0]["id"],
            "oldest_id": tweets[-1]["id"],
        }
        if len(rows) > size:
            meta["next_token"] = _token(chunk[-1][0])
        body: dict[str, Any] = {"data": tweets, "meta": meta}
        includes = self._includes(request, index, chunk, tweets)
        if includes:
            body["includes"] = includes
        return Response(body=body)

    def _includes(self, request: Request, index: dict[str, Released], chunk: list[tuple[int, Released]],
                  tweets: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
        expansions = set((request.arg("expansions") or "").split(","))
        users: dict[str, dict[str, Any]] = {}
        included: dict[str, dict[str, Any]] = {}
        if "author_id" in expansions:
            for _, released in chunk:
                user = self._person_user(released)
                users[user["id"]] = user
        if "referenced_tweets.id" in expansions:
            for _, released in chunk:
                parent = index.get(released.event.reply_to) if released.event.reply_to else None
                if parent is not None:
                    included[self.tweet_id(parent.event)] = self._tweet(parent)
                    if "referenced_tweets.id.author_id" in expansions:
                        user = self._person_user(parent)
                        users[user["id"]] = user
        if "in_reply_to_user_id" in expansions:
            for tweet in tweets:
                replied = tweet.get("in_reply_to_user_id")
                if replied and replied not in users:
                    known = self._user(replied)
                    if known is not None:
                        users[replied] = known
        found: dict[str, Any] = {}
        if users:
            found["users"] = list(users.values())
        if included:
            found["tweets"] = list(included.values())
        return found

    # ------------------------------------------------------------------ DMs

    def _dm_conversation(self, account_id: str, released: Released) -> str:
        event = released.event
        partner = event if event.author else (self.player.event(event.reply_to) or event)
        ours = int(self.account_user_id(account_id))
        theirs = int(self.person_user_id(partner.author)) if partner.author else ours
        low, high = sorted((ours, theirs))
        return f"{low}-{high}"

    def _dm_event(self, account_id: str, released: Released) -> dict[str, Any]:
        conversation = self._dm_conversation(account_id, released)
        return {
            "id": self.tweet_id(released.event),
            "event_type": "MessageCreate",
            "text": released.event.text,
            "sender_id": self._author_id(released),
            "dm_conversation_id": conversation,
            "participant_ids": conversation.split("-"),
            "created_at": _iso(self.player.wall_time(released.event)),
        }

    def dm_events(self, request: Request) -> Response:
        account = self._caller(request)
        size = _bounded(request.arg("max_results"), 100, 1, 100, "max_results")
        _, ordered, negated = self._sorted(account, "dms")
        token = request.arg("pagination_token")
        rows = self._window(ordered, negated, since=None, until=None, below=_untoken(token) if token else None)
        chunk = rows[:size]
        if not chunk:
            return Response(body={"meta": {"result_count": 0}})
        events = [self._dm_event(account, r) for _, r in chunk]
        meta: dict[str, Any] = {"result_count": len(events), "previous_token": _token(chunk[0][0] + 1)}
        if len(rows) > size:
            meta["next_token"] = _token(chunk[-1][0])
        body: dict[str, Any] = {"data": events, "meta": meta}
        if "sender_id" in (request.arg("expansions") or ""):
            users = {self._author_id(r): self._person_user(r) for _, r in chunk}
            body["includes"] = {"users": list(users.values())}
        return Response(body=body)

    # ------------------------------------------------------------------ users

    def me(self, request: Request) -> Response:
        account = self._caller(request)
        user = self._user(self.account_user_id(account)) or {}
        return Response(body={"data": user}, headers={"x-access-level": "read-write-directmessages"})

    def by_username(self, request: Request) -> Response:
        wanted = request.params["username"].lower()
        for released in self.player.released("x"):
            user = self._person_user(released)
            if str(user.get("username", "")).lower() == wanted:
                return Response(body={"data": {k: user[k] for k in ("id", "name", "username")}})
        raise HttpError(
            200,
            {
                "errors": [
                    {
                        "value": wanted,
                        "detail": f"Could not find user with username: [{wanted}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "username",
                        "resource_id": wanted,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
        )

    # ------------------------------------------------------------------ writing

    def _text(self, request: Request, limit: int) -> str:
        data = request.json()
        if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not data["text"].strip():
            raise _invalid("Your request must include text")
        if len(data["text"]) > limit:
            raise _problem(400, "Invalid Request", "Your Tweet text is too long.")
        return str(data["text"])

    def post_tweet(self, request: Request) -> Response:
        account = self._caller(request)
        text = self._text(request, 280 * 2)
        data = request.json()
        target = str((data.get("reply") or {}).get("in_reply_to_tweet_id") or "")
        with self._ids_lock:
            parent = self._by_tweet.get(target)
        if not target or parent is None:
            raise _problem(
                403,
                "Forbidden",
                "You attempted to reply to a Tweet that is deleted or not visible to you.",
            )
        made = self.player.add_reply(account, parent, text, kind="reply", visibility="public")
        tweet_id = self.tweet_id(made.event)
        return Response(201, {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}})

    def post_dm(self, request: Request) -> Response:
        account = self._caller(request)
        text = self._text(request, 10_000)
        participant = request.params["participant"]
        latest = None
        for released in self.player.released("x", account=account):
            if released.author is not None and self.person_user_id(released.author.id) == participant:
                latest = released
        if latest is None:
            raise _problem(403, "Forbidden", "You cannot send messages to this user.")
        made = self.player.add_reply(account, latest.event.id, text, kind="dm", visibility="private")
        conversation = self._dm_conversation(account, made)
        event_id = self.tweet_id(made.event)
        return Response(
            201,
            {"data": {"dm_conversation_id": conversation, "dm_event_id": event_id}},
            headers={"location": f'https://api.x.com/2/dm_events/"{event_id}"'},
        )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


def _number(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise _invalid(f"The `{name}` query parameter value [{value}] is not a valid id")
    return int(value)


def _bounded(value: str | None, default: int, low: int, high: int, name: str) -> int:
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise _invalid(f"The `{name}` query parameter value [{value}] is not between {low} and {high}")
    return int(value)


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, one sandbox account per scenario account on X."""
    accounts = player.accounts("x")
    tokens = {new_token(): a.id for a in accounts}
    platform = XPlatform(player, tokens)
    by_account = {a: t for t, a in tokens.items()}
    return Emulation(
        platform,
        lambda url: scenario_accounts(
            "x",
            accounts,
            url,
            token=by_account.__getitem__,
            settings=lambda a: {"user_id": platform.account_user_id(a)},
        ),
    )
