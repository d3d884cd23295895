"""YouTube Data API v3: comments on a channel's videos (and on the channel itself) in, replies out.

Reading lists ``GET /commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=CHANNEL
&order=time&maxResults=100`` (newest first, paged with ``pageToken``/``nextPageToken``) and stops
at the first thread with no activity since the last sync. A thread is a top-level comment and its
replies; the answer carries some replies inline (``replies.comments``) and the count of all of
them (``totalReplyCount``); when some are missing, ``GET /comments?part=snippet&parentId=`` is
read to the end. The cursor (JSON) holds the newest activity seen (``since``, milliseconds) and,
inside one sync, the page token and the newest time found so far. A thread whose newest activity
equals ``since`` is read again (one thread per sync): two comments written within the same
second are not lost. Stopping there relies on ``order=time`` putting a thread with a new reply
back on top (the emulation does so); a platform that ordered by the top-level comment alone would
leave late replies on old threads to a full sync (an account's cursor reset).

Records: the conversation is the video (``videoId``); a thread on the channel itself (no
``videoId``, see the corpus) belongs to the channel's conversation (its id); a reply read alone
from a saved ``comments.list`` answer belongs to its thread. A top-level comment is a
``comment``, a reply a ``reply`` whose parent is the top-level comment (YouTube replies are one
level deep; a reply's id is ``<threadId>.<replyId>``). ``textOriginal`` (plain) is preferred;
otherwise ``textDisplay`` (HTML: links, ``<br>``, entities) is turned into plain text. Authors are
channels: ``authorChannelId.value``, ``authorDisplayName`` (an ``@handle`` since 2023, kept as the
handle too when it is one), ``authorChannelUrl``. A comment carries no follower count: the
authors' subscriber counts are read with ``GET /channels?part=statistics&id=`` (50 a call, once per
run; a hidden count stays unknown), and the videos' titles, the conversations' subjects, with
``GET /videos?part=snippet&id=``. The API shows no verified mark. Comments written by the
account's own channel are outbound.

Writing: a reply is ``POST /comments?part=snippet`` with ``snippet.parentId`` (the top-level
comment; a reply to a reply goes to its thread, as on youtube.com) and ``snippet.textOriginal``;
the receipt is the new comment's id. YouTube has no private replies.

Errors come as ``{"error": {"code", "message", "errors": [{"reason"}]}}``. A 403 is sorted by its
reason, not its status: ``quotaExceeded`` (the project's daily quota; it resets at midnight
Pacific time, so the wait until then is reported) and ``rateLimitExceeded`` are rate limits,
anything else (``forbidden``, ``insufficientPermissions``, ``commentsDisabled``...) a permission
problem. A 401 is an expired or wrong access token (they last an hour).

Credentials: an OAuth 2.0 access token (Bearer) with the ``youtube.force-ssl`` scope; the
settings give the channel's id (``UC...``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from omniinbox.connectors.base import CheckResult, ConnectorBug, PermanentError, PermissionDenied, RateLimited
from omniinbox.connectors.http import BearerAuth, HttpClient, RateControl
from omniinbox.connectors.mail import html_to_text
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

DEFAULT_BASE = "https://www.googleapis.com/youtube/v3"
PAGE_SIZE = 100  # the most commentThreads.list and comments.list return per page
MAX_TEXT = 10_000  # characters YouTube accepts in a comment
CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})


# ---------------------------------------------------------------------------------- parsing


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} has no publishedAt")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} has an unreadable time {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def comment_text(snippet: Mapping[str, Any]) -> str:
    """The plain text of a comment: ``textOriginal`` when given, else ``textDisplay`` (HTML)."""
    original = snippet.get("textOriginal")
    if isinstance(original, str):
        return original.strip()
    display = snippet.get("textDisplay")
    return html_to_text(display) if isinstance(display, str) else ""


def comment_author(snippet: Mapping[str, Any]) -> Author | None:
    channel = snippet.get("authorChannelId")
    channel_id = channel.get("value") if isinstance(channel, Mapping) else channel
    name = str(snippet.get("authorDisplayName") or "")
    if not isinstance(channel_id, str) or not channel_id:
        return None
    return Author(
        external_id=channel_id,
        name=name.lstrip("@") if name.startswith("@") else name,
        handle=name if name.startswith("@") else "",
        url=str(snippet.get("authorChannelUrl") or f"https://www.youtube.com/channel/{channel_id}"),
    )


def _permalink(video_id: str | None, comment_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id else ""


def comment_item(
    comment: Mapping[str, Any],
    *,
    conversation: str | None = None,
    video_id: str | None = None,
    own_channel: str = "",
    replies: int = 0,
) -> Item:
    """One ``youtube#comment``: a top-level comment, or a reply (it has ``parentId`` or a dotted id)."""
    comment_id = comment.get("id")
    if not isinstance(comment_id, str) or not comment_id:
        raise ValueError("a comment without an id")
    snippet = comment.get("snippet")
    if not isinstance(snippet, Mapping):
        raise ValueError(f"comment {comment_id} has no snippet")
    parent = snippet.get("parentId")
    if not isinstance(parent, str) or not parent:
        parent = comment_id.split(".", 1)[0] if "." in comment_id else None
    video_id = video_id or (str(snippet["videoId"]) if snippet.get("videoId") else None)
    conversation = conversation or video_id or (str(snippet["channelId"]) if snippet.get("channelId") else None)
    conversation = conversation or parent or comment_id
    created = _time(snippet.get("publishedAt"), f"comment {comment_id}")
    updated = _time(snippet["updatedAt"], f"comment {comment_id}") if snippet.get("updatedAt") else created
    author = comment_author(snippet)
    own = bool(own_channel) and author is not None and author.external_id == own_channel
    return Item(
        external_id=comment_id,
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        text=comment_text(snippet),
        conversation_id=conversation,
        created_at=created,
        author=author,
        direction=Direction.OUTBOUND if own else Direction.INBOUND,
        parent_id=parent,
        permalink=_permalink(video_id, comment_id),
        edited_at=updated if updated > created else None,
        engagement=Engagement(likes=_count(snippet.get("likeCount")), replies=replies),
        visibility=Visibility.PUBLIC,
        raw=comment,
    )


