"""Instagram (professional accounts through the Instagram Graph API): comments and replies under
the account's media in; public replies out.

Reading walks the account's media (``GET /{ig-user-id}/media``, newest first, cursor paging) back
to the account's ``since`` date. Instagram media have no "last updated" time, so the stream's
position remembers each medium's ``comments_count`` (which counts replies too): a medium whose
count did not change is left alone, the comments of the others are read again
(the first page of each with a multi-id lookup, ``GET /?ids=a,b,...&fields=comments{...}``, then
``GET /{media-id}/comments``; replies come expanded, ``replies{...}``, and more replies than the
expansion holds are paged through ``/{comment-id}/replies``). A medium is one conversation and
an item itself (the account's own post); comments hang under the medium, replies under their
comment. Comments written by the account itself are outbound. Commenters are known by
``username`` only (and, on newer API versions, ``from.id``): no display names nor follower counts.

Writing: ``POST /{comment-id}/replies?message=...`` (a reply to a reply goes under its top-level
comment: Instagram threads two levels deep), or ``POST /{media-id}/comments`` for a comment on
the medium itself. Private replies are not offered.

Saved answers (``parse_saved``): media (one, or a multi-id lookup, carousels included), comment
pages and lookups, replies, and ``mentioned_comment`` answers (an item of kind ``mention``). A
saved comment page names its medium only in its paging links; when it has none (the last page),
each comment stands as its own conversation.

Credentials: an access token with ``instagram_basic`` and ``instagram_manage_comments`` (a Page
access token of the Page the account is linked to), and the account's Instagram user id.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from omniinbox.connectors.base import CheckResult, ConnectorBug, PermanentError
from omniinbox.connectors.facebook import (
    DEFAULT_VERSION,
    GRAPH_URL,
    GraphClient,
    entries_of,
    graph_time,
    load_state,
    next_after,
)
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.registry import ChannelSpec, Setting, since_of
from omniinbox.core import (
    Account,
    Author,
    Channel,
    ConversationInfo,
    Direction,
    Engagement,
    Item,
    ItemKind,
    OutgoingReply,
    Page,
    Receipt,
    SyncProblem,
    Visibility,
    utcnow,
)

MEDIA_FIELDS = "id,caption,timestamp,comments_count,like_count,permalink,username,media_type"
_COMMENT = "id,text,timestamp,username,like_count,from{id,username},parent_id"
COMMENT_FIELDS = f"{_COMMENT},replies{{{_COMMENT}}}"
COMMENT_TEXT_LIMIT = 2200
COMMENTS_PER_PAGE = 50
LOOKUP_IDS = 50  # Graph reads at most 50 ids in one ?ids= request
_EDGE_LINK = re.compile(r"/(?P<id>\d+)/(?P<edge>comments|replies)")


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _author(comment: Mapping[str, Any]) -> Author | None:
    found = comment.get("from")
    sender: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    username = str(comment.get("username") or sender.get("username") or "")
    if not username and not sender.get("id"):
        return None
    external = str(sender.get("id") or f"username:{username}")
    return Author(
        external_id=external,
        name=username,
        handle=f"@{username}" if username else "",
        url=f"https://www.instagram.com/{username}/" if username else "",
    )


def media_item(media: Mapping[str, Any], owner: str = "") -> Item:
    """A medium of the account: the root of its comments' conversation."""
    media_id = str(media["id"])
    username = str(media.get("username") or owner or "")
    author = (
        Author(
            external_id=f"username:{username}",
            name=username,
            handle=f"@{username}",
            url=f"https://www.instagram.com/{username}/",
        )
        if username
        else None
    )
    text = str(media.get("caption") or "")
    if not text and media.get("media_type"):
        text = f"[{str(media['media_type']).lower().replace('_', ' ')}]"
    return Item(
        external_id=media_id,
        kind=ItemKind.POST,
        text=text,
        conversation_id=media_id,
        created_at=graph_time(media.get("timestamp"), f"media {media_id}"),
        author=author,
        direction=Direction.OUTBOUND,
        permalink=str(media.get("permalink") or ""),
        engagement=Engagement(likes=_int(media.get("like_count")), replies=_int(media.get("comments_count"))),
        raw={k: v for k, v in media.items() if k != "children"},
    )


