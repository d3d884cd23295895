"""Zammad: tickets and their articles in; replies out as articles (public or internal notes).

Reading searches ``/api/v1/tickets/search?query=updated_at:>=SINCE`` sorted by ``updated_at``
ascending, page by page, until a page comes back empty (Zammad gives no total and no Link
header), and reads each ticket's ``/api/v1/ticket_articles/by_ticket/{id}``. The sync cursor holds
the time the search started from and the page reached; when it is done, the next sync starts from
the newest ``updated_at`` seen.

A ticket is one conversation (``title``, ``state``, ``priority``); each article is an item
``a<id>``; the first one opens the ticket. ``sender`` "Customer" is inbound, "Agent" and
"System" outbound; ``internal`` articles are private. Search answers come as a list (``expand``)
or as ids plus an ``assets`` map keyed by string ids: both are read.

Credentials: an access token (``Authorization: Token token=...``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from omniinbox.connectors.base import CheckResult, ConnectorBug, ConnectorError, PermanentError
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
    "pending reminder": ConversationStatus.PENDING,
    "pending close": ConversationStatus.PENDING,
    "closed": ConversationStatus.CLOSED,
    "merged": ConversationStatus.CLOSED,
    "removed": ConversationStatus.CLOSED,
}
PRIORITY = {1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH}


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} has no created_at")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def tickets_of(body: Any) -> list[Mapping[str, Any]]:
    """Tickets from a list answer, an ``expand=false`` search answer (ids + assets) or one ticket."""
    if isinstance(body, list):
        return [t for t in body if isinstance(t, Mapping)]
    if isinstance(body, Mapping) and isinstance(body.get("tickets"), list):
        assets = body.get("assets", {}).get("Ticket", {}) if isinstance(body.get("assets"), Mapping) else {}
        return [assets[str(i)] for i in body["tickets"] if str(i) in assets]
    if isinstance(body, Mapping) and "title" in body and "id" in body:
        return [body]
    raise ConnectorBug("a Zammad answer that holds no tickets")


def ticket_info(ticket: Mapping[str, Any]) -> ConversationInfo:
    state = str(ticket.get("state") or "")
    return ConversationInfo(
        str(ticket["id"]),
        ItemKind.TICKET,
        str(ticket.get("title") or ""),
        STATUS.get(state),
        PRIORITY.get(ticket.get("priority_id")),  # type: ignore[arg-type]
    )


def article_item(article: Mapping[str, Any], ticket: Mapping[str, Any] | None, first: bool, base: str) -> Item:
    ticket_id = str(article["ticket_id"])
    body = str(article.get("body") or "")
    if "html" in str(article.get("content_type") or ""):
        body = html_to_text(body)
    sender = str(article.get("sender") or "")
    inbound = sender == "Customer" or (not sender and article.get("sender_id") == 2)
    who = str(article.get("from") or article.get("created_by") or "")
    author_id = article.get("created_by_id") or article.get("origin_by_id") or who
    return Item(
        external_id=f"a{article['id']}",
        kind=ItemKind.TICKET if first else ItemKind.TICKET_COMMENT,
        text=body,
        conversation_id=ticket_id,
        created_at=_time(article.get("created_at"), f"article {article.get('id')}"),
        author=Author(str(author_id), who or f"user {author_id}", handle=who) if author_id else None,
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        subject=str((ticket or {}).get("title") or article.get("subject") or "") if first else "",
        parent_id=None if first else ticket_id,
        permalink=f"{base}/#ticket/zoom/{ticket_id}",
        visibility=Visibility.PRIVATE if article.get("internal") else Visibility.PUBLIC,
        raw=article,
    )


def parse_saved(body: Any, base: str = "https://zammad.invalid") -> Page:
    """A saved Zammad answer: tickets (list or search) or a ticket's articles."""
    page = Page()
    if isinstance(body, list) and body and isinstance(body[0], Mapping) and "ticket_id" in body[0]:
        for n, article in enumerate(body):
            try:
                page.items.append(article_item(article, None, n == 0, base))
            except (KeyError, ValueError, TypeError) as exc:
                page.problems.append(SyncProblem(f"article {n}: {exc}"))
        return page
    for ticket in tickets_of(body):
        try:
            page.conversations.append(ticket_info(ticket))
        except (KeyError, TypeError) as exc:
            page.problems.append(SyncProblem(f"ticket without an id: {exc}"))
    return page


