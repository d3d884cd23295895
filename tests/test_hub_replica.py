"""Desktops in team mode on a real PostgreSQL hub: two local caches replicating what their users
may see (an agent of the contact center, a supervisor; a second agent), their actions pushed
under their own logins, refusals coming back with PostgreSQL's reason, the soft lock in front of
replies, work queued while the hub is away and pushed once when it is back, replays that change
nothing."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers.pg import PgHub, pg_hub  # noqa: F401 - the fixture
from psycopg import conninfo

from omniinbox import usecases
from omniinbox.core import Account, Author, Channel, ConversationStatus, Item, ItemKind, Page, Role, TagValue, Team
from omniinbox.hub import accounts, ingest, replica
from omniinbox.hub.changes import ChangeCursor
from omniinbox.store import hub_journal, queries
from omniinbox.store.cache import Cache

Conn = psycopg.Connection[Any]
T0 = datetime.now(UTC) - timedelta(hours=1)


@dataclass
class Desk:
    login: str
    hub: Conn
    cache: Cache

    def pull(self) -> replica.PullReport:
        return replica.pull(self.hub, self.cache)

    def push(self) -> replica.PushReport:
        return replica.push(self.hub, self.cache)

    def sync(self) -> None:
        self.push()
        self.pull()

    @property
    def user(self) -> Any:
        return usecases.current_user(self.cache, self.login)

    def item(self, external_id: str) -> int:
        row = self.cache.conn.execute("SELECT id FROM items WHERE external_id = ?", (external_id,)).fetchone()
        assert row is not None, f"{external_id} is not in {self.login}'s cache"
        return int(row[0])

    def conversation_of(self, external_id: str) -> int:
        row = self.cache.conn.execute(
            "SELECT conversation_id FROM items WHERE external_id = ?", (external_id,)
        ).fetchone()
        assert row is not None
        return int(row[0])


@dataclass
class World:
    hub: PgHub
    owner: Conn
    worker: Conn
    account: Account
    ids: dict[str, int]
    folder: Path
    counter: list[int]

    def ingest(self, text: str = "air PDAM mati sejak pagi") -> str:
        """A worker writes a new ticket into the hub; returns its item's external id."""
        self.counter[0] += 1
        ext = f"t{self.counter[0]}"
        item = Item(
            external_id=f"{ext}-1",
            kind=ItemKind.TICKET,
            text=text,
            conversation_id=ext,
            created_at=T0 + timedelta(seconds=self.counter[0]),
            author=Author(f"warga-{ext}", name="Warga Sukamaju", followers=12),
            raw={"id": ext},
        )
        with self.worker.transaction():
            ingest.write_page(self.worker, self.account, None, Page(items=[item]))
        return item.external_id

    def hub_conversation(self, external_id: str) -> int:
        row = self.owner.execute(
            "SELECT conversation_id FROM omniinbox.items WHERE external_id = %s", (external_id,)
        ).fetchone()
        assert row is not None
        return int(row[0])

    def desk(self, short: str, *, dsn: str | None = None) -> Desk:
        login = self.hub.login_name(short)
        cache = Cache.open(self.folder / f"{short}-{self.counter[0]}-{time.monotonic_ns()}.sqlite")
        replica.init_replica(cache, dsn or self.hub.dsn_for(login), login)
        return Desk(login, self.hub.connect(login), cache)


