"""Zendesk Support, emulated from a scenario: the endpoints the Zendesk connector reads and
writes, in the shapes recorded from real accounts (see ``../shared/corpus/zendesk``).

* ``GET  /api/v2/users/me.json``
* ``GET  /api/v2/incremental/tickets/cursor.json?start_time=|cursor=&per_page=&include=users``
  (tickets ordered by their last change; ``after_cursor`` is given even at ``end_of_stream``)
* ``GET  /api/v2/tickets/{id}/comments.json?page[size]=&page[after]=&include=users``
  (``meta.has_more``; ``links.next`` is given even when there is no more, as Zendesk does)
* ``PUT  /api/v2/tickets/{id}.json`` with ``{"ticket": {"comment": {"body", "public"}}}``

Rate headers as recorded: ``ratelimit-limit/remaining/reset`` and ``x-rate-limit(-remaining)`` on
every answer, and ``zendesk-ratelimit-per-ticket-updates: total=30; remaining=N; resets=S`` on
ticket updates (30 updates per ticket in 10 minutes; the 31st is answered 429 with
``Retry-After``, as Zendesk does).

Each scenario thread on the ``zendesk`` platform is a ticket: its first event opens it, later
events and accepted replies are its comments. Ids are stable numbers derived from the player's
sequence (comments get 14 digits, as real ones do). Credentials: ``email/token:TOKEN`` in Basic
auth, or ``Bearer TOKEN``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import html
import threading
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from omniinbox.sandbox.emulation import Emulation, SandboxAccount, new_token
from omniinbox.sandbox.player import Released, ScenarioPlayer
from omniinbox.sandbox.scenario import Person
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

AGENT_ID = 10_000_000_001
_TICKET_BASE = 10_000
_COMMENT_BASE = 33_000_000_000_000


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _token(value: int) -> str:
    return base64.b64encode(f"{value}||".encode()).decode()


def _untoken(value: str) -> int:
    try:
        return int(base64.b64decode(value.encode(), validate=True).decode().split("|")[0])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(400, {"error": "InvalidPaginationParameter", "description": "invalid cursor"}) from None


class ZendeskPlatform(Platform):
    name = "zendesk"
    budget_per_minute = 700

    def __init__(self, player: ScenarioPlayer, *, token: str, email: str = "agent@sukamaju.go.id",
                 subdomain: str = "sukamaju") -> None:  # fmt: skip
        super().__init__()
        self.player = player
        self.token = token
        self.email = email
        self.subdomain = subdomain
        self._deleted: dict[int, int] = {}  # ticket id -> the change number of its deletion
        self._changes = 0
        self._updates: dict[int, list[float]] = {}  # ticket id -> times of its recent updates
        self._updates_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._model_cache: tuple[object, int, dict[int, list[Released]], list[tuple[int, int]]] | None = None
        self.audit_in_answers = True  # False: updates answer without the audit (clients must read back)
        self.route("GET", r"/api/v2/users/me\.json", self.me)
        self.route("GET", r"/api/v2/incremental/tickets/cursor\.json", self.export)
        self.route("GET", r"/api/v2/tickets/(?P<id>\d+)/comments\.json", self.comments)
        self.route("PUT", r"/api/v2/tickets/(?P<id>\d+)\.json", self.update_ticket)
        self.route("POST", r"/api/v2/tickets\.json", self.create_ticket)

    # ------------------------------------------------------------------ auth

    def authorize(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            return header[7:] == self.token
        if header.startswith("Basic "):
            try:
                user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return user == f"{self.email}/token" and secret == self.token
        return False

    def unauthorized(self) -> Response:
        return Response(401, {"error": "Couldn't authenticate you"})

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        return {
            **super().rate_headers(remaining, reset_in),
            "x-rate-limit": str(self.budget_per_minute),
            "x-rate-limit-remaining": str(remaining),
        }

    def _ticket_update_budget(self, ticket_id: int) -> dict[str, str]:
        """Count an update of ``ticket_id`` against Zendesk's per-ticket budget (30 per 10 min);
        raise the 429 Zendesk answers when it is spent."""
        with self._updates_lock:
            now = time.time()
            recent = [t for t in self._updates.get(ticket_id, []) if now - t < 600]
            resets = int(600 - (now - recent[0])) + 1 if recent else 600
            if len(recent) >= 30:
                raise HttpError(429, {"error": "TooManyRequests", "description": "per ticket update limit"},
                                {"Retry-After": str(resets)})  # fmt: skip
            recent.append(now)
            self._updates[ticket_id] = recent
            return {"zendesk-ratelimit-per-ticket-updates": f"total=30; remaining={30 - len(recent)}; resets={resets}"}

    # ------------------------------------------------------------------ the model

    def _model(self) -> tuple[dict[int, list[Released]], list[tuple[int, int]]]:
        """Ticket id -> its released events in order, and (change number, ticket id) sorted: built
        again only when the player released something or a ticket was deleted, so a page of the
        export costs its page, not the whole helpdesk (at a million generated messages)."""
        grouped = self.player.threads("zendesk")  # the same object while nothing new is out
        with self._model_lock:
            cached = self._model_cache
            if cached is not None and cached[0] is grouped and cached[1] == self._changes:
                return cached[2], cached[3]
        tickets = {_TICKET_BASE + (self.player.seq_of(t) or ev[0].seq): ev for t, ev in grouped.items()}
        changes = sorted((self._change_of(tid, events), tid) for tid, events in tickets.items())
        with self._model_lock:
            self._model_cache = (grouped, self._changes, tickets, changes)
        return tickets, changes

    def _threads(self) -> dict[int, list[Released]]:
        return self._model()[0]

    def _change_of(self, ticket_id: int, events: list[Released]) -> int:
        return max(events[-1].seq, self._deleted.get(ticket_id, 0))

    def _user(self, released: Released) -> dict[str, Any]:
        if released.author is None:
            return {"id": AGENT_ID, "name": "Petugas Pusat Layanan", "email": self.email, "role": "agent"}
        person = released.author
        return {
            "id": 20_000_000_000_000 + zlib.crc32(person.id.encode()),
            "name": person.name,
            "email": person.handle_on("email"),
            "role": "end-user",
        }

    def _ticket(self, ticket_id: int, events: list[Released]) -> dict[str, Any]:
        first, last = events[0], events[-1]
        opened = self.player.wall_time(first.event)
        changed = max(self.player.wall_time(r.event) for r in events)
        answered = any(r.author is None for r in events)
        status = "deleted" if ticket_id in self._deleted else ("pending" if last.author is None else
                                                                 ("open" if answered else "new"))  # fmt: skip
        requester = self._user(first)["id"]
        return {
            "url": f"https://{self.subdomain}.zendesk.com/api/v2/tickets/{ticket_id}.json",
            "id": ticket_id,
            "external_id": None,
            "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": _iso(opened),
            "updated_at": _iso(changed),
            "generated_timestamp": int(changed),
            "type": "question",
            "subject": first.event.subject or first.event.text[:60],
            "raw_subject": first.event.subject or first.event.text[:60],
            "description": first.event.text,
            "priority": "high" if len(events) > 3 else "normal",
            "status": status,
            "requester_id": requester,
            "submitter_id": requester,
            "assignee_id": None,
            "tags": ["sandbox"],
            "custom_fields": [],
            "is_public": True,
        }

    def _comment(self, released: Released) -> dict[str, Any]:
        event = released.event
        text = event.text
        return {
            "id": _COMMENT_BASE + released.seq,
            "type": "Comment",
            "author_id": self._user(released)["id"],
            "body": text,
            "html_body": f'<div class="zd-comment" dir="auto"><p dir="auto">{html.escape(text)}</p></div>',
            "plain_body": text,
            "public": event.visibility != "private" or released.author is not None,
            "attachments": [],
            "audit_id": _COMMENT_BASE + released.seq + 1,
            "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": _iso(self.player.wall_time(event)),
            "metadata": {"system": {}, "custom": {}},
        }

    # ------------------------------------------------------------------ endpoints

    def me(self, request: Request) -> Response:
        return Response(body={"user": {"id": AGENT_ID, "name": "Petugas Pusat Layanan", "email": self.email,
                                       "role": "agent", "active": True}})  # fmt: skip

    def export(self, request: Request) -> Response:
        per_page = min(int(request.arg("per_page", "1000") or 1000), 1000)
        threads, changes = self._model()
        cursor = request.arg("cursor")
        if cursor:
            after = _untoken(cursor)
            chosen = changes[bisect.bisect_right(changes, (after, 2**63)) :]
        else:
            start = request.arg("start_time")
            if start is None or not start.isdigit():
                raise HttpError(400, {"error": "InvalidValue", "description": "start_time or cursor is required"})
            chosen = [
                (change, tid)
                for change, tid in changes
                if max(self.player.wall_time(r.event) for r in threads[tid]) >= int(start)
            ]
        page = chosen[:per_page]
        last = page[-1][0] if page else (_untoken(cursor) if cursor else 0)
        body: dict[str, Any] = {
            "tickets": [self._ticket(tid, threads[tid]) for _, tid in page],
            "after_url": f"https://{self.subdomain}.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={_token(last)}",
            "before_url": None,
            "after_cursor": _token(last),
            "before_cursor": None,
            "end_of_stream": len(chosen) <= per_page,
        }
        if request.arg("include") == "users":
            body["users"] = list(
                {self._user(threads[tid][0])["id"]: self._user(threads[tid][0]) for _, tid in page}.values()
            )
        return Response(body=body)

    def comments(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        events = self._threads().get(ticket_id)
        if events is None or ticket_id in self._deleted:
            raise HttpError(404, {"error": "RecordNotFound", "description": "Not found"})
        size = min(int(request.arg("page[size]", "100") or 100), 100)
        after = request.arg("page[after]")
        start = _untoken(after) if after else 0
        chunk = events[start : start + size]
        end = start + len(chunk)
        base = f"https://{self.subdomain}.zendesk.com/api/v2/tickets/{ticket_id}/comments.json"
        body: dict[str, Any] = {
            "comments": [self._comment(r) for r in chunk],
            "meta": {"has_more": end < len(events), "after_cursor": _token(end), "before_cursor": _token(start)},
            "links": {"next": f"{base}?page[after]={_token(end)}&page[size]={size}", "prev": None},
        }
        if request.arg("include") == "users":
            body["users"] = list({self._user(r)["id"]: self._user(r) for r in chunk}.values())
        return Response(body=body)

    def update_ticket(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        threads = self._threads()
        events = threads.get(ticket_id)
        if events is None or ticket_id in self._deleted:
            raise HttpError(404, {"error": "RecordNotFound", "description": "Not found"})
        data = request.json()
        comment = data.get("ticket", {}).get("comment") if isinstance(data, dict) else None
        if not isinstance(comment, dict) or not str(comment.get("body", "")).strip():
            raise HttpError(422, {"error": "RecordInvalid", "description": "Record validation errors",
                                  "details": {"base": [{"description": "Comment: body is required"}]}})  # fmt: skip
        public = bool(comment.get("public", True))
        budget = self._ticket_update_budget(ticket_id)
        account = events[0].account.id
        reply = self.player.add_reply(account, events[-1].event.id, str(comment["body"]), kind="ticket_comment",
                                      visibility="public" if public else "private")  # fmt: skip
        threads = self._threads()
        made = self._comment(reply)
        made["public"] = public
        answer: dict[str, Any] = {"ticket": self._ticket(ticket_id, threads[ticket_id])}
        if self.audit_in_answers:
            answer["audit"] = {"id": made["audit_id"], "ticket_id": ticket_id, "created_at": made["created_at"],
                               "author_id": AGENT_ID, "events": [{"id": made["id"], "type": "Comment",
                                                                  "body": made["body"], "public": public,
                                                                  "author_id": AGENT_ID}]}  # fmt: skip
        return Response(body=answer, headers=budget)

    def create_ticket(self, request: Request) -> Response:
        """``POST /api/v2/tickets.json`` with ``{"ticket": {"subject", "comment": {"body"}, "requester"?}}``:
        a new ticket, in the export from now on."""
        data = request.json()
        ticket = data.get("ticket") if isinstance(data, dict) else None
        comment = ticket.get("comment") if isinstance(ticket, dict) else None
        text = str(comment.get("body", "")) if isinstance(comment, dict) else ""
        if not isinstance(ticket, dict) or not text.strip():
            raise HttpError(422, {"error": "RecordInvalid", "description": "Record validation errors",
                                  "details": {"base": [{"description": "Description: cannot be blank"}]}})  # fmt: skip
        requester = ticket.get("requester")
        author = None
        if isinstance(requester, dict) and requester.get("email"):
            email = str(requester["email"])
            author = Person(f"zendesk-requester:{email}", str(requester.get("name") or email), handles={"email": email})
        accounts = self.player.accounts("zendesk")
        if not accounts:
            raise HttpError(404, {"error": "RecordNotFound", "description": "Not found"})
        made = self.player.add_thread("zendesk", accounts[0].id, text, subject=str(ticket.get("subject") or ""),
                                      author=author)  # fmt: skip
        ticket_id = _TICKET_BASE + made.seq
        events = self._threads()[ticket_id]
        body = {"ticket": self._ticket(ticket_id, events), "users": [self._user(events[0])]}
        return Response(201, body)

    # ------------------------------------------------------------------ for tests and the trainer

    def ticket_ids(self) -> list[int]:
        return sorted(self._threads())

    def delete_ticket(self, ticket_id: int) -> None:
        """Delete a ticket as an agent would: it reappears in the export with status "deleted"."""
        self._changes += 1
        self._deleted[ticket_id] = 10**12 + self._changes


EMAIL = "agent@sukamaju.go.id"


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, the sandbox account that connects to it."""
    token = new_token()
    return Emulation(
        ZendeskPlatform(player, token=token, email=EMAIL),
        lambda url: [
            SandboxAccount(
                "zendesk",
                "zendesk:sandbox",
                "Pusat Layanan (sandbox)",
                url,
                token,
                {"email": EMAIL, "since": "2000-01-01"},
            )
        ],
    )
