"""Chatwoot: conversations and messages of one Chatwoot account in; replies and private notes out.

Chatwoot is how WhatsApp, Telegram and web-chat inboxes that need a public webhook reach a
desktop: Chatwoot receives the webhooks, OmniInbox reads Chatwoot's API. Reading lists
``/api/v1/accounts/{account}/conversations?status=all`` (newest activity first, page by page) and
stops at the first conversation with no activity since the last sync; each changed
conversation's ``/messages`` are read back to that point (``before=<id>`` pages older ones).
Activity messages (``message_type`` 2: "assigned to", "resolved") are not items. The cursor holds
the newest activity time seen.

As for tickets, *public* means seen by the contact and *private* means a note among agents: a
message to or from the contact is a public item of a (one-to-one) conversation, a private note a
private one; a reply with private visibility is sent as a private note.

Credentials: a user's access token (``api_access_token`` header); the settings give the
Chatwoot account number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from omniinbox.connectors.base import CheckResult, ConnectorBug, PermanentError
from omniinbox.connectors.http import HttpClient, RateControl
from omniinbox.core import (
    Author,
    ConversationInfo,
    ConversationStatus,
    Direction,
    Item,
    ItemKind,
    OutgoingReply,
    Page,
    Receipt,
    SyncProblem,
    Visibility,
    utcnow,
)

STATUS = {
    "open": ConversationStatus.OPEN,
    "pending": ConversationStatus.PENDING,
    "snoozed": ConversationStatus.SNOOZED,
    "resolved": ConversationStatus.CLOSED,
}
INCOMING, OUTGOING, ACTIVITY, TEMPLATE = 0, 1, 2, 3
MESSAGES_PER_PAGE = 20  # what Chatwoot returns per request; fewer means there are no older ones


def _when(value: Any, what: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise ValueError(f"{what} has no created_at")


def conversation_info(conversation: Mapping[str, Any]) -> ConversationInfo:
    return ConversationInfo(str(conversation["id"]), ItemKind.DM, "", STATUS.get(str(conversation.get("status"))))


def message_item(message: Mapping[str, Any], base: str, account: str, inbox_channel: str = "") -> Item | None:
    """One message; ``None`` for activity messages. ``inbox_channel`` (the conversation's
    ``meta.channel``, e.g. ``Channel::Whatsapp``) is kept with the message, so the reply rules know
    a WhatsApp conversation's 24-hour window applies."""
    kind = message.get("message_type")
    if kind == ACTIVITY or kind == "activity":
        return None
    conversation = str(message["conversation_id"])
    sender = message.get("sender") if isinstance(message.get("sender"), Mapping) else {}
    incoming = kind in (INCOMING, "incoming")
    author = None
    if sender and sender.get("id") is not None:
        handle = str(sender.get("phone_number") or sender.get("email") or sender.get("identifier") or "")
        prefix = "contact" if sender.get("type", "contact") == "contact" else "user"
        author = Author(
            f"{prefix}:{sender['id']}",
            str(sender.get("name") or handle),
            handle=handle,
            email=str(sender.get("email") or ""),
        )
    return Item(
        external_id=str(message["id"]),
        kind=ItemKind.DM,
        text=str(message.get("content") or ""),
        conversation_id=conversation,
        created_at=_when(message.get("created_at"), f"message {message.get('id')}"),
        author=author,
        direction=Direction.INBOUND if incoming else Direction.OUTBOUND,
        permalink=f"{base}/app/accounts/{account}/conversations/{conversation}",
        visibility=Visibility.PRIVATE if message.get("private") else Visibility.PUBLIC,
        raw={**message, "channel": inbox_channel} if inbox_channel else message,
    )


def _payload(body: Any, what: str) -> list[Any]:
    if isinstance(body, Mapping):
        data = body.get("data", body)
        payload = data.get("payload") if isinstance(data, Mapping) else None
        if isinstance(payload, list):
            return payload
    raise ConnectorBug(f"Chatwoot's {what} answer has no payload list")


