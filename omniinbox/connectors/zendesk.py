"""Zendesk Support: tickets and their comments in, replies out as public comments or internal notes.

Reading uses the cursor-based incremental ticket export
(``/api/v2/incremental/tickets/cursor.json``): one export page (up to ``page_size`` changed
tickets) is one page of the sync, with every comment of those tickets
(``/api/v2/tickets/{id}/comments.json``, cursor-paged). The sync cursor is the export's
``after_cursor``; a killed sync repeats at most the page it was on, and repeating changes nothing.
The export is followed until ``end_of_stream`` (its links are present even then: the flags
decide, not the links); the cursor is kept, so the next sync asks only for what changed since.

A ticket is one conversation. Its first message (the description) is the item whose external id is
the ticket's id; later comments are items with their own ids. Internal notes (``public: false``)
are private items. Comments written by agents are outbound. A deleted ticket (``status:
"deleted"``) closes its conversation; what was read before stays, as evidence.

Credentials: an API token (``email/token:TOKEN`` in Basic auth; the account's settings give the
agent's email) or an OAuth access token (Bearer).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests

from omniinbox.connectors.base import AuthenticationError, CheckResult, ConnectorBug, PermanentError
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

STATUS = {
    "new": ConversationStatus.OPEN,
    "open": ConversationStatus.OPEN,
    "pending": ConversationStatus.PENDING,
    "hold": ConversationStatus.PENDING,
    "solved": ConversationStatus.CLOSED,
    "closed": ConversationStatus.CLOSED,
    "deleted": ConversationStatus.CLOSED,
}
PRIORITY = {"low": Priority.LOW, "normal": Priority.NORMAL, "high": Priority.HIGH, "urgent": Priority.URGENT}
AGENT_ROLES = frozenset({"agent", "admin"})


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} has no created_at")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _users(body: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    users = body.get("users")
    if not isinstance(users, list):
        return {}
    return {u["id"]: u for u in users if isinstance(u, Mapping) and isinstance(u.get("id"), int)}


def _user_of(user_id: Any, users: Mapping[int, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return users.get(user_id) if isinstance(user_id, int) else None


def _author(user_id: Any, users: Mapping[int, Mapping[str, Any]]) -> Author | None:
    if not isinstance(user_id, int):
        return None
    user = users.get(user_id, {})
    email = str(user.get("email") or "")
    return Author(external_id=str(user_id), name=str(user.get("name") or email or f"user {user_id}"), handle=email,
                  email=email)  # fmt: skip


def ticket_info(ticket: Mapping[str, Any]) -> ConversationInfo:
    """The conversation a ticket is."""
    status = STATUS.get(str(ticket.get("status") or ""))
    priority = PRIORITY.get(str(ticket.get("priority") or ""))
    subject = str(ticket.get("subject") or ticket.get("raw_subject") or "")
    return ConversationInfo(str(ticket["id"]), ItemKind.TICKET, subject, status, priority)


def ticket_item(ticket: Mapping[str, Any], users: Mapping[int, Mapping[str, Any]], agent_url: str) -> Item:
    """The ticket's opening message, from the ticket itself (its description)."""
    ticket_id = str(ticket["id"])
    requester = _user_of(ticket.get("requester_id"), users)
    inbound = requester is None or requester.get("role") not in AGENT_ROLES
    return Item(
        external_id=ticket_id,
        kind=ItemKind.TICKET,
        text=str(ticket.get("description") or ""),
        conversation_id=ticket_id,
        created_at=_time(ticket.get("created_at"), f"ticket {ticket_id}"),
        author=_author(ticket.get("requester_id"), users),
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        subject=str(ticket.get("subject") or ticket.get("raw_subject") or ""),
        permalink=f"{agent_url}/agent/tickets/{ticket_id}",
        visibility=Visibility.PUBLIC,
        raw=ticket,
    )


