"""Mastodon: mentions, the account's own statuses and direct conversations in; replies out.

The account lives on an instance; its URL is the account's address (there is no fixed host).
Three streams, each with its own cursor, all paged the way Mastodon pages: only by the ``Link``
header (bodies are bare arrays), ``max_id`` for older and ``min_id`` for newer. Each stream walks
*forward* with ``min_id`` (the oldest unseen first, one page after another, the ``rel="prev"``
link's ``min_id`` being the next position), so every committed page moves the cursor and a
later sync asks only for what came after it:

* ``mentions``: ``GET /api/v1/notifications?types[]=mention`` (notification ids are small
  integers, not snowflakes); the item is the notification's status. A mention whose status is
  ``visibility: direct`` is a direct message.
* ``statuses``: ``GET /api/v1/accounts/:id/statuses`` (reblogs left out): the account's own
  posts and the replies it sent, which the next sync sees here as the platform shows them.
* ``conversations``: ``GET /api/v1/conversations`` (direct-message threads); the item is each
  conversation's ``last_status``. The ``Link`` cursor of this list is a status id, not the
  conversation's own small id.

Threads: a status's conversation is the root of its thread, asked once per thread from
``GET /api/v1/statuses/:id/context`` (the first ancestor) and remembered; a status that replies
to nothing is its own root. Replies keep ``in_reply_to_id`` as parent. ``content`` is HTML and
becomes plain text (a content warning ``spoiler_text`` goes first). Engagement: favourites,
replies, reblogs (and quotes). Mastodon has no verified badge; an author is marked verified when
a link of their profile is verified (``fields[].verified_at``).

Writing: ``POST /api/v1/statuses`` with ``in_reply_to_id``, ``visibility`` (``public``, or
``direct`` for a private reply) and an ``Idempotency-Key`` header (the outbox entry's key, so a
repeated post is recognised by the instance). The person answered is mentioned at the start
unless the text already mentions them (a direct status reaches only those it mentions). The
instance's limit is 500 characters unless it says otherwise (``/api/v2/instance``, read by
``check``); links count 23 and a mention counts its user name only, as Mastodon counts.
Rate headers ``X-RateLimit-*`` (reset an ISO 8601 time) are honoured by the shared client.

Credentials: an access token of an application (Preferences > Development) with the
``read`` and ``write:statuses`` scopes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omniinbox.connectors.base import CheckResult, Connector, ConnectorBug, ConnectorError, PermanentError
from omniinbox.connectors.http import BearerAuth, HttpClient, RateControl
from omniinbox.connectors.mail import html_to_text
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

DEFAULT_LIMIT = 500
PAGE_SIZES = {"mentions": 80, "statuses": 40, "conversations": 40}
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w", re.UNICODE)


# ------------------------------------------------------------------------------- parsing


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} has no created_at")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} has an unreadable created_at {value[:40]!r}") from None


def handle_of(account: Mapping[str, Any]) -> str:
    """``@user@instance``: a remote account's ``acct`` has its domain, a local one does not
    (the instance is then read from the profile's URL)."""
    acct = str(account.get("acct") or account.get("username") or "")
    if not acct:
        return ""
    if "@" in acct:
        return f"@{acct}"
    host = urlsplit(str(account.get("url") or "")).netloc
    return f"@{acct}@{host}" if host else f"@{acct}"


def author_of(account: Any) -> Author | None:
    if not isinstance(account, Mapping) or account.get("id") is None:
        return None
    fields = account.get("fields")
    verified = any(isinstance(f, Mapping) and f.get("verified_at") for f in fields or [])
    followers = account.get("followers_count")
    username = str(account.get("username") or account.get("acct") or "")
    return Author(
        external_id=str(account["id"]),
        name=str(account.get("display_name") or username or f"account {account['id']}"),
        handle=handle_of(account),
        followers=followers if isinstance(followers, int) else None,
        verified=verified,
        url=str(account.get("url") or ""),
    )


def status_text(status: Mapping[str, Any]) -> str:
    content = status.get("content")
    text = html_to_text(str(content)) if content else str(status.get("text") or "")
    warning = str(status.get("spoiler_text") or "").strip()
    return f"CW: {warning}\n\n{text}" if warning else text


def _engagement(status: Mapping[str, Any]) -> Engagement:
    def count(name: str) -> int:
        value = status.get(name)
        return value if isinstance(value, int) else 0

    return Engagement(
        likes=count("favourites_count"),
        replies=count("replies_count"),
        shares=count("reblogs_count") + count("quotes_count"),
    )


def status_item(status: Mapping[str, Any], *, self_id: str = "", root: str = "",
                kind: ItemKind = ItemKind.MENTION) -> Item:  # fmt: skip
    """One status. ``root`` is its thread's first status (default: its parent, or itself);
    ``kind`` is what a status of someone else that replies to nothing is here."""
    if isinstance(status.get("reblog"), Mapping):
        status = status["reblog"]
    status_id = status.get("id")
    if status_id is None or not str(status_id).isdigit():
        raise ValueError("a status without a numeric id")
    status_id = str(status_id)
    parent = str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None
    account = status.get("account")
    own = bool(self_id) and isinstance(account, Mapping) and str(account.get("id")) == self_id
    direct = status.get("visibility") == "direct"
    if direct:
        item_kind = ItemKind.DM
    elif parent:
        item_kind = ItemKind.REPLY
    else:
        item_kind = ItemKind.POST if own else kind
    edited = status.get("edited_at")
    return Item(
        external_id=status_id,
        kind=item_kind,
        text=status_text(status),
        conversation_id=root or parent or status_id,
        created_at=_time(status.get("created_at"), f"status {status_id}"),
        author=author_of(account),
        direction=Direction.OUTBOUND if own else Direction.INBOUND,
        parent_id=parent,
        permalink=str(status.get("url") or status.get("uri") or ""),
        edited_at=_time(edited, f"status {status_id}") if edited else None,
        engagement=_engagement(status),
        visibility=Visibility.PRIVATE if direct else Visibility.PUBLIC,
        raw=status,
    )


def _add(page: Page, status: Any, where: str, **options: Any) -> None:
    if not isinstance(status, Mapping):
        page.problems.append(SyncProblem(f"{where} has no status"))
        return
    try:
        page.items.append(status_item(status, **options))
    except (KeyError, ValueError, TypeError) as exc:
        page.problems.append(SyncProblem(f"{where}: {exc}", external_id=str(status.get("id", ""))))


def parse_entry(entry: Any, page: Page, *, self_id: str = "", roots: Mapping[str, str] | None = None) -> None:
    """One element of a saved or fetched answer: a notification (only mentions are messages;
    favourites, follows and boosts are not), a conversation (its last status), a status."""
    roots = roots or {}
    if not isinstance(entry, Mapping):
        page.problems.append(SyncProblem(f"an entry that is a JSON {type(entry).__name__}, not an object"))
        return
    if "last_status" in entry and "accounts" in entry:  # a conversation
        status = entry.get("last_status")
        if status is None:
            return  # every message of it was deleted
        sid = str(status.get("id")) if isinstance(status, Mapping) else ""
        _add(page, status, f"conversation {entry.get('id')}", self_id=self_id, root=roots.get(sid, ""))
        return
    if ("type" in entry and "status" in entry) or "group_key" in entry:  # a notification
        if entry.get("type") != "mention":
            return
        status = entry.get("status")
        sid = str(status.get("id")) if isinstance(status, Mapping) else ""
        _add(page, status, f"notification {entry.get('id')}", self_id=self_id, root=roots.get(sid, ""))
        return
    if ("content" in entry or "text" in entry) and "account" in entry and "id" not in entry:
        return  # a version of an edited status (its history): the status itself is the message
    if ("content" in entry or "text" in entry) and "account" in entry:  # a status (a deletion returns its text)
        _add(page, entry, f"status {entry.get('id')}", self_id=self_id, root=roots.get(str(entry.get("id")), ""),
             kind=ItemKind.POST)  # fmt: skip
        return
    if "acct" in entry or set(entry) <= {"count", "id", "text", "spoiler_text"}:
        return  # an account, an unread count, a status's source, an empty answer: no message in it
    holds = ", ".join(sorted(str(k) for k in entry)[:6]) or "nothing"
    page.problems.append(SyncProblem(f"not a Mastodon status, notification or conversation (it holds: {holds})"))


def parse_grouped(body: Mapping[str, Any], page: Page) -> None:
    """``/api/v2/notifications``: groups with their statuses and accounts in side arrays, joined
    back by id. A mention group is a message; favourite and boost groups are not."""
    statuses = {str(s["id"]): s for s in body.get("statuses") or [] if isinstance(s, Mapping) and "id" in s}
    accounts = {str(a["id"]): a for a in body.get("accounts") or [] if isinstance(a, Mapping) and "id" in a}
    for group in body.get("notification_groups") or []:
        if not isinstance(group, Mapping) or group.get("type") != "mention":
            continue
        status = statuses.get(str(group.get("status_id")))
        if status is None:
            page.problems.append(SyncProblem(f"notification group {group.get('group_key')}: its status is missing"))
            continue
        if not isinstance(status.get("account"), Mapping):
            sample = (group.get("sample_account_ids") or [None])[0]
            status = {**status, "account": accounts.get(str(sample), {})}
        _add(page, status, f"notification group {group.get('group_key')}")


def parse_context(body: Mapping[str, Any], page: Page) -> None:
    """``/api/v1/statuses/:id/context``: the ancestors and descendants of a status, all in the
    thread of the first ancestor."""
    ancestors = [s for s in body.get("ancestors") or [] if isinstance(s, Mapping)]
    root = str(ancestors[0].get("id")) if ancestors else ""
    for status in [*ancestors, *(body.get("descendants") or [])]:
        _add(page, status, f"status {status.get('id') if isinstance(status, Mapping) else '?'}", root=root)


def parse_saved(body: Any) -> Page:
    """A saved Mastodon answer as a page, for import: notifications (v1 or grouped v2),
    statuses, conversations, a status's context, or one of each; a cassette interaction
    (``{method, uri, status, body}``) is read through its body. Anything else is a problem
    naming what it holds."""
    page = Page()
    if isinstance(body, Mapping) and "uri" in body and "body" in body:
        inner = body.get("body")
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except ValueError:
                return page
        return parse_saved(inner) if isinstance(inner, list | Mapping) and inner else page
    if isinstance(body, list):
        for entry in body:
            parse_entry(entry, page)
    elif isinstance(body, Mapping) and "notification_groups" in body:
        parse_grouped(body, page)
    elif isinstance(body, Mapping) and ("ancestors" in body or "descendants" in body):
        parse_context(body, page)
    elif isinstance(body, Mapping) and isinstance(body.get("error"), str):
        page.problems.append(SyncProblem(f"a saved Mastodon error: {body['error']}"))
    elif isinstance(body, Mapping):
        parse_entry(body, page)
    else:
        page.problems.append(SyncProblem(f"not a Mastodon answer: a JSON {type(body).__name__}"))
    return page


def weighted_length(text: str) -> int:
    """Length as Mastodon counts it: a link is 23, a mention of a remote account counts its user
    name only (``@user``)."""
    text = _URL.sub("x" * 23, text)
    text = _MENTION.sub(lambda m: "@" + m.group(1), text)
    return len(text)


def _link_min_id(response_links: Mapping[str, Mapping[str, str]]) -> str | None:
    prev = response_links.get("prev", {}).get("url")
    if not prev:
        return None
    values = parse_qs(urlsplit(prev).query).get("min_id") or parse_qs(urlsplit(prev).query).get("since_id")
    return values[0] if values else None


def _bigger(*ids: Any) -> str | None:
    numbers = [int(str(i)) for i in ids if i is not None and str(i).isdigit()]
    return str(max(numbers)) if numbers else None


# ------------------------------------------------------------------------------- the connector


class MastodonConnector:
    streams: tuple[str, ...] = ("mentions", "statuses", "conversations")
    read_ahead = True  # reading (without dismissing) changes nothing on the instance

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        account_id: str = "",
        since: datetime | None = None,
        max_characters: int = DEFAULT_LIMIT,
        rate: RateControl | None = None,
        **client: Any,
    ) -> None:
        if account_id and not str(account_id).isdigit():
            raise PermanentError(f"a Mastodon account id is a number, not {account_id!r} (setting 'account_id')")
        self.http = HttpClient(base_url, auth=BearerAuth(token), secrets=[token], rate=rate, **client)
        self.base = base_url.rstrip("/")
        self._account_id = str(account_id)
        self.since = since.astimezone(UTC) if since is not None and since.tzinfo else since
        if self.since is not None and self.since.tzinfo is None:
            self.since = self.since.replace(tzinfo=UTC)
        self.max_characters = max_characters
        self._roots: dict[str, str] = {}  # status id -> the first status of its thread

    @property
    def account_id(self) -> str:
        if not self._account_id:
            me = self.http.get_json("api/v1/accounts/verify_credentials")
            if not isinstance(me, Mapping) or not str(me.get("id", "")).isdigit():
                raise ConnectorBug("Mastodon did not say whose token this is (verify_credentials has no id)")
            self._account_id = str(me["id"])
        return self._account_id

    # ------------------------------------------------------------------ reading

    def fetch(self, stream: str, cursor: str | None) -> Page:
        if stream == "mentions":
            path, params = "api/v1/notifications", {"types[]": "mention"}
        elif stream == "statuses":
            path, params = f"api/v1/accounts/{self.account_id}/statuses", {"exclude_reblogs": "true"}
        elif stream == "conversations":
            path, params = "api/v1/conversations", {}
        else:
            raise PermanentError(f"Mastodon has no stream {stream!r}; it has {', '.join(self.streams)}")
        position = _position(cursor)
        size = PAGE_SIZES[stream]
        response = self.http.request("GET", path, params={**params, "limit": size, "min_id": position or "0"})
        body = self.http.json_of(response)
        if not isinstance(body, list):
            raise ConnectorBug(f"Mastodon's {stream} answer is not a list")
        self._find_roots(body)
        page = Page()
        for entry in body:
            parse_entry(entry, page, self_id=self.account_id, roots=self._roots)
        if self.since is not None:
            page.items = [i for i in page.items if i.created_at >= self.since or i.direction is Direction.OUTBOUND]
        ids = [e.get("last_status", {}).get("id") if stream == "conversations" else e.get("id")
               for e in body if isinstance(e, Mapping)]  # fmt: skip
        newest = _bigger(position, _link_min_id(response.links), *[i for i in ids if isinstance(i, str | int)])
        page.next_cursor = newest
        page.has_more = len(body) >= size and newest != position
        return page

    def _find_roots(self, entries: list[Any]) -> None:
        """The thread root of every reply on the page, from its context (once per thread)."""
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            status = entry.get("last_status") if "last_status" in entry else entry.get("status", entry)
            if not isinstance(status, Mapping) or not status.get("in_reply_to_id"):
                continue
            sid, parent = str(status.get("id")), str(status["in_reply_to_id"])
            if sid in self._roots:
                continue
            if parent in self._roots:
                self._roots[sid] = self._roots[parent]
                continue
            try:
                context = self.http.get_json(f"api/v1/statuses/{sid}/context")
            except (PermanentError, ConnectorBug):  # deleted or hidden since: the parent stands for the root
                self._roots[sid] = parent
                continue
            except ConnectorError as exc:
                if exc.kind != "permission":
                    raise
                self._roots[sid] = parent
                continue
            ancestors = context.get("ancestors") if isinstance(context, Mapping) else None
            chain = [str(a["id"]) for a in ancestors or [] if isinstance(a, Mapping) and a.get("id")]
            root = chain[0] if chain else parent
            for status_id in [*chain, sid]:
                self._roots[status_id] = root

    # ------------------------------------------------------------------ writing

    def send(self, reply: OutgoingReply) -> Receipt:
        text = reply.body.strip()
        if not text:
            raise PermanentError("an empty reply cannot be posted on Mastodon")
        target = reply.in_reply_to_external_id or reply.conversation_external_id or ""
        if not target.isdigit():
            raise PermanentError("a Mastodon reply needs the status it answers")
        recipient = reply.recipient.strip()
        if recipient.startswith("@") and recipient.split("@")[1].lower() not in text.lower():
            text = f"{recipient} {text}"
        length = weighted_length(text)
        if length > self.max_characters:
            raise PermanentError(
                f"the reply is {length} characters as Mastodon counts them; the instance allows {self.max_characters}"
            )
        visibility = "direct" if reply.visibility is Visibility.PRIVATE else "public"
        body = {"status": text, "in_reply_to_id": target, "visibility": visibility}
        headers = {"Idempotency-Key": reply.idempotency_key} if reply.idempotency_key else None
        response = self.http.request("POST", "api/v1/statuses", json_body=body, headers=headers, attempts=2)
        made = self.http.json_of(response)
        if not isinstance(made, Mapping) or made.get("id") is None:
            raise ConnectorBug("Mastodon accepted the reply but did not say which status it became")
        return Receipt(str(made["id"]), str(made.get("url") or ""))

    def check(self) -> CheckResult:
        me = self.http.get_json("api/v1/accounts/verify_credentials")
        if not isinstance(me, Mapping) or me.get("id") is None:
            raise ConnectorBug("Mastodon's verify_credentials answered without an account")
        notes: list[str] = []
        if self._account_id and self._account_id != str(me["id"]):
            notes.append(f"the token belongs to account {me['id']}, not to the configured {self._account_id}")
        self._account_id = self._account_id or str(me["id"])
        try:
            instance = self.http.get_json("api/v2/instance")
            limit = instance["configuration"]["statuses"]["max_characters"]
            if isinstance(limit, int) and limit > 0:
                self.max_characters = limit
        except (ConnectorError, KeyError, TypeError):
            notes.append(f"the instance did not say its status length; {self.max_characters} is assumed")
        return CheckResult(
            ok=True,
            identity=f"{handle_of(me)} ({me.get('display_name') or me.get('username')})",
            can_read=True,
            can_reply=True,
            notes=tuple(notes),
        )

    def close(self) -> None:
        self.http.close()


