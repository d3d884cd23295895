"""The ``omniinbox`` command: the desktop window, and headless subcommands for scripts, servers
and people who like a terminal.

Exit codes: 0 done (problems with single messages are listed, not fatal); 1 nothing could be
done (no file could be read, the cache cannot be opened); 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import getpass
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from omniinbox import __version__, paths
from omniinbox.connectors.base import CheckResult, Connector, ConnectorError
from omniinbox.connectors.http import RateControl
from omniinbox.connectors.registry import NoConnector, build_connector, check_settings, importable_channels, spec_for
from omniinbox.core import Account, Channel, OwnerKind, TagValue, Team, Visibility
from omniinbox.secrets import REDACTOR, RedactingFilter, SecretStore, SecretsUnavailable
from omniinbox.store import outbox, queries
from omniinbox.store.accounts import (
    AccountExists,
    UnknownAccount,
    add_account,
    get_account,
    list_accounts,
    remove_account,
)
from omniinbox.store.cache import Cache
from omniinbox.store.database import CacheError
from omniinbox.sync.engine import AccountReport, SyncEngine
from omniinbox.sync.outbox_sender import OutboxSender, SendReport

log = logging.getLogger("omniinbox")


class CliError(Exception):
    """A failure to report in one line, with exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own messages, without a traceback
        self.print_usage(sys.stderr)
        raise CliError(f"{self.prog}: {message}", code=2)


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


def _cache_path(args: argparse.Namespace) -> Path:
    if args.cache:
        return Path(args.cache).expanduser()
    return paths.default_cache(demo=args.demo)


def _open_cache(args: argparse.Namespace) -> Cache:
    path = _cache_path(args)
    try:
        return Cache.open(path)
    except CacheError as exc:
        raise CliError(str(exc)) from None


