"""What people do to items and conversations. Every action is one transaction that changes the
rows, bumps their sequence numbers and appends an audit event naming who did what."""

from __future__ import annotations

import json
from collections.abc import Iterable

from omniinbox.core import ConversationStatus, Priority, TagValue, Team, from_millis, to_millis, utcnow
from omniinbox.store import hub_journal
from omniinbox.store.cache import Cache


class ActionRefused(ValueError):
    """The action cannot be applied (unknown item, closed conversation...); the message says why."""


def _require_items(cache: Cache, item_ids: list[int]) -> None:
    marks = ",".join("?" * len(item_ids))
    found = cache.conn.execute(f"SELECT count(*) FROM items WHERE id IN ({marks})", item_ids).fetchone()[0]
    if found != len(set(item_ids)):
        raise ActionRefused("some of the selected items no longer exist")


def set_tag(cache: Cache, item_ids: Iterable[int], team: Team, value: TagValue | None, *, user_id: int | None) -> int:
    """Record ``team``'s Promote/Protect judgement on items (``None`` clears it). Returns how
    many items changed."""
    ids = list(item_ids)
    if not ids:
        return 0
    _require_items(cache, ids)
    changed = 0
    with cache.write("action", user_id=user_id) as tx:
        for item_id in ids:
            if value is None:
                cur = tx.conn.execute("DELETE FROM tags WHERE item_id = ? AND team = ?", (item_id, team.value))
            else:
                cur = tx.conn.execute(
                    "INSERT INTO tags (item_id, team, value, set_by, set_at, seq) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (item_id, team) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,"
                    " set_at = excluded.set_at, seq = excluded.seq WHERE tags.value IS NOT excluded.value",
                    (item_id, team.value, value.value, user_id, tx.now_ms, tx.next_seq()),
                )
            if cur.rowcount > 0:
                changed += 1
                tx.audit("tag.set" if value else "tag.clear", f"item:{item_id}", team=team.value,
                         value=value.value if value else None)  # fmt: skip
                hub_journal.record(tx, "tag", item_id=item_id, team=team.value, value=value.value if value else None)
        tx.summary["tags"] += changed
    return changed


def add_label(cache: Cache, item_ids: Iterable[int], label: str, *, user_id: int | None) -> int:
    label = label.strip()
    if not label:
        raise ActionRefused("a label needs a name")
    ids = list(item_ids)
    _require_items(cache, ids)
    with cache.write("action", user_id=user_id) as tx:
        changed = 0
        for item_id in ids:
            cur = tx.conn.execute(
                "INSERT OR IGNORE INTO labels (item_id, label, seq) VALUES (?, ?, ?)", (item_id, label, tx.next_seq())
            )
            if cur.rowcount > 0:
                changed += 1
                tx.audit("label.add", f"item:{item_id}", label=label)
                hub_journal.record(tx, "label", item_id=item_id, label=label)
        tx.summary["labels"] += changed
    return changed


def _conversations(cache: Cache, conversation_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(conversation_ids))
    if not ids:
        return ids
    marks = ",".join("?" * len(ids))
    found = cache.conn.execute(f"SELECT count(*) FROM conversations WHERE id IN ({marks})", ids).fetchone()[0]
    if found != len(ids):
        raise ActionRefused("some of the selected conversations no longer exist")
    return ids


def assign(cache: Cache, conversation_ids: Iterable[int], assignee_id: int | None, *, user_id: int | None) -> int:
    ids = _conversations(cache, conversation_ids)
    if (
        assignee_id is not None
        and not cache.conn.execute("SELECT 1 FROM users WHERE id = ?", (assignee_id,)).fetchone()
    ):
        raise ActionRefused(f"there is no user {assignee_id}")
    changed = 0
    with cache.write("action", user_id=user_id) as tx:
        for cid in ids:
            before = tx.conn.execute("SELECT assignee_id FROM conversations WHERE id = ?", (cid,)).fetchone()[0]
            if before == assignee_id:
                continue
            tx.conn.execute(
                "UPDATE conversations SET assignee_id = ?, seq = ? WHERE id = ?", (assignee_id, tx.next_seq(), cid)
            )
            tx.audit("conversation.assign", f"conversation:{cid}", before=before, after=assignee_id)
            hub_journal.record(tx, "assign", conversation_id=cid, assignee_id=assignee_id, before=before)
            changed += 1
        tx.summary["conversations"] += changed
    return changed


def set_status(
    cache: Cache,
    conversation_ids: Iterable[int],
    status: ConversationStatus,
    *,
    user_id: int | None,
    snoozed_until_ms: int | None = None,
) -> int:
    if status is ConversationStatus.SNOOZED and snoozed_until_ms is None:
        raise ActionRefused("snoozing needs a time to wake the conversation up")
    ids = _conversations(cache, conversation_ids)
    changed = 0
    with cache.write("action", user_id=user_id) as tx:
        for cid in ids:
            cur = tx.conn.execute(
                "UPDATE conversations SET status = ?, snoozed_until = ?, seq = ? WHERE id = ?"
                " AND (status IS NOT ? OR snoozed_until IS NOT ?)",
                (status.value, snoozed_until_ms, tx.next_seq(), cid, status.value, snoozed_until_ms),
            )
            if cur.rowcount:
                changed += 1
                tx.audit("conversation.status", f"conversation:{cid}", status=status.value, until=snoozed_until_ms)
                hub_journal.record(tx, "status", conversation_id=cid, status=status.value, until=snoozed_until_ms)
        tx.summary["conversations"] += changed
    return changed