def comment_item(comment: Mapping[str, Any], media_id: str, owner: str = "", parent_id: str = "") -> Item:
    """A comment (``parent_id`` empty) or a reply to the comment ``parent_id``."""
    comment_id = str(comment.get("id") or "")
    if not comment_id:
        raise ValueError("a comment without an id")
    parent = parent_id or str(comment.get("parent_id") or "")
    author = _author(comment)
    outbound = author is not None and bool(owner) and author.name == owner
    replies = comment.get("replies")
    conversation = media_id or comment_id
    return Item(
        external_id=comment_id,
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        text=str(comment.get("text") or ""),
        conversation_id=conversation,
        created_at=graph_time(comment.get("timestamp"), f"comment {comment_id}"),
        author=author,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        parent_id=parent or (media_id or None),
        engagement=Engagement(
            likes=_int(comment.get("like_count")),
            replies=len(replies.get("data") or []) if isinstance(replies, Mapping) else 0,
        ),
        raw={k: v for k, v in comment.items() if k != "replies"},
    )


def _replies_of(comment: Mapping[str, Any]) -> list[Any]:
    replies = comment.get("replies")
    data = replies.get("data") if isinstance(replies, Mapping) else None
    return list(data) if isinstance(data, list) else []


def _edge_owner(body: Mapping[str, Any]) -> tuple[str, str]:
    """(object id, edge) named by a saved page's paging links: the only place it says whose
    comments (or replies) it holds."""
    paging = body.get("paging")
    for key in ("next", "previous"):
        link = paging.get(key) if isinstance(paging, Mapping) else None
        match = _EDGE_LINK.search(urlsplit(link).path) if isinstance(link, str) else None
        if match:
            return match.group("id"), match.group("edge")
    return "", ""


def _is_media(entry: Mapping[str, Any]) -> bool:
    return any(k in entry for k in ("caption", "media_type", "media_url", "comments_count", "permalink"))


def parse_saved(body: Any, owner: str = "") -> Page:
    """A saved Instagram Graph answer, for import (see the module's docstring)."""
    page = Page()
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error = body["error"]
        page.problems.append(SyncProblem(f"a Graph error answer: {error.get('message')} (code {error.get('code')})"))
        return page
    if isinstance(body, Mapping) and isinstance(body.get("mentioned_comment"), Mapping):
        mention = body["mentioned_comment"]
        media = mention.get("media") if isinstance(mention.get("media"), Mapping) else {}
        try:
            item = comment_item(mention, str(media.get("id") or ""), owner)
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"mentioned comment: {exc}"))
            return page
        page.items.append(dataclasses.replace(item, kind=ItemKind.MENTION))
        return page
    thread, edge = _edge_owner(body) if isinstance(body, Mapping) else ("", "")
    entries = entries_of(body)
    if not entries:
        page.problems.append(SyncProblem("not an Instagram answer with media or comments"))
        return page
    for n, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not entry.get("id"):
            page.problems.append(SyncProblem(f"entry {n} has no id"))
            continue
        try:
            if _is_media(entry):
                page.items.append(media_item(entry, owner))
                page.conversations.append(ConversationInfo(str(entry["id"]), ItemKind.POST))
                continue
            media_id = thread if edge == "comments" else ""
            parent = thread if edge == "replies" else ""
            item = comment_item(entry, media_id, owner, parent)
            page.items.append(item)
            for reply in _replies_of(entry):
                page.items.append(comment_item(reply, media_id, owner, item.external_id))
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"entry {n} ({entry.get('id')}): {exc}", external_id=str(entry["id"])))
    return page


