"""What people do to issues: hand corrections of the grouping (merge, split, move items, take
items out), the owner, the title, closing and reopening, and acknowledging a notification.

Every action is one audited transaction (``issue:<id>`` targets). Corrections are respected by
later automatic grouping: issues people split, or moved items between, are kept apart (new items
related to both join only the larger); items people took out of their issue join nothing
automatically again; issues people merged may be joined again by new items as usual. Affected
issues are re-assessed from scratch, so a level can go down after a correction.
"""

from __future__ import annotations

from collections.abc import Sequence

from omniinbox.core import Role, User, to_millis, utcnow
from omniinbox.store import issues as store
from omniinbox.store.cache import Cache, WriteTx
from omniinbox.triage import settings as settings_mod
from omniinbox.triage.engine import UpdateReport, _Run, lexicon_for
from omniinbox.triage.grouping import FLAG_DETACHED

SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})


class IssueRefused(ValueError):
    """The action cannot be done as asked; the message says why, for people."""


def _open_issue(cache: Cache, issue_id: int) -> store.IssueRow:
    row = store.issue(cache, issue_id)
    if row is None:
        raise IssueRefused(f"there is no issue #{issue_id}")
    if row.status == "merged":
        raise IssueRefused(f"issue #{issue_id} was merged into issue #{row.merged_into}")
    return row


def _run(cache: Cache, tx: WriteTx, now_ms: int | None) -> _Run:
    settings = settings_mod.load(cache)
    now = now_ms if now_ms is not None else to_millis(utcnow()) or 0
    return _Run(tx, settings, lexicon_for(settings), now, UpdateReport())


def merge_issues(cache: Cache, user: User, issue_ids: Sequence[int], *, now_ms: int | None = None) -> int:
    """Merge issues into the largest of them. Returns the issue that remains."""
    ids = list(dict.fromkeys(issue_ids))
    if len(ids) < 2:
        raise IssueRefused("choose at least two issues to merge")
    rows = [_open_issue(cache, i) for i in ids]
    target = min(rows, key=lambda r: (-r.items, r.id)).id
    others = [r.id for r in rows if r.id != target]
    with cache.write("triage", user_id=user.id) as tx:
        run = _run(cache, tx, now_ms)
        for other in others:
            store.allow_together(tx, target, other)
            run.merge(target, other, automatic=False)
        tx.audit("issue.merge_by_hand", f"issue:{target}", merged=others)
        run.refresh_dirty(reassess=[target])
    return target


def _triaged(cache: Cache, item_ids: Sequence[int]) -> dict[int, int | None]:
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise IssueRefused("no items are selected")
    current = store.issues_of(cache, ids)
    missing = [i for i in ids if i not in current]
    if missing:
        raise IssueRefused(f"item {missing[0]} has not been triaged (too old, or triage has not run since it arrived)")
    return current


def split_issue(
    cache: Cache, user: User, issue_id: int, item_ids: Sequence[int], *, title: str = "", now_ms: int | None = None
) -> int:
    """Take ``item_ids`` out of ``issue_id`` into a new issue, kept apart from it. Returns the
    new issue."""
    _open_issue(cache, issue_id)
    current = _triaged(cache, item_ids)
    strangers = [i for i, iss in current.items() if iss != issue_id]
    if strangers:
        raise IssueRefused(f"item {strangers[0]} is not in issue #{issue_id}")
    if len(current) >= len(store.member_ids(cache, issue_id)):
        raise IssueRefused("a split must leave some items in the issue")
    with cache.write("triage", user_id=user.id) as tx:
        run = _run(cache, tx, now_ms)
        new = store.create_issue(tx)
        store.assign(tx, list(current), new)
        store.keep_apart(tx, issue_id, new)
        if title.strip():
            store.update_issue(tx, new, {"title": title.strip(), "title_by": user.id})
        tx.audit("issue.split", f"issue:{issue_id}", into=new, items=sorted(current))
        tx.audit("issue.split_from", f"issue:{new}", source=issue_id, items=sorted(current))
        run.refresh_dirty(reassess=[issue_id, new])
    return new


def move_items(
    cache: Cache, user: User, item_ids: Sequence[int], to_issue_id: int, *, now_ms: int | None = None
) -> int:
    """Move items into another issue; the issues they came from are kept apart from it.
    Returns how many moved."""
    _open_issue(cache, to_issue_id)
    current = _triaged(cache, item_ids)
    moving = [i for i, iss in current.items() if iss != to_issue_id]
    if not moving:
        return 0
    sources = sorted({iss for i, iss in current.items() if iss is not None and iss != to_issue_id})
    with cache.write("triage", user_id=user.id) as tx:
        run = _run(cache, tx, now_ms)
        store.assign(tx, moving, to_issue_id)
        for source in sources:
            store.keep_apart(tx, source, to_issue_id)
            tx.audit(
                "issue.move_out", f"issue:{source}", to=to_issue_id, items=[i for i in moving if current[i] == source]
            )
        tx.audit("issue.move_in", f"issue:{to_issue_id}", items=moving, sources=sources)
        run.refresh_dirty(reassess=[to_issue_id, *sources])
    return len(moving)


