"""The three measures of an issue, each with an explanation a person can check:

* **content**: what it is about (key terms, a representative item) and its Promote/Protect
  balance (both teams' tags and the suggestions);
* **context**: where and since when (channels, accounts touched including leaders' personal
  accounts, first seen, the item it started from);
* **public interest**: how many people (distinct authors, key opinion leaders), how much
  engagement, how fast (velocity over the last hours against the hours before), how widely
  (channels).

Counted items are the public's: inbound, not spam, not part of a flood (the same text from at
least ``flood_min_authors`` accounts with at most ``flood_max_followers`` followers). Our own
messages and floods are reported beside the counts, never in them.

:func:`compute` is pure: rows in, :class:`Measures` out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from omniinbox.store.issues import AccountFacts, MemberRow
from omniinbox.triage.grouping import FLAG_OUTBOUND, FLAG_SPAM, NEAR_DUP_BITS, decode_terms
from omniinbox.triage.lexicon import Lexicon
from omniinbox.triage.settings import TriageSettings
from omniinbox.triage.text import analyze, hamming, stem, unsigned64

HOUR_MS = 3_600_000
SPARK_HOURS = 24


def when(ms: int | None) -> str:
    """A time as explanations show it (UTC, to the minute)."""
    if ms is None:
        return "?"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Kol:
    contact_id: int
    name: str
    handle: str
    channel: str
    kind: str  # registry kind, or "followers" for an unregistered author above the threshold
    followers: int | None
    first_item_id: int
    first_at: int

    def describe(self) -> str:
        who = self.name or self.handle or f"contact {self.contact_id}"
        what = f"{self.followers:,} followers" if self.kind == "followers" and self.followers else self.kind
        return f"{who} ({what}, {self.channel})"


@dataclass(frozen=True, slots=True)
class PublicWindow:
    """The busiest stretch of ``public_hours``: most distinct authors."""

    authors: int = 0
    channels: int = 0
    start: int | None = None
    end: int | None = None
    first_reached_at: int | None = None  # when the level-3 threshold was first met (item time)


@dataclass(slots=True)
class Measures:
    items: int = 0
    counted_items: int = 0
    outbound_items: int = 0
    flood_items: list[int] = field(default_factory=list)
    spam_items: int = 0
    authors: int = 0
    kols: list[Kol] = field(default_factory=list)
    channels: dict[str, int] = field(default_factory=dict)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    leader_accounts: list[str] = field(default_factory=list)
    engagement: int = 0
    views: int = 0
    first_seen: int | None = None
    last_seen: int | None = None
    started_from: int | None = None
    started_excerpt: str = ""
    key_terms: list[tuple[str, int]] = field(default_factory=list)
    representative: int | None = None
    representative_excerpt: str = ""
    balance: dict[str, dict[str, int]] = field(default_factory=dict)
    velocity: float = 0.0  # counted items per hour over the last velocity_hours
    velocity_before: float = 0.0  # ... over the velocity_hours before those
    hourly: dict[str, Any] = field(default_factory=dict)
    window: PublicWindow = field(default_factory=PublicWindow)
    first_kol_at: int | None = None
    formed_at: int | None = None  # when it first had enough items and authors to be an issue (item time)
    content: str = ""
    context: str = ""
    public_interest: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["key_terms"] = [list(t) for t in self.key_terms]
        return data


def _author_key(row: MemberRow) -> tuple[str, object]:
    if row.person_id is not None:
        return ("p", row.person_id)
    if row.contact_id is not None:
        return ("c", row.contact_id)
    return ("i", row.item_id)


def floods(rows: Sequence[MemberRow], settings: TriageSettings) -> set[int]:
    """Items of floods: near-duplicate texts from at least ``flood_min_authors`` distinct
    low-follower accounts (followers known and at most ``flood_max_followers``)."""
    low = [
        r
        for r in rows
        if r.simhash is not None and r.followers is not None and r.followers <= settings.flood_max_followers
    ]
    clusters: list[tuple[int, list[MemberRow]]] = []
    by_band: dict[tuple[int, int], list[int]] = {}
    for row in low:
        h = unsigned64(row.simhash or 0)
        home = None
        for band in range(4):
            for n in by_band.get((band, (h >> (16 * band)) & 0xFFFF), []):
                if hamming(clusters[n][0], h) <= NEAR_DUP_BITS:
                    home = n
                    break
            if home is not None:
                break
        if home is None:
            home = len(clusters)
            clusters.append((h, []))
            for band in range(4):
                by_band.setdefault((band, (h >> (16 * band)) & 0xFFFF), []).append(home)
        clusters[home][1].append(row)
    flooded: set[int] = set()
    for _h, members in clusters:
        if len({_author_key(m) for m in members}) >= settings.flood_min_authors:
            flooded.update(m.item_id for m in members)
    return flooded


def public_window(rows: Sequence[MemberRow], channel_of: Callable[[MemberRow], str],
                  settings: TriageSettings) -> PublicWindow:  # fmt: skip
    """Slide a ``public_hours`` window over the counted items (oldest first): the most distinct
    authors in one window whose items span at least ``public_channels`` channels (or any, when
    no window does), and when the public-interest threshold was first met."""
    span = int(settings.public_hours * HOUR_MS)
    authors: Counter[tuple[str, object]] = Counter()
    channels: Counter[str] = Counter()
    best = PublicWindow()
    reached: int | None = None
    left = 0
    for row in rows:
        authors[_author_key(row)] += 1
        channels[channel_of(row)] += 1
        while rows[left].created_at < row.created_at - span:
            gone = rows[left]
            key = _author_key(gone)
            authors[key] -= 1
            if not authors[key]:
                del authors[key]
            channel = channel_of(gone)
            channels[channel] -= 1
            if not channels[channel]:
                del channels[channel]
            left += 1
        n_authors, n_channels = len(authors), len(channels)
        if reached is None and n_authors >= settings.public_authors and n_channels >= settings.public_channels:
            reached = row.created_at
        wide = n_channels >= settings.public_channels
        best_wide = best.channels >= settings.public_channels
        if (wide, n_authors) > (best_wide, best.authors):
            best = PublicWindow(n_authors, n_channels, rows[left].created_at, row.created_at)
    return PublicWindow(best.authors, best.channels, best.start, best.end, reached)


def compute(
    rows: Sequence[MemberRow],
    tags: Mapping[int, Mapping[str, str]],
    accounts: Mapping[int, AccountFacts],
    kol_kinds: Mapping[int, str],
    settings: TriageSettings,
    now_ms: int,
    texts: Callable[[Sequence[int]], Mapping[int, tuple[str, str]]] = lambda ids: {},
    lexicon: Lexicon | None = None,
) -> Measures:
    """The measures of an issue made of ``rows`` (oldest first)."""
    m = Measures(items=len(rows))

    def channel_of(row: MemberRow) -> str:
        facts = accounts.get(row.account_id)
        return facts.channel if facts else "?"

    flooded = floods(rows, settings)
    counted: list[MemberRow] = []
    for row in rows:
        if row.flags & FLAG_OUTBOUND or row.direction == "out":
            m.outbound_items += 1
        elif row.flags & FLAG_SPAM:
            m.spam_items += 1
        elif row.item_id in flooded:
            m.flood_items.append(row.item_id)
        else:
            counted.append(row)
    m.counted_items = len(counted)
    if rows:
        m.first_seen, m.last_seen = rows[0].created_at, rows[-1].created_at
    if not counted:
        m.content = m.context = m.public_interest = "nothing from the public yet"
        return m

    # ---------------------------------------------------------------- public interest
    seen_authors: set[tuple[str, object]] = set()
    for n, r in enumerate(counted, 1):
        seen_authors.add(_author_key(r))
        if m.formed_at is None and n >= settings.issue_min_items and len(seen_authors) >= settings.issue_min_authors:
            m.formed_at = r.created_at
    m.authors = len(seen_authors)
    channel_counts: Counter[str] = Counter(channel_of(r) for r in counted)
    m.channels = dict(channel_counts.most_common())
    m.engagement = sum(r.likes + r.shares + r.replies for r in counted)
    m.views = sum(r.views for r in counted)
    kols: dict[tuple[str, object], Kol] = {}
    for r in counted:
        kind = kol_kinds.get(r.contact_id or -1) if r.contact_id is not None else None
        if kind is None and r.is_kol:
            kind = "key opinion leader"
        if kind is None and settings.kol_followers_auto and (r.followers or 0) >= settings.kol_followers_auto:
            kind = "followers"
        if kind is not None and _author_key(r) not in kols:
            kols[_author_key(r)] = Kol(
                r.contact_id or 0, r.author_name, r.author_handle, channel_of(r), kind, r.followers, r.item_id,
                r.created_at,
            )  # fmt: skip
    m.kols = sorted(kols.values(), key=lambda k: k.first_at)
    m.first_kol_at = m.kols[0].first_at if m.kols else None
    velocity_ms = int(settings.velocity_hours * HOUR_MS)
    recent = sum(1 for r in counted if now_ms - velocity_ms < r.created_at <= now_ms)
    before = sum(1 for r in counted if now_ms - 2 * velocity_ms < r.created_at <= now_ms - velocity_ms)
    m.velocity = round(recent / settings.velocity_hours, 2)
    m.velocity_before = round(before / settings.velocity_hours, 2)
    last_hour = counted[-1].created_at // HOUR_MS * HOUR_MS
    start = last_hour - (SPARK_HOURS - 1) * HOUR_MS
    buckets = [0] * SPARK_HOURS
    for r in counted:
        if r.created_at >= start:
            buckets[min((r.created_at - start) // HOUR_MS, SPARK_HOURS - 1)] += 1
    m.hourly = {"start": start, "hours": buckets}
    m.window = public_window(counted, channel_of, settings)

    # ---------------------------------------------------------------- context
    per_account: Counter[int] = Counter(r.account_id for r in counted)
    for account_id, n in per_account.most_common():
        facts = accounts.get(account_id)
        if facts is None:
            continue
        m.accounts.append(
            {"id": account_id, "key": facts.key, "name": facts.name, "channel": facts.channel,
             "leader": facts.leader, "items": n}
        )  # fmt: skip
        if facts.leader:
            m.leader_accounts.append(f"{facts.name} ({facts.channel})")
    first = counted[0]
    m.started_from = first.item_id

    # ---------------------------------------------------------------- content
    term_counts: Counter[str] = Counter()
    for r in counted:
        term_counts.update(dict.fromkeys(decode_terms(r.terms)[0], 1))  # ties keep the order of appearance
    top = [t for t, _n in term_counts.most_common(8)]
    top5 = set(top[:5])

    def rep_score(r: MemberRow) -> tuple[int, int, int]:
        return (len(top5.intersection(decode_terms(r.terms)[0])), r.likes + r.shares + r.replies, -r.created_at)

    representative = max(counted, key=rep_score)
    m.representative = representative.item_id
    sample = [r.item_id for r in counted[-12:]]
    found = texts([first.item_id, representative.item_id, *sample])
    surface = _surface_forms(top, [f"{s}\n{t}" for s, t in found.values()], lexicon)
    m.key_terms = [(surface.get(t, t), term_counts[t]) for t in top]
    if first.item_id in found:
        m.started_excerpt = excerpt(" ".join(found[first.item_id]).strip())
    if representative.item_id in found:
        m.representative_excerpt = excerpt(" ".join(found[representative.item_id]).strip())
    balance: dict[str, dict[str, int]] = {
        "suggested": {"promote": 0, "protect": 0},
        "social": {"promote": 0, "protect": 0},
        "contact_center": {"promote": 0, "protect": 0},
    }
    for r in counted:
        if r.suggestion in ("promote", "protect"):
            balance["suggested"][r.suggestion] += 1
        for team, value in tags.get(r.item_id, {}).items():
            if team in balance and value in ("promote", "protect"):
                balance[team][value] += 1
    m.balance = balance

    # ---------------------------------------------------------------- explanations
    terms_text = ", ".join(f"'{t}'" for t, _n in m.key_terms[:5]) or "no common words"
    protect = sum(b["protect"] for b in balance.values())
    promote = sum(b["promote"] for b in balance.values())
    lean = "leans Protect" if protect > promote else "leans Promote" if promote > protect else "no lean"
    m.content = (
        f"About {terms_text}; for example: \u201c{m.representative_excerpt}\u201d. {lean.capitalize()}:"
        f" Protect {balance['suggested']['protect']} suggested, {balance['social']['protect']} by the social team,"
        f" {balance['contact_center']['protect']} by the contact center; Promote {balance['suggested']['promote']}"
        f" suggested, {balance['social']['promote']} by the social team,"
        f" {balance['contact_center']['promote']} by the contact center."
    )
    first_channel = channel_of(first)
    who = first.author_name or first.author_handle or "an unknown author"
    leaders = f", including the leader's account {', '.join(m.leader_accounts)}" if m.leader_accounts else ""
    m.context = (
        f"First seen {when(first.created_at)}, started from a {first.kind} on {first_channel} by {who};"
        f" on {plural(len(m.channels), 'channel')} ({', '.join(m.channels)}) through"
        f" {plural(len(m.accounts), 'account')}{leaders}."
    )
    kol_text = f", {plural(len(m.kols), 'key opinion leader')}" if m.kols else ""
    trend = "rising" if m.velocity > m.velocity_before else "falling" if m.velocity < m.velocity_before else "steady"
    kept_out = []
    if m.flood_items:
        kept_out.append(plural(len(m.flood_items), "flood item"))
    if m.spam_items:
        kept_out.append(plural(m.spam_items, "spam item"))
    m.public_interest = (
        f"{plural(m.authors, 'distinct author')}{kol_text}, {plural(m.counted_items, 'item')},"
        f" {m.engagement:,} likes, shares and replies, on {plural(len(m.channels), 'channel')};"
        f" {m.velocity:g} items/hour over the last {settings.velocity_hours:g} h ({trend},"
        f" {m.velocity_before:g} before); busiest {settings.public_hours:g} h: {plural(m.window.authors, 'author')}"
        f" on {plural(m.window.channels, 'channel')}" + (f"; kept out: {', '.join(kept_out)}" if kept_out else "") + "."
    )
    return m


def _surface_forms(stems: Sequence[str], texts: Sequence[str], lexicon: Lexicon | None) -> dict[str, str]:
    """The most frequent written form of each stem in ``texts`` (``sukalay`` -> ``sukalayan``)."""
    wanted = set(stems)
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for word in analyze(text, lexicon).words:
            s = stem(word)
            if s in wanted:
                seen.setdefault(s, Counter())[word] += 1
    return {s: c.most_common(1)[0][0] for s, c in seen.items()}
