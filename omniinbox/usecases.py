"""What a person does in the desktop client, as Qt-free functions of the write cache.

The desktop client's task runner calls these on its single writer thread (``omniinbox.ui.tasks``);
they read what they need through :mod:`omniinbox.store.views` and write through the audited store
functions (:mod:`omniinbox.store.actions`, :mod:`omniinbox.store.outbox`). Actions take item ids
(what a person selects) and act on their conversations where the action is a conversation's
(assign, status, priority, hand-off).

Also here, because the composer and the sender both need them: each channel's reply length limit
(:data:`CHARACTER_LIMITS`, from :mod:`omniinbox.channel_rules`, which the outbox applies to every
reply it queues) and the SLA state of a conversation (:func:`sla_state`).
"""

from __future__ import annotations

import enum
import getpass
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omniinbox import channel_rules
from omniinbox.core import (
    Channel,
    ConversationStatus,
    OutboxEntry,
    OutboxState,
    Priority,
    Role,
    TagValue,
    Team,
    User,
    Visibility,
    to_millis,
    utcnow,
)
from omniinbox.store import actions, hub_journal, mentions, outbox, saved_searches, tickets, views
from omniinbox.store.accounts import add_user, get_user
from omniinbox.store.cache import Cache


class UseCaseRefused(ValueError):
    """The action cannot be done as asked; the message says why, for people."""


# ---------------------------------------------------------------------------------- limits

# Longest public reply each channel accepts; ``None``: no practical limit (mail, tickets). The rules
# themselves (how X counts, DMs, reply windows, what is possible) live in ``omniinbox.channel_rules``.
CHARACTER_LIMITS: dict[Channel, int | None] = channel_rules.CHARACTER_LIMITS


def character_limit(channel: Channel | str, visibility: Visibility | str = Visibility.PUBLIC) -> int | None:
    return channel_rules.character_limit(channel, visibility)


def character_count(
    text: str, channel: Channel | str | None = None, visibility: Visibility | str = Visibility.PUBLIC
) -> int:
    """Characters as ``channel`` counts them (X weighs links, emoji and CJK); code points of the
    stripped text when no channel is given."""
    return channel_rules.character_count(text, channel, visibility)


def reply_problem(
    text: str, channel: Channel | str, visibility: Visibility | str = Visibility.PUBLIC, **context: Any
) -> str | None:
    """Why ``text`` cannot be sent on ``channel`` (empty, too long, a closed window, a kind of
    reply the channel does not have), or ``None``. ``context``: the keywords of
    :func:`omniinbox.channel_rules.check_reply`."""
    return channel_rules.first_refusal(channel_rules.check_reply(channel, text, visibility, **context))


# ---------------------------------------------------------------------------------- SLA


class SlaKind(enum.StrEnum):
    NONE = "none"  # no due time
    MET = "met"  # answered, closed or snoozed: nothing is due
    OK = "ok"
    SOON = "soon"  # due within SOON_MS
    OVERDUE = "overdue"


SOON_MS = 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class SlaState:
    kind: SlaKind
    remaining_ms: int = 0  # negative when overdue


def sla_state(due_ms: int | None, *, status: str, needs_answer: bool, now_ms: int) -> SlaState:
    """Where a conversation stands against its due time."""
    if due_ms is None:
        return SlaState(SlaKind.NONE)
    if status in (ConversationStatus.CLOSED.value, ConversationStatus.SNOOZED.value) or not needs_answer:
        return SlaState(SlaKind.MET, due_ms - now_ms)
    remaining = due_ms - now_ms
    if remaining < 0:
        return SlaState(SlaKind.OVERDUE, remaining)
    return SlaState(SlaKind.SOON if remaining <= SOON_MS else SlaKind.OK, remaining)


# ---------------------------------------------------------------------------------- the user


def current_user(cache: Cache, login: str | None = None) -> User:
    """The person at this desk: the user named ``login`` (the system login by default). When the
    cache has no user at all, that login is created as a local administrator; when it has users
    but not this one, the first administrator (a single workstation's owner) is used."""
    login = login or _system_login()
    user = get_user(cache, login)
    if user is not None:
        return user
    known = views.users(cache)
    if not known:
        return add_user(cache, login, login, Role.ADMIN)
    admins = sorted((u for u in known if u.role is Role.ADMIN), key=lambda u: u.id)
    return admins[0] if admins else min(known, key=lambda u: u.id)


def _system_login() -> str:
    try:
        return getpass.getuser() or "local"
    except (KeyError, OSError):  # no login name in the environment or the password database
        return "local"


def working_team(user: User, chosen: Team | None = None) -> Team:
    """The team whose judgement a Promote/Protect records: the one chosen, else the user's, else
    the social media team."""
    return chosen or user.team or Team.SOCIAL


