"""A social complaint turned into a contact-center ticket, over real HTTP against the sandbox:
queued durably, created once on the helpdesk, stored and linked both ways, and found again
(not doubled) by the next sync."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omniinbox.connectors.registry import build_connector
from omniinbox.core import Account, Channel, OutboxState, Role, Team
from omniinbox.sandbox.hub import Sandbox, start_sandbox
from omniinbox.store import tickets, views
from omniinbox.store.accounts import add_account, add_user
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender
from omniinbox.usecases import UseCaseRefused, create_ticket

CREATE = {
    "zendesk": ("POST", r"/zendesk/api/v2/tickets\.json$"),
    "freshdesk": ("POST", r"/freshdesk/api/v2/tickets$"),
    "zammad": ("POST", r"/zammad/api/v1/tickets$"),
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(live=False, platforms=["zendesk", "freshdesk", "zammad", "x"])
    try:
        yield running
    finally:
        running.stop()


def _connect(cache: Cache, sandbox: Sandbox, channel: str) -> tuple[Account, SyncEngine]:
    info = next(a for a in sandbox.accounts if a.channel == channel)
    account = add_account(
        cache, info.key, Channel(channel), info.name, base_url=info.url, secret_ref=info.key, settings=info.settings
    )
    return account, SyncEngine(cache, lambda _a: build_connector(account, info.secret))


@pytest.mark.parametrize("channel", ["zendesk", "freshdesk", "zammad"])
def test_a_social_complaint_becomes_a_ticket_once_and_both_are_linked(
    cache: Cache, sandbox: Sandbox, channel: str
) -> None:
    user = add_user(cache, "rina", "Rina", Role.SOCIAL_OFFICER, Team.SOCIAL)
    social, social_sync = _connect(cache, sandbox, "x")
    helpdesk, helpdesk_sync = _connect(cache, sandbox, channel)
    assert social_sync.sync_account(social).ok
    assert helpdesk_sync.sync_account(helpdesk).ok
    item_id = cache.conn.execute(
        "SELECT id FROM items WHERE account_id = ? AND direction = 'in' ORDER BY id LIMIT 1", (social.id,)
    ).fetchone()[0]
    draft = tickets.draft_for(cache, item_id)
    assert draft is not None and draft.channel == "x" and draft.requester.name
    assert draft.requester.name in draft.body

    with pytest.raises(UseCaseRefused):
        create_ticket(cache, user, item_id, social.id, "Subject", "text")  # not a helpdesk
    entry = create_ticket(cache, user, item_id, helpdesk.id, f"Keluhan {channel}", draft.body)
    assert entry.state is OutboxState.QUEUED
    facts = views.conversation(cache, draft.conversation_id)
    assert facts is not None and facts.team == Team.CONTACT_CENTER.value  # handed off

    info = next(a for a in sandbox.accounts if a.channel == channel)
    sender = OutboxSender(cache, lambda _a: build_connector(helpdesk, info.secret))
    before = sandbox.server.count(*CREATE[channel])
    report = sender.send_due()
    assert report.sent == [entry.id], report
    assert sender.send_due().sent == []  # never twice
    assert sandbox.server.count(*CREATE[channel]) == before + 1

    link = tickets.link_of(cache, entry.id)
    assert link is not None and link.ticket_external_id and link.ticket_conversation_id is not None
    assert link.state is OutboxState.SENT
    social_notes = [n.body for n in views.notes(cache, draft.conversation_id)]
    assert any(f"#{link.ticket_external_id}" in body for body in social_notes)
    ticket_notes = [n.body for n in views.notes(cache, link.ticket_conversation_id)]
    assert any("Created from a social conversation" in body for body in ticket_notes)

    items_before = cache.conn.execute("SELECT count(*) FROM items WHERE account_id = ?", (helpdesk.id,)).fetchone()[0]
    assert helpdesk_sync.sync_account(helpdesk).ok  # the next sync finds the same ticket
    rows = cache.conn.execute(
        "SELECT count(*) FROM conversations WHERE account_id = ? AND external_id = ?",
        (helpdesk.id, link.ticket_external_id),
    ).fetchone()[0]
    assert rows == 1
    opening = cache.conn.execute(
        "SELECT count(*) FROM items WHERE account_id = ? AND conversation_id = ? AND text LIKE ?",
        (helpdesk.id, link.ticket_conversation_id, draft.body.split("\n")[0][:30] + "%"),
    ).fetchone()[0]
    assert opening == 1
    items_after = cache.conn.execute("SELECT count(*) FROM items WHERE account_id = ?", (helpdesk.id,)).fetchone()[0]
    assert items_after == items_before


def test_team_mode_refuses_for_now(cache: Cache) -> None:
    user = add_user(cache, "rina", "Rina", Role.SOCIAL_OFFICER, Team.SOCIAL)
    with cache.write("test") as tx:
        tx.conn.execute("INSERT INTO hub_replica (key, value) VALUES ('mode', 'team')")
    with pytest.raises(UseCaseRefused, match="team mode"):
        create_ticket(cache, user, 1, 1, "Subject", "text")
