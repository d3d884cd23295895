"""The issue radar's settings page and the key opinion leader registry: thresholds edited by a
supervisor (validated, saved, issues re-assessed), read-only for others; suggestions accepted and
dismissed; identities found by name, linked as one person and unlinked; the author card's actions;
the menu entry; and the Qt-free reads behind them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from ui_support import Sample, wait_idle

from omniinbox.core import User
from omniinbox.store import issues as store
from omniinbox.store import kol_views
from omniinbox.store.cache import Cache
from omniinbox.triage import kol
from omniinbox.triage import settings as triage_settings
from omniinbox.ui.kol_registry import KolRegistryDialog, RadarSettingsPage, check_values
from omniinbox.ui.tasks import TaskRunner


def _suggest(cache: Cache, contact_ids: list[int]) -> None:
    with cache.write("triage") as tx:
        for n, cid in enumerate(contact_ids):
            store.suggest_kol(tx, cid, "journalist", f"{50_000 - n} followers, verified", 100 - n)


def _two_identities(cache: Cache) -> list[int]:
    """Two contacts of one name on two channels (the generator reuses names across channels)."""
    rows = cache.conn.execute(
        "SELECT id, channel FROM contacts WHERE name = (SELECT name FROM contacts GROUP BY name"
        " HAVING count(DISTINCT channel) > 1 ORDER BY name LIMIT 1) ORDER BY id"
    ).fetchall()
    ids: list[int] = []
    channels: set[str] = set()
    for cid, channel in rows:
        if channel not in channels:
            ids.append(cid)
            channels.add(channel)
    return ids[:2]


@pytest.fixture
def page(qtbot: Any, runner: TaskRunner, sample: Sample) -> RadarSettingsPage:
    p = RadarSettingsPage(runner, sample.supervisor)
    qtbot.addWidget(p)
    wait_idle(qtbot, runner)
    return p


@pytest.fixture
def registry(qtbot: Any, runner: TaskRunner, sample: Sample) -> Iterator[KolRegistryDialog]:
    _suggest(sample.cache, [1, 2, 3])
    d = KolRegistryDialog(runner, sample.supervisor)
    qtbot.addWidget(d)
    wait_idle(qtbot, runner)
    yield d


def test_every_threshold_is_shown_with_its_stored_value(page: RadarSettingsPage) -> None:
    names = {f for f in triage_settings.DEFAULTS.as_dict()}
    assert set(page.fields) == names
    assert page.fields["public_authors"].text() == "20"
    assert page.fields["window_hours"].text() == "24"
    assert page.fields["public_authors"].toolTip()  # its meaning
    assert page.editable and not page.note.isVisibleTo(page) and page.save_button.isVisibleTo(page)


def test_a_supervisor_saves_thresholds_and_the_radar_reassesses(
    qtbot: Any, runner: TaskRunner, sample: Sample, page: RadarSettingsPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omniinbox import triage

    updates: list[int] = []
    real = triage.update
    monkeypatch.setattr(triage, "update", lambda cache, *a, **k: updates.append(1) or real(cache, *a, **k))
    page.fields["public_authors"].setText("30")
    page.fields["public_hours"].setText("1.5")
    page.fields["generic_terms"].setText("Pemkot, dinas")
    with qtbot.waitSignal(page.saved, timeout=10_000):
        page.save_button.click()
    saved = triage_settings.load(sample.cache)
    assert (saved.public_authors, saved.public_hours, saved.generic_terms) == (30, 1.5, ("pemkot", "dinas"))
    assert updates, "the radar re-assessed after the save"
    assert "Saved" in page.message.text()
    audit = sample.cache.conn.execute(
        "SELECT count(*) FROM audit_events WHERE action = 'triage.setting' AND user_id = ?", (sample.supervisor.id,)
    ).fetchone()[0]
    assert audit == 3
    page.save()
    assert page.message.text() == "Nothing changed."


def test_bad_values_are_refused_with_the_field_named(
    qtbot: Any, runner: TaskRunner, sample: Sample, page: RadarSettingsPage
) -> None:
    page.fields["window_hours"].setText("0")
    page.fields["issue_min_items"].setText("two")
    page.fields["public_engagement"].setText("0")  # 0 turns it off: allowed
    page.save()
    wait_idle(qtbot, runner)
    text = page.message.text()
    assert "“Grouping window” must be above zero." in text
    assert "“Issue: messages” must be a whole number, not “two”." in text
    assert "Public interest: engagement" not in text
    assert "border" in page.fields["window_hours"].styleSheet()
    assert triage_settings.load(sample.cache) == triage_settings.DEFAULTS


def test_check_values_parses_numbers_and_lists() -> None:
    values, problems = check_values({"window_hours": "12,5", "public_authors": "-3", "generic_hashtags": "#a, b"})
    assert values["window_hours"] == 12.5 and values["generic_hashtags"] == ("#a", "b")
    assert problems == ["“Public interest: authors” must be above zero."]


def test_agents_read_the_thresholds_but_cannot_change_them(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    p = RadarSettingsPage(runner, sample.agent)
    qtbot.addWidget(p)
    wait_idle(qtbot, runner)
    assert not p.editable
    assert p.note.isVisibleTo(p) and "supervisor" in p.note.text()
    assert all(f.isReadOnly() for f in p.fields.values())
    assert not p.save_button.isVisibleTo(p)
    assert p.fields["public_authors"].text() == "20"
    p.save()  # even if called: nothing is written
    wait_idle(qtbot, runner)
    assert triage_settings.load(sample.cache) == triage_settings.DEFAULTS


def test_the_settings_dialog_has_the_radar_page_and_opens_the_registry(
    qtbot: Any, runner: TaskRunner, sample: Sample, tmp_path: Any
) -> None:
    from PySide6.QtWidgets import QWidget

    from omniinbox.ui.settings_dialog import SettingsDialog
    from omniinbox.ui.shortcuts import Shortcuts

    settings = QSettings(str(tmp_path / "d.ini"), QSettings.Format.IniFormat)
    host = QWidget()
    qtbot.addWidget(host)
    dialog = SettingsDialog(runner, sample.supervisor, Shortcuts(host, settings), settings)
    qtbot.addWidget(dialog)
    titles = [dialog.pages.item(i).text() for i in range(dialog.pages.count())]
    assert "Issue radar" in titles
    dialog.show_page(dialog.radar_page)
    assert dialog.stack.currentWidget() is dialog.radar_page
    dialog.radar_page.registry_button.click()
    found = dialog.findChild(KolRegistryDialog, "kol-registry")
    assert found is not None and found.isVisible()
    wait_idle(qtbot, runner)
    found.close()


def test_suggestions_show_why_and_are_accepted_or_dismissed(
    qtbot: Any, runner: TaskRunner, sample: Sample, registry: KolRegistryDialog
) -> None:
    assert [s.contact_id for s in registry.suggestions] == [1, 2, 3]
    assert registry.suggestion_table.rowCount() == 3
    assert "followers" in registry.suggestion_table.item(0, 6).text()
    assert registry.tabs.tabText(1) == "Suggestions (3)"
    registry.suggestion_table.selectRow(0)
    registry.accept_kind.setCurrentIndex(registry.accept_kind.findData("media"))
    registry.accept_button.click()
    wait_idle(qtbot, runner)
    wait_idle(qtbot, runner)
    assert kol.registry(sample.cache)[0].contact_id == 1 and kol.registry(sample.cache)[0].kind == "media"
    assert [p.key for p in registry.people] == [1]
    assert registry.people_table.item(0, 3).text() == "Media"
    assert [s.contact_id for s in registry.suggestions] == [2, 3]

    registry.suggestion_table.selectRow(0)
    registry.dismiss_button.click()
    wait_idle(qtbot, runner)
    wait_idle(qtbot, runner)
    assert [s.contact_id for s in kol.suggestions(sample.cache)] == [3]
    assert "not suggested again" in registry.message.text()

    registry.people_table.selectRow(0)
    registry.unmark_button.click()
    wait_idle(qtbot, runner)
    wait_idle(qtbot, runner)
    assert kol.registry(sample.cache) == []
    assert registry.people == []


def test_identities_are_found_linked_as_one_person_and_unlinked(
    qtbot: Any, runner: TaskRunner, sample: Sample, registry: KolRegistryDialog
) -> None:
    a, b = _two_identities(sample.cache)
    name = store.contacts(sample.cache, [a])[a].name
    registry.search_field.setText(name)
    registry.search(name)
    wait_idle(qtbot, runner)
    ids = [i.contact_id for i in registry.found]
    assert a in ids and b in ids
    registry.found_table.clearSelection()
    from PySide6.QtCore import QItemSelectionModel

    model = registry.found_table.selectionModel()
    for cid in (a, b):
        index = registry.found_table.model().index(ids.index(cid), 0)
        model.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    registry.link_button.click()
    wait_idle(qtbot, runner)
    wait_idle(qtbot, runner)
    assert store.identities(sample.cache, a) == [a, b]
    assert "linked as one person" in registry.message.text()

    # A KOL mark on one of them covers both; the registry shows one person with two handles.
    registry.mark([a], "journalist")
    wait_idle(qtbot, runner)
    wait_idle(qtbot, runner)
    assert [p.contact_ids for p in registry.people] == [sorted([a, b], key=lambda c: _channel(sample, c))]
    assert ", " in registry.people_table.item(0, 1).text()
    assert registry.people[0].items == sum(kol_views.item_stats(sample.cache, c)[0] for c in (a, b))

    registry.unlink([b])
    wait_idle(qtbot, runner)
    wait_idle(qtbot, runner)
    assert store.contacts(sample.cache, [b])[b].person_id is None


def _channel(sample: Sample, cid: int) -> tuple[str, int]:
    return store.contacts(sample.cache, [cid])[cid].channel, cid


def test_linking_one_identity_is_refused_with_a_message(
    qtbot: Any, runner: TaskRunner, sample: Sample, registry: KolRegistryDialog
) -> None:
    registry.link([1])
    wait_idle(qtbot, runner)
    assert registry.message.text() == "choose at least two identities to link"
    registry.link_selected()
    assert "at least two" in registry.message.text()


def test_the_author_card_marks_a_kol_and_finds_the_same_person(qtbot: Any, runner: TaskRunner, sample: Sample) -> None:
    from omniinbox.ui.conversation_pane import ConversationPane

    pane = ConversationPane(runner, sample.supervisor)
    qtbot.addWidget(pane)
    item_id, contact_id = sample.cache.conn.execute(
        "SELECT id, contact_id FROM items WHERE contact_id IS NOT NULL ORDER BY id LIMIT 1"
    ).fetchone()
    pane.show_item(item_id)
    qtbot.waitUntil(lambda: pane.kol_actions.contact_id == contact_id, timeout=5000)
    assert pane.kol_actions.mark_button.isEnabled() and pane.kol_actions.mark_button.text() == "Mark as KOL…"
    with qtbot.waitSignal(pane.message, timeout=5000) as said:
        pane.kol_actions.mark("official")
    assert said.args == ["Marked as a key opinion leader."]
    assert store.contacts(sample.cache, [contact_id])[contact_id].is_kol
    qtbot.waitUntil(lambda: pane.kol_actions.is_kol, timeout=5000)
    assert pane.kol_actions.mark_button.text() == "Unmark KOL"

    dialog = pane.kol_actions.ask_same_person()
    assert dialog is not None and dialog.tabs.currentIndex() == 2
    wait_idle(qtbot, runner)
    assert contact_id in [i.contact_id for i in dialog.found]
    dialog.close()


def test_view_menu_opens_the_registry(qtbot: Any, runner: TaskRunner, sample: Sample, tmp_path: Any) -> None:
    from omniinbox.ui.main_window import MainWindow

    window = MainWindow(runner, sample.supervisor, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.kol_action.trigger()
    dialog = window.findChild(KolRegistryDialog, "kol-registry")
    assert dialog is not None and dialog.isVisible()
    wait_idle(qtbot, runner)
    dialog.close()


def test_reads_use_indexes_and_find_by_name(sample: Sample) -> None:
    conn = sample.cache.conn
    plan = " ".join(
        str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN SELECT count(*) FROM items WHERE contact_id = ?", (1,))
    )
    assert "items_contact" in plan
    assert kol_views.name_query("Kabar @cempaka!") == '{author_name author_handle} : "kabar"* "cempaka"*'
    assert kol_views.name_query("  !! ") is None
    assert kol_views.find_contacts(conn, "#1")[0].contact_id == 1
    assert kol_views.find_contacts(conn, "zzqqxx") == []
    someone = store.contacts(conn, [5])[5]
    assert 5 in [i.contact_id for i in kol_views.find_contacts(conn, someone.name)] or someone.name == ""


def test_people_group_linked_identities(sample: Sample, tmp_path: Any) -> None:
    a, b = _two_identities(sample.cache)
    user: User = sample.supervisor
    kol.link_identities(sample.cache, user, [a, b])
    kol.mark_kol(sample.cache, user, a, "influencer")
    people = kol_views.registry_people(sample.cache)
    assert len(people) == 1 and set(people[0].contact_ids) == {a, b}
    assert people[0].kind == "influencer" and people[0].last_seen is not None