# ---------------------------------------------------------------------------------- actions


def _conversations(cache: Cache, item_ids: Iterable[int]) -> list[int]:
    ids = list(item_ids)
    if not ids:
        raise UseCaseRefused("nothing is selected")
    conversation_ids = views.conversation_ids_for(cache, ids)
    if not conversation_ids:
        raise UseCaseRefused("the selected items no longer exist")
    return conversation_ids


def tag(cache: Cache, user: User, item_ids: Sequence[int], team: Team, value: TagValue, *, toggle: bool = True) -> int:
    """Record ``team``'s judgement on the items. With ``toggle``, when every item already carries
    it, it is taken off instead (pressing the key again undoes it). Returns items changed."""
    ids = list(item_ids)
    if not ids:
        raise UseCaseRefused("nothing is selected")
    if toggle:
        current = views.tags_of(cache, ids)
        if all(current.get(i, {}).get(team.value) == value.value for i in ids):
            return actions.set_tag(cache, ids, team, None, user_id=user.id)
    return actions.set_tag(cache, ids, team, value, user_id=user.id)


def clear_tag(cache: Cache, user: User, item_ids: Sequence[int], team: Team) -> int:
    return actions.set_tag(cache, list(item_ids), team, None, user_id=user.id)


def assign(cache: Cache, user: User, item_ids: Sequence[int], assignee_id: int | None) -> int:
    """Assign the items' conversations (``None``: unassign). Returns conversations changed."""
    return actions.assign(cache, _conversations(cache, item_ids), assignee_id, user_id=user.id)


def set_status(
    cache: Cache, user: User, item_ids: Sequence[int], status: ConversationStatus, *, until: datetime | None = None
) -> int:
    if status is ConversationStatus.SNOOZED:
        if until is None:
            raise UseCaseRefused("snoozing needs a time to wake the conversation up")
        if until <= utcnow():
            raise UseCaseRefused("the wake-up time is already past")
    return actions.set_status(
        cache,
        _conversations(cache, item_ids),
        status,
        user_id=user.id,
        snoozed_until_ms=to_millis(until) if status is ConversationStatus.SNOOZED else None,
    )


def set_priority(cache: Cache, user: User, item_ids: Sequence[int], priority: Priority) -> int:
    return actions.set_priority(cache, _conversations(cache, item_ids), priority, user_id=user.id)


def add_label(cache: Cache, user: User, item_ids: Sequence[int], label: str) -> int:
    try:
        return actions.add_label(cache, list(item_ids), label, user_id=user.id)
    except actions.ActionRefused as exc:
        raise UseCaseRefused(str(exc)) from None


def add_note(cache: Cache, user: User, item_ids: Sequence[int], body: str) -> int:
    """The same note on each selected item's conversation. Returns how many notes were added.
    Users of the cache the note names as ``@login`` are recorded as mentioned (not the author):
    see :mod:`omniinbox.store.mentions`."""
    if not body.strip():
        raise UseCaseRefused("a note cannot be empty")
    conversation_ids = _conversations(cache, item_ids)
    mentioned = [uid for uid in mentions.mentioned_users(cache, body).values() if uid != user.id]
    for cid in conversation_ids:
        note_id = actions.add_note(cache, cid, body, user_id=user.id)
        mentions.record(cache, note_id, cid, mentioned, author_id=user.id)
    return len(conversation_ids)


def mark_read(cache: Cache, user: User, item_ids: Sequence[int], read: bool = True) -> int:
    return actions.mark_read(cache, list(item_ids), read, user_id=user.id)


def handoff(cache: Cache, user: User, item_ids: Sequence[int], to_team: Team, note: str) -> int:
    """Move the items' conversations to ``to_team``'s queue, unassigned, with a note saying why.
    Returns conversations moved."""
    if not note.strip():
        raise UseCaseRefused("say in a note why the other team should take it")
    conversation_ids = _conversations(cache, item_ids)
    moved = actions.set_team(cache, conversation_ids, to_team, user_id=user.id)
    actions.assign(cache, conversation_ids, None, user_id=user.id)
    for cid in conversation_ids:
        actions.add_note(cache, cid, note, user_id=user.id)
    return moved


@dataclass(frozen=True, slots=True)
class Escalation:
    conversations: int
    supervisor: User | None  # None: there is no supervisor to hand to; the priority was raised