def thread_parts(thread: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Mapping[str, Any]], int]:
    """A ``youtube#commentThread``'s top-level comment, the replies it carries, and how many
    replies it has in all."""
    snippet = thread.get("snippet")
    if not isinstance(snippet, Mapping) or not isinstance(snippet.get("topLevelComment"), Mapping):
        raise ValueError(f"thread {thread.get('id')} has no topLevelComment")
    block = thread.get("replies")
    inline = block.get("comments") if isinstance(block, Mapping) else None
    replies = [c for c in inline if isinstance(c, Mapping)] if isinstance(inline, list) else []
    return snippet["topLevelComment"], replies, _count(snippet.get("totalReplyCount"))


def thread_activity(thread: Mapping[str, Any]) -> datetime:
    """The newest time in a thread: its top-level comment's (or a carried reply's) update."""
    top, replies, _ = thread_parts(thread)
    times = []
    for comment in (top, *replies):
        snippet = comment.get("snippet")
        if isinstance(snippet, Mapping):
            value = snippet.get("updatedAt") or snippet.get("publishedAt")
            if value:
                times.append(_time(value, f"comment {comment.get('id')}"))
    if not times:
        raise ValueError(f"thread {thread.get('id')} has no time")
    return max(times)


def thread_items(thread: Mapping[str, Any], own_channel: str = "") -> list[Item]:
    """The top-level comment and the carried replies of a thread, all in the video's conversation."""
    top, replies, total = thread_parts(thread)
    snippet = thread["snippet"]
    video_id = str(snippet["videoId"]) if snippet.get("videoId") else None
    channel_id = str(snippet["channelId"]) if snippet.get("channelId") else None
    conversation = video_id or channel_id
    first = comment_item(top, conversation=conversation, video_id=video_id, own_channel=own_channel, replies=total)
    items = [first]
    for reply in replies:
        items.append(
            comment_item(reply, conversation=first.conversation_id, video_id=video_id, own_channel=own_channel)
        )
    return items


def _items_of(body: Any, what: str) -> list[Any]:
    if isinstance(body, Mapping) and isinstance(body.get("items"), list):
        return list(body["items"])
    raise ConnectorBug(f"YouTube's {what} answer has no items list")


