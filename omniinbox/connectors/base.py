"""What every connector (and every importer) offers the sync engine, and the errors it may raise.

Connectors know HTTP, IMAP and payloads; they never touch the database. The sync engine is the
one place that joins a connector with the cache.

Errors are sorted by who is at fault, because each calls for a different response:

========================  ==========================================  ======================
error                     meaning                                      the engine...
========================  ==========================================  ======================
``AuthenticationError``   credentials missing, wrong or expired        stops the account
``PermissionDenied``      credentials valid, not allowed to do that    stops the stream
``RateLimited``           the platform asks us to wait                 waits ``retry_after``
``TransientError``        timeouts, 5xx, connection resets: weather    retries with backoff
``PermanentError``        the platform refused this request for good   records it, moves on
``ConnectorBug``          we could not read what the platform sent     records it, moves on
========================  ==========================================  ======================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from omniinbox.core import OutgoingReply, Page, Receipt


class ConnectorError(Exception):
    """Base of the taxonomy. ``str(error)`` is shown to people: it must never carry a secret."""

    kind = "error"
    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthenticationError(ConnectorError):
    kind = "authentication"


class PermissionDenied(ConnectorError):
    kind = "permission"


class RateLimited(ConnectorError):
    kind = "rate_limited"
    retryable = True


class TransientError(ConnectorError):
    kind = "transient"
    retryable = True


class PermanentError(ConnectorError):
    kind = "permanent"


class ConnectorBug(ConnectorError):
    kind = "bug"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the credentials of an account can do, as far as the platform tells."""

    ok: bool
    identity: str = ""  # who we are on the platform (handle, address, agent name)
    can_read: bool = False
    can_reply: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


@runtime_checkable
class Connector(Protocol):
    """``streams`` names the incremental feeds the connector reads (``mentions``, ``dms``,
    ``tickets``...); each has its own cursor in the cache."""

    streams: tuple[str, ...]

    def fetch(self, stream: str, cursor: str | None) -> Page:
        """The next page after ``cursor`` (``None``: from the beginning, or from the platform's
        sensible default window). ``page.has_more`` says whether to call again now."""
        ...

    def send(self, reply: OutgoingReply) -> Receipt:
        """Deliver a reply. Must raise rather than return when the platform did not accept it."""
        ...

    def check(self) -> CheckResult: ...

    def close(self) -> None: ...
