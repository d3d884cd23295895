"""One answer, every channel: a must-answer issue gets one statement, approved by a supervisor,
then sent as a reply on each channel and account the issue lives on, each adapted to its
channel's length limit, through the outbox (so it goes out once, with retries, and waits for
approval on leaders' personal accounts like any reply there).

    draft_statement -> (revise_statement) -> approve_statement -> plan_fanout -> fan_out
    fanout_progress: the outbox state of each channel's reply

The reply on each account goes to one item there: on public channels the public item that drew
the most engagement (where most people will see the answer), in private ones (tickets, DMs,
mail) the latest inbound item. Fanning out twice sends nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from omniinbox.core import Role, User, Visibility
from omniinbox.store import issues as store
from omniinbox.store import outbox
from omniinbox.store.cache import Cache
from omniinbox.triage.grouping import FLAG_FLOOD, FLAG_OUTBOUND, FLAG_SPAM
from omniinbox.usecases import character_limit

APPROVERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ELLIPSIS = "…"


class StatementRefused(ValueError):
    """The statement cannot move as asked; the message says why, for people."""


def adapt(body: str, limit: int | None, *, short_body: str = "", link: str = "") -> str:
    """The statement as it fits in ``limit`` characters (``None``: no limit): the full text when it
    fits, else the short version when given and fitting, else whole sentences (then whole words)
    of the full text followed by an ellipsis and the link to the full statement."""
    body, short_body, link = body.strip(), short_body.strip(), link.strip()
    if limit is None or len(body) <= limit:
        return body
    if short_body and len(short_body) <= limit:
        return short_body
    tail = f" {link}" if link else ""
    room = limit - len(tail) - 2  # room for " …" after the text kept
    if room <= 0:
        return link if link and len(link) <= limit else body[: max(limit - 1, 0)] + ELLIPSIS
    kept = ""
    for sentence in re.split(r"(?<=[.!?])\s+", body):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > room:
            break
        kept = candidate
    if kept:
        return f"{kept} {ELLIPSIS}{tail}"
    for word in body.split():
        candidate = f"{kept} {word}".strip()
        if len(candidate) > room:
            break
        kept = candidate
    return f"{kept or body[:room]}{ELLIPSIS}{tail}"


def _issue(cache: Cache, issue_id: int) -> store.IssueRow:
    row = store.final_issue(cache, issue_id)
    if row is None:
        raise StatementRefused(f"there is no issue #{issue_id}")
    return row


def _statement(cache: Cache, statement_id: int) -> store.StatementRow:
    row = store.statement(cache, statement_id)
    if row is None:
        raise StatementRefused(f"there is no statement {statement_id}")
    return row


def draft_statement(cache: Cache, user: User, issue_id: int, body: str, *, short_body: str = "",
                    link: str = "") -> store.StatementRow:  # fmt: skip
    """Write the statement of a must-answer issue (a short version for short channels and a link
    to the full text are optional)."""
    issue = _issue(cache, issue_id)
    if not issue.must_answer:
        raise StatementRefused(
            f"issue #{issue.id} is level {issue.level}, not must-answer; answer its items one by one"
        )
    if not body.strip():
        raise StatementRefused("the statement is empty")
    with cache.write("triage", user_id=user.id) as tx:
        statement_id = store.insert_statement(tx, issue.id, body.strip(), short_body.strip(), link.strip(), user.id)
        tx.audit("statement.draft", f"issue:{issue.id}", statement=statement_id)
    return _statement(cache, statement_id)


def revise_statement(cache: Cache, user: User, statement_id: int, body: str, *, short_body: str = "",
                     link: str = "") -> store.StatementRow:  # fmt: skip
    row = _statement(cache, statement_id)
    if row.state != "draft":
        raise StatementRefused(f"statement {statement_id} is {row.state}; only a draft can be changed")
    if not body.strip():
        raise StatementRefused("the statement is empty")
    with cache.write("triage", user_id=user.id) as tx:
        store.update_statement(tx, statement_id, {"body": body.strip(), "short_body": short_body.strip(),
                                                  "link": link.strip()})  # fmt: skip
        tx.audit("statement.revise", f"issue:{row.issue_id}", statement=statement_id)
    return _statement(cache, statement_id)


def approve_statement(cache: Cache, user: User, statement_id: int) -> store.StatementRow:
    """A supervisor (or an administrator) approves the statement for every channel."""
    if user.role not in APPROVERS:
        raise StatementRefused("a statement for every channel is approved by a supervisor")
    row = _statement(cache, statement_id)
    if row.state != "draft":
        raise StatementRefused(f"statement {statement_id} is {row.state}, not a draft")
    with cache.write("triage", user_id=user.id) as tx:
        store.update_statement(tx, statement_id, {"state": "approved", "approved_by": user.id,
                                                  "approved_at": tx.now_ms})  # fmt: skip
        tx.audit("statement.approve", f"issue:{row.issue_id}", statement=statement_id)
    return _statement(cache, statement_id)


@dataclass(frozen=True, slots=True)
class FanoutTarget:
    account_id: int
    account_key: str
    channel: str
    leader: bool
    item_id: int
    conversation_id: int
    limit: int | None
    body: str  # adapted to the channel
    shortened: bool


def plan_fanout(cache: Cache, statement_id: int) -> list[FanoutTarget]:
    """Where the statement would go: one reply per channel and account the issue touches."""
    row = _statement(cache, statement_id)
    issue = _issue(cache, row.issue_id)
    accounts = store.account_facts(cache)
    members = store.member_rows(cache, issue.id)
    best: dict[int, store.MemberRow] = {}
    for m in members:
        if m.direction == "out" or m.flags & (FLAG_OUTBOUND | FLAG_SPAM | FLAG_FLOOD):
            continue
        current = best.get(m.account_id)
        if current is None or _preference(m) > _preference(current):
            best[m.account_id] = m
    conversations = dict(
        cache.conn.execute(
            f"SELECT id, conversation_id FROM items WHERE id IN ({','.join('?' * len(best))})",
            [m.item_id for m in best.values()],
        )
    ) if best else {}  # fmt: skip
    targets = []
    for account_id, m in best.items():
        facts = accounts.get(account_id)
        if facts is None:
            continue
        limit = character_limit(facts.channel)
        body = adapt(row.body, limit, short_body=row.short_body, link=row.link)
        targets.append(
            FanoutTarget(
                account_id,
                facts.key,
                facts.channel,
                facts.leader,
                m.item_id,
                conversations[m.item_id],
                limit,
                body,
                body != row.body,
            )
        )
    return sorted(targets, key=lambda t: (t.channel, t.account_key))


def _preference(m: store.MemberRow) -> tuple[int, int]:
    if m.visibility == Visibility.PUBLIC.value:
        return (m.likes + m.shares + m.replies, -m.created_at)
    return (0, m.created_at)  # private: the latest


def fan_out(cache: Cache, user: User, statement_id: int) -> list[store.StatementReplyRow]:
    """Queue the approved statement on every channel (see :func:`plan_fanout`). Replies already
    queued for this statement are not queued again. Returns the per-channel progress."""
    row = _statement(cache, statement_id)
    if row.state not in ("approved", "fanned_out"):
        raise StatementRefused(f"statement {statement_id} is {row.state}; it must be approved by a supervisor first")
    issue = _issue(cache, row.issue_id)
    if not issue.must_answer:
        raise StatementRefused(f"issue #{issue.id} is not must-answer")
    targets = plan_fanout(cache, statement_id)
    if not targets:
        raise StatementRefused(f"issue #{issue.id} has no message from the public to answer")
    with cache.write("triage", user_id=user.id) as tx:
        for t in targets:
            store.plan_statement_reply(tx, statement_id, t.account_id, t.channel, t.item_id, t.conversation_id, t.body)
        tx.audit("statement.fan_out", f"issue:{issue.id}", statement=statement_id,
                 channels=sorted({t.channel for t in targets}))  # fmt: skip
    planned = {r.account_id: r for r in store.statement_replies(cache, statement_id)}
    for t in targets:
        reply = planned.get(t.account_id)
        if reply is None or reply.outbox_id is not None:
            continue
        existing = store.find_outbox_entry(cache, t.account_id, reply.item_id, reply.conversation_id, reply.body)
        if existing is None:
            entry = outbox.enqueue(
                cache,
                account_id=t.account_id,
                body=reply.body,
                conversation_id=reply.conversation_id,
                in_reply_to_item_id=reply.item_id,
                user_id=user.id,
            )
            existing = entry.id
        with cache.write("triage", user_id=user.id) as tx:
            store.link_statement_reply(tx, statement_id, t.account_id, existing)
    with cache.write("triage", user_id=user.id) as tx:
        if row.state != "fanned_out":
            store.update_statement(tx, statement_id, {"state": "fanned_out", "fanned_out_at": tx.now_ms})
    return store.statement_replies(cache, statement_id)


def fanout_progress(cache: Cache, statement_id: int) -> list[store.StatementReplyRow]:
    """Each channel's reply and its outbox state (awaiting_approval, queued, sending, sent,
    failed with the reason, cancelled)."""
    _statement(cache, statement_id)
    return store.statement_replies(cache, statement_id)


def withdraw_statement(cache: Cache, user: User, statement_id: int) -> None:
    """Give up a statement not yet fanned out."""
    row = _statement(cache, statement_id)
    if row.state == "fanned_out":
        raise StatementRefused("the statement was sent out; cancel the queued replies in the outbox instead")
    with cache.write("triage", user_id=user.id) as tx:
        store.update_statement(tx, statement_id, {"state": "withdrawn"})
        tx.audit("statement.withdraw", f"issue:{row.issue_id}", statement=statement_id)


def progress_summary(replies: Sequence[store.StatementReplyRow]) -> dict[str, int]:
    """How many of the replies are in each outbox state."""
    counts: dict[str, int] = {}
    for r in replies:
        state = r.state or "planned"
        counts[state] = counts.get(state, 0) + 1
    return counts
