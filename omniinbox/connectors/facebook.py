"""Facebook Pages: comments under the page's posts and the page's Messenger inbox in; public
replies in a comment thread and Messenger replies out. Also the Graph API plumbing the Instagram
connector shares (:class:`GraphClient`, :func:`graph_time`, :func:`graph_error`).

Reading comments walks the page feed (``GET /{page-id}/feed``, 100 posts a request, cursor
paging with ``paging.cursors.after``; the last page has no ``paging.next``). A post whose
``updated_time`` (Graph moves it when someone comments) is older than the stream's watermark is
left alone; for the others the post itself is an item (its reactions, comment count and shares
refreshed) with its comments since the watermark. The newest of them come with the feed, as an
expanded edge (``comments.filter(stream).order(reverse_chronological).since(T).limit(25){...}``);
when a post has more, the rest is paged through
``/{post-id}/comments?filter=stream&order=reverse_chronological&since=T``. ``stream`` flattens
replies into the same list, each naming its ``parent``. A post is one conversation; top-level
comments have the post as parent, replies their comment. Comments written by the page itself are
outbound. The watermark that follows a full pass is the newest ``created_time`` seen, but never
later than a few minutes before the pass began, so a comment written on an already-read post
while the pass went on is read by the next one (reading it twice changes nothing).

Messenger: ``GET /{page-id}/conversations?platform=messenger`` lists conversations by their last
activity, newest first; the walk stops at the first one not updated since the watermark and reads
the new messages of each changed one (``/{conversation-id}/messages``, newest first, with
``fields=message,from,to,created_time``). A message ``from.email`` is ``<PSID>@facebook.com``,
not an address: it is not kept as one.

Writing: a public reply is ``POST /{comment-id}/comments`` (a reply to a reply goes under its
top-level comment, as Facebook threads only two levels deep), or ``POST /{post-id}/comments`` for
a comment on the post itself. A reply in a Messenger conversation goes through the Send API,
``POST /{page-id}/messages`` with the person's page-scoped id and ``messaging_type=RESPONSE``. That
is allowed within 24 hours of the person's last message; later, only with a message tag (setting
``message_tag``, e.g. ``HUMAN_AGENT``, which Meta allows up to 7 days): otherwise the reply is
refused before anything is sent, saying why.

Errors: Graph answers most failures with status 400 and ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``; the code decides who is at fault (190: the token,
10 and 200-299: a permission, 4/17/32/613 and 80001-80014: a rate limit, ``is_transient``: weather).
``X-App-Usage`` and ``X-Business-Use-Case-Usage`` carry usage percentages: the client slows down
as they near 100 and waits when a limit is reached.

Credentials: a Page access token (``access_token`` query parameter, masked everywhere).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omniinbox.connectors.base import (
    AuthenticationError,
    CheckResult,
    ConnectorBug,
    ConnectorError,
    PermanentError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from omniinbox.connectors.http import HttpClient, QueryTokenAuth, RateControl, parse_rate_headers
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
from omniinbox.secrets import REDACTOR

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v19.0"
CLOCK_SKEW = 300  # seconds of doubt between our clock and the platform's
MESSENGER_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
MESSENGER_TEXT_LIMIT = 2000
COMMENT_TEXT_LIMIT = 8000

COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},comment_count,like_count,permalink_url,attachment"
INLINE_COMMENTS = 25  # the newest comments of each post come with the feed; more are paged through its edge


def post_fields(since: int) -> str:
    """The feed's fields: the post, its reaction count, and its newest comments since ``since``."""
    return (
        "id,message,story,created_time,updated_time,permalink_url,from{id,name},status_type,shares,"
        "reactions.summary(true).limit(0),comments.filter(stream).order(reverse_chronological)"
        f".since({since}).summary(true).limit({INLINE_COMMENTS}){{{COMMENT_FIELDS}}}"
    )


CONVERSATION_FIELDS = "id,updated_time,link,snippet,message_count,unread_count"
MESSAGE_FIELDS = "id,message,from,to,created_time,attachments"

