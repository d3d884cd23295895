"""Working together through the hub: soft locks with leases (seen by others, expiring, taken over
on purpose and audited; only the holder's reply gets queued), and assignment (manual, claimed,
round-robin within capacity and presence, overdue work moved on)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from helpers.pg import PgHub, pg_hub  # noqa: F401 - the fixture

from omniinbox.core import Author, Channel, Direction, Item, ItemKind, Page, Role, Team
from omniinbox.hub import accounts, assignment, ingest, locks, outbox
from omniinbox.hub.errors import HubPermissionDenied, HubRefused

Conn = psycopg.Connection[Any]


@dataclass
class Team4:
    hub: PgHub
    owner: Conn
    ids: dict[str, int]
    conns: dict[str, Conn]
    account: accounts.Account
    counter: list[int]

    def conversation(self, *, minutes_ago: float = 1.0, answered: bool = False) -> int:
        """A new contact-center conversation whose citizen wrote ``minutes_ago``."""
        self.counter[0] += 1
        ext = f"k{self.counter[0]}"
        written = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        items = [
            Item(
                external_id=f"{ext}-1",
                kind=ItemKind.TICKET,
                text="KTP saya belum jadi",
                conversation_id=ext,
                created_at=written,
                author=Author(f"warga-{ext}", name="Warga"),
            )
        ]
        if answered:
            items.append(
                Item(
                    external_id=f"{ext}-2",
                    kind=ItemKind.TICKET_COMMENT,
                    text="Sedang kami proses",
                    conversation_id=ext,
                    created_at=written + timedelta(seconds=30),
                    direction=Direction.OUTBOUND,
                )
            )
        with self.owner.transaction():
            ingest.write_page(self.owner, self.account, None, Page(items=items))
        row = self.owner.execute(
            "SELECT id FROM omniinbox.conversations WHERE account_id = %s AND external_id = %s", (self.account.id, ext)
        ).fetchone()
        assert row is not None
        return int(row[0])

    def assignee(self, conversation: int) -> int | None:
        row = self.owner.execute("SELECT assignee_id FROM omniinbox.conversations WHERE id = %s", (conversation,))
        found = row.fetchone()
        assert found is not None
        return found[0]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def team(pg_hub: PgHub) -> Iterator[Team4]:  # noqa: F811
    owner = pg_hub.owner()
    account = accounts.add_account(owner, "zendesk:kolab", Channel.ZENDESK, "Kolaborasi")
    ids: dict[str, int] = {}
    conns: dict[str, Conn] = {}
    for short, role, capacity in (
        ("dewi", Role.AGENT, 2),
        ("eko", Role.AGENT, 1),
        ("fajar", Role.AGENT, 0),
        ("gita", Role.AGENT, 5),
        ("oki", Role.SOCIAL_OFFICER, 5),
        ("sari", Role.SUPERVISOR, 10),
    ):
        user_id, conns[short] = pg_hub.user(short, role, capacity=capacity)
        assert user_id is not None
        ids[short] = user_id
    yield Team4(pg_hub, owner, ids, conns, account, [0])


def _audit(team: Team4, action: str, target: str) -> list[tuple[Any, ...]]:
    return (
        team.conns["sari"]
        .execute(
            "SELECT user_id, detail FROM omniinbox.audit_events WHERE action = %s AND target = %s ORDER BY id",
            (action, target),
        )
        .fetchall()
    )


# ---------------------------------------------------------------------------------- soft locks


def test_a_lock_is_seen_by_others_renewed_by_its_holder_and_released(team: Team4) -> None:
    conversation = team.conversation()
    dewi, eko = team.conns["dewi"], team.conns["eko"]
    taken = locks.take(dewi, conversation)
    assert taken.acquired and taken.holder_name == "Dewi"
    assert timedelta(minutes=1, seconds=50) < taken.expires_at - taken.acquired_at <= timedelta(minutes=2, seconds=1)
    seen = locks.take(eko, conversation)
    assert not seen.acquired and seen.holder_name == "Dewi" and seen.holder_id == team.ids["dewi"]
    held = locks.holder(eko, conversation)
    assert held is not None and held.holder_name == "Dewi" and not held.acquired
    renewed = locks.take(dewi, conversation, timedelta(minutes=5))
    assert renewed.acquired and renewed.acquired_at == taken.acquired_at and renewed.expires_at > taken.expires_at
    assert not locks.release(eko, conversation)  # not theirs to release
    assert locks.release(dewi, conversation)
    assert locks.holder(eko, conversation) is None
    assert locks.take(eko, conversation).acquired


def test_only_the_holder_of_a_live_lock_queues_a_reply(team: Team4) -> None:
    conversation = team.conversation()
    dewi, eko = team.conns["dewi"], team.conns["eko"]
    with pytest.raises(HubRefused, match="open the conversation"):
        outbox.queue_reply(dewi, conversation, "Halo")
    locks.take(dewi, conversation)
    with pytest.raises(HubRefused, match="Dewi is replying"):
        outbox.queue_reply(eko, conversation, "Halo juga")
    first = outbox.queue_reply(dewi, conversation, "Halo, kami bantu", idempotency_key=f"desk-{conversation}")
    again = outbox.queue_reply(dewi, conversation, "Halo, kami bantu", idempotency_key=f"desk-{conversation}")
    assert first == again  # a desktop pushing its action twice does not reply twice
    with pytest.raises(HubRefused, match="empty"):
        outbox.queue_reply(dewi, conversation, "   ")


def test_both_reply_at_once_and_only_one_reply_is_queued(team: Team4) -> None:
    conversation = team.conversation()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def reply(short: str) -> None:
        conn = team.hub.connect(team.hub.login_name(short))
        barrier.wait(10)
        state = locks.take(conn, conversation)
        if not state.acquired:
            outcomes[short] = f"{state.holder_name} is replying"
            return
        outbox.queue_reply(conn, conversation, f"Balasan dari {short}")
        outcomes[short] = "queued"

    threads = [threading.Thread(target=reply, args=(s,)) for s in ("dewi", "eko")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    winner = next(short for short, outcome in outcomes.items() if outcome == "queued")
    loser = "eko" if winner == "dewi" else "dewi"
    assert outcomes[loser] == f"{winner.title()} is replying"
    count = team.owner.execute("SELECT count(*) FROM omniinbox.outbox WHERE conversation_id = %s", (conversation,))
    assert count.fetchone() == (1,)


def test_a_lease_runs_out_and_then_anyone_may_take_the_lock(team: Team4) -> None:
    conversation = team.conversation()
    dewi, eko = team.conns["dewi"], team.conns["eko"]
    assert locks.take(dewi, conversation, timedelta(milliseconds=300)).acquired
    assert not locks.take(eko, conversation).acquired
    time.sleep(0.35)
    assert locks.holder(eko, conversation) is None
    taken = locks.take(eko, conversation)
    assert taken.acquired and taken.holder_name == "Eko" and taken.taken_over_from is None
    assert _audit(team, "lock.takeover", f"conversation:{conversation}") == []  # an expired lease is no takeover
    with pytest.raises(HubRefused, match="lease"):
        locks.take(dewi, conversation, timedelta(hours=3))


def test_a_takeover_is_explicit_and_audited(team: Team4) -> None:
    conversation = team.conversation()
    dewi, gita = team.conns["dewi"], team.conns["gita"]
    locks.take(dewi, conversation)
    taken = locks.take_over(gita, conversation, "Dewi is at lunch")
    assert taken.acquired and taken.holder_name == "Gita" and taken.taken_over_from == team.ids["dewi"]
    events = _audit(team, "lock.takeover", f"conversation:{conversation}")
    assert len(events) == 1
    user_id, detail = events[0]
    assert user_id == team.ids["gita"]
    assert (
        detail["from"] == team.ids["dewi"] and detail["from_name"] == "Dewi" and detail["reason"] == "Dewi is at lunch"
    )
    assert 100 <= detail["lease_left_seconds"] <= 120
    with pytest.raises(HubRefused, match="Gita is replying"):  # Dewi sees she lost it when she sends
        outbox.queue_reply(dewi, conversation, "Sudah saya jawab")
    outbox.queue_reply(gita, conversation, "Kami bantu cek")
    # taking over one's own or a free lock is no takeover
    locks.take_over(gita, conversation)
    assert len(_audit(team, "lock.takeover", f"conversation:{conversation}")) == 1


def test_a_lock_needs_a_conversation_one_may_see(team: Team4) -> None:
    conversation = team.conversation()
    with pytest.raises(HubPermissionDenied, match="not in your queues"):
        locks.take(team.conns["oki"], conversation)  # a social media officer, on a contact center ticket


# ---------------------------------------------------------------------------------- assignment


@pytest.fixture
def fresh_queue(team: Team4) -> Iterator[Team4]:
    """No open unassigned conversation left over from other tests; everyone offline."""
    team.owner.execute("UPDATE omniinbox.conversations SET status = 'closed' WHERE status <> 'closed'")
    team.owner.execute("UPDATE omniinbox.users SET presence = 'offline'")
    yield team


def test_round_robin_respects_capacity_and_presence(fresh_queue: Team4) -> None:
    team = fresh_queue
    for short in ("dewi", "eko", "fajar"):  # capacities 2, 1, 0; Gita stays away
        assignment.set_presence(team.conns[short], "online")
    assignment.set_presence(team.conns["gita"], "away")
    waiting = [team.conversation(minutes_ago=10 - n) for n in range(6)]
    assert assignment.auto_assign(team.conns["sari"], Team.CONTACT_CENTER) == 3
    given = [team.assignee(c) for c in waiting]
    assert given[:3] == [team.ids["dewi"], team.ids["eko"], team.ids["dewi"]]  # longest waiting first, in turn
    assert given[3:] == [None, None, None]  # everyone online is full; nobody else is online
    load = {w.login: w.open_assigned for w in assignment.workload(team.conns["sari"], Team.CONTACT_CENTER)}
    assert load[team.hub.login_name("dewi")] == 2 and load[team.hub.login_name("eko")] == 1
    assert load[team.hub.login_name("fajar")] == 0 and load[team.hub.login_name("gita")] == 0

    assert assignment.auto_assign(team.conns["sari"], Team.CONTACT_CENTER) == 0
    team.conns["eko"].execute("UPDATE omniinbox.conversations SET status = 'closed' WHERE id = %s", (waiting[1],))
    assert assignment.auto_assign(team.conns["sari"], Team.CONTACT_CENTER) == 1
    assert team.assignee(waiting[3]) == team.ids["eko"]
    reasons = team.owner.execute(
        "SELECT reason, by_user_id FROM omniinbox.assignments WHERE conversation_id = %s", (waiting[0],)
    ).fetchall()
    assert reasons == [("round_robin", team.ids["sari"])]
    with pytest.raises(HubPermissionDenied):
        assignment.auto_assign(team.conns["dewi"], Team.CONTACT_CENTER)


def test_claiming_from_the_queue_and_manual_assignment(fresh_queue: Team4) -> None:
    team = fresh_queue
    conversation = team.conversation()
    assignment.claim(team.conns["gita"], conversation)
    assert team.assignee(conversation) == team.ids["gita"]
    with pytest.raises(HubRefused, match="already assigned to Gita"):
        assignment.claim(team.conns["dewi"], conversation)
    with pytest.raises(HubRefused, match="not in the contact_center team"):
        assignment.assign(team.conns["sari"], conversation, team.ids["oki"])
    with pytest.raises(HubPermissionDenied):
        assignment.assign(team.conns["dewi"], conversation, team.ids["dewi"])
    assert assignment.assign(team.conns["sari"], conversation, team.ids["dewi"])
    history = team.owner.execute(
        "SELECT from_user_id, to_user_id, by_user_id, reason FROM omniinbox.assignments"
        " WHERE conversation_id = %s ORDER BY id",
        (conversation,),
    ).fetchall()
    assert history == [
        (None, team.ids["gita"], team.ids["gita"], "claim"),
        (team.ids["gita"], team.ids["dewi"], team.ids["sari"], "manual"),
    ]
    # Gita learns it left her: the history row names her, and she may read it
    mine = (
        team.conns["gita"]
        .execute("SELECT count(*) FROM omniinbox.assignments WHERE conversation_id = %s", (conversation,))
        .fetchone()
    )
    assert mine == (2,)


def test_work_waiting_too_long_moves_to_the_next_available_person(fresh_queue: Team4) -> None:
    team = fresh_queue
    for short in ("dewi", "gita"):
        assignment.set_presence(team.conns[short], "online")
    late = team.conversation(minutes_ago=90)
    answered = team.conversation(minutes_ago=90, answered=True)
    recent = team.conversation(minutes_ago=5)
    for conversation in (late, answered, recent):
        assignment.assign(team.conns["sari"], conversation, team.ids["dewi"])
    assert assignment.reassign_overdue(team.conns["sari"], Team.CONTACT_CENTER, timedelta(hours=1)) == 0  # just given
    team.owner.execute(  # an hour and a half passes for these assignments
        "UPDATE omniinbox.conversations SET assigned_at = assigned_at - interval '90 minutes' WHERE id = ANY(%s)",
        ([late, answered, recent],),
    )
    assert assignment.reassign_overdue(team.conns["sari"], Team.CONTACT_CENTER, timedelta(hours=1)) == 1
    assert [team.assignee(c) for c in (late, answered, recent)] == [
        team.ids["gita"],
        team.ids["dewi"],
        team.ids["dewi"],
    ]
    last = team.owner.execute(
        "SELECT reason FROM omniinbox.assignments WHERE conversation_id = %s ORDER BY id DESC LIMIT 1", (late,)
    ).fetchone()
    assert last == ("overdue",)
    assert assignment.reassign_overdue(team.conns["sari"], Team.CONTACT_CENTER, timedelta(hours=1)) == 0
