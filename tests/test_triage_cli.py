"""``omniinbox issues`` (text, JSON, level filter, counts, settings) and the issue brief as HTML
in Bahasa Indonesia, with every message text escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_triage_support import Feed, issue_of, item, ms, play, scenario_feed

from omniinbox import triage
from omniinbox.cli import main
from omniinbox.core import ItemKind, Role
from omniinbox.store import issues as store
from omniinbox.store import outbox
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.triage import settings as triage_settings
from omniinbox.triage import statement
from omniinbox.triage.brief import issue_brief_html


def _viral_cache(path: Path) -> int:
    with Cache.open(path) as cache:
        feed, entries = scenario_feed(cache, "viral-outage")
        play(feed, entries, each=20)
        return issue_of(cache, "awal") or 0


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_radar_on_a_terminal_and_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.sqlite")
    issue_id = _viral_cache(Path(db))
    code, out, err = _run(capsys, "issues", "--cache", db, "--days", "0")
    assert code == 0, err
    first = out.splitlines()[:3]
    assert first[0].startswith(f"#{issue_id} ") and "L3 MUST ANSWER by " in first[0] and "owner: unassigned" in first[0]
    assert first[1].strip().startswith("3 because ") and "distinct authors in 2 hours on" in first[1]
    assert first[2].strip().startswith("items ") and "KOLs 3" in first[2] and "channels 11 (" in first[2]

    code, out, _err = _run(capsys, "issues", "--cache", db, "--days", "0", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    top = rows[0]
    assert top["id"] == issue_id and top["level"] == 3 and top["must_answer"] is True
    assert top["reason"].startswith("3 because") and top["deadline"] and top["owner"] is None
    assert top["items"] >= top["counted_items"] > 150 and top["authors"] > 150 and top["kols"] == 3
    assert top["channels"] == 11 and "zendesk" in top["channel_names"]
    assert {r["level"] for r in rows[1:]} == {1}

    code, out, _err = _run(capsys, "issues", "--cache", db, "--days", "0", "--json", "--level", "1")
    assert out and all(json.loads(line)["level"] == 1 for line in out.splitlines())
    code, out, _err = _run(capsys, "issues", "--cache", db, "--days", "0", "--counts", "--json")
    counts = json.loads(out)
    assert counts["open_issues"] == len(rows) and counts["must_answer"] == 1 and counts["level_3"] == 1
    assert counts["public_interest_authors"] == top["authors"]
    # the scenario played days ago: not among the issues active in the last day
    code, out, _err = _run(capsys, "issues", "--cache", db, "--days", "1")
    assert out == "No open issues.\n"


def test_a_run_with_nothing_new_leaves_the_cache_as_it_was(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.sqlite"
    _viral_cache(db)
    _run(capsys, "issues", "--cache", str(db))
    with Cache.open(db) as cache:
        before = cache.last_seq()
    _run(capsys, "issues", "--cache", str(db))
    with Cache.open(db) as cache:
        assert cache.last_seq() == before


def test_settings_are_shown_and_changed_by_supervisors_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "c.sqlite")
    monkeypatch.setenv("LOGNAME", "kepala")
    code, out, _err = _run(capsys, "issues", "--cache", db, "--settings")
    assert code == 0 and "public_authors = 20\n" in out and "distinct authors within public_hours" in out
    code, out, err = _run(capsys, "issues", "--cache", db, "--set", "public_authors=30", "--set", "public_hours=1.5")
    assert code == 0, err  # the first user of a new cache is its administrator
    assert out == "public_authors = 30\npublic_hours = 1.5\n"
    code, _out, err = _run(capsys, "issues", "--cache", db, "--set", "public_people=3")
    assert code == 2 and "unknown setting public_people" in err and "Traceback" not in err
    code, _out, err = _run(capsys, "issues", "--cache", db, "--set", "public_authors")
    assert code == 2 and "NAME=VALUE" in err
    with Cache.open(db) as cache:
        add_user(cache, "petugas", "Petugas", Role.AGENT)
    monkeypatch.setenv("LOGNAME", "petugas")
    code, _out, err = _run(capsys, "issues", "--cache", db, "--set", "public_authors=5")
    assert code == 1 and "petugas is not a supervisor" in err
    with Cache.open(db) as cache:
        assert triage_settings.load(cache).public_authors == 30


def test_the_brief_is_html_in_bahasa_indonesia_with_every_text_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.sqlite"
    with Cache.open(db) as cache:
        triage_settings.save(cache, None, {"public_authors": 3, "public_channels": 2})
        feed = Feed(cache)
        feed.write(
            [
                (
                    "x:pemkot",
                    item(
                        "a",
                        "Jembatan Cikapundung retak <script>alert(1)</script> #JembatanRetak",
                        1,
                        author="kabar-kota",
                        followers=250_000,
                        likes=500,
                    ),
                ),
                ("x:pemkot", item("b", "Jembatan Cikapundung retak, <b>bahaya</b> #JembatanRetak", 2, likes=40)),
                (
                    "zendesk:pemkot",
                    item(
                        "c",
                        "Jembatan Cikapundung retak & miring, mohon dicek",
                        3,
                        kind=ItemKind.TICKET,
                        subject='Jembatan "retak"',
                    ),
                ),
            ]
        )
        triage.update(cache, now_ms=ms(5))
        issue_id = issue_of(cache, "a") or 0
        supervisor = add_user(cache, "spv", "Kepala <Humas>", Role.SUPERVISOR)
        draft = statement.draft_statement(cache, supervisor, issue_id, "Jembatan <b>ditutup</b> & diperiksa.")
        statement.approve_statement(cache, supervisor, draft.id)
        statement.fan_out(cache, supervisor, draft.id)
        sent = outbox.claim_next(cache, ms(10**7))
        assert sent is not None
        outbox.mark_sent(cache, sent.id, "r-1", sent_ms=ms(20))
        page = issue_brief_html(cache, issue_id, now_ms=ms(30))
    for heading in ("Ringkasan isu", "Status", "Jangkauan", "Isi", "Kanal dan akun", "Tokoh kunci",
                    "Yang sudah dijawab", "Lini masa"):  # fmt: skip
        assert f"{heading}" in page
    assert "Level 3 — menjadi perhatian publik, wajib dijawab" in page
    assert "Level 3 karena 3 penulis berbeda dalam 2 jam di 2 kanal" in page
    assert "Tenggat jawaban" in page and "Penanggung jawab</th><td>belum ditentukan" in page
    assert "terkirim" in page and "dalam antrean kirim" in page  # one reply sent, one still queued
    assert "Kabar Kota" in page and "pengikut banyak" in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page and "&lt;b&gt;" in page
    assert "Kepala &lt;Humas&gt;" in page and "&lt;b&gt;ditutup&lt;/b&gt; &amp; diperiksa" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing is loaded from the network

    output = tmp_path / "brief.html"
    code, out, err = _run(capsys, "issues", "--cache", str(db), "--no-update", "--brief", str(issue_id), "-o",
                          str(output))  # fmt: skip
    assert code == 0, err
    assert out == f"Brief of issue #{issue_id} written to {output}.\n"
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, _out, err = _run(capsys, "issues", "--cache", str(db), "--brief", "999")
    assert code == 1 and err == "omniinbox: there is no issue #999\n"
    with Cache.open(db) as cache:
        assert store.issue(cache, issue_id) is not None