def detach_items(cache: Cache, user: User, item_ids: Sequence[int], *, now_ms: int | None = None) -> int:
    """Take items out of their issues for good: automatic grouping leaves them alone."""
    current = _triaged(cache, item_ids)
    sources = sorted({iss for iss in current.values() if iss is not None})
    with cache.write("triage", user_id=user.id) as tx:
        run = _run(cache, tx, now_ms)
        store.assign(tx, list(current), None)
        flags = {r.item_id: r.flags | FLAG_DETACHED for r in store.feature_rows(tx.conn, current)}
        store.set_flags(tx, flags)
        for source in sources:
            tx.audit("issue.detach", f"issue:{source}", items=[i for i, iss in current.items() if iss == source])
        run.refresh_dirty(reassess=sources)
    return len(current)


def set_title(cache: Cache, user: User, issue_id: int, title: str) -> None:
    """Name an issue (``""`` gives the automatic title back)."""
    _open_issue(cache, issue_id)
    with cache.write("triage", user_id=user.id) as tx:
        values: dict[str, object] = {"title": title.strip(), "title_by": user.id if title.strip() else None}
        store.update_issue(tx, issue_id, values)
        store.mark_dirty(tx, [issue_id])
        tx.audit("issue.title", f"issue:{issue_id}", title=title.strip())


def set_owner(cache: Cache, user: User, issue_id: int, owner_id: int | None) -> None:
    """Who answers for the issue. Supervisors assign anyone; others may take it themselves or
    give up what they hold."""
    row = _open_issue(cache, issue_id)
    roles = store.users_roles(cache)
    if owner_id is not None and owner_id not in roles:
        raise IssueRefused(f"there is no user {owner_id}")
    if user.role not in SUPERVISORS and owner_id not in (user.id, None):
        raise IssueRefused("only a supervisor can make someone else the owner of an issue")
    if user.role not in SUPERVISORS and owner_id is None and row.owner_id not in (user.id, None):
        raise IssueRefused("only a supervisor can take an issue from its owner")
    if row.owner_id == owner_id:
        return
    with cache.write("triage", user_id=user.id) as tx:
        store.update_issue(tx, issue_id, {"owner_id": owner_id})
        tx.audit("issue.owner", f"issue:{issue_id}", before=row.owner_id, after=owner_id)


def set_deadline(cache: Cache, user: User, issue_id: int, deadline_ms: int | None) -> None:
    """Move a must-answer issue's deadline (supervisors)."""
    row = _open_issue(cache, issue_id)
    if user.role not in SUPERVISORS:
        raise IssueRefused("only a supervisor can move an issue's deadline")
    if not row.must_answer:
        raise IssueRefused(f"issue #{issue_id} is not must-answer; it has no deadline")
    with cache.write("triage", user_id=user.id) as tx:
        store.update_issue(tx, issue_id, {"deadline_at": deadline_ms})
        tx.audit("issue.deadline", f"issue:{issue_id}", before=row.deadline_at, after=deadline_ms)


def close_issue(cache: Cache, user: User, issue_id: int, *, note: str = "") -> None:
    """Close an issue (it reopens by itself when the public writes about it again)."""
    row = _open_issue(cache, issue_id)
    if row.status == "closed":
        return
    if row.must_answer and row.answered_at is None and user.role not in SUPERVISORS:
        raise IssueRefused(f"issue #{issue_id} must be answered; only a supervisor can close it unanswered")
    with cache.write("triage", user_id=user.id) as tx:
        store.update_issue(tx, issue_id, {"status": "closed", "closed_at": tx.now_ms})
        tx.audit("issue.close", f"issue:{issue_id}", note=note.strip())


def reopen_issue(cache: Cache, user: User, issue_id: int) -> None:
    row = _open_issue(cache, issue_id)
    if row.status == "open":
        return
    with cache.write("triage", user_id=user.id) as tx:
        store.update_issue(tx, issue_id, {"status": "open", "closed_at": None})
        tx.audit("issue.reopen", f"issue:{issue_id}")


def acknowledge(cache: Cache, user: User, notification_id: int) -> bool:
    """A supervisor has seen a notification. Returns False when it was already acknowledged."""
    if user.role not in SUPERVISORS:
        raise IssueRefused("notifications of must-answer issues are acknowledged by a supervisor")
    with cache.write("triage", user_id=user.id) as tx:
        done = store.acknowledge(tx, notification_id, user.id)
        if done:
            tx.audit("issue.notification_seen", f"notification:{notification_id}")
    return done
