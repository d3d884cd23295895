"""Facebook Pages, emulated from a scenario: the Graph API endpoints the Facebook connector reads
and writes, in the shapes recorded from real pages (see ``../shared/corpus/facebook``). The Graph
machinery (tokens, errors, usage headers, cursor paging, field selection) is in
:class:`GraphPlatform`, which the Instagram emulation shares.

* ``GET  /{version}/{page-id}`` (``id, name, username, fan_count, followers_count``)
* ``GET  /{version}/{page-id}/feed`` and ``/posts`` (newest first; ``since``/``until`` on the
  last update; cursor paging, the last page without ``next``)
* ``GET  /{version}/{post-id}/comments?filter=toplevel|stream&order=reverse_chronological&since=&summary=``
  (chronological by default) and ``/{comment-id}/comments`` (its replies)
* ``POST /{version}/{post-id|comment-id}/comments`` with ``message`` -> ``{"id"}``
* ``GET  /{version}/{page-id}/conversations?platform=messenger`` (last activity first) and
  ``/{conversation-id}/messages`` (newest first)
* ``POST /{version}/{page-id}/messages`` (Send API: ``recipient``, ``messaging_type``, ``message``,
  ``tag``) -> ``{"recipient_id", "message_id"}``; outside the 24-hour window without a tag it
  answers ``(#10) This message is sent outside of allowed window`` (subcode 2018278), as Messenger does.

Each scenario thread of a page is a post (its ``post`` event, or one made up for generated
threads); ``dm`` threads are Messenger conversations. A reply to a comment that is itself a reply
goes under its top-level comment. Errors are ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}`` with status 400 (a bad token is code 190); every answer carries
``X-App-Usage`` and ``X-Business-Use-Case-Usage``, and a spent budget is refused with code 32.
Credentials: ``access_token`` in the query (or the form of a POST).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from omniinbox.sandbox.emulation import Emulation, new_token, scenario_accounts
from omniinbox.sandbox.player import Released, ScenarioPlayer
from omniinbox.sandbox.scenario import SandboxAccount as ScenarioAccount
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

_GRAPH_PATH = r"/(?P<version>v\d+\.\d+)"
WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600


def stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> HttpError:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = base64.urlsafe_b64encode(secrets.token_bytes(15)).decode()[:23]
    return HttpError(status, {"error": error}, headers)


def unknown_object(object_id: str) -> HttpError:
    return graph_error(
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing"
        " permissions, or does not support this operation. Please read the Graph API documentation at"
        " https://developers.facebook.com/docs/graph-api",
        subcode=33,
        kind="GraphMethodException",
    )


def _top_parts(value: str) -> list[str]:
    """The top-level parts of a ``fields`` parameter (``a,b{c,d},e.summary(true).limit(0)``)."""
    parts, depth, part = [], 0, ""
    for ch in value + ",":
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(part.strip())
            part = ""
        else:
            part += ch
    return [p for p in parts if p]


def requested_fields(value: str | None, default: Sequence[str]) -> set[str]:
    """The top-level field names of a ``fields`` parameter."""
    if not value:
        return set(default) | {"id"}
    names = {m.group(1) for p in _top_parts(value) if (m := re.match(r"([a-z_]+)", p))}
    return names | {"id"}


def expansion(value: str | None, name: str) -> dict[str, str] | None:
    """The modifiers and inner fields of an edge expanded in ``fields``
    (``comments.filter(stream).limit(25){id,message}`` -> ``{"filter": "stream", "limit": "25",
    "fields": "id,message"}``); None when the edge is not asked for."""
    for part in _top_parts(value or ""):
        if not re.match(rf"{name}(?![a-z_])", part):
            continue
        head, _, inner = part.partition("{")
        found = dict(re.findall(r"\.([a-z_]+)\(([^)]*)\)", head))
        found["fields"] = inner[: inner.rfind("}")] if inner else ""
        return found
    return None


def select(record: Mapping[str, Any], names: set[str]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k in names}


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(value: str) -> int:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        if not text.startswith("o:"):
            raise ValueError(text)
        return int(text[2:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise graph_error(100, "Invalid cursor", kind="OAuthException") from None


@dataclass(slots=True)
class GraphObject:
    """A post, comment, media, conversation... as the model holds it."""

    id: str
    kind: str  # post, comment, conversation, message, media
    account: ScenarioAccount
    created: float
    released: Released | None  # the scenario event it shows (None: made up for a generated thread)
    thread: str
    parent: str = ""  # the object id of the post/media or top-level comment it hangs under
    top: str = ""  # the post/media it belongs to
    children: list[str] = field(default_factory=list)
    updated: float = 0.0


class GraphPlatform(Platform):
    """The Graph API's common behaviour for a platform emulation: ``{version}`` in every path,
    ``access_token`` checked against the accounts' tokens, Graph-shaped errors, usage headers
    and a budget refused with code 32 when spent, cursor paging and ``fields`` selection."""

    budget_per_minute = 4800
    usage_type = "pages"

    def __init__(self, player: ScenarioPlayer, tokens: Mapping[str, str]) -> None:
        super().__init__()
        self.player = player
        self.tokens = dict(tokens)  # token -> the object id (page, ig user) it speaks for
        self._business_id = next(iter(self.tokens.values()), "0")

    def graph_route(self, method: str, pattern: str, handler: Callable[[Request], Response]) -> None:
        def guarded(request: Request) -> Response:
            with self._lock:
                spent = time.time() - self._window_start < 60 and self._used >= self.budget_per_minute
            if spent:
                headers = self.rate_headers(0, 60)
                raise graph_error(32, "Page request limit reached", subcode=2446079, headers=headers)
            return handler(request)

        self.route(method, _GRAPH_PATH + pattern, guarded)

    def token_of(self, request: Request) -> str:
        token = request.arg("access_token")
        if token is None and request.method == "POST":
            token = request.form().get("access_token") if request.body and not self._is_json(request) else None
        return token or ""

    @staticmethod
    def _is_json(request: Request) -> bool:
        return request.headers.get("content-type", "").startswith("application/json")

    def authorize(self, request: Request) -> bool:
        return self.token_of(request) in self.tokens

    def unauthorized(self) -> Response:
        return Response(
            400,
            {
                "error": {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": base64.urlsafe_b64encode(secrets.token_bytes(15)).decode()[:23],
                }
            },
            {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'},
        )

    def owner(self, request: Request) -> str:
        return self.tokens[self.token_of(request)]

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        used = min(100, round((self.budget_per_minute - remaining) * 100 / max(self.budget_per_minute, 1)))
        regain = 0 if remaining > 0 else max(int(reset_in // 60), 1)
        app = {"call_count": used, "total_cputime": used // 2, "total_time": used // 2}
        business = {
            self._business_id: [
                {
                    "type": self.usage_type,
                    "call_count": used,
                    "total_cputime": used // 2,
                    "total_time": used // 2,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        return {"x-app-usage": json.dumps(app), "x-business-use-case-usage": json.dumps(business)}

    # ------------------------------------------------------------------ request helpers

    def param(self, request: Request, name: str) -> str | None:
        """A parameter from the query, or from the body of a POST (form or JSON)."""
        value = request.arg(name)
        if value is not None or request.method != "POST" or not request.body:
            return value
        if self._is_json(request):
            data = request.json()
            found = data.get(name) if isinstance(data, dict) else None
            if found is None:
                return None
            return found if isinstance(found, str) else json.dumps(found)
        return request.form().get(name)

    def int_param(self, request: Request, name: str) -> int | None:
        value = request.arg(name)
        if value in (None, ""):
            return None
        try:
            return int(float(value))
        except ValueError:
            raise graph_error(100, f"(#100) The parameter {name} must be a unix time or an integer") from None

    def paged(
        self,
        request: Request,
        rows: Sequence[Any],
        *,
        default_limit: int = 25,
        max_limit: int = 100,
        cursors_on_last: bool = True,
        render: Callable[[Any], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``{"data": [...], "paging": {...}}`` for ``rows`` with Graph's cursor paging: ``after``
        and ``before`` cursors, ``next`` only when there is more, ``previous`` after the first page.
        ``render`` turns the rows of the page (only those) into records."""
        limit = self.int_param(request, "limit") or default_limit
        limit = max(1, min(limit, max_limit))
        after, before = request.arg("after"), request.arg("before")
        if after:
            start = _decode_cursor(after)
        elif before:
            start = max(_decode_cursor(before) - limit, 0)
        else:
            start = 0
        chunk = list(rows[start : start + limit])
        if render is not None:
            chunk = [render(row) for row in chunk]
        body: dict[str, Any] = {"data": chunk}
        more = start + limit < len(rows)
        if not chunk and not more:
            return body
        paging: dict[str, Any] = {}
        if more or cursors_on_last:
            paging["cursors"] = {"before": encode_cursor(start), "after": encode_cursor(start + len(chunk))}
        link = self._link(request, limit)
        if more:
            paging["next"] = f"{link}&after={encode_cursor(start + len(chunk))}"
        if start > 0:
            paging["previous"] = f"{link}&before={encode_cursor(start)}"
        if paging:
            body["paging"] = paging
        return body

    def _link(self, request: Request, limit: int) -> str:
        host = request.headers.get("host", "127.0.0.1")
        keep = {k: v[0] for k, v in request.query.items() if k not in ("after", "before", "limit")}
        keep["limit"] = str(limit)
        version = request.params.get("version", "v19.0")
        path = request.path.split(version, 1)[-1]
        return f"http://{host}/{self.name}/{version}{path}?{urlencode(keep)}"

    def text_param(self, request: Request, name: str = "message", limit: int = 8000) -> str:
        text = (self.param(request, name) or "").strip()
        if not text:
            raise graph_error(100, f"(#100) The parameter {name} is required")
        if len(text) > limit:
            raise graph_error(100, f"(#100) The {name} is too long (at most {limit} characters)")
        return text


