"""Email parsing (omniinbox.connectors.mail) against the real mail corpus and the bundled sample.

The corpus is read in place from ``../shared/corpus/email`` (never copied into the project);
the corpus tests skip, with the reason shown, only when that folder is absent.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from omniinbox import core
from omniinbox.connectors import mail

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
EMAIL = CORPUS / "email"
HUNNY = EMAIL / "hunnysoft_via_mail-mime-parser"
PERCEVAL = EMAIL / "perceval_mbox"
SAMPLE = Path(__file__).resolve().parents[1] / "omniinbox" / "resources" / "samples" / "inbox.mbox"
AGENCY = "kontak@layanan.example.id"

needs_corpus = pytest.mark.skipif(not EMAIL.is_dir(), reason=f"mail corpus not found at {EMAIL}")

FFFD = "\ufffd"


def _corpus_files() -> list[Path]:
    if not EMAIL.is_dir():
        return []
    hunny = sorted(p for p in HUNNY.glob("*.txt"))
    perceval = [*sorted(PERCEVAL.glob("*.mbox")), PERCEVAL / "email_multipart_encoding.txt"]
    return hunny + perceval


def _corpus_params() -> list[object]:
    files = _corpus_files()
    if not files:
        skip = pytest.mark.skip(reason=f"mail corpus not found at {EMAIL}")
        return [pytest.param(None, id="corpus-missing", marks=skip)]
    return [pytest.param(p, id=p.name) for p in files]


def _one(path: Path) -> core.Item:
    entries = list(mail.iter_mail_source(path))
    assert len(entries) == 1, path
    return mail.parse_entry(entries[0])


def _mbox(name: str) -> list[core.Item]:
    return [mail.parse_entry(e) for e in mail.iter_mail_source(PERCEVAL / name)]


# --------------------------------------------------------------------------- every corpus file


@pytest.mark.parametrize("path", _corpus_params())
def test_every_corpus_message_parses(path: Path) -> None:
    entries = list(mail.iter_mail_source(path))
    assert entries, f"no message read from {path}"
    for entry in entries:
        item = mail.parse_entry(entry)
        assert item.kind is core.ItemKind.EMAIL
        assert item.visibility is core.Visibility.PRIVATE
        assert item.external_id and item.conversation_id
        assert item.created_at.tzinfo is not None and item.created_at.utcoffset() == timedelta(0)
        assert item.text.strip(), f"{entry.locator}: neither text nor attachment markers"
        assert item.text == item.text.rstrip() and "\r" not in item.text
        assert FFFD not in item.subject, entry.locator
        assert item.author is not None and "@" in item.author.email, entry.locator
        assert item.author.external_id == item.author.email.lower()
        assert FFFD not in item.author.name, entry.locator
        assert item.raw is not None and item.raw["size"] == len(entry.raw)
        assert set(item.raw) >= {"headers", "attachments", "size"}
        assert all(isinstance(v, str) and FFFD not in v for v in item.raw["headers"].values()), entry.locator


@needs_corpus
def test_corpus_file_list_is_complete() -> None:
    names = {p.name for p in _corpus_files()}
    assert "README.md" not in names
    assert {"m0001.txt", "m4007.txt", "invalid-charset.txt", "pipermail_2015_november.mbox"} <= names
    assert len(names) == 18 + 7 + 1  # 18 hunnysoft messages, 7 mbox files, 1 single message


# --------------------------------------------------------------------------- headers and charsets


@needs_corpus
def test_m0001_raw_8bit_headers_fall_back_to_the_part_charset() -> None:
    item = _one(HUNNY / "m0001.txt")
    assert "Fr" in item.subject and "sche" in item.subject
    assert item.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"  # folded, 8-bit, iso-8859-1
    assert item.raw is not None
    assert item.raw["headers"]["to"] == "Jürgen Schmürgen <schmuergen@example.com>"
    assert "Die Hasen klagten einst über ihre mißliche Lage" in item.text
    assert item.external_id == "NDBBIAKOPKHFGPLCODIGIEKBCHAA.doug@example.com"
    assert item.author == core.Author(
        external_id="doug@example.com", name="Doug Sauder", handle="doug@example.com", email="doug@example.com"
    )
    assert item.created_at == datetime(2000, 5, 17, 23, 8, 29, tzinfo=UTC)


@needs_corpus
def test_m0004_and_m0010_encoded_word_headers() -> None:
    m0004 = _one(HUNNY / "m0004.txt")
    assert m0004.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"  # ?Q? iso-8859-1
    assert m0004.raw is not None and m0004.raw["headers"]["to"] == "Jürgen Schmürgen <schmuergen@example.com>"  # ?B?
    m0010 = _one(HUNNY / "m0010.txt")
    assert m0010.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"  # Windows-1252
    assert m0010.raw is not None and m0010.raw["headers"]["to"] == "Heinz Müller <mueller@example.com>"
    # m0010 repeats From: further down its header; the first one is the sender
    assert m0010.author is not None and m0010.author.email == "doug@example.com"
    assert "Should be Ignored" not in m0010.raw["headers"]["from"]
    assert "Ersäufen" in m0010.text


@needs_corpus
def test_m0006_utf7_headers_and_body() -> None:
    item = _one(HUNNY / "m0006.txt")
    assert item.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"
    assert item.raw is not None
    assert item.raw["headers"]["to"] == "Joe Blow <jblow@example.com>, Jürgen Schmürgen <schmuergen@example.com>"
    assert item.text.startswith("Die Hasen und die Frösche")
    assert 'mißliche Lage; "wir leben"' in item.text
    assert "+AP" not in item.text


@needs_corpus
def test_invalid_charset_gives_text() -> None:
    item = _one(HUNNY / "invalid-charset.txt")
    assert item.text.startswith("The Hare and the Tortoise")
    assert item.text.endswith("Slow but steady wins the race.")
    assert FFFD not in item.text


@needs_corpus
def test_raw_8bit_inside_encoded_words_and_attachment_names() -> None:
    m2011 = _one(HUNNY / "m2011.txt")  # raw 8-bit bytes inside =?iso-8859-1?Q?...?= and in a filename
    assert m2011.subject == "Die Hasen und die Frösche"
    assert m2011.raw is not None and m2011.raw["headers"]["to"] == "Jürgen Schmürgen <jschmuergen@example.com>"
    assert m2011.raw["attachments"] == ["blueball.png", "HasenundFrösche.txt"]
    assert "[attachment: HasenundFrösche.txt]" in m2011.text
    m3004 = _one(HUNNY / "m3004.txt")  # RFC 2231 name*=iso-8859-1''HasenundFr%F6sche.txt
    assert m3004.raw is not None and m3004.raw["attachments"] == ["HasenundFrösche.txt"]
    assert m3004.text == "[attachment: HasenundFrösche.txt]"


# --------------------------------------------------------------------------- MIME structures


@needs_corpus
def test_alternative_prefers_plain_text() -> None:
    item = _one(HUNNY / "m0014.txt")
    assert item.text.startswith("The Hare and the Tortoise")
    assert "<" not in item.text and "&nbsp;" not in item.text


@needs_corpus
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("m0017.txt", "Slow but steady wins the race."),  # mixed > related > alternative
        ("m1005.txt", "Die Hasen klagten einst über ihre mißliche Lage"),  # alternative > related (html)
        ("m2004.txt", "Die Hasen klagten einst über ihre mißliche Lage"),  # related > alternative
    ],
)
def test_text_found_inside_multipart_related(name: str, expected: str) -> None:
    item = _one(HUNNY / name)
    assert expected in item.text
    assert item.raw is not None
    assert "[attachment: blueball.png]" not in item.text  # an inline cid: image, not an attachment


@needs_corpus
def test_related_attachments_and_inline_images() -> None:
    item = _one(HUNNY / "m0017.txt")
    assert item.raw is not None
    assert item.raw["attachments"] == ["greenball.png", "redball.png"]
    assert item.raw["inline"] == ["blueball.png"]
    assert item.text.endswith("[attachment: greenball.png]\n[attachment: redball.png]")


@needs_corpus
def test_tnef_is_an_attachment_marker() -> None:
    item = _one(HUNNY / "m4006.txt")
    assert item.text == "[attachment: winmail.dat]"
    assert item.raw is not None and item.raw["attachments"] == ["winmail.dat"]
    assert item.subject == "Read: invitation"


@needs_corpus
def test_rfc822_wrapping_a_digest_gives_the_enclosed_texts() -> None:
    item = _one(HUNNY / "m4007.txt")
    assert "Subject: submsg" in item.text
    assert "Subject: m1\n\nm1 body" in item.text
    assert "Subject: m2\n\nm2 body" in item.text
    assert "prologue" not in item.text and "epilogue" not in item.text


@needs_corpus
def test_signed_and_8bit_container() -> None:
    signed = _one(HUNNY / "m4001.txt")
    assert signed.text.startswith("Die Hasen und die Frösche")
    assert "9825cba003a7ac85b9a3f3dc9f8423fd" not in signed.text and "attachment" not in signed.text
    m4009 = _one(HUNNY / "m4009.txt")  # Content-Transfer-Encoding: 8bit on multipart/mixed
    assert m4009.text == "Test\n\n[attachment: test10Mb.db]"
    assert m4009.external_id == "12223"  # a Message-ID without angle brackets


@needs_corpus
def test_uuencoded_and_binhex_attachments_do_not_leak_into_the_text() -> None:
    m1014 = _one(HUNNY / "m1014.txt")
    assert m1014.raw is not None and m1014.raw["attachments"] == ["redball.png", "greenball.png", "blueball.png"]
    assert "begin 644" not in m1014.text
    m2011 = _one(HUNNY / "m2011.txt")
    assert "BinHex" not in m2011.text


# --------------------------------------------------------------------------- mbox files


@needs_corpus
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("mbox_iso8859_encoding.mbox", 1),
        ("mbox_unixfrom_encoding.mbox", 1),
        ("mbox_no_fields.mbox", 6),
        ("pipermail_2015_november.mbox", 4),
        ("mbox_complex.mbox", 2),
        ("mbox_multipart.mbox", 2),
        ("mbox_unknown_encoding.mbox", 1),
        ("email_multipart_encoding.txt", 1),
    ],
)
def test_mbox_split_counts(name: str, count: int) -> None:
    entries = list(mail.iter_mail_source(PERCEVAL / name))
    assert len(entries) == count
    assert [e.locator for e in entries] == [f"{name}#{i}" for i in range(1, count + 1)]
    assert all(not e.raw.startswith(b"From ") for e in entries)


@needs_corpus
def test_8bit_from_lines_and_headers() -> None:
    (iso,) = list(mail.iter_mail_source(PERCEVAL / "mbox_iso8859_encoding.mbox"))
    assert iso.envelope.startswith("lucíacharlie at wellsfargo.com")
    item = mail.parse_entry(iso)
    assert item.author is not None
    assert item.author.name == "Lucía Charlie"  # =?UTF-8?Q?Luc=eda?= really is Latin-1
    assert item.author.email == "lucíacharlie@wellsfargo.com"  # raw 8-bit, pipermail " at "
    assert item.subject == "[ovs-dev] Remittance Advice"
    (uni,) = list(mail.iter_mail_source(PERCEVAL / "mbox_unixfrom_encoding.mbox"))
    assert "“example.org”" in uni.envelope
    assert "“software getting tested”" in mail.parse_entry(uni).text


@needs_corpus
def test_missing_empty_and_invalid_dates_fall_back() -> None:
    entries = list(mail.iter_mail_source(PERCEVAL / "mbox_no_fields.mbox"))
    fallback = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=7)))
    items = [mail.parse_message(e.raw, default_time=fallback) for e in entries]
    dated = datetime(2010, 12, 1, 13, 26, 40, tzinfo=UTC)
    assert items[0].created_at == dated and items[1].created_at == dated
    assert items[2].created_at == fallback == datetime(2026, 3, 1, 5, 0, tzinfo=UTC)  # no Date header
    assert items[2].created_at.tzinfo is UTC
    assert items[4].created_at == fallback  # "Date:  " (empty)
    assert items[2].raw is not None and items[2].raw["date_source"] == "default"
    assert items[5].created_at == datetime(2016, 9, 21, 19, 42, 7, tzinfo=UTC)  # "RANDOM_Wed, 21 Sep ..."
    # without default_time: the mbox envelope date, then the epoch
    assert mail.parse_entry(entries[2]).created_at == datetime(2010, 12, 1, 8, 26, 40, tzinfo=UTC)
    assert mail.parse_message(entries[2].raw).created_at == mail.EPOCH


@needs_corpus
def test_empty_message_id_falls_back_to_a_stable_id() -> None:
    entries = list(mail.iter_mail_source(PERCEVAL / "mbox_no_fields.mbox"))
    first = mail.parse_message(entries[3].raw)  # "Message-Id:" with nothing after it
    assert first.external_id.startswith("sha256:") and len(first.external_id) == len("sha256:") + 32
    assert mail.parse_message(entries[3].raw).external_id == first.external_id
    assert first.conversation_id == first.external_id
    assert mail.parse_message(entries[3].raw, fallback_id="import-7").external_id == "import-7"
    assert mail.parse_message(entries[0].raw, fallback_id="import-7").external_id == "4CF64D10.9020206@domain.com"
    assert entries[0].raw != entries[1].raw  # Message-id vs Message-ID: same id, both kept
    assert items_ids(entries[:2]) == ["4CF64D10.9020206@domain.com"] * 2


def items_ids(entries: list[mail.MailEntry]) -> list[str]:
    return [mail.parse_entry(e).external_id for e in entries]


@needs_corpus
def test_pipermail_addresses_are_repaired() -> None:
    items = _mbox("pipermail_2015_november.mbox")
    authors = [(i.author.name, i.author.email) for i in items if i.author]
    assert authors == [
        ("Andy Grunwald", "andy@example.com"),
        ("Jesus M. Gonzalez-Barahona", "jgb@gsyc.es"),
        ("Andy Grunwald", "andy@example.com"),
        ("Andy Grunwald", "andy@example.com"),
    ]
    assert items[0].raw is not None and items[0].raw["headers"]["from"] == "Andy Grunwald <andy@example.com>"
    goran = _mbox("mbox_no_fields.mbox")[0]
    assert goran.author is not None and (goran.author.name, goran.author.email) == (
        "Göran Lastname",
        "goran@domain.com",
    )


@needs_corpus
def test_threading_ids_on_replies() -> None:
    root_ref = "CACRHdMaObu7Dc0FWTWEesvRCzUNDG=7oA7KFqAgtOs_UKjb3Og@example.com"
    first, second, third, fourth = _mbox("pipermail_2015_november.mbox")
    assert first.parent_id is None and first.conversation_id == first.external_id
    assert second.parent_id == root_ref and second.conversation_id == root_ref
    assert third.parent_id == "1447627429.3593.319.camel@example.com"
    assert third.conversation_id == root_ref
    assert fourth.parent_id == third.external_id
    assert third.raw is not None
    assert mail.references_chain(third.raw["headers"]) == (
        root_ref,
        "1447627429.3593.319.camel@example.com",
        "CACRHdMZaZtkM9h_=p_HH1Yz9pTJwh6nwU0PmeqQX=kemD8LCjw@example.com",
    )
    (dnt,) = _mbox("mbox_unixfrom_encoding.mbox")
    assert dnt.parent_id == "CAKP=3WwxhP=nNqT5kJ+6ohUU-pgvRu+PkW=7ASLpiQguf7CKxg@example.org"
    assert dnt.conversation_id == "4ADDAFD4-A226-4F68-B02D-EDA5DE355104@wikimedia.org"
    assert dnt.raw is not None
    chain = mail.references_chain(dnt.raw["headers"])
    assert len(chain) == 8 and chain[0] == dnt.conversation_id and chain[-1] == dnt.external_id


@needs_corpus
def test_double_encoded_display_name_is_repaired() -> None:
    (item,) = _mbox("mbox_unknown_encoding.mbox")  # GBK read as Latin-1, saved as UTF-8
    assert item.author is not None and item.author.name == "袁聪"
    assert item.text.startswith("Hi,\n   In my application")  # text/plain without charset


# --------------------------------------------------------------------------- bundled sample


def _sample() -> list[core.Item]:
    return [mail.parse_entry(e, own_addresses={AGENCY}) for e in mail.iter_mail_source(SAMPLE)]


def test_sample_mbox_counts_and_threads() -> None:
    items = _sample()
    assert len(items) == 30
    assert len({i.external_id for i in items}) == 30
    assert all(i.created_at.year == 2026 and i.created_at.month == 3 for i in items)
    assert [i.created_at for i in items] == sorted(i.created_at for i in items)
    directions = Counter(i.direction for i in items)
    assert directions == {core.Direction.INBOUND: 18, core.Direction.OUTBOUND: 12}
    threads = Counter(i.conversation_id for i in items)
    assert len(threads) == 16
    (complaint_root, size), *_ = threads.most_common(1)
    assert size == 6
    complaint = [i for i in items if i.conversation_id == complaint_root]
    assert complaint[0].external_id == complaint_root and complaint[0].parent_id is None
    for parent, child in itertools.pairwise(complaint):
        assert child.parent_id == parent.external_id
    assert {i.author.name for i in complaint if i.author} == {"Budi", "Layanan Kontak Disdukcapil"}
    assert complaint[-1].raw is not None
    assert mail.references_chain(complaint[-1].raw["headers"]) == tuple(i.external_id for i in complaint)
    assert all(i.author is not None for i in items)
    assert not any(FFFD in i.text or FFFD in i.subject for i in items)


def test_sample_mbox_encodings() -> None:
    items = {i.subject: i for i in _sample()}
    iso = items["Question about SKTT for a foreign résident"]  # iso-8859-1, 8bit, encoded-word subject
    assert "small café" in iso.text and "naïve question" in iso.text and "No. 5 ½" in iso.text
    agus = items["Tidak bisa login ke portal 🙏"]  # base64 UTF-8 body, base64 encoded-word subject
    assert agus.text.startswith("Selamat pagi 🙏")
    qp = items["Re: Re: e-KTP belum jadi sudah 3 bulan"]
    assert 'masih "menunggu cetak". Padahal tetangga' in qp.text and "=\n" not in qp.text
    announcement = items["Pemulihan layanan portal online"]  # multipart/alternative: plain wins
    assert announcement.text.startswith("PENGUMUMAN\n\nPortal layanan online")
    assert "<" not in announcement.text
    assert announcement.raw is not None
    assert announcement.raw["headers"]["to"] == "undisclosed-recipients:;"  # no address in it
    spam = items["JASA CEPAT e-KTP & KK 1 HARI JADI - DIJAMIN!!!"]  # html only, base64
    assert spam.text.startswith("JASA CEPAT e-KTP & KK 1 HARI JADI!!!\n\nTanpa antre")
    assert "Rp 350.000" in spam.text and "- Kartu Keluarga baru" in spam.text
    assert "tracking" not in spam.text and "font-family" not in spam.text
    photo = items["Penggantian e-KTP rusak"]
    assert photo.text.endswith("Hendra\n\n[attachment: foto_ektp_rusak.jpg]")
    hoax = items["Benarkah e-KTP lama tidak berlaku mulai April 2026?"]
    assert "\nFrom tomorrow the registration website" in hoax.text  # ">From" unescaped


# --------------------------------------------------------------------------- mail sources


def _msg(n: int, extra: str = "") -> bytes:
    return (
        f"From: Sari <sari@warga.example.id>\nSubject: pesan {n}\nMessage-ID: <m{n}@warga.example.id>\n"
        f"Date: Mon, 09 Mar 2026 08:0{n}:00 +0700\n\nIsi pesan {n}.\n{extra}"
    ).encode()


def test_maildir_source(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new"):
        (root / sub).mkdir(parents=True)
    (root / "cur" / "1700000001.M1P1.host:2,S").write_bytes(_msg(1))
    (root / "cur" / "1700000002.M2P1.host:2,").write_bytes(_msg(2))
    (root / "new" / "1700000003.M3P1.host").write_bytes(_msg(3))
    (root / "tmp" / "1700000004.M4P1.host").write_bytes(_msg(4))  # still being delivered
    (root / "cur" / ".hidden").write_bytes(b"not mail")
    (root / ".Sent" / "cur" / "1700000005.M5P1.host:2,S").write_bytes(_msg(5))
    entries = list(mail.iter_mail_source(root))
    assert [e.locator for e in entries] == [
        "Maildir/cur/1700000001.M1P1.host:2,S",
        "Maildir/cur/1700000002.M2P1.host:2,",
        "Maildir/new/1700000003.M3P1.host",
        "Maildir/.Sent/cur/1700000005.M5P1.host:2,S",
    ]
    items = [mail.parse_entry(e) for e in entries]
    assert [i.subject for i in items] == ["pesan 1", "pesan 2", "pesan 3", "pesan 5"]
    assert items[0].created_at == datetime(2026, 3, 9, 1, 1, tzinfo=UTC)


def test_single_message_file(tmp_path: Path) -> None:
    path = tmp_path / "pesan.eml"
    path.write_bytes(_msg(1).replace(b"\n", b"\r\n"))
    (entry,) = list(mail.iter_mail_source(path))
    assert entry.locator == str(path) and entry.envelope == ""
    item = mail.parse_entry(entry)
    assert item.text == "Isi pesan 1." and item.external_id == "m1@warga.example.id"


def test_missing_path_and_non_maildir_directory(tmp_path: Path) -> None:
    missing = tmp_path / "tidak-ada.mbox"
    with pytest.raises(FileNotFoundError, match=r"tidak-ada\.mbox"):
        mail.iter_mail_source(missing)  # checked at call time, not on first next()
    plain_dir = tmp_path / "bukan-maildir"
    plain_dir.mkdir()
    with pytest.raises(mail.MailParseError, match=r"bukan-maildir.*not a Maildir"):
        mail.iter_mail_source(plain_dir)


def test_mbox_splitting_rules(tmp_path: Path) -> None:
    body_with_from = _msg(1, "\nFrom here on, a body line after a blank line.\n>From quoted\n>>From twice\n")
    data = (
        b"From sari@warga.example.id Mon Mar  9 01:01:00 2026\n" + body_with_from + b"\n"
        b"From sari@warga.example.id Mon Mar  9 01:02:00 2026\n"
        + _msg(2, "not a separator:\nFrom x Mon Mar  9 01:02:00 2026\n")
        + b"\n"
    )
    path = tmp_path / "kotak.mbox"
    path.write_bytes(data)
    entries = list(mail.iter_mail_source(path))
    assert len(entries) == 2
    first = mail.parse_entry(entries[0])
    assert "From here on, a body line" in first.text
    assert "\nFrom quoted\n>From twice" in first.text
    assert entries[0].raw.endswith(b">From twice\n")  # the separating blank line is not part of it
    assert "From x Mon Mar" in mail.parse_entry(entries[1]).text
    assert mail.envelope_time(entries[1].envelope) == datetime(2026, 3, 9, 1, 2, tzinfo=UTC)


def test_crlf_mbox(tmp_path: Path) -> None:
    path = tmp_path / "crlf.mbox"
    path.write_bytes(
        b"\r\nFrom a@example.com Mon Mar  9 01:01:00 2026\r\n" + _msg(1).replace(b"\n", b"\r\n") + b"\r\n"
        b"From a@example.com Mon Mar  9 01:02:00 2026\r\n" + _msg(2).replace(b"\n", b"\r\n")
    )
    items = [mail.parse_entry(e) for e in mail.iter_mail_source(path)]
    assert [i.text for i in items] == ["Isi pesan 1.", "Isi pesan 2."]


# --------------------------------------------------------------------------- synthetic edge cases


def test_html_to_text() -> None:
    html = (
        "<html><head><title>t</title><style>p {color: red}</style><script>alert(1)</script></head>"
        "<body><h1>Judul</h1><p>Baris&nbsp;satu<br>baris   dua &amp; &lt;tiga&gt; &#128591;</p>"
        "<div>Kotak</div><ul><li>satu</li><li>dua</li></ul><pre>  kode\n  tetap</pre></body></html>"
    )
    assert mail.html_to_text(html) == (
        "Judul\n\nBaris satu\nbaris dua & <tiga> 🙏\n\nKotak\n\n- satu\n- dua\n\nkode\ntetap"
    )


def test_html_only_alternative_and_missing_boundary() -> None:
    html_only = (
        b'From: a@example.com\nMessage-ID: <h@example.com>\nContent-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html; charset=utf-8\n\n"
        b"<p>Halo <b>warga</b></p><p>Paragraf kedua</p>\n--b--\n"
    )
    assert mail.parse_message(html_only).text == "Halo warga\n\nParagraf kedua"
    no_boundary = (
        b"From: a@example.com\nContent-Type: multipart/mixed\n\n"
        b"--xyz\nContent-Type: text/plain; charset=utf-8\n\nIsi yang tersesat.\n"
        b"--xyz\nContent-Type: image/png; name=foto.png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--xyz--\n"
    )
    item = mail.parse_message(no_boundary)
    assert item.text == "Isi yang tersesat.\n\n[attachment: foto.png]"
    no_parts = b"From: a@example.com\nContent-Type: multipart/mixed\n\nHanya teks biasa.\n"
    assert mail.parse_message(no_parts).text == "Hanya teks biasa."


def test_unknown_charset_uses_detection_and_8bit_headers_never_give_fffd() -> None:
    raw = (
        b"From: =?x-unknown?Q?Sari?= <sari@example.id>\nSubject: Caf\xe9 \xbd harga\n"
        b"Content-Type: text/plain; charset=invalid-charset\nContent-Transfer-Encoding: 8bit\n\n"
        b"Caf\xc3\xa9 dan teh manis.\n"
    )
    item = mail.parse_message(raw)
    assert item.subject == "Café ½ harga"
    assert item.text == "Café dan teh manis."
    assert item.author is not None and item.author.name == "Sari"


def test_mojibake_utf8_display_name_is_repaired() -> None:
    raw = 'From: "JosÃ©" <jose@example.org>\n\nhalo\n'.encode()
    item = mail.parse_message(raw)
    assert item.author is not None and item.author.name == "José"
    plain = 'From: "Göran" <g@example.org>\n\nhalo\n'.encode()
    assert mail.parse_message(plain).author == core.Author(
        external_id="g@example.org", name="Göran", handle="g@example.org", email="g@example.org"
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: Mon, 09 Mar 2026 08:12:00 +0700\n", datetime(2026, 3, 9, 1, 12, tzinfo=UTC)),
        ("Date: Mon, 09 Mar 2026 08:12:00 WIB\n", datetime(2026, 3, 9, 1, 12, tzinfo=UTC)),
        ("Date: Mon, 09 Mar 2026 08:12:00 -0000\n", datetime(2026, 3, 9, 8, 12, tzinfo=UTC)),
        ("Date: 2026-03-09T08:12:00+07:00\n", datetime(2026, 3, 9, 1, 12, tzinfo=UTC)),  # dateutil fallback
        (
            "Date: kemarin sore\nReceived: from mx.example.id by mx2.example.id; Tue, 10 Mar 2026 09:00:00 +0700\n",
            datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
        ),  # no usable Date: the newest Received
        ("Date: Mon, 09 Mar 1901 08:12:00 +0700\n", mail.EPOCH),  # implausible
    ],
)
def test_date_variants(header: str, expected: datetime) -> None:
    raw = f"From: a@example.com\n{header}\nbody\n".encode()
    assert mail.parse_message(raw).created_at == expected


def test_naive_default_time_is_taken_as_utc() -> None:
    item = mail.parse_message(b"From: a@example.com\n\nbody\n", default_time=datetime(2026, 3, 9, 8, 0))
    assert item.created_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def test_bad_input_raises_mail_parse_error() -> None:
    with pytest.raises(mail.MailParseError, match="empty"):
        mail.parse_message(b"  \r\n")
    with pytest.raises(mail.MailParseError, match="bytes"):
        mail.parse_message("From: a@example.com\n\nx")  # type: ignore[arg-type]
    with pytest.raises(mail.MailParseError, match="no RFC 5322 header"):
        mail.parse_message(b"just some text without any header line\nsecond line\n")
    assert issubclass(mail.MailParseError, ValueError)


def test_direction_and_uppercase_author_address() -> None:
    raw = b"From: Petugas <Kontak@Layanan.Example.ID>\nTo: budi@warga.example.id\n\nBalasan.\n"
    item = mail.parse_message(raw, own_addresses={AGENCY})
    assert item.direction is core.Direction.OUTBOUND
    assert item.author is not None
    assert item.author.external_id == "kontak@layanan.example.id" and item.author.email == "Kontak@Layanan.Example.ID"
    assert mail.parse_message(raw).direction is core.Direction.INBOUND


def test_message_id_helpers() -> None:
    assert mail.parse_message_ids("<a@x> (comment)\n <b@y>") == ["a@x", "b@y"]
    assert mail.parse_message_ids("c@z") == ["c@z"]
    assert mail.parse_message_ids("") == []
    assert mail.format_message_ids(["a@x", "b@y"]) == "<a@x> <b@y>"
    headers = {"message-id": "<p@x>", "in-reply-to": "<q@x>"}
    assert mail.references_chain(headers) == ("q@x", "p@x")
    long = {"message-id": "<own@x>", "references": " ".join(f"<r{i}@x>" for i in range(30))}
    chain = mail.references_chain(long, limit=5)
    assert chain == ("r0@x", "r27@x", "r28@x", "r29@x", "own@x")
