"""Promote/Protect suggestions from the lexicon in Bahasa Indonesia and English (slang, hoax
variants, negations), spam, the item's context, and how often each team agreed."""

from __future__ import annotations

import pytest
from test_triage_support import Feed, item, item_id, ms

from omniinbox import triage
from omniinbox.core import Role, TagValue, Team
from omniinbox.store import actions
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.triage import radar
from omniinbox.triage.suggest import Suggestion, in_context, is_spam, suggest
from omniinbox.triage.text import analyze


def _suggest(text: str) -> Suggestion:
    return suggest(analyze(text).words, text)


@pytest.mark.parametrize(
    "text",
    [
        "Makasih bgt min, pelayanannya cepet dan ramah 👍",
        "Mantappp, petugas Dukcapil sigap bgt",
        "Terima kasih, proses cetak KTP anak saya selesai di tempat. Luar biasa.",
        "Great initiative, thank you for serving the elderly",
        "Alhamdulillah KTP nenek sudah jadi, salut sama petugasnya",
    ],
)
def test_thanks_and_praise_are_suggested_promote(text: str) -> None:
    s = _suggest(text)
    assert s.value == "promote", s.reason
    assert s.reason.startswith("Promote: ")


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("aplikasi SukaLayan eror terus, gak bisa diakses dr pagi", "outage"),
        ("server sibuk mulu, parahhh", "outage"),
        ("The queue app is down since morning, not working at all", "outage"),
        ("Lampu jalan mati udh seminggu, kecewa bgt", "complaint"),
        ("Sudah 3 kali lapor tidak ada respon, pelayanan lambat", "complaint"),
    ],
)
def test_complaints_and_outages_are_suggested_protect(text: str, signal: str) -> None:
    s = _suggest(text)
    assert s.value == "protect", s.reason
    assert signal in s.reason


@pytest.mark.parametrize(
    "text",
    [
        "VIRALKAN!! Katanya server SukaLayan diretas dan data KTP warga bocor. Sebarkan!!",
        "Dengar-dengar vaksinnya kedaluwarsa, info dari grup sebelah",
        "Ini hoaks atau bukan? beredar kabar bansos dihentikan",
        "Is it true that our ID data leaked? share sebelum dihapus",
        "katanyaaa jembatan mau ditutup, sebarkan",
        "Berita bohong soal PDAM lagi beredar",
    ],
)
def test_hoax_variants_are_suggested_protect_with_the_marker(text: str) -> None:
    s = _suggest(text)
    assert s.value == "protect", s.reason
    assert "hoax marker" in s.reason


def test_negated_praise_counts_as_a_complaint() -> None:
    s = _suggest("Petugasnya gak ramah dan kurang sigap")
    assert s.value == "protect"
    assert "negated praise 'tidak ramah'" in s.reason and "'kurang sigap'" in s.reason


def test_a_formal_thanks_at_the_end_of_a_complaint_does_not_make_it_praise() -> None:
    s = _suggest("Sejak pagi aplikasi tidak dapat diakses. Mohon penjelasan. Terima kasih.")
    assert s.value == "protect"
    assert s.reason == "Protect: outage 'tidak dapat diakses' (despite thanks 'terima kasih')"


def test_no_words_no_suggestion() -> None:
    s = _suggest("Jam buka kantor kecamatan hari Sabtu?")
    assert s.value is None and s.reason == "no Promote or Protect words"


def test_spam_is_recognised() -> None:
    text = "Butuh dana cepat cair tanpa BI checking? klik link di bio!!!"
    assert {"dana cepat", "bi checking", "link di bio"} <= set(is_spam(analyze(text).words, text))
    assert is_spam(analyze("Dana desa sudah cair?").words, "Dana desa sudah cair?") == []


