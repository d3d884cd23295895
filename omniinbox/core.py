"""Domain records shared by every layer.

Nothing here knows about SQL, HTTP or Qt. Connectors produce these records, the store persists
them, the sync engine joins the two, the triage logic and the UI read them.

Times are timezone-aware ``datetime`` objects in UTC at the edges of the program and integer
milliseconds since the epoch inside the store (see :func:`to_millis` / :func:`from_millis`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class Channel(enum.StrEnum):
    """Where a message lives. The value is what the store and the command line use."""

    EMAIL = "email"
    ZENDESK = "zendesk"
    FRESHDESK = "freshdesk"
    ZAMMAD = "zammad"
    CHATWOOT = "chatwoot"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    MASTODON = "mastodon"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    LISTENING = "listening"  # imported exports of social listening tools

    @classmethod
    def parse(cls, value: str) -> Channel:
        """Return the channel named ``value`` or raise ``ValueError`` listing the known ones."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            known = ", ".join(c.value for c in cls)
            raise ValueError(f"unknown channel {value!r}; known channels: {known}") from None

    @property
    def group(self) -> str:
        """``contact_center`` or ``social``: which team sees it first by default."""
        if self in _CONTACT_CENTER_CHANNELS:
            return Team.CONTACT_CENTER.value
        return Team.SOCIAL.value


class Team(enum.StrEnum):
    SOCIAL = "social"
    CONTACT_CENTER = "contact_center"


_CONTACT_CENTER_CHANNELS = frozenset(
    {Channel.EMAIL, Channel.ZENDESK, Channel.FRESHDESK, Channel.ZAMMAD, Channel.CHATWOOT}
)


class ItemKind(enum.StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    DM = "dm"
    EMAIL = "email"
    TICKET = "ticket"
    TICKET_COMMENT = "ticket_comment"


class Direction(enum.StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class OwnerKind(enum.StrEnum):
    """Who an account speaks for. Replies on a leader's account may need approval."""

    INSTITUTION = "institution"
    LEADER = "leader"


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    CLOSED = "closed"


class Priority(enum.IntEnum):
    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3


class TagValue(enum.StrEnum):
    PROMOTE = "promote"
    PROTECT = "protect"


class Role(enum.StrEnum):
    AGENT = "agent"  # contact center agent
    SOCIAL_OFFICER = "social_officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class OutboxState(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up or refused; the reason says which
    CANCELLED = "cancelled"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"  # DM, private note, internal ticket comment


# --------------------------------------------------------------------------- time helpers


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_millis(value: datetime | None) -> int | None:
    """Milliseconds since the epoch; a naive datetime is taken to be UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def from_millis(value: int | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


# --------------------------------------------------------------------------- normalized records


@dataclass(frozen=True, slots=True)
class Author:
    """A person or organisation as one channel knows them."""

    external_id: str
    name: str = ""
    handle: str = ""
    followers: int | None = None
    verified: bool = False
    url: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Engagement:
    likes: int = 0
    replies: int = 0
    shares: int = 0
    views: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    """One inbound or outbound message as a connector or an importer normalizes it.

    Identity is ``(account, external_id)``: ingesting the same item again updates it.
    ``conversation_id`` is the external id of the thread it belongs to (a ticket id, a DM
    thread, the root post of a comment thread, the root Message-ID of a mail thread).
    """

    external_id: str
    kind: ItemKind
    text: str
    conversation_id: str
    created_at: datetime
    author: Author | None = None
    direction: Direction = Direction.INBOUND
    subject: str = ""
    parent_id: str | None = None
    permalink: str = ""
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    engagement: Engagement = field(default_factory=Engagement)
    visibility: Visibility = Visibility.PUBLIC
    raw: Mapping[str, Any] | None = None  # the payload, kept where evidence matters


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    """Thread-level facts a connector knows (ticket status, subject). Optional in a page."""

    external_id: str
    kind: ItemKind
    subject: str = ""
    status: ConversationStatus | None = None
    priority: Priority | None = None


@dataclass(frozen=True, slots=True)
class SyncProblem:
    """Something in a payload that could not be read. Recorded; the rest goes on."""

    reason: str
    external_id: str = ""
    detail: str = ""


@dataclass(slots=True)
class Page:
    """One page of a connector's or an importer's output, committed in one transaction
    together with ``next_cursor``."""

    items: list[Item] = field(default_factory=list)
    conversations: list[ConversationInfo] = field(default_factory=list)
    problems: list[SyncProblem] = field(default_factory=list)
    next_cursor: str | None = None
    has_more: bool = False


# --------------------------------------------------------------------------- stored records


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    key: str  # unique, human readable: "zendesk:acme", "email:cs@example.go.id"
    channel: Channel
    name: str
    owner_kind: OwnerKind = OwnerKind.INSTITUTION
    base_url: str = ""
    handle: str = ""
    secret_ref: str = ""  # the keyring entry's name; never the secret itself
    settings: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True

    @property
    def is_leader(self) -> bool:
        return self.owner_kind is OwnerKind.LEADER


@dataclass(frozen=True, slots=True)
class User:
    id: int
    login: str
    name: str
    role: Role
    team: Team | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    item_id: int
    team: Team
    value: TagValue
    set_by: int | None
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    conversation_id: int
    author_id: int | None
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    at: datetime
    user_id: int | None
    action: str
    target: str  # "item:12", "conversation:3", "outbox:9"
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    account_id: int
    conversation_id: int | None
    in_reply_to_item_id: int | None
    body: str
    visibility: Visibility
    state: OutboxState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    receipt_id: str
    idempotency_key: str
    created_by: int | None
    created_at: datetime
    sent_at: datetime | None
    requires_approval: bool
    approved_by: int | None


@dataclass(frozen=True, slots=True)
class OutgoingReply:
    """What the outbox hands a connector's ``send``: everything it needs, nothing from the store."""

    outbox_id: int
    idempotency_key: str
    body: str
    visibility: Visibility
    conversation_external_id: str | None
    in_reply_to_external_id: str | None
    subject: str = ""
    recipient: str = ""  # an address or handle where the channel needs one
    references: tuple[str, ...] = ()
    # A new ticket on a helpdesk account (``subject``, ``body``; the requester's name and
    # ``recipient`` address), not a reply: see ``omniinbox.store.tickets``.
    new_ticket: bool = False
    requester_name: str = ""
    requester_handle: str = ""


@dataclass(frozen=True, slots=True)
class Receipt:
    external_id: str
    permalink: str = ""
    page: Page | None = None  # what the platform answered, as the sync reads it (a new ticket)


@dataclass(frozen=True, slots=True)
class SyncCursor:
    account_id: int
    stream: str
    cursor: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CannedResponse:
    id: int
    title: str
    body: str
    team: Team | None = None
    language: str = "id"
