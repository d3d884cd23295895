"""The hub's schema on a real PostgreSQL: migrations (idempotent, upgrade-safe, all-or-nothing,
refusing a newer hub), ``omniinbox hub init`` / ``hub user add`` (passwords never on the command
line nor in clear, DSNs masked), and the change feed replicas will pull."""

from __future__ import annotations

import dataclasses
import io
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import psycopg.errors
import pytest
from helpers.pg import PgHub, fresh_database, fresh_hub, pg_hub  # noqa: F401 - the fixture

from omniinbox.cli import main
from omniinbox.core import Author, Channel, Item, ItemKind, Page, Role
from omniinbox.hub import accounts, ingest
from omniinbox.hub.changes import ChangeCursor, listen, pull_changes, wait_for_changes
from omniinbox.hub.connection import connect, mask_dsn
from omniinbox.hub.errors import HubError, HubNeedsUpgrade, HubTooNew
from omniinbox.hub.schema import LATEST, MIGRATIONS, Migration, applied_versions, check_schema, migrate

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _tables(conn: psycopg.Connection[Any]) -> set[str]:
    return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'omniinbox'")}


def _page(*exts: str, conversation: str = "c1") -> Page:
    return Page(
        items=[
            Item(
                external_id=ext,
                kind=ItemKind.COMMENT,
                text=f"pesan {ext}",
                conversation_id=conversation,
                created_at=T0 + timedelta(minutes=n),
                author=Author(f"warga-{conversation}", name="Warga"),
            )
            for n, ext in enumerate(exts)
        ]
    )


# ---------------------------------------------------------------------------------- migrations


def test_migrating_twice_changes_nothing_the_second_time() -> None:
    with fresh_database() as db, connect(db.dsn) as conn:
        first = migrate(conn, prefix=db.prefix)
        tables = _tables(conn)
        second = migrate(conn, prefix=db.prefix)
        assert first.applied == [m.version for m in MIGRATIONS] and first.version == LATEST
        assert len(first.roles_created) == 5 and all(r.startswith(db.prefix + "_") for r in first.roles_created)
        assert second.applied == [] and second.roles_created == [] and second.version == LATEST
        assert _tables(conn) == tables >= {"items", "outbox", "audit_events", "soft_locks", "hub_migrations"}
        assert check_schema(conn) == LATEST
        with pytest.raises(HubError, match="cannot switch"):
            migrate(conn, prefix=db.prefix + "x")


def test_an_upgrade_keeps_the_data_and_brings_the_new_rules() -> None:
    with fresh_database() as db:
        conn = db.connect()
        migrate(conn, prefix=db.prefix, target=1)
        with pytest.raises(HubNeedsUpgrade, match="run omniinbox hub init"):
            check_schema(conn)
        account = accounts.add_account(conn, "zendesk:pusat", Channel.ZENDESK, "Pusat")
        with conn.transaction():
            ingest.write_page(conn, account, "tickets", _page("a", "b"))
        seqs = conn.execute("SELECT external_id, seq FROM omniinbox.items ORDER BY 1").fetchall()
        assert conn.execute(
            "SELECT relrowsecurity FROM pg_class WHERE oid = 'omniinbox.items'::regclass"
        ).fetchone() == (False,)

        report = migrate(conn)  # the prefix stays the one the hub was created with
        assert report.applied == [2, 3] and report.prefix == db.prefix
        assert conn.execute("SELECT external_id, seq FROM omniinbox.items ORDER BY 1").fetchall() == seqs
        hub = PgHub(db.name, db.prefix, db.dsn)
        _, agent = hub.user("ani", Role.AGENT)
        assert agent.execute("SELECT count(*) FROM omniinbox.items").fetchone() == (2,)
        _, officer = hub.user("oki", Role.SOCIAL_OFFICER)
        assert officer.execute("SELECT count(*) FROM omniinbox.items").fetchone() == (0,)
        hub.close_connections()


def test_a_failing_migration_leaves_nothing_behind() -> None:
    broken = (*MIGRATIONS, Migration(LATEST + 1, "broken", "CREATE TABLE half_done (id int); SELECT 1 / 0;"))
    with fresh_database() as db, connect(db.dsn) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            migrate(conn, prefix=db.prefix, migrations=broken)
        assert applied_versions(conn) == [m.version for m in MIGRATIONS]
        assert "half_done" not in _tables(conn)
        assert conn.execute("SELECT to_regclass('omniinbox.half_done')").fetchone() == (None,)


