"""Per-channel reply rules: lengths (X counted the X way), the kinds of reply each channel has,
messaging windows, and the outbox refusing what the rules refuse while keeping nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omniinbox import channel_rules as rules
from omniinbox import usecases
from omniinbox.channel_rules import check_reply, mastodon_length, x_length
from omniinbox.core import (
    Author,
    Channel,
    Direction,
    Item,
    ItemKind,
    OutboxState,
    OwnerKind,
    Page,
    Visibility,
)
from omniinbox.store import outbox
from omniinbox.store.accounts import add_account
from omniinbox.store.cache import Cache
from omniinbox.store.ingest import ingest_page

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PUBLIC, PRIVATE = Visibility.PUBLIC, Visibility.PRIVATE


def codes(problems: list[rules.Problem]) -> list[str]:
    return [p.code for p in problems]


# ---------------------------------------------------------------------------------- lengths


@pytest.mark.parametrize(
    ("channel", "limit"),
    [
        (Channel.X, 280),
        (Channel.MASTODON, 500),
        (Channel.INSTAGRAM, 2200),
        (Channel.FACEBOOK, 8000),
        (Channel.YOUTUBE, 10000),
        (Channel.TELEGRAM, 4096),
        (Channel.WHATSAPP, 4096),
    ],
)
def test_public_length_boundary(channel: Channel, limit: int) -> None:
    assert check_reply(channel, "a" * limit, PUBLIC) == []
    over = check_reply(channel, "a" * (limit + 1), PUBLIC)
    assert codes(over) == ["too_long"]
    assert over[0].message == f"the reply has {limit + 1} characters; {channel.value} accepts {limit}"


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.ZENDESK, Channel.FRESHDESK, Channel.ZAMMAD])
def test_mail_and_tickets_have_no_length_limit(channel: Channel) -> None:
    assert check_reply(channel, "a" * 200_000, PUBLIC) == []


def test_surrounding_whitespace_is_not_counted() -> None:
    assert check_reply(Channel.X, "  " + "a" * 280 + "\n\n", PUBLIC) == []


def test_x_weighs_urls_as_23() -> None:
    long_url = "https://sukamaju.go.id/layanan/pengaduan/antrean?halaman=12&urut=terbaru"
    assert x_length(long_url) == 23
    assert x_length("see http://a.co") == 4 + 23
    assert x_length("buka sukamaju.go.id.") == 5 + 23 + 1  # a bare domain is a link; the full stop is not
    assert x_length("mail cs@sukamaju.go.id") == len("mail cs@sukamaju.go.id")  # an address is not a link
    text = "Info: " + long_url + " " + "a" * (280 - 6 - 23 - 1)
    assert len(text) > 280 and check_reply(Channel.X, text, PUBLIC) == []
    over = check_reply(Channel.X, text + "b", PUBLIC)
    assert codes(over) == ["too_long"] and "281 characters as X counts them" in over[0].message


def test_x_weighs_emoji_and_cjk_as_two() -> None:
    assert x_length("👾") == 2
    assert x_length("🙋🏽") == 2  # with a skin tone
    assert x_length("👨\u200d👩\u200d👧\u200d👦") == 2  # a ZWJ family of seven code points
    assert x_length("🇮🇩") == 2  # a flag: two regional indicators
    assert x_length("1\ufe0f\u20e3") == 2  # keycap
    assert x_length("❤\ufe0f") == 2
    assert x_length("日本語") == 6
    assert x_length("café") == 4 and x_length("cafe\u0301") == 4  # NFC
    assert x_length("“kutip” – ok") == 12  # general punctuation weighs 1
    assert check_reply(Channel.X, "😀" * 140, PUBLIC) == []
    assert codes(check_reply(Channel.X, "😀" * 140 + "a", PUBLIC)) == ["too_long"]
    assert codes(check_reply(Channel.X, "语" * 141, PUBLIC)) == ["too_long"]
    # Mastodon counts code points: the same 141 characters are well within its 500.
    assert check_reply(Channel.MASTODON, "语" * 141, PUBLIC) == []


def test_mastodon_counts_links_as_23_and_mentions_without_domain() -> None:
    assert mastodon_length("https://sukamaju.go.id/" + "x" * 100) == 23
    assert mastodon_length("@warga@mastodon.social halo") == len("@warga halo")
    assert mastodon_length("sukamaju.go.id") == 14  # Mastodon links only what has a scheme


def test_direct_messages_have_their_own_limits() -> None:
    assert check_reply(Channel.X, "a" * 10_000, PRIVATE) == []  # an X DM
    assert codes(check_reply(Channel.X, "a" * 10_001, PRIVATE)) == ["too_long"]
    assert codes(check_reply(Channel.X, "a" * 300, PUBLIC, kind=ItemKind.DM)) == []
    assert codes(check_reply(Channel.FACEBOOK, "a" * 2001, PUBLIC, kind="dm")) == ["too_long"]
    # Instagram messages are limited in UTF-8 bytes: 500 two-byte letters fill 1,000 bytes.
    assert check_reply(Channel.INSTAGRAM, "é" * 500, PUBLIC, kind="dm") == []
    over = check_reply(Channel.INSTAGRAM, "é" * 501, PUBLIC, kind="dm")
    assert codes(over) == ["too_long"] and over[0].message.startswith("the reply has 1002 bytes")


def test_usecases_delegate() -> None:
    assert usecases.character_limit(Channel.X) == 280 and usecases.character_limit("nonsense") is None
    assert usecases.character_count("🙋🏽 https://sukamaju.go.id/x/y/z", Channel.X) == 2 + 1 + 23
    assert usecases.character_count("🙋🏽") == 2  # code points without a channel
    assert usecases.reply_problem("a" * 281, "x") == "the reply has 281 characters; x accepts 280"
    assert usecases.reply_problem("hi", "youtube", Visibility.PRIVATE) is not None
    assert usecases.reply_problem("", "x") == "the reply is empty"
    assert usecases.CHARACTER_LIMITS[Channel.YOUTUBE] == 10000


# ---------------------------------------------------------------------------------- public or private


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        (Channel.X, ItemKind.MENTION),
        (Channel.MASTODON, ItemKind.MENTION),
        (Channel.FACEBOOK, ItemKind.COMMENT),
        (Channel.ZENDESK, ItemKind.TICKET),
        (Channel.FRESHDESK, ItemKind.TICKET),
        (Channel.ZAMMAD, ItemKind.TICKET),
        (Channel.CHATWOOT, ItemKind.DM),
    ],
)
def test_channels_with_public_and_private_replies(channel: Channel, kind: ItemKind) -> None:
    at = NOW - timedelta(hours=1)
    for visibility in (PUBLIC, PRIVATE):
        assert check_reply(channel, "ok", visibility, kind=kind, item_at=at, last_customer_at=at, now=NOW) == []


@pytest.mark.parametrize(
    ("channel", "kind", "visibility", "words"),
    [
        (Channel.YOUTUBE, ItemKind.COMMENT, PRIVATE, "YouTube has no private replies"),
        (Channel.INSTAGRAM, ItemKind.COMMENT, PRIVATE, "Instagram comments are answered in public only"),
        (Channel.EMAIL, ItemKind.EMAIL, PRIVATE, "email has no private notes"),
        (Channel.TELEGRAM, ItemKind.POST, PRIVATE, "Telegram has no private replies"),
        (Channel.LISTENING, ItemKind.MENTION, PUBLIC, "listening tool cannot be answered"),
        (Channel.LISTENING, ItemKind.MENTION, PRIVATE, "listening tool cannot be answered"),
    ],
)
def test_replies_a_channel_does_not_have(channel: Channel, kind: ItemKind, visibility: Visibility, words: str) -> None:
    problems = check_reply(channel, "ok", visibility, kind=kind)
    assert codes(problems) == ["not_possible" if channel is not Channel.LISTENING else "not_answerable"]
    assert words in problems[0].message and problems[0].blocks


def test_email_reply_and_private_chats() -> None:
    assert check_reply(Channel.EMAIL, "Terima kasih", PUBLIC, kind=ItemKind.EMAIL) == []
    assert check_reply(Channel.TELEGRAM, "ok", PRIVATE, kind=ItemKind.DM) == []  # a private chat with the bot


def test_unknown_channel_or_visibility_is_a_problem_not_a_traceback() -> None:
    assert codes(check_reply("myspace", "hi")) == ["not_possible"]
    assert "unknown channel" in check_reply("myspace", "hi")[0].message
    assert codes(check_reply(Channel.X, "hi", "secret")) == ["not_possible"]


# ---------------------------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("channel", "kind", "inbox", "words"),
    [
        (Channel.FACEBOOK, ItemKind.DM, "", "Messenger's 24-hour window closed on 23 Nov 2026 11:00 UTC"),
        (Channel.INSTAGRAM, ItemKind.DM, "", "Instagram's 24-hour messaging window closed"),
        (Channel.WHATSAPP, ItemKind.DM, "", "WhatsApp's 24-hour customer service window closed"),
        (Channel.CHATWOOT, ItemKind.DM, "whatsapp", "template message"),
        (Channel.CHATWOOT, ItemKind.DM, "Channel::Whatsapp", "WhatsApp's 24-hour"),
    ],
)
def test_24_hour_windows(channel: Channel, kind: ItemKind, inbox: str, words: str) -> None:
    def check(hours_ago: float) -> list[rules.Problem]:
        last = NOW - timedelta(hours=hours_ago)
        return check_reply(channel, "Halo", PUBLIC, kind=kind, last_customer_at=last, now=NOW, inbox=inbox)

    assert check(23) == [] and check(24) == []  # open up to and including the 24th hour
    closed = check(25)
    assert codes(closed) == ["window_closed"] and words in closed[0].message
    assert ":" in closed[0].message  # says what is possible instead


def test_window_unknown_or_not_applicable() -> None:
    old = NOW - timedelta(days=30)
    assert check_reply(Channel.FACEBOOK, "hi", PUBLIC, kind="dm", now=NOW) == []  # unknown: not refused here
    assert check_reply(Channel.FACEBOOK, "hi", PUBLIC, kind="comment", last_customer_at=old, now=NOW) == []
    assert check_reply(Channel.CHATWOOT, "hi", PUBLIC, kind="dm", last_customer_at=old, now=NOW) == []  # web chat
    assert (
        check_reply(Channel.CHATWOOT, "note", PRIVATE, kind="dm", last_customer_at=old, now=NOW, inbox="whatsapp") == []
    )
    assert check_reply(Channel.X, "hi", PRIVATE, kind="dm", last_customer_at=old, now=NOW) == []


def test_facebook_private_reply_to_a_comment_within_7_days_of_it() -> None:
    six_days = NOW - timedelta(days=6)
    assert check_reply(Channel.FACEBOOK, "hi", PRIVATE, kind="comment", item_at=six_days, now=NOW) == []
    late = check_reply(Channel.FACEBOOK, "hi", PRIVATE, kind="comment", item_at=NOW - timedelta(days=8), now=NOW)
    assert codes(late) == ["window_closed"] and "answer in public under the comment" in late[0].message


def test_chatwoot_inbox_from_payload() -> None:
    assert rules.chatwoot_inbox({"conversation": {"meta": {"channel": "Channel::Whatsapp"}}}) == "whatsapp"
    assert rules.chatwoot_inbox({"channel": "Channel::WebWidget"}) == "webwidget"
    assert rules.chatwoot_inbox({"id": 1}) == "" and rules.chatwoot_inbox(None) == ""


def test_leader_approval_is_an_outcome_not_a_refusal() -> None:
    problems = check_reply(Channel.X, "Terima kasih", PUBLIC, leader=True)
    assert codes(problems) == ["approval"] and not problems[0].blocks
    assert problems[0].message == "the reply waits for a supervisor's approval"
    assert rules.first_refusal(problems) is None
    both = check_reply(Channel.X, "a" * 300, PUBLIC, leader=True)
    assert codes(both) == ["too_long", "approval"] and rules.first_refusal(both) is not None


def test_several_problems_are_all_reported() -> None:
    problems = check_reply(
        Channel.FACEBOOK, "a" * 2500, PUBLIC, kind="dm", last_customer_at=NOW - timedelta(days=2), now=NOW
    )
    assert codes(problems) == ["too_long", "window_closed"]
    assert codes(check_reply(Channel.YOUTUBE, "  ", PRIVATE)) == ["empty", "not_possible"]


# ---------------------------------------------------------------------------------- the outbox


def _conversation(
    cache: Cache,
    channel: Channel,
    kind: ItemKind,
    at: datetime,
    *,
    owner: OwnerKind = OwnerKind.INSTITUTION,
    raw: dict[str, object] | None = None,
    settings: dict[str, object] | None = None,
) -> tuple[int, int]:
    account = add_account(cache, f"{channel.value}:test-{owner.value}", channel, "Test", owner_kind=owner,
                          settings=settings)  # fmt: skip
    item = Item(
        external_id="m1",
        kind=kind,
        text="Antrean di kantor kecamatan panjang sekali",
        conversation_id="c1",
        created_at=at,
        author=Author("u1", "Warga", handle="warga"),
        direction=Direction.INBOUND,
        raw=raw,
    )
    ingest_page(cache, account, "s", Page(items=[item]))
    item_id = cache.conn.execute("SELECT id FROM items WHERE account_id = ?", (account.id,)).fetchone()[0]
    return account.id, item_id


def _outbox_rows(cache: Cache) -> int:
    return int(cache.conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def test_outbox_refuses_a_closed_window_and_keeps_nothing(cache: Cache) -> None:
    account_id, item_id = _conversation(cache, Channel.FACEBOOK, ItemKind.DM, NOW - timedelta(hours=30))
    audit_before = cache.conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    with pytest.raises(outbox.OutboxRefused, match="Messenger's 24-hour window closed on 23 Nov 2026 06:00 UTC"):
        outbox.enqueue(cache, account_id=account_id, body="Mohon maaf", in_reply_to_item_id=item_id, now=NOW)
    assert _outbox_rows(cache) == 0
    assert cache.conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] == audit_before
    later = NOW - timedelta(hours=20)
    entry = outbox.enqueue(cache, account_id=account_id, body="Mohon maaf", in_reply_to_item_id=item_id, now=later)
    assert entry.state is OutboxState.QUEUED and _outbox_rows(cache) == 1


def test_outbox_refuses_too_long_and_impossible_replies(cache: Cache) -> None:
    account_id, item_id = _conversation(cache, Channel.X, ItemKind.MENTION, NOW)
    with pytest.raises(outbox.OutboxRefused, match="the reply has 290 characters as X counts them"):
        outbox.enqueue(cache, account_id=account_id, body="🙏" * 145, in_reply_to_item_id=item_id)
    assert outbox.enqueue(cache, account_id=account_id, body="🙏" * 140, in_reply_to_item_id=item_id).id
    yt_account, yt_item = _conversation(cache, Channel.YOUTUBE, ItemKind.COMMENT, NOW)
    with pytest.raises(outbox.OutboxRefused, match="YouTube has no private replies"):
        outbox.enqueue(cache, account_id=yt_account, body="ok", in_reply_to_item_id=yt_item, visibility=PRIVATE)
    assert _outbox_rows(cache) == 1


def test_outbox_reads_a_chatwoot_whatsapp_inbox_from_the_payload(cache: Cache) -> None:
    raw = {"id": 1, "conversation": {"meta": {"channel": "Channel::Whatsapp"}}}
    account_id, item_id = _conversation(cache, Channel.CHATWOOT, ItemKind.DM, NOW - timedelta(days=2), raw=raw)
    with pytest.raises(outbox.OutboxRefused, match="template message"):
        outbox.enqueue(cache, account_id=account_id, body="Halo", in_reply_to_item_id=item_id, now=NOW)
    note = outbox.enqueue(
        cache, account_id=account_id, body="cek dulu", in_reply_to_item_id=item_id, visibility=PRIVATE, now=NOW
    )
    assert note.state is OutboxState.QUEUED


def test_outbox_refuses_replies_on_imported_listening_accounts(cache: Cache) -> None:
    account_id, item_id = _conversation(cache, Channel.X, ItemKind.MENTION, NOW, settings={"source": "listening"})
    with pytest.raises(outbox.OutboxRefused, match="holds imported items"):
        outbox.enqueue(cache, account_id=account_id, body="Halo", in_reply_to_item_id=item_id)
    assert _outbox_rows(cache) == 0


def test_outbox_still_applies_leader_approval(cache: Cache) -> None:
    account_id, item_id = _conversation(cache, Channel.INSTAGRAM, ItemKind.COMMENT, NOW, owner=OwnerKind.LEADER)
    entry = outbox.enqueue(cache, account_id=account_id, body="Terima kasih", in_reply_to_item_id=item_id)
    assert entry.state is OutboxState.AWAITING_APPROVAL and entry.requires_approval
    with pytest.raises(outbox.OutboxRefused, match="Instagram comments are answered in public only"):
        outbox.enqueue(cache, account_id=account_id, body="psst", in_reply_to_item_id=item_id, visibility=PRIVATE)
    assert _outbox_rows(cache) == 1


def test_use_case_reply_reports_the_rule(cache: Cache) -> None:
    from omniinbox.core import Role
    from omniinbox.store.accounts import add_user

    user = add_user(cache, "agen", "Agen", Role.AGENT)
    _account_id, item_id = _conversation(cache, Channel.INSTAGRAM, ItemKind.DM, NOW - timedelta(days=3))
    with pytest.raises(usecases.UseCaseRefused, match="Instagram's 24-hour messaging window closed"):
        usecases.reply(cache, user, item_id, "Halo")
    assert _outbox_rows(cache) == 0
