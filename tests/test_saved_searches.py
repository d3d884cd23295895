"""Saved searches per person (stored, audited, renamed, deleted) and @mentions in notes."""

from __future__ import annotations

import pytest

from omniinbox.core import Role, TagValue, Team
from omniinbox.store import mentions, notices, saved_searches
from omniinbox.store.accounts import add_user
from omniinbox.store.cache import Cache
from omniinbox.store.views import ListFilter
from omniinbox.usecases import UseCaseRefused, add_note, delete_search, rename_search, save_search


def test_filters_round_trip_through_json() -> None:
    flt = ListFilter(channels=("x", "email"), account_ids=(3,), team=Team.SOCIAL, statuses=("open",),
                     assignee_id=7, needs_answer=True, tag=(None, TagValue.PROTECT), unread=True)  # fmt: skip
    assert saved_searches.filter_from_json(saved_searches.filter_to_json(flt)) == flt
    assert saved_searches.filter_from_json("not json") == ListFilter()


def test_saved_searches_are_per_person_audited_renamed_and_deleted(cache: Cache) -> None:
    rina = add_user(cache, "rina", "Rina", Role.SOCIAL_OFFICER)
    dewi = add_user(cache, "dewi", "Dewi", Role.AGENT)
    flt = ListFilter(channels=("x",))
    first = save_search(cache, rina, "Banjir", "banjir", flt)
    save_search(cache, dewi, "Banjir", "air", ListFilter())
    assert [s.name for s in saved_searches.saved_searches(cache, rina.id)] == ["Banjir"]
    again = save_search(cache, rina, "Banjir", "banjir bandang", flt)  # same name: replaced
    assert again.id == first.id and again.query == "banjir bandang" and again.filter == flt
    with pytest.raises(UseCaseRefused):
        save_search(cache, rina, "  ", "x", flt)
    with pytest.raises(UseCaseRefused):
        save_search(cache, rina, "Nothing", "", ListFilter())
    other = save_search(cache, rina, "Jalan", "jalan rusak", ListFilter())
    with pytest.raises(UseCaseRefused):
        rename_search(cache, rina, other.id, "Banjir")
    with pytest.raises(UseCaseRefused):
        delete_search(cache, dewi, other.id)  # not hers
    assert rename_search(cache, rina, other.id, "Jalan rusak").name == "Jalan rusak"
    delete_search(cache, rina, first.id)
    assert [s.name for s in saved_searches.saved_searches(cache, rina.id)] == ["Jalan rusak"]
    actions = [r[0] for r in cache.conn.execute("SELECT action FROM audit_events WHERE target LIKE 'saved_search:%'")]
    assert actions.count("search.save") == 4 and "search.rename" in actions and "search.delete" in actions
    plan = " ".join(
        str(r[-1])
        for r in cache.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM saved_searches WHERE user_id = ? ORDER BY name", (rina.id,)
        )
    )
    assert "INDEX" in plan and "SCAN" not in plan


def test_mentions_are_parsed() -> None:
    assert mentions.parse_mentions("@dewi tolong cek, cc @Budi.") == ["dewi", "Budi"]
    assert mentions.parse_mentions("mail a@b.id and @dewi @DEWI") == ["dewi"]


def _conversation_item(cache: Cache) -> int:
    from omniinbox.core import Account, Channel, Direction, Item, ItemKind, Page, utcnow
    from omniinbox.store.accounts import add_account
    from omniinbox.store.ingest import ingest_page

    account: Account = add_account(cache, "x:test", Channel.X, "X")
    item = Item("1", ItemKind.MENTION, "Jalan rusak", "1", utcnow(), direction=Direction.INBOUND)
    ingest_page(cache, account, None, Page(items=[item]))
    return int(cache.conn.execute("SELECT id FROM items").fetchone()[0])


def test_a_note_mentioning_a_login_reaches_the_person(cache: Cache) -> None:
    rina = add_user(cache, "rina", "Rina", Role.SOCIAL_OFFICER)
    dewi = add_user(cache, "dewi", "Dewi", Role.AGENT)
    item_id = _conversation_item(cache)
    before = notices.marks(cache)
    add_note(cache, rina, [item_id], "@dewi bisa dibantu? @nobody @rina")
    assert mentions.mention_item_ids(cache, dewi.id) == [item_id]
    assert mentions.mention_item_ids(cache, rina.id) == []  # one's own mention is no news
    assert mentions.matching(cache, dewi.id, [item_id]) == {item_id}
    found, _ = notices.notices_since(cache, before, user_id=dewi.id)
    assert [(n.kind, n.title) for n in found] == [(notices.MENTIONED, "Rina")]
    assert "bisa dibantu" in found[0].text
    assert notices.notices_since(cache, before, user_id=rina.id)[0] == []