class InstagramConnector:
    streams: tuple[str, ...] = ("comments",)
    read_ahead = True

    def __init__(
        self,
        base_url: str = GRAPH_URL,
        *,
        token: str,
        ig_user_id: str,
        version: str = DEFAULT_VERSION,
        since: datetime | None = None,
        media_per_page: int = 50,
        rate: RateControl | None = None,
        clock: Callable[[], float] = time.time,
        **client: Any,
    ) -> None:
        if not str(ig_user_id).isdigit():
            raise PermanentError(
                f"Instagram needs the account's numeric user id (setting 'ig_user_id'), not {ig_user_id!r}"
            )
        if clock is not time.time:
            client["clock"] = clock
        self.graph = GraphClient(base_url, token=token, version=version, rate=rate, **client)
        self.http = self.graph.http
        self.user_id = str(ig_user_id)
        self.since = since or (utcnow() - timedelta(days=30))
        self.media_per_page = media_per_page
        self._username = ""

    def fetch(self, stream: str, cursor: str | None) -> Page:
        if stream != "comments":
            raise ConnectorBug(f"Instagram has no stream {stream!r}")
        state = load_state(cursor, stream)
        counts: dict[str, int] = {str(k): _int(v) for k, v in (state.get("counts") or {}).items()}
        params: dict[str, Any] = {"fields": MEDIA_FIELDS, "limit": self.media_per_page}
        if state.get("after"):
            params["after"] = state["after"]
        body = self.graph.get(f"{self.user_id}/media", params)
        media_list = body.get("data")
        if not isinstance(media_list, list):
            raise ConnectorBug("the account's media answered without a 'data' list")
        page = Page()
        floor = self.since.timestamp()
        reached_floor = False
        changed: list[str] = []
        for n, media in enumerate(media_list):
            if not isinstance(media, Mapping) or not media.get("id"):
                page.problems.append(SyncProblem(f"media entry {n} has no id"))
                continue
            media_id = str(media["id"])
            try:
                item = media_item(media, self._username)
            except (KeyError, ValueError, TypeError) as exc:
                page.problems.append(SyncProblem(f"media {media_id}: {exc}", external_id=media_id))
                continue
            if item.created_at.timestamp() < floor:
                reached_floor = True  # newest first: the rest is older still
                break
            self._username = self._username or str(media.get("username") or "")
            count = _int(media.get("comments_count"))
            if counts.get(media_id) == count:
                continue
            page.items.append(item)
            page.conversations.append(ConversationInfo(media_id, ItemKind.POST))
            if count:
                changed.append(media_id)
            counts[media_id] = count
        for start in range(0, len(changed), LOOKUP_IDS):
            self._read_comments_of(changed[start : start + LOOKUP_IDS], page)
        after = next_after(body)
        position: dict[str, Any] = {"counts": counts}
        if after and media_list and not reached_floor:
            page.has_more = True
            position["after"] = after
        page.next_cursor = json.dumps(position, separators=(",", ":"))
        return page

    def _read_comments_of(self, media_ids: list[str], page: Page) -> None:
        """The comments of several media: the first page of each in one multi-id lookup (an
        object keyed by id), further pages through each medium's edge."""
        fields = f"comments.limit({COMMENTS_PER_PAGE}){{{COMMENT_FIELDS}}}"
        found = self.graph.get("", {"ids": ",".join(media_ids), "fields": fields})
        for media_id in media_ids:
            entry = found.get(media_id)
            inline = entry.get("comments") if isinstance(entry, Mapping) else None
            first = inline if isinstance(inline, Mapping) and isinstance(inline.get("data"), list) else None
            self._read_comments(media_id, page, first)

    def _read_comments(self, media_id: str, page: Page, first: Mapping[str, Any] | None = None) -> None:
        params: dict[str, Any] = {"fields": COMMENT_FIELDS, "limit": COMMENTS_PER_PAGE}
        body = first
        while True:
            if body is None:
                body = self.graph.get(f"{media_id}/comments", params)
            comments = body.get("data")
            if not isinstance(comments, list):
                raise ConnectorBug(f"the comments of media {media_id} answered without a 'data' list")
            for comment in comments:
                if not isinstance(comment, Mapping):
                    page.problems.append(SyncProblem(f"media {media_id}: a comment that is not an object"))
                    continue
                try:
                    item = comment_item(comment, media_id, self._username)
                except (KeyError, ValueError, TypeError) as exc:
                    page.problems.append(
                        SyncProblem(
                            f"media {media_id}: comment {comment.get('id')}: {exc}",
                            external_id=str(comment.get("id", "")),
                        )
                    )
                    continue
                page.items.append(item)
                self._add_replies(comment, media_id, item.external_id, page)
            after = next_after(body)
            if not after or not comments:
                return
            params = {**params, "after": after}
            body = None

    def _add_replies(self, comment: Mapping[str, Any], media_id: str, comment_id: str, page: Page) -> None:
        replies = comment.get("replies")
        body: Mapping[str, Any] = replies if isinstance(replies, Mapping) else {}
        while True:
            for reply in _replies_of({"replies": body}):
                try:
                    page.items.append(comment_item(reply, media_id, self._username, comment_id))
                except (KeyError, ValueError, TypeError, AttributeError) as exc:
                    page.problems.append(SyncProblem(f"comment {comment_id}: reply: {exc}"))
            after = next_after(body)
            if not after:
                return
            body = self.graph.get(f"{comment_id}/replies", {"fields": _COMMENT, "limit": 50, "after": after})

    def send(self, reply: OutgoingReply) -> Receipt:
        if reply.visibility is Visibility.PRIVATE:
            raise PermanentError("private replies are not offered for Instagram: reply publicly")
        text = reply.body.strip()
        if not text:
            raise PermanentError("an empty reply cannot be sent")
        if len(text) > COMMENT_TEXT_LIMIT:
            raise PermanentError(f"an Instagram comment holds at most {COMMENT_TEXT_LIMIT} characters, not {len(text)}")
        media = reply.conversation_external_id or ""
        answered = reply.in_reply_to_external_id or media
        if not answered:
            raise PermanentError("an Instagram reply needs the medium or comment it answers")
        if answered == media:
            made = self.graph.call("POST", f"{media}/comments", data={"message": text})
        else:
            chain = [r for r in reply.references if r and r != media]
            target = chain[-2] if len(chain) >= 2 and chain[-1] == answered else answered
            made = self.graph.call("POST", f"{target}/replies", data={"message": text})
        if not isinstance(made, Mapping) or not made.get("id"):
            raise ConnectorBug("Instagram accepted the reply but did not say which comment it became; not sent again")
        return Receipt(str(made["id"]))

    def check(self) -> CheckResult:
        user = self.graph.get(self.user_id, {"fields": "id,username,name,followers_count,media_count"})
        username = str(user.get("username") or "")
        self._username = username or self._username
        notes = []
        if user.get("followers_count") is not None:
            notes.append(f"{_int(user['followers_count']):,} followers, {_int(user.get('media_count'))} media")
        return CheckResult(
            ok=True,
            identity=f"@{username}" if username else self.user_id,
            can_read=True,
            can_reply=True,
            notes=tuple(notes),
        )

    def close(self) -> None:
        self.graph.close()


def _build(account: Account, secret: str, rate: RateControl) -> InstagramConnector:
    settings = account.settings
    return InstagramConnector(
        account.base_url or GRAPH_URL,
        token=secret,
        ig_user_id=str(settings.get("ig_user_id", "") or ""),
        version=str(settings.get("api_version", "") or DEFAULT_VERSION),
        since=since_of(account),
        rate=rate,
    )


SPEC = ChannelSpec(
    Channel.INSTAGRAM,
    "Instagram professional account (comments and replies)",
    "",
    "an access token with instagram_basic and instagram_manage_comments (the linked Facebook Page's token)",
    (
        Setting(
            "ig_user_id",
            "the Instagram account's user id (Graph API Explorer: me/accounts?fields=instagram_business_account)",
            required=True,
        ),
        Setting("api_version", "the Graph API version", default=DEFAULT_VERSION),
        Setting("since", "sync reads comments on media posted since this date (default: 30 days ago)"),
    ),
    _build,
    parse_saved,
)
