"""X (Twitter) API v2: mentions, the account's own posts and direct messages in; replies and DMs out.

Three streams, each with its own cursor:

* ``mentions``: ``GET /2/users/:id/mentions``, newest first. Within one sync the pages are
  followed with ``pagination_token``; across syncs ``since_id`` (the newest id the previous sync
  saw) asks only for what is new. The first sync reads from the account's ``since`` date
  (``start_time``) or the platform's default window.
* ``tweets``: ``GET /2/users/:id/tweets`` (retweets left out), paged the same way. A reply sent
  from here never mentions the account itself, so it is on this timeline, not on the mentions:
  this is where the next sync sees it, in its thread, as the platform shows it.
* ``dms``: ``GET /2/dm_events`` (``MessageCreate`` events), newest first, paged with
  ``pagination_token``. There is no ``since_id`` here: a sync reads back until the newest event
  the previous one saw (X keeps 30 days).

Every read asks for ``expansions`` (authors, referenced tweets, replied-to users) and the
``tweet.fields``/``user.fields`` the inbox needs; authors are joined from ``includes.users``,
and the full text of a retweet or a quoted tweet from ``includes.tweets`` (a retweet's own
``text`` is cut off with ``…``). ``errors[]`` beside ``data`` are partial errors (a referenced
tweet deleted or protected): the data is kept and each error recorded as a sync problem. An
empty page has ``meta.result_count: 0`` and no ``data``. Fields X leaves out with its default
field set (``created_at``, ``author_id``) are not required: a creation time is read from the
snowflake id.

Threads: a tweet's conversation is its ``conversation_id`` (the root post); a reply keeps its
``replied_to`` tweet as parent. A DM's conversation is its ``dm_conversation_id``
(``<lower id>-<higher id>`` for one-to-one conversations).

Writing: a public reply is ``POST /2/tweets`` with ``reply.in_reply_to_tweet_id`` (280
characters, counted the way X counts them); a private one, or any reply in a DM conversation, is
``POST /2/dm_conversations/with/:participant_id/messages``. The receipt holds the new tweet's or
DM event's id. Rate headers ``x-rate-limit-*`` (reset in epoch seconds) are honoured by the
shared HTTP client.

Credentials: an OAuth 2.0 user access token (Bearer) with the tweet, users and dm scopes.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from omniinbox.connectors.base import CheckResult, Connector, ConnectorBug, PermanentError
from omniinbox.connectors.http import BearerAuth, HttpClient, RateControl
from omniinbox.connectors.registry import ChannelSpec, Setting, since_of
from omniinbox.core import (
    Account,
    Author,
    Channel,
    Direction,
    Engagement,
    Item,
    ItemKind,
    OutgoingReply,
    Page,
    Receipt,
    SyncProblem,
    Visibility,
)

API = "https://api.x.com"
WEB = "https://x.com"
TWEET_LIMIT = 280
DM_LIMIT = 10_000
TWEPOCH_MS = 1288834974657  # where X's snowflake ids count milliseconds from

TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,entities,note_tweet"
)
USER_FIELDS = "username,name,public_metrics,verified,verified_type"
EXPANSIONS = "author_id,referenced_tweets.id,in_reply_to_user_id,referenced_tweets.id.author_id"
DM_FIELDS = "id,text,event_type,created_at,dm_conversation_id,sender_id,participant_ids,referenced_tweets"

_ONE_TO_ONE = re.compile(r"^(\d+)-(\d+)$")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


# ------------------------------------------------------------------------------- parsing


def snowflake_time(value: Any) -> datetime | None:
    """When an X id was made (ids are snowflakes: milliseconds since X's epoch, shifted 22 bits)."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return datetime.fromtimestamp(((number >> 22) + TWEPOCH_MS) / 1000, UTC)


def _time(value: Any, entity_id: Any, what: str) -> datetime:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{what} has an unreadable created_at {value[:40]!r}") from None
    when = snowflake_time(entity_id)
    if when is None:
        raise ValueError(f"{what} has neither created_at nor a snowflake id")
    return when


def _users(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    includes = body.get("includes")
    users = includes.get("users") if isinstance(includes, Mapping) else None
    return {str(u["id"]): u for u in users or [] if isinstance(u, Mapping) and u.get("id") is not None}


def _included_tweets(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    includes = body.get("includes")
    tweets = includes.get("tweets") if isinstance(includes, Mapping) else None
    return {str(t["id"]): t for t in tweets or [] if isinstance(t, Mapping) and t.get("id") is not None}


def author_of(user_id: Any, users: Mapping[str, Mapping[str, Any]]) -> Author | None:
    """The author a user id stands for, with what ``includes.users`` says about them."""
    if user_id is None:
        return None
    user = users.get(str(user_id), {})
    metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), Mapping) else {}
    followers = metrics.get("followers_count") if isinstance(metrics, Mapping) else None
    username = str(user.get("username") or "")
    verified = bool(user.get("verified")) or str(user.get("verified_type") or "none") not in ("none", "")
    return Author(
        external_id=str(user_id),
        name=str(user.get("name") or username or f"user {user_id}"),
        handle=f"@{username}" if username else "",
        followers=followers if isinstance(followers, int) else None,
        verified=verified,
        url=f"{WEB}/{username}" if username else "",
    )


def _full_text(tweet: Mapping[str, Any]) -> str:
    note = tweet.get("note_tweet")
    if isinstance(note, Mapping) and isinstance(note.get("text"), str):
        return html.unescape(note["text"])
    return html.unescape(str(tweet.get("text") or ""))


def _references(tweet: Mapping[str, Any]) -> dict[str, str]:
    refs = tweet.get("referenced_tweets")
    found: dict[str, str] = {}
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, Mapping) and ref.get("type") and ref.get("id") is not None:
            found.setdefault(str(ref["type"]), str(ref["id"]))
    return found


