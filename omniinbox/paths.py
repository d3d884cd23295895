"""Where OmniInbox keeps its files: the platform's data, config and log directories (XDG on
Linux), unless the command line names a cache."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "OmniInbox"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP, appauthor=False))


def default_cache(*, demo: bool = False) -> Path:
    """The local cache. The demo has its own file and never mixes with real data."""
    return data_dir() / ("demo-cache.sqlite" if demo else "cache.sqlite")


def plaintext_secrets_file() -> Path:
    return config_dir() / "secrets-plaintext.json"