def _position(cursor: str | None) -> str | None:
    if not cursor:
        return None
    if cursor.isdigit():
        return cursor
    raise PermanentError(f"unreadable Mastodon sync position {cursor[:40]!r}; reset the account's sync position")


# ------------------------------------------------------------------------------- registry


def _build(account: Account, secret: str, rate: RateControl) -> Connector:
    settings = account.settings
    limit = str(settings.get("max_characters", "") or "")
    if limit and not limit.isdigit():
        raise PermanentError(f"account {account.key}: 'max_characters' must be a number, not {limit!r}")
    return MastodonConnector(
        account.base_url,
        token=secret,
        account_id=str(settings.get("account_id", "") or ""),
        since=since_of(account),
        max_characters=int(limit) if limit else DEFAULT_LIMIT,
        rate=rate,
    )


SPEC = ChannelSpec(
    Channel.MASTODON,
    "Mastodon",
    "https://your.instance (the server the account is on)",
    "an application's access token (Preferences > Development; scopes read and write:statuses)",
    (
        Setting("account_id", "the account's numeric id on the instance (blank: asked with the token)"),
        Setting("since", "first sync keeps messages since this date (default: all the instance returns)"),
        Setting("max_characters", "the instance's status length if not 500 (check reads it)"),
    ),
    _build,
    parse_saved,
)
