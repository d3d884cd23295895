"""Connecting an account without Qt (shared by the command line and the settings dialog): what is
refused before any network call, the check against the sandbox, the secret in the keyring and only
its name in the cache, removal deleting the secret, adding again after removal, the profile edit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniinbox import account_setup
from omniinbox.account_setup import AccountDraft, SetupRefused
from omniinbox.core import Channel, OwnerKind, Role, Team
from omniinbox.sandbox.hub import Sandbox, start_sandbox
from omniinbox.secrets import SecretStore, SecretsUnavailable
from omniinbox.store.accounts import AccountExists, add_user, get_account
from omniinbox.store.cache import Cache
from omniinbox.usecases import UseCaseRefused


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = start_sandbox(platforms=["zendesk"], live=False)
    yield sb
    sb.stop()


def _draft(sandbox: Sandbox, **changes: object) -> AccountDraft:
    a = sandbox.accounts[0]
    values: dict[str, object] = {
        "channel": a.channel, "key": a.handle, "secret": a.secret, "name": a.name, "url": a.url,
        "settings": dict(a.settings),
    }  # fmt: skip
    values.update(changes)
    return AccountDraft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"channel": "myspace"}, "unknown channel"),
        ({"key": "  "}, "short name"),
        ({"url": ""}, "address"),
        ({"secret": " "}, "no secret"),
        ({"settings": {"colour": "red"}}, "unknown setting"),
    ],
)
def test_what_cannot_make_an_account_is_refused_before_the_network(
    sandbox: Sandbox, changes: dict[str, object], words: str
) -> None:
    with pytest.raises(SetupRefused, match=words) as refused:
        _draft(sandbox, **changes).probe()
    assert isinstance(refused.value, UseCaseRefused)  # the task runner shows it as a refusal


def test_the_draft_never_shows_its_secret(sandbox: Sandbox) -> None:
    assert sandbox.accounts[0].secret not in repr(_draft(sandbox))


def test_add_check_remove_and_add_again(cache: Cache, sandbox: Sandbox, tmp_path: Path) -> None:
    offered = sandbox.accounts[0]
    draft = _draft(sandbox, leader=True)
    probe = draft.probe()
    assert probe.key == offered.key and probe.owner_kind is OwnerKind.LEADER and probe.secret_ref == offered.key
    result = account_setup.check_account(draft)
    assert result.ok and "agent@sukamaju.go.id" in result.identity
    store = SecretStore.in_memory()
    account = account_setup.add_checked_account(cache, draft, store)
    assert account.channel is Channel.ZENDESK and account.is_leader
    assert store.get(account.secret_ref) == offered.secret
    cache.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert offered.secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.rglob("*.sqlite*"))
    with pytest.raises(AccountExists):
        account_setup.add_checked_account(cache, draft, store)
    assert store.get(account.secret_ref) == offered.secret  # a refused add leaves the existing secret

    removed = account_setup.remove_account(cache, account.key, store)
    assert not get_account(cache, removed.key).enabled
    assert store.get(account.secret_ref) is None
    again = account_setup.add_checked_account(cache, _draft(sandbox, name="Again"), store)
    assert again.id == account.id and again.enabled and again.name == "Again" and not again.is_leader
    assert store.get(account.secret_ref) == offered.secret


def test_a_keyring_that_refuses_leaves_no_account(cache: Cache, sandbox: Sandbox) -> None:
    class Refusing(SecretStore):
        def set(self, ref: str, secret: str) -> None:
            raise SecretsUnavailable("locked")

    with pytest.raises(SecretsUnavailable):
        account_setup.add_checked_account(cache, _draft(sandbox), Refusing(secure=False))
    assert cache.conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0


def test_plain_text_only_when_opted_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    monkeypatch.setattr(account_setup.paths, "plaintext_secrets_file", lambda: tmp_path / "plain.json")
    assert not account_setup.keyring_available() and not account_setup.plaintext_opted_in()
    with pytest.raises(SecretsUnavailable, match="--allow-plaintext-secrets"):
        account_setup.secret_store()
    store = account_setup.secret_store(allow_plaintext=True)
    assert not store.secure and "plain-text file" in store.description and "plain.json" in store.description
    store.set("zendesk:x", "s3cret-token")
    assert account_setup.plaintext_opted_in()


def test_the_profile_edit(cache: Cache) -> None:
    user = add_user(cache, "dewi", "Dewi", Role.AGENT)
    changed = account_setup.update_profile(cache, user, name="  Dewi  Lestari ", team=Team.CONTACT_CENTER)
    assert changed.name == "Dewi Lestari" and changed.team is Team.CONTACT_CENTER and changed.role is Role.AGENT
    last = cache.conn.execute("SELECT action FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    assert last[0] == "user.profile"
    with pytest.raises(SetupRefused):
        account_setup.update_profile(cache, user, name="  ", team=None)
