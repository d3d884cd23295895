"""Secrets (tokens, passwords) live in the operating system's keyring, behind this small wrapper.

* The database and the settings hold only a *reference* (``secret_ref``), never the secret.
* Every secret read or written is registered with :data:`REDACTOR`, and the log handlers and
  the sync-problem recorder pass text through it, so a token that leaks into an exception
  message is replaced by ``***`` before anyone can see it.
* When the system has no usable keyring backend we say so and refuse, unless the user opts in
  to a plain-text file readable only by them (``allow_plaintext``), which is then named honestly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import threading
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
from jaraco.classes import properties
from keyring.backends import fail

SERVICE = "omniinbox"


class SecretsUnavailable(RuntimeError):
    """No safe place to keep secrets. The message tells the user what to do."""


class Redactor:
    """Replaces every known secret in a text with ``***``."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """A logging filter that redacts known secrets from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = REDACTOR(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, and drop the live exception.
            formatted = logging.Formatter().formatException(record.exc_info)
            cleaned = f"{cleaned}\n{REDACTOR(formatted)}"
            record.exc_info = None
            record.exc_text = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class _NeverChosenAutomatically:
    """keyring picks the viable backend subclass with the highest priority. Ours must only ever
    be used when asked for by name: a priority that raises makes keyring skip them."""

    @properties.classproperty
    def priority(cls: type) -> float:
        raise RuntimeError(f"{cls.__name__} is used only when chosen explicitly")


class MemoryKeyring(_NeverChosenAutomatically, keyring.backend.KeyringBackend):
    """Keeps secrets in this process only: for tests and the demo (said so in the UI)."""

    def __init__(self) -> None:
        super().__init__()
        self._store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


class PlaintextFileKeyring(_NeverChosenAutomatically, keyring.backend.KeyringBackend):
    """Opt-in only: a JSON file readable by its owner alone. Not encrypted; the UI says so."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return dict(json.loads(self.path.read_text(encoding="utf-8")))

    def _save(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x1f{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\x1f{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\x1f{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._save(data)


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring):
        return False
    # The chainer is usable only if it chains something real.
    backends = getattr(backend, "backends", None)
    if backends is not None:
        return any(not isinstance(b, fail.Keyring) for b in backends)
    return True


class SecretStore:
    """Where account secrets are kept. ``description`` names the storage honestly."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, *, secure: bool = True) -> None:
        self._backend = backend or keyring.get_keyring()
        self.secure = secure

    @classmethod
    def system(cls, *, plaintext_fallback: Path | None = None) -> SecretStore:
        """The system keyring; or, only if the user opted in by passing ``plaintext_fallback``,
        an owner-only file. Raises :class:`SecretsUnavailable` otherwise."""
        backend = keyring.get_keyring()
        if _usable(backend):
            return cls(backend, secure=True)
        if plaintext_fallback is not None:
            return cls(PlaintextFileKeyring(plaintext_fallback), secure=False)
        raise SecretsUnavailable(
            "no system keyring is available on this machine, so account secrets cannot be stored safely. "
            "Start or unlock your desktop's keyring (GNOME Keyring, KWallet, macOS Keychain, Windows "
            "Credential Manager), or opt in to a plain-text file readable only by you with "
            "--allow-plaintext-secrets."
        )

    @classmethod
    def in_memory(cls) -> SecretStore:
        return cls(MemoryKeyring(), secure=False)

    @property
    def description(self) -> str:
        backend = self._backend
        if isinstance(backend, MemoryKeyring):
            return "in memory for this session only (nothing is saved)"
        if isinstance(backend, PlaintextFileKeyring):
            return f"a plain-text file readable only by you ({backend.path}); not encrypted"
        return f"the system keyring ({type(backend).__module__.split('.')[-1]}.{type(backend).__name__})"

    def set(self, ref: str, secret: str) -> None:
        REDACTOR.add(secret)
        try:
            self._backend.set_password(SERVICE, ref, secret)
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(f"the keyring refused to store the secret {ref!r}: {type(exc).__name__}") from None

    def get(self, ref: str) -> str | None:
        try:
            secret = self._backend.get_password(SERVICE, ref)
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(f"the keyring refused to read the secret {ref!r}: {type(exc).__name__}") from None
        if secret:
            REDACTOR.add(secret)
        return secret

    def delete(self, ref: str) -> None:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._backend.delete_password(SERVICE, ref)
