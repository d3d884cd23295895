"""Mastodon, emulated from a scenario: an instance where each scenario account on ``mastodon`` has
its own token; the public's messages to it are mention notifications (direct ones also form
conversations), its own posts and the replies it sends are its statuses.

* ``GET  /api/v1/accounts/verify_credentials``, ``GET /api/v2/instance``
* ``GET  /api/v1/notifications`` (``types[]``, ``limit`` up to 80, default 40)
* ``GET  /api/v1/accounts/{id}/statuses`` (``exclude_reblogs``; ``limit`` up to 40, default 20)
* ``GET  /api/v1/conversations`` (``limit`` up to 40, default 20; paged by the last status id)
* ``GET  /api/v1/statuses/{id}/context``
* ``POST /api/v1/statuses`` (``status``, ``in_reply_to_id``, ``visibility``; JSON or form;
  ``Idempotency-Key``: the same key answers the first status again)

Lists are bare arrays, newest first, paged only by the ``Link`` header: ``max_id`` (older than),
``since_id`` (the newest ones above), ``min_id`` (the ones right after, for walking forward).
Status ids are snowflakes (milliseconds shifted 22 bits, then the sequence number) made from an event's place in the
scenario, so newer means larger and a scenario gives the same ids on every run; notification
ids are smaller integers in the same order.
Errors are ``{"error": "..."}``; rate headers ``X-RateLimit-Limit/Remaining/Reset`` with the
reset as an ISO 8601 time.
"""

from __future__ import annotations

import html
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from omniinbox.sandbox.emulation import Emulation, new_token, scenario_accounts
from omniinbox.sandbox.player import Released, ScenarioPlayer
from omniinbox.sandbox.scenario import Event, Person
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

INSTANCE = "sosial.sukamaju.go.id"
LIMIT = 500
_NOTIFICATION_BASE_MS = 1_600_000_000_000


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


