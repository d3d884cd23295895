"""The embedded default: the headless demo sync end to end, the demo cache kept apart from real
data, live mode filling the cache while it plays, and --demo on the headless commands."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from omniinbox.cli import main
from omniinbox.core import Channel, OwnerKind
from omniinbox.demo import DEMO_REF_PREFIX, demo_secrets, items_per_channel, start_demo
from omniinbox.sandbox.hub import DEFAULT_SCENARIOS
from omniinbox.sandbox.scenario import scenario_named
from omniinbox.secrets import SecretStore, SecretsUnavailable
from omniinbox.store.accounts import add_account, list_accounts
from omniinbox.store.cache import Cache
from omniinbox.sync.loop import SyncLoop

CONTACT_CENTER = {"zendesk", "freshdesk", "zammad", "chatwoot"}
SOCIAL = {"x", "facebook", "instagram", "youtube", "mastodon", "telegram"}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _scenario_events() -> Counter[str]:
    counts: Counter[str] = Counter()
    for name in DEFAULT_SCENARIOS:
        counts.update(e.platform for e in scenario_named(name).events)
    return counts


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where platformdirs puts the default caches: a temporary folder, never the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "data"


def test_headless_demo_sync_fills_the_demo_cache_with_every_channel(
    data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "sync", "--demo", "--once", "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    assert summary["demo"] is True
    per_channel = summary["items_per_channel"]
    expected = _scenario_events()
    # Every ticket, chat and email of the scenarios is in the cache, once.
    for channel in CONTACT_CENTER:
        assert per_channel[channel] == expected[channel], channel
    # And every emulated platform delivered: at least one account per channel in the summary.
    accounts = {line["channel"] for line in lines[:-1]}
    assert accounts == set(per_channel)
    assert all(not line["stopped"] for line in lines[:-1]), lines
    demo_cache = data_home / "OmniInbox" / "demo-cache.sqlite"
    assert demo_cache.exists()
    assert not (data_home / "OmniInbox" / "cache.sqlite").exists()  # the real cache was never made

    # A second run starts afresh (the sandbox is a new platform each time), with the same counts.
    with Cache.open(demo_cache) as cache:
        add_note_marker = cache.conn.execute("SELECT count(*) FROM items").fetchone()[0]
    code, out, err = _run(capsys, "sync", "--demo", "--once", "--json")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["items_per_channel"] == per_channel
    with Cache.open(demo_cache) as cache:
        assert cache.conn.execute("SELECT count(*) FROM items").fetchone()[0] == add_note_marker

    # The headless commands act on the demo cache with --demo.
    code, out, _ = _run(capsys, "stats", "--demo", "--json")
    assert code == 0
    assert json.loads(out)["items"] == sum(per_channel.values())
    code, out, _ = _run(capsys, "search", "--demo", "antrean", "--json")
    assert code == 0 and out.strip()
    assert all("antrean" in json.loads(line)["text"].lower() for line in out.splitlines())
    code, out, _ = _run(capsys, "export", "--demo", "--format", "json")
    assert code == 0 and len(out.splitlines()) == sum(per_channel.values())
    code, out, err = _run(capsys, "issues", "--demo", "--json")
    assert code == 0, err
    issues = [json.loads(line) for line in out.splitlines()]
    # The viral scenario: one subject (the SukaLayan outage) arriving on several platforms and as
    # tickets, chats and mail, grouped into one issue that reached public interest: must answer.
    outage = next(i for i in issues if "sukalayan" in i["title"])
    assert outage["level"] == 3 and outage["must_answer"] and outage["deadline"], outage
    channels = set(outage["channel_names"])
    assert len(channels & SOCIAL) >= 3 and len(channels & (CONTACT_CENTER | {"email"})) >= 3, channels
    assert issues[0]["id"] == outage["id"]  # must-answer first


def test_the_demo_summary_in_words(data_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "sync", "--demo", "--once", "--scenario", "viral-outage")
    assert code == 0, err
    assert "loopback only" in out
    assert "items:" in out
    assert "zendesk" in out


def test_the_demo_refuses_a_cache_with_real_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "real.sqlite"
    with Cache.open(db) as cache:
        add_account(cache, "zendesk:pusat", Channel.ZENDESK, "Pusat", base_url="https://x.zendesk.com",
                    secret_ref="zendesk:pusat")  # fmt: skip
    code, _, err = _run(capsys, "sync", "--demo", "--once", "--cache", str(db))
    assert code == 2
    assert "real accounts" in err and "zendesk:pusat" in err
    with Cache.open(db) as cache:
        assert [a.key for a in list_accounts(cache)] == ["zendesk:pusat"]  # nothing was added


def test_demo_accounts_include_a_leader_account_and_tokens_stay_off_the_cache(tmp_path: Path) -> None:
    secrets = SecretStore.in_memory()
    with Cache.open(tmp_path / "d.sqlite") as cache:
        demo = start_demo(cache, live=False, secrets=secrets)
        try:
            tokens = [a.secret for a in demo.sandbox.accounts]
            assert all(a.secret_ref.startswith(DEMO_REF_PREFIX) for a in demo.accounts)
            assert all(secrets.get(a.secret_ref) for a in demo.accounts)
            if any(a.leader for a in demo.sandbox.accounts):
                assert any(a.owner_kind is OwnerKind.LEADER for a in demo.accounts)
        finally:
            demo.stop()
    raw = (tmp_path / "d.sqlite").read_bytes()
    assert not any(token.encode() in raw for token in tokens)


def test_without_a_keyring_the_demo_says_its_tokens_live_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_keyring(**_kwargs: object) -> SecretStore:
        raise SecretsUnavailable("no system keyring is available on this machine")

    monkeypatch.setattr(SecretStore, "system", staticmethod(no_keyring))
    store, note = demo_secrets()
    assert not store.secure
    assert "no usable keyring" in note and "in memory" in note


def test_live_demo_keeps_filling_the_cache_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "live.sqlite"
    with Cache.open(path) as cache:
        # 600 scenario minutes per real minute: ten per second, so the scenario moves while we watch.
        demo = start_demo(cache, live=True, speed=600.0, head_start=30.0, secrets=SecretStore.in_memory(),
                          platforms=sorted(CONTACT_CENTER))  # fmt: skip
    rounds: list[int] = []
    loop = SyncLoop(path, demo.connector_for(), interval=0.5, on_round=lambda r: rounds.append(r.written))
    try:
        loop.start()
        seen = []
        deadline = time.monotonic() + 30
        with Cache.open(path) as cache:
            while time.monotonic() < deadline:
                seen.append(sum(items_per_channel(cache).values()))
                if len(set(seen)) >= 3:
                    break
                time.sleep(0.5)
        assert len(set(seen)) >= 3, seen  # it grew at least twice
        assert seen == sorted(seen)
        assert loop.last is not None and not loop.last.error
    finally:
        loop.stop()
        demo.stop()
    assert sum(rounds) > 0


def test_sync_loop_sends_a_queued_reply_when_poked(tmp_path: Path) -> None:
    from omniinbox.store import outbox

    path = tmp_path / "reply.sqlite"
    with Cache.open(path) as cache:
        demo = start_demo(cache, live=False, secrets=SecretStore.in_memory(), platforms=["zendesk"])
    loop = SyncLoop(path, demo.connector_for(), interval=60.0)
    try:
        loop.start()
        with Cache.open(path) as cache:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not items_per_channel(cache).get("zendesk"):
                time.sleep(0.2)
            item_id, account_id = cache.conn.execute(
                "SELECT i.id, i.account_id FROM items i ORDER BY i.id LIMIT 1"
            ).fetchone()
            entry = outbox.enqueue(cache, account_id=account_id, body="Terima kasih, kami bantu cek.",
                                   in_reply_to_item_id=item_id)  # fmt: skip
            loop.poke()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and outbox.get(cache, entry.id).state.value != "sent":
                time.sleep(0.2)
            assert outbox.get(cache, entry.id).state.value == "sent"
        posted = [r for r in demo.sandbox.server.requests if r.method == "PUT" and "/tickets/" in r.path]
        assert len(posted) == 1
    finally:
        loop.stop()
        demo.stop()


def test_scenario_files_name_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\n", encoding="utf-8")
    code, _, err = _run(capsys, "sync", "--demo", "--once", "--scenario", str(bad), "--cache", str(tmp_path / "c"))
    assert code == 2
    assert "bad.toml" in err and "Traceback" not in err


def test_bad_weather_per_platform(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--faults on one platform: its answers include 429s, 5xx and slow ones; the sync rides them
    out (or stops the stream saying why) and the other platforms are untouched."""
    code, out, err = _run(capsys, "sync", "--demo", "--once", "--json", "--scenario", "good-news",
                          "--faults", "zammad=0.3", "--cache", str(tmp_path / "f.sqlite"))  # fmt: skip
    assert code in (0, 1), err
    assert "Traceback" not in err
    lines = [json.loads(line) for line in out.splitlines()]
    others = [line for line in lines[:-1] if line["channel"] != "zammad"]
    assert others and all(not line["stopped"] for line in others)
    code, _, err = _run(capsys, "sync", "--demo", "--once", "--faults", "myspace=0.5", "--cache", str(tmp_path / "g"))
    assert code == 2 and "no emulated platform myspace" in err
    code, _, err = _run(capsys, "sync", "--demo", "--once", "--faults", "2", "--cache", str(tmp_path / "h"))
    assert code == 2 and "between 0 and 1" in err


def test_stdin_is_not_read_by_the_demo(monkeypatch: pytest.MonkeyPatch, data_home: Path) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no secret to type: the demo makes its own
    assert main(["sync", "--demo", "--once", "--scenario", "good-news"]) == 0
