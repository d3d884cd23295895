"""The issue brief for leadership, as a self-contained HTML page in Bahasa Indonesia: the level and
why, the deadline and who answers, the timeline, channels and accounts, key opinion leaders,
reach, and what was answered where and when.

Every text that comes from a message, a name or a setting is escaped; the page loads nothing
from the network (no scripts, images or fonts). The desktop client prints it to PDF.
"""

from __future__ import annotations

import html
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from omniinbox.core import to_millis, utcnow
from omniinbox.store import issues as store
from omniinbox.store.cache import Cache
from omniinbox.triage import settings as settings_mod
from omniinbox.triage.measures import excerpt

WIB = timezone(timedelta(hours=7), "WIB")
_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember")  # fmt: skip
CHANNEL_NAMES = {
    "x": "X", "facebook": "Facebook", "instagram": "Instagram", "youtube": "YouTube", "mastodon": "Mastodon",
    "telegram": "Telegram", "whatsapp": "WhatsApp", "zendesk": "Zendesk", "freshdesk": "Freshdesk",
    "zammad": "Zammad", "chatwoot": "Chatwoot", "email": "Email", "listening": "Pemantauan media sosial",
}  # fmt: skip
KOL_KINDS = {
    "journalist": "jurnalis", "official": "pejabat/lembaga", "influencer": "influencer", "media": "media",
    "followers": "pengikut banyak", "key opinion leader": "tokoh kunci",
}  # fmt: skip
OUTBOX_STATES = {
    "awaiting_approval": "menunggu persetujuan", "queued": "dalam antrean kirim", "sending": "sedang dikirim",
    "sent": "terkirim", "failed": "gagal", "cancelled": "dibatalkan", None: "direncanakan",
}  # fmt: skip
LEVELS = {0: "belum menjadi isu", 1: "Level 1 — isu", 2: "Level 2 — melibatkan tokoh kunci",
          3: "Level 3 — menjadi perhatian publik, wajib dijawab"}  # fmt: skip


class BriefRefused(ValueError):
    pass


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _time(ms: int | None, tz: tzinfo) -> str:
    if ms is None:
        return "—"
    t = datetime.fromtimestamp(ms / 1000, tz)
    return f"{t.day} {_MONTHS[t.month - 1]} {t.year}, {t:%H.%M} {t.tzname() or ''}".strip()


def _channel(name: str) -> str:
    return CHANNEL_NAMES.get(name, name)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@dataclass(frozen=True, slots=True)
class _Event:
    at: int
    text: str


def _level_reason(level: int, m: dict[str, Any], row: store.IssueRow, hours: float) -> str:
    """The reason of the level, said in Bahasa Indonesia from the measures."""
    if level >= 3:
        window = m.get("window", {})
        if window.get("first_reached_at") is not None:
            return (
                f"Level 3 karena {_n(window.get('authors', 0))} penulis berbeda dalam {hours:g} jam"
                f" di {_n(window.get('channels', 0))} kanal"
            )
        return f"Level 3 karena {_n(row.engagement)} suka, bagikan dan balasan"
    if level == 2:
        kols = m.get("kols", [])
        names = ", ".join(k.get("name") or k.get("handle") or "?" for k in kols[:3])
        return f"Level 2 karena tokoh kunci terlibat: {names}"
    if level == 1:
        return f"Level 1 karena {_n(row.counted_items)} pesan dari {_n(row.authors)} penulis membahas hal yang sama"
    return "Belum memenuhi syarat sebagai isu"