def escalate(cache: Cache, user: User, item_ids: Sequence[int]) -> Escalation:
    """Raise the priority of the items' conversations by one step (up to urgent) and hand them to
    the supervisor with the fewest open conversations."""
    conversation_ids = _conversations(cache, item_ids)
    facts = views.conversation_facts(cache, conversation_ids)
    by_priority: dict[Priority, list[int]] = {}
    for cid in conversation_ids:
        current = facts[cid].priority if cid in facts else int(Priority.NORMAL)
        raised = Priority(min(current + 1, int(Priority.URGENT)))
        by_priority.setdefault(raised, []).append(cid)
    for priority, cids in by_priority.items():
        actions.set_priority(cache, cids, priority, user_id=user.id)
    supervisors = [u for u in views.users(cache) if u.role is Role.SUPERVISOR]
    supervisor = None
    if supervisors:
        load = views.open_assignments(cache)
        supervisor = min(supervisors, key=lambda u: (load.get(u.id, 0), u.id))
        actions.assign(cache, conversation_ids, supervisor.id, user_id=user.id)
    return Escalation(len(conversation_ids), supervisor)


# ---------------------------------------------------------------------------------- replies


def reply(cache: Cache, user: User, item_id: int, body: str, *, private: bool = False) -> OutboxEntry:
    """Queue a reply to ``item_id`` on its account (a private note where ``private``). It waits for
    approval on a leader's account; the sync worker sends it."""
    rows = views.list_rows(cache, [item_id])
    if not rows:
        raise UseCaseRefused("the item to reply to no longer exists")
    row = rows[0]
    if not body.strip():
        raise UseCaseRefused("the reply is empty")
    if hub_journal.team_mode(cache.conn):
        # team mode: someone else holding the conversation's soft lock is answering it
        held = hub_journal.lock_of(cache.conn, row.conversation_id, now_ms=to_millis(utcnow()) or 0)
        if held is not None and held.holder_login != user.login:
            raise UseCaseRefused(f"{held.holder_name or held.holder_login} is replying to this conversation")
    try:
        return outbox.enqueue(
            cache,
            account_id=row.account_id,
            body=body.strip(),
            in_reply_to_item_id=item_id,
            visibility=Visibility.PRIVATE if private else Visibility.PUBLIC,
            user_id=user.id,
        )
    except outbox.OutboxRefused as exc:
        raise UseCaseRefused(str(exc)) from None


LOCK_RENEW_MS = 60_000  # a soft lock of one's own with less lease left than this is renewed


def open_for_reply(cache: Cache, user: User, item_id: int) -> hub_journal.ReplicaLock | None:
    """Team mode: the composer shows the item's conversation, so ask the hub for its soft lock
    (journaled, taken by the replica as soon as the hub is reachable, renewed while the
    conversation stays open). Returns someone else's live lock as last pulled ("Dewi is
    replying"), else ``None``. In solo mode nothing happens."""
    if not hub_journal.team_mode(cache.conn):
        return None
    conversation_ids = views.conversation_ids_for(cache, [item_id])
    if not conversation_ids:
        return None
    cid = conversation_ids[0]
    now = to_millis(utcnow()) or 0
    held = hub_journal.lock_of(cache.conn, cid, now_ms=now)
    if held is not None and held.holder_login != user.login:
        return held
    if held is not None and held.expires_at - now > LOCK_RENEW_MS:
        return None
    if not hub_journal.has_pending(cache.conn, "lock", cid):
        with cache.write("action", user_id=user.id) as tx:
            hub_journal.record(tx, "lock", conversation_id=cid)
    return None


def take_over_reply(cache: Cache, user: User, item_id: int, reason: str = "") -> None:
    """Team mode: take the conversation's soft lock from whoever holds it, on purpose (the hub
    audits it as ``lock.takeover``, naming the previous holder and the reason)."""
    if not hub_journal.team_mode(cache.conn):
        raise UseCaseRefused("taking a conversation over is for team mode, where others reply too")
    cid = _conversations(cache, [item_id])[0]
    with cache.write("action", user_id=user.id) as tx:
        tx.audit("lock.takeover", f"conversation:{cid}", reason=reason)
        hub_journal.record(tx, "takeover", conversation_id=cid, reason=reason)


def retry_reply(cache: Cache, user: User, outbox_id: int) -> OutboxEntry:
    try:
        return outbox.retry(cache, outbox_id, user_id=user.id, now_ms=to_millis(utcnow()) or 0)
    except outbox.OutboxRefused as exc:
        raise UseCaseRefused(str(exc)) from None


def cancel_reply(cache: Cache, user: User, outbox_id: int) -> OutboxEntry:
    try:
        return outbox.cancel(cache, outbox_id, user_id=user.id)
    except outbox.OutboxRefused as exc:
        raise UseCaseRefused(str(exc)) from None


# ---------------------------------------------------------------------------------- supervision

SUPERVISING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def is_supervisor(user: User) -> bool:
    """Whether ``user`` may approve replies, reassign anyone's work and see the supervisor's view."""
    return user.role in SUPERVISING_ROLES