def _common(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """Options accepted before and after the command name. Below the top level their default is
    SUPPRESS, so a subcommand does not overwrite what was given before it."""
    extra: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--cache", metavar="PATH", help="the cache file (default: in the platform's data folder)", **extra
    )
    parser.add_argument("--demo", action="store_true", help="act on the demo cache, never on real data", **extra)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to standard error", **extra)


FAULTS_HELP = (
    "bad weather: a share of requests answered 429, 5xx or slowly, on every platform (0.2) or on some"
    " (x=0.3,zendesk=0.5); repeatable"
)


def _demo_options(parser: argparse.ArgumentParser) -> None:
    """How the demo's sandbox plays (with --demo)."""
    group = parser.add_argument_group("demo (with --demo)")
    group.add_argument(
        "--scenario", action="append", default=[], help="a built-in scenario or a .toml file (repeatable; default: all)"
    )
    group.add_argument("--speed", type=float, help="scenario minutes per real minute in live mode (default 30)")
    group.add_argument("--faults", action="append", default=[], metavar="[PLATFORM=]RATE", help=FAULTS_HELP)


def _fault_rates(specs: list[str]) -> dict[str, float]:
    """``--faults 0.2`` (every platform) or ``--faults x=0.3,zendesk=0.5`` (repeatable) as
    platform -> share; ``"*"`` stands for every platform."""
    rates: dict[str, float] = {}
    for spec in specs:
        for part in spec.split(","):
            name, sep, value = part.strip().rpartition("=")
            try:
                rate = float(value)
            except ValueError:
                wrong = part.strip()
                raise CliError(f"--faults takes a share like 0.2 or PLATFORM=0.2, not {wrong!r}", code=2) from None
            if not 0.0 <= rate <= 1.0:
                raise CliError(f"--faults {part.strip()}: the share must be between 0 and 1", code=2)
            rates[name.strip() if sep else "*"] = rate
    return rates


def _filter_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", action="append", default=[], help="only this channel (repeatable)")
    parser.add_argument(
        "--kind", action="append", default=[], help="only this kind: comment, dm, email... (repeatable)"
    )
    parser.add_argument("--tag", metavar="TEAM:VALUE", help="only items a team tagged, e.g. social:protect")


def _item_filter(args: argparse.Namespace) -> queries.ItemFilter:
    try:
        channels = tuple(Channel.parse(c) for c in args.channel)
    except ValueError as exc:
        raise CliError(str(exc), code=2) from None
    tag = None
    if args.tag:
        team, _, value = args.tag.partition(":")
        try:
            tag = (Team(team), TagValue(value))
        except ValueError:
            raise CliError(
                f"--tag {args.tag!r}: expected TEAM:VALUE, TEAM social or contact_center, VALUE promote or protect",
                code=2,
            ) from None
    return queries.ItemFilter(channels=channels, kinds=tuple(args.kind), tag=tag)


# ---------------------------------------------------------------------------- import


def cmd_import(args: argparse.Namespace) -> int:
    from omniinbox.sync.importer import UnsupportedImport, check_supported, import_files

    try:
        channel = Channel.parse(args.channel)
        if channel is not Channel.LISTENING:
            check_supported(channel)  # before the cache is opened: a refused import creates nothing
    except (ValueError, UnsupportedImport) as exc:
        raise CliError(str(exc), code=2) from None
    if channel is Channel.LISTENING:
        return _import_listening(args)
    if args.map:
        raise CliError("--map applies to --channel listening only", code=2)
    files = [Path(p).expanduser() for p in args.paths]
    cache = _open_cache(args)
    progress = _Progress(enabled=not args.quiet and sys.stderr.isatty())
    try:
        last_before = queries.last_problem_id(cache)
        report = import_files(cache, channel, files, account_key=args.account, on_page=progress.update)
        # The first few unreadable messages, oldest first, each naming its file and the reason.
        unreadable = [
            p.reason for p in queries.problems(cache, after_id=last_before, kind="payload", limit=5, oldest_first=True)
        ]
    finally:
        progress.close()
        cache.close()
    for reason in unreadable:
        print(f"omniinbox import: unreadable: {reason}", file=sys.stderr)
    for reason in report.failed_files.values():
        print(f"omniinbox import: {reason}", file=sys.stderr)
    if report.problems:
        print(
            f"omniinbox import: {report.problems} message(s) could not be read; see `omniinbox problems`",
            file=sys.stderr,
        )
    summary = {
        "account": report.account,
        "read": report.items_read,
        "written": report.items_written,
        "unchanged": report.items_read - report.items_written,
        "unreadable": report.problems,
        "failed_files": report.failed_files,
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        noun = "message" if channel is Channel.EMAIL else "item"
        print(
            f"Imported {report.items_read} {noun}(s) into {report.account}: {report.items_written} new or changed,"
            f" {report.items_read - report.items_written} already up to date, {report.problems} unreadable."
        )
    nothing_read = report.items_read == 0 and (report.failed_files or report.problems)
    return 1 if nothing_read else 0


def _import_listening(args: argparse.Namespace) -> int:
    """``import --channel listening``: listening-tool exports into an account per platform."""
    from omniinbox.sync.listening import ListeningImportError, import_listening, parse_mapping

    try:
        mapping = parse_mapping(args.map)
    except ListeningImportError as exc:
        raise CliError(str(exc), code=2) from None
    files = [Path(p).expanduser() for p in args.paths]
    cache = _open_cache(args)
    progress = _Progress(enabled=not args.quiet and sys.stderr.isatty())
    try:
        report = import_listening(
            cache, files, mapping=mapping, prefix=args.account or "listening", on_page=progress.update
        )
    finally:
        progress.close()
        cache.close()
    for reason in report.bad_rows[:10]:
        print(f"omniinbox import: {reason}", file=sys.stderr)
    if len(report.bad_rows) > 10:
        print(f"omniinbox import: {len(report.bad_rows) - 10} more; see `omniinbox problems`", file=sys.stderr)
    for reason in report.failed_files.values():
        print(f"omniinbox import: {reason}", file=sys.stderr)
    summary = {
        "accounts": list(report.accounts),
        "read": report.items_read,
        "written": report.items_written,
        "unchanged": report.items_read - report.items_written,
        "duplicates": report.duplicates,
        "bad_rows": report.refused,
        "failed_files": report.failed_files,
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"Imported {report.items_read} item(s) into {report.account}: {report.items_written} new or changed,"
            f" {report.items_read - report.items_written} already up to date, {report.duplicates} duplicate(s)"
            f" skipped, {report.refused} bad row(s) left out."
        )
    nothing_read = report.items_read == 0 and (report.failed_files or report.refused)
    return 1 if nothing_read else 0


class _Progress:
    """A tqdm bar on standard error while pages are committed (only on a terminal)."""

    def __init__(self, *, enabled: bool) -> None:
        self._bar: Any = None
        self._enabled = enabled
        self._seen: dict[str, int] = {}

    def update(self, _account: object, report: Any) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(unit=" msg", file=sys.stderr, desc="importing")
        before = self._seen.get(report.stream, 0)
        self._bar.update(report.items_read - before)
        self._seen[report.stream] = report.items_read

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# ---------------------------------------------------------------------------- search / stats / export


def _print_rows(rows: Sequence[queries.ItemRow], as_json: bool, out: TextIO) -> None:
    for row in rows:
        if as_json:
            out.write(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")
        else:
            when = row.created_at.strftime("%Y-%m-%d %H:%M")
            who = row.author_name or row.author_handle or "?"
            text = " ".join((row.subject + " — " + row.text if row.subject else row.text).split())
            out.write(f"{when}  {row.channel:<9} {who[:24]:<24} {text[:100]}\n")


def cmd_search(args: argparse.Namespace) -> int:
    cache = _open_cache(args)
    try:
        ids = queries.search(cache, " ".join(args.query), _item_filter(args), limit=args.limit)
        rows = queries.rows(cache, ids)
    except queries.BadQuery as exc:
        raise CliError(str(exc), code=2) from None
    finally:
        cache.close()
    _print_rows(rows, args.json, sys.stdout)
    if not args.json and not rows:
        print("No items match.", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    cache = _open_cache(args)
    try:
        data = queries.stats(cache)
    finally:
        cache.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"Items: {data['items']}   conversations: {data['conversations']}   contacts: {data['contacts']}")
    for channel, n in sorted(data["items_per_channel"].items()):
        print(f"  {channel:<10} {n}")
    for key, info in data["items_per_account"].items():
        leader = "  (leader's account)" if info["leader"] else ""
        print(f"  account {key}: {info['items']}{leader}")
    if data["conversations_per_status"]:
        print("Conversations: " + ", ".join(f"{k} {v}" for k, v in sorted(data["conversations_per_status"].items())))
    if data["tags"]:
        print("Tags: " + ", ".join(f"{k} {v}" for k, v in sorted(data["tags"].items())))
    if data["outbox"]:
        print("Outbox: " + ", ".join(f"{k} {v}" for k, v in sorted(data["outbox"].items())))
    if data["sync_problems"]:
        print(f"Sync problems recorded: {data['sync_problems']} (see `omniinbox problems`)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    cache = _open_cache(args)
    out: TextIO
    try:
        out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
    except OSError as exc:
        cache.close()
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    count = 0
    try:
        items = queries.iter_items(cache, _item_filter(args))
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=queries.EXPORT_FIELDS)
            writer.writeheader()
            for row in items:
                writer.writerow(row.as_dict())
                count += 1
        else:
            for row in items:
                out.write(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")
                count += 1
    finally:
        cache.close()
        if out is not sys.stdout:
            out.close()
    if args.output:
        print(f"Exported {count} item(s) to {args.output}.", file=sys.stderr)
    return 0


def cmd_problems(args: argparse.Namespace) -> int:
    cache = _open_cache(args)
    try:
        rows = queries.problems(cache, limit=args.limit)
    finally:
        cache.close()
    for p in rows:
        print(f"{p.at:%Y-%m-%d %H:%M:%S}  {p.account}  {p.kind}: {p.reason}")
    if not rows:
        print("No problems recorded.")
    return 0


def cmd_issues(args: argparse.Namespace) -> int:
    from omniinbox.triage.cli import IssuesCommandError, run_issues

    with _open_cache(args) as cache:
        try:
            return run_issues(cache, args, sys.stdout)
        except IssuesCommandError as exc:
            raise CliError(str(exc), code=exc.code) from None


# ---------------------------------------------------------------------------- accounts and sync


def _secrets(args: argparse.Namespace) -> SecretStore:
    try:
        return SecretStore.system(
            plaintext_fallback=paths.plaintext_secrets_file()
            if getattr(args, "allow_plaintext_secrets", False)
            else None
        )
    except SecretsUnavailable as exc:
        raise CliError(str(exc)) from None


def _read_secret(args: argparse.Namespace, label: str) -> str:
    if args.secret_stdin:
        secret = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        secret = getpass.getpass(f"{label}: ").strip()
    else:
        raise CliError("give the secret on standard input with --secret-stdin, or run on a terminal to be asked")
    if not secret:
        raise CliError("no secret given")
    return secret


def _settings(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--setting needs NAME=VALUE, not {pair!r}", code=2)
        settings[name.strip()] = value.strip()
    return settings


def _check_account(account: Account, store: SecretStore) -> CheckResult:
    connector = build_connector(account, store.get(account.secret_ref))
    try:
        return connector.check()
    finally:
        connector.close()


def cmd_accounts_add(args: argparse.Namespace) -> int:
    try:
        channel = Channel.parse(args.channel)
        spec = spec_for(channel)
        settings = _settings(args.setting)
        check_settings(channel, settings)
    except (ValueError, NoConnector) as exc:
        raise CliError(str(exc), code=2) from None
    if spec.url_label and not args.url:
        raise CliError(f"{channel.value} accounts need --url ({spec.url_label})", code=2)
    store = _secrets(args)
    secret = _read_secret(args, spec.secret_label)
    key = args.key if ":" in args.key else f"{channel.value}:{args.key}"
    owner = OwnerKind.LEADER if args.leader else OwnerKind.INSTITUTION
    probe = Account(0, key, channel, args.name or key, owner, args.url or "", args.handle or "", key, settings)
    REDACTOR.add(secret)
    if not args.no_check:
        store_for_check = SecretStore.in_memory()
        store_for_check.set(key, secret)
        try:
            result = _check_account(probe, store_for_check)
        except ConnectorError as exc:
            raise CliError(f"the account was not added: {exc}") from None
        if not result.ok:
            raise CliError(f"the account was not added: {'; '.join(result.notes) or 'the check failed'}")
        print(f"checked: {result.identity}; can read: {_yes(result.can_read)}, can reply: {_yes(result.can_reply)}")
        for note in result.notes:
            print(f"  note: {note}")
    with _open_cache(args) as cache:
        try:
            account = add_account(
                cache,
                key,
                channel,
                probe.name,
                owner_kind=owner,
                base_url=probe.base_url,
                handle=probe.handle,
                secret_ref=key,
                settings=settings,
            )
        except AccountExists as exc:
            raise CliError(str(exc)) from None
    store.set(key, secret)
    print(
        f"added {account.key} ({channel.value}{', leader account: replies need approval' if args.leader else ''});"
        f" its secret is kept in {store.description}"
    )
    return 0


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def cmd_accounts_list(args: argparse.Namespace) -> int:
    with _open_cache(args) as cache:
        accounts = list_accounts(cache)
    if args.json:
        for a in accounts:
            print(
                json.dumps(
                    {
                        "key": a.key,
                        "channel": a.channel.value,
                        "name": a.name,
                        "owner": a.owner_kind.value,
                        "url": a.base_url,
                        "enabled": a.enabled,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    if not accounts:
        print("No accounts yet: omniinbox accounts add --help")
    for a in accounts:
        leader = "  [leader]" if a.owner_kind is OwnerKind.LEADER else ""
        print(f"{a.key:32} {a.channel.value:10} {a.name}{leader}")
    return 0


def cmd_accounts_check(args: argparse.Namespace) -> int:
    store = _secrets(args)
    with _open_cache(args) as cache:
        account = _account(cache, args.key)
    try:
        result = _check_account(account, store)
    except (ConnectorError, NoConnector) as exc:
        raise CliError(f"{account.key}: {exc}") from None
    print(f"{account.key}: {result.identity}; can read: {_yes(result.can_read)}, can reply: {_yes(result.can_reply)}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0 if result.ok else 1


def cmd_accounts_remove(args: argparse.Namespace) -> int:
    with _open_cache(args) as cache:
        account = _account(cache, args.key)
        remove_account(cache, account.key)
    if account.secret_ref:
        with contextlib.suppress(SecretsUnavailable, CliError):
            _secrets(args).delete(account.secret_ref)
    print(f"removed {account.key}; its items stay in the cache")
    return 0


def _account(cache: Cache, key: str) -> Account:
    try:
        return get_account(cache, key)
    except UnknownAccount:
        known = ", ".join(a.key for a in list_accounts(cache)) or "none"
        raise CliError(f"no account {key!r}; accounts: {known}") from None


def _start_demo(args: argparse.Namespace, cache: Cache, *, live: bool) -> Any:
    from omniinbox.demo import DemoRefused, start_demo
    from omniinbox.sandbox.hub import DEFAULT_SCENARIOS
    from omniinbox.sandbox.scenario import ScenarioError

    options: dict[str, Any] = {"live": live, "faults": _fault_rates(getattr(args, "faults", []) or [])}
    if getattr(args, "speed", None):
        options["speed"] = args.speed
    try:
        return start_demo(cache, scenarios=getattr(args, "scenario", None) or DEFAULT_SCENARIOS, **options)
    except (DemoRefused, ScenarioError, ValueError) as exc:
        raise CliError(str(exc), code=2) from None
    except OSError as exc:
        raise CliError(f"the sandbox cannot start on loopback: {exc.strerror or exc}") from None


def _fresh_demo_cache(args: argparse.Namespace) -> None:
    from omniinbox.demo import DemoRefused, fresh_demo_cache

    try:
        fresh_demo_cache(_cache_path(args))
    except DemoRefused as exc:
        raise CliError(str(exc), code=2) from None
    except CacheError as exc:
        raise CliError(str(exc)) from None


def cmd_sync_demo(args: argparse.Namespace) -> int:
    """``sync --demo``: the sandbox in this process, a fresh demo cache, the real sync engine."""
    from omniinbox.demo import items_per_channel

    _fresh_demo_cache(args)
    with _open_cache(args) as cache:
        demo = _start_demo(args, cache, live=not args.once)
        if not args.json:
            print(f"Demo: sandbox on http://127.0.0.1:{demo.sandbox.server.port} (loopback only); {demo.secrets_note}.")
        failed = 0
        connector_for = demo.connector_for()
        try:
            while True:
                engine = SyncEngine(cache, connector_for)
                sender = OutboxSender(cache, engine.connector)
                try:
                    for account in demo.accounts:
                        report = engine.sync_account(account)
                        sent = sender.send_due(account_ids=(account.id,))
                        failed += 0 if report.ok else 1
                        _print_sync(account, report, sent, args.json)
                finally:
                    engine.close()
                counts = items_per_channel(cache)
                if args.json:
                    print(json.dumps({"demo": True, "items_per_channel": counts}), flush=True)
                else:
                    total = sum(counts.values())
                    print(f"The demo cache ({cache.path}) holds {total} items:")
                    for channel, n in counts.items():
                        print(f"  {channel:10} {n:6}")
                if args.once:
                    break
                time.sleep(args.interval if args.interval is not None else 3.0)
        finally:
            demo.stop()
    return 1 if failed else 0


def cmd_sync_hub(args: argparse.Namespace) -> int:
    """``sync --hub DSN``: this machine as one of the team's sync workers (``--demo``: the sandbox's
    accounts, registered in the hub, instead of the real ones)."""
    from omniinbox.hub.accounts import add_account as hub_add_account
    from omniinbox.hub.accounts import reconnect_account
    from omniinbox.hub.connection import connect, mask_dsn
    from omniinbox.hub.errors import HubError
    from omniinbox.hub.worker import RoundReport, sync_hub

    demo = None
    if args.demo:
        from omniinbox.demo import DEMO_REF_PREFIX, HEAD_START, LIVE_SPEED, demo_secrets
        from omniinbox.sandbox.hub import DEFAULT_SCENARIOS, start_sandbox

        store, note = demo_secrets()
        scenarios = args.scenario or DEFAULT_SCENARIOS
        demo = start_sandbox(scenarios, live=not args.once, speed=args.speed or LIVE_SPEED, head_start=HEAD_START)
        try:
            with connect(args.hub, application="omniinbox demo setup") as conn:
                for offered in demo.accounts:
                    ref = DEMO_REF_PREFIX + offered.key
                    if reconnect_account(conn, offered.key, base_url=offered.url, settings=offered.settings,
                                         reset_cursors=True) is None:  # fmt: skip
                        hub_add_account(
                            conn, offered.key, Channel(offered.channel), offered.name, base_url=offered.url,
                            handle=offered.handle, secret_ref=ref, settings=offered.settings,
                            owner_kind=OwnerKind.LEADER if offered.leader else OwnerKind.INSTITUTION,
                        )  # fmt: skip
                    store.set(ref, offered.secret)
        except HubError as exc:
            demo.stop()
            raise CliError(f"the demo accounts cannot be registered in the hub {mask_dsn(args.hub)}: {exc}") from None
        except Exception:
            demo.stop()
            raise
        if not args.json:
            print(f"Demo: sandbox on http://127.0.0.1:{demo.server.port} (loopback only); {note}.")
    else:
        store = _secrets(args)
    rate = RateControl.shared()

    def connector_for(account: Account) -> Connector:
        return build_connector(account, store.get(account.secret_ref), rate=rate)

    failed = 0

    def on_round(report: RoundReport) -> None:
        nonlocal failed
        for account_report in report.accounts:
            failed += 0 if account_report.ok else 1
            account = Account(0, account_report.account, Channel(account_report.channel), account_report.account)
            _print_sync(account, account_report, SendReport(), args.json)
        if report.busy and not args.json:
            print(f"busy with another worker: {', '.join(report.busy)}")
        sent = report.sent
        if args.json:
            print(json.dumps({"hub_round": True, "busy": report.busy, "sent": len(sent.sent),
                              "send_failed": len(sent.failed), "assigned": report.assigned}), flush=True)  # fmt: skip
        elif sent.sent or sent.failed:
            print(f"outbox: {len(sent.sent)} sent, {len(sent.failed)} failed")

    try:
        sync_hub(
            args.hub, connector_for, account_keys=tuple(args.account), once=args.once,
            interval=args.interval if args.interval is not None else (3.0 if args.demo else 60.0),
            assign=args.assign, on_round=on_round,
        )  # fmt: skip
    except HubError as exc:
        raise CliError(str(exc)) from None
    finally:
        if demo is not None:
            demo.stop()
    return 1 if failed else 0


def cmd_sync(args: argparse.Namespace) -> int:
    if args.hub:
        return cmd_sync_hub(args)
    if args.demo:
        return cmd_sync_demo(args)
    store = _secrets(args)
    rate = RateControl()

    def connector_for(account: Account) -> Connector:
        return build_connector(account, store.get(account.secret_ref), rate=rate)

    with _open_cache(args) as cache:
        # Accounts filled by imports (mail files, saved answers, listening exports) have no
        # connection (no secret): there is nothing to sync from them.
        wanted = set(args.account)
        accounts = [a for a in list_accounts(cache) if a.enabled and a.secret_ref and (not wanted or a.key in wanted)]
        if args.account and len(accounts) < len(set(args.account)):
            missing = sorted(set(args.account) - {a.key for a in accounts})
            raise CliError(f"no connected account {', '.join(missing)} (imported items have nothing to sync)", code=2)
        if not accounts:
            raise CliError("no accounts to sync: add one with omniinbox accounts add")
        failed = 0
        while True:
            engine = SyncEngine(cache, connector_for)
            sender = OutboxSender(cache, connector_for)
            try:
                for account in accounts:
                    report = engine.sync_account(account)
                    sent = sender.send_due(account_ids=(account.id,))
                    failed += 0 if report.ok else 1
                    _print_sync(account, report, sent, args.json)
            finally:
                engine.close()
            if args.once:
                break
            time.sleep(args.interval if args.interval is not None else 60.0)
    return 1 if failed and failed == len(accounts) else 0


def _print_sync(account: Account, report: AccountReport, sent: SendReport, as_json: bool) -> None:
    stopped = [s.stopped for s in report.streams if s.stopped]
    if as_json:
        print(
            json.dumps(
                {
                    "account": account.key,
                    "channel": account.channel.value,
                    "read": report.items_read,
                    "written": report.items_written,
                    "sent": len(sent.sent),
                    "send_failed": len(sent.failed),
                    "seconds": round(report.seconds, 2),
                    "stopped": stopped,
                },
                ensure_ascii=False,
            )
        )
        return
    line = f"{account.key}: {report.items_read} read, {report.items_written} new or changed"
    if sent.sent or sent.failed:
        line += f"; replies sent {len(sent.sent)}, failed {len(sent.failed)}"
    print(line + (f"; stopped: {'; '.join(stopped)}" if stopped else ""))


def cmd_reply(args: argparse.Namespace) -> int:
    body = " ".join(args.text).strip()
    with _open_cache(args) as cache:
        row = cache.conn.execute("SELECT account_id FROM items WHERE id = ?", (args.item,)).fetchone()
        if row is None:
            raise CliError(f"no item {args.item}; item ids are in the first column of omniinbox search")
        try:
            entry = outbox.enqueue(
                cache,
                account_id=row[0],
                body=body,
                in_reply_to_item_id=args.item,
                visibility=Visibility.PRIVATE if args.note else Visibility.PUBLIC,
            )
        except outbox.OutboxRefused as exc:
            raise CliError(f"the reply was not queued: {exc}") from None
    waits = " (a leader's account: it waits for a supervisor's approval)" if entry.requires_approval else ""
    print(f"reply {entry.id} is {entry.state.value}{waits}; omniinbox sync --once sends what is due")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    if args.approve is not None or args.reject is not None:
        return _review_reply(args)
    with _open_cache(args) as cache:
        rows = outbox.entries(cache, limit=args.limit)
        keys = {a.id: a.key for a in list_accounts(cache)}
    for entry in rows:
        record = {
            "id": entry.id,
            "account": keys.get(entry.account_id, ""),
            "state": entry.state.value,
            "attempts": entry.attempts,
            "reason": entry.last_error,
            "receipt": entry.receipt_id,
            "body": entry.body,
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            reason = f"  ({entry.last_error})" if entry.last_error else ""
            print(f"{entry.id:6} {record['account']:24} {entry.state.value:18}{reason}  {entry.body[:60]}")
    if not rows and not args.json:
        print("The outbox is empty.")
    return 0


def _review_reply(args: argparse.Namespace) -> int:
    """``outbox --approve ID`` / ``--reject ID [--reason TEXT]``: a supervisor's decision on a
    reply waiting on a leader's account, as the person at this desk (``--as LOGIN``)."""
    from omniinbox import usecases

    with _open_cache(args) as cache:
        user = usecases.current_user(cache, args.as_user)
        try:
            if args.approve is not None:
                entry = usecases.approve_reply(cache, user, args.approve)
                print(f"approved by {user.name}: reply {entry.id} is {entry.state.value}; sync sends it")
            else:
                entry = usecases.reject_reply(cache, user, args.reject, args.reason or "")
                print(f"rejected by {user.name}: reply {entry.id} is {entry.state.value}; a note says why")
        except usecases.UseCaseRefused as exc:
            raise CliError(str(exc)) from None
    return 0


def cmd_sandbox_serve(args: argparse.Namespace) -> int:
    from omniinbox.sandbox.hub import DEFAULT_SCENARIOS, apply_faults, start_sandbox
    from omniinbox.sandbox.scenario import ScenarioError

    try:
        sandbox = start_sandbox(
            args.scenario or DEFAULT_SCENARIOS,
            speed=args.speed,
            live=not args.all_at_once,
            port=args.port,
            scale=args.scale,
        )
    except ScenarioError as exc:
        raise CliError(str(exc), code=2) from None
    except OSError as exc:
        raise CliError(f"the sandbox cannot listen on port {args.port}: {exc.strerror or exc}") from None
    try:
        apply_faults(sandbox, _fault_rates(args.faults))
    except ValueError as exc:
        sandbox.stop()
        raise CliError(str(exc), code=2) from None
    if args.json:
        print(
            json.dumps({"port": sandbox.server.port, "accounts": [dataclasses.asdict(a) for a in sandbox.accounts]}),
            flush=True,
        )
    else:
        pace = "all at once" if args.all_at_once else f"{args.speed:g} scenario minutes per minute"
        print(
            f"Sandbox on http://127.0.0.1:{sandbox.server.port} (loopback only), playing"
            f" {', '.join(s.id for s in sandbox.player.scenarios)}, {pace}."
        )
        print("Connect a cache to it with (the tokens are this run's own, not secrets of any real platform):")
        for account in sandbox.accounts:
            print(f"  {account.add_command()}")
        print("Then: omniinbox sync --once   (Ctrl+C stops the sandbox)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()
        return 0


def cmd_selfcheck(args: argparse.Namespace) -> int:
    from omniinbox.selfcheck import header, run_checks

    checks = run_checks()
    if args.json:
        print(json.dumps({"version": __version__, "checks": [dataclasses.asdict(c) for c in checks]}))
    else:
        print(header())
        for check in checks:
            mark = "ok  " if check.ok else ("FAIL" if check.essential else "--  ")
            print(f"{mark} {check.name}: {check.detail}")
    return 0 if all(c.ok for c in checks if c.essential) else 1


def cmd_hub(args: argparse.Namespace) -> int:
    from omniinbox.hub.cli import HubCommandError, run_hub_command

    try:
        return run_hub_command(args)
    except HubCommandError as exc:
        raise CliError(str(exc), code=exc.code) from None


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from omniinbox.ui.app import run
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("omniinbox.ui"):
            raise CliError(
                "this version has no desktop window yet; the headless commands work: omniinbox --help"
            ) from None
        raise CliError(f"the desktop window cannot start: {exc}") from None
    from omniinbox.selfcheck import why_no_window

    problem = why_no_window()
    if problem is not None:
        raise CliError(f"the window cannot open: {problem}")
    if not getattr(args, "hub", None) and not args.demo and not getattr(args, "solo", False) and not args.cache:
        saved = _saved_team_connection()
        if saved is not None:
            args.hub, args.hub_user = saved.dsn, saved.login
    if getattr(args, "hub", None):
        return _gui_team(args, run)
    if args.demo:
        return _gui_demo(args, run)
    return run(_cache_path(args), sync=_background_sync(_cache_path(args)))


def _saved_team_connection() -> Any:
    """The hub connection saved in the settings (enabled), or ``None``; a broken file is said and
    ignored, so the window still opens."""
    from omniinbox import team_settings

    try:
        saved = team_settings.load()
    except team_settings.TeamSettingsError as exc:
        log.warning("the saved hub connection is ignored: %s", exc)
        return None
    return saved if saved is not None and saved.enabled else None


def _gui_team(args: argparse.Namespace, run: Any) -> int:
    """``omniinbox --hub DSN [--user LOGIN]``: the window on this person's team-mode cache (one
    per hub and login, next to the normal cache), kept in step with the hub by its replica loop
    instead of syncing the platforms itself: the hub's workers do that. The password comes from
    the keyring or a prompt, never the command line. With ``--demo`` the demo's sync worker runs
    in the background first, as ``omniinbox sync --hub DSN --demo`` (the DSN's own login, which
    may register the sandbox's accounts), so a second window (``omniinbox --hub DSN --user
    LOGIN``) can work against the same hub."""
    import threading

    from omniinbox.hub.errors import HubError
    from omniinbox.hub.replica import open_desk

    if args.demo:
        worker_args = argparse.Namespace(**vars(args))
        worker_args.once, worker_args.json, worker_args.account = False, False, []
        worker_args.interval, worker_args.assign = 3.0, True

        def work() -> None:
            try:
                cmd_sync_hub(worker_args)
            except CliError as exc:
                log.error("the demo's sync worker stopped: %s", exc)

        threading.Thread(target=work, name="omniinbox-demo-worker", daemon=True).start()
    ask = getpass.getpass if sys.stdin.isatty() else None
    try:
        desk = open_desk(
            args.hub, login=args.hub_user, cache_path=Path(args.cache).expanduser() if args.cache else None, ask=ask
        )
    except HubError as exc:
        raise CliError(str(exc)) from None
    if not desk.online:
        print(f"The hub cannot be reached: working offline on {desk.cache_path}.", file=sys.stderr)
    return int(run(desk.cache_path, demo=args.demo, sync=desk.loop, login=desk.login))


def _background_sync(cache_path: Path) -> Any:
    """The window's sync loop over the real accounts, or ``None`` when there is nothing to sync
    or no keyring to read their secrets from (the window says so)."""
    from omniinbox.account_setup import plaintext_opted_in, secret_store
    from omniinbox.sync.loop import SyncLoop

    try:
        # The plain-text opt-in made in the settings (or with --allow-plaintext-secrets) holds here too.
        store = secret_store(allow_plaintext=plaintext_opted_in())
    except SecretsUnavailable as exc:
        log.warning("background sync is off: %s", exc)
        return None
    rate = RateControl.shared()
    return SyncLoop(cache_path, lambda account: build_connector(account, store.get(account.secret_ref), rate=rate))


def _gui_demo(args: argparse.Namespace, run: Any) -> int:
    from omniinbox.sync.loop import SyncLoop

    path = _cache_path(args)
    _fresh_demo_cache(args)
    with _open_cache(args) as cache:
        demo = _start_demo(args, cache, live=True)
    print(
        f"Demo: sandbox on http://127.0.0.1:{demo.sandbox.server.port} (loopback only), cache {path};"
        f" {demo.secrets_note}.",
        file=sys.stderr,
    )
    loop = SyncLoop(path, demo.connector_for(), interval=3.0, accounts=demo.is_demo_account)
    try:
        return int(run(path, demo=True, sync=loop))
    finally:
        loop.stop()
        demo.stop()


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="omniinbox", description="One inbox for the social media team and the contact center.")
    parser.add_argument("--version", action="version", version=f"omniinbox {__version__}")
    _common(parser, top=True)
    _demo_options(parser)
    team = parser.add_argument_group("team mode")
    team.add_argument("--hub", metavar="DSN", help="open the window on the team hub (PostgreSQL); no password here")
    team.add_argument("--user", dest="hub_user", metavar="LOGIN", help="with --hub: the hub login at this desk")
    team.add_argument("--solo", action="store_true", help="ignore the hub connection saved in the settings")
    parser.set_defaults(func=cmd_gui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", help="import mail files or saved API responses into the cache")
    _common(p)
    p.add_argument(
        "--channel",
        required=True,
        help=f"one of: {importable_channels()}, listening; saved API answers are .json (one answer or a list) or"
        " .jsonl; listening-tool exports are .csv or .jsonl (docs/listening-import.md)",
    )
    p.add_argument(
        "--account",
        help="the account to file the items under (default: CHANNEL:import; with listening, the prefix of one"
        " account per platform, default listening)",
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="listening only: read the export's COLUMN as FIELD (author, handle, followers, text, url, time,"
        " platform); repeat for more",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("search", help="full-text search, newest first")
    _common(p)
    _filter_args(p)
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="one JSON object per hit")
    p.add_argument("query", nargs="+")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", help="counts per channel, account, status, tag")
    _common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("issues", help="the issue radar: open issues with level, reason, counts and deadline")
    _common(p)
    from omniinbox.triage.cli import add_issues_arguments

    add_issues_arguments(p)
    p.set_defaults(func=cmd_issues)

    p = sub.add_parser("export", help="export items as CSV or JSON lines")
    _common(p)
    _filter_args(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("problems", help="what could not be read or sent, newest first")
    _common(p)
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_problems)

    p = sub.add_parser("accounts", help="add, list, check and remove platform accounts")
    acc = p.add_subparsers(title="account commands", metavar="ACTION", parser_class=_Parser, required=True)
    a = acc.add_parser("add", help="connect an account (the secret goes to the keyring, after a check)")
    _common(a)
    a.add_argument("channel", help="zendesk")
    a.add_argument("key", help="a short name, e.g. sukamaju (the account is then zendesk:sukamaju)")
    a.add_argument("--name", help="what people see, e.g. 'Pusat Layanan'")
    a.add_argument("--url", help="the platform address, e.g. https://sukamaju.zendesk.com")
    a.add_argument("--handle", help="the account's handle or address on the platform")
    a.add_argument("--leader", action="store_true", help="an official's personal account: replies need approval")
    a.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE", help="channel setting (repeatable)")
    a.add_argument("--secret-stdin", action="store_true", help="read the secret from standard input")
    a.add_argument("--no-check", action="store_true", help="do not try the credentials before adding")
    plaintext_help = "without a system keyring, keep secrets in a file readable only by you (not encrypted)"
    a.add_argument("--allow-plaintext-secrets", action="store_true", help=plaintext_help)
    a.set_defaults(func=cmd_accounts_add)
    a = acc.add_parser("list", help="the accounts of the cache")
    _common(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_accounts_list)
    a = acc.add_parser("check", help="what the stored credentials can do")
    _common(a)
    a.add_argument("key")
    a.add_argument("--allow-plaintext-secrets", action="store_true", help=argparse.SUPPRESS)
    a.set_defaults(func=cmd_accounts_check)
    a = acc.add_parser("remove", help="forget an account and its secret (its items stay)")
    _common(a)
    a.add_argument("key")
    a.add_argument("--allow-plaintext-secrets", action="store_true", help=argparse.SUPPRESS)
    a.set_defaults(func=cmd_accounts_remove)

    p = sub.add_parser("sync", help="read new messages from every account and send queued replies")
    _common(p)
    p.add_argument("--once", action="store_true", help="one round, then exit (default: keep going)")
    p.add_argument("--interval", type=float, help="seconds between rounds (default 60; 3 in the demo)")
    p.add_argument("--hub", metavar="DSN", help="team mode: sync the hub's accounts into the hub (a sync worker)")
    p.add_argument("--assign", action="store_true", help="with --hub: hand out new work round-robin after each round")
    _demo_options(p)
    p.add_argument("--account", action="append", default=[], metavar="KEY", help="only this account (repeatable)")
    p.add_argument("--json", action="store_true", help="one JSON object per account and round")
    p.add_argument("--allow-plaintext-secrets", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("reply", help="queue a reply to an item (sent by omniinbox sync)")
    _common(p)
    p.add_argument("item", type=int, help="the item's id (first column of search)")
    p.add_argument("text", nargs="+")
    p.add_argument("--note", action="store_true", help="a private note (internal comment) instead of a reply")
    p.set_defaults(func=cmd_reply)

    p = sub.add_parser("outbox", help="replies: awaiting approval, queued, sent, and failed with the reason")
    _common(p)
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    review = p.add_mutually_exclusive_group()
    review.add_argument("--approve", type=int, metavar="ID", help="approve a reply on a leader's account (supervisors)")
    review.add_argument("--reject", type=int, metavar="ID", help="reject it instead (supervisors); --reason says why")
    p.add_argument("--reason", help="with --reject: why, written in a note for the person who wrote the reply")
    p.add_argument("--as", dest="as_user", metavar="LOGIN", help="the user deciding (default: the person at this desk)")
    p.set_defaults(func=cmd_outbox)

    p = sub.add_parser("sandbox", help="the platform simulator, for trying and training without real accounts")
    sandbox = p.add_subparsers(title="sandbox commands", metavar="ACTION", parser_class=_Parser, required=True)
    a = sandbox.add_parser("serve", help="serve the emulated platforms on loopback, playing scenarios")
    a.add_argument("--scenario", action="append", default=[], help="a built-in scenario or a .toml file (repeatable)")
    a.add_argument("--speed", type=float, default=60.0, help="scenario minutes per real minute (default 60)")
    a.add_argument("--all-at-once", action="store_true", help="release every scenario message at once")
    a.add_argument("--faults", action="append", default=[], metavar="[PLATFORM=]RATE", help=FAULTS_HELP)
    a.add_argument("--scale", type=int, default=0, metavar="N", help="add N generated messages (load and soak)")
    a.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    a.add_argument("--json", action="store_true", help="print the accounts as one JSON object")
    a.set_defaults(func=cmd_sandbox_serve, verbose=False)

    p = sub.add_parser("hub", help="the team hub (PostgreSQL): create or upgrade it, add people")
    from omniinbox.hub.cli import add_hub_arguments

    add_hub_arguments(p, parser_class=_Parser)
    p.set_defaults(func=cmd_hub)

    p = sub.add_parser("selfcheck", help="check what works on this machine (database, desktop, keyring)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_selfcheck, verbose=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _setup_logging(args.verbose)
        return int(args.func(args))
    except CliError as exc:
        print(f"omniinbox: {exc}" if not str(exc).startswith("omniinbox") else str(exc), file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("omniinbox: interrupted; everything committed so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
