"""Reads that bring the issue radar into the inbox: how many issues must still be answered (the
side bar's "Issues" entry) and which items of the "Needs answer" queue belong to the
conversations of those issues, so the queue can show them first.

Both are driven by indexes and bounded, whatever the size of the cache:

* the unanswered must-answer issues through ``issues_unanswered`` (a partial index: a handful of
  rows);
* each issue's newest items through ``triage_items_issue`` (at most :data:`ITEMS_PER_ISSUE`);
* their conversations by the items' primary key, and each conversation's newest incoming items
  through ``items_conversation`` (at most :data:`ITEMS_PER_CONVERSATION`);
* the list's own filter checked on those few ids (:func:`views.matching_ids`, by primary key).

Every function takes a reader connection (or a :class:`Cache`) and only reads.
"""

from __future__ import annotations

from omniinbox.store import views
from omniinbox.store.views import Conn, ListFilter, _conn

MAX_ISSUES = 50
ITEMS_PER_ISSUE = 300
ITEMS_PER_CONVERSATION = 20
MAX_PINNED = 500

_UNANSWERED = "must_answer = 1 AND answered_at IS NULL AND status = 'open'"


def must_answer_count(conn: Conn) -> int:
    """Open issues that must be answered and are not yet (``issues_unanswered``)."""
    sql = f"SELECT count(*) FROM issues INDEXED BY issues_unanswered WHERE {_UNANSWERED}"
    return int(_conn(conn).execute(sql).fetchone()[0])


def must_answer_issue_ids(conn: Conn, *, limit: int = MAX_ISSUES) -> list[int]:
    """The unanswered must-answer issues, earliest deadline first (as the radar lists them)."""
    sql = (
        f"SELECT id FROM issues INDEXED BY issues_unanswered WHERE {_UNANSWERED}"
        " ORDER BY deadline_at IS NULL, deadline_at, level DESC, id LIMIT ?"
    )
    return [r[0] for r in _conn(conn).execute(sql, (limit,))]


def must_answer_first(conn: Conn, flt: ListFilter, *, limit: int = MAX_PINNED) -> list[int]:
    """Ids of the items matching ``flt`` that sit in the conversations of unanswered must-answer
    issues: those issues in deadline order, each one's items newest first; at most ``limit``.

    Meant for the "Needs answer" queue (``flt.needs_answer``), whose list shows these first and
    the rest in its usual order; any filter works."""
    c = _conn(conn)
    ordered: list[int] = []
    seen_conversations: set[int] = set()
    for issue_id in must_answer_issue_ids(c):
        conversations = [
            r[0]
            for r in c.execute(
                "SELECT DISTINCT i.conversation_id FROM"
                " (SELECT item_id FROM triage_items INDEXED BY triage_items_issue"
                "  WHERE issue_id = ? ORDER BY item_id DESC LIMIT ?) t"
                " CROSS JOIN items i ON i.id = t.item_id",
                (issue_id, ITEMS_PER_ISSUE),
            )
            if r[0] is not None and r[0] not in seen_conversations
        ]
        seen_conversations.update(conversations)
        candidates: list[int] = []
        for conversation_id in conversations:
            candidates.extend(
                r[0]
                for r in c.execute(
                    "SELECT id FROM items INDEXED BY items_conversation WHERE conversation_id = ?"
                    " AND direction = 'in' ORDER BY id DESC LIMIT ?",
                    (conversation_id, ITEMS_PER_CONVERSATION),
                )
            )
        if not candidates:
            continue
        matching = views.matching_ids(c, flt, candidates)
        ordered.extend(sorted(matching, reverse=True))
        if len(ordered) >= limit:
            break
    return list(dict.fromkeys(ordered))[:limit]