def test_a_hub_written_by_a_newer_version_is_refused_untouched() -> None:
    with fresh_hub() as hub:
        conn = hub.owner()
        conn.execute("INSERT INTO omniinbox.hub_migrations (version, name, program_version) VALUES (99, 'x', '9.0')")
        before = _tables(conn)
        with pytest.raises(HubTooNew, match="newer OmniInbox"):
            migrate(conn)
        with pytest.raises(HubTooNew):
            check_schema(conn)
        assert _tables(conn) == before and applied_versions(conn)[-1] == 99


def test_two_inits_at_once_apply_each_migration_once() -> None:
    with fresh_database() as db:
        results: list[object] = []

        def init() -> None:
            with connect(db.dsn) as conn:
                try:
                    results.append(migrate(conn, prefix=db.prefix))
                except Exception as exc:  # reported below
                    results.append(exc)

        threads = [threading.Thread(target=init) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        applied = sorted(v for r in results for v in getattr(r, "applied", []))
        assert applied == [m.version for m in MIGRATIONS], results
        with connect(db.dsn) as conn:
            assert applied_versions(conn) == [m.version for m in MIGRATIONS]


# ---------------------------------------------------------------------------------- command line


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_hub_init_and_user_add_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fresh_database() as db:
        dsn = db.dsn + " password=owner-pass-7731"  # trust authentication ignores it; it must never show
        code, out, err = _cli(monkeypatch, capsys, "hub", "init", dsn, "--role-prefix", db.prefix)
        assert code == 0, err
        assert f"schema version {LATEST}" in out and "owner-pass-7731" not in out + err and "password=***" in out
        code, out, err = _cli(monkeypatch, capsys, "hub", "init", dsn)
        assert code == 0 and "already up to date" in out

        login = f"{db.prefix}_u_dewi"
        args = ("hub", "user", "add", "--hub", dsn, login, "--name", "Dewi Lestari", "--role", "agent")
        code, out, err = _cli(monkeypatch, capsys, *args, "--password-stdin", stdin="dewi-secret-2026\n")
        assert code == 0, err
        assert "Dewi Lestari" in out and "contact_center" in out
        assert "dewi-secret-2026" not in out + err and "owner-pass-7731" not in out + err
        with connect(db.dsn) as conn:
            stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (login,)).fetchone()
            assert stored is not None and stored[0].startswith("SCRAM-SHA-256$") and "dewi-secret" not in stored[0]
            member = conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (login, f"{db.prefix}_agent")).fetchone()
            assert member == (True,)

        # a change of role moves the login to the other group, and the users row with it
        code, out, err = _cli(monkeypatch, capsys, *args[:-1], "supervisor", "--no-password")
        assert code == 0, err
        with connect(db.dsn) as conn:
            groups = conn.execute(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
                (login,),
            ).fetchall()
            assert groups == [(f"{db.prefix}_supervisor",)]
            assert conn.execute("SELECT role FROM omniinbox.users WHERE login = %s", (login,)).fetchone() == (
                "supervisor",
            )

        code, _, err = _cli(monkeypatch, capsys, *args, "--password", "in-argv")
        assert code == 2 and "unrecognized arguments" in err  # there is no way to give it on the command line
        code, _, err = _cli(monkeypatch, capsys, *args)  # no terminal, no --password-stdin
        assert code == 2 and "--password-stdin" in err
        code, _, err = _cli(monkeypatch, capsys, "hub", "user", "add", "--hub", dsn, "x", "--role", "boss")
        assert code == 2 and "unknown role" in err


def test_an_unreachable_hub_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = "host=127.0.0.1 port=1 dbname=nothing user=nobody password=hunter2-never-shown connect_timeout=2"
    code, out, err = _cli(monkeypatch, capsys, "hub", "init", dsn)
    assert code == 1 and "cannot connect" in err and "hunter2" not in out + err
    assert "Traceback" not in err


def test_dsns_are_masked_in_both_spellings() -> None:
    assert "s3cr3t" not in mask_dsn("host=db dbname=hub user=u password=s3cr3t")
    assert "s3cr3t" not in mask_dsn("postgresql://u:s3cr3t@db:5432/hub")
    assert "host=db" in mask_dsn("postgresql://u:s3cr3t@db:5432/hub")
    assert mask_dsn("this is ' not a dsn") == "***"


# ---------------------------------------------------------------------------------- change feed


def _pull(
    conn: psycopg.Connection[Any], cursor: ChangeCursor | None, tables: tuple[str, ...] = ("items",)
) -> tuple[dict[str, list[dict[str, Any]]], ChangeCursor]:
    got: dict[str, list[dict[str, Any]]] = {}
    new = pull_changes(conn, lambda t, rows: got.setdefault(t, []).extend(rows), cursor, tables=tables, batch_size=2)
    return got, new


