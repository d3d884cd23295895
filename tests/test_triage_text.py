"""Text normalisation for Bahasa Indonesia and English, the lexicon files and SimHash."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from omniinbox.triage.lexicon import Lexicon, LexiconError
from omniinbox.triage.text import analyze, hamming, hash64, normalize_url, shingles, simhash64, stem


def test_informal_spelling_is_mapped_to_standard_words() -> None:
    words = analyze("gak bisa, udh coba, blm jg, yg lain tdk, krn sy kmrn hrs dtg lg, gmn knp bs gitu").words
    assert words[:4] == ("tidak", "bisa", "sudah", "coba")
    for expected in ("belum", "juga", "yang", "karena", "saya", "kemarin", "harus", "lagi", "bagaimana",
                     "kenapa", "begitu"):  # fmt: skip
        assert expected in words
    assert "gak" not in words and "tdk" not in words
    assert analyze("makasih min").words == ("terima", "kasih", "min")


def test_repeated_letters_are_squeezed_unless_the_double_spelling_is_a_word() -> None:
    assert analyze("parahhhh bgt, mantappp").words == ("parah", "banget", "mantap")
    assert analyze("goooood job").words[0] == "good"
    assert analyze("warga2 anak-anak dengar-dengar").words == ("warga", "anak", "dengar")


def test_diacritics_and_case_are_folded() -> None:
    assert analyze("CAFÉ Résumé").words == ("cafe", "resume")


def test_terms_drop_stopwords_generic_words_and_short_words_but_keep_named_documents() -> None:
    features = analyze("Min, saya mau urus KTP dan SIM di kantor pagi ini tapi antriannya panjang sekali ya")
    assert {"ktp", "sim", "urus", "panjang", "antre"} <= set(features.terms)
    for dropped in ("min", "saya", "mau", "di", "kantor", "pagi", "ini", "tapi", "ya", "dan"):
        assert dropped not in features.terms
    assert "kk" in analyze("KK saya hilang").terms  # two letters, but a document
    assert "pln" in analyze("PLN padam lagi").terms


def test_numbers_are_kept_only_where_they_name_something() -> None:
    terms = analyze("Sudah 3 kali telepon 112 sejak 2024, nomor tiket 458812").terms
    assert "112" in terms and "458812" in terms
    assert "3" not in terms and "2024" not in terms


def test_light_stemming_gives_one_stem_to_common_forms() -> None:
    assert stem("diakses") == stem("mengakses") == "akses"
    assert stem("dibuka") == stem("membuka") == "buka"
    assert stem("keluhkan") == stem("keluhan") == "keluh"
    assert stem("jadwalnya") == "jadwal"
    assert stem("tickets") == "ticket"
    assert stem("dinas") == "dinas"  # short words are left alone


def test_synonyms_in_both_languages_become_one_term() -> None:
    indonesian = analyze("aplikasi antrean gangguan").terms
    english = analyze("the queue app is down").terms
    assert set(indonesian) == set(english) == {"antre", "gangguan"}


def test_hashtags_mentions_and_links_are_taken_out_and_normalised() -> None:
    lex = Lexicon.default()
    features = analyze(
        "Cek @PemkotSukamaju #SukaLayanDown #12345 https://WWW.Kabar.id/berita/123/?utm_source=x&id=9#top lagi",
        lex,
    )
    assert features.mentions == ("pemkotsukamaju",)
    assert features.hashtags == ("sukalayandown",)
    assert features.links == ("kabar.id/berita/123?id=9",)
    assert "12345" in features.terms  # a number in a hashtag is a ticket number, kept as a number
    assert "pemkotsukamaju" not in features.terms and "https" not in features.words
    assert normalize_url("http://kabar.id/berita/123/?fbclid=abc", lex) == "kabar.id/berita/123"


def test_names_are_the_terms_written_as_names() -> None:
    features = analyze("Saya ke kantor Dukcapil karena SukaLayan error. Antrean panjang.")
    assert set(features.names) == {"dukcapil", "sukalay"}
    assert "antre" in features.terms and "antre" not in features.names  # capitalised only as a sentence starts


def test_simhash_is_the_majority_vote_of_the_features_hash_bits() -> None:
    rng = random.Random(7)
    for _ in range(200):
        features = [str(rng.randrange(60)) for _ in range(rng.randrange(0, 50))]
        counts = [sum(1 for f in features if hash64(f) >> bit & 1) for bit in range(64)]
        expected = sum(1 << bit for bit in range(64) if counts[bit] * 2 > len(features))
        assert simhash64(features) == expected


def test_near_duplicates_are_close_and_different_texts_far() -> None:
    a = simhash64(shingles(analyze("Aplikasi SukaLayan error terus dari pagi, tidak bisa ambil antrean KTP").words))
    b = simhash64(shingles(analyze("aplikasi sukalayan eror terus dari pagi, gak bisa ambil antrean KTP!!").words))
    c = simhash64(shingles(analyze("Lampu jalan di Jl. Melati mati sudah seminggu, mohon segera dicek petugas").words))
    assert hamming(a, b) <= 3
    assert hamming(a, c) > 10


def test_a_lexicon_folder_extends_and_trims_the_shipped_lists(tmp_path: Path) -> None:
    (tmp_path / "normalize.toml").write_text(
        '[slang]\nsbb = "sebagai berikut"\n'
        '[lists]\ngeneric_terms = ["sukamaju"]\nremove_generic_terms = ["aplikasi"]\n',
        encoding="utf-8",
    )
    (tmp_path / "suggest.toml").write_text('[signals.praise]\nphrases = ["josss"]\n', encoding="utf-8")
    lex = Lexicon.load(tmp_path)
    assert lex.slang["sbb"] == ("sebagai", "berikut") and lex.slang["gak"] == ("tidak",)
    assert "sukamaju" in lex.generic_terms and "aplikasi" not in lex.generic_terms
    assert "min" in lex.generic_terms
    praise = next(s for s in lex.signals if s.name == "praise")
    assert "josss" in praise.phrases and "mantap" in praise.phrases
    assert lex.digest != Lexicon.default().digest
    features = analyze("aplikasi Sukamaju", lex)
    assert features.terms == ("aplikasi",)


def test_an_unreadable_lexicon_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "stopwords.toml").write_text("id = [", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"stopwords\.toml"):
        Lexicon.load(tmp_path)
