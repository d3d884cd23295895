"""Running triage over what the cache has received: :func:`update`.

Call it after each committed page (the sync engine's ``on_page`` callback, the desktop client's
change feed) or on a timer. It reads the items changed after its watermark (``triage_state``; the
``items_seq`` index), so with nothing new it costs two indexed reads and returns. For each new item
within the grouping horizon it

1. normalises the text and extracts what grouping needs (:mod:`omniinbox.triage.text`,
   :mod:`omniinbox.triage.grouping`), and recognises spam;
2. finds the items it may join: postings under its keys and items of its thread, each within the
   grouping window (an id range: item ids are time-ordered), and keeps those
   :func:`~omniinbox.triage.grouping.edge_reason` joins;
3. joins their issues (union by size: the larger issue absorbs the others, unless people have
   split them apart), or starts one;
4. stores its postings and its Promote/Protect suggestion.

Then it refreshes the measures and level of every issue that changed, raises the must-answer
flag (deadline, supervisors' notification) when an issue reaches level 3, suggests key opinion
leaders among the authors it saw, records whether the teams' tags confirmed or overrode the
suggestions, marks must-answer issues answered once their statement went out everywhere, and
forgets postings older than the horizon. Everything is written in transactions of at most
``batch`` items, each moving the watermark with it.

An item is grouped once, as it first arrives; later changes of its engagement refresh its
issue's measures, an edited text does not move it (people move items by hand).

Hooking it in: the sync engine's ``on_page`` callback (``SyncEngine(cache, connector_for,
on_page=lambda _account, _report: triage.update(cache))``), or the desktop client's writer
thread after each committed write; it must run on the connection that writes.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from omniinbox.core import to_millis, utcnow
from omniinbox.store import issues as store
from omniinbox.store.cache import Cache, WriteTx
from omniinbox.store.ingest import id_floor_for
from omniinbox.triage import levels, measures
from omniinbox.triage import settings as settings_mod
from omniinbox.triage.grouping import (
    BURST_MS,
    FLAG_COMPLAINT_WORDS,
    FLAG_DETACHED,
    FLAG_FLOOD,
    FLAG_OUTBOUND,
    FLAG_PRAISE_WORDS,
    FLAG_PRIVATE_THREAD,
    FLAG_SPAM,
    MIN_PAIR_HITS,
    PRIVATE_THREAD_KINDS,
    ItemFeatures,
    decode_terms,
    edge_reason,
    encode_terms,
    grouping_text,
    lookup_keys,
    probe,
)
from omniinbox.triage.lexicon import Lexicon
from omniinbox.triage.settings import TriageSettings
from omniinbox.triage.suggest import in_context, is_spam, suggest
from omniinbox.triage.text import analyze, fold, signed64, unsigned64

DEFAULT_BATCH = 1000
_PURGE_EVERY_MS = 3_600_000
_PURGE_LIMIT = 20_000
_TAG_EVENTS_LIMIT = 5000


@dataclass(slots=True)
class UpdateReport:
    items_seen: int = 0
    items_grouped: int = 0  # new items given their features and issue
    history: int = 0  # new items older than the horizon, left out
    issues_created: int = 0
    issues_merged: int = 0
    issues_refreshed: int = 0
    level_changes: list[tuple[int, int, int]] = field(default_factory=list)  # (issue, from, to)
    must_answer: list[int] = field(default_factory=list)  # issues that became must-answer
    purged: int = 0
    seconds: float = 0.0


def features_of(row: store.FeatureRow) -> ItemFeatures:
    terms, names, common = decode_terms(row.terms)
    return ItemFeatures(
        item_id=row.item_id,
        created_ms=row.created_at,
        conversation_id=row.conversation_id,
        external_id=row.external_id,
        parent_ref=row.parent_ref,
        flags=row.flags,
        terms=terms,
        hashtags=frozenset(row.hashtags.split()),
        links=frozenset(row.links.split()),
        simhash=None if row.simhash is None else unsigned64(row.simhash),
        names=names,
        common=common,
    )


def lexicon_for(settings: TriageSettings, lexicon: Lexicon | None = None) -> Lexicon:
    return (lexicon or Lexicon.default()).with_generic(settings.generic_terms, settings.generic_hashtags)


def update(
    cache: Cache,
    since_seq: int | None = None,
    *,
    now_ms: int | None = None,
    lexicon: Lexicon | None = None,
    batch: int = DEFAULT_BATCH,
) -> UpdateReport:
    """Triage what changed since the watermark (or since ``since_seq``, when given and older:
    items seen before are then only checked for new engagement). ``now_ms`` is the time the
    horizon, velocities and deadlines are reckoned from (default: the clock).

    The first run on a cache reads only the items created within the horizon (by id: ids are
    time-ordered), not the whole cache."""
    started = time.perf_counter()
    report = UpdateReport()
    marks = store.state(cache)
    done_seq = marks.get("seq", 0)
    if since_seq is None and "seq" in marks and cache.last_seq() <= done_seq and not store.dirty_issue_ids(cache):
        return report
    now = now_ms if now_ms is not None else to_millis(utcnow()) or 0
    settings = settings_mod.load(cache)
    lex = lexicon_for(settings, lexicon)
    if since_seq is None and "seq" not in marks:
        _first_run(cache, settings, lex, now, report, marks, batch)
    else:
        cursor = (min(since_seq, done_seq), 0) if since_seq is not None else (done_seq, marks.get("item", 0))
        while True:
            with cache.write("triage") as tx:
                run = _Run(tx, settings, lex, now, report)
                rows = store.items_after(tx.conn, cursor[0], cursor[1], batch)
                more = len(rows) == batch
                if more:
                    cursor = (rows[-1].seq, rows[-1].id)
                values = run.run(rows, marks, finish=not more)
                if more:
                    values.update(seq=cursor[0], item=cursor[1])
                else:  # everything up to this transaction's own writes is read
                    values.update(seq=tx.last_seq, item=0)
                store.set_state(tx, values)
                marks.update(values)
            if not more:
                break
    report.seconds = time.perf_counter() - started
    return report


def _first_run(cache: Cache, settings: TriageSettings, lex: Lexicon, now: int, report: UpdateReport,
               marks: dict[str, int], batch: int) -> None:  # fmt: skip
    """Items created within the horizon, by id; then the watermark is the sequence number the
    cache had when the run began (what was written meanwhile is read by the next run)."""
    begun = marks.get("backfill_seq", cache.last_seq())
    cursor = marks.get("backfill_id", id_floor_for(now - settings.horizon_ms) - 1)
    while True:
        with cache.write("triage") as tx:
            run = _Run(tx, settings, lex, now, report)
            rows = store.items_from_id(tx.conn, cursor, batch)
            more = len(rows) == batch
            if more:
                cursor = rows[-1].id
            values = run.run(rows, marks, finish=not more)
            if more:
                values.update(backfill_seq=begun, backfill_id=cursor)
            else:  # nobody wrote items meanwhile: what this run wrote itself needs no reading
                quiet = not tx.conn.execute("SELECT 1 FROM items WHERE seq > ? LIMIT 1", (begun,)).fetchone()
                values.update(seq=tx.last_seq if quiet else begun, item=0)
            store.set_state(tx, values)
            marks.update(values)
        if not more:
            return


class _Run:
    """One transaction's worth of triage."""

    def __init__(self, tx: WriteTx, settings: TriageSettings, lexicon: Lexicon, now_ms: int,
                 report: UpdateReport) -> None:  # fmt: skip
        self.tx = tx
        self.conn = tx.conn
        self.settings = settings
        self.lexicon = lexicon
        self.now = now_ms
        self.report = report
        self.window = settings.window_ms
        self.dirty: set[int] = set()
        self.authors: Counter[int] = Counter()  # contact -> best engagement seen in this run
        self.contacts: dict[int, store.ContactFacts] = {}
        self.issue_lean: dict[int, tuple[int, int, int]] = {}  # issue -> (level, protect, promote)
        self.purged_to: int | None = None
        self.arrived: Counter[int] = Counter()  # issue -> new messages from the public in this run
        self._accounts: dict[int, store.AccountFacts] | None = None
        self._kol_kinds: dict[int, str] | None = None
        # Stored items' features as grouping reads them, by item id, for this transaction: the new
        # items of a page test the same recent neighbours again and again (about half the reads),
        # and nothing a feature is made of changes while items are grouped (flags change later,
        # in refresh; issues are read apart, by issues_of).
        self._features: dict[int, tuple[int, ItemFeatures]] = {}

    def run(self, rows: Sequence[store.ItemToTriage], marks: dict[str, int], *, finish: bool) -> dict[str, int]:
        """Everything one transaction does; returns the watermarks it moved."""
        self.process(rows)
        values = {"audit": self.tag_outcomes(marks.get("audit", 0))}
        self.suggest_kols()
        self.refresh_dirty()
        self.check_answered()
        if finish:
            self.purge(marks.get("purged", 0))
            if self.purged_to is not None:
                values["purged"] = self.purged_to
        return values

    # ------------------------------------------------------------------ new and changed items

    def process(self, rows: Sequence[store.ItemToTriage]) -> None:
        if not rows:
            return
        self.report.items_seen += len(rows)
        known = store.known_items(self.conn, [r.id for r in rows])
        self.contacts = store.contacts(self.conn, [r.contact_id for r in rows if r.contact_id is not None])
        horizon = self.now - self.settings.horizon_ms
        for row in rows:
            seen = known.get(row.id)
            if seen is not None:
                issue_id, engagement = seen
                if engagement != row.engagement:
                    store.set_engagement(self.tx, row.id, row.engagement)
                    if issue_id is not None:
                        self.dirty.add(issue_id)
                continue
            if row.created_at < horizon:
                self.report.history += 1
                continue
            self._new_item(row)

    def _new_item(self, row: store.ItemToTriage) -> None:
        text = f"{row.subject}\n{row.text}" if row.subject else row.text
        analysis = analyze(text, self.lexicon)
        grouping = grouping_text(analysis, self.lexicon)
        outbound = row.direction == "out"
        spam = [] if outbound else is_spam(analysis.words, text, self.lexicon)
        own_words = suggest(analysis.words, text, self.lexicon)
        flags = (
            (FLAG_OUTBOUND if outbound else 0)
            | (FLAG_SPAM if spam else 0)
            | (FLAG_PRIVATE_THREAD if row.kind in PRIVATE_THREAD_KINDS else 0)
            | (FLAG_PRAISE_WORDS if own_words.value == "promote" else 0)
            | (FLAG_COMPLAINT_WORDS if own_words.value == "protect" else 0)
        )
        parent = row.parent_external_id
        features = ItemFeatures(
            item_id=row.id,
            created_ms=row.created_at,
            conversation_id=row.conversation_id,
            external_id=row.external_id,
            parent_ref=None if parent is None else (row.conversation_external_id if parent == "" else parent),
            flags=flags,
            terms=grouping.terms,
            hashtags=frozenset(grouping.hashtags),
            links=frozenset(grouping.links),
            simhash=grouping.simhash,
            names=frozenset(grouping.names),
            common=frozenset(grouping.common),
        )
        keys = lookup_keys(features)
        issue_id = None if spam else self._join(features, self._neighbours(features))
        store.insert_item(
            self.tx, row.id, issue_id, flags, row.engagement,
            None if grouping.simhash is None else signed64(grouping.simhash),
            encode_terms(grouping.terms, grouping.names, grouping.common), grouping.hashtags, grouping.links,
        )  # fmt: skip
        store.insert_keys(self.tx, row.id, keys)
        self.report.items_grouped += 1
        # the suggestion, with the item's context
        contact = self.contacts.get(row.contact_id) if row.contact_id is not None else None
        if spam:
            store.save_suggestion(self.tx, row.id, None, 0, "spam: " + ", ".join(repr(s) for s in spam[:3]))
        elif not outbound:
            level, protect, promote = self._lean(issue_id)
            suggestion = in_context(
                own_words,
                issue_id=issue_id,
                issue_level=level,
                issue_protect=protect,
                issue_promote=promote,
                by_kol=bool(contact and contact.is_kol),
                outbound=False,
            )
            store.save_suggestion(self.tx, row.id, suggestion.value, suggestion.score, suggestion.reason)
            if row.contact_id is not None:
                self.authors[row.contact_id] = max(self.authors[row.contact_id], row.engagement)

    def _neighbours(self, f: ItemFeatures) -> list[tuple[int | None, int]]:
        """``(issue id, item id)`` of the items ``f`` joins."""
        if f.spam:
            return []
        lo = id_floor_for(f.created_ms - self.window)
        hi = id_floor_for(f.created_ms + self.window + 1) - 1
        candidates: set[int] = set()
        p = probe(f)
        if p.window:
            burst = (id_floor_for(f.created_ms - BURST_MS), id_floor_for(f.created_ms + BURST_MS + 1) - 1)
            candidates = store.candidate_items(
                self.conn,
                [k for k in p.window if k in p.pairs],
                [k for k in p.window if k not in p.pairs],
                [*p.burst, *p.named_pairs],
                (lo, hi),
                burst,
                MIN_PAIR_HITS,
            )
        candidates.update(store.thread_items(self.conn, f.conversation_id, lo, hi))
        candidates.discard(f.item_id)
        if not candidates:
            return []
        # One edge into an issue is enough to join it: test an issue's candidates a few at a time
        # and stop at the first that joins (a viral issue's hundreds of items cost a handful).
        by_issue: dict[int | None, list[int]] = {}
        for item_id, issue_id in store.issues_of(self.conn, sorted(candidates)).items():
            by_issue.setdefault(issue_id, []).append(item_id)
        found: list[tuple[int | None, int]] = []
        for issue_id, members in by_issue.items():
            if issue_id is None:
                found.extend((None, i) for i, flags, g in self._stored(members) if self._joins_features(f, flags, g))
                continue
            members.sort(key=lambda i: abs(i - f.item_id))  # the nearest in time first
            start, step = 0, 4
            while start < len(members):
                rows = self._stored(members[start : start + step])
                hit = next((i for i, flags, g in rows if self._joins_features(f, flags, g)), None)
                if hit is not None:
                    found.append((issue_id, hit))
                    break
                start, step = start + step, min(step * 4, 256)
        return found

    def _joins(self, f: ItemFeatures, row: store.FeatureRow) -> bool:
        return self._joins_features(f, row.flags, features_of(row))

    def _joins_features(self, f: ItemFeatures, flags: int, g: ItemFeatures) -> bool:
        return not flags & FLAG_DETACHED and edge_reason(f, g, self.window) is not None

    def _stored(self, item_ids: Sequence[int]) -> list[tuple[int, int, ItemFeatures]]:
        """``(item id, flags, features)`` of triaged items among ``item_ids``, by id (as
        :func:`store.feature_rows` gives them), read once per transaction."""
        missing = [i for i in item_ids if i not in self._features]
        if missing:
            for row in store.feature_rows(self.conn, missing):
                self._features[row.item_id] = (row.flags, features_of(row))
        found = [(i, *self._features[i]) for i in set(item_ids) if i in self._features]
        found.sort(key=lambda entry: entry[0])
        return found

    def _join(self, f: ItemFeatures, neighbours: Sequence[tuple[int | None, int]]) -> int | None:
        if not neighbours:
            return None
        labels = {issue_id for issue_id, _item in neighbours if issue_id is not None}
        singles = sorted({item for issue_id, item in neighbours if issue_id is None})
        if labels:
            sizes = store.issue_sizes(self.conn, labels)
            order = sorted(labels, key=lambda i: (-sizes.get(i, 0), i))
            target = order[0]
            for other in order[1:]:
                if not store.are_apart(self.conn, target, other):
                    self.merge(target, other, automatic=True)
        else:
            target = store.create_issue(self.tx)
            self.report.issues_created += 1
        if singles:
            store.assign(self.tx, singles, target)
        store.add_to_size(self.tx, target, 1 + len(singles))
        if not f.outbound:
            self.arrived[target] += 1
        self.dirty.add(target)
        self.issue_lean.pop(target, None)
        return target

    def merge(self, target: int, other: int, *, automatic: bool) -> None:
        """``other``'s items, statements and notifications move to ``target``, which keeps the
        higher level, the earlier deadline and an owner."""
        t, o = store.issue(self.conn, target), store.issue(self.conn, other)
        if t is None or o is None or target == other:
            return
        moved = store.relabel(self.tx, other, target)
        store.transfer_apart(self.tx, other, target)
        store.repoint(self.tx, other, target)
        values: dict[str, object] = {"items": t.items + moved}
        if o.level > t.level:
            values.update(level=o.level, level_reason=o.level_reason)
        for n in (1, 2, 3):
            mine, theirs = getattr(t, f"level{n}_at"), getattr(o, f"level{n}_at")
            if theirs is not None and (mine is None or theirs < mine):
                values[f"level{n}_at"] = theirs
        if o.must_answer and not t.must_answer:
            values.update(must_answer=1, deadline_at=o.deadline_at, answered_at=o.answered_at)
        elif o.must_answer and o.deadline_at is not None and (t.deadline_at is None or o.deadline_at < t.deadline_at):
            values["deadline_at"] = o.deadline_at
        if t.owner_id is None and o.owner_id is not None:
            values["owner_id"] = o.owner_id
        if not t.title_by and o.title_by:
            values.update(title=o.title, title_by=o.title_by)
        if t.status == "closed" and o.status == "open":
            values.update(status="open", closed_at=None)
        store.update_issue(self.tx, target, values)
        store.mark_dirty(self.tx, [target])
        store.update_issue(self.tx, other, {"status": "merged", "merged_into": target, "items": 0, "visible": 0})
        self.tx.audit("issue.merge", f"issue:{other}", into=target, items=moved, automatic=automatic)
        self.report.issues_merged += 1
        self.dirty.discard(other)
        self.dirty.add(target)
        self.arrived[target] += self.arrived.pop(other, 0)
        self.issue_lean.pop(target, None)

    def _lean(self, issue_id: int | None) -> tuple[int, int, int]:
        if issue_id is None:
            return (0, 0, 0)
        cached = self.issue_lean.get(issue_id)
        if cached is None:
            row = store.issue(self.conn, issue_id)
            balance = row.measures.get("balance", {}) if row else {}
            protect = sum(b.get("protect", 0) for b in balance.values())
            promote = sum(b.get("promote", 0) for b in balance.values())
            cached = self.issue_lean[issue_id] = (row.level if row else 0, protect, promote)
        return cached

    # ------------------------------------------------------------------ issues

    def refresh_dirty(self, *, reassess: Iterable[int] = ()) -> None:
        again = set(reassess)
        for issue_id in sorted(self.dirty | set(store.dirty_issue_ids(self.conn)) | again):
            self.refresh(issue_id, reassess=issue_id in again)
        self.dirty.clear()

    def refresh(self, issue_id: int, *, reassess: bool = False) -> None:
        """Recompute an issue's measures and level. Levels only go up, unless ``reassess`` (after
        people moved items)."""
        row = store.issue(self.conn, issue_id)
        if row is None:
            return
        if row.status == "merged":
            store.clear_dirty(self.tx, issue_id)
            return
        rows = store.member_rows(self.conn, issue_id)
        if not rows:
            store.update_issue(self.tx, issue_id, {"items": 0, "counted_items": 0, "visible": 0, "level": 0})
            return
        self.report.issues_refreshed += 1
        if self._accounts is None or self._kol_kinds is None:
            self._accounts, self._kol_kinds = store.account_facts(self.conn), store.kol_kinds(self.conn)
        m = measures.compute(
            rows, store.member_tags(self.conn, issue_id), self._accounts, self._kol_kinds, self.settings,
            self.now, lambda ids: store.item_texts(self.conn, ids), self.lexicon,
        )  # fmt: skip
        assessment = levels.assess(m, self.settings, now_ms=self.now)
        level = assessment.level if reassess else max(row.level, assessment.level)
        reason = assessment.reasons.get(level) or (row.level_reason if level == row.level else assessment.reason)
        data = m.as_json()
        data["levels"] = {str(k): v for k, v in assessment.reasons.items()}
        data["level_event_at"] = {str(k): v for k, v in assessment.event_at.items()}
        values: dict[str, object] = {
            "items": m.items,
            "counted_items": m.counted_items,
            "authors": m.authors,
            "kols": len(m.kols),
            "channels": len(m.channels),
            "engagement": m.engagement,
            "first_item_at": m.first_seen,
            "last_item_at": m.last_seen,
            "started_from": m.started_from,
            "measures": data,
            "visible": int(level >= 1),
            "level": level,
            "level_reason": reason,
        }
        if not row.title_by:
            values["title"] = ", ".join(t for t, _n in m.key_terms[:3])
        target = f"issue:{issue_id}"
        if level != row.level:
            self.report.level_changes.append((issue_id, row.level, level))
            self.tx.audit("issue.level", target, before=row.level, after=level, reason=reason)
            for n in (1, 2, 3):
                column = f"level{n}_at"
                if n <= level and getattr(row, column) is None:
                    values[column] = self.now
                elif n > level:
                    values[column] = None
        if level >= 3 and not row.must_answer:
            deadline = self.now + self.settings.answer_deadline_minutes * 60_000
            values.update(must_answer=1, deadline_at=deadline)
            store.notify(
                self.tx, issue_id, "must_answer",
                f"Issue #{issue_id} must be answered on every channel by {measures.when(deadline)}: {reason}",
            )  # fmt: skip
            self.tx.audit("issue.must_answer", target, deadline=deadline, reason=reason)
            self.report.must_answer.append(issue_id)
        elif level < 3 and row.must_answer and reassess:
            values.update(must_answer=0, deadline_at=None)
            self.tx.audit("issue.must_answer_lifted", target, reason=reason)
        if row.status == "closed" and self.arrived.get(issue_id):
            values.update(status="open", closed_at=None)
            self.tx.audit("issue.reopen", target, reason="new messages after it was closed")
        flood = set(m.flood_items)
        changes = {
            r.item_id: (r.flags | FLAG_FLOOD) if r.item_id in flood else (r.flags & ~FLAG_FLOOD)
            for r in rows
            if bool(r.flags & FLAG_FLOOD) != (r.item_id in flood)
        }
        if changes:
            store.set_flags(self.tx, changes)
        store.update_issue(self.tx, issue_id, values)
        self.issue_lean.pop(issue_id, None)

    def check_answered(self) -> None:
        for issue_id in store.unanswered_must_answer(self.conn):
            at = store.answered_at(self.conn, issue_id)
            if at is not None:
                store.update_issue(self.tx, issue_id, {"answered_at": at})
                self.tx.audit("issue.answered", f"issue:{issue_id}", at=at)

    # ------------------------------------------------------------------ the rest

    def tag_outcomes(self, after_audit_id: int) -> int:
        """Record whether each team's Promote/Protect confirmed or overrode the suggestion.
        Returns the audit id read up to."""
        events = store.tag_events_after(self.conn, after_audit_id, _TAG_EVENTS_LIMIT)
        mark = events[-1][0] if len(events) == _TAG_EVENTS_LIMIT else store.last_audit_id(self.conn)
        if not events:
            return mark
        parsed = []
        for _id, at, user_id, action, target, detail in events:
            kind, _, number = target.partition(":")
            if kind != "item" or not number.isdigit():
                continue
            info = json.loads(detail or "{}")
            parsed.append((int(number), at, user_id, action, str(info.get("team", "")), info.get("value")))
        suggested = store.suggestions(self.conn, [p[0] for p in parsed])
        for item_id, at, user_id, action, team, value in parsed:
            s = suggested.get(item_id)
            if s is None or s.value is None or team not in ("social", "contact_center"):
                continue
            if action == "tag.set" and value in ("promote", "protect"):
                store.record_outcome(self.tx, item_id, team, s.value, value, user_id, at)
            elif action == "tag.clear":
                store.forget_outcome(self.tx, item_id, team)
        return mark

    def suggest_kols(self) -> None:
        if not self.authors:
            return
        facts = self.contacts
        already = store.kol_suggestion_state(self.conn, self.authors)
        s = self.settings
        for contact_id, engagement in self.authors.items():
            contact = facts.get(contact_id)
            if contact is None or contact.is_kol or contact_id in already:
                continue
            reasons: list[str] = []
            score = 0
            if contact.followers is not None and contact.followers >= s.kol_suggest_followers:
                reasons.append(f"{contact.followers:,} followers")
                score += contact.followers // 1000
            if contact.verified:
                reasons.append("verified account")
                score += 50
            if s.kol_suggest_reach and engagement * 5 >= s.kol_suggest_reach:
                n, reach = store.contact_reach(self.conn, contact_id)
                if reach >= s.kol_suggest_reach:
                    reasons.append(f"past reach: {n} recent items drew {reach:,} likes, shares and replies")
                    score += reach // 100
            if reasons:
                store.suggest_kol(self.tx, contact_id, guess_kind(contact, self.lexicon), "; ".join(reasons), score)

    def purge(self, purged: int) -> None:
        """Forget postings of items older than the horizon (and the window before it); items
        in no issue are forgotten altogether."""
        floor = id_floor_for(self.now - self.settings.horizon_ms - self.window)
        if floor - purged < id_floor_for(_PURGE_EVERY_MS):
            return
        rows = store.live_items_before(self.conn, floor, _PURGE_LIMIT)
        for row in rows:
            store.forget_postings(
                self.tx, row.item_id, lookup_keys(features_of(row)), keep_row=row.issue_id is not None
            )
        self.report.purged += len(rows)
        if len(rows) < _PURGE_LIMIT:
            self.purged_to = floor


def guess_kind(contact: store.ContactFacts, lexicon: Lexicon) -> str:
    """The kind of a suggested key opinion leader, from words in its name and handle."""
    words = " " + " ".join(w for w in _split(fold(f"{contact.name} {contact.handle}")) if w) + " "
    for kind in ("official", "journalist", "media"):
        if any(f" {phrase} " in words for phrase in lexicon.kol_words.get(kind, ())):
            return kind
    return "influencer"


def _split(text: str) -> list[str]:
    out, word = [], []
    for ch in text:
        if ch.isalnum():
            word.append(ch)
        else:
            out.append("".join(word))
            word = []
    out.append("".join(word))
    return out
