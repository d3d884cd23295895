"""Importing listening-tool exports: column aliases and --map, delimiters and byte order marks,
time formats, an account per platform, de-duplication, bad rows by line, resuming, and the
command line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from omniinbox import cli
from omniinbox.core import Channel, OwnerKind
from omniinbox.store import outbox
from omniinbox.store.accounts import get_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import get_cursor
from omniinbox.sync import listening
from omniinbox.sync.listening import (
    ListeningImportError,
    canonical_url,
    followers_count,
    import_listening,
    parse_mapping,
    parse_time,
    platform_name,
)

BRAND_STYLE = (
    "Date;Time;Author Name;Username;Followers Count;Content;Link;Source\n"
    "20/11/2026;14:03;Budi S;@budis;1.2K;Antrean KTP panjang sekali di kecamatan;"
    "https://twitter.com/budis/status/1?utm_source=share;Twitter\n"
    '21/11/2026;09:00;Sari;sari_ig;12.345;"Pelayanan ramah; terima kasih";https://www.instagram.com/p/abc/;Instagram\n'
    "kemarin;;Tono;tono;;teks tanpa tanggal;;TikTok\n"
    "21/11/2026;10:00;Ani;ani;banyak;video soal jalan rusak;https://www.tiktok.com/@ani/video/9;\n"
    "20/11/2026;14:03;Budi S;budis;1200;Antrean KTP (salinan);https://x.com/budis/status/1;X\n"
    "22/11/2026;08:15;Dewi;dewi;;;;Facebook\n"
    ";;;;;;;\n"
    "22/11/2026;08:30;Redaksi;;;Berita banjir di Jl. Melati;https://news.example.id/banjir;News\n"
)


def write(path: Path, text: str, *, bom: bool = False, encoding: str = "utf-8") -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def items(cache: Cache, key: str) -> list[tuple[str, str, str, int | None, int]]:
    return [
        tuple(r)
        for r in cache.conn.execute(
            "SELECT i.external_id, i.text, i.author_handle, c.followers, i.created_at FROM items i"
            " JOIN accounts a ON a.id = i.account_id LEFT JOIN contacts c ON c.id = i.contact_id"
            " WHERE a.key = ? ORDER BY i.created_at",
            (key,),
        )
    ]


def test_an_export_becomes_items_of_each_platform(cache: Cache, tmp_path: Path) -> None:
    path = write(tmp_path / "brand.csv", BRAND_STYLE, bom=True)
    report = import_listening(cache, [path])
    assert set(report.accounts) == {
        "listening:x", "listening:instagram", "listening:tiktok", "listening:news", "listening:facebook",
    }  # fmt: skip
    assert get_account(cache, "listening:x").channel is Channel.X
    assert get_account(cache, "listening:instagram").channel is Channel.INSTAGRAM
    assert get_account(cache, "listening:tiktok").channel is Channel.LISTENING
    assert get_account(cache, "listening:news").channel is Channel.LISTENING
    assert get_account(cache, "listening:x").settings["source"] == "listening"
    x = items(cache, "listening:x")
    assert x == [
        ("url:https://x.com/budis/status/1", "Antrean KTP panjang sekali di kecamatan", "budis", 1200,
         int(datetime(2026, 11, 20, 14, 3, tzinfo=UTC).timestamp() * 1000)),
    ]  # fmt: skip
    assert items(cache, "listening:instagram")[0][1:4] == ("Pelayanan ramah; terima kasih", "sari_ig", 12345)
    tiktok = items(cache, "listening:tiktok")
    assert [t[1] for t in tiktok] == ["video soal jalan rusak"] and tiktok[0][3] is None  # platform from the link
    assert report.items_read == 4 and report.items_written == 4
    assert report.duplicates == 1  # the same post by x.com and by twitter.com?utm_...
    assert report.refused == 2  # the Facebook row's problem is filed under its platform's account
    assert items(cache, "listening:facebook") == []
    assert report.bad_rows == [
        "brand.csv:4: time 'kemarin' is not a date this import reads",
        "brand.csv:5: followers 'banyak' is not a number; kept without a follower count",
        "brand.csv:7: no text and no link",
    ]
    problems = [r[0] for r in cache.conn.execute("SELECT reason FROM sync_problems ORDER BY id")]
    assert "brand.csv:7: no text and no link" in problems and len(problems) == 3
    again = import_listening(cache, [path])
    assert again.items_read == 4 and again.items_written == 0  # importing again changes nothing


def test_comma_file_without_bom_and_quoted_newlines(cache: Cache, tmp_path: Path) -> None:
    text = (
        "Published,Author,Handle,Followers,Content,URL,Platform\n"
        '2026-11-20T07:00:00Z,Warga,@warga,"1,234","baris satu\nbaris dua",https://youtu.be/abc,YouTube\n'
        "2026-11-20T08:00:00+07:00,Warga,@warga,10,tanpa platform,,\n"
        "not a date,Warga,@warga,10,rusak,,X\n"
    )
    report = import_listening(cache, [write(tmp_path / "yt.csv", text)])
    youtube = items(cache, "listening:youtube")
    assert youtube[0][1] == "baris satu\nbaris dua" and youtube[0][3] == 1234
    other = items(cache, "listening:other")
    assert other[0][4] == int(datetime(2026, 11, 20, 1, 0, tzinfo=UTC).timestamp() * 1000)
    assert get_account(cache, "listening:other").channel is Channel.LISTENING
    assert report.bad_rows == ["yt.csv:5: time 'not a date' is not a date this import reads"]  # line of the row


def test_jsonl_nested_fields_and_hash_identity(cache: Cache, tmp_path: Path) -> None:
    rows = [
        {"author": {"name": "Rina", "username": "rina", "followers_count": 50}, "content": "Halo Pemkot",
         "created_at": 1763622000000, "network": "instagram"},
        {"author": {"name": "Rina", "username": "rina", "followers_count": 51}, "content": "Halo  Pemkot",
         "created_at": 1763622000000, "network": "instagram"},
        {"author": {"name": "Rina"}, "content": "lagi", "created_at": "2026-11-20 10:00", "network": "Instagram"},
    ]  # fmt: skip
    lines = [json.dumps(r) for r in rows] + ["{broken", "[1, 2]"]
    path = write(tmp_path / "export.jsonl", "\n".join(lines) + "\n")
    mapping = parse_mapping(["author.name=author", "author.username=handle", "author.followers_count=followers"])
    report = import_listening(cache, [path], mapping=mapping)
    got = items(cache, "listening:instagram")
    assert [g[1] for g in got] == ["Halo Pemkot", "lagi"] and got[0][0].startswith("sha256:")
    assert got[0][2:4] == ("rina", 50)
    assert report.duplicates == 1  # same handle, time and text (spacing aside)
    assert [b.split(":", 2)[1] for b in report.bad_rows] == ["4", "5"]
    assert "not JSON" in report.bad_rows[0] and "not a JSON object" in report.bad_rows[1]


def test_map_overrides_and_refuses_what_it_cannot_use(cache: Cache, tmp_path: Path) -> None:
    text = "Waktu|Akun|Isi|Tautan|Media\n20-11-2026 09:00|@a|keluhan|https://x.com/a/status/9|x\n"
    path = write(tmp_path / "id.csv", text)
    report = import_listening(cache, [path])
    assert "no column for the time nor the text or the link" in report.failed[str(path)]
    assert "Waktu, Akun, Isi, Tautan, Media" in report.failed[str(path)] and not report.accounts
    mapping = parse_mapping(["waktu=time", "AKUN=handle", "Isi=text", "tautan=url", "Media=platform"])
    report = import_listening(cache, [path], mapping=mapping)
    assert items(cache, "listening:x")[0][1:3] == ("keluhan", "a")
    with pytest.raises(ListeningImportError, match="unknown field 'likes'"):
        parse_mapping(["Suka=likes"])
    with pytest.raises(ListeningImportError, match="expected COLUMN=FIELD"):
        parse_mapping(["Suka"])
    bad = import_listening(cache, [path], mapping=parse_mapping(["Tanggal=time"]))
    assert "--map names column 'tanggal', which the file does not have" in bad.failed[str(path)]


def test_unreadable_files_are_named_and_others_go_on(cache: Cache, tmp_path: Path) -> None:
    latin = write(tmp_path / "latin.csv", "Date,Content,Source\n2026-11-20,caf\u00e9,x\n", encoding="latin-1")
    good = write(tmp_path / "good.csv", "Date,Content,Source\n2026-11-20,ok,x\n")
    empty = write(tmp_path / "empty.csv", "")
    report = import_listening(cache, [latin, tmp_path / "missing.csv", empty, good])
    assert "not UTF-8" in report.failed[str(latin)] and "export the file as UTF-8" in report.failed[str(latin)]
    assert "no such file" in report.failed[str(tmp_path / "missing.csv")]
    assert "empty" in report.failed[str(empty)]
    assert report.items_read == 1


def test_utf16_export_with_tabs(cache: Cache, tmp_path: Path) -> None:
    text = "Date\tAuthor\tContent\tLink\n2026-11-20 09:00\tA\tmacet 🚗\thttps://facebook.com/p/1\n"
    (tmp_path / "u16.csv").write_bytes(text.encode("utf-16"))
    import_listening(cache, [tmp_path / "u16.csv"])
    assert items(cache, "listening:facebook")[0][1] == "macet 🚗"


def test_resumes_after_an_interruption(cache: Cache, tmp_path: Path) -> None:
    lines = ["Date,Content,Source"] + [f"2026-11-20 09:{n:02d},keluhan {n},x" for n in range(7)]
    path = write(tmp_path / "many.csv", "\n".join(lines) + "\n")
    pages = 0

    def crash(_account: object, _report: object) -> None:
        nonlocal pages
        pages += 1
        if pages == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_listening(cache, [path], page_size=3, on_page=crash)
    account = get_account(cache, "listening:x")
    assert len(items(cache, "listening:x")) == 6
    assert get_cursor(cache, account.id, listening.stream_for(path)) == "6"
    report = import_listening(cache, [path], page_size=3)
    assert report.items_read == 1 and len(items(cache, "listening:x")) == 7
    assert get_cursor(cache, account.id, listening.stream_for(path)) is None  # finished: forgotten


def test_replies_to_imported_items_are_refused(cache: Cache, tmp_path: Path) -> None:
    import_listening(cache, [write(tmp_path / "a.csv", BRAND_STYLE)])
    for key in ("listening:x", "listening:tiktok"):
        account = get_account(cache, key)
        assert account.owner_kind is OwnerKind.INSTITUTION
        item_id = cache.conn.execute("SELECT id FROM items WHERE account_id = ?", (account.id,)).fetchone()[0]
        with pytest.raises(outbox.OutboxRefused, match=r"imported|listening tool"):
            outbox.enqueue(cache, account_id=account.id, body="Terima kasih", in_reply_to_item_id=item_id)
    assert cache.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


# ---------------------------------------------------------------------------------- values


def test_times() -> None:
    assert parse_time("2026-11-20T07:00:00Z") == datetime(2026, 11, 20, 7, tzinfo=UTC)
    assert parse_time("03/04/2026 10:00") == datetime(2026, 4, 3, 10, tzinfo=UTC)  # day first by default
    assert parse_time("03/04/2026 10:00", dayfirst=False) == datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert parse_time("Nov 20, 2026 at 2:03 PM") == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    assert parse_time("1763622000") == datetime.fromtimestamp(1763622000, UTC)
    assert parse_time("1763622000000") == datetime.fromtimestamp(1763622000, UTC)
    wib = timezone(timedelta(hours=7))
    assert parse_time("2026-11-20 14:00", timezone=wib) == datetime(2026, 11, 20, 7, tzinfo=UTC)
    for bad in ("", "kemarin", "14:03", "31/31/2026"):
        with pytest.raises(ValueError):
            parse_time(bad)
    assert listening.day_first(["11/20/2026", "03/04/2026"]) is False  # one can only be month first
    assert listening.day_first(["20/11/2026", "03/04/2026"]) is True
    assert listening.day_first(["2026-11-20"]) is True


def test_month_first_file(cache: Cache, tmp_path: Path) -> None:
    text = "Date,Content,Source\n11/20/2026 9:00 AM,a,x\n03/04/2026 9:00 AM,b,x\n"
    import_listening(cache, [write(tmp_path / "us.csv", text)])
    got = {row[1]: datetime.fromtimestamp(row[4] / 1000, UTC) for row in items(cache, "listening:x")}
    assert got["b"] == datetime(2026, 3, 4, 9, tzinfo=UTC)


def test_followers_platforms_and_links() -> None:
    assert followers_count("12,345") == 12345 and followers_count("12.345") == 12345
    assert followers_count("1.2K") == 1200 and followers_count("3 jt") == 3_000_000 and followers_count("") is None
    assert followers_count("987") == 987
    with pytest.raises(ValueError, match="not a number"):
        followers_count("1.2X")
    assert platform_name("X (Twitter)") == "x" and platform_name("IG") == "instagram"
    assert platform_name("TikTok") == "tiktok" and platform_name("Online News") == "online-news"
    assert platform_name("", "https://m.facebook.com/story.php?id=1") == "facebook"
    assert platform_name("", "https://www.youtube.com/watch?v=1") == "youtube"
    assert platform_name("", "https://example.com/x") == "other" and platform_name("", "") == "other"
    assert canonical_url("https://www.Twitter.com/a/status/1/?utm_medium=x&s=20#top") == "https://x.com/a/status/1?s=20"
    assert canonical_url("instagram.com/p/abc/") == "https://instagram.com/p/abc"


# ---------------------------------------------------------------------------------- command line


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Iterator[object]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)

    def _run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = cli.main([str(a) for a in argv])
        finally:
            root.handlers[:] = saved[0]
            root.setLevel(saved[1])
        out, err = capsys.readouterr()
        return code, out, err

    yield _run


def test_command_line(run: object, tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    path = write(tmp_path / "brand.csv", BRAND_STYLE, bom=True)
    code, out, err = run("--cache", db, "import", "--channel", "listening", "--json", path)  # type: ignore[operator]
    assert code == 0, err
    summary = json.loads(out)
    assert summary["read"] == 4 and summary["duplicates"] == 1 and summary["bad_rows"] == 2
    assert "brand.csv:4: time 'kemarin'" in err
    ids = write(tmp_path / "id.csv", "Waktu;Isi;Media\n2026-11-20 09:00;keluhan;x\n")
    code, out, err = run("--cache", db, "import", "--channel", "LISTENING", ids)  # type: ignore[operator]
    assert code == 1 and "no column for the time" in err and "--map" in err
    code, out, err = run(  # type: ignore[operator]
        "--cache", db, "import", "--channel", "listening", "--map", "Waktu=time", "--map", "isi=text", ids
    )
    assert code == 0 and "Imported 1 item(s) into listening:x" in out
    code, out, err = run("--cache", db, "import", "--channel", "listening", "--map", "Waktu", ids)  # type: ignore[operator]
    assert code == 2 and "expected COLUMN=FIELD" in err
    code, out, err = run("--cache", db, "import", "--channel", "zendesk", "--map", "a=text", ids)  # type: ignore[operator]
    assert code == 2 and "--map applies to --channel listening only" in err