def parse_saved(body: Any, own_channel: str = "") -> Page:
    """A saved YouTube answer: ``commentThreads.list`` (threads, with any replies they carry),
    ``comments.list`` (replies by ``parentId``, or comments by ``id``), or one thread or comment.
    A JSON list of such answers is read in order (``.jsonl`` files come one answer at a time).
    An error answer is a problem, not a crash; a comment repeated across saved pages is kept once."""
    page = Page()
    bodies: Iterable[Any] = body if isinstance(body, list) else [body]
    seen: set[str] = set()
    for n, answer in enumerate(bodies):
        if isinstance(answer, Mapping) and isinstance(answer.get("error"), Mapping):
            error = answer["error"]
            reasons = [e.get("reason") for e in error.get("errors", []) if isinstance(e, Mapping)]
            page.problems.append(
                SyncProblem(
                    f"an error answer: {error.get('code')} {error.get('message')}", detail=", ".join(map(str, reasons))
                )
            )
            continue
        if isinstance(answer, Mapping) and answer.get("kind") in ("youtube#commentThread", "youtube#comment"):
            entries: list[Any] = [answer]
        elif isinstance(answer, Mapping) and isinstance(answer.get("items"), list):
            entries = answer["items"]
        else:
            page.problems.append(SyncProblem(f"answer {n} is neither a YouTube list nor a thread or comment"))
            continue
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                page.problems.append(SyncProblem(f"answer {n}: an entry without an id"))
                continue
            try:
                if entry.get("kind") == "youtube#commentThread" or "topLevelComment" in (entry.get("snippet") or {}):
                    made = thread_items(entry, own_channel)
                else:
                    made = [comment_item(entry, own_channel=own_channel)]
            except (KeyError, ValueError, TypeError) as exc:
                page.problems.append(SyncProblem(f"answer {n}: {exc}", external_id=str(entry.get("id"))))
                continue
            for item in made:
                if item.external_id not in seen:
                    seen.add(item.external_id)
                    page.items.append(item)
    return page


# ---------------------------------------------------------------------------------- quota


def _pacific_midnight_in(now: datetime) -> float:
    """Seconds until the next midnight in Pacific time, when YouTube's daily quota resets."""
    try:
        from zoneinfo import ZoneInfo

        zone: Any = ZoneInfo("America/Los_Angeles")
        local = now.astimezone(zone)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    except Exception:  # no time zone data on this system: Pacific standard time is near enough
        local = now.astimezone(UTC) - timedelta(hours=8)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return max((midnight - local).total_seconds(), 60.0)
    return max((midnight - now).total_seconds(), 60.0)


