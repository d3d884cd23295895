"""YouTube Data API v3, emulated from a scenario: each ``youtube`` account of the scenario is a
channel; its ``post`` events are videos, the public's comments on them are comment threads, and
replies (the scenario's or those posted through the API) are replies in those threads.

* ``GET  /channels?part=snippet&mine=true`` (the token's channel), ``?part=statistics&id=`` (authors'
  subscriber counts; a spam account hides its count)
* ``GET  /videos?part=snippet&id=`` (titles of the videos commented on)
* ``GET  /commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=|videoId=|id=
  &order=time&maxResults=&pageToken=`` (newest activity first; up to 5 replies carried inline,
  ``totalReplyCount`` says how many there are)
* ``GET  /comments?part=snippet&parentId=|id=&maxResults=&pageToken=`` (replies, newest first)
* ``POST /comments?part=snippet`` ``{"snippet": {"parentId", "textOriginal"}}`` (a reply)

As the real API: ids look like YouTube's (11-character video ids, ``Ug...`` thread ids, replies
``<threadId>.<replyId>``); a comment written on the channel itself (a thread that is not under a
video) has no ``videoId``; ``pageInfo.totalResults`` counts the page, not the whole list; times
are ``2019-11-29T02:58:25.000Z``; ``textDisplay`` is HTML (``<br>``, entities), ``textOriginal``
plain. There are no rate headers: the budget is a daily quota in units (a list costs 1, a reply
50); when it is spent every call answers 403 ``quotaExceeded``. Errors have Google's shape
``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}``.

Credentials: ``Authorization: Bearer TOKEN``, one token per channel.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from omniinbox.sandbox.emulation import Emulation, new_token, scenario_accounts
from omniinbox.sandbox.player import Released, ScenarioPlayer
from omniinbox.sandbox.scenario import Person
from omniinbox.sandbox.server import HttpError, Platform, Request, Response

PLATFORM = "youtube"
INLINE_REPLIES = 5  # replies a commentThreads answer carries; the rest are read with comments.list
MAX_TEXT = 10_000
COSTS = {"channels": 1, "videos": 1, "commentThreads": 1, "comments": 1, "insert": 50}
CHANNEL_SUBSCRIBERS = 12_400  # the institution's own channels
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}


def _digest(kind: str, value: str, length: int) -> str:
    raw = base64.urlsafe_b64encode(hashlib.sha256(f"{kind}:{value}".encode()).digest()).decode()
    return raw.replace("=", "")[:length]


def channel_id_for(account_id: str) -> str:
    return "UC" + _digest("channel", account_id, 22)


def video_id_for(thread: str) -> str:
    return _digest("video", thread, 11)


def _author_channel(person_id: str) -> str:
    return "UC" + _digest("person", person_id, 22)


def _top_id(event_id: str) -> str:
    return "Ugx" + _digest("thread", event_id, 16) + "4AaABAg"


def _reply_id(top: str, event_id: str) -> str:
    return f"{top}.9{_digest('reply', event_id, 21)}"


def _when(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def error(status: int, reason: str, message: str, domain: str = "youtube.api") -> HttpError:
    """An error answer shaped like Google's."""
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": _STATUS.get(status, "UNKNOWN"),
        }
    }
    return HttpError(status, body)


@dataclass(slots=True)
class _Thread:
    top: Released
    comment_id: str
    video_id: str | None
    replies: list[tuple[str, Released]] = field(default_factory=list)  # (reply id, event), oldest first
    activity: float = 0.0


@dataclass(slots=True)
class _Index:
    threads: dict[str, _Thread]  # by top-level comment id
    by_account: dict[str, list[_Thread]]  # newest activity first
    replies: dict[str, tuple[_Thread, Released]]  # by reply id
    videos: dict[str, tuple[str, Released | None, str]] = field(default_factory=dict)  # id -> title, post, account
    people: dict[str, Person] = field(default_factory=dict)  # by their channel id