def _handle_of(tweet: Mapping[str, Any] | None, users: Mapping[str, Mapping[str, Any]]) -> str:
    if tweet is None:
        return ""
    user = users.get(str(tweet.get("author_id")), {})
    return str(user.get("username") or "")


def tweet_text(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
               tweets: Mapping[str, Mapping[str, Any]]) -> str:  # fmt: skip
    """Plain text of a tweet: entities decoded, a retweet's full text from ``includes.tweets``
    (its own text is cut off), a quoted tweet's text after the quote."""
    refs = _references(tweet)
    text = _full_text(tweet)
    original = tweets.get(refs.get("retweeted", ""))
    if original is not None:
        handle = _handle_of(original, users)
        prefix = f"RT @{handle}: " if handle else text.split(": ", 1)[0] + ": " if text.startswith("RT @") else ""
        return prefix + _full_text(original)
    quoted = tweets.get(refs.get("quoted", ""))
    if quoted is not None:
        handle = _handle_of(quoted, users)
        return f"{text}\n\n> {'@' + handle + ': ' if handle else ''}{_full_text(quoted)}"
    return text


def _engagement(tweet: Mapping[str, Any]) -> Engagement:
    metrics = tweet.get("public_metrics")
    if not isinstance(metrics, Mapping):
        return Engagement()

    def count(name: str) -> int:
        value = metrics.get(name)
        return value if isinstance(value, int) else 0

    return Engagement(
        likes=count("like_count"),
        replies=count("reply_count"),
        shares=count("retweet_count") + count("quote_count"),
        views=count("impression_count"),
    )


def tweet_item(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
               tweets: Mapping[str, Mapping[str, Any]], *, self_id: str = "",
               kind: ItemKind = ItemKind.MENTION) -> Item:  # fmt: skip
    """One tweet. ``kind`` is what a tweet of someone else that replies to nothing is (a mention,
    or a post of a timeline); a reply is a reply; the account's own tweets are outbound."""
    tweet_id = tweet.get("id")
    if tweet_id is None or not str(tweet_id).isdigit():
        raise ValueError("a tweet without a numeric id")
    tweet_id = str(tweet_id)
    refs = _references(tweet)
    parent = refs.get("replied_to")
    author_id = tweet.get("author_id")
    own = bool(self_id) and str(author_id) == self_id
    author = author_of(author_id, users)
    item_kind = ItemKind.REPLY if parent else ItemKind.POST if own else kind
    username = users.get(str(author_id), {}).get("username") if author_id is not None else None
    permalink = f"{WEB}/{username}/status/{tweet_id}" if username else f"{WEB}/i/web/status/{tweet_id}"
    return Item(
        external_id=tweet_id,
        kind=item_kind,
        text=tweet_text(tweet, users, tweets),
        conversation_id=str(tweet.get("conversation_id") or tweet_id),
        created_at=_time(tweet.get("created_at"), tweet_id, f"tweet {tweet_id}"),
        author=author,
        direction=Direction.OUTBOUND if own else Direction.INBOUND,
        parent_id=parent,
        permalink=permalink,
        engagement=_engagement(tweet),
        visibility=Visibility.PUBLIC,
        raw=tweet,
    )