# ------------------------------------------------------------------------------- Facebook


def person_id(released: Released) -> str:
    """A page-scoped id for the author of ``released``."""
    assert released.author is not None
    return str(2_700_000_000_000_000 + zlib.crc32(released.author.id.encode()) % 10**12)


def by_owner(released: Released, platform: str) -> bool:
    """Whether the account itself wrote it (a reply it sent, or its own post)."""
    if released.author is None:
        return True
    return released.author.handle_on(platform).lstrip("@") == released.account.handle.lstrip("@")


@dataclass(slots=True)
class _Model:
    objects: dict[str, GraphObject]
    posts: dict[str, list[str]]  # account id -> post ids, newest first
    conversations: dict[str, list[str]]  # account id -> conversation ids, last activity first
    by_event: dict[str, str]  # event id -> object id


class FacebookPlatform(GraphPlatform):
    name = "facebook"

    def __init__(self, player: ScenarioPlayer, pages: Mapping[str, tuple[str, str]]) -> None:
        """``pages``: scenario account id -> (page id, token)."""
        super().__init__(player, {token: page_id for page_id, token in pages.values()})
        self.pages = {account_id: page_id for account_id, (page_id, _) in pages.items()}
        self.page_accounts = {page_id: account_id for account_id, page_id in self.pages.items()}
        self._model: tuple[object, _Model] | None = None
        self.graph_route("GET", r"/(?P<id>\d+)", self.get_page)
        self.graph_route("GET", r"/(?P<id>\d+)/(?P<edge>feed|posts)", self.feed)
        self.graph_route("GET", r"/(?P<id>\d+_\d+)/comments", self.comments)
        self.graph_route("POST", r"/(?P<id>\d+_\d+)/comments", self.post_comment)
        self.graph_route("GET", r"/(?P<id>\d+)/conversations", self.conversations)
        self.graph_route("GET", r"/(?P<id>t_\d+)/messages", self.messages)
        self.graph_route("POST", r"/(?P<id>\d+)/messages", self.send_message)

    # ------------------------------------------------------------------ the model

    def model(self) -> _Model:
        grouped = self.player.threads("facebook")
        if self._model is not None and self._model[0] is grouped:
            return self._model[1]
        objects: dict[str, GraphObject] = {}
        posts: dict[str, list[str]] = {}
        conversations: dict[str, list[str]] = {}
        by_event: dict[str, str] = {}
        for thread, events in grouped.items():
            account = events[0].account
            page_id = self.pages.get(account.id)
            if page_id is None:
                continue
            if any(r.event.kind == "dm" for r in events):
                self._conversation(thread, events, page_id, objects, by_event)
                conversations.setdefault(account.id, []).append(f"t_{self._thread_number(thread, events)}")
                continue
            post = self._post(thread, events, page_id, objects, by_event)
            posts.setdefault(account.id, []).append(post.id)
        for ids in posts.values():
            ids.sort(key=lambda i: (objects[i].created, i), reverse=True)
        for ids in conversations.values():
            ids.sort(key=lambda i: (objects[i].updated, i), reverse=True)
        made = _Model(objects, posts, conversations, by_event)
        self._model = (grouped, made)
        return made

    def _thread_number(self, thread: str, events: list[Released]) -> int:
        return 10**14 + (self.player.seq_of(thread) or events[0].seq)

    def _post(
        self,
        thread: str,
        events: list[Released],
        page_id: str,
        objects: dict[str, GraphObject],
        by_event: dict[str, str],
    ) -> GraphObject:
        root = events[0] if events[0].event.id == thread and events[0].event.kind == "post" else None
        number = 10_158_000_000_000_000 + (self.player.seq_of(thread) or zlib.crc32(thread.encode()))
        first_time = self.player.wall_time(events[0].event)
        post = GraphObject(
            f"{page_id}_{number}", "post", events[0].account, first_time - (0 if root else 60), root, thread
        )
        objects[post.id] = post
        if root is not None:
            by_event[root.event.id] = post.id
        post.updated = post.created
        for released in events:
            if released is root:
                continue
            comment_id = f"{number}_{10_159_000_000_000_000 + released.seq}"
            created = self.player.wall_time(released.event)
            parent_object = by_event.get(released.event.reply_to, "")
            parent = objects.get(parent_object)
            if parent is not None and parent.kind == "comment" and released.event.kind != "comment":
                top_level = parent.parent if parent.parent != post.id else parent.id
            else:
                top_level = post.id
            comment = GraphObject(
                comment_id, "comment", released.account, created, released, thread, top_level, post.id
            )
            objects[comment_id] = comment
            objects[top_level].children.append(comment_id)
            by_event[released.event.id] = comment_id
            post.updated = max(post.updated, created)
        return post

    def _conversation(
        self,
        thread: str,
        events: list[Released],
        page_id: str,
        objects: dict[str, GraphObject],
        by_event: dict[str, str],
    ) -> None:
        conversation_id = f"t_{self._thread_number(thread, events)}"
        conversation = GraphObject(
            conversation_id, "conversation", events[0].account, self.player.wall_time(events[0].event), None, thread
        )
        objects[conversation_id] = conversation
        for released in events:
            message_id = "m_" + base64.urlsafe_b64encode(f"sandbox-message-{released.seq}".encode()).decode().rstrip(
                "="
            )
            created = self.player.wall_time(released.event)
            objects[message_id] = GraphObject(
                message_id, "message", released.account, created, released, thread, conversation_id, conversation_id
            )
            conversation.children.append(message_id)
            by_event[released.event.id] = message_id
            conversation.updated = max(conversation.updated, created)

    def _object(self, request: Request, kind: str | Iterable[str]) -> GraphObject:
        """The object named in the path, if the token's page may see it."""
        object_id = request.params["id"]
        found = self.model().objects.get(object_id)
        kinds = {kind} if isinstance(kind, str) else set(kind)
        if found is None or found.kind not in kinds or self.pages.get(found.account.id) != self.owner(request):
            raise unknown_object(object_id)
        return found

    def _page(self, request: Request) -> tuple[str, str]:
        page_id = request.params["id"]
        if page_id != self.owner(request) or page_id not in self.page_accounts:
            raise unknown_object(page_id)
        return page_id, self.page_accounts[page_id]

    # ------------------------------------------------------------------ rendering

    def _who(self, released: Released | None, account: ScenarioAccount) -> dict[str, Any]:
        if released is None or by_owner(released, "facebook"):
            return {"name": account.name, "id": self.pages[account.id]}
        assert released.author is not None
        return {"name": released.author.handle_on("facebook"), "id": person_id(released)}

    def _render_post(self, post: GraphObject, objects: Mapping[str, GraphObject]) -> dict[str, Any]:
        released = post.released
        number = post.id.split("_", 1)[1]
        page_id = self.pages[post.account.id]
        text = released.event.text if released else f"Diskusi warga: {post.thread}"
        return {
            "id": post.id,
            "message": text,
            "created_time": stamp(post.created),
            "updated_time": stamp(post.updated),
            "permalink_url": f"https://www.facebook.com/{page_id}/posts/{number}/",
            "from": self._who(released, post.account),
            "status_type": "mobile_status_update",
            "shares": {"count": released.shares if released else 0},
            "comments": {
                "data": [],
                "summary": {"order": "chronological", "total_count": self._count(post, objects), "can_comment": True},
            },
            "reactions": {
                "data": [],
                "summary": {"total_count": released.likes if released else 0, "viewer_reaction": "NONE"},
            },
        }

    @staticmethod
    def _count(post: GraphObject, objects: Mapping[str, GraphObject]) -> int:
        return sum(1 + len(objects[c].children) for c in post.children)

    def _render_comment(self, comment: GraphObject, objects: Mapping[str, GraphObject]) -> dict[str, Any]:
        released = comment.released
        assert released is not None
        post = objects[comment.top]
        number = post.id.split("_", 1)[1]
        own = comment.id.split("_", 1)[1]
        page_id = self.pages[comment.account.id]
        if comment.parent == post.id:
            link = f"https://www.facebook.com/{page_id}/posts/{number}/?comment_id={own}"
        else:
            top = comment.parent.split("_", 1)[1]
            link = f"https://www.facebook.com/{page_id}/posts/{number}/?comment_id={top}&reply_comment_id={own}"
        body: dict[str, Any] = {
            "id": comment.id,
            "message": released.event.text,
            "created_time": stamp(comment.created),
            "from": self._who(released, comment.account),
            "comment_count": len(comment.children),
            "like_count": released.likes,
            "permalink_url": link,
        }
        if comment.parent != post.id:
            parent = objects[comment.parent]
            body["parent"] = {
                "created_time": stamp(parent.created),
                "from": self._who(parent.released, parent.account),
                "message": parent.released.event.text if parent.released else "",
                "id": parent.id,
            }
        return body

    def _render_message(self, message: GraphObject, page_id: str) -> dict[str, Any]:
        released = message.released
        assert released is not None
        me = {"name": message.account.name, "email": f"{page_id}@facebook.com", "id": page_id}
        sender = self._who(released, message.account)
        sender = {"name": sender["name"], "email": f"{sender['id']}@facebook.com", "id": sender["id"]}
        other = sender if sender["id"] != page_id else self._participant(message)
        return {
            "id": message.id,
            "created_time": stamp(message.created),
            "message": released.event.text,
            "from": sender,
            "to": {"data": [me if sender["id"] != page_id else other]},
        }

    def _participant(self, item: GraphObject) -> dict[str, Any]:
        model = self.model()
        conversation = model.objects[item.top]
        for child in conversation.children:
            released = model.objects[child].released
            if released is not None and not by_owner(released, "facebook"):
                assert released.author is not None
                pid = person_id(released)
                return {"name": released.author.handle_on("facebook"), "email": f"{pid}@facebook.com", "id": pid}
        return {"name": "", "email": "", "id": ""}

    # ------------------------------------------------------------------ handlers

    def get_page(self, request: Request) -> Response:
        page_id, account_id = self._page(request)
        account = next(a for a in self.player.accounts("facebook") if a.id == account_id)
        record = {
            "id": page_id,
            "name": account.name,
            "username": account.handle,
            "fan_count": 98000,
            "followers_count": 98000,
            "verification_status": "blue_verified",
        }
        return Response(body=select(record, requested_fields(request.arg("fields"), ("name",))))

    def feed(self, request: Request) -> Response:
        page_id, account_id = self._page(request)
        model = self.model()
        since, until = self.int_param(request, "since"), self.int_param(request, "until")
        names = requested_fields(request.arg("fields"), ("message", "created_time"))
        inline = expansion(request.arg("fields"), "comments")
        chosen = []
        for post_id in model.posts.get(account_id, []):
            post = model.objects[post_id]
            if request.params["edge"] == "posts" and self._who(post.released, post.account)["id"] != page_id:
                continue
            if (since is not None and post.updated < since) or (until is not None and post.updated > until):
                continue
            chosen.append(post)

        def render(post: GraphObject) -> dict[str, Any]:
            row = select(self._render_post(post, model.objects), names)
            if inline is not None:
                query = {k: [v] for k, v in inline.items() if v}
                if "summary" in query:
                    query["summary"] = ["true" if query["summary"][0] in ("true", "1", "total_count") else "false"]
                query["access_token"] = [self.token_of(request)]
                version = request.params["version"]
                edge = Request(
                    "GET",
                    f"/{version}/{post.id}/comments",
                    query,
                    request.headers,
                    b"",
                    {"version": version, "id": post.id},
                )
                row["comments"] = self._comment_edge(post, edge)
            return row

        return Response(body=self.paged(request, chosen, render=render))

    def comments(self, request: Request) -> Response:
        return Response(body=self._comment_edge(self._object(request, ("post", "comment")), request))

    def _comment_edge(self, target: GraphObject, request: Request) -> dict[str, Any]:
        model = self.model()
        stream = target.kind == "post" and request.arg("filter") == "stream"
        chosen = [model.objects[c] for c in target.children]
        if stream:
            chosen = [x for c in chosen for x in (c, *(model.objects[r] for r in c.children))]
        since, until = self.int_param(request, "since"), self.int_param(request, "until")
        chosen = [c for c in chosen if (since is None or c.created >= since) and (until is None or c.created <= until)]
        order = request.arg("order") or "chronological"
        if order not in ("chronological", "reverse_chronological"):
            raise graph_error(
                100, "(#100) order must be one of the following values: chronological, reverse_chronological"
            )
        chosen.sort(key=lambda c: (c.created, c.id), reverse=order == "reverse_chronological")
        if request.arg("limit") == "0":
            body: dict[str, Any] = {"data": []}
        else:
            names = requested_fields(request.arg("fields"), ("created_time", "from", "message"))
            body = self.paged(  # only the page's comments are rendered
                request, chosen, render=lambda c: select(self._render_comment(c, model.objects), names)
            )
        if request.arg("summary") in ("1", "true"):
            body["summary"] = {"order": order, "total_count": len(chosen), "can_comment": True}
        return body

    def post_comment(self, request: Request) -> Response:
        target = self._object(request, ("post", "comment"))
        text = self.text_param(request)
        model = self.model()
        if target.kind == "comment":
            top = model.objects[target.parent] if target.parent != target.top else target
            assert top.released is not None
            made = self.player.add_reply(top.account.id, top.released.event.id, text, kind="reply")
        else:
            anchor = target.released
            if anchor is None and target.children:  # a made-up post: its first comment stands for it
                anchor = model.objects[target.children[0]].released
            if anchor is None:
                raise unknown_object(target.id)
            made = self.player.add_reply(target.account.id, anchor.event.id, text, kind="comment")
        number = target.top.split("_", 1)[1] if target.kind == "comment" else target.id.split("_", 1)[1]
        return Response(body={"id": f"{number}_{10_159_000_000_000_000 + made.seq}"})

    def conversations(self, request: Request) -> Response:
        page_id, account_id = self._page(request)
        platform = request.arg("platform") or "messenger"
        if platform not in ("messenger", "instagram"):
            raise graph_error(100, "(#100) platform must be one of the following values: instagram, messenger")
        model = self.model()
        names = requested_fields(request.arg("fields"), ("updated_time",))
        rows = []
        for conversation_id in model.conversations.get(account_id, []) if platform == "messenger" else []:
            conversation = model.objects[conversation_id]
            last = model.objects[conversation.children[-1]]
            unread = 0
            for child in reversed(conversation.children):
                released = model.objects[child].released
                if released is None or by_owner(released, "facebook"):
                    break
                unread += 1
            record = {
                "id": conversation_id,
                "link": f"/{page_id}/inbox/{conversation_id[2:]}/",
                "message_count": len(conversation.children),
                "snippet": last.released.event.text[:100] if last.released else "",
                "unread_count": unread,
                "updated_time": stamp(conversation.updated),
                "participants": {
                    "data": [
                        self._participant(last),
                        {"name": conversation.account.name, "email": f"{page_id}@facebook.com", "id": page_id},
                    ]
                },
            }
            rows.append(select(record, names))
        return Response(body=self.paged(request, rows))

    def messages(self, request: Request) -> Response:
        conversation = self._object(request, "conversation")
        model = self.model()
        page_id = self.pages[conversation.account.id]
        names = requested_fields(request.arg("fields"), ("created_time",))
        rows = [select(self._render_message(model.objects[m], page_id), names) for m in reversed(conversation.children)]
        return Response(body=self.paged(request, rows))

    def send_message(self, request: Request) -> Response:
        _, account_id = self._page(request)
        recipient = self._json_param(request, "recipient")
        message = self._json_param(request, "message")
        psid = str(recipient.get("id") or "")
        text = str(message.get("text") or "").strip()
        if not text:
            raise graph_error(100, "(#100) The parameter message[text] is required")
        if len(text) > 2000:
            raise graph_error(100, "(#100) Length of param message[text] must be less than or equal to 2000")
        kind = self.param(request, "messaging_type") or "RESPONSE"
        if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            raise graph_error(100, "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
        model = self.model()
        for conversation_id in model.conversations.get(account_id, []):
            conversation = model.objects[conversation_id]
            inbound = [model.objects[c].released for c in conversation.children]
            theirs = [r for r in inbound if r is not None and not by_owner(r, "facebook") and person_id(r) == psid]
            if not theirs:
                continue
            age = time.time() - self.player.wall_time(theirs[-1].event)
            tag = self.param(request, "tag") or ""
            allowed = age <= WINDOW_SECONDS or (
                kind == "MESSAGE_TAG" and tag and (tag != "HUMAN_AGENT" or age <= HUMAN_AGENT_SECONDS)
            )
            if not allowed:
                raise graph_error(
                    10,
                    "(#10) This message is sent outside of allowed window. Learn more about the new"
                    " policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
                    subcode=2018278,
                )
            made = self.player.add_reply(account_id, theirs[-1].event.id, text, kind="dm", visibility="private")
            message_id = "m_" + base64.urlsafe_b64encode(f"sandbox-message-{made.seq}".encode()).decode().rstrip("=")
            return Response(body={"recipient_id": psid, "message_id": message_id})
        raise graph_error(100, "(#100) No matching user found", subcode=2018001)

    def _json_param(self, request: Request, name: str) -> dict[str, Any]:
        raw = self.param(request, name)
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise graph_error(100, f"(#100) param {name} must be a JSON object")
        return value


_PAGE_BASE = 104_000_000_000_000


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, one sandbox account per scenario page."""
    scenario_accounts_ = player.accounts("facebook")
    pages = {a.id: (str(_PAGE_BASE + n * 7919), new_token()) for n, a in enumerate(scenario_accounts_)}
    platform = FacebookPlatform(player, pages)
    return Emulation(
        platform,
        lambda url: scenario_accounts(
            "facebook",
            scenario_accounts_,
            url,
            token=lambda a: pages[a][1],
            settings=lambda a: {"page_id": pages[a][0], "since": "2000-01-01"},
        ),
    )
