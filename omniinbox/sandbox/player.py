"""Plays scenarios over time for the sandbox's platform emulations.

The player is the sandbox's single source of what "the public" has written so far. Each platform
emulation asks it for the released events of its platform and renders them in its API's shape;
replies the emulation accepts are handed back to the player, which releases them as the
institution's own messages in the same thread (the echo a real platform gives).

Time is compressed: ``speed`` scenario minutes pass per real minute (the demo plays the viral
scenario's four hours in a few minutes). ``live=False`` releases everything at once (tests, load).
``scale(n)`` adds ``n`` generated events with the scenarios' platform mix, for load and soak runs.

Thread-safe: the emulation server answers requests on several threads.
"""

from __future__ import annotations

import bisect
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from omniinbox.sandbox.scenario import Event, Person, SandboxAccount, Scenario

T = TypeVar("T")
ORDER_EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00Z: scenario minute 0 in :meth:`ScenarioPlayer.order_ms`


@dataclass(frozen=True, slots=True)
class Released:
    """An event as the platform shows it now: with its engagement so far and its sequence number
    (the order the sandbox learned of it; emulations use it for ids and cursors)."""

    seq: int
    event: Event
    author: Person | None
    account: SandboxAccount
    likes: int
    shares: int
    replies: int
    views: int