_RATE_CODES = frozenset({4, 17, 32, 613})
_TRANSIENT_CODES = frozenset({1, 2})
_VERSION = re.compile(r"^v\d+\.\d+$")


# ------------------------------------------------------------------------------- Graph plumbing


def graph_time(value: Any, what: str) -> datetime:
    """A Graph timestamp (``2021-08-05T08:24:50+0000``, no colon in the offset) in UTC."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} has no time")
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{what} has an unreadable time {value[:40]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def graph_stamp(value: datetime) -> str:
    """A time the way Graph writes it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _summary_count(edge: Any) -> int:
    summary = edge.get("summary") if isinstance(edge, Mapping) else None
    return _int(summary.get("total_count")) if isinstance(summary, Mapping) else 0


def _regain_seconds(headers: Mapping[str, str]) -> float | None:
    """``estimated_time_to_regain_access`` (minutes) of ``X-Business-Use-Case-Usage``, in seconds."""
    raw = headers.get("x-business-use-case-usage")
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    minutes = 0.0
    if isinstance(data, Mapping):
        for entries in data.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping):
                    try:
                        minutes = max(minutes, float(entry.get("estimated_time_to_regain_access") or 0))
                    except (TypeError, ValueError):
                        continue
    return minutes * 60 if minutes else None


def graph_error(status: int, body: Any, where: str, headers: Mapping[str, str] | None = None) -> ConnectorError:
    """The error a Graph failure answer stands for, with the platform's own words."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        text = f"{where}: {status}"
        if status == 401:
            return AuthenticationError(text)
        if status == 403:
            return PermissionDenied(text)
        return PermanentError(text)
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = REDACTOR(str(error.get("message") or "").strip())[:300]
    said = f"(#{code}{f'/{subcode}' if subcode else ''}) {message}".strip()
    text = f"{where}: {status} {said}"
    if code in (190, 102, 104) or (status == 401 and code == 0):
        return AuthenticationError(f"{text} (the access token was not accepted: create a new one)")
    if code in _RATE_CODES or 80001 <= code <= 80014:
        wait = _regain_seconds(headers or {}) or (60.0 if code == 613 else 300.0)
        return RateLimited(f"{text} (rate limited)", retry_after=wait)
    if code == 10 or 200 <= code <= 299 or code == 368 or status == 403:
        return PermissionDenied(text)
    if code in _TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
        return TransientError(text)
    return PermanentError(text)


class GraphClient:
    """One token's access to the Graph API of one version: every call goes through
    :class:`HttpClient` (timeouts, retries, rate control, masking) and Graph's error answers are
    sorted by :func:`graph_error`. Usage headers near 100 % slow the calls down."""

    def __init__(
        self, base_url: str, *, token: str, version: str, rate: RateControl | None = None, **client: Any
    ) -> None:
        if not token:
            raise AuthenticationError("no access token")
        if not _VERSION.match(version or ""):
            raise PermanentError(f"the Graph API version must look like v19.0, not {version!r}")
        self.http = HttpClient(base_url or GRAPH_URL, auth=QueryTokenAuth(token), secrets=[token], rate=rate, **client)
        self.version = version
        self._sleep: Callable[[float], None] = client.get("sleep", time.sleep)
        self.slowdown_at = 90.0  # percent of the budget used where calls start to be spaced out

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        read = method.upper() == "GET"
        response = self.http.request(
            method,
            f"{self.version}/{path.lstrip('/')}",
            params=params,
            data=data,
            json_body=json_body,
            attempts=3 if read else 2,
            ok=(400, 401, 403, 404),
        )
        if response.status_code >= 400:
            where = REDACTOR(f"{method.upper()} {self.http.host}/{self.version}/{path.lstrip('/')}")
            try:
                body = response.json()
            except ValueError:
                body = None
            error = graph_error(response.status_code, body, where, response.headers)
            if isinstance(error, RateLimited) and error.retry_after:
                self.http.rate.block(self.http.rate_key, error.retry_after)
            raise error
        self._pace(response.headers)
        return self.http.json_of(response)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        body = self.call("GET", path, params=params)
        if not isinstance(body, Mapping):
            raise ConnectorBug(f"Graph answered GET {path.split('/')[-1] or path} with something not an object")
        return body

    def _pace(self, headers: Mapping[str, str]) -> None:
        info = parse_rate_headers(headers, time.time())
        if info.remaining is None:
            return
        used = 100.0 - info.remaining
        if self.slowdown_at <= used < 100.0:
            self._sleep(min((used - self.slowdown_at) * 0.5, 5.0))

    def close(self) -> None:
        self.http.close()


def next_after(body: Mapping[str, Any]) -> str | None:
    """The ``after`` cursor when there is a next page (a page without ``paging.next`` is the last)."""
    paging = body.get("paging")
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    if isinstance(after, str) and after:
        return after
    query = parse_qs(urlsplit(str(paging["next"])).query)  # time-paged edges: only the link says
    found = query.get("after")
    return found[0] if found else None


def entries_of(body: Any) -> list[Any]:
    """The records of a saved Graph answer: ``data`` of a list, the values of a multi-id lookup
    (``?ids=a,b`` answers an object keyed by id), or a single object."""
    if isinstance(body, Mapping):
        if isinstance(body.get("data"), list):
            return list(body["data"])
        values = list(body.values())
        if values and all(isinstance(v, Mapping) and str(v.get("id")) == str(k) for k, v in body.items()):
            return values
        return [body]
    if isinstance(body, list):
        return body
    return []


def load_state(cursor: str | None, stream: str) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        raise ConnectorBug(f"the stored {stream} position is not readable ({cursor[:40]!r}); reset the account's sync")
    return state


def watermark_after(start: int, newest: int, since: int) -> int:
    """Where the next pass starts: the newest time seen, but not later than a little before this
    pass began (what was written meanwhile on an already-read thread is read next time)."""
    return max(since, min(newest, start - CLOCK_SKEW))


# ------------------------------------------------------------------------------- parsing


_PERMALINK = re.compile(r"facebook\.com/(?P<page>[^/?#]+)/posts/(?P<post>\d+)")


def _permalink_ids(url: Any) -> tuple[str, str, str, str]:
    """(page, post, comment, reply) ids named by a comment's ``permalink_url`` ("" when absent)."""
    if not isinstance(url, str):
        return "", "", "", ""
    match = _PERMALINK.search(url)
    query = parse_qs(urlsplit(url).query)
    return (
        match.group("page") if match else "",
        match.group("post") if match else "",
        (query.get("comment_id") or [""])[0],
        (query.get("reply_comment_id") or [""])[0],
    )