def issue_brief_html(conn: sqlite3.Connection | Cache, issue_id: int, *, tz: tzinfo = WIB,
                     now_ms: int | None = None) -> str:  # fmt: skip
    """The brief of ``issue_id`` (followed through merges)."""
    row = store.final_issue(conn, issue_id)
    if row is None:
        raise BriefRefused(f"there is no issue #{issue_id}")
    now = now_ms if now_ms is not None else to_millis(utcnow()) or 0
    c = conn.conn if isinstance(conn, Cache) else conn
    m = row.measures
    accounts = store.account_facts(conn)
    users = dict(c.execute("SELECT id, name FROM users"))
    settings_hours = settings_mod.load(conn).public_hours
    title = row.title or f"Isu #{row.id}"
    parts: list[str] = []
    add = parts.append

    add(f"<h1>Ringkasan isu #{row.id}: {_e(title)}</h1>")
    add(f"<p class='meta'>Dibuat {_e(_time(now, tz))} oleh OmniInbox. Isi pesan dikutip apa adanya.</p>")

    status = "ditutup" if row.status == "closed" else "terbuka"
    answer = (
        f"sudah dijawab di semua kanal pada {_e(_time(row.answered_at, tz))}"
        if row.answered_at
        else "belum dijawab di semua kanal"
    )
    add("<section><h2>Status</h2><table>")
    add(f"<tr><th>Tingkat</th><td><strong>{_e(LEVELS.get(row.level, row.level))}</strong></td></tr>")
    add(f"<tr><th>Alasan</th><td>{_e(_level_reason(row.level, m, row, settings_hours))}</td></tr>")
    add(f"<tr><th>Status</th><td>{_e(status)}</td></tr>")
    if row.must_answer:
        overdue = row.answered_at is None and row.deadline_at is not None and now > row.deadline_at
        add(
            f"<tr><th>Tenggat jawaban</th><td>{_e(_time(row.deadline_at, tz))}"
            + (" <strong class='late'>(terlambat)</strong>" if overdue else "")
            + "</td></tr>"
        )
        add(f"<tr><th>Jawaban</th><td>{_e(answer)}</td></tr>")
    owner = users.get(row.owner_id, "") if row.owner_id is not None else ""
    add(f"<tr><th>Penanggung jawab</th><td>{_e(owner or 'belum ditentukan')}</td></tr>")
    add("</table></section>")

    # ---------------------------------------------------------------- reach
    add("<section><h2>Jangkauan</h2><table>")
    add(f"<tr><th>Pesan dari publik</th><td>{_n(row.counted_items)}</td></tr>")
    add(f"<tr><th>Penulis berbeda</th><td>{_n(row.authors)}</td></tr>")
    add(f"<tr><th>Tokoh kunci</th><td>{_n(row.kols)}</td></tr>")
    add(f"<tr><th>Kanal</th><td>{_n(row.channels)}</td></tr>")
    add(f"<tr><th>Suka, bagikan, balasan</th><td>{_n(row.engagement)}</td></tr>")
    add(f"<tr><th>Tayangan</th><td>{_n(int(m.get('views', 0)))}</td></tr>")
    velocity, before = _e(m.get("velocity", 0)), _e(m.get("velocity_before", 0))
    add(f"<tr><th>Kecepatan</th><td>{velocity} pesan/jam (sebelumnya {before})</td></tr>")
    kept_out = len(m.get("flood_items", []))
    if kept_out:
        add(f"<tr><th>Banjir pesan (tidak dihitung)</th><td>{_n(kept_out)}</td></tr>")
    add("</table></section>")

    # ---------------------------------------------------------------- content
    terms = ", ".join(str(t[0]) for t in m.get("key_terms", [])[:8])
    balance = m.get("balance", {})
    add("<section><h2>Isi</h2>")
    add(f"<p><strong>Kata kunci:</strong> {_e(terms or '—')}</p>")
    if m.get("representative_excerpt"):
        add(f"<blockquote>{_e(m['representative_excerpt'])}</blockquote>")
    if balance:
        add("<table><tr><th></th><th>Protect</th><th>Promote</th></tr>")
        for key, label in (("suggested", "Saran sistem"), ("social", "Tim media sosial"),
                           ("contact_center", "Tim contact center")):  # fmt: skip
            b = balance.get(key, {})
            add(f"<tr><th>{label}</th><td>{_n(b.get('protect', 0))}</td><td>{_n(b.get('promote', 0))}</td></tr>")
        add("</table>")
    add("</section>")

    # ---------------------------------------------------------------- channels and accounts
    add("<section><h2>Kanal dan akun</h2><table><tr><th>Kanal</th><th>Akun</th><th>Pesan</th></tr>")
    for a in m.get("accounts", []):
        leader = " <em>(akun pribadi pimpinan)</em>" if a.get("leader") else ""
        add(
            f"<tr><td>{_e(_channel(str(a.get('channel', ''))))}</td><td>{_e(a.get('name', ''))}{leader}</td>"
            f"<td>{_n(int(a.get('items', 0)))}</td></tr>"
        )
    add("</table>")
    if m.get("started_excerpt"):
        add(
            f"<p><strong>Bermula dari</strong> ({_e(_time(m.get('first_seen'), tz))}):</p>"
            f"<blockquote>{_e(m['started_excerpt'])}</blockquote>"
        )
    add("</section>")

    # ---------------------------------------------------------------- key opinion leaders
    kols = m.get("kols", [])
    add("<section><h2>Tokoh kunci</h2>")
    if kols:
        add("<table><tr><th>Nama</th><th>Jenis</th><th>Kanal</th><th>Pengikut</th><th>Pertama menulis</th></tr>")
        for k in kols:
            followers = _n(int(k["followers"])) if k.get("followers") is not None else "—"
            add(
                f"<tr><td>{_e(k.get('name') or k.get('handle') or '?')}</td>"
                f"<td>{_e(KOL_KINDS.get(str(k.get('kind')), k.get('kind')))}</td>"
                f"<td>{_e(_channel(str(k.get('channel', ''))))}</td><td>{followers}</td>"
                f"<td>{_e(_time(k.get('first_at'), tz))}</td></tr>"
            )
        add("</table>")
    else:
        add("<p>Tidak ada tokoh kunci yang terlibat.</p>")
    add("</section>")

    # ---------------------------------------------------------------- answers
    statements = store.statements(conn, row.id)
    ours = store.outbound_items(conn, row.id)
    add("<section><h2>Yang sudah dijawab</h2>")
    if not statements and not ours:
        add("<p>Belum ada jawaban.</p>")
    for st in statements:
        approved = (
            f", disetujui {_e(users.get(st.approved_by, ''))} {_e(_time(st.approved_at, tz))}" if st.approved_at else ""
        )
        add(f"<h3>Pernyataan {st.id} ({_e(st.state)}{approved})</h3><blockquote>{_e(st.body)}</blockquote>")
        replies = store.statement_replies(conn, st.id)
        if replies:
            add("<table><tr><th>Kanal</th><th>Akun</th><th>Status</th><th>Terkirim</th><th>Keterangan</th></tr>")
            for r in replies:
                facts = accounts.get(r.account_id)
                add(
                    f"<tr><td>{_e(_channel(r.channel))}</td><td>{_e(facts.name if facts else r.account_id)}</td>"
                    f"<td>{_e(OUTBOX_STATES.get(r.state, r.state))}</td><td>{_e(_time(r.sent_at, tz))}</td>"
                    f"<td>{_e(r.last_error)}</td></tr>"
                )
            add("</table>")
    if ours:
        add("<h3>Balasan di percakapan</h3><table><tr><th>Waktu</th><th>Akun</th><th>Balasan</th></tr>")
        for _item, at, account_id, text in ours[-50:]:
            facts = accounts.get(account_id)
            add(
                f"<tr><td>{_e(_time(at, tz))}</td><td>{_e(facts.name if facts else account_id)}</td>"
                f"<td>{_e(excerpt(text, 240))}</td></tr>"
            )
        add("</table>")
    add("</section>")

    # ---------------------------------------------------------------- timeline
    events: list[_Event] = []
    if m.get("first_seen") is not None:
        events.append(_Event(int(m["first_seen"]), "Pesan pertama masuk"))
    for k in kols:
        events.append(_Event(int(k["first_at"]), f"Tokoh kunci menulis: {k.get('name') or k.get('handle')}"
                             f" ({_channel(str(k.get('channel', '')))})"))  # fmt: skip
    for level, at in (m.get("level_event_at") or {}).items():
        events.append(_Event(int(at), f"Mencapai {LEVELS.get(int(level), level)}"))
    if row.deadline_at:
        events.append(_Event(row.deadline_at, "Tenggat jawaban"))
    for at, user_id, action, _detail in store.issue_audit(conn, row.id):
        who = users.get(user_id, "") if user_id is not None else ""
        by = f" oleh {who}" if who else ""
        what = _TIMELINE_ACTIONS.get(action)
        if what:
            events.append(_Event(at, what + by))
    for st in statements:
        for r in store.statement_replies(conn, st.id):
            if r.sent_at:
                events.append(_Event(r.sent_at, f"Jawaban terkirim di {_channel(r.channel)}"))
    hourly = m.get("hourly", {})
    add("<section><h2>Lini masa</h2><table><tr><th>Waktu</th><th>Peristiwa</th></tr>")
    for ev in sorted(events, key=lambda e: e.at):
        add(f"<tr><td>{_e(_time(ev.at, tz))}</td><td>{_e(ev.text)}</td></tr>")
    add("</table>")
    hours = hourly.get("hours", [])
    if hours and any(hours):
        start = int(hourly.get("start", 0))
        add("<h3>Pesan per jam</h3><table><tr><th>Jam</th><th>Pesan</th></tr>")
        for n, count in enumerate(hours):
            if count:
                add(f"<tr><td>{_e(_time(start + n * 3_600_000, tz))}</td><td>{_n(count)}</td></tr>")
        add("</table>")
    add("</section>")

    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang='id'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Ringkasan isu #{row.id}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


_TIMELINE_ACTIONS = {
    "statement.draft": "Pernyataan disusun",
    "statement.approve": "Pernyataan disetujui",
    "statement.fan_out": "Pernyataan dikirim ke semua kanal",
    "issue.owner": "Penanggung jawab ditetapkan",
    "issue.close": "Isu ditutup",
    "issue.reopen": "Isu dibuka kembali",
    "issue.answered": "Terjawab di semua kanal",
    "issue.merge_by_hand": "Isu digabung",
    "issue.split": "Isu dipisah",
}

_CSS = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222;line-height:1.4}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.5em}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;"
    "vertical-align:top}th{background:#f4f4f4}blockquote{border-left:3px solid #999;margin:.5em 0;padding:.2em 1em;"
    "color:#444}.meta{color:#666;font-size:.9em}.late{color:#b00}"
)