def _error_reason(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text.strip()[:200]
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return "", ""
    errors = error.get("errors")
    reason = ""
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        reason = str(errors[0].get("reason") or "")
    return reason, str(error.get("message") or "")[:200]


def _chunks(values: list[str], size: int = 50) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _plain(message: str) -> str:
    return re.sub(r"<[^>]+>", "", message).strip()


# ---------------------------------------------------------------------------------- connector


class YouTubeConnector:
    """Comment threads of one channel, and replies as that channel."""

    streams: tuple[str, ...] = ("comments",)
    read_ahead = True

    def __init__(
        self,
        base_url: str = DEFAULT_BASE,
        *,
        token: str,
        channel_id: str,
        since: datetime | None = None,
        rate: RateControl | None = None,
        clock: Callable[[], float] = time.time,
        **client: Any,
    ) -> None:
        channel_id = channel_id.strip()
        if not CHANNEL_ID.match(channel_id):
            raise PermanentError(
                f"YouTube needs the channel's id (setting 'channel_id': UC followed by 22 characters,"
                f" in YouTube Studio > Settings > Channel > Advanced settings), not {channel_id[:40]!r}"
            )
        self.http = HttpClient(
            base_url or DEFAULT_BASE, auth=BearerAuth(token), secrets=[token], rate=rate, clock=clock, **client
        )
        self.channel_id = channel_id
        since = since or (utcnow() - timedelta(days=30))
        self.since = since if since.tzinfo else since.replace(tzinfo=UTC)
        self._clock = clock
        self._titles: dict[str, str] = {}  # video id -> title, learnt once per run
        self._subscribers: dict[str, int | None] = {}  # channel id -> subscribers (None: hidden)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def __repr__(self) -> str:
        return f"YouTubeConnector(channel={self.channel_id!r}, host={self.http.host!r})"

    # ------------------------------------------------------------------ HTTP

    def _call(self, method: str, path: str, params: Mapping[str, Any], body: Any = None) -> Any:
        """One API call; a 403 is sorted by YouTube's reason (quota, rate, or permission)."""
        response = self.http.request(
            method, path, params=params, json_body=body, ok=(403,), attempts=3 if method == "GET" else 2
        )
        if response.status_code == 403:
            reason, message = _error_reason(response)
            where = f"{method} {self.http.host}{urlsplit(self.http.url(path)).path}"
            said = _plain(message) or "forbidden"
            if reason in QUOTA_REASONS:
                wait = _pacific_midnight_in(self._now())
                self.http.rate.block(self.http.rate_key, wait)
                hours, minutes = int(wait // 3600), int(wait % 3600 // 60)
                raise RateLimited(
                    f"{where}: YouTube's daily API quota is used up ({reason}); it resets at midnight"
                    f" Pacific time, in {hours} h {minutes} min",
                    retry_after=wait,
                )
            if reason in RATE_REASONS:
                self.http.rate.block(self.http.rate_key, 60.0)
                raise RateLimited(f"{where}: YouTube asks to slow down ({reason}): {said}", retry_after=60.0)
            raise PermissionDenied(f"{where}: 403 {said}" + (f" ({reason})" if reason else ""))
        return self.http.json_of(response)

    # ------------------------------------------------------------------ reading

    def fetch(self, stream: str, cursor: str | None) -> Page:
        if stream != "comments":
            raise PermanentError(f"YouTube has no stream {stream!r}; it has: comments")
        state = self._state(cursor)
        since = int(state["since"])
        newest = int(state.get("newest", since))
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": self.channel_id,
            "order": "time",
            "maxResults": PAGE_SIZE,
            "textFormat": "html",
        }
        if state.get("token"):
            params["pageToken"] = state["token"]
        body = self._call("GET", "commentThreads", params)
        threads = _items_of(body, "commentThreads")
        page = Page()
        reached_old = False
        for thread in threads:
            if not isinstance(thread, Mapping):
                page.problems.append(SyncProblem("a comment thread that is not an object"))
                continue
            try:
                activity = _millis(thread_activity(thread))
            except (KeyError, ValueError, TypeError) as exc:
                page.problems.append(SyncProblem(f"thread: {exc}", external_id=str(thread.get("id", ""))))
                continue
            if activity < since:
                reached_old = True
                break
            newest = max(newest, activity)
            self._read_thread(thread, page)
        self._describe(page)
        token = body.get("nextPageToken") if isinstance(body, Mapping) else None
        if reached_old or not token:
            page.next_cursor = json.dumps({"since": newest})
        else:
            page.has_more = True
            page.next_cursor = json.dumps({"since": since, "newest": newest, "token": token})
        return page

    def _state(self, cursor: str | None) -> dict[str, Any]:
        if not cursor:
            return {"since": _millis(self.since)}
        try:
            state = json.loads(cursor)
            int(state["since"])
        except (ValueError, KeyError, TypeError):
            raise ConnectorBug(
                f"the stored YouTube cursor is unreadable ({cursor[:60]!r}); reset the account's sync"
            ) from None
        return dict(state)

    def _read_thread(self, thread: Mapping[str, Any], page: Page) -> None:
        try:
            items = thread_items(thread, self.channel_id)
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"thread: {exc}", external_id=str(thread.get("id", ""))))
            return
        page.items.extend(items)
        _, carried, total = thread_parts(thread)
        if total <= len(carried):
            return
        top = items[0]
        carried_ids = {i.external_id for i in items[1:]}
        video_id = str(thread["snippet"].get("videoId") or "") or None
        params: dict[str, Any] = {
            "part": "snippet",
            "parentId": top.external_id,
            "maxResults": PAGE_SIZE,
            "textFormat": "html",
        }
        while True:
            body = self._call("GET", "comments", params)
            for comment in _items_of(body, "comments"):
                try:
                    item = comment_item(
                        comment, conversation=top.conversation_id, video_id=video_id, own_channel=self.channel_id
                    )
                    if item.external_id not in carried_ids:  # the carried ones are in the page already
                        page.items.append(item)
                except (KeyError, ValueError, TypeError, AttributeError) as exc:
                    page.problems.append(SyncProblem(f"reply in thread {top.external_id}: {exc}"))
            token = body.get("nextPageToken") if isinstance(body, Mapping) else None
            if not token:
                return
            params = {**params, "pageToken": token}

    def _describe(self, page: Page) -> None:
        """Video titles as the conversations' subjects, and the authors' subscriber counts, for
        what this run has not learnt yet (50 a call, one quota unit each)."""
        videos = {i.conversation_id for i in page.items if VIDEO_ID.match(i.conversation_id)}
        for chunk in _chunks(sorted(videos - self._titles.keys())):
            body = self._call("GET", "videos", {"part": "snippet", "id": ",".join(chunk), "maxResults": 50})
            for video in _items_of(body, "videos"):
                if isinstance(video, Mapping) and isinstance(video.get("snippet"), Mapping):
                    self._titles[str(video.get("id"))] = str(video["snippet"].get("title") or "")
            for video_id in chunk:
                title = self._titles.setdefault(video_id, "")  # a deleted or private video: no title
                if title:
                    page.conversations.append(ConversationInfo(video_id, ItemKind.POST, title))
        channels = {i.author.external_id for i in page.items if i.author is not None}
        for chunk in _chunks(sorted(channels - self._subscribers.keys())):
            body = self._call("GET", "channels", {"part": "statistics", "id": ",".join(chunk), "maxResults": 50})
            for channel in _items_of(body, "channels"):
                stats = channel.get("statistics") if isinstance(channel, Mapping) else None
                if isinstance(stats, Mapping):
                    hidden = stats.get("hiddenSubscriberCount") is True
                    count = stats.get("subscriberCount")
                    known = None if hidden or count is None else _count(count)
                    self._subscribers[str(channel.get("id"))] = known
            for channel_id in chunk:
                self._subscribers.setdefault(channel_id, None)
        for n, item in enumerate(page.items):
            author = item.author
            followers = self._subscribers.get(author.external_id) if author is not None else None
            if author is not None and followers is not None and author.followers != followers:
                page.items[n] = dataclasses.replace(item, author=dataclasses.replace(author, followers=followers))

    # ------------------------------------------------------------------ writing

    def send(self, reply: OutgoingReply) -> Receipt:
        if reply.visibility is Visibility.PRIVATE:
            raise PermanentError("YouTube has no private replies: a reply to a comment is public")
        parent = reply.in_reply_to_external_id
        if not parent:
            raise PermanentError("a YouTube reply answers a comment: choose the comment to reply to")
        text = reply.body.strip()
        if not text:
            raise PermanentError("the reply is empty")
        if len(text) > MAX_TEXT:
            raise PermanentError(f"the reply has {len(text):,} characters; YouTube takes at most {MAX_TEXT:,}")
        thread = parent.split(".", 1)[0]  # replies are one level deep: a reply to a reply joins its thread
        body = {"snippet": {"parentId": thread, "textOriginal": text}}
        made = self._call("POST", "comments", {"part": "snippet"}, body)
        if not isinstance(made, Mapping) or not isinstance(made.get("id"), str):
            raise ConnectorBug("YouTube accepted the reply but did not say which comment it became")
        video = reply.conversation_external_id
        video_id = video if video and not video.startswith("UC") and "." not in video else None
        return Receipt(made["id"], _permalink(video_id, made["id"]))

    def check(self) -> CheckResult:
        body = self._call("GET", "channels", {"part": "snippet", "mine": "true"})
        channels = _items_of(body, "channels")
        if not channels or not isinstance(channels[0], Mapping):
            return CheckResult(ok=False, notes=("the token belongs to a Google account without a YouTube channel",))
        mine = channels[0]
        snippet = mine.get("snippet")
        snippet = snippet if isinstance(snippet, Mapping) else {}
        identity = f"{snippet.get('title', '')} ({snippet.get('customUrl') or mine.get('id')})".strip()
        same = mine.get("id") == self.channel_id
        notes: tuple[str, ...] = ()
        if not same:
            notes = (f"the token is channel {mine.get('id')}'s, not {self.channel_id}'s: replies would come from it",)
        return CheckResult(ok=True, identity=identity, can_read=True, can_reply=same, notes=notes)

    def close(self) -> None:
        self.http.close()


# ---------------------------------------------------------------------------------- registry


def _build(account: Account, secret: str, rate: RateControl) -> YouTubeConnector:
    channel_id = str(account.settings.get("channel_id", "") or "")
    return YouTubeConnector(
        account.base_url or DEFAULT_BASE, token=secret, channel_id=channel_id, since=since_of(account), rate=rate
    )


SPEC = ChannelSpec(
    Channel.YOUTUBE,
    "YouTube (comments on the channel's videos)",
    "",
    "an OAuth 2.0 access token of the channel's Google account (scope youtube.force-ssl)",
    (
        Setting(
            "channel_id", "the channel's id, UC... (YouTube Studio > Settings > Channel > Advanced)", required=True
        ),
        Setting("since", "first sync reads comments since this date (default: 30 days ago)"),
    ),
    _build,
    parse_saved,
)