@pytest.fixture(scope="module")
def world(pg_hub: PgHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:  # noqa: F811
    owner = pg_hub.owner()
    account = accounts.add_account(owner, "zendesk:replika", Channel.ZENDESK, "Pusat Layanan")
    ids: dict[str, int] = {}
    for short, role in (("dewi", Role.AGENT), ("eko", Role.AGENT), ("sari", Role.SUPERVISOR)):
        user_id, _conn = pg_hub.user(short, role, team=Team.CONTACT_CENTER)
        assert user_id is not None
        ids[short] = user_id
    pg_hub.user("sync", "worker")
    worker = pg_hub.connect(pg_hub.login_name("sync"))
    yield World(pg_hub, owner, worker, account, ids, tmp_path_factory.mktemp("desks"), [0])


def _problems(desk: Desk) -> list[str]:
    return [r[0] for r in desk.cache.conn.execute("SELECT reason FROM sync_problems WHERE kind = 'hub_refused'")]


def test_an_ingested_item_reaches_both_desks_searchable_and_a_replay_changes_nothing(world: World) -> None:
    dewi, sari = world.desk("dewi"), world.desk("sari")
    ext = world.ingest("air PDAM mati sejak pagi di Sukamaju")
    for desk in (dewi, sari):
        report = desk.pull()
        assert report.rows["items"] >= 1
        item = desk.item(ext)
        hits = list(queries.search(desk.cache, "PDAM", limit=10))
        assert item in hits  # through the store's ingest path: full-text search finds it
        account = desk.cache.conn.execute("SELECT key, secret_ref FROM accounts").fetchall()
        assert account == [("zendesk:replika", "")]  # mirrored by key, no secret, never synced here
        assert usecases.current_user(desk.cache, desk.login).login == desk.login
    assert sari.user.role is Role.SUPERVISOR and dewi.user.team is Team.CONTACT_CENTER
    # replaying: the same pull again, and the whole feed from the start, change nothing
    before = dewi.cache.last_seq()
    dewi.pull()
    with dewi.cache.write("test") as tx:
        hub_journal.put_setting(tx.conn, "cursor", ChangeCursor().dumps())
    dewi.pull()
    assert dewi.cache.last_seq() == before


def test_a_tag_set_on_one_desk_appears_on_the_other_last_writer_wins(world: World) -> None:
    dewi, sari = world.desk("dewi"), world.desk("sari")
    ext = world.ingest()
    dewi.pull()
    sari.pull()
    usecases.tag(sari.cache, sari.user, [sari.item(ext)], Team.CONTACT_CENTER, TagValue.PROTECT)
    assert hub_journal.count_pending(sari.cache.conn) == 1
    assert sari.push().pushed == 1
    dewi.pull()
    tags = dewi.cache.conn.execute("SELECT team, value FROM tags WHERE item_id = ?", (dewi.item(ext),)).fetchall()
    assert tags == [("contact_center", "protect")]
    # the agent, who may change it once the thread is hers, changes it back: the last writer
    # the hub hears wins, everywhere
    usecases.assign(dewi.cache, dewi.user, [dewi.item(ext)], dewi.user.id)
    usecases.tag(dewi.cache, dewi.user, [dewi.item(ext)], Team.CONTACT_CENTER, TagValue.PROMOTE)
    dewi.sync()
    sari.pull()
    value = sari.cache.conn.execute("SELECT value FROM tags WHERE item_id = ?", (sari.item(ext),)).fetchone()
    assert value == ("promote",)
    assert _problems(dewi) == [] and _problems(sari) == []


def test_an_agents_refused_reassignment_comes_back_with_postgresqls_reason(world: World) -> None:
    dewi = world.desk("dewi")
    ext = world.ingest()
    world.owner.execute(
        "UPDATE omniinbox.conversations SET assignee_id = %s WHERE id = %s",
        (world.ids["eko"], world.hub_conversation(ext)),
    )
    dewi.pull()
    eko_local = dewi.cache.conn.execute("SELECT id FROM users WHERE login = ?", (world.hub.login_name("eko"),))
    eko_id = eko_local.fetchone()[0]
    conversation = dewi.conversation_of(ext)
    assert dewi.cache.conn.execute(
        "SELECT assignee_id FROM conversations WHERE id = ?", (conversation,)
    ).fetchone() == (eko_id,)
    usecases.assign(dewi.cache, dewi.user, [dewi.item(ext)], dewi.user.id)  # "take it from Eko"
    report = dewi.push()
    assert report.pushed == 0 and len(report.refused) == 1
    problems = _problems(dewi)
    assert len(problems) == 1 and "already assigned to Eko" in problems[0]
    # a plain reassignment to someone else: PostgreSQL's own words
    usecases.assign(dewi.cache, dewi.user, [dewi.item(ext)], None)
    dewi.push()
    problems = _problems(dewi)
    assert len(problems) == 2 and "permission denied for table conversations" in problems[1]
    refused = hub_journal.entries(dewi.cache.conn, state="refused")
    assert [e.action for e in refused] == ["assign", "assign"] and all(e.reason for e in refused)
    # the hub's assignment wins: the local row is Eko's again, and listed problems say why
    assert dewi.cache.conn.execute(
        "SELECT assignee_id FROM conversations WHERE id = ?", (conversation,)
    ).fetchone() == (eko_id,)
    listed = [p.reason for p in queries.problems(dewi.cache)]
    assert any("permission denied" in reason for reason in listed)
    assert world.owner.execute(
        "SELECT assignee_id FROM omniinbox.conversations WHERE id = %s", (world.hub_conversation(ext),)
    ).fetchone() == (world.ids["eko"],)


def test_the_soft_lock_stops_a_second_reply_and_a_takeover_is_audited(world: World) -> None:
    dewi, eko = world.desk("dewi"), world.desk("eko")
    ext = world.ingest()
    dewi.pull()
    eko.pull()
    state = replica.take_reply_lock(dewi.hub, dewi.cache, dewi.conversation_of(ext))
    assert state.acquired
    # Eko's desk has not heard of the lock yet: the reply is queued here, and the hub refuses it
    usecases.reply(eko.cache, eko.user, eko.item(ext), "Baik, kami cek")
    report = eko.push()
    assert report.refused and "Dewi is replying" in report.refused[0][1]
    failed = eko.cache.conn.execute("SELECT state, last_error FROM outbox").fetchall()
    assert failed[0][0] == "failed" and "Dewi is replying" in failed[0][1]
    # once pulled, the desk itself says who is replying and queues nothing
    eko.pull()
    assert replica.replying_message(replica.take_reply_lock(eko.hub, eko.cache, eko.conversation_of(ext))) == (
        "Dewi is replying"
    )
    with pytest.raises(usecases.UseCaseRefused, match="Dewi is replying"):
        usecases.reply(eko.cache, eko.user, eko.item(ext), "Baik, kami cek lagi")
    # Eko takes over on purpose: audited by the hub, and his reply goes out
    taken = replica.take_over_reply_lock(eko.hub, eko.cache, eko.conversation_of(ext), "Dewi is on a break")
    assert taken.acquired
    audit = world.owner.execute(
        "SELECT user_id, detail FROM omniinbox.audit_events WHERE action = 'lock.takeover' AND target = %s",
        (f"conversation:{world.hub_conversation(ext)}",),
    ).fetchall()
    assert len(audit) == 1 and audit[0][0] == world.ids["eko"] and audit[0][1]["reason"] == "Dewi is on a break"
    eko.pull()
    entry = usecases.reply(eko.cache, eko.user, eko.item(ext), "Baik, kami cek")
    assert eko.push().pushed == 1
    eko.pull()
    hub_rows = world.owner.execute(
        "SELECT state, idempotency_key FROM omniinbox.outbox WHERE conversation_id = %s",
        (world.hub_conversation(ext),),
    ).fetchall()
    assert hub_rows == [("queued", entry.idempotency_key)]
    assert eko.cache.conn.execute("SELECT state FROM outbox WHERE id = ?", (entry.id,)).fetchone() == ("queued",)


class Proxy:
    """A TCP relay in front of PostgreSQL that can be switched off (the hub "goes away": every
    connection is cut and new ones are refused) and on again, on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                if self._listener is not listener:  # switched off meanwhile
                    client.close()
                    server.close()
                    return
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_offline_actions_queue_and_reach_the_hub_once_on_reconnect(world: World) -> None:
    login = world.hub.login_name("dewi")
    params = conninfo.conninfo_to_dict(world.hub.dsn_for(login))
    proxy = Proxy((str(params.get("host") or "127.0.0.1"), int(params.get("port") or 5432)))
    dsn = conninfo.make_conninfo(world.hub.dsn_for(login), host="127.0.0.1", port=str(proxy.port))
    proxy.up()
    dewi = world.desk("dewi", dsn=dsn)
    sari = world.desk("sari")
    exts = [world.ingest(), world.ingest()]
    loop = replica.HubReplicaLoop(dewi.cache.path or Path(), dsn, interval=5.0, max_backoff=0.5).start()
    try:
        _wait(lambda: loop.state().online and dewi.cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] >= 2)
        proxy.down()
        _wait(lambda: not loop.state().online)
        items = [dewi.item(e) for e in exts]
        usecases.tag(dewi.cache, dewi.user, items, Team.CONTACT_CENTER, TagValue.PROTECT)
        usecases.add_note(dewi.cache, dewi.user, items[:1], "warga menelepon lagi")
        _wait(lambda: loop.state().pending == 3)
        assert loop.state().describe() == "offline, 3 actions waiting"
        time.sleep(1.0)  # a few reconnection attempts against the closed port
        assert hub_journal.count_pending(dewi.cache.conn) == 3
        proxy.up()
        _wait(lambda: loop.state().online and loop.state().pending == 0)
        assert loop.state().describe() == "team hub: up to date"
    finally:
        loop.stop()
        proxy.down()
    hub_items = [world.owner.execute("SELECT id FROM omniinbox.items WHERE external_id = %s", (e,)).fetchone()[0]
                 for e in exts]  # fmt: skip
    tag_events = world.owner.execute(
        "SELECT count(*) FROM omniinbox.audit_events WHERE action = 'tag.set' AND target = ANY(%s)",
        ([f"item:{i}" for i in hub_items],),
    ).fetchone()
    assert tag_events == (2,)  # each tag reached the hub once
    notes = world.owner.execute(
        "SELECT count(*) FROM omniinbox.notes WHERE conversation_id = %s", (world.hub_conversation(exts[0]),)
    ).fetchone()
    assert notes == (1,)
    # pushing again (a replay of the journal) changes nothing
    assert replica.push(dewi.hub, dewi.cache).pushed == 0
    sari.pull()
    tagged = sari.cache.conn.execute(
        "SELECT count(*) FROM tags WHERE value = 'protect' AND item_id IN (?, ?)", [sari.item(e) for e in exts]
    ).fetchone()
    assert tagged == (2,)
    assert sari.cache.conn.execute("SELECT count(*) FROM notes").fetchone() == (1,)


def test_a_conversation_leaving_the_agents_view_is_dropped_and_one_coming_in_is_filled(world: World) -> None:
    dewi, sari = world.desk("dewi"), world.desk("sari")
    ext = world.ingest()
    for desk in (dewi, sari):
        desk.pull()
    usecases.assign(dewi.cache, dewi.user, [dewi.item(ext)], dewi.user.id)  # claims it
    usecases.set_status(dewi.cache, dewi.user, [dewi.item(ext)], ConversationStatus.PENDING)
    dewi.sync()
    assert hub_journal.counts(dewi.cache.conn)["refused"] == 0
    sari.pull()
    # the supervisor hands it to the social team: it leaves the agent's view
    usecases.handoff(sari.cache, sari.user, [sari.item(ext)], Team.SOCIAL, "soal akun Instagram")
    sari.sync()
    assert _problems(sari) == []
    dewi.pull()
    assert dewi.cache.conn.execute("SELECT count(*) FROM items WHERE external_id = ?", (ext,)).fetchone() == (0,)
    # and back to the contact center, assigned to Dewi: it comes back whole, note included
    usecases.handoff(sari.cache, sari.user, [sari.item(ext)], Team.CONTACT_CENTER, "kembali ke layanan")
    sari.sync()
    report = dewi.pull()
    assert report.filled == 1
    assert dewi.item(ext)
    notes = dewi.cache.conn.execute(
        "SELECT count(*) FROM notes WHERE conversation_id = ?", (dewi.conversation_of(ext),)
    )
    assert notes.fetchone()[0] == 2


def test_the_composer_takes_the_lock_through_the_journal_and_a_takeover_is_audited(world: World) -> None:
    dewi, eko = world.desk("dewi"), world.desk("eko")
    ext = world.ingest()
    dewi.pull()
    eko.pull()
    assert usecases.open_for_reply(dewi.cache, dewi.user, dewi.item(ext)) is None  # journaled
    assert usecases.open_for_reply(dewi.cache, dewi.user, dewi.item(ext)) is None  # not twice
    assert [e.action for e in hub_journal.pending(dewi.cache.conn)] == ["lock"]
    dewi.sync()
    held = world.owner.execute(
        "SELECT holder_id FROM omniinbox.soft_locks WHERE conversation_id = %s", (world.hub_conversation(ext),)
    ).fetchone()
    assert held == (world.ids["dewi"],)
    assert usecases.open_for_reply(dewi.cache, dewi.user, dewi.item(ext)) is None  # hers, with lease left
    assert hub_journal.count_pending(dewi.cache.conn) == 0
    eko.pull()
    other = usecases.open_for_reply(eko.cache, eko.user, eko.item(ext))
    assert other is not None and other.holder_name == "Dewi"
    with pytest.raises(usecases.UseCaseRefused, match="Dewi is replying"):
        usecases.reply(eko.cache, eko.user, eko.item(ext), "Baik")
    usecases.take_over_reply(eko.cache, eko.user, eko.item(ext), "shift change")
    eko.sync()
    assert usecases.open_for_reply(eko.cache, eko.user, eko.item(ext)) is None
    audit = world.owner.execute(
        "SELECT user_id, detail->>'reason' FROM omniinbox.audit_events WHERE action = 'lock.takeover' AND target = %s",
        (f"conversation:{world.hub_conversation(ext)}",),
    ).fetchall()
    assert audit == [(world.ids["eko"], "shift change")]
    usecases.reply(eko.cache, eko.user, eko.item(ext), "Baik, kami cek")
    assert eko.push().pushed == 1
    dewi.pull()
    assert usecases.open_for_reply(dewi.cache, dewi.user, dewi.item(ext)) is not None  # Eko holds it now


def test_a_desk_opens_offline_only_on_what_it_pulled_before(world: World, tmp_path: Path) -> None:
    login = world.hub.login_name("dewi")
    params = conninfo.conninfo_to_dict(world.hub.dsn_for(login))
    proxy = Proxy((str(params.get("host") or "127.0.0.1"), int(params.get("port") or 5432)))
    dsn = conninfo.make_conninfo(world.hub.dsn_for(login), host="127.0.0.1", port=str(proxy.port))
    with pytest.raises(replica.ReplicaError, match="never reached the hub"):
        replica.open_desk(dsn, cache_path=tmp_path / "never.sqlite")
    world.ingest()
    proxy.up()
    try:
        online = replica.open_desk(dsn, cache_path=tmp_path / "desk.sqlite")
    finally:
        proxy.down()
    assert online.online and online.login == login
    offline = replica.open_desk(dsn, cache_path=tmp_path / "desk.sqlite")
    assert not offline.online and offline.loop.state().describe() == "team hub: connecting"
    with Cache.open(tmp_path / "desk.sqlite") as cache:
        assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] >= 1
        with pytest.raises(replica.ReplicaError, match="replicates"):
            replica.init_replica(cache, dsn, world.hub.login_name("eko"))
