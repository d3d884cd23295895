"""Freshdesk v2: tickets updated since a time and their conversations in; replies and private notes out.

Reading lists ``/api/v2/tickets?updated_since=...&order_by=updated_at&order_type=asc`` page by
page (``Link: <...>; rel="next"`` says whether there is more) with the requester included, and
each ticket's ``/api/v2/tickets/{id}/conversations``. The sync cursor holds the time the listing
started from and the page reached; when the listing is done, the next sync starts from the newest
``updated_at`` seen (a ticket changed in that same second is read again, which changes nothing).

A ticket is one conversation; its description is the item with the ticket's id; each
conversation entry is an item ``c<id>`` (Freshdesk numbers tickets and conversation entries
separately). ``incoming`` entries are inbound; ``private`` ones are private notes.

Credentials: the agent's API key (Basic auth with the key as user name, ``X`` as password).
Freshdesk's ``null`` and ``[]`` for empty lists are treated alike.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests

from omniinbox.connectors.base import CheckResult, ConnectorBug, PermanentError
from omniinbox.connectors.http import HttpClient, RateControl
from omniinbox.connectors.mail import html_to_text
from omniinbox.core import (
    Author,
    ConversationInfo,
    ConversationStatus,
    Direction,
    Item,
    ItemKind,
    OutgoingReply,
    Page,
    Priority,
    Receipt,
    SyncProblem,
    Visibility,
    utcnow,
)

STATUS = {2: ConversationStatus.OPEN, 3: ConversationStatus.PENDING, 4: ConversationStatus.CLOSED,
          5: ConversationStatus.CLOSED, 6: ConversationStatus.PENDING, 7: ConversationStatus.PENDING}  # fmt: skip
PRIORITY = {1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH, 4: Priority.URGENT}


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} has no created_at")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _text(entry: Mapping[str, Any], plain: str, html: str) -> str:
    value = entry.get(plain)
    if isinstance(value, str) and value.strip():
        return value
    return html_to_text(str(entry.get(html) or ""))


def _requester(ticket: Mapping[str, Any]) -> Author | None:
    person = ticket.get("requester")
    if isinstance(person, Mapping) and person.get("id") is not None:
        email = str(person.get("email") or "")
        return Author(str(person["id"]), str(person.get("name") or email), handle=email, email=email)
    if ticket.get("requester_id") is not None:
        return Author(str(ticket["requester_id"]))
    return None


def ticket_info(ticket: Mapping[str, Any]) -> ConversationInfo:
    return ConversationInfo(
        str(ticket["id"]),
        ItemKind.TICKET,
        str(ticket.get("subject") or ""),
        STATUS.get(ticket.get("status")),  # type: ignore[arg-type]
        PRIORITY.get(ticket.get("priority")),  # type: ignore[arg-type]
    )


def ticket_item(ticket: Mapping[str, Any], portal: str) -> Item:
    ticket_id = str(ticket["id"])
    return Item(
        external_id=ticket_id,
        kind=ItemKind.TICKET,
        text=_text(ticket, "description_text", "description"),
        conversation_id=ticket_id,
        created_at=_time(ticket.get("created_at"), f"ticket {ticket_id}"),
        author=_requester(ticket),
        subject=str(ticket.get("subject") or ""),
        permalink=f"{portal}/a/tickets/{ticket_id}",
        raw=ticket,
    )


def conversation_item(entry: Mapping[str, Any], portal: str, requester: Author | None = None) -> Item:
    """One reply, note or incoming message of a ticket (``conversations.json`` entries)."""
    ticket_id = str(entry["ticket_id"])
    incoming = bool(entry.get("incoming"))
    author = requester if incoming and requester else None
    if author is None and entry.get("user_id") is not None:
        sender = str(entry.get("from_email") or "")
        author = Author(str(entry["user_id"]), sender or f"agent {entry['user_id']}", handle=sender)
    return Item(
        external_id=f"c{entry['id']}",
        kind=ItemKind.TICKET_COMMENT,
        text=_text(entry, "body_text", "body"),
        conversation_id=ticket_id,
        created_at=_time(entry.get("created_at"), f"conversation {entry.get('id')}"),
        author=author,
        direction=Direction.INBOUND if incoming else Direction.OUTBOUND,
        parent_id=ticket_id,
        permalink=f"{portal}/a/tickets/{ticket_id}",
        visibility=Visibility.PRIVATE if entry.get("private") else Visibility.PUBLIC,
        raw=entry,
    )


def parse_saved(body: Any, portal: str = "https://freshdesk.invalid") -> Page:
    """A saved Freshdesk answer: a ticket, a list of tickets, or a ticket's conversations."""
    page = Page()
    entries = body if isinstance(body, list) else [body]
    for n, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or entry.get("id") is None:
            page.problems.append(SyncProblem(f"entry {n} is not a Freshdesk ticket or conversation"))
            continue
        try:
            if "ticket_id" in entry:
                page.items.append(conversation_item(entry, portal))
            else:
                page.conversations.append(ticket_info(entry))
                page.items.append(ticket_item(entry, portal))
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"entry {n} ({entry.get('id')}): {exc}", external_id=str(entry.get("id"))))
    return page


