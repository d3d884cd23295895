"""The tray: its menu, its counts and badge, and desktop notifications shown once per event and
not when switched off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon
from ui_support import Sample, wait_idle

from omniinbox.core import User
from omniinbox.store import actions, issues, notices, outbox
from omniinbox.store.cache import Cache
from omniinbox.ui import format as fmt
from omniinbox.ui.main_window import MainWindow
from omniinbox.ui.settings_dialog import NOTIFY_ASSIGNED_KEY, NOTIFY_FAILED_SENDS_KEY, NOTIFY_MUST_ANSWER_KEY
from omniinbox.ui.tasks import TaskRunner
from omniinbox.ui.tray import Tray, badge_text, badged_icon, plain


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "desktop.ini"), QSettings.Format.IniFormat)


def _tray(qtbot: Any, runner: TaskRunner, user: User, settings: QSettings, window: Any = None) -> Iterator[Tray]:
    tray = Tray(runner, user, window, settings)
    qtbot.waitUntil(lambda: tray._marks is not None and tray.counts is not None, timeout=5000)
    yield tray
    tray.close()


@pytest.fixture
def agent_tray(qtbot: Any, runner: TaskRunner, sample: Sample, settings: QSettings) -> Iterator[Tray]:
    yield from _tray(qtbot, runner, sample.agent, settings)


@pytest.fixture
def supervisor_tray(qtbot: Any, runner: TaskRunner, sample: Sample, settings: QSettings) -> Iterator[Tray]:
    yield from _tray(qtbot, runner, sample.supervisor, settings)


def _free_conversations(sample: Sample, n: int) -> list[int]:
    rows = sample.cache.conn.execute(
        "SELECT id FROM conversations WHERE assignee_id IS NULL ORDER BY id LIMIT ?", (n,)
    ).fetchall()
    return [r[0] for r in rows]


def _assign(qtbot: Any, runner: TaskRunner, cid: int, to: User, by: User) -> None:
    runner.write(lambda cache: actions.assign(cache, [cid], to.id, user_id=by.id))
    wait_idle(qtbot, runner)


def _settle(qtbot: Any, runner: TaskRunner) -> None:
    """Let the tray's look after a change come back."""
    qtbot.wait(50)
    wait_idle(qtbot, runner)
    qtbot.wait(50)
    wait_idle(qtbot, runner)


def test_menu_shows_the_window_and_the_needs_answer_queue(
    qtbot: Any, runner: TaskRunner, sample: Sample, settings: QSettings
) -> None:
    window = MainWindow(runner, sample.agent, settings)
    qtbot.addWidget(window)
    for tray in _tray(qtbot, runner, sample.agent, settings, window):
        texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
        assert texts[0] == "Show OmniInbox" and texts[-1] == "Quit"
        assert texts[1].startswith("Needs answer")
        assert not window.isVisible()
        tray.show_action.trigger()
        assert window.isVisible()
        window.sidebar.select("queue:all")
        tray.needs_answer_action.trigger()
        entry = window.sidebar.current_entry()
        assert entry is not None and entry.key == "queue:needs_answer"
        wait_idle(qtbot, runner)


def test_counts_in_the_tooltip_and_a_badge(
    qtbot: Any, runner: TaskRunner, sample: Sample, agent_tray: Tray, settings: QSettings
) -> None:
    counts = agent_tray.counts
    assert counts is not None
    # the sample was written relative to its own clock (November 2026); it is seen as recent or not
    expected = notices.tray_counts(sample.cache, sample.agent.id, fmt.now_ms())
    assert counts == expected
    tip = agent_tray.icon.toolTip()
    assert "unread in the last 7 days" in tip and "of yours waiting for an answer" in tip
    assert str(counts.waiting) in tip
    # the badge changes the icon's pixels where there is something unread
    assert badge_text(0) == "" and badge_text(5) == "5" and badge_text(120) == "99+" and badge_text(3, True) == "99+"
    base = QIcon()
    assert badged_icon(base, "").isNull()
    badged = badged_icon(base, "7")
    assert not badged.isNull()
    image = badged.pixmap(64, 64).toImage()
    assert image.pixelColor(56, 8).red() > 150  # the red disc at the top right


