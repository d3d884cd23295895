"""Real mail servers for tests: a private Dovecot (IMAP) and an aiosmtpd SMTP server, on loopback.

Dovecot runs from a config of our own in a temporary folder (it refuses to run its login process
as root, and a userdb uid of 0 fails at SELECT: the mail belongs to uid 65534). It is installed by
``.ci/run``; on a machine without it the tests that need it skip, saying so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass(frozen=True, slots=True)
class Dovecot:
    port: int
    user: str
    password: str
    folder: Path


def dovecot_available() -> bool:
    return os.path.exists(DOVECOT) and os.geteuid() == 0


@contextmanager
def dovecot(user: str = "layanan", password: str = "imap-pass-3b7f1c") -> Iterator[Dovecot]:  # noqa: S107 - a test server's
    folder = Path(tempfile.mkdtemp(prefix="omniinbox-dovecot-"))
    folder.chmod(0o755)
    port = free_port()
    mail = folder / "mail"
    mail.mkdir()
    os.chown(mail, NOBODY, NOBODY)
    (folder / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
    config = folder / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
info_log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {NOBODY}
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={NOBODY} gid={NOBODY} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""",
        encoding="utf-8",
    )
    # Dovecot daemonizes; its children keep inherited pipes open, so no output is captured here.
    started = subprocess.run(
        [DOVECOT, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False
    )
    try:
        if started.returncode != 0:
            log = (folder / "dovecot.log").read_text(errors="replace") if (folder / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot did not start (exit {started.returncode}): {log[-500:]}")
        _wait_for(port)
        yield Dovecot(port, user, password, folder)
    finally:
        subprocess.run(
            [DOVECOT, "-c", str(config), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)
