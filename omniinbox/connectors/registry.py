"""Which channels have a connector, what an account of each needs, and how to build one.

The command line and the desktop's accounts dialog ask :func:`spec_for` what to prompt for
(the secret's name, the settings); the sync engine's ``connector_for`` is :func:`build_connector`;
``omniinbox import --channel C`` reads saved API answers with ``spec_for(C).parse_saved``.
Platform modules are imported only when a connector of theirs is built.

A new platform adds one :class:`ChannelSpec` (here in :data:`SPECS`, or with :func:`register`
from its own module): a builder ``(account, secret, rate) -> Connector`` that imports the
connector module lazily, the settings an account needs, and, if saved answers of the platform
can be imported, a ``parse_saved(body) -> Page``. Every connector built here shares the
process's :meth:`RateControl.shared`, so two accounts on one host spend one budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from omniinbox.connectors.base import AuthenticationError, Connector, PermanentError
from omniinbox.connectors.http import RateControl
from omniinbox.core import Account, Channel, Page


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    label: str
    required: bool = False
    default: str = ""


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    channel: Channel
    title: str
    url_label: str  # what the account's base URL is ("" when the channel has a fixed one)
    secret_label: str  # what the secret is, as the user knows it
    settings: tuple[Setting, ...]
    build: Callable[[Account, str, RateControl], Connector]
    parse_saved: Callable[[Any], Page] | None = None  # saved API answers, for `omniinbox import`


def since_of(account: Account) -> datetime | None:
    """The account's ``since`` setting (where a first sync starts), as an aware time (UTC when no
    zone is given); ``None`` when not set. A bad value is refused naming the account."""
    value = str(account.settings.get("since", "") or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PermanentError(f"account {account.key}: 'since' must be a date like 2026-11-01, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _zendesk(account: Account, secret: str, rate: RateControl) -> Connector:
    from omniinbox.connectors.zendesk import ZendeskConnector

    email = str(account.settings.get("email", "") or "")
    kind = str(account.settings.get("auth", "token") or "token")
    if kind == "oauth":
        return ZendeskConnector(account.base_url, oauth_token=secret, since=since_of(account), rate=rate)
    if not email:
        raise AuthenticationError(
            f"account {account.key}: a Zendesk API token needs the agent's email (setting 'email')"
        )
    return ZendeskConnector(account.base_url, email=email, token=secret, since=since_of(account), rate=rate)


def _zendesk_saved(body: Any) -> Page:
    from omniinbox.connectors.zendesk import parse_saved

    return parse_saved(body)


def _freshdesk(account: Account, secret: str, rate: RateControl) -> Connector:
    from omniinbox.connectors.freshdesk import FreshdeskConnector

    return FreshdeskConnector(account.base_url, api_key=secret, since=since_of(account), rate=rate)


def _freshdesk_saved(body: Any) -> Page:
    from omniinbox.connectors.freshdesk import parse_saved

    return parse_saved(body)


def _zammad(account: Account, secret: str, rate: RateControl) -> Connector:
    from omniinbox.connectors.zammad import ZammadConnector

    return ZammadConnector(account.base_url, token=secret, since=since_of(account), rate=rate)


def _zammad_saved(body: Any) -> Page:
    from omniinbox.connectors.zammad import parse_saved

    return parse_saved(body)


def _chatwoot(account: Account, secret: str, rate: RateControl) -> Connector:
    from omniinbox.connectors.chatwoot import ChatwootConnector

    account_id = str(account.settings.get("account_id", "") or "")
    return ChatwootConnector(account.base_url, token=secret, account_id=account_id, since=since_of(account), rate=rate)


def _chatwoot_saved(body: Any) -> Page:
    from omniinbox.connectors.chatwoot import parse_saved

    return parse_saved(body)


def _email(account: Account, secret: str, rate: RateControl) -> Connector:
    from omniinbox.connectors.email_account import EmailAccountConnector, MailServer

    settings = {k: str(v) for k, v in account.settings.items()}
    address = settings.get("address") or account.handle
    try:
        imap = MailServer(
            settings["imap_host"], int(settings.get("imap_port") or 993), settings.get("imap_security", "tls")
        )
        smtp = MailServer(
            settings["smtp_host"], int(settings.get("smtp_port") or 465), settings.get("smtp_security", "tls")
        )
    except (KeyError, ValueError) as exc:
        raise PermanentError(f"account {account.key}: incomplete mail server settings ({exc})") from None
    folders = tuple(f.strip() for f in settings.get("folders", "INBOX").split(",") if f.strip())
    return EmailAccountConnector(
        address=address,
        username=settings.get("username") or address,
        password=secret,
        imap=imap,
        smtp=smtp,
        folders=folders,
        sent_folder=settings.get("sent_folder") or None,
        ca_file=settings.get("ca_file") or None,
    )


SPECS: dict[Channel, ChannelSpec] = {
    Channel.EMAIL: ChannelSpec(
        Channel.EMAIL,
        "Email (IMAP and SMTP)",
        "",
        "the mailbox password (or an app password)",
        (
            Setting("address", "the mailbox's address", required=True),
            Setting("username", "the login name (default: the address)"),
            Setting("imap_host", "IMAP server", required=True),
            Setting("imap_port", "IMAP port", default="993"),
            Setting("imap_security", "tls or starttls", default="tls"),
            Setting("smtp_host", "SMTP server", required=True),
            Setting("smtp_port", "SMTP port", default="465"),
            Setting("smtp_security", "tls or starttls", default="tls"),
            Setting("folders", "folders to read, comma-separated", default="INBOX"),
            Setting("sent_folder", "where sent replies are filed (e.g. Sent); empty: not filed"),
            Setting("ca_file", "a CA bundle for a server with a private certificate authority"),
        ),
        _email,
    ),
    Channel.ZENDESK: ChannelSpec(
        Channel.ZENDESK,
        "Zendesk Support",
        "https://SUBDOMAIN.zendesk.com",
        "API token (Admin Center > Apps and integrations > Zendesk API), or an OAuth access token",
        (
            Setting("email", "the agent's email (for an API token)", required=False),
            Setting("auth", "token or oauth", default="token"),
            Setting("since", "first sync reads tickets changed since this date (default: 30 days ago)"),
        ),
        _zendesk,
        _zendesk_saved,
    ),
    Channel.FRESHDESK: ChannelSpec(
        Channel.FRESHDESK,
        "Freshdesk",
        "https://DOMAIN.freshdesk.com",
        "the agent's API key (Profile settings > View API key)",
        (Setting("since", "first sync reads tickets updated since this date (default: 30 days ago)"),),
        _freshdesk,
        _freshdesk_saved,
    ),
    Channel.ZAMMAD: ChannelSpec(
        Channel.ZAMMAD,
        "Zammad",
        "https://helpdesk.example.go.id",
        "an access token (Profile > Token Access, with ticket.agent permission)",
        (Setting("since", "first sync reads tickets updated since this date (default: 30 days ago)"),),
        _zammad,
        _zammad_saved,
    ),
    Channel.CHATWOOT: ChannelSpec(
        Channel.CHATWOOT,
        "Chatwoot (WhatsApp, Telegram and web chat inboxes)",
        "https://app.chatwoot.com or your own Chatwoot",
        "a user's access token (Profile settings > Access Token)",
        (
            Setting("account_id", "the Chatwoot account number (in its URLs: /app/accounts/N/...)", required=True),
            Setting("since", "first sync reads conversations active since this date (default: 30 days ago)"),
        ),
        _chatwoot,
        _chatwoot_saved,
    ),
}


# Channels whose spec lives in the connector's own module (as ``SPEC``), loaded when first asked for.
SPEC_MODULES: dict[Channel, str] = {
    Channel.X: "omniinbox.connectors.x",
    Channel.FACEBOOK: "omniinbox.connectors.facebook",
    Channel.INSTAGRAM: "omniinbox.connectors.instagram",
    Channel.YOUTUBE: "omniinbox.connectors.youtube",
    Channel.MASTODON: "omniinbox.connectors.mastodon",
    Channel.TELEGRAM: "omniinbox.connectors.telegram",
}


def _load(channel: Channel) -> ChannelSpec | None:
    spec = SPECS.get(channel)
    if spec is None and channel in SPEC_MODULES:
        import importlib

        module_name = SPEC_MODULES[channel]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        spec = SPECS[channel] = module.SPEC
    return spec


def all_specs() -> dict[Channel, ChannelSpec]:
    """Every channel that can be connected, in the order of :class:`Channel`."""
    return {c: s for c in Channel if (s := _load(c)) is not None}


class NoConnector(LookupError):
    """A channel without a connector in this version."""


def importable_channels() -> str:
    """The channels ``omniinbox import`` reads, in words: mail files, and every channel with a
    saved-answer parser."""
    saved = sorted(c.value for c, s in all_specs().items() if s.parse_saved)
    return ", ".join(["email (.eml, mbox, Maildir)", *saved])


def register(spec: ChannelSpec) -> None:
    """Add (or replace) the spec of ``spec.channel``."""
    SPECS[spec.channel] = spec


def spec_for(channel: Channel) -> ChannelSpec:
    spec = _load(channel)
    if spec is None:
        ready = ", ".join(c.value for c in all_specs())
        raise NoConnector(f"{channel.value} accounts cannot be connected in this version; available: {ready}")
    return spec


def check_settings(channel: Channel, settings: Mapping[str, str]) -> None:
    """Refuse unknown or missing settings with a message naming them."""
    spec = spec_for(channel)
    known = {s.name for s in spec.settings}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(
            f"unknown setting(s) for {channel.value}: {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    missing = [s.name for s in spec.settings if s.required and not settings.get(s.name)]
    if missing:
        raise ValueError(f"{channel.value} accounts need: {', '.join(missing)}")


def build_connector(account: Account, secret: str | None, *, rate: RateControl | None = None) -> Connector:
    """The connector of ``account``. ``secret`` comes from the keyring (``account.secret_ref``)."""
    spec = spec_for(account.channel)
    if not secret:
        raise AuthenticationError(f"account {account.key}: no secret is stored for it (add it again to set one)")
    if spec.url_label and not account.base_url:
        raise PermanentError(f"account {account.key}: no address ({spec.url_label})")
    return spec.build(account, secret, rate or RateControl.shared())