def comment_item(comment: Mapping[str, Any], ticket_id: str, users: Mapping[int, Mapping[str, Any]],
                 agent_url: str) -> Item:  # fmt: skip
    comment_id = comment.get("id")
    if not isinstance(comment_id, int):
        raise ValueError("a comment without an id")
    text = comment.get("plain_body") or comment.get("body")
    if not text and comment.get("html_body"):
        text = html_to_text(str(comment["html_body"]))
    user = _user_of(comment.get("author_id"), users)
    outbound = user is not None and user.get("role") in AGENT_ROLES
    return Item(
        external_id=str(comment_id),
        kind=ItemKind.TICKET_COMMENT,
        text=str(text or ""),
        conversation_id=ticket_id,
        created_at=_time(comment.get("created_at"), f"comment {comment_id}"),
        author=_author(comment.get("author_id"), users),
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        parent_id=ticket_id,
        permalink=f"{agent_url}/agent/tickets/{ticket_id}",
        visibility=Visibility.PUBLIC if comment.get("public", True) else Visibility.PRIVATE,
        raw=comment,
    )


def parse_comments(body: Any, ticket_id: str, agent_url: str, users: Mapping[int, Mapping[str, Any]] | None = None,
                   page: Page | None = None) -> Page:  # fmt: skip
    """Comments of one ticket into ``page`` (a new one by default). The first comment repeats
    the ticket's description, which the ticket item already holds: it is skipped."""
    page = page if page is not None else Page()
    if not isinstance(body, Mapping) or not isinstance(body.get("comments"), list):
        page.problems.append(SyncProblem(f"ticket {ticket_id}: the comments answer has no 'comments' list"))
        return page
    known = {**(users or {}), **_users(body)}
    for n, comment in enumerate(body["comments"]):
        if not isinstance(comment, Mapping):
            page.problems.append(SyncProblem(f"ticket {ticket_id}: comment {n} is not an object"))
            continue
        if n == 0 and not body.get("_continued"):
            continue
        try:
            page.items.append(comment_item(comment, ticket_id, known, agent_url))
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"ticket {ticket_id}: comment {comment.get('id')}: {exc}",
                                             external_id=str(comment.get("id", ""))))  # fmt: skip
    return page


def parse_tickets(body: Any, agent_url: str, page: Page | None = None) -> tuple[Page, list[str]]:
    """Tickets of an export (or of ``/tickets.json``, or one ``{"ticket": ...}``) into ``page``;
    also the ids of the tickets whose comments should be read (all but the deleted)."""
    page = page if page is not None else Page()
    if isinstance(body, Mapping) and isinstance(body.get("ticket"), Mapping):
        tickets: list[Any] = [body["ticket"]]
    elif isinstance(body, Mapping) and isinstance(body.get("tickets"), list):
        tickets = body["tickets"]
    else:
        raise ConnectorBug("a Zendesk answer without 'tickets' (or 'ticket')")
    users = _users(body) if isinstance(body, Mapping) else {}
    live: list[str] = []
    for n, ticket in enumerate(tickets):
        if not isinstance(ticket, Mapping) or not isinstance(ticket.get("id"), int):
            page.problems.append(SyncProblem(f"ticket entry {n} has no numeric id"))
            continue
        try:
            page.conversations.append(ticket_info(ticket))
            if ticket.get("status") == "deleted":
                continue  # its conversation closes; nothing more can be read
            page.items.append(ticket_item(ticket, users, agent_url))
            live.append(str(ticket["id"]))
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"ticket {ticket.get('id')}: {exc}", external_id=str(ticket.get("id"))))
    return page, live


def parse_saved(body: Any, agent_url: str = "https://zendesk.invalid") -> Page:
    """A saved Zendesk answer (ticket export, ticket list or one ticket) as a page, for import."""
    page, _ = parse_tickets(body, agent_url)
    return page