def _person(who: Any) -> Author | None:
    if not isinstance(who, Mapping) or not who.get("id"):
        return None
    name = str(who.get("name") or who.get("username") or "")
    return Author(external_id=str(who["id"]), name=name or f"user {who['id']}", handle=str(who.get("username") or ""))


def _attachment_text(attachment: Any) -> str:
    if not isinstance(attachment, Mapping):
        return ""
    kind = str(attachment.get("type") or attachment.get("media_type") or attachment.get("mime_type") or "attachment")
    title = attachment.get("title") or attachment.get("name") or attachment.get("description") or ""
    target = attachment.get("url") or ""
    if not target:
        for key in ("image_data", "video_data", "file_data"):
            data = attachment.get(key)
            if isinstance(data, Mapping) and data.get("url"):
                target = data["url"]
                break
    label = kind.split("/")[0]
    return f"[{label}{': ' + str(title) if title else ''}]{' ' + str(target) if target and not title else ''}"


def post_item(post: Mapping[str, Any], page_id: str = "") -> Item:
    """A post of the page feed: the root of its comments' conversation."""
    post_id = str(post["id"])
    author = _person(post.get("from"))
    own = author is None or (bool(page_id) and author.external_id == page_id)
    text = str(post.get("message") or post.get("story") or "")
    if not text:
        attachments = post.get("attachments")
        first = attachments.get("data", [None])[0] if isinstance(attachments, Mapping) else None
        text = _attachment_text(first)
    reactions = _summary_count(post.get("reactions")) or _summary_count(post.get("like"))
    shares = post.get("shares")
    created = graph_time(post.get("created_time"), f"post {post_id}")
    return Item(
        external_id=post_id,
        kind=ItemKind.POST,
        text=text,
        conversation_id=post_id,
        created_at=created,
        author=author,
        direction=Direction.OUTBOUND if own else Direction.INBOUND,
        permalink=str(post.get("permalink_url") or ""),
        engagement=Engagement(
            likes=reactions,
            replies=_summary_count(post.get("comments")),
            shares=_int(shares.get("count")) if isinstance(shares, Mapping) else 0,
        ),
        raw={k: v for k, v in post.items() if k not in ("attachments", "comments", "reactions")},
    )


