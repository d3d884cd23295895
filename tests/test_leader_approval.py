"""Replies on a leader's personal account wait for a supervisor: queued from the command line,
refused to an agent, approved (or rejected with a note) by a supervisor, and only then sent to
the platform, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniinbox.cli import main
from omniinbox.core import OutboxState, OwnerKind, Role, Team
from omniinbox.demo import start_demo
from omniinbox.secrets import SecretStore
from omniinbox.store import outbox
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.sync.engine import SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_reply_on_a_leaders_account_leaves_only_after_a_supervisor_approves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.sqlite"
    with Cache.open(path) as cache:
        demo = start_demo(cache, live=False, secrets=SecretStore.in_memory(), platforms=["x"])
        try:
            engine = SyncEngine(cache, demo.connector_for())
            for account in demo.accounts:
                engine.sync_account(account)
            leader = next(a for a in demo.accounts if a.owner_kind is OwnerKind.LEADER)
            add_user(cache, "sari", "Sari", Role.SUPERVISOR)
            add_user(cache, "dewi", "Dewi", Role.SOCIAL_OFFICER, Team.SOCIAL)
            item_id = cache.conn.execute(
                "SELECT id FROM items WHERE account_id = ? AND direction = 'in' ORDER BY id LIMIT 1", (leader.id,)
            ).fetchone()[0]
            code, out, err = _run(
                capsys, "reply", str(item_id), "Terima", "kasih,", "kami", "cek.", "--cache", str(path)
            )
            assert code == 0, err
            assert "awaiting_approval" in out and "supervisor's approval" in out
            entry_id = outbox.entries(cache)[0].id

            # Nothing leaves while it waits.
            sender = OutboxSender(cache, engine.connector)
            assert not sender.send_due().sent
            posted = [r for r in demo.sandbox.server.requests if r.method == "POST" and r.path.endswith("/2/tweets")]
            assert posted == []

            code, _, err = _run(capsys, "outbox", "--approve", str(entry_id), "--as", "dewi", "--cache", str(path))
            assert code == 1 and "supervisor" in err.lower()
            assert outbox.get(cache, entry_id).state is OutboxState.AWAITING_APPROVAL

            code, out, err = _run(capsys, "outbox", "--approve", str(entry_id), "--as", "sari", "--cache", str(path))
            assert code == 0, err
            assert "approved by Sari" in out
            assert len(sender.send_due().sent) == 1
            assert outbox.get(cache, entry_id).state is OutboxState.SENT
            posted = [r for r in demo.sandbox.server.requests if r.method == "POST" and r.path.endswith("/2/tweets")]
            assert len(posted) == 1
            audit = [r[0] for r in cache.conn.execute("SELECT action FROM audit_events ORDER BY id")]
            assert "reply.approve" in audit
            engine.close()
        finally:
            demo.stop()


def test_a_rejected_reply_is_cancelled_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.sqlite"
    with Cache.open(path) as cache:
        demo = start_demo(cache, live=False, secrets=SecretStore.in_memory(), platforms=["x"])
        try:
            engine = SyncEngine(cache, demo.connector_for())
            for account in demo.accounts:
                engine.sync_account(account)
            engine.close()
            leader = next(a for a in demo.accounts if a.owner_kind is OwnerKind.LEADER)
            add_user(cache, "sari", "Sari", Role.SUPERVISOR)
            item_id = cache.conn.execute(
                "SELECT id FROM items WHERE account_id = ? AND direction = 'in' ORDER BY id LIMIT 1", (leader.id,)
            ).fetchone()[0]
            assert _run(capsys, "reply", str(item_id), "Siap!", "--cache", str(path))[0] == 0
            entry = outbox.entries(cache)[0]
            code, out, err = _run(capsys, "outbox", "--reject", str(entry.id), "--reason", "nada kurang pas",
                                  "--as", "sari", "--cache", str(path))  # fmt: skip
            assert code == 0, err
            assert "rejected by Sari" in out
            assert outbox.get(cache, entry.id).state is OutboxState.CANCELLED
            notes = [r[0] for r in cache.conn.execute("SELECT body FROM notes WHERE conversation_id = ?",
                                                      (entry.conversation_id,))]  # fmt: skip
            assert any("nada kurang pas" in n and "Siap!" in n for n in notes)
        finally:
            demo.stop()