class ScenarioPlayer:
    """Releases the events of ``scenarios`` over time. ``clock`` returns seconds (monotonic)."""

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        *,
        speed: float = 60.0,
        live: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        head_start: float = 0.0,
    ) -> None:
        if not scenarios:
            raise ValueError("a player needs at least one scenario")
        self.scenarios = list(scenarios)
        self.speed = speed
        self.live = live
        self._clock = clock
        # head_start: scenario minutes already played when the player starts (released at once).
        self._started = clock() - max(head_start, 0.0) * 60.0 / max(speed, 0.001)
        self._started_wall = wall_clock() - max(head_start, 0.0) * 60.0 / max(speed, 0.001)
        self._wall_clock = wall_clock
        self._walls: dict[str, float] = {}
        self._lock = threading.Lock()
        self._accounts = {a.id: a for s in scenarios for a in s.accounts}
        self._people: dict[str, Person] = {pid: p for s in scenarios for pid, p in s.people.items()}
        self._duration = max(s.duration for s in scenarios)
        ordered = sorted((e for s in scenarios for e in s.events), key=lambda e: (e.at, e.id))
        self._events: dict[str, Event] = {e.id: e for e in ordered}
        self._seq_of: dict[str, int] = {e.id: n + 1 for n, e in enumerate(ordered)}
        # Per platform, in sequence order: scripted events (released as their minute comes, and
        # sequence order is time order) and extra ones (replies, generated load: out at once).
        self._scripted: dict[str, tuple[list[float], list[int], list[Event]]] = {}
        for n, e in enumerate(ordered):
            times, seqs, events = self._scripted.setdefault(e.platform, ([], [], []))
            times.append(e.at)
            seqs.append(n + 1)
            events.append(e)
        self._extra: dict[str, tuple[list[int], list[Event]]] = {}
        self._threads_cache: dict[str, tuple[tuple[int, int, int], dict[str, list[Released]]]] = {}
        self._next_seq = len(ordered) + 1

    # ------------------------------------------------------------------ time

    def minute(self) -> float:
        """Scenario minutes elapsed (everything is out when not live)."""
        if not self.live:
            return float("inf")
        return (self._clock() - self._started) / 60.0 * self.speed

    def set_speed(self, speed: float) -> None:
        """Change the pace without jumping: the scenario minute reached so far is kept."""
        with self._lock:
            reached = self.minute()
            self.speed = max(speed, 0.001)
            if self.live:
                self._started = self._clock() - reached * 60.0 / self.speed

    def finished(self) -> bool:
        return self.minute() >= self._duration

    def wall_time(self, event: Event) -> float:
        """When the public wrote ``event``, as epoch seconds: live, the real moment it was
        released; otherwise spread over the scenario's span, ending now. Fixed once asked."""
        with self._lock:
            known = self._walls.get(event.id)
            if known is None:
                if event.id.startswith("reply-"):  # accepted just now
                    known = self._wall_clock()
                elif self.live:
                    known = self._started_wall + event.at * 60.0 / self.speed
                else:
                    known = self._started_wall - (self._duration - event.at) * 60.0
                self._walls[event.id] = known
            return known

    def order_ms(self, event: Event) -> int:
        """Where ``event`` stands in the order of release, in milliseconds of scenario time after
        :data:`ORDER_EPOCH_MS`: platforms whose ids grow with time (X, Mastodon) make their ids from
        it, so the same scenario gives the same ids on every run (a reply's minute is when it was
        accepted, after everything already out)."""
        return ORDER_EPOCH_MS + int(event.at * 60_000)

    def order_ms_at(self, wall: float) -> int:
        """:meth:`order_ms` of an event released at the wall time ``wall`` (epoch seconds)."""
        return ORDER_EPOCH_MS + int(self.minute_at(wall) * 60_000)

    def minute_at(self, wall: float) -> float:
        """The scenario minute whose events carry the wall time ``wall`` (epoch seconds): the
        inverse of :meth:`wall_time` for scripted events, for platforms filtering by time."""
        if self.live:
            return (wall - self._started_wall) * self.speed / 60.0
        return self._duration - (self._started_wall - wall) / 60.0

    # ------------------------------------------------------------------ reading

    def accounts(self, platform: str | None = None) -> list[SandboxAccount]:
        return [a for a in self._accounts.values() if platform is None or a.platform == platform]

    def person(self, person_id: str) -> Person | None:
        return self._people.get(person_id)

    def seq_of(self, event_id: str) -> int | None:
        """The sequence number of an event (released or not), for ids that must be stable."""
        return self._seq_of.get(event_id)

    def released(self, platform: str, *, account: str | None = None, after_seq: int = 0,
                 limit: int | None = None) -> list[Released]:  # fmt: skip
        """Events of ``platform`` out so far with a sequence number above ``after_seq``, oldest
        first, optionally of one account, at most ``limit``."""
        minute = self.minute()
        with self._lock:
            times, seqs, events = self._scripted.get(platform, ([], [], []))
            out = bisect.bisect_right(times, minute)
            start = bisect.bisect_right(seqs, after_seq, hi=out)
            chosen = list(zip(seqs[start:out], events[start:out], strict=True))
            extra_seqs, extra_events = self._extra.get(platform, ([], []))
            at = bisect.bisect_right(extra_seqs, after_seq)
            stop = len(extra_seqs) if limit is None else min(len(extra_seqs), at + limit * 4 + 64)
            chosen.extend(zip(extra_seqs[at:stop], extra_events[at:stop], strict=True))
        chosen.sort(key=lambda pair: pair[0])
        if account is not None:
            chosen = [(seq, e) for seq, e in chosen if e.account == account]
        if limit is not None:
            chosen = chosen[:limit]
        return [self._show(seq, e, minute) for seq, e in chosen]

    def _state(self, platform: str) -> tuple[int, int, int]:
        minute = self.minute()
        times = self._scripted.get(platform, ([], [], []))[0]
        extra = self._extra.get(platform, ([], []))[0]
        return bisect.bisect_right(times, minute), len(extra), int(min(minute, self._duration + 1))

    def threads(self, platform: str) -> dict[str, list[Released]]:
        """See :func:`threads`."""
        with self._lock:
            state = self._state(platform)
            cached = self._threads_cache.get(platform)
            if cached is not None and cached[0] == state:
                return cached[1]
        grouped: dict[str, list[Released]] = {}
        for released in self.released(platform):
            grouped.setdefault(released.event.thread, []).append(released)
        with self._lock:
            self._threads_cache[platform] = (state, grouped)
        return grouped

    def event(self, event_id: str) -> Event | None:
        with self._lock:
            return self._events.get(event_id)

    def _show(self, seq: int, event: Event, minute: float) -> Released:
        growth = event.engagement_at(min(minute, self._duration), self._duration)
        author = self._people.get(event.author) if event.author else None
        return Released(
            seq=seq,
            event=event,
            author=author,
            account=self._accounts[event.account],
            likes=growth["likes"],
            shares=growth["shares"],
            replies=growth["replies"],
            views=growth["views"],
        )

    # ------------------------------------------------------------------ writing

    def add_reply(self, account_id: str, in_reply_to: str, text: str, *, kind: str = "reply",
                  visibility: str = "public") -> Released:  # fmt: skip
        """A reply the platform accepted from the institution: released at once in the thread of
        ``in_reply_to`` (an event id), authored by the account itself."""
        with self._lock:
            parent = self._events.get(in_reply_to)
            if parent is None:
                raise KeyError(f"no event {in_reply_to!r} to reply to")
            seq = self._next_seq
            event = Event(
                id=f"reply-{seq}",
                at=min(self.minute(), self._duration),
                platform=parent.platform,
                account=account_id,
                kind=kind,
                author="",
                text=text,
                thread=parent.thread,
                reply_to=parent.id,
                subject=parent.subject,
                visibility=visibility,
            )
            self._add(event)
        return self._show(seq, event, self.minute())

    def add_thread(self, platform: str, account_id: str, text: str, *, subject: str = "", kind: str = "ticket",
                   author: Person | None = None) -> Released:  # fmt: skip
        """A new thread the platform accepted (a ticket an agent created): released at once, its
        first message by ``author`` (registered), or by the account itself when ``None``."""
        with self._lock:
            if author is not None:
                self._people[author.id] = author
            seq = self._next_seq
            event = Event(
                id=f"thread-{seq}",
                at=min(self.minute(), self._duration),
                platform=platform,
                account=account_id,
                kind=kind,
                author=author.id if author is not None else "",
                text=text,
                thread=f"thread-{seq}",
                subject=subject,
            )
            self._add(event)
        return self._show(seq, event, self.minute())

    def add_events(self, events: Iterable[Event]) -> int:
        """Release extra events at once (generated load). Returns how many were added."""
        added = 0
        with self._lock:
            for event in events:
                self._add(event)
                added += 1
        return added

    def _add(self, event: Event) -> None:  # holding the lock
        if event.id in self._events:
            raise ValueError(f"event id {event.id!r} is already used")
        seq = self._next_seq
        self._next_seq += 1
        self._events[event.id] = event
        self._seq_of[event.id] = seq
        seqs, events = self._extra.setdefault(event.platform, ([], []))
        seqs.append(seq)
        events.append(event)

    def register_people(self, people: Iterable[Person]) -> None:
        with self._lock:
            for person in people:
                self._people[person.id] = person