class ZendeskConnector:
    streams: tuple[str, ...] = ("tickets",)
    read_ahead = True  # reading changes nothing on Zendesk

    def __init__(
        self,
        base_url: str,
        *,
        email: str = "",
        token: str = "",
        oauth_token: str = "",
        since: datetime | None = None,
        page_size: int = 100,
        rate: RateControl | None = None,
        **client: Any,
    ) -> None:
        if oauth_token:
            auth: requests.auth.AuthBase = _Bearer(oauth_token)
            secrets = [oauth_token]
        elif email and token:
            auth = requests.auth.HTTPBasicAuth(f"{email}/token", token)
            secrets = [token]
        else:
            raise AuthenticationError("Zendesk needs an agent's email and API token, or an OAuth token")
        self.http = HttpClient(base_url, auth=auth, secrets=secrets, rate=rate, **client)
        self.agent_url = base_url.rstrip("/")
        self.since = since or (utcnow() - timedelta(days=30))
        self.page_size = page_size

    def fetch(self, stream: str, cursor: str | None) -> Page:
        state = json.loads(cursor) if cursor else {}
        params: dict[str, Any] = {"per_page": self.page_size, "include": "users"}
        if state.get("cursor"):
            params["cursor"] = state["cursor"]
        else:
            params["start_time"] = int(self.since.timestamp())
        body = self.http.get_json("api/v2/incremental/tickets/cursor.json", params)
        page, live = parse_tickets(body, self.agent_url)
        for ticket_id in live:
            self._read_comments(ticket_id, _users(body), page)
        after = body.get("after_cursor") if isinstance(body, Mapping) else None
        page.next_cursor = json.dumps({"cursor": after}) if after else cursor
        page.has_more = not bool(body.get("end_of_stream", True))
        return page

    def _read_comments(self, ticket_id: str, users: Mapping[int, Mapping[str, Any]], page: Page) -> None:
        params: dict[str, Any] = {"page[size]": 100, "include": "users"}
        first = True
        while True:
            body = self.http.get_json(f"api/v2/tickets/{ticket_id}/comments.json", params)
            if isinstance(body, Mapping) and not first:
                body = {**body, "_continued": True}
            parse_comments(body, ticket_id, self.agent_url, users, page)
            meta = body.get("meta") if isinstance(body, Mapping) else None
            if not isinstance(meta, Mapping) or not meta.get("has_more") or not meta.get("after_cursor"):
                return  # the flag decides: links.next is there even at the end
            params = {"page[size]": 100, "page[after]": meta["after_cursor"], "include": "users"}
            first = False

    def send(self, reply: OutgoingReply) -> Receipt:
        if not reply.conversation_external_id or not reply.conversation_external_id.isdigit():
            raise PermanentError("a Zendesk reply needs the ticket it answers")
        public = reply.visibility is Visibility.PUBLIC
        body = {"ticket": {"comment": {"body": reply.body, "public": public}}}
        answer = self.http.send_json("PUT", f"api/v2/tickets/{reply.conversation_external_id}.json", body)
        events = answer.get("audit", {}).get("events", []) if isinstance(answer, Mapping) else []
        comment = next((e for e in events if isinstance(e, Mapping) and e.get("type") == "Comment"), None)
        if comment is None or "id" not in comment:
            raise ConnectorBug("Zendesk accepted the reply but did not say which comment it became")
        return Receipt(str(comment["id"]), f"{self.agent_url}/agent/tickets/{reply.conversation_external_id}")

    def check(self) -> CheckResult:
        body = self.http.get_json("api/v2/users/me.json")
        user = body.get("user") if isinstance(body, Mapping) else None
        if not isinstance(user, Mapping) or user.get("id") is None:
            raise AuthenticationError("Zendesk answered as an anonymous user: the credentials were not accepted")
        role = str(user.get("role") or "")
        agent = role in AGENT_ROLES
        notes = () if agent else (f"the user is an {role or 'unknown role'}: only agents can answer tickets",)
        return CheckResult(ok=True, identity=f"{user.get('name')} <{user.get('email')}> ({role})", can_read=agent,
                           can_reply=agent, notes=notes)  # fmt: skip

    def close(self) -> None:
        self.http.close()


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request
