"""Zammad, emulated from a scenario (shapes of ``../shared/corpus/zammad``).

* ``GET  /api/v1/users/me``
* ``GET  /api/v1/tickets/search?query=updated_at:>=ISO&sort_by=updated_at&order_by=asc&expand=&page=&per_page=``
  (``expand=true``: a list of tickets; otherwise ids plus an ``assets`` map; past the end: ``[]``)
* ``GET  /api/v1/ticket_articles/by_ticket/{id}``
* ``POST /api/v1/ticket_articles`` ``{"ticket_id", "body", "internal", ...}``

Credentials: ``Authorization: Token token=TOKEN``. Zammad sends no rate-limit headers.
"""

from __future__ import annotations

import bisect
import zlib
from datetime import UTC, datetime
from typing import Any

from omniinbox.sandbox.emulation import Emulation, SandboxAccount, new_token
from omniinbox.sandbox.player import PerRelease, Released, ScenarioPlayer
from omniinbox.sandbox.scenario import Person
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

_TICKET_BASE = 300
AGENT_ID = 3


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class ZammadPlatform(Platform):
    name = "zammad"

    def __init__(self, player: ScenarioPlayer, *, token: str) -> None:
        super().__init__()
        self.player = player
        self.token = token
        self._model = PerRelease(player, "zammad", self._build)
        self.route("GET", r"/api/v1/users/me", self.me)
        self.route("GET", r"/api/v1/tickets/search", self.search)
        self.route("GET", r"/api/v1/ticket_articles/by_ticket/(?P<id>\d+)", self.articles)
        self.route("POST", r"/api/v1/ticket_articles", self.add_article)
        self.route("POST", r"/api/v1/tickets", self.create_ticket)

    def authorize(self, request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Token token={self.token}"

    def unauthorized(self) -> Response:
        return Response(401, {"error": "Invalid token!"})

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        return {}

    def _build(self, grouped: dict[str, list[Released]]) -> tuple[dict[int, list[Released]], list[tuple[str, int]]]:
        tickets = {_TICKET_BASE + (self.player.seq_of(t) or ev[0].seq): ev for t, ev in grouped.items()}
        order = sorted((_iso(max(self.player.wall_time(r.event) for r in ev)), tid) for tid, ev in tickets.items())
        return tickets, order

    def _tickets(self) -> dict[int, list[Released]]:
        return self._model.get()[0]

    def _ticket(self, ticket_id: int, events: list[Released]) -> dict[str, Any]:
        first, last = events[0], events[-1]
        state = "pending reminder" if last.author is None else ("open" if len(events) > 1 else "new")
        return {
            "id": ticket_id,
            "number": str(67000 + ticket_id),
            "title": first.event.subject or first.event.text[:60],
            "group_id": 1,
            "group": "Users",
            "state_id": 2,
            "state": state,
            "priority_id": 2,
            "priority": "2 normal",
            "customer_id": self._user_id(first),
            "owner_id": 1,
            "article_ids": [r.seq for r in events],
            "article_count": len(events),
            "created_at": _iso(self.player.wall_time(first.event)),
            "updated_at": _iso(max(self.player.wall_time(r.event) for r in events)),
        }

    def _user_id(self, released: Released) -> int:
        return AGENT_ID if released.author is None else 100 + zlib.crc32(released.author.id.encode()) % 100_000

    def _article(self, ticket_id: int, released: Released) -> dict[str, Any]:
        customer = released.author is not None
        who = released.author.name if released.author else "Petugas Helpdesk"
        return {
            "id": 500 + released.seq,
            "ticket_id": ticket_id,
            "type_id": 10,
            "type": "note",
            "sender_id": 2 if customer else 1,
            "sender": "Customer" if customer else "Agent",
            "from": who,
            "to": None,
            "cc": None,
            "subject": released.event.subject or None,
            "message_id": None,
            "in_reply_to": None,
            "references": None,
            "content_type": "text/plain",
            "body": released.event.text,
            "internal": released.event.visibility == "private" and not customer,
            "attachments": [],
            "created_by_id": self._user_id(released),
            "created_at": _iso(self.player.wall_time(released.event)),
        }

    def me(self, request: Request) -> Response:
        return Response(
            body={
                "id": AGENT_ID,
                "login": "helpdesk",
                "firstname": "Petugas",
                "lastname": "Helpdesk",
                "email": "helpdesk@sukamaju.go.id",
                "active": True,
            }
        )

    def search(self, request: Request) -> Response:
        query = request.arg("query", "") or ""
        since = query.split(">=", 1)[1] if "updated_at:>=" in query else ""
        tickets, order = self._model.get()
        start = bisect.bisect_left(order, (since, 0))
        per_page = min(int(request.arg("per_page", "50") or 50), 100)
        number = int(request.arg("page", "1") or 1)
        first = start + (number - 1) * per_page
        chunk = [self._ticket(tid, tickets[tid]) for _, tid in order[first : first + per_page]]
        if request.arg("expand") == "true":
            return Response(body=chunk)
        return Response(
            body={
                "tickets": [t["id"] for t in chunk],
                "tickets_count": len(chunk),
                "assets": {"Ticket": {str(t["id"]): t for t in chunk}},
            }
        )

    def articles(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        events = self._tickets().get(ticket_id)
        if events is None:
            raise HttpError(404, {"error": "Couldn't find Ticket with 'id'"})
        return Response(body=[self._article(ticket_id, r) for r in events])

    def add_article(self, request: Request) -> Response:
        data = request.json()
        if not isinstance(data, dict) or not str(data.get("body", "")).strip():
            raise HttpError(422, {"error": "Need body of article"})
        events = self._tickets().get(int(data.get("ticket_id") or 0))
        if events is None:
            raise HttpError(422, {"error": "Need ticket_id of an existing ticket"})
        visibility = "private" if data.get("internal") else "public"
        reply = self.player.add_reply(
            events[0].account.id, events[-1].event.id, str(data["body"]), kind="ticket_comment", visibility=visibility
        )
        return Response(201, self._article(int(data["ticket_id"]), reply))

    def create_ticket(self, request: Request) -> Response:
        """``POST /api/v1/tickets`` with a title and a first ``article``: a new ticket, found by the
        search from now on."""
        data = request.json()
        article = data.get("article") if isinstance(data, dict) else None
        text = str(article.get("body", "")) if isinstance(article, dict) else ""
        if not isinstance(data, dict) or not str(data.get("title", "")).strip() or not text.strip():
            raise HttpError(422, {"error": "Need title and article body"})
        customer = str(data.get("customer_id") or data.get("customer") or "").removeprefix("guess:")
        author = Person(f"zammad-customer:{customer}", customer, handles={"email": customer}) if customer else None
        accounts = self.player.accounts("zammad")
        if not accounts:
            raise HttpError(422, {"error": "no group to create the ticket in"})
        made = self.player.add_thread("zammad", accounts[0].id, text, subject=str(data["title"]), author=author)
        ticket_id = _TICKET_BASE + made.seq
        return Response(201, self._ticket(ticket_id, self._tickets()[ticket_id]))


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, the sandbox account that connects to it."""
    token = new_token()
    return Emulation(
        ZammadPlatform(player, token=token),
        lambda url: [
            SandboxAccount(
                "zammad", "zammad:sandbox", "Helpdesk Dukcapil (sandbox)", url, token, {"since": "2000-01-01"}
            )
        ],
    )