def test_assignment_is_notified_once(qtbot: Any, runner: TaskRunner, sample: Sample, agent_tray: Tray) -> None:
    first, second = _free_conversations(sample, 2)
    with qtbot.waitSignal(agent_tray.notified, timeout=5000) as blocker:
        _assign(qtbot, runner, first, sample.agent, sample.supervisor)
    kind, title, _text = blocker.args
    assert kind == notices.ASSIGNED and title.startswith("Assigned to you")
    _settle(qtbot, runner)
    assert len(agent_tray.shown) == 1
    # other changes later do not repeat it; another assignment is a new event
    runner.write(lambda cache: actions.mark_read(cache, [sample.cache.conn.execute(
        "SELECT id FROM items ORDER BY id DESC LIMIT 1").fetchone()[0]], True, user_id=sample.agent.id))  # fmt: skip
    _settle(qtbot, runner)
    agent_tray.look()
    _settle(qtbot, runner)
    assert len(agent_tray.shown) == 1
    _assign(qtbot, runner, second, sample.agent, sample.supervisor)
    qtbot.waitUntil(lambda: len(agent_tray.shown) == 2, timeout=5000)
    # taking work oneself is no news
    (third,) = [c for c in _free_conversations(sample, 3) if c not in (first, second)][:1]
    _assign(qtbot, runner, third, sample.agent, sample.agent)
    _settle(qtbot, runner)
    assert len(agent_tray.shown) == 2


def test_switched_off_notifications_are_not_shown(
    qtbot: Any, runner: TaskRunner, sample: Sample, agent_tray: Tray, settings: QSettings
) -> None:
    settings.setValue(NOTIFY_ASSIGNED_KEY, False)
    (cid,) = _free_conversations(sample, 1)
    _assign(qtbot, runner, cid, sample.agent, sample.supervisor)
    _settle(qtbot, runner)
    assert agent_tray.shown == []
    # switched on again: only what happens from then on
    settings.setValue(NOTIFY_ASSIGNED_KEY, True)
    agent_tray.look()
    _settle(qtbot, runner)
    assert agent_tray.shown == []


def _fail_a_reply(cache: Cache, user: User, reason: str) -> int:
    conversation_id, account_id, item_id = cache.conn.execute(
        "SELECT c.id, c.account_id, i.id FROM conversations c JOIN items i ON i.conversation_id = c.id"
        " JOIN accounts a ON a.id = c.account_id WHERE a.owner_kind = 'institution' AND a.channel = 'email'"
        " ORDER BY i.id DESC LIMIT 1"
    ).fetchone()
    entry = outbox.enqueue(
        cache, account_id=account_id, body="Baik, kami proses <b>hari ini</b>.", conversation_id=conversation_id,
        in_reply_to_item_id=item_id, user_id=user.id,
    )  # fmt: skip
    claimed = outbox.claim_next(cache, 1 << 50)
    assert claimed is not None and claimed.id == entry.id
    outbox.mark_failed(cache, entry.id, reason, retry_at_ms=None)
    return entry.id


def test_failed_reply_is_notified_unless_switched_off(
    qtbot: Any, runner: TaskRunner, sample: Sample, agent_tray: Tray, settings: QSettings
) -> None:
    with qtbot.waitSignal(agent_tray.notified, timeout=5000) as blocker:
        runner.write(lambda cache: _fail_a_reply(cache, sample.agent, "403 <script>not allowed</script>"))
    kind, title, text = blocker.args
    assert kind == notices.FAILED_SEND and title.startswith("A reply could not be sent")
    assert "<" not in text and "not allowed" in text  # plain text only
    _settle(qtbot, runner)
    assert len(agent_tray.shown) == 1
    settings.setValue(NOTIFY_FAILED_SENDS_KEY, "false")
    runner.write(lambda cache: _fail_a_reply(cache, sample.agent, "500"))
    _settle(qtbot, runner)
    assert len(agent_tray.shown) == 1


def test_must_answer_goes_to_supervisors_once(
    qtbot: Any, runner: TaskRunner, sample: Sample, supervisor_tray: Tray, agent_tray: Tray, settings: QSettings
) -> None:
    def must_answer(cache: Cache) -> int:
        with cache.write("triage") as tx:
            issue_id = issues.create_issue(tx)
            issues.notify(tx, issue_id, "must_answer", f"Issue #{issue_id} must be answered on every channel")
        return issue_id

    with qtbot.waitSignal(supervisor_tray.notified, timeout=5000) as blocker:
        runner.write(must_answer)
    assert blocker.args[0] == notices.MUST_ANSWER and "must be answered" in blocker.args[2]
    _settle(qtbot, runner)
    assert len(supervisor_tray.shown) == 1
    assert agent_tray.shown == []  # agents do not get these
    settings.setValue(NOTIFY_MUST_ANSWER_KEY, False)
    runner.write(must_answer)
    _settle(qtbot, runner)
    assert len(supervisor_tray.shown) == 1


def test_many_at_once_are_summed_up(qtbot: Any, runner: TaskRunner, sample: Sample, agent_tray: Tray) -> None:
    cids = _free_conversations(sample, 5)
    runner.write(lambda cache: actions.assign(cache, cids, sample.agent.id, user_id=sample.supervisor.id))
    qtbot.waitUntil(lambda: len(agent_tray.shown) == 1, timeout=5000)
    assert agent_tray.shown[0][2] == "5 new notifications"


def test_plain() -> None:
    assert plain("<b>x</b> & y") == "‹b›x‹/b› & y"
