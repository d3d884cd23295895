"""Training scenarios: what the public says, where, and when, as data files.

A scenario is a TOML file in ``omniinbox/sandbox/scenarios/``. It names the institution's accounts
on each platform (some owned by a leader), the people who write (citizens, key opinion leaders,
repeat complainers, spam), and a timeline of **events**: one message each, at a minute from the
start, on a platform, in a thread. **Waves** stand for the public picking an issue up: many
people writing variations of the same thing over a span of minutes; they are expanded into events
deterministically from the scenario's seed. Engagement grows over time towards the values an
event gives for its end.

The model is platform-neutral: each platform's emulation in ``omniinbox.sandbox`` turns an event
into the payload its API returns (a tweet, a Graph comment, a Zendesk ticket, a mail...).

    [scenario]                      id, title, title_en, description, duration_minutes, seed, include
    [[accounts]]                    id, platform, handle, name, owner = "institution" | "leader"
    [[people]]                      id, name, kind, followers, verified, handles.<platform>
    [[events]]                      id, at, platform, account, kind, author, text, thread, reply_to,
                                    subject, likes, shares, replies, views, visibility
    [[waves]]                       id, from, to, count, platforms, account.<platform>, kind,
                                    thread.<platform>, reply_to.<platform>, texts, authors ("public" or
                                    a list of people), likes, shares

Times are minutes (floats allowed). ``thread`` names a conversation; an event that starts a thread
has ``thread`` equal to its own id (the default). ``reply_to`` names an earlier event.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from omniinbox.core import Channel

PLATFORMS = frozenset(
    {
        "x",
        "facebook",
        "instagram",
        "youtube",
        "mastodon",
        "telegram",
        "zendesk",
        "freshdesk",
        "zammad",
        "chatwoot",
        "email",
    }
)
KINDS = frozenset({"post", "mention", "comment", "reply", "dm", "ticket", "ticket_comment", "email"})
PEOPLE_KINDS = frozenset({"citizen", "kol", "journalist", "official", "complainer", "spam", "staff"})

_FIRST = (
    "Budi Sari Andi Dewi Rina Agus Wati Eko Putri Joko Nur Yusuf Lestari Hendra Maya Fajar Indah Rudi Siti Bayu"
    " Ayu Dimas Fitri Gilang Hana Irfan Kartika Lukman Mega Nanda Oki Rizky Tari Umar Vina Wahyu Yanti Zaki"
).split()
_LAST = "Santoso Wijaya Saputra Lestari Hidayat Pratama Kusuma Nugroho Siregar Harahap Putra Sari Gunawan Halim".split()


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class SandboxAccount:
    id: str
    platform: str
    handle: str
    name: str
    owner: str = "institution"  # or "leader"

    @property
    def channel(self) -> Channel:
        return Channel(self.platform)


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    kind: str = "citizen"
    followers: int = 100
    verified: bool = False
    handles: Mapping[str, str] = field(default_factory=dict)

    def handle_on(self, platform: str) -> str:
        """The person's handle on ``platform`` (made up from the name when the file gives none)."""
        if platform in self.handles:
            return self.handles[platform]
        slug = "".join(ch for ch in self.name.lower() if ch.isalnum())
        if platform == "email":
            return f"{slug}@mail.example.org"
        return f"@{slug}" if platform in ("x", "instagram", "mastodon", "telegram") else self.name


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    at: float  # minutes from the start
    platform: str
    account: str
    kind: str
    author: str  # a Person id; "" for the institution itself
    text: str
    thread: str
    reply_to: str = ""
    subject: str = ""
    visibility: str = "public"
    likes: int = 0
    shares: int = 0
    replies: int = 0
    views: int = 0

    def engagement_at(self, minute: float, duration: float) -> dict[str, int]:
        """Engagement ``minute`` minutes into the scenario: nothing before the event, then growing
        (fast at first, as attention does) to the event's values at the end."""
        if minute < self.at:
            return {"likes": 0, "shares": 0, "replies": 0, "views": 0}
        span = max(duration - self.at, 1.0)
        share = min((minute - self.at) / span, 1.0) ** 0.5
        return {
            "likes": round(self.likes * share),
            "shares": round(self.shares * share),
            "replies": round(self.replies * share),
            "views": round(self.views * share),
        }


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    title: str
    title_en: str
    description: str
    duration: float
    seed: int
    accounts: tuple[SandboxAccount, ...]
    people: Mapping[str, Person]
    events: tuple[Event, ...]  # waves expanded, ordered by time
    source: str = ""

    def account(self, account_id: str) -> SandboxAccount:
        for account in self.accounts:
            if account.id == account_id:
                return account
        raise KeyError(account_id)

    def events_between(self, start: float, end: float) -> list[Event]:
        """Events with ``start <= at < end``, in order."""
        return [e for e in self.events if start <= e.at < end]

    def platforms(self) -> list[str]:
        return sorted({a.platform for a in self.accounts})

    def scaled(self, factor: float) -> Scenario:
        """The same scenario with time compressed (``factor`` > 1 runs faster)."""
        return replace(
            self,
            duration=self.duration / factor,
            events=tuple(replace(e, at=e.at / factor) for e in self.events),
        )