class MastodonPlatform(Platform):
    name = "mastodon"
    budget_per_minute = 300  # Mastodon: 300 calls per 5 minutes, counted here per minute

    def __init__(self, player: ScenarioPlayer, tokens: dict[str, str]) -> None:
        super().__init__()
        self.player = player
        self.tokens = tokens  # token -> scenario account id
        self.accounts = {a.id: a for a in player.accounts("mastodon")}
        self._ids_lock = threading.Lock()
        self._index_key: object = None
        self._index_cache: dict[str, Released] = {}
        self._rows_cache: dict[tuple[str, str], tuple[object, list[tuple[int, Any]]]] = {}
        self._by_status: dict[str, str] = {}  # status id -> event id
        self._idempotent: dict[tuple[str, str], dict[str, Any]] = {}
        self.route("GET", r"/api/v1/accounts/verify_credentials", self.verify_credentials)
        self.route("GET", r"/api/v2/instance", self.instance)
        self.route("GET", r"/api/v1/notifications", self.notifications)
        self.route("GET", r"/api/v1/accounts/(?P<id>\d+)/statuses", self.account_statuses)
        self.route("GET", r"/api/v1/conversations/?", self.conversations)
        self.route("GET", r"/api/v1/statuses/(?P<id>\d+)/context", self.context)
        self.route("POST", r"/api/v1/statuses", self.post_status)

    # ------------------------------------------------------------------ plumbing

    def authorize(self, request: Request) -> bool:
        if request.path == "/api/v2/instance":
            return True
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def unauthorized(self) -> Response:
        return Response(401, {"error": "The access token is invalid"})

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        reset = datetime.fromtimestamp(time.time() + max(reset_in, 1), UTC).isoformat().replace("+00:00", "Z")
        return {
            "X-RateLimit-Limit": str(self.budget_per_minute),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset,
        }

    def _caller(self, request: Request) -> str:
        return self.tokens[request.headers["authorization"][7:]]

    # ------------------------------------------------------------------ identities

    def account_numeric_id(self, account_id: str) -> str:
        return str(110_000_000_000_000_000 + zlib.crc32(account_id.encode()) % 10**9)

    def _person_numeric_id(self, person: Person) -> str:
        return str(111_000_000_000_000_000 + zlib.crc32(person.id.encode()) % 10**12)

    def _own_account(self, account_id: str) -> dict[str, Any]:
        account = self.accounts[account_id]
        username = account.handle.lstrip("@").split("@")[0]
        return self._account_json(self.account_numeric_id(account_id), username, account.name, 98000, True)

    def _account_json(self, numeric: str, username: str, name: str, followers: int, verified: bool) -> dict[str, Any]:
        url = f"https://{INSTANCE}/@{username}"
        fields = [{"name": "Situs", "value": "sukamaju.go.id", "verified_at": "2026-01-01T00:00:00.000+00:00"}]
        return {
            "id": numeric,
            "username": username,
            "acct": username,
            "display_name": name,
            "locked": False,
            "bot": False,
            "created_at": "2024-01-01T00:00:00.000Z",
            "note": "",
            "url": url,
            "uri": f"https://{INSTANCE}/users/{username}",
            "followers_count": followers,
            "following_count": 100,
            "statuses_count": 250,
            "emojis": [],
            "fields": fields if verified else [],
        }

    def _author(self, released: Released) -> dict[str, Any]:
        if self._own(released):
            return self._own_account(released.account.id)
        person = released.author
        assert person is not None
        handle = person.handle_on("mastodon").lstrip("@")
        username = handle.split("@")[0]
        account = self._account_json(self._person_numeric_id(person), username, person.name, person.followers,
                                     person.verified)  # fmt: skip
        if "@" in handle:  # a remote account
            account["acct"] = handle
            account["url"] = f"https://{handle.split('@', 1)[1]}/@{username}"
        return account

    def _own(self, released: Released) -> bool:
        return released.author is None or released.event.kind == "post"

    def _private(self, event: Event) -> bool:
        return event.visibility == "private" or event.kind == "dm"

    def status_id(self, event: Event) -> str:
        seq = self.player.seq_of(event.id) or 0
        made = str((self.player.order_ms(event) << 22) | (seq & 0x3FFFFF))
        with self._ids_lock:
            self._by_status[made] = event.id
        return made

    def _notification_id(self, event: Event) -> int:
        millis = self.player.order_ms(event) - _NOTIFICATION_BASE_MS
        return (millis << 22) | ((self.player.seq_of(event.id) or 0) & 0x3FFFFF)

    # ------------------------------------------------------------------ rendering

    def _content(self, text: str) -> str:
        words = []
        for word in html.escape(text, quote=False).split(" "):
            if word.startswith("@") and len(word) > 1:
                name = word[1:].rstrip(".,!?:;")
                rest = word[1 + len(name) :]
                words.append(
                    f'<span class="h-card" translate="no"><a href="https://{INSTANCE}/@{name}" class="u-url mention">'
                    f"@<span>{name}</span></a></span>{rest}"
                )
            else:
                words.append(word)
        return "<p>" + " ".join(words).replace("\n", "<br />") + "</p>"

    def _status(self, released: Released, index: dict[str, Released]) -> dict[str, Any]:
        event = released.event
        status_id = self.status_id(event)
        author = self._author(released)
        parent = index.get(event.reply_to) if event.reply_to else None
        return {
            "id": status_id,
            "created_at": _iso(self.player.wall_time(event)),
            "in_reply_to_id": self.status_id(parent.event) if parent else None,
            "in_reply_to_account_id": self._author(parent)["id"] if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "direct" if self._private(event) else "public",
            "language": "id",
            "uri": f"https://{INSTANCE}/users/{author['username']}/statuses/{status_id}",
            "url": f"https://{INSTANCE}/@{author['username']}/{status_id}",
            "replies_count": released.replies,
            "reblogs_count": released.shares,
            "favourites_count": released.likes,
            "quotes_count": 0,
            "edited_at": None,
            "content": self._content(event.text),
            "reblog": None,
            "account": author,
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def _index(self) -> dict[str, Released]:
        """Released statuses by event id, built once per release of the player, not per request."""
        grouped = self.player.threads("mastodon")  # the same object while nothing new is out
        with self._ids_lock:
            if self._index_key is not grouped:
                self._index_cache = {r.event.id: r for rs in grouped.values() for r in rs}
                self._index_key = grouped
            return self._index_cache

    def _rows(self, what: str, account: str, build: Callable[[], list[tuple[int, Any]]]) -> list[tuple[int, Any]]:
        """The rows of a list (``what`` of ``account``), newest first, built once per release."""
        self._index()
        key = (what, account)
        with self._ids_lock:
            cached = self._rows_cache.get(key)
            if cached is not None and cached[0] is self._index_key:
                return cached[1]
        rows = sorted(build(), key=lambda pair: pair[0], reverse=True)
        with self._ids_lock:
            self._rows_cache[key] = (self._index_key, rows)
        return rows

    # ------------------------------------------------------------------ paging

    def _page(self, request: Request, rows: list[tuple[int, Any]], default: int, most: int,
              render: Callable[[Any], dict[str, Any]]) -> Response:  # fmt: skip
        """Rows of (paging id, thing), any order, answered as Mastodon pages them."""
        raw = request.arg("limit")
        size = default if not raw or not raw.isdigit() else max(1, min(int(raw), most))
        rows = sorted(rows, key=lambda pair: pair[0], reverse=True)  # cheap when already in order

        def bound(name: str) -> int | None:
            value = request.arg(name)
            if value is None or value == "":
                return None
            if not value.isdigit():
                raise HttpError(400, {"error": f"{name} must be a number"})
            return int(value)

        max_id, since_id, min_id = bound("max_id"), bound("since_id"), bound("min_id")
        if max_id is not None:
            rows = [r for r in rows if r[0] < max_id]
        if since_id is not None:
            rows = [r for r in rows if r[0] > since_id]
        if min_id is not None:
            rows = [r for r in rows if r[0] > min_id][-size:]  # the oldest ones right after min_id
        chunk = rows[:size]
        headers: dict[str, str] = {}
        if chunk:
            base = f"http://{request.headers.get('host', '127.0.0.1')}/{self.name}{request.path}"
            keep = [(k, v) for k, values in request.query.items() for v in values
                    if k not in ("max_id", "min_id", "since_id")]  # fmt: skip
            older = urlencode([*keep, ("max_id", str(chunk[-1][0]))])
            newer = urlencode([*keep, ("min_id", str(chunk[0][0]))])
            headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'
        return Response(body=[render(thing) for _, thing in chunk], headers=headers)

    # ------------------------------------------------------------------ reading

    def verify_credentials(self, request: Request) -> Response:
        return Response(body=self._own_account(self._caller(request)))

    def instance(self, request: Request) -> Response:
        return Response(
            body={
                "domain": INSTANCE,
                "title": "Sosial Sukamaju",
                "version": "4.5.0",
                "configuration": {"statuses": {"max_characters": LIMIT, "max_media_attachments": 4}},
            }
        )

    def notifications(self, request: Request) -> Response:
        account = self._caller(request)
        types = request.query.get("types[]") or request.query.get("types") or []
        index = self._index()
        rows: list[tuple[int, Any]] = []
        if not types or "mention" in types:
            rows = self._rows(
                "mentions",
                account,
                lambda: [
                    (self._notification_id(r.event), r)
                    for r in index.values()
                    if r.account.id == account and not self._own(r)
                ],
            )

        def render(released: Released) -> dict[str, Any]:
            number = self._notification_id(released.event)
            status = self._status(released, index)
            return {
                "id": str(number),
                "type": "mention",
                "created_at": status["created_at"],
                "group_key": f"ungrouped-{number}",
                "account": status["account"],
                "status": status,
            }

        return self._page(request, rows, 40, 80, render)

    def account_statuses(self, request: Request) -> Response:
        account = next((a for a in self.accounts if self.account_numeric_id(a) == request.params["id"]), None)
        if account is None:
            raise HttpError(404, {"error": "Record not found"})
        self._caller(request)
        index = self._index()
        rows = self._rows(  # direct statuses are not on an account's timeline: they are in conversations
            "statuses",
            account,
            lambda: [
                (int(self.status_id(r.event)), r)
                for r in index.values()
                if r.account.id == account and self._own(r) and not self._private(r.event)
            ],
        )
        return self._page(request, rows, 20, 40, lambda r: self._status(r, index))

    def conversations(self, request: Request) -> Response:
        account = self._caller(request)
        index = self._index()

        def build() -> list[tuple[int, Any]]:
            threads: dict[str, list[Released]] = {}
            for released in index.values():
                if released.account.id == account and self._private(released.event):
                    threads.setdefault(released.event.thread, []).append(released)
            made: list[tuple[int, Any]] = []
            for thread, events in threads.items():
                last = max(events, key=lambda r: int(self.status_id(r.event)))
                made.append((int(self.status_id(last.event)), (thread, events, last)))
            return made

        rows = self._rows("conversations", account, build)

        def render(found: tuple[str, list[Released], Released]) -> dict[str, Any]:
            thread, events, last = found
            others = {a["id"]: a for r in events if not self._own(r) for a in [self._author(r)]}
            return {
                "id": str(self.player.seq_of(thread) or 0),
                "unread": True,
                "accounts": list(others.values()),
                "last_status": self._status(last, index),
            }

        return self._page(request, rows, 20, 40, render)

    def context(self, request: Request) -> Response:
        with self._ids_lock:
            event_id = self._by_status.get(request.params["id"])
        index = self._index()
        released = index.get(event_id or "")
        if released is None:
            raise HttpError(404, {"error": "Record not found"})
        ancestors: list[Released] = []
        parent = index.get(released.event.reply_to) if released.event.reply_to else None
        while parent is not None:
            ancestors.insert(0, parent)
            parent = index.get(parent.event.reply_to) if parent.event.reply_to else None
        descendants: list[Released] = []
        wanted = {released.event.id}
        for other in self.player.threads("mastodon").get(released.event.thread, []):  # its thread only
            if other.event.reply_to in wanted:
                descendants.append(other)
                wanted.add(other.event.id)
        return Response(
            body={
                "ancestors": [self._status(r, index) for r in ancestors],
                "descendants": [self._status(r, index) for r in descendants],
            }
        )

    # ------------------------------------------------------------------ writing

    def post_status(self, request: Request) -> Response:
        account = self._caller(request)
        key = request.headers.get("idempotency-key", "")
        with self._ids_lock:
            known = self._idempotent.get((account, key)) if key else None
        if known is not None:
            return Response(body=known)
        content_type = request.headers.get("content-type", "")
        data = request.form() if "form" in content_type else request.json()
        if not isinstance(data, dict):
            raise HttpError(422, {"error": "Validation failed: Text can't be blank"})
        text = str(data.get("status") or "")
        if not text.strip():
            raise HttpError(422, {"error": "Validation failed: Text can't be blank"})
        if len(text) > LIMIT:
            raise HttpError(422, {"error": f"Validation failed: Text character limit of {LIMIT} exceeded"})
        target = str(data.get("in_reply_to_id") or "")
        with self._ids_lock:
            parent = self._by_status.get(target)
        if parent is None:
            raise HttpError(404, {"error": "Record not found"})
        visibility = str(data.get("visibility") or "public")
        if visibility not in ("public", "unlisted", "private", "direct"):
            raise HttpError(422, {"error": "Validation failed: Visibility is not included in the list"})
        private = visibility == "direct"
        made = self.player.add_reply(account, parent, text, kind="dm" if private else "reply",
                                     visibility="private" if private else "public")  # fmt: skip
        body = self._status(made, self._index())
        if key:
            with self._ids_lock:
                self._idempotent[(account, key)] = body
        return Response(body=body)


def emulate(player: ScenarioPlayer) -> Emulation:
    """The instance and, given its base URL, one sandbox account per scenario account on Mastodon."""
    accounts = player.accounts("mastodon")
    tokens = {new_token(): a.id for a in accounts}
    platform = MastodonPlatform(player, tokens)
    by_account = {a: t for t, a in tokens.items()}
    return Emulation(
        platform,
        lambda url: scenario_accounts(
            "mastodon",
            accounts,
            url,
            token=by_account.__getitem__,
            settings=lambda a: {"account_id": platform.account_numeric_id(a)},
        ),
    )