def test_context_gives_a_lean_to_an_item_without_words_and_says_so() -> None:
    bare = _suggest("Kapan normal min? Ini sudah siang")
    leaned = in_context(bare, issue_id=7, issue_level=3, issue_protect=40, issue_promote=2, by_kol=False,
                        outbound=False)  # fmt: skip
    assert leaned.value == "protect" and "part of issue #7, which is mostly Protect" in leaned.reason
    balanced = in_context(bare, issue_id=7, issue_level=3, issue_protect=3, issue_promote=2, by_kol=False,
                          outbound=False)  # fmt: skip
    assert balanced.value is None
    kol = in_context(_suggest("SukaLayan down"), issue_id=7, issue_level=2, issue_protect=1, issue_promote=0,
                     by_kol=True, outbound=False)  # fmt: skip
    assert kol.reason.endswith("in a level 2 issue; by a key opinion leader")
    assert in_context(_suggest("terima kasih"), issue_id=None, issue_level=0, issue_protect=0, issue_promote=0,
                      by_kol=False, outbound=True).value is None  # fmt: skip


def test_suggestions_are_stored_and_each_teams_agreement_is_recorded(cache: Cache) -> None:
    feed = Feed(cache)
    feed.write([
        ("x:pemkot", item("p1", "Terima kasih petugas, ramah sekali", 1)),
        ("x:pemkot", item("p2", "Mantap pelayanannya cepat", 2)),
        ("x:pemkot", item("k1", "Aplikasi error terus dari pagi", 3)),
        ("x:pemkot", item("k2", "Server sibuk, gak bisa login", 4)),
        ("x:pemkot", item("n1", "Jam buka kantor hari Sabtu?", 5)),
        ("x:pemkot", item("sp", "Dana cepat cair, klik link di bio", 6)),
    ])  # fmt: skip
    triage.update(cache, now_ms=ms(10))
    assert radar.suggestion(cache, item_id(cache, "p1")).value == "promote"  # type: ignore[union-attr]
    assert radar.suggestion(cache, item_id(cache, "k1")).value == "protect"  # type: ignore[union-attr]
    assert radar.suggestion(cache, item_id(cache, "n1")).value is None  # type: ignore[union-attr]
    assert radar.suggestion(cache, item_id(cache, "sp")).reason.startswith("spam: ")  # type: ignore[union-attr]

    social = add_user(cache, "social", "Social", Role.SOCIAL_OFFICER, Team.SOCIAL)
    agent = add_user(cache, "agent", "Agent", Role.AGENT, Team.CONTACT_CENTER)
    ids = {e: item_id(cache, e) for e in ("p1", "p2", "k1", "k2", "n1")}
    actions.set_tag(cache, [ids["p1"], ids["p2"]], Team.SOCIAL, TagValue.PROMOTE, user_id=social.id)
    actions.set_tag(cache, [ids["k1"]], Team.SOCIAL, TagValue.PROMOTE, user_id=social.id)  # overrides
    actions.set_tag(cache, [ids["n1"]], Team.SOCIAL, TagValue.PROTECT, user_id=social.id)  # nothing to agree with
    actions.set_tag(cache, [ids["k1"], ids["k2"]], Team.CONTACT_CENTER, TagValue.PROTECT, user_id=agent.id)
    triage.update(cache, now_ms=ms(10))
    rates = radar.agreement(cache)
    assert (rates["social"].agreed, rates["social"].decided) == (2, 3)
    assert rates["social"].rate == pytest.approx(2 / 3)
    assert (rates["contact_center"].agreed, rates["contact_center"].decided) == (2, 2)
    outcome = cache.conn.execute(
        "SELECT suggested, decided, agreed, decided_by FROM suggestion_outcomes WHERE item_id = ? AND team = 'social'",
        (ids["k1"],),
    ).fetchone()
    assert outcome == ("protect", "promote", 0, social.id)

    actions.set_tag(cache, [ids["k1"]], Team.SOCIAL, TagValue.PROTECT, user_id=social.id)  # thinks again
    actions.set_tag(cache, [ids["p2"]], Team.SOCIAL, None, user_id=social.id)  # withdraws
    triage.update(cache, now_ms=ms(10))
    rates = radar.agreement(cache)
    assert (rates["social"].agreed, rates["social"].decided) == (2, 2)