def _partial_errors(body: Mapping[str, Any], page: Page) -> None:
    """``errors[]`` beside ``data``: what X could not give (a deleted or protected tweet)."""
    errors = body.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, Mapping):
            continue
        what = str(error.get("title") or error.get("type") or "error")
        detail = str(error.get("detail") or error.get("message") or "")
        page.problems.append(
            SyncProblem(
                f"X reported a partial error: {what}: {detail}".rstrip(": "),
                external_id=str(error.get("resource_id") or error.get("value") or ""),
                detail=json.dumps(error)[:500],
            )
        )


def _entries(body: Any, what: str) -> list[Any]:
    if not isinstance(body, Mapping):
        raise ConnectorBug(f"X's {what} answer is not an object")
    data = body.get("data")
    if data is None:
        return []  # an empty page: only {"meta": {"result_count": 0}}
    if isinstance(data, Mapping):
        return [data]  # a single tweet lookup
    if not isinstance(data, list):
        raise ConnectorBug(f"X's {what} answer has a 'data' that is not a list")
    return data


def parse_tweets(body: Any, *, self_id: str = "", kind: ItemKind = ItemKind.MENTION, page: Page | None = None) -> Page:
    """A timeline, mentions, search or lookup answer into ``page``."""
    page = page if page is not None else Page()
    entries = _entries(body, "tweets")
    users, tweets = _users(body), _included_tweets(body)
    for n, tweet in enumerate(entries):
        if not isinstance(tweet, Mapping):
            page.problems.append(SyncProblem(f"tweet entry {n} is not an object"))
            continue
        try:
            page.items.append(tweet_item(tweet, users, tweets, self_id=self_id, kind=kind))
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"tweet {tweet.get('id')}: {exc}", external_id=str(tweet.get("id", ""))))
    _partial_errors(body, page)
    return page


def dm_conversation_of(event: Mapping[str, Any], self_id: str = "") -> str:
    """A DM event's conversation: its ``dm_conversation_id``, else (one to one) the two ids."""
    if event.get("dm_conversation_id"):
        return str(event["dm_conversation_id"])
    sender = str(event.get("sender_id") or "")
    others = [str(p) for p in event.get("participant_ids") or [] if str(p) != sender]
    if sender and self_id and (others or sender != self_id):
        pair = sorted({sender, others[0] if others else self_id}, key=int)
        if len(pair) == 2:
            return "-".join(pair)
    return f"dm-{event.get('id')}"


def dm_item(event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], *, self_id: str = "",
            conversation: str = "") -> Item:  # fmt: skip
    event_id = event.get("id")
    if event_id is None or not str(event_id).isdigit():
        raise ValueError("a DM event without a numeric id")
    event_id = str(event_id)
    sender = event.get("sender_id")
    own = bool(self_id) and str(sender) == self_id
    conversation = conversation or dm_conversation_of(event, self_id)
    return Item(
        external_id=event_id,
        kind=ItemKind.DM,
        text=html.unescape(str(event.get("text") or "")),
        conversation_id=conversation,
        created_at=_time(event.get("created_at"), event_id, f"DM event {event_id}"),
        author=author_of(sender, users),
        direction=Direction.OUTBOUND if own else Direction.INBOUND,
        permalink=f"{WEB}/messages/{conversation}" if _ONE_TO_ONE.match(conversation) else "",
        visibility=Visibility.PRIVATE,
        raw=event,
    )


