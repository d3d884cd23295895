"""Roles are enforced by PostgreSQL itself: each test connects as a login of one role and tries
what that role must not do; the server refuses (an error of the permission class) or shows
nothing (row-level security). The client library plays no part in these refusals: the tests
speak SQL straight to the hub."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import psycopg.errors
import pytest
from helpers.pg import PgHub, pg_hub  # noqa: F401 - the fixture
from psycopg import sql

from omniinbox.core import Author, Channel, Item, ItemKind, OwnerKind, Page, Role
from omniinbox.hub import accounts, ingest, locks, outbox

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
Conn = psycopg.Connection[Any]


def _item(ext: str, conversation: str, minutes: int = 0, author: str = "warga1") -> Item:
    return Item(
        external_id=ext,
        kind=ItemKind.COMMENT,
        text=f"pesan {ext}",
        conversation_id=conversation,
        created_at=T0 + timedelta(minutes=minutes),
        author=Author(author, name=author.title()),
    )


@dataclass
class World:
    hub: PgHub
    owner: Conn
    worker: Conn
    ani: Conn  # contact center agent
    budi: Conn  # contact center agent
    oki: Conn  # social media officer
    sari: Conn  # supervisor
    adi: Conn  # admin
    ids: dict[str, int]  # users
    conv: dict[str, int]  # conversations by external id
    items: dict[str, int]  # items by external id

    def one(self, conn: Conn, query: str, *params: Any) -> Any:
        row = conn.execute(query, params).fetchone()
        return None if row is None else row[0]


@pytest.fixture(scope="module")
def world(pg_hub: PgHub) -> Iterator[World]:  # noqa: F811 - the fixture
    hub = pg_hub
    owner = hub.owner()
    helpdesk = accounts.add_account(owner, "zendesk:pusat", Channel.ZENDESK, "Pusat Layanan")
    social = accounts.add_account(owner, "x:humas", Channel.X, "Humas")
    leader = accounts.add_account(owner, "x:walikota", Channel.X, "Wali Kota", owner_kind=OwnerKind.LEADER)
    ids: dict[str, int] = {}
    conns: dict[str, Conn] = {}
    for short, role in (
        ("ani", Role.AGENT),
        ("budi", Role.AGENT),
        ("oki", Role.SOCIAL_OFFICER),
        ("sari", Role.SUPERVISOR),
        ("adi", Role.ADMIN),
    ):
        user_id, conns[short] = hub.user(short, role)
        assert user_id is not None
        ids[short] = user_id
    _, worker = hub.user("worker", "worker")
    with worker.transaction():
        ingest.write_page(
            worker,
            helpdesk,
            "tickets",
            Page(items=[_item("t1", "cc1"), _item("t2", "cc2", 1, "warga2"), _item("t3", "cc3", 2, "warga3")]),
        )
        ingest.write_page(worker, social, "mentions", Page(items=[_item("m1", "so1", 3, "netizen1")]))
        ingest.write_page(worker, leader, "mentions", Page(items=[_item("l1", "le1", 4, "netizen2")]))
    conv = dict(owner.execute("SELECT external_id, id FROM omniinbox.conversations").fetchall())
    items = dict(owner.execute("SELECT external_id, id FROM omniinbox.items").fetchall())
    sari = conns["sari"]
    sari.execute("UPDATE omniinbox.conversations SET assignee_id = %s WHERE id = %s", (ids["ani"], conv["cc1"]))
    sari.execute("UPDATE omniinbox.conversations SET assignee_id = %s WHERE id = %s", (ids["budi"], conv["cc2"]))
    yield World(hub, owner, worker, conns["ani"], conns["budi"], conns["oki"], sari, conns["adi"], ids, conv, items)


# ---------------------------------------------------------------------------------- seeing


def test_an_agent_sees_the_contact_center_queues_and_not_the_social_ones(world: World) -> None:
    seen = {r[0] for r in world.ani.execute("SELECT external_id FROM omniinbox.conversations")}
    assert seen == {"cc1", "cc2", "cc3"}
    assert world.one(world.ani, "SELECT count(*) FROM omniinbox.items WHERE external_id IN ('m1', 'l1')") == 0
    assert world.one(world.ani, "SELECT count(*) FROM omniinbox.contacts WHERE external_id = 'netizen1'") == 0
    # the social team's tags are as invisible as its items
    world.sari.execute(
        "INSERT INTO omniinbox.tags (item_id, team, value, set_by) VALUES (%s, 'social', 'promote', omniinbox.me())",
        (world.items["m1"],),
    )
    assert world.one(world.ani, "SELECT count(*) FROM omniinbox.tags WHERE item_id = %s", world.items["m1"]) == 0


def test_a_social_officer_sees_the_social_queues_and_not_the_contact_center(world: World) -> None:
    seen = {r[0] for r in world.oki.execute("SELECT external_id FROM omniinbox.conversations")}
    assert seen == {"so1", "le1"}
    assert world.one(world.oki, "SELECT count(*) FROM omniinbox.items WHERE external_id LIKE 't%%'") == 0
    assert world.one(world.oki, "SELECT count(*) FROM omniinbox.notes") == 0


def test_supervisors_admins_and_the_worker_see_everything(world: World) -> None:
    for conn in (world.sari, world.adi, world.worker):
        assert world.one(conn, "SELECT count(*) FROM omniinbox.conversations") == 5
        assert world.one(conn, "SELECT count(*) FROM omniinbox.items") == 5


def test_a_login_outside_the_hub_roles_reads_nothing(world: World) -> None:
    stranger = world.hub.login_name("stranger")
    world.owner.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(stranger)))
    conn = world.hub.connect(stranger)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT count(*) FROM omniinbox.items")


# ---------------------------------------------------------------------------------- changing


def test_an_agent_cannot_reassign_anyones_work(world: World) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # not even their own: no column privilege
        world.ani.execute(
            "UPDATE omniinbox.conversations SET assignee_id = %s WHERE id = %s", (world.ids["ani"], world.conv["cc2"])
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.ani.execute("UPDATE omniinbox.conversations SET team = 'social' WHERE id = %s", (world.conv["cc1"],))
    assert (
        world.one(world.owner, "SELECT assignee_id FROM omniinbox.conversations WHERE id = %s", world.conv["cc2"])
        == (world.ids["budi"])
    )


def test_an_agent_changes_only_the_conversations_they_hold(world: World) -> None:
    mine = world.ani.execute(
        "UPDATE omniinbox.conversations SET status = 'pending' WHERE id = %s", (world.conv["cc1"],)
    )
    theirs = world.ani.execute(
        "UPDATE omniinbox.conversations SET status = 'closed' WHERE id = %s", (world.conv["cc2"],)
    )
    queue = world.ani.execute(
        "UPDATE omniinbox.conversations SET status = 'closed' WHERE id = %s", (world.conv["cc3"],)
    )
    assert (mine.rowcount, theirs.rowcount, queue.rowcount) == (1, 0, 0)
    assert (
        world.one(world.owner, "SELECT status FROM omniinbox.conversations WHERE id = %s", world.conv["cc2"]) == "open"
    )
    world.ani.execute("UPDATE omniinbox.conversations SET status = 'open' WHERE id = %s", (world.conv["cc1"],))


def test_tags_are_per_team_and_changed_only_by_who_set_them_or_who_holds_the_thread(world: World) -> None:
    t3 = world.items["t3"]  # in the queue, held by nobody
    world.budi.execute(
        "INSERT INTO omniinbox.tags (item_id, team, value, set_by)"
        " VALUES (%s, 'contact_center', 'protect', omniinbox.me())",
        (t3,),
    )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # another team's judgement: RLS refuses the row
        world.budi.execute(
            "INSERT INTO omniinbox.tags (item_id, team, value, set_by)"
            " VALUES (%s, 'social', 'promote', omniinbox.me())",
            (t3,),
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # in someone else's name
        world.budi.execute(
            "INSERT INTO omniinbox.tags (item_id, team, value, set_by) VALUES (%s, 'contact_center', 'promote', %s)",
            (world.items["t1"], world.ids["ani"]),
        )
    changed = world.ani.execute(
        "UPDATE omniinbox.tags SET value = 'promote', set_by = omniinbox.me() WHERE item_id = %s", (t3,)
    )
    removed = world.ani.execute("DELETE FROM omniinbox.tags WHERE item_id = %s", (t3,))
    assert (changed.rowcount, removed.rowcount) == (0, 0)
    assert world.one(world.owner, "SELECT value FROM omniinbox.tags WHERE item_id = %s", t3) == "protect"
    audit = world.one(
        world.sari, "SELECT count(*) FROM omniinbox.audit_events WHERE action = 'tag.set' AND target = %s", f"item:{t3}"
    )
    assert audit == 1


def test_notes_are_changed_only_by_their_author(world: World) -> None:
    world.ani.execute(
        "INSERT INTO omniinbox.notes (conversation_id, author_id, body) VALUES (%s, omniinbox.me(), 'cek KTP')",
        (world.conv["cc3"],),
    )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.budi.execute(
            "INSERT INTO omniinbox.notes (conversation_id, author_id, body) VALUES (%s, %s, 'atas nama Ani')",
            (world.conv["cc3"], world.ids["ani"]),
        )
    edited = world.budi.execute("UPDATE omniinbox.notes SET body = 'diubah' WHERE body = 'cek KTP'")
    deleted = world.budi.execute("DELETE FROM omniinbox.notes WHERE body = 'cek KTP'")
    assert (edited.rowcount, deleted.rowcount) == (0, 0)
    assert world.one(world.budi, "SELECT count(*) FROM omniinbox.notes WHERE body = 'cek KTP'") == 1


def test_nobody_but_admins_manages_people_and_accounts(world: World) -> None:
    for conn in (world.ani, world.sari, world.worker):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE omniinbox.users SET role = 'supervisor' WHERE login = current_user")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO omniinbox.accounts (key, channel, name, team) VALUES ('x:a', 'x', 'A', 'social')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor promote oneself through the role system
        world.ani.execute(sql.SQL("GRANT {} TO current_user").format(sql.Identifier(f"{world.hub.prefix}_supervisor")))
    world.adi.execute(
        "INSERT INTO omniinbox.accounts (key, channel, name, team) VALUES ('x:dinas', 'x', 'Dinas', 'social')"
    )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # an admin manages, a supervisor assigns
        world.adi.execute("UPDATE omniinbox.conversations SET assignee_id = NULL WHERE id = %s", (world.conv["cc1"],))


def test_a_users_row_counts_only_with_the_matching_group_role(world: World) -> None:
    """Writing 'supervisor' into one's users row without the group role gives nothing: the row
    stops counting at all."""
    login = world.hub.login_name("budi")
    world.owner.execute("UPDATE omniinbox.users SET role = 'supervisor', team = NULL WHERE login = %s", (login,))
    try:
        assert world.one(world.budi, "SELECT omniinbox.me()") is None
        assert world.one(world.budi, "SELECT count(*) FROM omniinbox.conversations") == 0
    finally:
        world.owner.execute(
            "UPDATE omniinbox.users SET role = 'agent', team = 'contact_center' WHERE login = %s", (login,)
        )
    assert world.one(world.budi, "SELECT omniinbox.me()") == world.ids["budi"]


# ---------------------------------------------------------------------------------- replies


def _leader_reply(world: World) -> int:
    locks.take(world.oki, world.conv["le1"])
    entry = outbox.queue_reply(world.oki, world.conv["le1"], "Terima kasih atas masukannya.")
    locks.release(world.oki, world.conv["le1"])
    return entry


def test_a_reply_on_a_leaders_account_waits_and_only_a_supervisor_approves_it(world: World) -> None:
    entry = _leader_reply(world)
    assert world.one(world.oki, "SELECT state FROM omniinbox.outbox WHERE id = %s", entry) == "awaiting_approval"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.oki.execute("SELECT omniinbox.approve_reply(%s)", (entry,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.oki.execute("UPDATE omniinbox.outbox SET state = 'queued' WHERE id = %s", (entry,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor by inserting a pre-approved one
        world.oki.execute(
            "INSERT INTO omniinbox.outbox (account_id, body, state, idempotency_key)"
            " SELECT account_id, 'langsung', 'queued', 'k1' FROM omniinbox.conversations WHERE id = %s",
            (world.conv["le1"],),
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the worker may move states, not approve
        world.worker.execute("UPDATE omniinbox.outbox SET state = 'queued' WHERE id = %s", (entry,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.ani.execute("SELECT omniinbox.approve_reply(%s)", (entry,))
    assert world.one(world.owner, "SELECT state FROM omniinbox.outbox WHERE id = %s", entry) == "awaiting_approval"
    world.sari.execute("SELECT omniinbox.approve_reply(%s)", (entry,))
    row = world.owner.execute("SELECT state, approved_by FROM omniinbox.outbox WHERE id = %s", (entry,)).fetchone()
    assert row == ("queued", world.ids["sari"])


def test_an_agent_cannot_reply_in_a_conversation_they_cannot_see(world: World) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.ani.execute("SELECT omniinbox.take_lock(%s)", (world.conv["so1"],))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.ani.execute("SELECT omniinbox.queue_reply(%s, 'halo')", (world.conv["so1"],))


def test_housekeeping_functions_are_not_for_agents(world: World) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.ani.execute("SELECT omniinbox.auto_assign('contact_center')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # internal helpers are nobody's to call
        world.ani.execute("SELECT omniinbox.audit('x', 'y')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        world.ani.execute("SELECT omniinbox.next_assignee('contact_center', NULL)")


# ---------------------------------------------------------------------------------- audit trail


def test_the_audit_trail_is_append_only_for_every_role(world: World) -> None:
    world.ani.execute(
        "INSERT INTO omniinbox.audit_events (user_id, action, target) VALUES (omniinbox.me(), 'item.open', 'item:1')"
    )
    for conn in (world.ani, world.oki, world.sari, world.adi, world.worker):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE omniinbox.audit_events SET action = 'nothing'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM omniinbox.audit_events")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE omniinbox.audit_events")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor written in someone else's name
        world.ani.execute(
            "INSERT INTO omniinbox.audit_events (user_id, action, target) VALUES (%s, 'reply.approve', 'outbox:1')",
            (world.ids["sari"],),
        )
    row = world.sari.execute(
        "SELECT user_id, db_user FROM omniinbox.audit_events WHERE action = 'item.open'"
    ).fetchone()
    assert row == (world.ids["ani"], world.hub.login_name("ani"))


def test_even_a_mistaken_grant_does_not_open_the_audit_trail(world: World) -> None:
    """A role that bypasses row-level security and was given UPDATE and DELETE by mistake is still
    stopped by the trigger; only the owner may correct the trail."""
    careless = world.hub.login_name("careless")
    world.owner.execute(sql.SQL("CREATE ROLE {} LOGIN BYPASSRLS").format(sql.Identifier(careless)))
    world.owner.execute(sql.SQL("GRANT USAGE ON SCHEMA omniinbox TO {}").format(sql.Identifier(careless)))
    world.owner.execute(
        sql.SQL("GRANT SELECT, UPDATE, DELETE ON omniinbox.audit_events TO {}").format(sql.Identifier(careless))
    )
    conn = world.hub.connect(careless)
    assert world.one(conn, "SELECT count(*) FROM omniinbox.audit_events") > 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute("UPDATE omniinbox.audit_events SET action = 'nothing'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute("DELETE FROM omniinbox.audit_events")
    before = world.one(world.owner, "SELECT count(*) FROM omniinbox.audit_events")
    world.owner.execute("DELETE FROM omniinbox.audit_events WHERE action = 'item.open'")
    assert world.one(world.owner, "SELECT count(*) FROM omniinbox.audit_events") == before - 1