# ------------------------------------------------------------------------------- loading


def _need(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ScenarioError(f"{where}: missing '{key}'")
    return table[key]


def _str(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default) if default is not None else _need(table, key, where)
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: '{key}' must be text, not {type(value).__name__}")
    return value


def _num(table: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = table.get(key, default) if default is not None else _need(table, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where}: '{key}' must be a number, not {value!r}")
    return float(value)


def _per_platform(value: object, platform: str, where: str, key: str) -> str:
    """A wave's value that may be one text for every platform or a table per platform."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        found = value.get(platform, "")
        if not isinstance(found, str):
            raise ScenarioError(f"{where}: '{key}.{platform}' must be text")
        return found
    raise ScenarioError(f"{where}: '{key}' must be text or a table per platform")


def _public(rng: random.Random, count: int, prefix: str) -> list[Person]:
    """Members of the public, made up deterministically: mostly small accounts, a few larger."""
    people = []
    for n in range(count):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        followers = int(rng.paretovariate(1.3) * 40)
        people.append(Person(id=f"{prefix}-{n}", name=name, kind="citizen", followers=min(followers, 50_000)))
    return people


def _expand_wave(wave: Mapping[str, Any], where: str, rng: random.Random, people: dict[str, Person],
                 accounts: dict[str, SandboxAccount]) -> list[Event]:  # fmt: skip
    wave_id = _str(wave, "id", where)
    start, end = _num(wave, "from", where), _num(wave, "to", where)
    count = int(_num(wave, "count", where))
    if end < start or count < 1:
        raise ScenarioError(f"{where}: needs from <= to and count >= 1")
    platforms = _need(wave, "platforms", where)
    texts = _need(wave, "texts", where)
    if not isinstance(platforms, list) or not platforms or not isinstance(texts, list) or not texts:
        raise ScenarioError(f"{where}: 'platforms' and 'texts' must be non-empty lists")
    kind = _str(wave, "kind", where)
    authors_spec = wave.get("authors", "public")
    if authors_spec == "public":
        pool = _public(rng, max(count, 1), wave_id)
        for person in pool:
            people[person.id] = person
    elif isinstance(authors_spec, list) and all(isinstance(a, str) and a in people for a in authors_spec):
        pool = [people[a] for a in authors_spec]
    else:
        raise ScenarioError(f"{where}: 'authors' must be \"public\" or a list of people ids")
    likes, shares = int(_num(wave, "likes", where, 0)), int(_num(wave, "shares", where, 0))
    events = []
    for n in range(count):
        platform = platforms[n % len(platforms)]
        account = _per_platform(wave.get("account"), platform, where, "account")
        if account not in accounts:
            raise ScenarioError(f"{where}: no account for platform '{platform}' (give account.{platform})")
        at = start + (end - start) * (n / max(count - 1, 1)) ** 0.7  # the pace picks up, then holds
        event_id = f"{wave_id}-{n}"
        thread = _per_platform(wave.get("thread"), platform, where, "thread") or event_id
        reply_to = _per_platform(wave.get("reply_to"), platform, where, "reply_to")
        text = texts[rng.randrange(len(texts))]
        if not isinstance(text, str):
            raise ScenarioError(f"{where}: every text must be text")
        events.append(
            Event(
                id=event_id,
                at=round(at, 3),
                platform=platform,
                account=account,
                kind=kind,
                author=pool[n % len(pool)].id,
                text=text,
                thread=thread,
                reply_to=reply_to,
                subject=_per_platform(wave.get("subject"), platform, where, "subject"),
                visibility="private" if kind in ("dm", "email", "ticket", "ticket_comment") else "public",
                likes=rng.randrange(likes + 1) if likes else 0,
                shares=rng.randrange(shares + 1) if shares else 0,
            )
        )
    return events


def parse_scenario(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Check and expand a scenario read from TOML. Every problem names ``source`` and the field."""
    head = data.get("scenario")
    if not isinstance(head, Mapping):
        raise ScenarioError(f"{source}: missing the [scenario] table")
    seed = int(_num(head, "seed", f"{source} [scenario]", 1))
    rng = random.Random(seed)
    accounts: dict[str, SandboxAccount] = {}
    for n, raw in enumerate(data.get("accounts", [])):
        where = f"{source} accounts[{n}]"
        platform = _str(raw, "platform", where)
        if platform not in PLATFORMS:
            raise ScenarioError(f"{where}: unknown platform '{platform}'; known: {', '.join(sorted(PLATFORMS))}")
        owner = _str(raw, "owner", where, "institution")
        if owner not in ("institution", "leader"):
            raise ScenarioError(f"{where}: owner must be 'institution' or 'leader'")
        account = SandboxAccount(
            _str(raw, "id", where), platform, _str(raw, "handle", where), _str(raw, "name", where), owner
        )
        accounts[account.id] = account
    if not accounts:
        raise ScenarioError(f"{source}: a scenario needs at least one [[accounts]] entry")
    people: dict[str, Person] = {}
    for n, raw in enumerate(data.get("people", [])):
        where = f"{source} people[{n}]"
        kind = _str(raw, "kind", where, "citizen")
        if kind not in PEOPLE_KINDS:
            raise ScenarioError(f"{where}: unknown kind '{kind}'; known: {', '.join(sorted(PEOPLE_KINDS))}")
        handles = raw.get("handles", {})
        if not isinstance(handles, Mapping):
            raise ScenarioError(f"{where}: 'handles' must be a table of platform = handle")
        person = Person(
            id=_str(raw, "id", where),
            name=_str(raw, "name", where),
            kind=kind,
            followers=int(_num(raw, "followers", where, 100)),
            verified=bool(raw.get("verified", False)),
            handles=dict(handles),
        )
        people[person.id] = person
    events: list[Event] = []
    for n, raw in enumerate(data.get("events", [])):
        where = f"{source} events[{n}]"
        event_id = _str(raw, "id", where)
        platform = _str(raw, "platform", where)
        account_id = _str(raw, "account", where)
        if account_id not in accounts or accounts[account_id].platform != platform:
            raise ScenarioError(f"{where}: account '{account_id}' is not a {platform} account of this scenario")
        kind = _str(raw, "kind", where)
        if kind not in KINDS:
            raise ScenarioError(f"{where}: unknown kind '{kind}'; known: {', '.join(sorted(KINDS))}")
        author = _str(raw, "author", where, "")
        if author and author not in people:
            raise ScenarioError(f"{where}: unknown author '{author}'")
        events.append(
            Event(
                id=event_id,
                at=_num(raw, "at", where),
                platform=platform,
                account=account_id,
                kind=kind,
                author=author,
                text=_str(raw, "text", where),
                thread=_str(raw, "thread", where, event_id),
                reply_to=_str(raw, "reply_to", where, ""),
                subject=_str(raw, "subject", where, ""),
                visibility=_str(raw, "visibility", where, "private" if kind in ("dm", "email", "ticket") else "public"),
                likes=int(_num(raw, "likes", where, 0)),
                shares=int(_num(raw, "shares", where, 0)),
                replies=int(_num(raw, "replies", where, 0)),
                views=int(_num(raw, "views", where, 0)),
            )
        )
    for n, raw in enumerate(data.get("waves", [])):
        where = f"{source} waves[{n}]"
        kind = _str(raw, "kind", where)
        if kind not in KINDS:
            raise ScenarioError(f"{where}: unknown kind '{kind}'")
        events.extend(_expand_wave(raw, where, rng, people, accounts))
    ids = [e.id for e in events]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ScenarioError(f"{source}: event ids used twice: {', '.join(dupes[:5])}")
    known = set(ids)
    for event in events:
        if event.reply_to and event.reply_to not in known:
            raise ScenarioError(f"{source}: event '{event.id}' replies to unknown event '{event.reply_to}'")
    events.sort(key=lambda e: (e.at, e.id))
    duration = _num(head, "duration_minutes", f"{source} [scenario]", max((e.at for e in events), default=0) + 1)
    return Scenario(
        id=_str(head, "id", f"{source} [scenario]"),
        title=_str(head, "title", f"{source} [scenario]"),
        title_en=_str(head, "title_en", f"{source} [scenario]", ""),
        description=_str(head, "description", f"{source} [scenario]", ""),
        duration=duration,
        seed=seed,
        accounts=tuple(accounts.values()),
        people=people,
        events=tuple(events),
        source=source,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not a readable TOML file: {exc}") from None


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file. ``include = ["file.toml"]`` in its ``[scenario]`` table puts the
    accounts and people of those files (beside it) before its own."""
    data = _read_toml(path)
    head = data.get("scenario", {})
    includes = head.get("include", []) if isinstance(head, Mapping) else []
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ScenarioError(f"{path} [scenario]: 'include' must be a list of file names")
    for name in reversed(includes):
        shared = _read_toml(path.parent / name)
        for key in ("accounts", "people"):
            data[key] = [*shared.get(key, []), *data.get(key, [])]
    return parse_scenario(data, str(path))


def builtin_scenarios() -> dict[str, Path]:
    """The scenarios shipped with the application, by id (the file name without ``.toml``)."""
    folder = resources.files("omniinbox.sandbox") / "scenarios"
    return {
        entry.name.removesuffix(".toml"): Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml") and not entry.name.startswith("_")
    }


def scenario_named(name: str) -> Scenario:
    """A built-in scenario by id, or a scenario file by path."""
    known = builtin_scenarios()
    if name in known:
        return load_scenario(known[name])
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        return load_scenario(path)
    raise ScenarioError(f"unknown scenario '{name}'; built in: {', '.join(sorted(known))}")


def merged(scenarios: Sequence[Scenario]) -> Iterator[Event]:
    """Events of several scenarios in time order (for a demo that plays more than one)."""
    yield from sorted((e for s in scenarios for e in s.events), key=lambda e: (e.at, e.id))
