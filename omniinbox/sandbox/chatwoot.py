"""Chatwoot, emulated from a scenario: one Chatwoot account whose inboxes (WhatsApp, Telegram,
web chat) bring the scenario's ``chatwoot`` threads as conversations.

* ``GET  /api/v1/profile``
* ``GET  /api/v1/accounts/{account}/conversations?status=all&page=`` (newest activity first,
  ``{"data": {"meta": ..., "payload": [...]}}``; 25 per page)
* ``GET  /api/v1/accounts/{account}/conversations/{id}/messages?before=`` (``{"meta", "payload"}``,
  the 20 newest before ``before``, oldest first)
* ``POST /api/v1/accounts/{account}/conversations/{id}/messages`` ``{"content", "message_type", "private"}``

Credentials: the ``api_access_token`` header.
"""

from __future__ import annotations

import zlib
from typing import Any

from omniinbox.sandbox.emulation import Emulation, SandboxAccount, new_token
from omniinbox.sandbox.player import PerRelease, Released, ScenarioPlayer
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

_CONVERSATION_BASE = 40
AGENT_ID = 1


class ChatwootPlatform(Platform):
    name = "chatwoot"

    def __init__(self, player: ScenarioPlayer, *, token: str, account_id: int = 1) -> None:
        super().__init__()
        self.player = player
        self.token = token
        self.account_id = account_id
        self._model = PerRelease(player, "chatwoot", self._build)
        prefix = rf"/api/v1/accounts/{account_id}/conversations"
        self.route("GET", r"/api/v1/profile", self.profile)
        self.route("GET", prefix, self.conversations)
        self.route("GET", prefix + r"/(?P<id>\d+)/messages", self.messages)
        self.route("POST", prefix + r"/(?P<id>\d+)/messages", self.post_message)

    def authorize(self, request: Request) -> bool:
        return request.headers.get("api_access_token") == self.token

    def unauthorized(self) -> Response:
        return Response(401, {"errors": ["You need to sign in or sign up before continuing."]})

    def _build(self, grouped: dict[str, list[Released]]) -> tuple[dict[int, list[Released]], list[dict[str, Any]]]:
        """Conversations by id and their list rows, newest activity first (once per release)."""
        conversations = {_CONVERSATION_BASE + (self.player.seq_of(t) or ev[0].seq): ev for t, ev in grouped.items()}
        rows = [self._row(cid, events) for cid, events in conversations.items()]
        rows.sort(key=lambda c: (c["last_activity_at"], c["id"]), reverse=True)
        return conversations, rows

    def _conversations(self) -> dict[int, list[Released]]:
        return self._model.get()[0]

    def _row(self, cid: int, events: list[Released]) -> dict[str, Any]:
        last = events[-1]
        return {
            "id": cid,
            "account_id": self.account_id,
            "inbox_id": 1,
            "status": "open",
            "last_activity_at": int(max(self.player.wall_time(r.event) for r in events)),
            "timestamp": int(self.player.wall_time(last.event)),
            "unread_count": 1,
            "priority": None,
            "meta": {"sender": self._sender(events[0]), "channel": "Channel::Whatsapp", "assignee": None},
            "messages": [self._message(cid, last)],
        }

    def _sender(self, released: Released) -> dict[str, Any]:
        if released.author is None:
            return {"id": AGENT_ID, "name": "Petugas WhatsApp", "type": "user"}
        person = released.author
        return {
            "id": 900 + zlib.crc32(person.id.encode()) % 100_000,
            "name": person.name,
            "type": "contact",
            "phone_number": f"+62812{zlib.crc32(person.id.encode()) % 10_000_000:07d}",
            "email": None,
        }

    def _message(self, conversation_id: int, released: Released) -> dict[str, Any]:
        outgoing = released.author is None
        return {
            "id": 7000 + released.seq,
            "content": released.event.text,
            "account_id": self.account_id,
            "inbox_id": 1,
            "conversation_id": conversation_id,
            "message_type": 1 if outgoing else 0,
            "created_at": int(self.player.wall_time(released.event)),
            "private": outgoing and released.event.visibility == "private",
            "content_type": "text",
            "content_attributes": {},
            "source_id": None,
            "sender": self._sender(released),
        }

    def profile(self, request: Request) -> Response:
        return Response(
            body={
                "id": AGENT_ID,
                "name": "Petugas WhatsApp",
                "email": "wa@sukamaju.go.id",
                "role": "agent",
                "account_id": self.account_id,
            }
        )

    def conversations(self, request: Request) -> Response:
        rows = self._model.get()[1]
        number = int(request.arg("page", "1") or 1)
        chunk = rows[(number - 1) * 25 : number * 25]
        meta = {"mine_count": 0, "unassigned_count": len(rows), "all_count": len(rows)}
        return Response(body={"data": {"meta": meta, "payload": chunk}})

    def messages(self, request: Request) -> Response:
        cid = int(request.params["id"])
        events = self._conversations().get(cid)
        if events is None:
            raise HttpError(404, {"error": "Resource could not be found"})
        made = [self._message(cid, r) for r in events]
        before = request.arg("before")
        if before:
            made = [m for m in made if m["id"] < int(before)]
        return Response(body={"meta": {"contact": self._sender(events[0])}, "payload": made[-20:]})

    def post_message(self, request: Request) -> Response:
        cid = int(request.params["id"])
        events = self._conversations().get(cid)
        if events is None:
            raise HttpError(404, {"error": "Resource could not be found"})
        data = request.json()
        if not isinstance(data, dict) or not str(data.get("content", "")).strip():
            raise HttpError(422, {"message": "Content can't be blank"})
        visibility = "private" if data.get("private") else "public"
        reply = self.player.add_reply(
            events[0].account.id, events[-1].event.id, str(data["content"]), kind="dm", visibility=visibility
        )
        return Response(body=self._message(cid, reply))


ACCOUNT_ID = 1


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, the sandbox account that connects to it."""
    token = new_token()
    return Emulation(
        ChatwootPlatform(player, token=token, account_id=ACCOUNT_ID),
        lambda url: [
            SandboxAccount(
                "chatwoot",
                "chatwoot:sandbox",
                "WhatsApp Layanan (sandbox)",
                url,
                token,
                {"account_id": str(ACCOUNT_ID), "since": "2000-01-01"},
            )
        ],
    )