def comment_item(comment: Mapping[str, Any], post_id: str = "", page_id: str = "") -> Item:
    """A comment or a reply. Saved comment pages may lack ``id`` and ``from``: the id and the
    thread are then read from ``permalink_url`` (``?comment_id=...&reply_comment_id=...``)."""
    link_page, link_post, link_comment, link_reply = _permalink_ids(comment.get("permalink_url"))
    comment_id = str(comment.get("id") or "")
    if not comment_id:
        if not (link_post and (link_reply or link_comment)):
            raise ValueError("a comment with neither an id nor a permalink naming it")
        comment_id = f"{link_post}_{link_reply or link_comment}"
    if not post_id:
        if link_post:
            post_id = f"{link_page}_{link_post}" if link_page.isdigit() else link_post
        elif page_id and "_" in comment_id:
            post_id = f"{page_id}_{comment_id.split('_')[0]}"
        else:
            post_id = comment_id.split("_")[0]
    parent = comment.get("parent")
    parent_id = str(parent.get("id")) if isinstance(parent, Mapping) and parent.get("id") else ""
    if not parent_id and link_reply and link_comment:
        parent_id = f"{link_post}_{link_comment}"
    author = _person(comment.get("from"))
    text = str(comment.get("message") or "")
    attachment = _attachment_text(comment.get("attachment"))
    if attachment:
        text = f"{text}\n{attachment}" if text else attachment
    outbound = author is not None and bool(page_id) and author.external_id == page_id
    return Item(
        external_id=comment_id,
        kind=ItemKind.REPLY if parent_id else ItemKind.COMMENT,
        text=text,
        conversation_id=post_id,
        created_at=graph_time(comment.get("created_time"), f"comment {comment_id}"),
        author=author,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        parent_id=parent_id or post_id,
        permalink=str(comment.get("permalink_url") or ""),
        engagement=Engagement(likes=_int(comment.get("like_count")), replies=_int(comment.get("comment_count"))),
        raw=comment,
    )


def message_item(message: Mapping[str, Any], conversation_id: str, page_id: str = "") -> Item:
    """A Messenger message (private, one-to-one with the page)."""
    message_id = str(message.get("id") or "")
    if not message_id:
        raise ValueError("a message without an id")
    author = _person(message.get("from"))  # from.email is "<PSID>@facebook.com": not an address
    text = str(message.get("message") or "")
    attachments = message.get("attachments")
    for attachment in attachments.get("data", []) if isinstance(attachments, Mapping) else []:
        described = _attachment_text(attachment)
        if described:
            text = f"{text}\n{described}" if text else described
    outbound = author is not None and bool(page_id) and author.external_id == page_id
    return Item(
        external_id=message_id,
        kind=ItemKind.DM,
        text=text,
        conversation_id=conversation_id,
        created_at=graph_time(message.get("created_time"), f"message {message_id[:24]}"),
        author=author,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        visibility=Visibility.PRIVATE,
        raw=message,
    )


