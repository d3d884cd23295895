"""Use cases the desktop client calls (omniinbox.usecases): they reach the database, audited, and
refuse with a reason people can read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ui_support import Sample

from omniinbox import usecases
from omniinbox.core import Channel, ConversationStatus, OutboxState, Priority, Role, TagValue, Team, utcnow
from omniinbox.store import outbox, views
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.usecases import SlaKind, UseCaseRefused


def _audit(sample: Sample, target: str) -> list[str]:
    sql = "SELECT action FROM audit_events WHERE target = ? ORDER BY id"
    return [r[0] for r in sample.cache.conn.execute(sql, (target,))]


def _ids(sample: Sample, n: int, flt: views.ListFilter | None = None) -> list[int]:
    return views.page_ids(sample.cache, flt or views.ListFilter(), limit=n)


def test_current_user_is_created_once_as_a_local_administrator(tmp_path: object, cache: Cache) -> None:
    first = usecases.current_user(cache, "desk")
    assert first.role is Role.ADMIN and first.login == "desk"
    assert usecases.current_user(cache, "desk") == first
    add_user(cache, "agent-9", "Agent 9", Role.AGENT, Team.CONTACT_CENTER)
    assert usecases.current_user(cache, "someone-else") == first  # the workstation's administrator
    assert usecases.current_user(cache, "agent-9").role is Role.AGENT
    assert usecases.working_team(first) is Team.SOCIAL
    assert usecases.working_team(usecases.current_user(cache, "agent-9")) is Team.CONTACT_CENTER


def test_tag_toggles_per_team_and_keeps_the_other_teams_judgement(sample: Sample) -> None:
    ids = _ids(sample, 3)
    cache = sample.cache
    for i in ids:  # start from no judgement at all
        usecases.clear_tag(cache, sample.agent, [i], Team.CONTACT_CENTER)
        usecases.clear_tag(cache, sample.social, [i], Team.SOCIAL)
    assert usecases.tag(cache, sample.social, ids, Team.SOCIAL, TagValue.PROMOTE) == 3
    assert usecases.tag(cache, sample.agent, ids[:1], Team.CONTACT_CENTER, TagValue.PROTECT) == 1
    assert views.tags_of(cache, ids)[ids[0]] == {"social": "promote", "contact_center": "protect"}
    # pressing Promote again on the same selection takes it off, for that team only
    assert usecases.tag(cache, sample.social, ids, Team.SOCIAL, TagValue.PROMOTE) == 3
    assert views.tags_of(cache, ids) == {ids[0]: {"contact_center": "protect"}}
    # a mixed selection is set, not toggled
    usecases.tag(cache, sample.social, ids[:1], Team.SOCIAL, TagValue.PROTECT)
    assert usecases.tag(cache, sample.social, ids, Team.SOCIAL, TagValue.PROTECT) == 2
    assert all(t["social"] == "protect" for t in views.tags_of(cache, ids).values())
    assert _audit(sample, f"item:{ids[0]}")[-1] == "tag.set"
    with pytest.raises(UseCaseRefused, match="nothing is selected"):
        usecases.tag(cache, sample.social, [], Team.SOCIAL, TagValue.PROMOTE)


def test_bulk_conversation_actions_reach_every_conversation_once(sample: Sample) -> None:
    cache = sample.cache
    ids = _ids(sample, 40)
    conversations = views.conversation_ids_for(cache, ids)
    assert 1 < len(conversations) <= 40
    usecases.assign(cache, sample.admin, ids, sample.agent.id)
    usecases.set_priority(cache, sample.admin, ids, Priority.HIGH)
    usecases.set_status(cache, sample.admin, ids, ConversationStatus.PENDING)
    facts = views.conversation_facts(cache, conversations)
    assert {(f.assignee_id, f.priority, f.status) for f in facts.values()} == {(sample.agent.id, 2, "pending")}
    assert "conversation.assign" in _audit(sample, f"conversation:{conversations[0]}")
    until = utcnow() + timedelta(hours=3)
    usecases.set_status(cache, sample.admin, ids[:1], ConversationStatus.SNOOZED, until=until)
    assert views.conversation(cache, conversations[0]).status == "snoozed"  # type: ignore[union-attr]
    with pytest.raises(UseCaseRefused, match="already past"):
        usecases.set_status(cache, sample.admin, ids, ConversationStatus.SNOOZED, until=utcnow() - timedelta(1))
    assert usecases.add_note(cache, sample.admin, ids, "dicek") == len(conversations)
    assert usecases.add_label(cache, sample.admin, ids[:2], "banjir") == 2
    usecases.mark_read(cache, sample.admin, ids, True)
    assert all(r.is_read for r in views.list_rows(cache, ids))


def test_handoff_moves_to_the_other_team_unassigned_with_a_note(sample: Sample) -> None:
    cache = sample.cache
    social = _ids(sample, 5, views.ListFilter(team=Team.SOCIAL))
    conversations = views.conversation_ids_for(cache, social)
    usecases.assign(cache, sample.social, social, sample.social.id)
    with pytest.raises(UseCaseRefused, match="note"):
        usecases.handoff(cache, sample.social, social, Team.CONTACT_CENTER, "  ")
    moved = usecases.handoff(cache, sample.social, social, Team.CONTACT_CENTER, "Perlu tiket: data pribadi")
    assert moved == len(conversations)
    for f in views.conversation_facts(cache, conversations).values():
        assert (f.team, f.assignee_id) == ("contact_center", None)
        assert views.notes(cache, f.id)[-1].body == "Perlu tiket: data pribadi"
        assert "conversation.team" in _audit(sample, f"conversation:{f.id}")


def test_escalate_raises_priority_and_hands_to_the_least_loaded_supervisor(sample: Sample) -> None:
    cache = sample.cache
    ids = _ids(sample, 3)
    conversations = views.conversation_ids_for(cache, ids)
    usecases.set_priority(cache, sample.admin, ids, Priority.HIGH)
    busy = views.page_ids(cache, views.queue_filter(views.QueueKind.UNASSIGNED), limit=1)
    usecases.assign(cache, sample.admin, busy, sample.supervisor.id)
    idle = add_user(cache, "supervisor-2", "Supervisor 2", Role.SUPERVISOR)
    result = usecases.escalate(cache, sample.agent, ids)
    assert result.supervisor == idle and result.conversations == len(conversations)
    facts = views.conversation_facts(cache, conversations).values()
    assert {(f.priority, f.assignee_id) for f in facts} == {(int(Priority.URGENT), idle.id)}
    usecases.escalate(cache, sample.agent, ids)  # urgent stays urgent
    assert {f.priority for f in views.conversation_facts(cache, conversations).values()} == {3}


def test_escalate_without_supervisors_still_raises_priority(cache: Cache) -> None:
    from omniinbox.ui import samples

    samples.fill(cache, 50, triage=False)
    with cache.write("test") as tx:
        tx.conn.execute("DELETE FROM users WHERE role = 'supervisor'")
    user = usecases.current_user(cache, "desk")
    ids = views.page_ids(cache, limit=1)
    assert usecases.escalate(cache, user, ids).supervisor is None
    assert views.conversation_facts(cache, views.conversation_ids_for(cache, ids)).popitem()[1].priority == 2


def test_reply_goes_to_the_outbox_and_leaders_wait_for_approval(sample: Sample) -> None:
    cache = sample.cache
    institution = _ids(sample, 1, views.ListFilter(account_ids=(sample.account_id("x:pemkot"),)))[0]
    leader = _ids(sample, 1, views.ListFilter(account_ids=(sample.account_id("x:walikota"),)))[0]
    entry = usecases.reply(cache, sample.social, institution, "  Terima kasih, kami cek.  ")
    assert entry.state is OutboxState.QUEUED and entry.body == "Terima kasih, kami cek."
    assert entry.created_by == sample.social.id and entry.in_reply_to_item_id == institution
    waiting = usecases.reply(cache, sample.social, leader, "Terima kasih")
    assert waiting.state is OutboxState.AWAITING_APPROVAL and waiting.requires_approval
    with pytest.raises(UseCaseRefused, match="281 characters; x accepts 280"):
        usecases.reply(cache, sample.social, institution, "a" * 281)
    note = usecases.reply(cache, sample.social, institution, "a" * 281, private=True)  # notes have no limit
    assert note.visibility.value == "private"
    usecases.cancel_reply(cache, sample.social, note.id)
    with pytest.raises(UseCaseRefused, match="empty"):
        usecases.reply(cache, sample.social, institution, "   ")
    assert usecases.cancel_reply(cache, sample.social, entry.id).state is OutboxState.CANCELLED
    with pytest.raises(UseCaseRefused, match="cannot become queued"):
        usecases.retry_reply(cache, sample.social, entry.id)
    failed = usecases.reply(cache, sample.social, institution, "lagi")
    claimed = outbox.claim_next(cache, 2**62)
    assert claimed is not None and claimed.id == failed.id
    outbox.mark_failed(cache, failed.id, "the platform refused: duplicate", retry_at_ms=None)
    assert usecases.retry_reply(cache, sample.social, failed.id).state is OutboxState.QUEUED


def test_character_limits_per_channel() -> None:
    assert usecases.character_limit(Channel.X) == 280
    assert usecases.character_limit("mastodon") == 500
    assert usecases.character_limit("instagram") == 2200
    assert usecases.character_limit("email") is None and usecases.character_limit("nonsense") is None
    assert usecases.reply_problem("x" * 500, "mastodon") is None
    assert usecases.reply_problem("x" * 501, "mastodon") == "the reply has 501 characters; mastodon accepts 500"
    assert usecases.reply_problem("x" * 100_000, "zendesk") is None
    assert set(usecases.CHARACTER_LIMITS) == set(Channel)


def test_sla_states() -> None:
    hour = 3_600_000
    state = usecases.sla_state
    assert state(None, status="open", needs_answer=True, now_ms=0).kind is SlaKind.NONE
    assert state(10 * hour, status="open", needs_answer=True, now_ms=0).kind is SlaKind.OK
    assert state(hour // 2, status="open", needs_answer=True, now_ms=0).kind is SlaKind.SOON
    overdue = state(hour, status="pending", needs_answer=True, now_ms=3 * hour)
    assert overdue.kind is SlaKind.OVERDUE and overdue.remaining_ms == -2 * hour
    assert state(hour, status="closed", needs_answer=True, now_ms=3 * hour).kind is SlaKind.MET
    assert state(hour, status="open", needs_answer=False, now_ms=3 * hour).kind is SlaKind.MET