class YouTubePlatform(Platform):
    name = PLATFORM

    def __init__(self, player: ScenarioPlayer, *, tokens: dict[str, str], quota_per_day: int = 10_000) -> None:
        """``tokens`` maps each token to the scenario account (channel) it stands for."""
        super().__init__()
        self.player = player
        self.tokens = dict(tokens)
        self.quota_per_day = quota_per_day
        self._quota_lock = threading.Lock()
        self._quota_day = ""
        self._quota_used = 0
        self._index_lock = threading.Lock()
        self._indexed: tuple[int, _Index] | None = None
        self.route("GET", r"/channels", self.channels)
        self.route("GET", r"/videos", self.videos)
        self.route("GET", r"/commentThreads", self.comment_threads)
        self.route("GET", r"/comments", self.comments)
        self.route("POST", r"/comments", self.insert_comment)

    # ------------------------------------------------------------------ platform hooks

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        return {}  # YouTube sends none: its budget is the daily quota

    def authorize(self, request: Request) -> bool:
        return self._account(request) is not None

    def unauthorized(self) -> Response:
        message = (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or"
            " other valid authentication credential."
        )
        body = error(401, "authError", message, "global").body
        body["error"]["errors"][0].update({"location": "Authorization", "locationType": "header"})
        return Response(401, body, {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})

    def _account(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return None
        return self.tokens.get(header.removeprefix("Bearer ").strip())

    def _spend(self, what: str) -> None:
        cost = COSTS[what]
        with self._quota_lock:
            day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 8 * 3600))  # the Pacific day, near enough
            if day != self._quota_day:
                self._quota_day, self._quota_used = day, 0
            if self._quota_used + cost > self.quota_per_day:
                message = (
                    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
                    'getting-started#quota">quota</a>.'
                )
                raise error(403, "quotaExceeded", message, "youtube.quota")
            self._quota_used += cost

    # ------------------------------------------------------------------ the scenario as threads

    def _index(self) -> _Index:
        grouped = self.player.threads(PLATFORM)
        with self._index_lock:
            if self._indexed is not None and self._indexed[0] == id(grouped) and self._source is grouped:
                return self._indexed[1]
            released = sorted((r for events in grouped.values() for r in events), key=lambda r: r.seq)
            index = self._build(released)
            self._source = grouped
            self._indexed = (id(grouped), index)
            return index

    _source: Any = None

    def _build(self, released: list[Released]) -> _Index:
        by_event = {r.event.id: r for r in released}
        threads: dict[str, _Thread] = {}
        top_of_event: dict[str, _Thread] = {}
        replies: dict[str, tuple[_Thread, Released]] = {}
        videos: dict[str, tuple[str, Released | None, str]] = {}
        people: dict[str, Person] = {}
        for r in released:
            if r.event.kind == "post":
                continue  # a video, not a comment
            parent = by_event.get(r.event.reply_to) if r.event.reply_to else None
            if parent is None or parent.event.kind == "post" or parent.event.id not in top_of_event:
                comment_id = _top_id(r.event.id)
                standalone = r.event.thread == r.event.id  # a comment on the channel itself
                thread = _Thread(r, comment_id, None if standalone else video_id_for(r.event.thread))
                threads[comment_id] = thread
                top_of_event[r.event.id] = thread
            else:
                thread = top_of_event[parent.event.id]
                reply_id = _reply_id(thread.comment_id, r.event.id)
                thread.replies.append((reply_id, r))
                replies[reply_id] = (thread, r)
                top_of_event[r.event.id] = thread
            thread.activity = max(thread.activity, self.player.wall_time(r.event))
            if r.author is not None:
                people[_author_channel(r.author.id)] = r.author
            if thread.video_id and thread.video_id not in videos:
                post = by_event.get(r.event.thread)
                title = post.event.text if post is not None else f"Siaran {r.account.name} ({r.event.thread})"
                videos[thread.video_id] = (title, post, r.account.id)
        by_account: dict[str, list[_Thread]] = {}
        for thread in threads.values():
            by_account.setdefault(thread.top.account.id, []).append(thread)
        for listed in by_account.values():
            listed.sort(key=lambda t: (t.activity, t.top.seq), reverse=True)
        return _Index(threads, by_account, replies, videos, people)

    # ------------------------------------------------------------------ rendering

    def _comment(self, thread: _Thread, comment_id: str, released: Released, *, reply: bool) -> dict[str, Any]:
        event = released.event
        account = released.account
        channel = channel_id_for(account.id)
        if released.author is None:  # the channel itself
            name, author_channel = account.handle, channel
        else:
            handle = released.author.handle_on(PLATFORM)
            slug = "".join(ch for ch in released.author.name if ch.isalnum())
            name, author_channel = (
                (handle if handle.startswith("@") else f"@{slug}"),
                _author_channel(released.author.id),
            )
        written = _when(self.player.wall_time(event))
        snippet: dict[str, Any] = {
            "channelId": channel,
            "authorDisplayName": name,
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{_digest('avatar', author_channel, 20)}=s48-c-k",
            "authorChannelUrl": f"http://www.youtube.com/channel/{author_channel}",
            "authorChannelId": {"value": author_channel},
            "textDisplay": html.escape(event.text).replace("\n", "<br />"),
            "textOriginal": event.text,
            "canRate": True,
            "viewerRating": "none",
            "likeCount": released.likes,
            "publishedAt": written,
            "updatedAt": written,
        }
        if thread.video_id:
            snippet["videoId"] = thread.video_id
        if reply:
            snippet["parentId"] = thread.comment_id
        return {
            "kind": "youtube#comment",
            "etag": _digest("etag", comment_id + written, 27),
            "id": comment_id,
            "snippet": snippet,
        }

    def _thread(self, thread: _Thread, with_replies: bool) -> dict[str, Any]:
        channel = channel_id_for(thread.top.account.id)
        snippet: dict[str, Any] = {
            "channelId": channel,
            "topLevelComment": self._comment(thread, thread.comment_id, thread.top, reply=False),
            "canReply": True,
            "totalReplyCount": len(thread.replies),
            "isPublic": True,
        }
        if thread.video_id:
            snippet = {"channelId": channel, "videoId": thread.video_id, **snippet}
        made: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": _digest("etag", thread.comment_id + str(thread.activity), 27),
            "id": thread.comment_id,
            "snippet": snippet,
        }
        if with_replies and thread.replies:
            carried = thread.replies[:INLINE_REPLIES]
            made["replies"] = {"comments": [self._comment(thread, rid, r, reply=True) for rid, r in carried]}
        return made

    # ------------------------------------------------------------------ paging

    @staticmethod
    def _page_size(request: Request) -> int:
        raw = request.arg("maxResults", "20") or "20"
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise error(400, "invalidParameter", f"Invalid value '{raw}'. Values must be within the range: [1, 100]")
        return int(raw)

    @staticmethod
    def _offset(request: Request, scope: str) -> int:
        token = request.arg("pageToken")
        if not token:
            return 0
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode() + b"=="))
            if data["s"] != scope:
                raise ValueError(scope)
            return int(data["o"])
        except (ValueError, KeyError, TypeError):
            raise error(400, "invalidPageToken", "The request specifies an invalid page token.") from None

    @staticmethod
    def _token(scope: str, offset: int) -> str:
        raw = json.dumps({"s": scope, "o": offset, "n": _digest("nonce", f"{scope}{offset}", 12)})
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @staticmethod
    def _parts(request: Request) -> set[str]:
        part = request.arg("part")
        if not part:
            raise error(400, "required", "Required parameter: part", "global")
        return {p.strip() for p in part.split(",")}

    def _listing(self, kind: str, page: list[Any], size: int, scope: str, offset: int, total: int) -> Response:
        """A list answer: ``page`` holds the entries from ``offset`` of ``total``."""
        body: dict[str, Any] = {"kind": kind, "etag": _digest("etag", f"{scope}{offset}{total}", 27)}
        if offset + size < total:
            body["nextPageToken"] = self._token(scope, offset + size)
        body["pageInfo"] = {"totalResults": len(page), "resultsPerPage": size}  # the page's count, as YouTube
        body["items"] = page
        return Response(body=body)

    # ------------------------------------------------------------------ routes

    def channels(self, request: Request) -> Response:
        """``mine=true``: the token's channel; ``id=``: channels by id (authors, for statistics)."""
        self._spend("channels")
        parts = self._parts(request)
        index = self._index()
        own = {channel_id_for(a.id): a for a in self.player.accounts(PLATFORM)}
        if request.arg("mine") == "true":
            account_id = self._account(request)
            wanted = [channel_id_for(account_id or "")]
        elif request.arg("id"):
            wanted = [i.strip() for i in (request.arg("id") or "").split(",")][:50]
        else:
            raise error(400, "missingRequiredParameter", "No filter selected. Expected one of: mine, id, forHandle")
        found = []
        for channel_id in wanted:
            account, person = own.get(channel_id), index.people.get(channel_id)
            if account is None and person is None:
                continue  # an unknown id is left out, as YouTube does
            channel: dict[str, Any] = {
                "kind": "youtube#channel",
                "etag": _digest("etag", channel_id, 27),
                "id": channel_id,
            }
            if "snippet" in parts:
                title = account.name if account is not None else person.name if person is not None else ""
                handle = account.handle if account is not None else f"@{channel_id[2:10].lower()}"
                channel["snippet"] = {"title": title, "description": "", "customUrl": handle.lower()}
            if "statistics" in parts:
                subscribers = CHANNEL_SUBSCRIBERS if person is None else person.followers
                hidden = person is not None and person.kind == "spam"  # some hide their count
                channel["statistics"] = {"viewCount": "0", "videoCount": "0", "hiddenSubscriberCount": hidden}
                if not hidden:
                    channel["statistics"]["subscriberCount"] = str(subscribers)
            found.append(channel)
        body = {
            "kind": "youtube#channelListResponse",
            "etag": _digest("etag", ",".join(wanted), 27),
            "pageInfo": {"totalResults": len(found), "resultsPerPage": 5},
            "items": found,
        }
        return Response(body=body)

    def videos(self, request: Request) -> Response:
        self._spend("videos")
        parts = self._parts(request)
        index = self._index()
        wanted = [i.strip() for i in (request.arg("id") or "").split(",") if i.strip()]
        if not wanted:
            raise error(400, "missingRequiredParameter", "No filter selected. Expected one of: id, chart, myRating")
        found = []
        for video_id in wanted[:50]:
            known = index.videos.get(video_id)
            if known is None:
                continue
            title, post, account_id = known
            video: dict[str, Any] = {"kind": "youtube#video", "etag": _digest("etag", video_id, 27), "id": video_id}
            if "snippet" in parts:
                published = self.player.wall_time(post.event) if post is not None else time.time() - 86_400
                video["snippet"] = {
                    "publishedAt": _when(published),
                    "channelId": channel_id_for(account_id),
                    "title": title,
                    "description": "",
                    "categoryId": "25",
                }
            found.append(video)
        body = {
            "kind": "youtube#videoListResponse",
            "etag": _digest("etag", ",".join(wanted), 27),
            "items": found,
            "pageInfo": {"totalResults": len(found), "resultsPerPage": len(found)},
        }
        return Response(body=body)

    def comment_threads(self, request: Request) -> Response:
        self._spend("commentThreads")
        parts = self._parts(request)
        index = self._index()
        filters = [f for f in ("allThreadsRelatedToChannelId", "videoId", "id") if request.arg(f)]
        if len(filters) != 1:
            expected = "allThreadsRelatedToChannelId, channelId, id, videoId"
            raise error(400, "missingRequiredParameter", f"No filter selected. Expected one of: {expected}")
        order = request.arg("order", "time")
        if order not in ("time", "relevance"):
            raise error(400, "invalidParameter", f"Invalid value '{order}'. Values must be one of: [time, relevance]")
        if filters[0] == "id":
            wanted = [i.strip() for i in (request.arg("id") or "").split(",")]
            found = [self._thread(index.threads[i], "replies" in parts) for i in wanted if i in index.threads]
            return self._listing("youtube#commentThreadListResponse", found, max(len(found), 1), "id", 0, len(found))
        size = self._page_size(request)
        if filters[0] == "allThreadsRelatedToChannelId":
            channel = request.arg("allThreadsRelatedToChannelId") or ""
            account = next((a for a in self.player.accounts(PLATFORM) if channel_id_for(a.id) == channel), None)
            if account is None:
                what = "<code>allThreadsRelatedToChannelId</code>"
                raise error(
                    404, "channelNotFound", f"The channel identified by the {what} parameter could not be found."
                )
            listed = index.by_account.get(account.id, [])
            scope = channel
        else:
            video = request.arg("videoId") or ""
            listed = [t for threads in index.by_account.values() for t in threads if t.video_id == video]
            listed.sort(key=lambda t: (t.activity, t.top.seq), reverse=True)
            if not listed and not any(video_id_for(e.thread) == video for e in self._videos()):
                what = "<code>videoId</code>"
                raise error(404, "videoNotFound", f"The video identified by the {what} parameter could not be found.")
            scope = video
        offset = self._offset(request, scope)
        rendered = [self._thread(t, "replies" in parts) for t in listed[offset : offset + size]]
        return self._listing("youtube#commentThreadListResponse", rendered, size, scope, offset, len(listed))

    def _videos(self) -> list[Any]:
        return [r.event for r in self.player.released(PLATFORM) if r.event.kind == "post"]

    def comments(self, request: Request) -> Response:
        self._spend("comments")
        self._parts(request)
        index = self._index()
        parent = request.arg("parentId")
        ids = request.arg("id")
        if bool(parent) == bool(ids):
            raise error(400, "missingRequiredParameter", "No filter selected. Expected one of: id, parentId")
        if ids:
            found = []
            for wanted in (i.strip() for i in ids.split(",")):
                if wanted in index.threads:
                    top = index.threads[wanted]
                    found.append(self._comment(top, wanted, top.top, reply=False))
                elif wanted in index.replies:
                    of, r = index.replies[wanted]
                    found.append(self._comment(of, wanted, r, reply=True))
            listing = {"kind": "youtube#commentListResponse", "etag": _digest("etag", ids, 27), "items": found}
            return Response(body=listing)
        thread = index.threads.get(parent or "")
        if thread is None:
            what = "<code>parentId</code>"
            raise error(404, "commentNotFound", f"The comment identified by the {what} parameter could not be found.")
        size = self._page_size(request)
        offset = self._offset(request, thread.comment_id)
        newest_first = list(reversed(thread.replies))
        chunk = [self._comment(thread, rid, r, reply=True) for rid, r in newest_first[offset : offset + size]]
        body: dict[str, Any] = {"kind": "youtube#commentListResponse", "etag": _digest("etag", f"{parent}{offset}", 27)}
        if offset + size < len(newest_first):
            body["nextPageToken"] = self._token(thread.comment_id, offset + size)
        body["pageInfo"] = {"resultsPerPage": size}  # comments.list gives no totalResults
        body["items"] = chunk
        return Response(body=body)

    def insert_comment(self, request: Request) -> Response:
        parts = self._parts(request)
        if "snippet" not in parts:
            raise error(400, "invalidPart", "The request specifies an invalid part: snippet is required")
        data = request.json()
        snippet = data.get("snippet") if isinstance(data, dict) else None
        if not isinstance(snippet, dict):
            raise error(400, "invalidCommentMetadata", "The request metadata is invalid: snippet is required")
        parent, text = str(snippet.get("parentId") or ""), snippet.get("textOriginal")
        if not isinstance(text, str) or not text.strip():
            raise error(400, "commentTextRequired", "The comment must contain text.")
        if len(text) > MAX_TEXT:
            message = "The comment resource that is being inserted contains too many characters in textOriginal."
            raise error(400, "commentTextTooLong", message)
        index = self._index()
        if parent in index.replies:
            message = "The parentId must identify a top-level comment; replies to replies are not supported."
            raise error(400, "operationNotSupported", message)
        thread = index.threads.get(parent)
        if thread is None:
            raise error(404, "parentCommentNotFound", "The parent comment could not be found.")
        account_id = self._account(request)
        if account_id != thread.top.account.id:
            message = "The comment cannot be created: in this sandbox a channel answers its own videos only."
            raise error(403, "forbidden", message)
        self._spend("insert")
        made = self.player.add_reply(account_id, thread.top.event.id, text, kind="reply")
        reply_id = _reply_id(thread.comment_id, made.event.id)
        return Response(body=self._comment(thread, reply_id, made, reply=True))


def emulate(player: ScenarioPlayer) -> Emulation:
    """The platform and, given its base URL, one sandbox account per YouTube channel of the scenario."""
    accounts = player.accounts(PLATFORM)
    tokens = {new_token(): a.id for a in accounts}
    by_account = {account_id: token for token, account_id in tokens.items()}
    return Emulation(
        YouTubePlatform(player, tokens=tokens),
        lambda url: scenario_accounts(
            PLATFORM,
            accounts,
            url,
            token=by_account.__getitem__,
            settings=lambda a: {"channel_id": channel_id_for(a), "since": "2000-01-01"},
            name_suffix="",
        ),
    )