def parse_saved(body: Any, base: str = "https://chatwoot.invalid", account: str = "1") -> Page:
    """A saved Chatwoot answer: a conversation list or a conversation's messages."""
    page = Page()
    for n, entry in enumerate(_payload(body, "saved")):
        if not isinstance(entry, Mapping) or entry.get("id") is None:
            page.problems.append(SyncProblem(f"entry {n} has no id"))
            continue
        try:
            if "conversation_id" in entry:
                item = message_item(entry, base, account)
                if item is not None:
                    page.items.append(item)
            else:
                page.conversations.append(conversation_info(entry))
        except (KeyError, ValueError, TypeError) as exc:
            page.problems.append(SyncProblem(f"entry {n} ({entry.get('id')}): {exc}"))
    return page


class ChatwootConnector:
    streams: tuple[str, ...] = ("conversations",)
    read_ahead = True

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        account_id: str,
        since: datetime | None = None,
        rate: RateControl | None = None,
        **client: Any,
    ) -> None:
        if not str(account_id).isdigit():
            raise PermanentError("Chatwoot needs the account number (setting 'account_id')")
        self.http = HttpClient(base_url, headers={"api_access_token": token}, secrets=[token], rate=rate, **client)
        self.base = base_url.rstrip("/")
        self.account = str(account_id)
        self.since = since or (utcnow() - timedelta(days=30))

    def _path(self, rest: str) -> str:
        return f"api/v1/accounts/{self.account}/{rest}"

    def fetch(self, stream: str, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {"since": int(self.since.timestamp()), "page": 1}
        since = int(state["since"])
        conversations = _payload(
            self.http.get_json(self._path("conversations"), {"status": "all", "page": state["page"]}), "conversations"
        )
        page = Page()
        newest = int(state.get("newest", since))
        reached_old = not conversations
        for conversation in conversations:
            activity = int(conversation.get("last_activity_at") or conversation.get("timestamp") or 0)
            if activity <= since:
                reached_old = True
                break
            newest = max(newest, activity)
            page.conversations.append(conversation_info(conversation))
            meta = conversation.get("meta") if isinstance(conversation.get("meta"), Mapping) else {}
            self._read_messages(conversation["id"], since, page, str(meta.get("channel") or ""))
        if reached_old:
            page.next_cursor = json.dumps({"since": newest, "page": 1})
        else:
            page.has_more = True
            page.next_cursor = json.dumps({"since": since, "page": int(state["page"]) + 1, "newest": newest})
        return page

    def _read_messages(self, conversation_id: Any, since: int, page: Page, inbox_channel: str = "") -> None:
        params: dict[str, Any] = {}
        while True:
            messages = _payload(
                self.http.get_json(self._path(f"conversations/{conversation_id}/messages"), params), "messages"
            )
            if not messages:
                return
            oldest = None
            for message in messages:
                try:
                    item = message_item(message, self.base, self.account, inbox_channel)
                except (KeyError, ValueError, TypeError) as exc:
                    page.problems.append(SyncProblem(f"conversation {conversation_id}: message: {exc}"))
                    continue
                if item is not None:
                    page.items.append(item)
                created = message.get("created_at")
                if isinstance(created, int):
                    oldest = created if oldest is None else min(oldest, created)
            first_id = min(m["id"] for m in messages if isinstance(m, Mapping) and isinstance(m.get("id"), int))
            if (oldest is not None and oldest <= since) or len(messages) < MESSAGES_PER_PAGE:
                return  # reached what was read before, or the first message
            params = {"before": first_id}

    def send(self, reply: OutgoingReply) -> Receipt:
        conversation = reply.conversation_external_id
        if not conversation or not conversation.isdigit():
            raise PermanentError("a Chatwoot reply needs the conversation it answers")
        private = reply.visibility is Visibility.PRIVATE  # a private note, seen by agents only
        body = {"content": reply.body, "message_type": "outgoing", "private": private}
        made = self.http.send_json("POST", self._path(f"conversations/{conversation}/messages"), body)
        if not isinstance(made, Mapping) or made.get("id") is None:
            raise ConnectorBug("Chatwoot accepted the message but did not say which it became")
        return Receipt(str(made["id"]), f"{self.base}/app/accounts/{self.account}/conversations/{conversation}")

    def check(self) -> CheckResult:
        profile = self.http.get_json("api/v1/profile")
        if not isinstance(profile, Mapping):
            raise ConnectorBug("Chatwoot's profile is not an object")
        return CheckResult(
            ok=True,
            identity=f"{profile.get('name')} <{profile.get('email')}> ({profile.get('role')})",
            can_read=True,
            can_reply=True,
        )

    def close(self) -> None:
        self.http.close()