def _participants_key(message: Mapping[str, Any]) -> str:
    """A saved message does not name its conversation: its two participants do."""
    ids = set()
    sender = message.get("from")
    if isinstance(sender, Mapping) and sender.get("id"):
        ids.add(str(sender["id"]))
    to = message.get("to")
    for who in to.get("data", []) if isinstance(to, Mapping) else []:
        if isinstance(who, Mapping) and who.get("id"):
            ids.add(str(who["id"]))
    return "messenger:" + "-".join(sorted(ids))


def _kind_of(entry: Mapping[str, Any]) -> str:
    entry_id = str(entry.get("id") or "")
    if entry_id.startswith("m_"):
        return "message"
    if entry_id.startswith("t_"):
        return "conversation"
    link = str(entry.get("permalink_url") or "")
    if "comment_id=" in link or "comment_count" in entry or "parent" in entry:
        return "comment"
    if "created_time" in entry:
        return "post"
    return ""


def parse_saved(body: Any, page_id: str = "") -> Page:
    """A saved Graph answer of a page, for import: the feed or posts, comments (one, a page of
    them, or a multi-id lookup), Messenger conversations and messages, or an error answer."""
    page = Page()
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        error = body["error"]
        page.problems.append(SyncProblem(f"a Graph error answer: (#{error.get('code')}) {error.get('message')}"[:300]))
        return page
    entries = entries_of(body)
    if not entries:
        holds = type(body).__name__ if not isinstance(body, Mapping) else ", ".join(sorted(map(str, body))[:6])
        page.problems.append(SyncProblem(f"not a Graph answer with posts, comments or messages (it holds: {holds})"))
        return page
    for n, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            page.problems.append(SyncProblem(f"entry {n} is not an object"))
            continue
        kind = _kind_of(entry)
        try:
            if kind == "comment":
                page.items.append(comment_item(entry, page_id=page_id))
            elif kind == "post":
                page.items.append(post_item(entry, page_id))
                page.conversations.append(ConversationInfo(str(entry["id"]), ItemKind.POST))
            elif kind == "message":
                page.items.append(message_item(entry, _participants_key(entry), page_id))
            elif kind == "conversation":
                page.conversations.append(ConversationInfo(str(entry["id"]), ItemKind.DM))
            else:
                page.problems.append(
                    SyncProblem(
                        f"entry {n} is neither a post, a comment nor a message", external_id=str(entry.get("id", ""))
                    )
                )
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"entry {n}: {exc}", external_id=str(entry.get("id", ""))))
    return page


# ------------------------------------------------------------------------------- the connector