def _awaiting_approval(cache: Cache, user: User, outbox_id: int, doing: str) -> OutboxEntry:
    if not is_supervisor(user):
        raise UseCaseRefused(f"only a supervisor or an administrator can {doing} a reply awaiting approval")
    entry = views.outbox_entry(cache, outbox_id)
    if entry is None:
        raise UseCaseRefused("that reply no longer exists")
    if entry.state is not OutboxState.AWAITING_APPROVAL:
        raise UseCaseRefused(f"that reply is no longer awaiting approval (it is {entry.state.value})")
    return entry


def approve_reply(cache: Cache, user: User, outbox_id: int) -> OutboxEntry:
    """A supervisor approves a reply awaiting approval (on a leader's account): it is queued for
    sending. Audited as ``reply.approve``; anyone else is refused."""
    _awaiting_approval(cache, user, outbox_id, "approve")
    try:
        return outbox.approve(cache, outbox_id, user_id=user.id)
    except outbox.OutboxRefused as exc:
        raise UseCaseRefused(str(exc)) from None


def reject_reply(cache: Cache, user: User, outbox_id: int, reason: str = "") -> OutboxEntry:
    """A supervisor rejects a reply awaiting approval: it is cancelled (audited as
    ``reply.cancel``) and a note on its conversation says who rejected it and why, for the
    person who wrote it. Anyone else is refused."""
    entry = _awaiting_approval(cache, user, outbox_id, "reject")
    try:
        cancelled = outbox.cancel(cache, outbox_id, user_id=user.id)
    except outbox.OutboxRefused as exc:
        raise UseCaseRefused(str(exc)) from None
    if entry.conversation_id is not None:
        note = f"Reply rejected by {user.name}" + (f": {reason.strip()}" if reason.strip() else "")
        actions.add_note(cache, entry.conversation_id, f"{note}\n\n> {entry.body}", user_id=user.id)
    return cancelled


def reassign(cache: Cache, user: User, item_ids: Sequence[int], assignee_id: int | None) -> int:
    """A supervisor moves the items' conversations to someone else (``None``: unassigned).
    Returns conversations changed; anyone but a supervisor or an administrator is refused."""
    if not is_supervisor(user):
        raise UseCaseRefused("only a supervisor or an administrator can reassign other people's work")
    return assign(cache, user, item_ids, assignee_id)


# ---------------------------------------------------------------------------------- saved searches


def save_search(cache: Cache, user: User, name: str, query: str, flt: views.ListFilter) -> saved_searches.SavedSearch:
    """Save the search (text and filter) under ``name`` for ``user`` (audited as ``search.save``)."""
    try:
        return saved_searches.save(cache, user.id, name, query, flt)
    except saved_searches.SavedSearchRefused as exc:
        raise UseCaseRefused(str(exc)) from None


def rename_search(cache: Cache, user: User, search_id: int, name: str) -> saved_searches.SavedSearch:
    try:
        return saved_searches.rename(cache, user.id, search_id, name)
    except saved_searches.SavedSearchRefused as exc:
        raise UseCaseRefused(str(exc)) from None


def delete_search(cache: Cache, user: User, search_id: int) -> None:
    try:
        saved_searches.delete(cache, user.id, search_id)
    except saved_searches.SavedSearchRefused as exc:
        raise UseCaseRefused(str(exc)) from None


# ---------------------------------------------------------------------------------- new tickets


def create_ticket(cache: Cache, user: User, item_id: int, account_id: int, subject: str, body: str) -> OutboxEntry:
    """Turn a social item into a ticket on a helpdesk account: the ticket is queued in the
    outbox (the sender creates it once, then notes both conversations with each other), and the
    social conversation is handed off to the contact center with a note saying so."""
    if hub_journal.team_mode(cache.conn):  # the hub's worker sends; it has no new-ticket entries yet
        raise UseCaseRefused("creating a ticket from a social item is not available in team mode yet")
    draft = tickets.draft_for(cache, item_id)
    if draft is None:
        raise UseCaseRefused("the item no longer exists")
    if Channel(draft.channel).group != Team.SOCIAL.value:
        raise UseCaseRefused("tickets are created from items of social channels")
    try:
        entry = tickets.enqueue_ticket(
            cache,
            account_id=account_id,
            subject=subject,
            body=body,
            requester=draft.requester,
            social_conversation_id=draft.conversation_id,
            social_item_id=item_id,
            user_id=user.id,
        )
    except (tickets.TicketRefused, outbox.OutboxRefused) as exc:
        raise UseCaseRefused(str(exc)) from None
    account = cache.conn.execute("SELECT coalesce(nullif(name, ''), key) FROM accounts WHERE id = ?", (account_id,))
    where = (account.fetchone() or ("a helpdesk",))[0]
    handoff(cache, user, [item_id], Team.CONTACT_CENTER, f"Ticket requested on {where}: {' '.join(subject.split())}")
    return entry
