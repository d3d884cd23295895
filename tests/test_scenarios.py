"""Training scenarios: the shipped files are valid and tell their story; bad files are named."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from omniinbox.sandbox.player import ScenarioPlayer, load_events
from omniinbox.sandbox.scenario import (
    PLATFORMS,
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    parse_scenario,
    scenario_named,
)


def test_the_three_scenarios_ship_and_load() -> None:
    assert {"routine-day", "viral-outage", "good-news"} <= set(builtin_scenarios())
    for name in builtin_scenarios():
        scenario = scenario_named(name)
        assert scenario.events and scenario.title
        assert [e.at for e in scenario.events] == sorted(e.at for e in scenario.events)
        assert all(e.platform in PLATFORMS for e in scenario.events)
        assert all(e.author == "" or e.author in scenario.people for e in scenario.events)


def test_every_channel_has_a_sandbox_account_and_leaders_are_marked() -> None:
    scenario = scenario_named("viral-outage")
    assert {a.platform for a in scenario.accounts} == PLATFORMS
    assert {a.id for a in scenario.accounts if a.owner == "leader"} == {"x-leader", "ig-leader"}


def test_the_viral_complaint_spreads_from_one_platform_to_all_and_to_the_contact_center() -> None:
    scenario = scenario_named("viral-outage")
    first = scenario.events_between(0, 30)
    complaints = [e for e in first if "SukaLayan" in e.text and e.kind == "mention"]
    assert complaints and {e.platform for e in complaints} == {"x"}  # it starts on one platform
    kols = [e for e in scenario.events if e.author and scenario.people[e.author].kind in ("journalist", "kol")]
    later = [e for e in scenario.events if e.at >= kols[0].at]
    assert {e.platform for e in later if "SukaLayan" in e.text} >= {"x", "facebook", "instagram", "zendesk", "email"}
    hoax = [e for e in scenario.events if "bocor" in e.text]
    assert len({e.platform for e in hoax}) >= 3  # the hoax variant travels too


def test_waves_expand_the_same_way_every_time_and_time_can_be_compressed() -> None:
    a, b = scenario_named("routine-day"), scenario_named("routine-day")
    assert a.events == b.events
    fast = a.scaled(60)
    assert fast.duration == pytest.approx(a.duration / 60)
    assert [e.id for e in fast.events] == [e.id for e in a.events]


def test_engagement_grows_after_an_event_and_not_before() -> None:
    scenario = scenario_named("viral-outage")
    kol = next(e for e in scenario.events if e.id == "kol-kabar")
    assert kol.engagement_at(kol.at - 1, scenario.duration)["likes"] == 0
    mid = kol.engagement_at((kol.at + scenario.duration) / 2, scenario.duration)["likes"]
    end = kol.engagement_at(scenario.duration, scenario.duration)["likes"]
    assert 0 < mid < end == kol.likes


_MINIMAL = {
    "scenario": {"id": "t", "title": "T"},
    "accounts": [{"id": "x1", "platform": "x", "handle": "@a", "name": "A"}],
    "people": [{"id": "p", "name": "P"}],
    "events": [{"id": "e1", "at": 1, "platform": "x", "account": "x1", "kind": "mention", "author": "p", "text": "hi"}],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["accounts"][0].update(platform="myspace"), "accounts[0]: unknown platform 'myspace'"),
        (lambda d: d["events"][0].pop("text"), "events[0]: missing 'text'"),
        (lambda d: d["events"][0].update(at="soon"), "events[0]: 'at' must be a number"),
        (lambda d: d["events"][0].update(author="nobody"), "events[0]: unknown author 'nobody'"),
        (lambda d: d["events"][0].update(reply_to="e9"), "replies to unknown event 'e9'"),
        (lambda d: d["events"][0].update(account="fb"), "account 'fb' is not a x account"),
        (lambda d: d.pop("scenario"), "missing the [scenario] table"),
    ],
)
def test_bad_scenarios_are_refused_naming_the_field(change: object, message: str) -> None:
    data = copy.deepcopy(_MINIMAL)
    change(data)  # type: ignore[operator]
    with pytest.raises(ScenarioError, match=re.escape(message)):
        parse_scenario(data, "mine.toml")


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[scenario\nid = ", encoding="utf-8")
    with pytest.raises(ScenarioError, match=re.escape("broken.toml: not a readable TOML file")):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'; built in: good-news"):
        scenario_named("nope")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_player_releases_events_as_scenario_time_passes() -> None:
    clock = FakeClock()
    scenario = scenario_named("viral-outage")
    player = ScenarioPlayer([scenario], speed=60.0, clock=clock)  # one scenario hour per real minute
    assert [r.event.id for r in player.released("x")] == []  # minute 0: nothing on X yet
    clock.now += 10  # ten seconds = ten scenario minutes
    assert [r.event.id for r in player.released("x")] == ["leader-post", "awal"]
    clock.now += 50
    everything = player.released("x")
    assert len(everything) == len([e for e in scenario.events if e.platform == "x" and e.at <= 60])
    seqs = [r.seq for r in everything]
    assert seqs == sorted(seqs)
    later = player.released("x", after_seq=seqs[1], limit=3)
    assert [r.seq for r in later] == seqs[2:5]
    kol = next(r for r in everything if r.event.id == "kol-kabar")
    assert kol.author is not None and kol.author.kind == "journalist" and 0 < kol.likes < kol.event.likes


def test_changing_speed_keeps_the_minute_reached() -> None:
    clock = FakeClock()
    player = ScenarioPlayer([scenario_named("routine-day")], speed=60.0, clock=clock)
    clock.now += 30
    assert player.minute() == pytest.approx(30)
    player.set_speed(600)
    assert player.minute() == pytest.approx(30)
    clock.now += 6
    assert player.minute() == pytest.approx(90)


def test_replies_are_echoed_in_their_thread_and_load_is_added_at_once() -> None:
    player = ScenarioPlayer([scenario_named("viral-outage")], live=False)
    before = player.released("facebook")
    reply = player.add_reply("fb-inst", "kabar-fb", "Mohon maaf, tim kami sedang memulihkan SukaLayan.")
    assert reply.event.thread == "fb-post-jadwal" and reply.event.reply_to == "kabar-fb" and reply.author is None
    after = player.released("facebook", after_seq=before[-1].seq)
    assert [r.event.id for r in after] == [reply.event.id]
    with pytest.raises(KeyError):
        player.add_reply("fb-inst", "no-such-event", "x")
    authors, events = load_events([scenario_named("viral-outage")], 500, seed=3)
    player.register_people(authors)
    assert player.add_events(events) == 500
    _, first = load_events([scenario_named("viral-outage")], 50, seed=3)
    _, second = load_events([scenario_named("viral-outage")], 50, seed=3)
    assert list(first) == list(second)  # deterministic for a seed
    total = sum(len(player.released(p)) for p in PLATFORMS)
    assert total == len(scenario_named("viral-outage").events) + 1 + 500