def load_events(scenarios: Sequence[Scenario], count: int, *, seed: int = 1) -> tuple[list[Person], Iterable[Event]]:
    """``count`` generated events with the platform, account and kind mix of ``scenarios`` and
    their texts, deterministic for a ``seed``; and the authors they use. Lazy: good for millions."""
    rng = random.Random(seed)
    templates = [e for s in scenarios for e in s.events if e.author and e.kind != "post"]
    if not templates:
        raise ValueError("the scenarios have no citizen messages to vary")
    authors = [
        Person(id=f"load-{n}", name=f"Warga {n}", followers=int(rng.paretovariate(1.2) * 30)) for n in range(5000)
    ]

    def generate() -> Iterable[Event]:
        for n in range(count):
            template = templates[rng.randrange(len(templates))]
            author = authors[int(rng.paretovariate(1.1)) % len(authors)]
            thread = template.thread if rng.random() < 0.3 else f"load-t{rng.randrange(max(count // 5, 1))}"
            yield Event(
                id=f"load-{seed}-{n}",
                at=0.0,
                platform=template.platform,
                account=template.account,
                kind=template.kind,
                author=author.id,
                text=f"{template.text} ({n})",
                thread=thread,
                reply_to=template.reply_to if thread == template.thread else "",
                subject=template.subject,
                visibility=template.visibility,
                likes=rng.randrange(20),
            )

    return authors, generate()


class PerRelease(Generic[T]):
    """A value an emulation derives from a platform's released threads (tickets by id, a sorted
    list...), built again only when the player released something: a page request then costs its
    page, not the whole platform (at a million generated messages a rebuild per request made a
    full sync quadratic)."""

    def __init__(self, player: ScenarioPlayer, platform: str, build: Callable[[dict[str, list[Released]]], T]) -> None:
        self._player = player
        self._platform = platform
        self._build = build
        self._lock = threading.Lock()
        self._key: object = None
        self._value: T | None = None

    def get(self) -> T:
        grouped = self._player.threads(self._platform)  # the same object while nothing new is out
        with self._lock:
            if self._key is grouped and self._value is not None:
                return self._value
        value = self._build(grouped)
        with self._lock:
            self._key, self._value = grouped, value
        return value


def threads(player: ScenarioPlayer, platform: str) -> dict[str, list[Released]]:
    """The released events of ``platform`` grouped by thread (first event first), in the order
    the threads started: how ticket and chat emulations see conversations. Remembered until an
    event is released or added (or a scenario minute passes, for the engagement counts)."""
    return player.threads(platform)
