"""Zendesk Support: tickets and their comments in, replies out as public comments or internal notes.

Reading uses the cursor-based incremental ticket export
(``/api/v2/incremental/tickets/cursor.json``, users side-loaded for names and roles). Each export
page (up to ``page_size`` changed tickets) is worked through ``tickets_per_page`` tickets at a
time, each with all its comments (``/api/v2/tickets/{id}/comments.json``, cursor-paged until
``meta.has_more`` is false); every such batch is one committed page of the sync. The sync cursor
is JSON: the export position (``export``: the ``after_cursor`` of the previous export page, or the
first ``start_time``) and, inside an export page, how many of its tickets are stored (``pos``)
with a fingerprint of them (``seen``). A killed sync asks for the same export page again and
skips what is stored if the page still starts the same; if the page changed meanwhile, it works
through it again, which changes nothing already stored. The export is followed until
``end_of_stream`` (``after_cursor`` is present even then: the flag decides, not the links); the
position is kept, so the next sync asks only for what changed since.

A ticket is one conversation. Its first message (the description) is the item whose external id is
the ticket's id; later comments are items with their own ids. Internal notes (``public: false``)
are private items. Comments written by agents are outbound. A deleted ticket (``status:
"deleted"``) closes its conversation and its comments are not read (Zendesk no longer serves
them); what was read before stays, as evidence. Ids are kept as strings, so 14-digit ids stay exact.

Writing: a reply is a comment added with ``PUT /api/v2/tickets/{id}.json``, public or an internal
note; the receipt is the new comment's id from the audit Zendesk returns (or, if the answer lacks
it, read back from the ticket's comments). The PUT is never repeated after it may have arrived.

Saved answers (``parse_saved``, for ``omniinbox import``): ticket exports and lists, one ticket,
a ticket's comments (the ticket is read from the answer's links), and ticket audits (the
creating audit's comment is the ticket's opening message).

Credentials: an API token (``email/token:TOKEN`` in Basic auth; the account's settings give the
agent's email) or an OAuth access token (Bearer).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import requests

from omniinbox.connectors.base import AuthenticationError, CheckResult, ConnectorBug, PermanentError
from omniinbox.connectors.http import BearerAuth, HttpClient, RateControl
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
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} has an unreadable created_at {value[:40]!r}") from None


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
                 agent_url: str, *, created_at: Any = None) -> Item:  # fmt: skip
    """One comment (or an audit's ``Comment`` event, whose time is the audit's: ``created_at``)."""
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
        created_at=_time(created_at or comment.get("created_at"), f"comment {comment_id}"),
        author=_author(comment.get("author_id"), users),
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        parent_id=ticket_id,
        permalink=f"{agent_url}/agent/tickets/{ticket_id}",
        visibility=Visibility.PUBLIC if comment.get("public", True) is not False else Visibility.PRIVATE,
        raw=comment,
    )


def parse_comments(body: Any, ticket_id: str, agent_url: str, users: Mapping[int, Mapping[str, Any]] | None = None,
                   page: Page | None = None, *, first_is_description: bool = False) -> Page:  # fmt: skip
    """Comments of one ticket into ``page`` (a new one by default). On the first page of a
    ticket's comments (``first_is_description``) the first comment repeats the ticket's
    description, which the ticket item already holds: it is skipped."""
    page = page if page is not None else Page()
    if not isinstance(body, Mapping) or not isinstance(body.get("comments"), list):
        page.problems.append(SyncProblem(f"ticket {ticket_id}: the comments answer has no 'comments' list"))
        return page
    known = {**(users or {}), **_users(body)}
    for n, comment in enumerate(body["comments"]):
        if not isinstance(comment, Mapping):
            page.problems.append(SyncProblem(f"ticket {ticket_id}: comment {n} is not an object"))
            continue
        if n == 0 and first_is_description:
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
    users = _users(body)
    live: list[str] = []
    for n, ticket in enumerate(tickets):
        if not isinstance(ticket, Mapping) or not isinstance(ticket.get("id"), int):
            page.problems.append(SyncProblem(f"ticket entry {n} has no numeric id"))
            continue
        try:
            info = ticket_info(ticket)
            if ticket.get("status") == "deleted":
                page.conversations.append(info)
                continue  # its conversation closes; nothing more can be read
            item = ticket_item(ticket, users, agent_url)
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"ticket {ticket.get('id')}: {exc}", external_id=str(ticket.get("id"))))
            continue
        page.conversations.append(info)
        page.items.append(item)
        live.append(str(ticket["id"]))
    return page, live


def parse_audits(body: Any, agent_url: str, page: Page | None = None) -> Page:
    """Ticket audits (``/api/v2/ticket_audits.json`` or a ticket's audits) into ``page``: each
    ``Comment`` event is a message, the comment of a creating audit (one with ``Create`` events)
    is the ticket's opening message, and subject, status and priority set or changed on the way
    describe the conversation (the latest value wins)."""
    page = page if page is not None else Page()
    audits = body.get("audits") if isinstance(body, Mapping) else None
    if not isinstance(audits, list):
        raise ConnectorBug("a Zendesk answer without 'audits'")
    users = _users(body)
    facts: dict[str, dict[str, Any]] = {}
    for n, audit in enumerate(audits):
        if not isinstance(audit, Mapping) or not isinstance(audit.get("ticket_id"), int):
            page.problems.append(SyncProblem(f"audit entry {n} has no numeric ticket_id"))
            continue
        ticket_id = str(audit["ticket_id"])
        events = [e for e in audit.get("events") or [] if isinstance(e, Mapping)]
        fields = {str(e.get("field_name")): e.get("value") for e in events if e.get("type") in ("Create", "Change")}
        creating = any(e.get("type") == "Create" for e in events)
        known = facts.setdefault(ticket_id, {})
        known.update({k: v for k, v in fields.items() if k in ("subject", "status", "priority")})
        for event in events:
            if event.get("type") != "Comment":
                continue
            try:
                item = comment_item(event, ticket_id, users, agent_url, created_at=audit.get("created_at"))
            except (KeyError, ValueError, TypeError) as exc:
                page.problems.append(SyncProblem(f"ticket {ticket_id}: audit {audit.get('id')}: {exc}",
                                                 external_id=str(event.get("id", ""))))  # fmt: skip
                continue
            if creating:  # the description: the same identity the ticket item has
                item = dataclasses.replace(item, external_id=ticket_id, kind=ItemKind.TICKET, parent_id=None,
                                           subject=str(fields.get("subject") or ""))  # fmt: skip
            page.items.append(item)
    for ticket_id, known in facts.items():
        page.conversations.append(
            ConversationInfo(ticket_id, ItemKind.TICKET, str(known.get("subject") or ""),
                             STATUS.get(str(known.get("status"))), PRIORITY.get(str(known.get("priority"))))
        )  # fmt: skip
    return page


_COMMENTS_LINK = re.compile(r"/tickets/(\d+)/comments(?:\.json)?\b")


def _ticket_of_comments(body: Mapping[str, Any]) -> str | None:
    """Which ticket a saved comments answer belongs to: Zendesk does not say in the comments, but
    the answer's paging links name it (they are present even on a single page)."""
    if isinstance(body.get("ticket_id"), int):
        return str(body["ticket_id"])
    links = body.get("links")
    candidates = [*links.values()] if isinstance(links, Mapping) else []
    candidates += [body.get("next_page"), body.get("previous_page")]
    for link in candidates:
        match = _COMMENTS_LINK.search(link) if isinstance(link, str) else None
        if match:
            return match.group(1)
    return None


def parse_saved(body: Any, agent_url: str = "https://zendesk.invalid") -> Page:
    """A saved Zendesk answer as a page, for import: a ticket export or list, one ticket (as
    ``POST /tickets.json`` returns it), a ticket's comments, or ticket audits. Anything else is a
    problem naming what the answer holds."""
    if isinstance(body, Mapping):
        if isinstance(body.get("ticket"), Mapping) or isinstance(body.get("tickets"), list):
            page, _ = parse_tickets(body, agent_url)
            return page
        if isinstance(body.get("audits"), list):
            return parse_audits(body, agent_url)
        if isinstance(body.get("comments"), list):
            ticket_id = _ticket_of_comments(body)
            if ticket_id is None:
                return Page(problems=[SyncProblem("a comments answer that does not name its ticket (no paging links)")])
            return parse_comments(body, ticket_id, agent_url)
        holds = ", ".join(sorted(str(k) for k in body)[:6]) or "nothing"
        return Page(
            problems=[SyncProblem(f"not a Zendesk answer with tickets, comments or audits (it holds: {holds})")]
        )
    return Page(problems=[SyncProblem(f"not a Zendesk answer: a JSON {type(body).__name__}, not an object")])


# ------------------------------------------------------------------------------- the connector


def _fingerprint(tickets: Sequence[Any]) -> str:
    """Which tickets (and which version of each) an export page started with."""
    marks = [[t.get("id"), t.get("generated_timestamp") or t.get("updated_at")] if isinstance(t, Mapping) else None
             for t in tickets]  # fmt: skip
    return hashlib.sha256(json.dumps(marks).encode()).hexdigest()[:16]


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
        tickets_per_page: int = 25,
        rate: RateControl | None = None,
        **client: Any,
    ) -> None:
        if oauth_token:
            auth: requests.auth.AuthBase = BearerAuth(oauth_token)
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
        self.tickets_per_page = max(tickets_per_page, 1)
        self._held: tuple[str, Any] | None = None  # the export page being worked through

    # ------------------------------------------------------------------ reading

    def _state(self, cursor: str | None) -> dict[str, Any]:
        if not cursor:
            return {"start_time": int(self.since.timestamp())}
        try:
            state = json.loads(cursor)
        except ValueError:
            state = None
        if not isinstance(state, dict):
            return {"export": cursor}  # a bare export cursor
        if "cursor" in state and "export" not in state:  # the first version's cursors
            return {"export": state["cursor"]}
        return state

    def _export(self, state: Mapping[str, Any]) -> Any:
        params: dict[str, Any] = {"per_page": self.page_size, "include": "users"}
        if state.get("export"):
            params["cursor"] = state["export"]
        else:
            params["start_time"] = int(state.get("start_time") or self.since.timestamp())
        key = json.dumps(params, sort_keys=True)
        if state.get("pos") and self._held is not None and self._held[0] == key:
            return self._held[1]  # the next batch of the page read for the previous one
        body = self.http.get_json("api/v2/incremental/tickets/cursor.json", params)
        self._held = (key, body)
        return body

    def fetch(self, stream: str, cursor: str | None) -> Page:
        state = self._state(cursor)
        body = self._export(state)
        if not isinstance(body, Mapping) or not isinstance(body.get("tickets"), list):
            raise ConnectorBug("the ticket export answered without a 'tickets' list")
        tickets: list[Any] = body["tickets"]
        pos = int(state.get("pos") or 0)
        if pos and (pos > len(tickets) or _fingerprint(tickets[:pos]) != state.get("seen")):
            pos = 0  # the page changed since: work through it again (it changes nothing stored)
        batch = tickets[pos : pos + self.tickets_per_page]
        users = _users(body)
        page, live = parse_tickets({"tickets": batch, "users": body.get("users")}, self.agent_url)
        for ticket_id in live:
            self._read_comments(ticket_id, users, page)
        done = pos + len(batch)
        position = {k: v for k, v in state.items() if k in ("export", "start_time")}
        if done < len(tickets):
            page.next_cursor = json.dumps({**position, "pos": done, "seen": _fingerprint(tickets[:done])})
            page.has_more = True
            return page
        self._held = None
        after = body.get("after_cursor")
        page.next_cursor = json.dumps({"export": after} if after else position)
        page.has_more = body.get("end_of_stream") is False and bool(after)
        return page

    def _read_comments(self, ticket_id: str, users: Mapping[int, Mapping[str, Any]], page: Page) -> None:
        params: dict[str, Any] = {"page[size]": 100, "include": "users"}
        first = True
        while True:
            body = self.http.get_json(f"api/v2/tickets/{ticket_id}/comments.json", params)
            parse_comments(body, ticket_id, self.agent_url, users, page, first_is_description=first)
            meta = body.get("meta") if isinstance(body, Mapping) else None
            if not isinstance(meta, Mapping) or not meta.get("has_more") or not meta.get("after_cursor"):
                return  # the flag decides: links.next is there even at the end
            params = {"page[size]": 100, "page[after]": meta["after_cursor"], "include": "users"}
            first = False

    # ------------------------------------------------------------------ writing

    def send(self, reply: OutgoingReply) -> Receipt:
        if reply.new_ticket:
            return self._create_ticket(reply)
        ticket = reply.conversation_external_id
        if not ticket or not ticket.isdigit():
            raise PermanentError("a Zendesk reply needs the ticket it answers")
        public = reply.visibility is Visibility.PUBLIC
        body = {"ticket": {"comment": {"body": reply.body, "public": public}}}
        answer = self.http.send_json("PUT", f"api/v2/tickets/{ticket}.json", body)
        permalink = f"{self.agent_url}/agent/tickets/{ticket}"
        audit = answer.get("audit") if isinstance(answer, Mapping) else None
        events = audit.get("events") if isinstance(audit, Mapping) else None
        for event in events if isinstance(events, list) else []:
            if isinstance(event, Mapping) and event.get("type") == "Comment" and event.get("id") is not None:
                return Receipt(str(event["id"]), permalink)
        found = self._read_back(ticket, reply.body, public)  # the reply is in; only its id is missing
        if found is None:
            raise ConnectorBug(f"Zendesk accepted the reply on ticket {ticket} but it could not be found afterwards;"
                               " it is not sent again")  # fmt: skip
        return Receipt(found, permalink)

    def _create_ticket(self, reply: OutgoingReply) -> Receipt:
        """A new ticket (``POST /api/v2/tickets.json``); the requester is the person when their
        address is known, else the agent. The answer's ticket is read as the export reads it."""
        ticket: dict[str, Any] = {"subject": reply.subject, "comment": {"body": reply.body, "public": True}}
        if reply.recipient and "@" in reply.recipient:
            ticket["requester"] = {"name": reply.requester_name or reply.recipient, "email": reply.recipient}
        answer = self.http.send_json("POST", "api/v2/tickets.json", {"ticket": ticket})
        made = answer.get("ticket") if isinstance(answer, Mapping) else None
        if not isinstance(made, Mapping) or made.get("id") is None:
            raise ConnectorBug("Zendesk accepted the ticket but did not say which ticket it became; not sent again")
        page, _ = parse_tickets({"ticket": made, "users": answer.get("users")}, self.agent_url)
        return Receipt(str(made["id"]), f"{self.agent_url}/agent/tickets/{made['id']}", page)

    def _read_back(self, ticket: str, text: str, public: bool, max_pages: int = 20) -> str | None:
        """The id of the newest comment on ``ticket`` with this text and visibility."""
        params: dict[str, Any] = {"page[size]": 100}
        found: str | None = None
        for _ in range(max_pages):
            body = self.http.get_json(f"api/v2/tickets/{ticket}/comments.json", params)
            comments = body.get("comments") if isinstance(body, Mapping) else None
            for comment in comments if isinstance(comments, list) else []:
                if (isinstance(comment, Mapping) and bool(comment.get("public", True)) is public
                        and str(comment.get("body") or "").strip() == text.strip()):  # fmt: skip
                    found = str(comment.get("id"))
            meta = body.get("meta") if isinstance(body, Mapping) else None
            if not isinstance(meta, Mapping) or not meta.get("has_more") or not meta.get("after_cursor"):
                break
            params = {"page[size]": 100, "page[after]": meta["after_cursor"]}
        return found

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
        self._held = None
        self.http.close()
