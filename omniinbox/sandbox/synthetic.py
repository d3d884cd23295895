"""Deterministic synthetic items for load, benchmarks and soak tests.

The vocabulary is that of a public institution's inbox, in Bahasa Indonesia and English, with a
Zipf-like spread of words so that full-text queries meet rare, common and phrase cases as they do
in real traffic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from omniinbox.core import Author, Direction, Engagement, Item, ItemKind, Visibility

COMMON = (
    "layanan pelayanan kantor antrean warga mohon informasi terima kasih tolong bagaimana kapan"
    " service please thanks help today online website aplikasi akun data"
).split()
TOPICS = (
    "ktp elektronik kartu keluarga akta kelahiran paspor izin usaha pajak kendaraan sim perpanjangan"
    " bansos bantuan sosial vaksin rumah sakit puskesmas jalan rusak banjir listrik padam air bersih"
    " sampah lampu jalan transportasi bus kereta portal gangguan server down error login otp"
    " complaint outage queue appointment permit tax refund hoax berita palsu klarifikasi"
).split()
FILLER = (
    "saya kami sudah belum sejak dari untuk dengan yang ini itu di ke pada hari minggu bulan pagi sore"
    " malam kemarin besok sangat cepat lambat lama baru the a to is it my we our for on since still"
).split()
FIRST = "Budi Sari Andi Dewi Rina Agus Wati Eko Putri Joko Nur Yusuf Lestari Hendra Maya Fajar".split()
LAST = "Santoso Wijaya Saputra Lestari Hidayat Pratama Kusuma Nugroho Siregar Harahap Putra Sari".split()
KINDS = (ItemKind.COMMENT, ItemKind.MENTION, ItemKind.DM, ItemKind.REPLY, ItemKind.TICKET_COMMENT, ItemKind.EMAIL)


def _zipf_words(rng: random.Random, pool: list[str], n: int) -> list[str]:
    # weights 1/rank: the head words are common, the tail rare
    return rng.choices(pool, weights=[1 / (i + 1) for i in range(len(pool))], k=n)


def _text(rng: random.Random, serial: int) -> str:
    words = _zipf_words(rng, COMMON, rng.randint(2, 5)) + _zipf_words(rng, TOPICS, rng.randint(1, 3))
    words += _zipf_words(rng, FILLER, rng.randint(6, 22))
    rng.shuffle(words)
    if serial % 997 == 0:
        words.append(f"kode{serial}")  # rare, unique tokens for "rare word" searches
    return " ".join(words).capitalize() + rng.choice((".", "?", "!", " 🙏", " #layananpublik"))


def generate_items(
    count: int,
    *,
    seed: int = 1,
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    span: timedelta = timedelta(days=300),
    authors: int = 50_000,
    threads: int = 200_000,
    prefix: str = "syn",
    with_payload: bool = True,
) -> Iterator[Item]:
    """``count`` items spread over ``span`` in time order, deterministic for a ``seed``."""
    rng = random.Random(seed)
    step = span / max(count, 1)
    for n in range(count):
        author_no = int(rng.paretovariate(1.2)) % authors
        name = f"{FIRST[author_no % len(FIRST)]} {LAST[(author_no // len(FIRST)) % len(LAST)]}"
        followers = int(rng.paretovariate(1.1) * 50)
        thread = rng.randrange(threads)
        created = start + step * n
        text = _text(rng, n)
        kind = KINDS[n % len(KINDS)]
        ext = f"{prefix}-{seed}-{n}"
        yield Item(
            external_id=ext,
            kind=kind,
            text=text,
            conversation_id=f"{prefix}-t{thread}",
            created_at=created,
            author=Author(
                external_id=f"u{author_no}",
                name=name,
                handle=f"@{name.split()[0].lower()}{author_no}",
                followers=followers,
                verified=followers > 100_000,
            ),
            direction=Direction.INBOUND,
            parent_id=f"{prefix}-t{thread}",
            permalink=f"https://social.example.org/p/{ext}",
            engagement=Engagement(likes=rng.randrange(50), replies=rng.randrange(5), shares=rng.randrange(3)),
            visibility=Visibility.PRIVATE if kind in (ItemKind.DM, ItemKind.EMAIL) else Visibility.PUBLIC,
            raw={"id": ext, "text": text, "author_id": f"u{author_no}", "created_at": created.isoformat(),
                 "public_metrics": {"like_count": 0, "reply_count": 0}} if with_payload else None,
        )  # fmt: skip