def parse_dm_events(body: Any, *, self_id: str = "", conversation: str = "", page: Page | None = None) -> Page:
    """A DM events answer into ``page``: ``MessageCreate`` events are messages; participants
    joining or leaving a group are not."""
    page = page if page is not None else Page()
    users = _users(body) if isinstance(body, Mapping) else {}
    for n, event in enumerate(_entries(body, "DM events")):
        if not isinstance(event, Mapping):
            page.problems.append(SyncProblem(f"DM event entry {n} is not an object"))
            continue
        if event.get("event_type", "MessageCreate") != "MessageCreate":
            continue
        try:
            page.items.append(dm_item(event, users, self_id=self_id, conversation=conversation))
        except (KeyError, ValueError, TypeError) as exc:
            where = str(event.get("id", ""))
            page.problems.append(SyncProblem(f"DM event {where}: {exc}", external_id=where))
    if isinstance(body, Mapping):
        _partial_errors(body, page)
    return page


_DM_CONVERSATION_PATH = re.compile(r"/2/dm_conversations/(\d+(?:-\d+)?|with/\d+)/dm_events")


def _parse_answer(body: Any, uri: str = "") -> Page:
    path = urlsplit(uri).path if uri else ""
    data = body.get("data") if isinstance(body, Mapping) else None
    entries = data if isinstance(data, list) else [data] if isinstance(data, Mapping) else []
    if "/dm_" in path or any(isinstance(e, Mapping) and "event_type" in e for e in entries):
        if isinstance(data, Mapping) and "dm_event_id" in data and "text" not in data:
            return Page()  # the receipt of a sent DM: no message text in it
        match = _DM_CONVERSATION_PATH.search(path)
        conversation = match.group(1).replace("with/", "dm-with-") if match else ""
        return parse_dm_events(body, conversation=conversation)
    if isinstance(body, Mapping) and "data" not in body and isinstance(body.get("meta"), Mapping):
        _partial_errors(body, page := Page())
        return page  # an empty page
    kind = ItemKind.MENTION if path.endswith("/mentions") or not path else ItemKind.POST
    return parse_tweets(body, kind=kind)


def parse_saved(body: Any) -> Page:
    """A saved X API v2 answer as a page, for import: mentions, a timeline, a search, one tweet,
    or DM events; also one interaction of a decoded cassette (``{method, uri, status, body}``),
    whose address tells DM conversations and mentions apart. Anything else is a problem naming
    what the answer holds."""
    if isinstance(body, Mapping) and "uri" in body and "body" in body:
        inner = body.get("body")
        if not isinstance(inner, Mapping):
            return Page()  # an interaction without a JSON body (a 204, a deletion)
        return _parse_answer(inner, str(body.get("uri") or ""))
    if isinstance(body, Mapping) and ("data" in body or "meta" in body or "errors" in body):
        return _parse_answer(body)
    if isinstance(body, Mapping):
        holds = ", ".join(sorted(str(k) for k in body)[:6]) or "nothing"
        return Page(problems=[SyncProblem(f"not an X API v2 answer with data or meta (it holds: {holds})")])
    return Page(problems=[SyncProblem(f"not an X API answer: a JSON {type(body).__name__}, not an object")])


# ------------------------------------------------------------------------------- lengths


def weighted_length(text: str) -> int:
    """Length as X counts it against the 280 limit: a link is 23, a character of the
    Latin, Greek, Cyrillic... ranges (and a few punctuation marks) 1, anything else (CJK,
    emoji) 2."""
    length = 0
    position = 0
    for match in _URL.finditer(text):
        length += _weigh(text[position : match.start()]) + 23
        position = match.end()
    return length + _weigh(text[position:])


def _weigh(text: str) -> int:
    total = 0
    for char in text:
        code = ord(char)
        if code in (0x200D, 0xFE0F):  # joiners and variation selectors inside emoji
            continue
        light = code <= 4351 or 8192 <= code <= 8205 or 8208 <= code <= 8223 or 8242 <= code <= 8247
        total += 1 if light else 2
    return total


# ------------------------------------------------------------------------------- the connector