def test_a_pull_never_misses_a_change_committed_out_of_order(pg_hub: PgHub) -> None:  # noqa: F811
    """Transaction A takes its change number first but commits after B. A pull between the two
    commits sees B; the next pull still brings A (a sequence number alone would skip it)."""
    owner = pg_hub.owner()
    account = accounts.add_account(owner, "zendesk:feed", Channel.ZENDESK, "Feed")
    _, first = _pull(owner, None)
    slow, fast = pg_hub.connect(), pg_hub.connect()
    with slow.transaction():
        ingest.write_page(slow, account, None, _page("late"))  # takes the lower numbers, commits last
        with fast.transaction():
            ingest.write_page(fast, account, None, _page("early", conversation="c2"))
        between, cursor = _pull(owner, first)
        assert [r["external_id"] for r in between["items"]] == ["early"]
    after, cursor2 = _pull(owner, cursor)
    assert [r["external_id"] for r in after["items"]] == ["late"]
    late_seq = after["items"][0]["seq"]
    assert late_seq < between["items"][0]["seq"]  # the very case a plain "seq > N" would miss
    nothing, _ = _pull(owner, cursor2)
    assert nothing == {}


def test_replaying_a_page_moves_no_change_number_and_deletions_leave_tombstones(pg_hub: PgHub) -> None:  # noqa: F811
    owner = pg_hub.owner()
    account = accounts.add_account(owner, "zendesk:replay", Channel.ZENDESK, "Replay")
    with owner.transaction():
        ingest.write_page(owner, account, "tickets", _page("r1", "r2", conversation="rc"))
    _, cursor = _pull(owner, None, ("items", "conversations", "contacts", "tombstones"))
    with owner.transaction():
        result = ingest.write_page(owner, account, "tickets", _page("r1", "r2", conversation="rc"))
    assert result.items_written == 0
    replayed, cursor = _pull(owner, cursor, ("items", "conversations", "contacts", "tombstones"))
    assert replayed == {}

    edited = _page("r1", conversation="rc")
    edited.items[0] = dataclasses.replace(edited.items[0], text="diralat")
    with owner.transaction():
        assert ingest.write_page(owner, account, "tickets", edited).items_written == 1
    item_id = owner.execute("SELECT id FROM omniinbox.items WHERE external_id = 'r2'").fetchone()
    assert item_id is not None
    owner.execute("INSERT INTO omniinbox.labels (item_id, label) VALUES (%s, 'hoaks')", item_id)
    owner.execute("DELETE FROM omniinbox.labels WHERE item_id = %s", item_id)
    changed, _ = _pull(owner, cursor, ("items", "labels", "tombstones"))
    assert [r["text"] for r in changed["items"]] == ["diralat"]
    assert [(t["table_name"], t["row_key"]) for t in changed["tombstones"]] == [
        ("labels", {"item_id": item_id[0], "label": "hoaks"})
    ]


def test_a_desktop_pulls_only_what_its_user_may_see(pg_hub: PgHub) -> None:  # noqa: F811
    owner = pg_hub.owner()
    helpdesk = accounts.add_account(owner, "zendesk:rls", Channel.ZENDESK, "Helpdesk")
    social = accounts.add_account(owner, "x:rls", Channel.X, "Sosmed")
    with owner.transaction():
        ingest.write_page(owner, helpdesk, None, _page("h1", conversation="hc"))
        ingest.write_page(owner, social, None, _page("s1", conversation="sc"))
    _, agent = pg_hub.user("feed_agent", Role.AGENT)
    got: dict[str, list[dict[str, Any]]] = {}
    cursor = pull_changes(agent, lambda t, rows: got.setdefault(t, []).extend(rows))
    assert "sync_cursors" not in got  # a table the role cannot read is simply not pulled
    assert {r["external_id"] for r in got["items"]} >= {"h1"} and "s1" not in {r["external_id"] for r in got["items"]}
    assert ChangeCursor.loads(cursor.dumps()) == cursor


def test_listeners_hear_which_tables_changed(pg_hub: PgHub) -> None:  # noqa: F811
    owner = pg_hub.owner()
    account = accounts.add_account(owner, "zendesk:live", Channel.ZENDESK, "Live")
    listener = pg_hub.connect()
    listen(listener)
    assert wait_for_changes(listener, 0.05) == set()
    with owner.transaction():
        ingest.write_page(owner, account, "tickets", _page("n1", conversation="nc"))
    heard = wait_for_changes(listener, 5.0)
    heard |= wait_for_changes(listener, 0.05)
    assert {"items", "conversations", "contacts", "sync_cursors"} <= heard
