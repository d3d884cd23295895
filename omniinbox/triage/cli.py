"""``omniinbox issues``: the issue radar on a terminal, for scripts and for supervisors.

    omniinbox issues                     open issues active in the last 7 days, must-answer first
    omniinbox issues --json --level 3    one JSON object per issue
    omniinbox issues --counts            the three counts of the field
    omniinbox issues --brief 12 -o b.html   the issue brief (Bahasa Indonesia) as HTML
    omniinbox issues --settings          the thresholds and what they mean
    omniinbox issues --set public_authors=30 --set public_hours=1   (supervisors)

Triage runs first (it is cheap when nothing changed), unless ``--no-update``. The command line's
``main`` opens the cache and turns :class:`IssuesCommandError` into its one-line message.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from omniinbox.core import Role, to_millis, utcnow
from omniinbox.store.cache import Cache

DAY_MS = 86_400_000


class IssuesCommandError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_issues_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per issue")
    parser.add_argument("--level", type=int, choices=(1, 2, 3), help="only issues at this level")
    parser.add_argument(
        "--days", type=float, default=7.0, help="only issues with messages in the last DAYS days (0: any; default 7)"
    )
    parser.add_argument("--all", action="store_true", help="closed issues too, whenever active")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--counts", action="store_true", help="the three counts: issues, KOLs, public interest")
    parser.add_argument("--brief", type=int, metavar="ID", help="write the brief of issue ID as HTML")
    parser.add_argument("--output", "-o", metavar="FILE", help="where --brief writes (default: standard output)")
    parser.add_argument("--settings", action="store_true", help="show the radar's thresholds and what they mean")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="change a threshold")
    parser.add_argument("--no-update", action="store_true", help="do not triage new messages first")


def run_issues(cache: Cache, args: argparse.Namespace, out: TextIO) -> int:
    from omniinbox import triage
    from omniinbox.triage import radar
    from omniinbox.triage import settings as triage_settings

    if args.set:
        return _set(cache, args.set, out)
    if args.settings:
        current = triage_settings.load(cache).as_dict()
        if args.json:
            out.write(json.dumps(current, ensure_ascii=False) + "\n")
            return 0
        for name, help_text in triage_settings.describe().items():
            out.write(f"{name} = {json.dumps(current[name], ensure_ascii=False)}\n    {help_text}\n")
        from omniinbox.triage.lexicon import FILES, user_folder

        out.write(f"Lexicon: built in; files named {', '.join(FILES)} in {user_folder()} extend it.\n")
        return 0
    if not args.no_update:
        triage.update(cache)
    now = to_millis(utcnow()) or 0
    if args.brief is not None:
        return _brief(cache, args.brief, args.output, out, now)
    since = None if args.all or args.days <= 0 else now - int(args.days * DAY_MS)
    if args.counts:
        counts = radar.counts(cache, active_since_ms=since)
        if args.json:
            out.write(json.dumps(counts) + "\n")
        else:
            out.write(
                f"Open issues: {counts['open_issues']} (level 1: {counts['level_1']}, level 2: {counts['level_2']},"
                f" level 3: {counts['level_3']})\nKey opinion leaders involved: {counts['kols_involved']}\n"
                f"Public interest: {counts['public_interest_items']} items from"
                f" {counts['public_interest_authors']} authors\nMust answer: {counts['must_answer']}\n"
            )
        return 0
    issues = radar.open_issues(
        cache, level=args.level, active_since_ms=since, include_closed=args.all, limit=args.limit, now_ms=now
    )
    for issue in issues:
        if args.json:
            out.write(json.dumps(issue.as_dict(), ensure_ascii=False) + "\n")
            continue
        status = f"L{issue.level}"
        if issue.must_answer and issue.answered is None:
            late = " (OVERDUE)" if issue.overdue else ""
            due = issue.deadline.strftime("%Y-%m-%d %H:%M") if issue.deadline else "?"
            status += f" MUST ANSWER by {due}{late}"
        elif issue.answered is not None:
            status += f" answered {issue.answered:%Y-%m-%d %H:%M}"
        if issue.status == "closed":
            status += " (closed)"
        owner = issue.owner or "unassigned"
        out.write(f"#{issue.id:<5} {status}  owner: {owner}  {issue.title}\n")
        out.write(f"       {issue.reason}\n")
        out.write(
            f"       items {issue.counted_items}  authors {issue.authors}  KOLs {issue.kols}"
            f"  channels {len(issue.channels)} ({', '.join(issue.channels)})\n"
        )
    if not issues and not args.json:
        out.write("No open issues.\n")
    return 0


def _brief(cache: Cache, issue_id: int, output: str | None, out: TextIO, now: int) -> int:
    from omniinbox.triage.brief import BriefRefused, issue_brief_html

    try:
        page = issue_brief_html(cache, issue_id, now_ms=now)
    except BriefRefused as exc:
        raise IssuesCommandError(str(exc)) from None
    if output is None:
        out.write(page)
        return 0
    try:
        Path(output).expanduser().write_text(page, encoding="utf-8")
    except OSError as exc:
        raise IssuesCommandError(f"cannot write {output}: {exc.strerror or exc}") from None
    out.write(f"Brief of issue #{issue_id} written to {output}.\n")
    return 0


def _set(cache: Cache, pairs: list[str], out: TextIO) -> int:
    from omniinbox.triage import settings as triage_settings
    from omniinbox.usecases import current_user

    changes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise IssuesCommandError(f"--set needs NAME=VALUE, not {pair!r}", code=2)
        changes[name.strip()] = value.strip()
    user = current_user(cache)
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise IssuesCommandError(f"{user.login} is not a supervisor; only supervisors change the radar's thresholds")
    try:
        saved = triage_settings.save(cache, user, changes).as_dict()
    except triage_settings.SettingsRefused as exc:
        raise IssuesCommandError(str(exc), code=2) from None
    for name in changes:
        out.write(f"{name} = {json.dumps(saved[name], ensure_ascii=False)}\n")
    return 0