class XConnector:
    streams: tuple[str, ...] = ("mentions", "tweets", "dms")
    read_ahead = True  # reading changes nothing on X

    def __init__(
        self,
        base_url: str = API,
        *,
        token: str,
        user_id: str = "",
        since: datetime | None = None,
        page_size: int = 100,
        rate: RateControl | None = None,
        **client: Any,
    ) -> None:
        if user_id and not str(user_id).isdigit():
            raise PermanentError(f"an X user id is a number, not {user_id!r} (setting 'user_id')")
        self.http = HttpClient(base_url or API, auth=BearerAuth(token), secrets=[token], rate=rate, **client)
        self._user_id = str(user_id)
        self.since = since
        self.page_size = max(5, min(page_size, 100))

    @property
    def user_id(self) -> str:
        """The account's user id: the setting, or who the token belongs to."""
        if not self._user_id:
            body = self.http.get_json("2/users/me")
            data = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(data, Mapping) or not str(data.get("id", "")).isdigit():
                raise ConnectorBug("X did not say whose token this is (/2/users/me has no data.id)")
            self._user_id = str(data["id"])
        return self._user_id

    # ------------------------------------------------------------------ reading

    def fetch(self, stream: str, cursor: str | None) -> Page:
        state = _state(cursor)
        if stream in ("mentions", "tweets"):
            return self._timeline(stream, state)
        if stream == "dms":
            return self._dms(state)
        raise PermanentError(f"X has no stream {stream!r}; it has {', '.join(self.streams)}")

    def _timeline(self, stream: str, state: dict[str, Any]) -> Page:
        params: dict[str, Any] = {
            "max_results": self.page_size,
            "expansions": EXPANSIONS,
            "tweet.fields": TWEET_FIELDS,
            "user.fields": USER_FIELDS,
        }
        if stream == "tweets":
            params["exclude"] = "retweets"
        if state.get("since_id"):
            params["since_id"] = state["since_id"]
        elif self.since is not None:
            params["start_time"] = self.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if state.get("token"):
            params["pagination_token"] = state["token"]
        body = self.http.get_json(f"2/users/{self.user_id}/{stream}", params)
        kind = ItemKind.MENTION if stream == "mentions" else ItemKind.POST
        page = parse_tweets(body, self_id=self.user_id, kind=kind)
        meta = body.get("meta") if isinstance(body.get("meta"), Mapping) else {}
        newest = _newer(state.get("newest"), meta.get("newest_id"), *(i.external_id for i in page.items))
        token = meta.get("next_token")
        if token:
            page.has_more = True
            page.next_cursor = json.dumps({"since_id": state.get("since_id"), "newest": newest, "token": token})
        else:
            page.next_cursor = json.dumps({"since_id": _newer(state.get("since_id"), newest)})
        return page

    def _dms(self, state: dict[str, Any]) -> Page:
        params: dict[str, Any] = {
            "max_results": 100,
            "event_types": "MessageCreate",
            "dm_event.fields": DM_FIELDS,
            "expansions": "sender_id,participant_ids",
            "user.fields": USER_FIELDS,
        }
        if state.get("token"):
            params["pagination_token"] = state["token"]
        body = self.http.get_json("2/dm_events", params)
        parsed = parse_dm_events(body, self_id=self.user_id)
        seen = state.get("seen")
        page = Page(problems=parsed.problems)
        reached = False
        for item in parsed.items:
            if seen and int(item.external_id) <= int(seen):
                reached = True  # read by an earlier sync: the rest of the walk is older still
                continue
            if self.since is not None and item.created_at < self.since.astimezone(UTC):
                reached = True
                continue
            page.items.append(item)
        newest = _newer(state.get("newest"), *(i.external_id for i in parsed.items))
        meta = body.get("meta") if isinstance(body.get("meta"), Mapping) else {}
        token = meta.get("next_token")
        if token and not reached:
            page.has_more = True
            page.next_cursor = json.dumps({"seen": seen, "newest": newest, "token": token})
        else:
            page.next_cursor = json.dumps({"seen": _newer(seen, newest)})
        return page

    # ------------------------------------------------------------------ writing

    def send(self, reply: OutgoingReply) -> Receipt:
        text = reply.body.strip()
        if not text:
            raise PermanentError("an empty reply cannot be posted on X")
        conversation = reply.conversation_external_id or ""
        if reply.visibility is Visibility.PRIVATE or _ONE_TO_ONE.match(conversation):
            return self._send_dm(reply, text, conversation)
        target = reply.in_reply_to_external_id or conversation
        if not target or not target.isdigit():
            raise PermanentError("an X reply needs the tweet it answers")
        length = weighted_length(text)
        if length > TWEET_LIMIT:
            raise PermanentError(f"the reply is {length} characters as X counts them; X allows {TWEET_LIMIT}")
        body = {"text": text, "reply": {"in_reply_to_tweet_id": target}}
        made = self.http.send_json("POST", "2/tweets", body)
        data = made.get("data") if isinstance(made, Mapping) else None
        if not isinstance(data, Mapping) or data.get("id") is None:
            raise ConnectorBug("X accepted the reply but did not say which tweet it became; it is not sent again")
        return Receipt(str(data["id"]), f"{WEB}/i/web/status/{data['id']}")

    def _send_dm(self, reply: OutgoingReply, text: str, conversation: str) -> Receipt:
        if len(text) > DM_LIMIT:
            raise PermanentError(f"the message is {len(text)} characters; an X direct message holds {DM_LIMIT}")
        participant = ""
        pair = _ONE_TO_ONE.match(conversation)
        if pair:
            participant = next((p for p in pair.groups() if p != self.user_id), "")
        if not participant:
            participant = self._user_by_handle(reply.recipient)
        made = self.http.send_json("POST", f"2/dm_conversations/with/{participant}/messages", {"text": text})
        data = made.get("data") if isinstance(made, Mapping) else None
        if not isinstance(data, Mapping) or data.get("dm_event_id") is None:
            raise ConnectorBug("X accepted the message but did not say which event it became; it is not sent again")
        where = str(data.get("dm_conversation_id") or "")
        return Receipt(str(data["dm_event_id"]), f"{WEB}/messages/{where}" if where else "")

    def _user_by_handle(self, handle: str) -> str:
        username = handle.strip().lstrip("@")
        if not re.fullmatch(r"\w{1,15}", username):
            raise PermanentError("a private reply on X needs the person's @handle or a DM conversation to answer in")
        body = self.http.get_json(f"2/users/by/username/{quote(username)}")
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping) or not str(data.get("id", "")).isdigit():
            raise PermanentError(f"X does not know the user @{username}")
        return str(data["id"])

    def check(self) -> CheckResult:
        response = self.http.request("GET", "2/users/me", params={"user.fields": USER_FIELDS})
        body = self.http.json_of(response)
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping) or data.get("id") is None:
            raise ConnectorBug("X's /2/users/me answered without data")
        self._user_id = self._user_id or str(data["id"])
        access = response.headers.get("x-access-level", "")
        notes: list[str] = []
        if self._user_id != str(data["id"]):
            notes.append(f"the token belongs to user {data['id']}, not to the configured user {self._user_id}")
        can_reply = not access or "write" in access
        if access and "directmessages" not in access:
            notes.append(f"the token's access level is {access!r}: direct messages cannot be read or sent")
        return CheckResult(
            ok=True,
            identity=f"@{data.get('username')} ({data.get('name')})",
            can_read=True,
            can_reply=can_reply,
            notes=tuple(notes),
        )

    def close(self) -> None:
        self.http.close()


def _state(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if isinstance(state, dict):
        return state
    if cursor.isdigit():
        return {"since_id": cursor, "seen": cursor}  # a bare id: the newest one seen
    raise PermanentError(f"unreadable X sync position {cursor[:40]!r}; reset the account's sync position")


def _newer(*ids: Any) -> str | None:
    numbers = [int(str(i)) for i in ids if i is not None and str(i).isdigit()]
    return str(max(numbers)) if numbers else None


# ------------------------------------------------------------------------------- registry


def _build(account: Account, secret: str, rate: RateControl) -> Connector:
    user_id = str(account.settings.get("user_id", "") or "")
    return XConnector(account.base_url or API, token=secret, user_id=user_id, since=since_of(account), rate=rate)


SPEC = ChannelSpec(
    Channel.X,
    "X (Twitter)",
    "",
    "an OAuth 2.0 user access token (scopes tweet.read, tweet.write, users.read, dm.read, dm.write)",
    (
        Setting("user_id", "the account's numeric user id (blank: asked from X with the token)"),
        Setting("since", "first sync reads mentions since this date (default: what X keeps, up to 800)"),
    ),
    _build,
    parse_saved,
)
