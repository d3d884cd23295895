"""Instagram professional accounts, emulated from a scenario: the Instagram Graph API endpoints the
Instagram connector reads and writes, in the shapes recorded from real accounts (see
``../shared/corpus/instagram``), on the Graph machinery of :mod:`omniinbox.sandbox.facebook`.

* ``GET  /{version}/{ig-user-id}`` (``id, username, name, followers_count, media_count``), and
  ``/{media-id}``, ``/{comment-id}`` lookups
* ``GET  /{version}/{ig-user-id}/media`` (newest first; ``caption, timestamp, comments_count``
  counting replies too, ``like_count, permalink, username, media_type``)
* ``GET  /{version}/?ids=a,b&fields=...`` (a multi-id lookup, keyed by id; ``comments{...}``
  expanded on media)
* ``GET  /{version}/{media-id}/comments`` (top-level comments, newest first; ``replies{...}``
  expands up to 25 replies with a ``next`` link when there are more) and
  ``/{comment-id}/replies`` (oldest first)
* ``POST /{version}/{comment-id}/replies`` and ``/{media-id}/comments`` with ``message`` -> ``{"id"}``
  (a reply to a reply is refused, as Instagram does)

Paging as recorded: ``paging.cursors.after`` and ``next`` while there is more; the last page has
no ``paging`` at all. Each scenario thread of an account is a medium (its ``post`` event, or one
made up for generated threads); comment ids are 17 digits. Every scenario account (the
institution's and the leader's) has its own user id and token.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omniinbox.sandbox.emulation import Emulation, new_token, scenario_accounts
from omniinbox.sandbox.facebook import (
    GraphObject,
    GraphPlatform,
    by_owner,
    encode_cursor,
    expansion,
    graph_error,
    requested_fields,
    select,
    stamp,
    unknown_object,
)
from omniinbox.sandbox.player import Released, ScenarioPlayer
from omniinbox.sandbox.server import Request, Response

_MEDIA_BASE = 17_900_000_000_000_000
_COMMENT_BASE = 17_850_000_000_000_000
_USER_BASE = 17_841_400_000_000_000
REPLIES_IN_EXPANSION = 25


@dataclass(slots=True)
class _Model:
    objects: dict[str, GraphObject]
    media: dict[str, list[str]]  # account id -> media ids, newest first
    newest_first: dict[str, list[GraphObject]] = field(default_factory=dict)  # media id -> its comments, sorted once


class InstagramPlatform(GraphPlatform):
    name = "instagram"
    usage_type = "instagram"

    def __init__(self, player: ScenarioPlayer, users: Mapping[str, tuple[str, str]]) -> None:
        """``users``: scenario account id -> (ig user id, token)."""
        super().__init__(player, {token: user_id for user_id, token in users.values()})
        self.users = {account_id: user_id for account_id, (user_id, _) in users.items()}
        self.user_accounts = {user_id: account_id for account_id, user_id in self.users.items()}
        self._model: tuple[object, _Model] | None = None
        self.graph_route("GET", r"/?", self.lookup_ids)
        self.graph_route("GET", r"/(?P<id>\d+)", self.lookup)
        self.graph_route("GET", r"/(?P<id>\d+)/media", self.media)
        self.graph_route("GET", r"/(?P<id>\d+)/comments", self.comments)
        self.graph_route("GET", r"/(?P<id>\d+)/replies", self.replies)
        self.graph_route("POST", r"/(?P<id>\d+)/comments", self.post_comment)
        self.graph_route("POST", r"/(?P<id>\d+)/replies", self.post_reply)

    # ------------------------------------------------------------------ the model

    def model(self) -> _Model:
        grouped = self.player.threads("instagram")
        if self._model is not None and self._model[0] is grouped:
            return self._model[1]
        objects: dict[str, GraphObject] = {}
        media: dict[str, list[str]] = {}
        by_event: dict[str, str] = {}
        for thread, events in grouped.items():
            account = events[0].account
            if account.id not in self.users:
                continue
            root = events[0] if events[0].event.id == thread and events[0].event.kind == "post" else None
            media_id = str(_MEDIA_BASE + (self.player.seq_of(thread) or zlib.crc32(thread.encode())))
            created = self.player.wall_time(events[0].event) - (0 if root else 60)
            item = GraphObject(media_id, "media", account, created, root, thread, "", media_id, updated=created)
            objects[media_id] = item
            media.setdefault(account.id, []).append(media_id)
            if root is not None:
                by_event[root.event.id] = media_id
            for released in events:
                if released is root:
                    continue
                comment_id = str(_COMMENT_BASE + released.seq)
                parent = objects.get(by_event.get(released.event.reply_to, ""))
                if parent is not None and parent.kind == "comment" and released.event.kind != "comment":
                    top = parent.parent if parent.parent != media_id else parent.id
                else:
                    top = media_id
                at = self.player.wall_time(released.event)
                objects[comment_id] = GraphObject(comment_id, "comment", account, at, released, thread, top, media_id)
                objects[top].children.append(comment_id)
                by_event[released.event.id] = comment_id
        for ids in media.values():
            ids.sort(key=lambda i: (objects[i].created, i), reverse=True)
        made = _Model(objects, media)
        self._model = (grouped, made)
        return made

    def _object(self, request: Request, *kinds: str) -> GraphObject:
        object_id = request.params["id"]
        found = self.model().objects.get(object_id)
        if found is None or found.kind not in kinds or self.users.get(found.account.id) != self.owner(request):
            raise unknown_object(object_id)
        return found

    # ------------------------------------------------------------------ rendering

    @staticmethod
    def _username(released: Released | None, handle: str) -> str:
        if released is None or by_owner(released, "instagram"):
            return handle.lstrip("@")
        assert released.author is not None
        return released.author.handle_on("instagram").lstrip("@")

    def _user_id(self, released: Released | None, account_id: str) -> str:
        if released is None or by_owner(released, "instagram"):
            return self.users[account_id]
        assert released.author is not None
        return str(_USER_BASE + 10**9 + zlib.crc32(released.author.id.encode()))

    def _render_media(self, media: GraphObject, objects: Mapping[str, GraphObject]) -> dict[str, Any]:
        released = media.released
        shortcode = f"C{int(media.id) % 10**10:010d}"
        return {
            "id": media.id,
            "caption": released.event.text if released else f"Diskusi warga: {media.thread}",
            "comments_count": sum(1 + len(objects[c].children) for c in media.children),
            "like_count": released.likes if released else 0,
            "media_type": "IMAGE",
            "media_url": f"https://scontent.cdninstagram.invalid/{media.id}.jpg",
            "permalink": f"https://www.instagram.com/p/{shortcode}/",
            "shortcode": shortcode,
            "timestamp": stamp(media.created),
            "username": media.account.handle.lstrip("@"),
        }

    def _render_comment(
        self, comment: GraphObject, names: set[str], reply_names: set[str] | None, request: Request
    ) -> dict[str, Any]:
        released = comment.released
        assert released is not None
        record: dict[str, Any] = {
            "id": comment.id,
            "text": released.event.text,
            "timestamp": stamp(comment.created),
            "username": self._username(released, comment.account.handle),
            "like_count": released.likes,
            "from": {
                "id": self._user_id(released, comment.account.id),
                "username": self._username(released, comment.account.handle),
            },
            "hidden": False,
        }
        if comment.parent != comment.top:
            record["parent_id"] = comment.parent
        record = select(record, names)
        if reply_names is not None and comment.children:
            objects = self.model().objects
            rows = [self._render_comment(objects[r], reply_names, None, request) for r in comment.children]
            expansion: dict[str, Any] = {"data": rows[:REPLIES_IN_EXPANSION]}
            if len(rows) > REPLIES_IN_EXPANSION:
                link = self._link(request, REPLIES_IN_EXPANSION).split("?", 1)
                base = link[0].rsplit("/", 2)[0] + f"/{comment.id}/replies"
                after = encode_cursor(REPLIES_IN_EXPANSION)
                expansion["paging"] = {"cursors": {"after": after}, "next": f"{base}?{link[1]}&after={after}"}
            record["replies"] = expansion
        return record

    # ------------------------------------------------------------------ handlers

    def lookup(self, request: Request) -> Response:
        object_id = request.params["id"]
        if object_id in self.user_accounts:
            if self.owner(request) != object_id:
                raise unknown_object(object_id)
            account_id = self.user_accounts[object_id]
            account = next(a for a in self.player.accounts("instagram") if a.id == account_id)
            record = {
                "id": object_id,
                "username": account.handle.lstrip("@"),
                "name": account.name,
                "followers_count": 98000,
                "media_count": len(self.model().media.get(account_id, [])),
                "biography": account.name,
            }
            return Response(body=select(record, requested_fields(request.arg("fields"), ("id",))))
        found = self._object(request, "media", "comment")
        names = requested_fields(request.arg("fields"), ("id",))
        if found.kind == "media":
            return Response(body=select(self._render_media(found, self.model().objects), names))
        return Response(body=self._render_comment(found, names, None, request))

    def media(self, request: Request) -> Response:
        user_id = request.params["id"]
        if user_id not in self.user_accounts or self.owner(request) != user_id:
            raise unknown_object(user_id)
        model = self.model()
        names = requested_fields(request.arg("fields"), ("id",))
        mine = model.media.get(self.user_accounts[user_id], [])

        def render(media_id: str) -> dict[str, Any]:  # the page's media only
            return select(self._render_media(model.objects[media_id], model.objects), names)

        return Response(body=self._ig_paged(request, mine, render))

    def _ig_paged(
        self, request: Request, rows: Sequence[Any], render: Callable[[Any], dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Instagram's paging of ``rows``; ``render`` makes records of the page's rows only (a
        medium with thousands of comments costs its page, not all of them)."""
        body = self.paged(request, rows, cursors_on_last=False, render=render)
        paging = body.get("paging")
        if isinstance(paging, dict):
            paging.pop("previous", None)
            if "next" not in paging:
                body.pop("paging")
            else:
                paging["cursors"].pop("before", None)
        return body

    def lookup_ids(self, request: Request) -> Response:
        """``GET /?ids=a,b&fields=...``: an object keyed by id (media, with ``comments{...}``
        expanded when asked, or comments)."""
        ids = [i for i in (request.arg("ids") or "").split(",") if i]
        if not ids or len(ids) > 50:
            raise graph_error(100, "(#100) ids must name between 1 and 50 objects")
        fields = request.arg("fields")
        names = requested_fields(fields, ("id",))
        inline = expansion(fields, "comments")
        model = self.model()
        found: dict[str, Any] = {}
        for object_id in ids:
            item = model.objects.get(object_id)
            if (
                item is None
                or item.kind not in ("media", "comment")
                or self.users.get(item.account.id) != self.owner(request)
            ):
                raise unknown_object(object_id)
            if item.kind == "comment":
                found[object_id] = self._render_comment(item, names, None, request)
                continue
            record = select(self._render_media(item, model.objects), names)
            if inline is not None:
                query = {k: [v] for k, v in inline.items() if v}
                query["access_token"] = [self.token_of(request)]
                version = request.params["version"]
                edge = Request(
                    "GET",
                    f"/{version}/{item.id}/comments",
                    query,
                    request.headers,
                    b"",
                    {"version": version, "id": item.id},
                )
                record["comments"] = self._comments_body(item, edge)
            found[object_id] = record
        return Response(body=found)

    def comments(self, request: Request) -> Response:
        return Response(body=self._comments_body(self._object(request, "media"), request))

    def _comments_body(self, media: GraphObject, request: Request) -> dict[str, Any]:
        objects = self.model().objects
        fields = request.arg("fields") or ""
        names = requested_fields(fields, ("timestamp", "text"))
        reply_names = None
        if "replies" in names:
            inner = fields.split("replies{", 1)[1].split("}", 1)[0] if "replies{" in fields else ""
            reply_names = requested_fields(inner, ("timestamp", "text"))
        model = self.model()
        chosen = model.newest_first.get(media.id)
        if chosen is None:
            chosen = sorted((objects[c] for c in media.children), key=lambda c: (c.created, c.id), reverse=True)
            model.newest_first[media.id] = chosen
        return self._ig_paged(request, chosen, lambda c: self._render_comment(c, names, reply_names, request))

    def replies(self, request: Request) -> Response:
        comment = self._object(request, "comment")
        objects = self.model().objects
        names = requested_fields(request.arg("fields"), ("timestamp", "text"))
        return Response(
            body=self._ig_paged(
                request, comment.children, lambda r: self._render_comment(objects[r], names, None, request)
            )
        )

    def post_comment(self, request: Request) -> Response:
        media = self._object(request, "media")
        text = self.text_param(request, limit=2200)
        anchor = media.released
        if anchor is None and media.children:  # a made-up medium: its first comment stands for it
            anchor = self.model().objects[media.children[0]].released
        if anchor is None:
            raise unknown_object(media.id)
        made = self.player.add_reply(media.account.id, anchor.event.id, text, kind="comment")
        return Response(body={"id": str(_COMMENT_BASE + made.seq)})

    def post_reply(self, request: Request) -> Response:
        comment = self._object(request, "comment")
        if comment.parent != comment.top:
            raise graph_error(
                100, "(#100) Replies to replies are not supported: reply to the top-level comment", subcode=2534023
            )
        text = self.text_param(request, limit=2200)
        assert comment.released is not None
        made = self.player.add_reply(comment.account.id, comment.released.event.id, text, kind="reply")
        return Response(body={"id": str(_COMMENT_BASE + made.seq)})


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, one sandbox account per scenario Instagram account."""
    scenario_accounts_ = player.accounts("instagram")
    users = {a.id: (str(_USER_BASE + 1 + n * 97), new_token()) for n, a in enumerate(scenario_accounts_)}
    platform = InstagramPlatform(player, users)
    return Emulation(
        platform,
        lambda url: scenario_accounts(
            "instagram",
            scenario_accounts_,
            url,
            token=lambda a: users[a][1],
            settings=lambda a: {"ig_user_id": users[a][0], "since": "2000-01-01"},
        ),
    )
