"""What can go wrong when talking to the hub, sorted by what the person or program should do.

``str(error)`` is shown to people: it never carries a password (DSNs are masked, see
:func:`omniinbox.hub.connection.mask_dsn`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import psycopg.errors


class HubError(Exception):
    """Base of the hub's errors."""


class HubUnreachable(HubError):
    """The hub cannot be reached or refuses the login: the network, the address or the password."""


class HubTooNew(HubError):
    """The hub's schema was written by a newer OmniInbox than this one; nothing is changed."""


class HubNeedsUpgrade(HubError):
    """The hub's schema is older than this OmniInbox expects: run ``omniinbox hub init``."""


class HubPermissionDenied(HubError):
    """PostgreSQL refused: the role of this login may not do that (a role rule, not a bug)."""


class HubRefused(HubError):
    """The action does not fit the current state (a lock held by someone else, a reply already sent)."""


def server_message(exc: psycopg.Error) -> str:
    """The primary message PostgreSQL gave, without the statement or the parameters."""
    diag = exc.diag
    if diag is not None and diag.message_primary:
        return str(diag.message_primary)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@contextmanager
def refusals() -> Iterator[None]:
    """Turn PostgreSQL's refusals into :class:`HubPermissionDenied` / :class:`HubRefused` with the
    server's own words. Other database errors pass through unchanged."""
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise HubPermissionDenied(server_message(exc)) from exc
    except (
        psycopg.errors.ObjectNotInPrerequisiteState,
        psycopg.errors.CheckViolation,
        psycopg.errors.NoDataFound,
        psycopg.errors.InvalidParameterValue,
    ) as exc:
        raise HubRefused(server_message(exc)) from exc