class ZammadConnector:
    streams: tuple[str, ...] = ("tickets",)
    read_ahead = True

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        since: datetime | None = None,
        page_size: int = 50,
        rate: RateControl | None = None,
        **client: Any,
    ) -> None:
        self.http = HttpClient(
            base_url, headers={"Authorization": f"Token token={token}"}, secrets=[token], rate=rate, **client
        )
        self.base = base_url.rstrip("/")
        self.since = since or (utcnow() - timedelta(days=30))
        self.page_size = page_size

    def fetch(self, stream: str, cursor: str | None) -> Page:
        start = self.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        state: dict[str, Any] = json.loads(cursor) if cursor else {"since": start, "page": 1}
        params = {
            "query": f"updated_at:>={state['since']}",
            "sort_by": "updated_at",
            "order_by": "asc",
            "expand": "true",
            "page": state["page"],
            "per_page": self.page_size,
        }
        tickets = tickets_of(self.http.get_json("api/v1/tickets/search", params))
        page = Page()
        newest = str(state.get("newest", state["since"]))
        for ticket in tickets:
            if ticket.get("id") is None:
                page.problems.append(SyncProblem("a ticket without an id"))
                continue
            page.conversations.append(ticket_info(ticket))
            newest = max(newest, str(ticket.get("updated_at") or newest))
            articles = self.http.get_json(f"api/v1/ticket_articles/by_ticket/{ticket['id']}", {"expand": "true"})
            if not isinstance(articles, list):
                page.problems.append(SyncProblem(f"ticket {ticket['id']}: the articles are not a list"))
                continue
            for n, article in enumerate(articles):
                try:
                    page.items.append(article_item(article, ticket, n == 0, self.base))
                except (KeyError, ValueError, TypeError) as exc:
                    page.problems.append(SyncProblem(f"ticket {ticket['id']}: article {n}: {exc}"))
        if tickets:  # an empty page ends the search
            page.has_more = True
            page.next_cursor = json.dumps({"since": state["since"], "page": int(state["page"]) + 1, "newest": newest})
        else:
            page.next_cursor = json.dumps({"since": newest, "page": 1})
        return page

    def send(self, reply: OutgoingReply) -> Receipt:
        if reply.new_ticket:
            return self._create_ticket(reply)
        ticket = reply.conversation_external_id
        if not ticket or not ticket.isdigit():
            raise PermanentError("a Zammad reply needs the ticket it answers")
        body = {
            "ticket_id": int(ticket),
            "body": reply.body,
            "content_type": "text/plain",
            "type": "note",
            "internal": reply.visibility is Visibility.PRIVATE,
            "sender": "Agent",
        }
        made = self.http.send_json("POST", "api/v1/ticket_articles", body)
        if not isinstance(made, Mapping) or made.get("id") is None:
            raise ConnectorBug("Zammad accepted the article but did not say which it became")
        return Receipt(f"a{made['id']}", f"{self.base}/#ticket/zoom/{ticket}")

    def _create_ticket(self, reply: OutgoingReply) -> Receipt:
        """A new ticket with its first article (``POST /api/v1/tickets``), in the group "Users";
        the customer is the person's address when known (``guess:`` creates them). Its articles
        are read back (a GET) so the ticket is stored as the sync reads it."""
        body: dict[str, Any] = {
            "title": reply.subject,
            "group": "Users",
            "article": {"subject": reply.subject, "body": reply.body, "content_type": "text/plain",
                        "type": "note", "internal": False},
        }  # fmt: skip
        if reply.recipient and "@" in reply.recipient:
            body["customer_id"] = f"guess:{reply.recipient}"
        made = self.http.send_json("POST", "api/v1/tickets", body)
        if not isinstance(made, Mapping) or made.get("id") is None:
            raise ConnectorBug("Zammad accepted the ticket but did not say which ticket it became; not sent again")
        ticket_id = str(made["id"])
        page = Page(conversations=[ticket_info(made)])
        try:
            articles = self.http.get_json(f"api/v1/ticket_articles/by_ticket/{ticket_id}")
            if isinstance(articles, list):
                for n, article in enumerate(a for a in articles if isinstance(a, Mapping)):
                    page.items.append(article_item(article, made, n == 0, self.base))
        except ConnectorError:
            pass  # created all the same: the next sync reads its articles
        return Receipt(ticket_id, f"{self.base}/#ticket/zoom/{ticket_id}", page)

    def check(self) -> CheckResult:
        me = self.http.get_json("api/v1/users/me")
        if not isinstance(me, Mapping):
            raise ConnectorBug("Zammad's users/me is not an object")
        name = " ".join(str(me.get(k) or "") for k in ("firstname", "lastname")).strip() or str(me.get("login"))
        return CheckResult(ok=True, identity=f"{name} <{me.get('email')}>", can_read=True, can_reply=True)

    def close(self) -> None:
        self.http.close()