class FreshdeskConnector:
    streams: tuple[str, ...] = ("tickets",)
    read_ahead = True

    def __init__(self, base_url: str, *, api_key: str, since: datetime | None = None, page_size: int = 30,
                 rate: RateControl | None = None, **client: Any) -> None:  # fmt: skip
        auth = requests.auth.HTTPBasicAuth(api_key, "X")
        self.http = HttpClient(base_url, auth=auth, secrets=[api_key], rate=rate, **client)
        self.portal = base_url.rstrip("/")
        self.since = since or (utcnow() - timedelta(days=30))
        self.page_size = page_size

    def fetch(self, stream: str, cursor: str | None) -> Page:
        state: dict[str, Any] = (
            json.loads(cursor) if cursor else {"since": self.since.strftime("%Y-%m-%dT%H:%M:%SZ"), "page": 1}
        )
        params = {"updated_since": state["since"], "order_by": "updated_at", "order_type": "asc",
                  "per_page": self.page_size, "page": state["page"], "include": "requester"}  # fmt: skip
        response = self.http.request("GET", "api/v2/tickets", params=params)
        tickets = self.http.json_of(response)
        if not isinstance(tickets, list):
            raise ConnectorBug("Freshdesk's ticket list is not a list")
        page = parse_saved(tickets, self.portal)
        newest = str(state.get("newest", state["since"]))
        for ticket in tickets:
            if not isinstance(ticket, Mapping) or ticket.get("id") is None:
                continue
            newest = max(newest, str(ticket.get("updated_at") or newest))
            self._read_conversations(ticket, page)
        if "next" in response.links:
            page.next_cursor = json.dumps({"since": state["since"], "page": int(state["page"]) + 1, "newest": newest})
            page.has_more = True
        else:
            page.next_cursor = json.dumps({"since": newest, "page": 1})
        return page

    def _read_conversations(self, ticket: Mapping[str, Any], page: Page) -> None:
        requester = _requester(ticket)
        params: dict[str, Any] = {"per_page": 100, "page": 1}
        while True:
            response = self.http.request("GET", f"api/v2/tickets/{ticket['id']}/conversations", params=params)
            entries = self.http.json_of(response)
            if not isinstance(entries, list):
                page.problems.append(SyncProblem(f"ticket {ticket['id']}: conversations are not a list"))
                return
            for entry in entries:
                try:
                    page.items.append(conversation_item(entry, self.portal, requester))
                except (KeyError, ValueError, TypeError) as exc:
                    page.problems.append(SyncProblem(f"ticket {ticket['id']}: conversation: {exc}"))
            if "next" not in response.links:
                return
            params = {"per_page": 100, "page": params["page"] + 1}

    def send(self, reply: OutgoingReply) -> Receipt:
        if reply.new_ticket:
            return self._create_ticket(reply)
        ticket = reply.conversation_external_id
        if not ticket or not ticket.isdigit():
            raise PermanentError("a Freshdesk reply needs the ticket it answers")
        if reply.visibility is Visibility.PRIVATE:
            made = self.http.send_json("POST", f"api/v2/tickets/{ticket}/notes", {"body": reply.body, "private": True})
        else:
            made = self.http.send_json("POST", f"api/v2/tickets/{ticket}/reply", {"body": reply.body})
        if not isinstance(made, Mapping) or made.get("id") is None:
            raise ConnectorBug("Freshdesk accepted the reply but did not say which entry it became")
        return Receipt(f"c{made['id']}", f"{self.portal}/a/tickets/{ticket}")

    def _create_ticket(self, reply: OutgoingReply) -> Receipt:
        """A new ticket (``POST /api/v2/tickets``, open, normal priority). Freshdesk needs a
        requester: the person's address when known, else their handle as ``unique_external_id``."""
        body: dict[str, Any] = {"subject": reply.subject, "description": html.escape(reply.body).replace("\n", "<br>"),
                                "status": 2, "priority": 2}  # fmt: skip
        if reply.recipient and "@" in reply.recipient:
            body["email"] = reply.recipient
        else:
            body["unique_external_id"] = reply.requester_handle or reply.requester_name or "omniinbox"
        if reply.requester_name:
            body["name"] = reply.requester_name
        made = self.http.send_json("POST", "api/v2/tickets", body)
        if not isinstance(made, Mapping) or made.get("id") is None:
            raise ConnectorBug("Freshdesk accepted the ticket but did not say which ticket it became; not sent again")
        return Receipt(str(made["id"]), f"{self.portal}/a/tickets/{made['id']}", parse_saved(made, self.portal))

    def check(self) -> CheckResult:
        me = self.http.get_json("api/v2/agents/me")
        contact = me.get("contact", {}) if isinstance(me, Mapping) else {}
        identity = f"{contact.get('name')} <{contact.get('email')}>"
        return CheckResult(ok=True, identity=identity, can_read=True, can_reply=True)

    def close(self) -> None:
        self.http.close()
