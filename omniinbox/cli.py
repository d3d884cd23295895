"""The ``omniinbox`` command: the desktop window, and headless subcommands for scripts, servers
and people who like a terminal.

Exit codes: 0 done (problems with single messages are listed, not fatal); 1 nothing could be
done (no file could be read, the cache cannot be opened); 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from omniinbox import __version__, paths
from omniinbox.core import Channel, TagValue, Team
from omniinbox.secrets import RedactingFilter
from omniinbox.store import queries
from omniinbox.store.cache import Cache
from omniinbox.store.database import CacheError

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
    parser.add_argument("--cache", metavar="PATH", help="the cache file (default: in the platform's data folder)",
                        **extra)  # fmt: skip
    parser.add_argument("--demo", action="store_true", help="act on the demo cache, never on real data", **extra)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to standard error", **extra)


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
        check_supported(channel)  # before the cache is opened: a refused import creates nothing
    except (ValueError, UnsupportedImport) as exc:
        raise CliError(str(exc), code=2) from None
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
        print(
            f"Imported {report.items_read} message(s) into {report.account}: {report.items_written} new or changed,"
            f" {report.items_read - report.items_written} already up to date, {report.problems} unreadable."
        )
    nothing_read = report.items_read == 0 and (report.failed_files or report.problems)
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


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from omniinbox.ui.app import run
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("omniinbox.ui"):
            raise CliError(
                "this version has no desktop window yet; the headless commands work: omniinbox --help"
            ) from None
        raise CliError(f"the desktop window cannot start: {exc}") from None
    return run(_cache_path(args), demo=args.demo)


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="omniinbox", description="One inbox for the social media team and the contact center.")
    parser.add_argument("--version", action="version", version=f"omniinbox {__version__}")
    _common(parser, top=True)
    parser.set_defaults(func=cmd_gui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", help="import mail files or saved API responses into the cache")
    _common(p)
    p.add_argument("--channel", required=True, help="email (.eml, mbox, Maildir)")
    p.add_argument("--account", help="the account to file the items under (default: CHANNEL:import)")
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