def set_priority(cache: Cache, conversation_ids: Iterable[int], priority: Priority, *, user_id: int | None) -> int:
    ids = _conversations(cache, conversation_ids)
    changed = 0
    with cache.write("action", user_id=user_id) as tx:
        for cid in ids:
            cur = tx.conn.execute(
                "UPDATE conversations SET priority = ?, seq = ? WHERE id = ? AND priority IS NOT ?",
                (int(priority), tx.next_seq(), cid, int(priority)),
            )
            if cur.rowcount:
                changed += 1
                tx.audit("conversation.priority", f"conversation:{cid}", priority=int(priority))
                hub_journal.record(tx, "priority", conversation_id=cid, priority=int(priority))
        tx.summary["conversations"] += changed
    return changed


def add_note(cache: Cache, conversation_id: int, body: str, *, user_id: int | None) -> int:
    body = body.strip()
    if not body:
        raise ActionRefused("a note cannot be empty")
    _conversations(cache, [conversation_id])
    with cache.write("action", user_id=user_id) as tx:
        cur = tx.conn.execute(
            "INSERT INTO notes (conversation_id, author_id, body, created_at, seq) VALUES (?, ?, ?, ?, ?)",
            (conversation_id, user_id, body, tx.now_ms, tx.next_seq()),
        )
        note_id = int(cur.lastrowid or 0)
        tx.audit("note.add", f"conversation:{conversation_id}", note=note_id)
        hub_journal.record(tx, "note", conversation_id=conversation_id, note_id=note_id)
        tx.summary["notes"] += 1
    return note_id


def mark_read(cache: Cache, item_ids: Iterable[int], read: bool = True, *, user_id: int | None) -> int:
    ids = list(item_ids)
    if not ids:
        return 0
    with cache.write("action", user_id=user_id) as tx:
        seq = tx.next_seq()
        marks = ",".join("?" * len(ids))
        cur = tx.conn.execute(
            f"UPDATE items SET is_read = ?, seq = ? WHERE id IN ({marks}) AND is_read != ?",
            (int(read), seq, *ids, int(read)),
        )
        tx.summary["items"] += cur.rowcount
    return cur.rowcount


def audit_trail(cache: Cache, target: str) -> list[dict[str, object]]:
    return [
        {"at": from_millis(at), "user": user, "action": action, "detail": json.loads(detail)}
        for at, user, action, detail in cache.conn.execute(
            "SELECT e.at, coalesce(u.login, ''), e.action, e.detail FROM audit_events e"
            " LEFT JOIN users u ON u.id = e.user_id WHERE e.target = ? ORDER BY e.id",
            (target,),
        )
    ]


def snooze_due(cache: Cache, now_ms: int | None = None) -> int:
    """Wake snoozed conversations whose time has come (status back to open)."""
    now_ms = now_ms if now_ms is not None else to_millis(utcnow()) or 0
    with cache.write("wake") as tx:
        due = [r[0] for r in tx.conn.execute(
            "SELECT id FROM conversations WHERE status = 'snoozed' AND snoozed_until <= ?", (now_ms,))]  # fmt: skip
        for cid in due:
            tx.conn.execute(
                "UPDATE conversations SET status = 'open', snoozed_until = NULL, seq = ? WHERE id = ?",
                (tx.next_seq(), cid),
            )
            tx.audit("conversation.wake", f"conversation:{cid}")
        tx.summary["conversations"] += len(due)
    return len(due)


def set_team(cache: Cache, conversation_ids: Iterable[int], team: Team, *, user_id: int | None) -> int:
    """Hand conversations to ``team``'s queue. Returns how many moved."""
    ids = _conversations(cache, conversation_ids)
    changed = 0
    with cache.write("action", user_id=user_id) as tx:
        for cid in ids:
            before = tx.conn.execute("SELECT team FROM conversations WHERE id = ?", (cid,)).fetchone()[0]
            if before == team.value:
                continue
            tx.conn.execute("UPDATE conversations SET team = ?, seq = ? WHERE id = ?", (team.value, tx.next_seq(), cid))
            tx.audit("conversation.team", f"conversation:{cid}", before=before, after=team.value)
            hub_journal.record(tx, "team", conversation_id=cid, team=team.value)
            changed += 1
        tx.summary["conversations"] += changed
    return changed


def set_sla_due(cache: Cache, conversation_ids: Iterable[int], due_ms: int | None, *, user_id: int | None) -> int:
    """Set (or clear, with ``None``) when conversations must have been answered."""
    ids = _conversations(cache, conversation_ids)
    changed = 0
    with cache.write("action", user_id=user_id) as tx:
        for cid in ids:
            cur = tx.conn.execute(
                "UPDATE conversations SET sla_due_at = ?, seq = ? WHERE id = ? AND sla_due_at IS NOT ?",
                (due_ms, tx.next_seq(), cid, due_ms),
            )
            if cur.rowcount:
                changed += 1
                tx.audit("conversation.sla", f"conversation:{cid}", due=due_ms)
                hub_journal.record(tx, "sla", conversation_id=cid, due=due_ms)
        tx.summary["conversations"] += changed
    return changed


def add_canned_response(
    cache: Cache, title: str, body: str, *, team: Team | None = None, language: str = "id", user_id: int | None
) -> int:
    """Store a reusable reply text; ``team`` ``None``: offered to both teams."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ActionRefused("a canned response needs a title and a text")
    with cache.write("action", user_id=user_id) as tx:
        cur = tx.conn.execute(
            "INSERT INTO canned_responses (title, body, team, language, seq) VALUES (?, ?, ?, ?, ?)",
            (title, body, team.value if team else None, language, tx.next_seq()),
        )
        canned_id = int(cur.lastrowid or 0)
        tx.audit("canned.add", f"canned:{canned_id}", title=title)
        tx.summary["canned_responses"] += 1
    return canned_id
