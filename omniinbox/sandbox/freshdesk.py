"""Freshdesk v2, emulated from a scenario (shapes of ``../shared/corpus/freshdesk``).

* ``GET  /api/v2/agents/me``
* ``GET  /api/v2/tickets?updated_since=&order_by=updated_at&order_type=asc&per_page=&page=&include=requester``
  (``Link: <...>; rel="next"`` while there is more)
* ``GET  /api/v2/tickets/{id}/conversations?per_page=&page=``
* ``POST /api/v2/tickets/{id}/reply`` ``{"body"}`` and ``POST /api/v2/tickets/{id}/notes`` ``{"body", "private"}``

Each scenario thread on ``freshdesk`` is a ticket; later events and accepted replies are its
conversation entries. Credentials: the API key as the Basic user name (any password). Rate
headers: ``X-Ratelimit-Total``, ``X-Ratelimit-Remaining``, ``X-Ratelimit-Used-CurrentRequest``.
"""

from __future__ import annotations

import base64
import bisect
import html
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from omniinbox.sandbox.emulation import Emulation, SandboxAccount, new_token
from omniinbox.sandbox.player import PerRelease, Released, ScenarioPlayer
from omniinbox.sandbox.scenario import Person
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

AGENT_ID = 5_000_001
_TICKET_BASE = 100


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FreshdeskPlatform(Platform):
    name = "freshdesk"
    budget_per_minute = 200

    def __init__(self, player: ScenarioPlayer, *, api_key: str, domain: str = "sukamaju") -> None:
        super().__init__()
        self.player = player
        self.api_key = api_key
        self.domain = domain
        self._model = PerRelease(player, "freshdesk", self._build)
        self.route("GET", r"/api/v2/agents/me", self.me)
        self.route("GET", r"/api/v2/tickets", self.tickets)
        self.route("GET", r"/api/v2/tickets/(?P<id>\d+)/conversations", self.conversations)
        self.route("POST", r"/api/v2/tickets/(?P<id>\d+)/(?P<what>reply|notes)", self.answer)
        self.route("POST", r"/api/v2/tickets", self.create_ticket)

    def authorize(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        try:
            user = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return False
        return header.startswith("Basic ") and user == self.api_key

    def unauthorized(self) -> Response:
        return Response(
            401, {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}
        )

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        return {
            "X-Ratelimit-Total": str(self.budget_per_minute),
            "X-Ratelimit-Remaining": str(remaining),
            "X-Ratelimit-Used-CurrentRequest": "1",
        }

    # ------------------------------------------------------------------ the model

    def _build(self, grouped: dict[str, list[Released]]) -> tuple[dict[int, list[Released]], list[tuple[str, int]]]:
        tickets = {_TICKET_BASE + (self.player.seq_of(t) or ev[0].seq): ev for t, ev in grouped.items()}
        order = sorted((_iso(max(self.player.wall_time(r.event) for r in ev)), tid) for tid, ev in tickets.items())
        return tickets, order

    def _tickets(self) -> dict[int, list[Released]]:
        return self._model.get()[0]

    def _person(self, released: Released) -> dict[str, Any]:
        if released.author is None:
            return {"id": AGENT_ID, "name": "Petugas Layanan", "email": f"layanan@{self.domain}.go.id"}
        return {
            "id": 7_000_000 + zlib.crc32(released.author.id.encode()) % 1_000_000,
            "name": released.author.name,
            "email": released.author.handle_on("email"),
            "mobile": None,
            "phone": None,
        }

    def _ticket(self, ticket_id: int, events: list[Released], with_requester: bool) -> dict[str, Any]:
        first = events[0]
        last = events[-1]
        requester = self._person(first)
        status = 3 if last.author is None else 2
        body = {
            "id": ticket_id,
            "subject": first.event.subject or first.event.text[:60],
            "status": status,
            "priority": 3 if len(events) > 3 else 1,
            "source": 1,
            "type": "Question",
            "description": f"<div>{html.escape(first.event.text)}</div>",
            "description_text": first.event.text,
            "requester_id": requester["id"],
            "responder_id": None,
            "group_id": None,
            "company_id": None,
            "cc_emails": None,
            "fwd_emails": [],
            "reply_cc_emails": [],
            "to_emails": None,
            "tags": ["sandbox"],
            "custom_fields": {},
            "spam": False,
            "is_escalated": False,
            "attachments": [],
            "created_at": _iso(self.player.wall_time(first.event)),
            "updated_at": _iso(max(self.player.wall_time(r.event) for r in events)),
        }
        if with_requester:
            body["requester"] = requester
        return body

    def _entry(self, ticket_id: int, released: Released) -> dict[str, Any]:
        incoming = released.author is not None
        text = released.event.text
        return {
            "id": released.seq,
            "ticket_id": ticket_id,
            "body": f"<div>{html.escape(text)}</div>",
            "body_text": text,
            "incoming": incoming,
            "private": released.event.visibility == "private" and not incoming,
            "user_id": self._person(released)["id"],
            "source": 0 if incoming else 2,
            "support_email": None,
            "from_email": None if incoming else f"Petugas Layanan <layanan@{self.domain}.go.id>",
            "to_emails": [],
            "cc_emails": None,
            "bcc_emails": None,
            "attachments": [],
            "created_at": _iso(self.player.wall_time(released.event)),
            "updated_at": _iso(self.player.wall_time(released.event)),
        }

    def _paged(
        self, request: Request, rows: list[Any], path: str, render: Callable[[Any], Any] | None = None
    ) -> Response:
        """A Freshdesk page of ``rows`` (``render`` makes each row of the page its answer)."""
        per_page = min(int(request.arg("per_page", "30") or 30), 100)
        number = int(request.arg("page", "1") or 1)
        chunk = rows[(number - 1) * per_page : number * per_page]
        if render is not None:
            chunk = [render(row) for row in chunk]
        headers = {}
        if number * per_page < len(rows):
            headers["Link"] = (
                f'<https://{self.domain}.freshdesk.com{path}?page={number + 1}&per_page={per_page}>; rel="next"'
            )
        return Response(body=chunk, headers=headers)

    # ------------------------------------------------------------------ endpoints

    def me(self, request: Request) -> Response:
        return Response(
            body={
                "id": AGENT_ID,
                "available": True,
                "occasional": False,
                "contact": {"name": "Petugas Layanan", "email": f"layanan@{self.domain}.go.id"},
            }
        )

    def tickets(self, request: Request) -> Response:
        since = request.arg("updated_since")
        tickets, order = self._model.get()
        start = bisect.bisect_left(order, (since, 0)) if since is not None else 0
        with_requester = request.arg("include") == "requester"
        return self._paged(
            request,
            order[start:],
            "/api/v2/tickets",
            render=lambda row: self._ticket(row[1], tickets[row[1]], with_requester),
        )

    def conversations(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        events = self._tickets().get(ticket_id)
        if events is None:
            raise HttpError(404, {"code": "access_denied", "message": "not found"})
        return self._paged(request, [self._entry(ticket_id, r) for r in events[1:]], request.path)

    def answer(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        events = self._tickets().get(ticket_id)
        if events is None:
            raise HttpError(404, {"code": "access_denied", "message": "not found"})
        data = request.json()
        body = data.get("body") if isinstance(data, dict) else None
        if not isinstance(body, str) or not body.strip():
            problem = {"field": "body", "message": "It should not be blank", "code": "missing_field"}
            raise HttpError(400, {"description": "Validation failed", "errors": [problem]})
        private = request.params["what"] == "notes" and bool(data.get("private", True))
        reply = self.player.add_reply(
            events[0].account.id,
            events[-1].event.id,
            body,
            kind="ticket_comment",
            visibility="private" if private else "public",
        )
        return Response(201, self._entry(ticket_id, reply))

    def create_ticket(self, request: Request) -> Response:
        """``POST /api/v2/tickets`` (subject, description, and email or unique_external_id): a new
        ticket, listed from now on."""
        data = request.json()
        if not isinstance(data, dict):
            raise HttpError(400, {"description": "Validation failed", "errors": []})
        text = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", str(data.get("description") or ""))))
        who = str(data.get("email") or data.get("unique_external_id") or "")
        problems = [
            {"field": name, "message": "It should not be blank", "code": "missing_field"}
            for name, value in (
                ("description", text.strip()),
                ("subject", str(data.get("subject") or "").strip()),
                ("requester_id", who),
            )
            if not value
        ]
        if problems:
            raise HttpError(400, {"description": "Validation failed", "errors": problems})
        handles = {"email": str(data["email"])} if data.get("email") else {}
        author = Person(f"freshdesk-requester:{who}", str(data.get("name") or who), handles=handles)
        accounts = self.player.accounts("freshdesk")
        if not accounts:
            raise HttpError(404, {"code": "access_denied", "message": "not found"})
        made = self.player.add_thread("freshdesk", accounts[0].id, text, subject=str(data["subject"]), author=author)
        ticket_id = _TICKET_BASE + made.seq
        return Response(201, self._ticket(ticket_id, self._tickets()[ticket_id], True))


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, the sandbox account that connects to it."""
    token = new_token()
    return Emulation(
        FreshdeskPlatform(player, api_key=token),
        lambda url: [
            SandboxAccount(
                "freshdesk", "freshdesk:sandbox", "Layanan Pengaduan (sandbox)", url, token, {"since": "2000-01-01"}
            )
        ],
    )