class FacebookConnector:
    streams: tuple[str, ...] = ("comments", "messages")
    read_ahead = True  # reading changes nothing on Facebook

    def __init__(
        self,
        base_url: str = GRAPH_URL,
        *,
        token: str,
        page_id: str,
        version: str = DEFAULT_VERSION,
        since: datetime | None = None,
        message_tag: str = "",
        posts_per_page: int = 100,
        rate: RateControl | None = None,
        clock: Callable[[], float] = time.time,
        **client: Any,
    ) -> None:
        if not str(page_id).isdigit():
            raise PermanentError(f"Facebook needs the page's numeric id (setting 'page_id'), not {page_id!r}")
        tag = message_tag.strip().upper()
        if tag and not re.fullmatch(r"[A-Z_]+", tag):
            raise PermanentError(f"'message_tag' must be a Messenger tag such as HUMAN_AGENT, not {message_tag!r}")
        if clock is not time.time:
            client["clock"] = clock
        self.graph = GraphClient(base_url, token=token, version=version, rate=rate, **client)
        self.http = self.graph.http
        self.page_id = str(page_id)
        self.since = since or (utcnow() - timedelta(days=30))
        self.message_tag = tag
        self.posts_per_page = posts_per_page
        self._clock = clock

    # ------------------------------------------------------------------ reading

    def fetch(self, stream: str, cursor: str | None) -> Page:
        if stream == "comments":
            return self._fetch_comments(load_state(cursor, stream))
        if stream == "messages":
            return self._fetch_messages(load_state(cursor, stream))
        raise ConnectorBug(f"Facebook has no stream {stream!r}")

    def _pass(self, state: Mapping[str, Any]) -> tuple[int, int, int]:
        since = int(state.get("since") or self.since.timestamp())
        start = int(state.get("start") or self._clock())
        newest = int(state.get("newest") or since)
        return since, start, newest

    def _fetch_comments(self, state: Mapping[str, Any]) -> Page:
        since, start, newest = self._pass(state)
        params: dict[str, Any] = {
            "fields": post_fields(since),
            "limit": self.posts_per_page,
            "since": int(self.since.timestamp()),
        }
        if state.get("after"):
            params["after"] = state["after"]
        body = self.graph.get(f"{self.page_id}/feed", params)
        posts = body.get("data")
        if not isinstance(posts, list):
            raise ConnectorBug("the page feed answered without a 'data' list")
        page = Page()
        for n, post in enumerate(posts):
            if not isinstance(post, Mapping) or not post.get("id"):
                page.problems.append(SyncProblem(f"feed entry {n} has no id"))
                continue
            try:
                item = post_item(post, self.page_id)
                changed = graph_time(post.get("updated_time") or post.get("created_time"), f"post {post['id']}")
            except (KeyError, ValueError, TypeError) as exc:
                page.problems.append(SyncProblem(f"post {post.get('id')}: {exc}", external_id=str(post.get("id"))))
                continue
            if changed.timestamp() < since:
                continue  # nothing new under it
            page.items.append(item)
            page.conversations.append(ConversationInfo(item.external_id, ItemKind.POST))
            newest = max(newest, int(item.created_at.timestamp()))
            inline = post.get("comments")
            first = inline if isinstance(inline, Mapping) and isinstance(inline.get("data"), list) else None
            newest = max(newest, self._read_comments(item.external_id, since, page, first))
        after = next_after(body)
        if after and posts:
            page.has_more = True
            page.next_cursor = json.dumps({"since": since, "start": start, "newest": newest, "after": after})
        else:
            page.next_cursor = json.dumps({"since": watermark_after(start, newest, since)})
        return page

    def _read_comments(self, post_id: str, since: int, page: Page, first: Mapping[str, Any] | None = None) -> int:
        """Comments of one post created since ``since``, newest first, starting with ``first``
        (those that came with the feed) when given; the newest time seen."""
        newest = since
        params: dict[str, Any] = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "since": since,
            "limit": 100,
        }
        body = first
        while True:
            if body is None:
                body = self.graph.get(f"{post_id}/comments", params)
            comments = body.get("data")
            if not isinstance(comments, list):
                raise ConnectorBug(f"the comments of post {post_id} answered without a 'data' list")
            reached_old = False
            for comment in comments:
                if not isinstance(comment, Mapping):
                    page.problems.append(SyncProblem(f"post {post_id}: a comment that is not an object"))
                    continue
                try:
                    item = comment_item(comment, post_id, self.page_id)
                except (KeyError, ValueError, TypeError) as exc:
                    page.problems.append(
                        SyncProblem(
                            f"post {post_id}: comment {comment.get('id')}: {exc}",
                            external_id=str(comment.get("id", "")),
                        )
                    )
                    continue
                stamp = int(item.created_at.timestamp())
                if stamp < since:
                    reached_old = True
                    continue
                newest = max(newest, stamp)
                page.items.append(item)
            after = next_after(body)
            if reached_old or not after or not comments:
                return newest
            params = {**params, "after": after}
            body = None

    def _fetch_messages(self, state: Mapping[str, Any]) -> Page:
        since, start, newest = self._pass(state)
        params: dict[str, Any] = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": 25}
        if state.get("after"):
            params["after"] = state["after"]
        body = self.graph.get(f"{self.page_id}/conversations", params)
        conversations = body.get("data")
        if not isinstance(conversations, list):
            raise ConnectorBug("the Messenger inbox answered without a 'data' list")
        page = Page()
        reached_old = False
        for n, conversation in enumerate(conversations):
            if not isinstance(conversation, Mapping) or not str(conversation.get("id") or "").startswith("t_"):
                page.problems.append(SyncProblem(f"conversation entry {n} has no t_ id"))
                continue
            conversation_id = str(conversation["id"])
            try:
                updated = graph_time(conversation.get("updated_time"), f"conversation {conversation_id}")
            except ValueError as exc:
                page.problems.append(SyncProblem(str(exc), external_id=conversation_id))
                continue
            if updated.timestamp() < since:
                reached_old = True  # newest activity first: the rest is older still
                break
            newest = max(newest, int(updated.timestamp()))
            page.conversations.append(ConversationInfo(conversation_id, ItemKind.DM))
            self._read_messages(conversation_id, since, page)
        after = next_after(body)
        if after and not reached_old and conversations:
            page.has_more = True
            page.next_cursor = json.dumps({"since": since, "start": start, "newest": newest, "after": after})
        else:
            page.next_cursor = json.dumps({"since": watermark_after(start, newest, since)})
        return page

    def _read_messages(self, conversation_id: str, since: int, page: Page) -> None:
        params: dict[str, Any] = {"fields": MESSAGE_FIELDS, "limit": 50}
        while True:
            body = self.graph.get(f"{conversation_id}/messages", params)
            messages = body.get("data")
            if not isinstance(messages, list):
                raise ConnectorBug(f"the messages of {conversation_id} answered without a 'data' list")
            reached_old = False
            for message in messages:
                if not isinstance(message, Mapping):
                    continue
                try:
                    item = message_item(message, conversation_id, self.page_id)
                except (KeyError, ValueError, TypeError) as exc:
                    page.problems.append(SyncProblem(f"{conversation_id}: {exc}", external_id=str(message.get("id"))))
                    continue
                if item.created_at.timestamp() < since:
                    reached_old = True  # newest first
                    continue
                page.items.append(item)
            after = next_after(body)
            if reached_old or not after or not messages:
                return
            params = {**params, "after": after}

    # ------------------------------------------------------------------ writing

    def send(self, reply: OutgoingReply) -> Receipt:
        text = reply.body.strip()
        if not text:
            raise PermanentError("an empty reply cannot be sent")
        conversation = reply.conversation_external_id or ""
        if conversation.startswith("t_"):
            return self._send_message(conversation, text)
        if reply.visibility is Visibility.PRIVATE:
            raise PermanentError(
                "a private reply to a comment is not supported: reply publicly, or in the person's"
                " Messenger conversation"
            )
        if len(text) > COMMENT_TEXT_LIMIT:
            raise PermanentError(
                f"a Facebook comment holds at most {COMMENT_TEXT_LIMIT} characters ({len(text)} given)"
            )
        target = self._comment_target(reply)
        if not target:
            raise PermanentError("a Facebook reply needs the post or comment it answers")
        made = self.graph.call("POST", f"{target}/comments", data={"message": text})
        if not isinstance(made, Mapping) or not made.get("id"):
            raise ConnectorBug("Facebook accepted the comment but did not say which it became; it is not sent again")
        return Receipt(str(made["id"]))

    @staticmethod
    def _comment_target(reply: OutgoingReply) -> str:
        """Where a public reply goes: under the top-level comment of the one answered (Facebook
        threads two levels deep), or on the post."""
        answered = reply.in_reply_to_external_id or reply.conversation_external_id or ""
        chain = [r for r in reply.references if r and r != reply.conversation_external_id]
        if reply.in_reply_to_external_id and len(chain) >= 2 and chain[-1] == answered:
            return chain[-2]  # the answered item is a reply: its parent is the top-level comment
        return answered

    def _send_message(self, conversation: str, text: str) -> Receipt:
        if len(text) > MESSENGER_TEXT_LIMIT:
            raise PermanentError(
                f"a Messenger message holds at most {MESSENGER_TEXT_LIMIT} characters ({len(text)} given)"
            )
        body = self.graph.get(f"{conversation}/messages", {"fields": "id,from,created_time", "limit": 25})
        person, last = "", None
        for message in body.get("data") or []:
            sender = message.get("from") if isinstance(message, Mapping) else None
            if isinstance(sender, Mapping) and sender.get("id") and str(sender["id"]) != self.page_id:
                person = str(sender["id"])
                last = graph_time(message.get("created_time"), "the person's last message")
                break
        if not person or last is None:
            raise PermanentError(
                f"no message from the person in {conversation} to answer (Messenger replies answer"
                " someone who wrote to the page)"
            )
        age = datetime.fromtimestamp(self._clock(), UTC) - last
        payload: dict[str, Any] = {"recipient": {"id": person}, "message": {"text": text}}
        if age <= MESSENGER_WINDOW:
            payload["messaging_type"] = "RESPONSE"
        else:
            hours = age.total_seconds() / 3600
            if not self.message_tag:
                raise PermanentError(
                    f"outside Messenger's 24-hour window: the person wrote {hours:.0f} hours ago. Standard replies"
                    " are allowed within 24 hours of their last message; set the account's 'message_tag'"
                    " (HUMAN_AGENT: up to 7 days) or answer through another channel"
                )
            if self.message_tag == "HUMAN_AGENT" and age > HUMAN_AGENT_WINDOW:
                raise PermanentError(
                    f"outside the HUMAN_AGENT tag's 7-day window: the person wrote {hours / 24:.0f} days ago"
                )
            payload |= {"messaging_type": "MESSAGE_TAG", "tag": self.message_tag}
        made = self.graph.call("POST", f"{self.page_id}/messages", json_body=payload)
        if not isinstance(made, Mapping) or not made.get("message_id"):
            raise ConnectorBug("Messenger accepted the message but did not say which it became; it is not sent again")
        return Receipt(str(made["message_id"]))

    def check(self) -> CheckResult:
        page = self.graph.get(
            self.page_id, {"fields": "id,name,username,fan_count,followers_count,verification_status"}
        )
        name = str(page.get("name") or self.page_id)
        notes: list[str] = []
        try:
            self.graph.get(f"{self.page_id}/conversations", {"platform": "messenger", "limit": 1, "fields": "id"})
            can_message = True
        except PermissionDenied as exc:
            can_message = False
            notes.append(f"Messenger is not readable with this token: {exc}")
        followers = page.get("followers_count") or page.get("fan_count")
        if followers is not None:
            notes.append(f"{_int(followers):,} followers")
        handle = f" (@{page['username']})" if page.get("username") else ""
        return CheckResult(
            ok=True,
            identity=f"{name}{handle}",
            can_read=True,
            can_reply=True,
            notes=tuple(notes) + (() if can_message else ("Messenger replies will fail",)),
        )

    def close(self) -> None:
        self.graph.close()


# ------------------------------------------------------------------------------- registration


def _build(account: Account, secret: str, rate: RateControl) -> FacebookConnector:
    settings = account.settings
    return FacebookConnector(
        account.base_url or GRAPH_URL,
        token=secret,
        page_id=str(settings.get("page_id", "") or ""),
        version=str(settings.get("api_version", "") or DEFAULT_VERSION),
        since=since_of(account),
        message_tag=str(settings.get("message_tag", "") or ""),
        rate=rate,
    )


SPEC = ChannelSpec(
    Channel.FACEBOOK,
    "Facebook Page (post comments and Messenger)",
    "",
    "a Page access token (Meta Business Suite or Graph API Explorer: pages_read_engagement,"
    " pages_manage_engagement, pages_messaging)",
    (
        Setting(
            "page_id", "the Page's numeric id (Page > About > Page transparency, or Graph API Explorer)", required=True
        ),
        Setting("api_version", "the Graph API version", default=DEFAULT_VERSION),
        Setting("since", "first sync reads posts and messages since this date (default: 30 days ago)"),
        Setting("message_tag", "Messenger tag for replies after the 24-hour window (e.g. HUMAN_AGENT); empty: refuse"),
    ),
    _build,
    parse_saved,
)

__all__ = ["SPEC", "FacebookConnector", "GraphClient", "graph_error", "graph_time", "parse_saved"]
