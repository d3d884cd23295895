"""Registered, transactional schema migrations (sqlite-utils ``Migrations``).

Never edit an applied migration: add a new one. Each runs in a transaction together with the
record of it having been applied, and the cache file is backed up before the first pending one.

Item ids are time-ordered (see ``omniinbox.store.cache.item_id_for``), so ``ORDER BY id DESC``
is "most recent first" for the item list and for full-text matches alike, and keyset pages by
id need no further index.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("omniinbox")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta (key, value) VALUES ('seq', 0);

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('agent', 'social_officer', 'supervisor', 'admin')),
            team TEXT CHECK (team IN ('social', 'contact_center')),
            created_at INTEGER NOT NULL
        );

        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            name TEXT NOT NULL,
            owner_kind TEXT NOT NULL DEFAULT 'institution' CHECK (owner_kind IN ('institution', 'leader')),
            base_url TEXT NOT NULL DEFAULT '',
            handle TEXT NOT NULL DEFAULT '',
            secret_ref TEXT NOT NULL DEFAULT '',
            settings TEXT NOT NULL DEFAULT '{}',
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );

        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            external_id TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            handle TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            followers INTEGER,
            verified INTEGER NOT NULL DEFAULT 0,
            is_kol INTEGER NOT NULL DEFAULT 0,
            person_id INTEGER,
            seq INTEGER NOT NULL,
            UNIQUE (channel, external_id)
        );
        CREATE INDEX contacts_person ON contacts (person_id) WHERE person_id IS NOT NULL;

        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts (id),
            external_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'pending', 'snoozed', 'closed')),
            priority INTEGER NOT NULL DEFAULT 1,
            team TEXT NOT NULL CHECK (team IN ('social', 'contact_center')),
            assignee_id INTEGER REFERENCES users (id),
            snoozed_until INTEGER,
            sla_due_at INTEGER,
            first_item_at INTEGER NOT NULL,
            last_item_at INTEGER NOT NULL,
            last_inbound_at INTEGER,
            seq INTEGER NOT NULL,
            UNIQUE (account_id, external_id)
        );
        CREATE INDEX conversations_queue ON conversations (team, status, last_item_at);
        CREATE INDEX conversations_assignee ON conversations (assignee_id, status)
            WHERE assignee_id IS NOT NULL;
        CREATE INDEX conversations_seq ON conversations (seq);

        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts (id),
            external_id TEXT NOT NULL,
            conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            parent_external_id TEXT,
            kind TEXT NOT NULL,
            direction TEXT NOT NULL DEFAULT 'in',
            visibility TEXT NOT NULL DEFAULT 'public',
            contact_id INTEGER REFERENCES contacts (id),
            author_name TEXT NOT NULL DEFAULT '',
            author_handle TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            permalink TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            edited_at INTEGER,
            deleted_at INTEGER,
            likes INTEGER NOT NULL DEFAULT 0,
            replies INTEGER NOT NULL DEFAULT 0,
            shares INTEGER NOT NULL DEFAULT 0,
            views INTEGER NOT NULL DEFAULT 0,
            is_read INTEGER NOT NULL DEFAULT 0,
            seq INTEGER NOT NULL,
            UNIQUE (account_id, external_id)
        );
        CREATE INDEX items_conversation ON items (conversation_id, id);
        CREATE INDEX items_contact ON items (contact_id, id);
        CREATE INDEX items_seq ON items (seq);

        -- Raw payloads as JSON (zlib-compressed when large), kept apart so item rows stay narrow.
        CREATE TABLE item_payloads (
            item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
            payload BLOB NOT NULL
        );

        CREATE VIRTUAL TABLE items_fts USING fts5 (
            subject, text, author_name, author_handle,
            content = 'items', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        -- New items are indexed in bulk by ingest.write_page (one INSERT ... SELECT per page is
        -- several times faster than a per-row trigger); changes and deletions by these triggers.
        CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
            INSERT INTO items_fts (items_fts, rowid, subject, text, author_name, author_handle)
            VALUES ('delete', old.id, old.subject, old.text, old.author_name, old.author_handle);
        END;
        CREATE TRIGGER items_fts_update AFTER UPDATE OF subject, text, author_name, author_handle ON items
        WHEN old.subject IS NOT new.subject OR old.text IS NOT new.text
          OR old.author_name IS NOT new.author_name OR old.author_handle IS NOT new.author_handle
        BEGIN
            INSERT INTO items_fts (items_fts, rowid, subject, text, author_name, author_handle)
            VALUES ('delete', old.id, old.subject, old.text, old.author_name, old.author_handle);
            INSERT INTO items_fts (rowid, subject, text, author_name, author_handle)
            VALUES (new.id, new.subject, new.text, new.author_name, new.author_handle);
        END;

        -- Each team records its own judgement on an item.
        CREATE TABLE tags (
            item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            team TEXT NOT NULL CHECK (team IN ('social', 'contact_center')),
            value TEXT NOT NULL CHECK (value IN ('promote', 'protect')),
            set_by INTEGER REFERENCES users (id),
            set_at INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (item_id, team)
        ) WITHOUT ROWID;
        CREATE INDEX tags_value ON tags (team, value, item_id);

        CREATE TABLE labels (
            item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (item_id, label)
        ) WITHOUT ROWID;
        CREATE INDEX labels_label ON labels (label, item_id);

        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            author_id INTEGER REFERENCES users (id),
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );
        CREATE INDEX notes_conversation ON notes (conversation_id, id);

        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            user_id INTEGER REFERENCES users (id),
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            seq INTEGER NOT NULL
        );
        CREATE INDEX audit_target ON audit_events (target, id);
        -- The audit trail is append-only.
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events BEGIN
            SELECT RAISE(ABORT, 'the audit trail is append-only');
        END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events BEGIN
            SELECT RAISE(ABORT, 'the audit trail is append-only');
        END;

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts (id),
            conversation_id INTEGER REFERENCES conversations (id),
            in_reply_to_item_id INTEGER REFERENCES items (id),
            body TEXT NOT NULL,
            visibility TEXT NOT NULL DEFAULT 'public',
            state TEXT NOT NULL CHECK (state IN
                ('awaiting_approval', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            last_error TEXT NOT NULL DEFAULT '',
            receipt_id TEXT NOT NULL DEFAULT '',
            idempotency_key TEXT NOT NULL UNIQUE,
            created_by INTEGER REFERENCES users (id),
            created_at INTEGER NOT NULL,
            sent_at INTEGER,
            requires_approval INTEGER NOT NULL DEFAULT 0,
            approved_by INTEGER REFERENCES users (id),
            seq INTEGER NOT NULL
        );
        CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

        CREATE TABLE sync_cursors (
            account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
            stream TEXT NOT NULL,
            cursor TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (account_id, stream)
        ) WITHOUT ROWID;

        CREATE TABLE sync_problems (
            id INTEGER PRIMARY KEY,
            account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            external_id TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX sync_problems_account ON sync_problems (account_id, id);

        CREATE TABLE canned_responses (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            team TEXT CHECK (team IN ('social', 'contact_center')),
            language TEXT NOT NULL DEFAULT 'id',
            seq INTEGER NOT NULL
        );

        -- One row per write transaction: what changed, for views that follow the feed.
        CREATE TABLE change_batches (
            seq INTEGER PRIMARY KEY,
            first_seq INTEGER NOT NULL,
            at INTEGER NOT NULL,
            source TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '{}'
        );
        """
    )


@MIGRATIONS()
def m002_leaner_items(db: Database) -> None:
    """Smaller on disk and faster to fill (measured on 1M items; see ``omniinbox.store.compact``):

    * payloads move into the item row (one B-tree insert per item instead of two) as Zstandard
      frames, with a dictionary trained per account (``payload_dictionaries``); rows copied
      from ``item_payloads`` keep their old encoding, which is still read;
    * permalinks keep their prefix in ``url_prefixes`` (``permalink_prefix`` NULL: the
      ``permalink`` column holds the whole address, as in rows written before);
    * ``parent_external_id`` is ``''`` when the parent is the conversation's root item;
    * contacts remember when their profile was seen (``observed_at``, the newest item carrying
      it), so older pages never roll a name or a follower count back;
    * the full-text index stops keeping per-column token counts (``columnsize=0``: only
      ranking functions use them, and lists are ordered by recency), and merges its segments
      sixteen at a time instead of four, which halves the merge work of a bulk import for a
      few more segments to read per query.
    """
    db.executescript(
        """
        CREATE TABLE payload_dictionaries (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
            data BLOB NOT NULL,
            samples INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE url_prefixes (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL UNIQUE);
        ALTER TABLE contacts ADD COLUMN observed_at INTEGER;

        ALTER TABLE items ADD COLUMN permalink_prefix INTEGER REFERENCES url_prefixes (id);
        ALTER TABLE items ADD COLUMN payload BLOB;
        UPDATE items SET payload = (SELECT p.payload FROM item_payloads p WHERE p.item_id = items.id)
        WHERE id IN (SELECT item_id FROM item_payloads);
        DROP TABLE item_payloads;

        DROP TABLE items_fts;
        CREATE VIRTUAL TABLE items_fts USING fts5 (
            subject, text, author_name, author_handle,
            content = 'items', content_rowid = 'id', columnsize = 0,
            tokenize = 'unicode61 remove_diacritics 2'
        );
        INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 16);
        INSERT INTO items_fts (items_fts) VALUES ('rebuild');
        """
    )


@MIGRATIONS()
def m003_issue_radar(db: Database) -> None:
    """The issue radar (``omniinbox.triage``): items grouped into issues, their measures and
    levels, the key opinion leader registry, Promote/Protect suggestions, one statement fanned
    out to every channel, and the thresholds people can edit.

    * ``triage_items``: what grouping knows of each item it has seen (its issue, flags, SimHash,
      key terms, hashtags, links); ``triage_keys`` the lookup postings (hashed term pairs,
      hashtags, links, SimHash bands) keyed by item id, which is time-ordered, so a lookup
      within a time window is one index range per key;
    * ``issues``: one row per group of at least two items, with counts for the radar's sort
      and filters and the explained measures as JSON; ``issue_apart`` pairs that people split
      and automatic grouping must not join again;
    * ``triage_settings`` (JSON values, edited by people) and ``triage_state`` (watermarks).
    """
    db.executescript(
        """
        CREATE TABLE triage_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_by INTEGER REFERENCES users (id),
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE triage_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);

        CREATE TABLE issues (
            id INTEGER PRIMARY KEY,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'merged')),
            merged_into INTEGER REFERENCES issues (id),
            title TEXT NOT NULL DEFAULT '',
            title_by INTEGER REFERENCES users (id),
            visible INTEGER NOT NULL DEFAULT 0,
            level INTEGER NOT NULL DEFAULT 0,
            level_reason TEXT NOT NULL DEFAULT '',
            level1_at INTEGER,
            level2_at INTEGER,
            level3_at INTEGER,
            items INTEGER NOT NULL DEFAULT 0,
            counted_items INTEGER NOT NULL DEFAULT 0,
            authors INTEGER NOT NULL DEFAULT 0,
            kols INTEGER NOT NULL DEFAULT 0,
            channels INTEGER NOT NULL DEFAULT 0,
            engagement INTEGER NOT NULL DEFAULT 0,
            first_item_at INTEGER,
            last_item_at INTEGER,
            started_from INTEGER,
            measures TEXT NOT NULL DEFAULT '{}',
            must_answer INTEGER NOT NULL DEFAULT 0,
            deadline_at INTEGER,
            owner_id INTEGER REFERENCES users (id),
            answered_at INTEGER,
            closed_at INTEGER,
            dirty INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );
        CREATE INDEX issues_radar ON issues (status, visible, level, last_item_at);
        CREATE INDEX issues_dirty ON issues (id) WHERE dirty = 1;
        CREATE INDEX issues_unanswered ON issues (id) WHERE must_answer = 1 AND answered_at IS NULL;
        CREATE INDEX issues_seq ON issues (seq);

        CREATE TABLE issue_apart (
            a INTEGER NOT NULL REFERENCES issues (id),
            b INTEGER NOT NULL REFERENCES issues (id),
            PRIMARY KEY (a, b)
        ) WITHOUT ROWID;
        CREATE INDEX issue_apart_b ON issue_apart (b, a);

        CREATE TABLE triage_items (
            item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
            issue_id INTEGER REFERENCES issues (id),
            flags INTEGER NOT NULL DEFAULT 0,
            engagement INTEGER NOT NULL DEFAULT 0,
            simhash INTEGER,
            terms TEXT NOT NULL DEFAULT '',
            hashtags TEXT NOT NULL DEFAULT '',
            links TEXT NOT NULL DEFAULT '',
            live INTEGER NOT NULL DEFAULT 1  -- within the grouping horizon: its postings are kept
        );
        CREATE INDEX triage_items_issue ON triage_items (issue_id, item_id) WHERE issue_id IS NOT NULL;
        CREATE INDEX triage_items_live ON triage_items (item_id) WHERE live = 1;

        CREATE TABLE triage_keys (
            key INTEGER NOT NULL,
            item_id INTEGER NOT NULL,
            PRIMARY KEY (key, item_id)
        ) WITHOUT ROWID;

        CREATE TABLE issue_notifications (
            id INTEGER PRIMARY KEY,
            issue_id INTEGER NOT NULL REFERENCES issues (id),
            kind TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'supervisor',
            message TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            acknowledged_by INTEGER REFERENCES users (id),
            acknowledged_at INTEGER,
            seq INTEGER NOT NULL
        );
        CREATE INDEX issue_notifications_open ON issue_notifications (id) WHERE acknowledged_at IS NULL;

        CREATE TABLE kol_registry (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts (id),
            kind TEXT NOT NULL CHECK (kind IN ('journalist', 'official', 'influencer', 'media')),
            note TEXT NOT NULL DEFAULT '',
            set_by INTEGER REFERENCES users (id),
            set_at INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );
        CREATE TABLE kol_suggestions (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts (id),
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            score INTEGER NOT NULL,
            suggested_at INTEGER NOT NULL,
            dismissed_by INTEGER REFERENCES users (id),
            dismissed_at INTEGER,
            seq INTEGER NOT NULL
        );
        CREATE INDEX kol_suggestions_open ON kol_suggestions (score) WHERE dismissed_at IS NULL;

        CREATE TABLE triage_suggestions (
            item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
            value TEXT CHECK (value IN ('promote', 'protect')),
            score INTEGER NOT NULL,
            reason TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        -- Whether each team confirmed or overrode a suggestion, at the moment it tagged the item.
        CREATE TABLE suggestion_outcomes (
            item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            team TEXT NOT NULL CHECK (team IN ('social', 'contact_center')),
            suggested TEXT NOT NULL,
            decided TEXT NOT NULL,
            agreed INTEGER NOT NULL,
            decided_by INTEGER REFERENCES users (id),
            decided_at INTEGER NOT NULL,
            PRIMARY KEY (item_id, team)
        ) WITHOUT ROWID;

        CREATE TABLE issue_statements (
            id INTEGER PRIMARY KEY,
            issue_id INTEGER NOT NULL REFERENCES issues (id),
            body TEXT NOT NULL,
            short_body TEXT NOT NULL DEFAULT '',
            link TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL CHECK (state IN ('draft', 'approved', 'fanned_out', 'withdrawn')),
            created_by INTEGER REFERENCES users (id),
            created_at INTEGER NOT NULL,
            approved_by INTEGER REFERENCES users (id),
            approved_at INTEGER,
            fanned_out_at INTEGER,
            seq INTEGER NOT NULL
        );
        CREATE INDEX issue_statements_issue ON issue_statements (issue_id, id);
        CREATE TABLE statement_replies (
            statement_id INTEGER NOT NULL REFERENCES issue_statements (id),
            account_id INTEGER NOT NULL REFERENCES accounts (id),
            channel TEXT NOT NULL,
            item_id INTEGER REFERENCES items (id),
            conversation_id INTEGER REFERENCES conversations (id),
            body TEXT NOT NULL,
            outbox_id INTEGER REFERENCES outbox (id),
            PRIMARY KEY (statement_id, account_id)
        ) WITHOUT ROWID;
        """
    )


@MIGRATIONS()
def m004_hub_replica(db: Database) -> None:
    """Team mode: this cache as a replica of what its hub user may see (``omniinbox.hub.replica``).

    * ``hub_replica``: the replica's settings as key/value text: ``mode`` (``team`` makes the
      store journal people's actions for the hub), ``login``, ``hub`` (the masked address) and
      ``cursor`` (where the pull is in the hub's change feed);
    * ``hub_ids``: hub row id to local row id, per kind of row (``account``, ``user``,
      ``contact``, ``conversation``, ``item``, ``note``, ``outbox``), found by natural keys when
      first pulled (account key, login, channel + external id, account + external id);
    * ``hub_journal``: people's actions waiting to reach the hub, in order; ``refused`` ones keep
      PostgreSQL's reason (the window lists them), ``done`` ones are kept as a record;
    * ``hub_locks``: the hub's soft locks on conversations as last pulled ("Dewi is replying").
    """
    db.executescript(
        """
        CREATE TABLE hub_replica (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE hub_ids (
            kind TEXT NOT NULL,
            hub_id INTEGER NOT NULL,
            local_id INTEGER NOT NULL,
            PRIMARY KEY (kind, hub_id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX hub_ids_local ON hub_ids (kind, local_id);

        CREATE TABLE hub_journal (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            user_id INTEGER REFERENCES users (id),
            created_at INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'refused')),
            attempts INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL DEFAULT '',
            done_at INTEGER,
            seq INTEGER NOT NULL
        );
        CREATE INDEX hub_journal_pending ON hub_journal (id) WHERE state = 'pending';

        CREATE TABLE hub_locks (
            conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
            holder_id INTEGER,
            holder_login TEXT NOT NULL DEFAULT '',
            holder_name TEXT NOT NULL DEFAULT '',
            expires_at INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );
        """
    )


@MIGRATIONS()
def m005_saved_searches_mentions_tickets(db: Database) -> None:
    """Saved searches, @mentions in notes, and tickets created on a helpdesk from a social item.

    * ``saved_searches``: a person's named searches (text and the list filter as JSON), unique by
      name per person;
    * ``note_mentions``: who a note mentions (``@login``), read newest first per person through
      ``note_mentions_user`` for the "Mentions" queue;
    * ``outbox.kind`` (``reply`` or ``ticket``: a new ticket on the entry's helpdesk account),
      ``outbox.subject`` and ``outbox.requester`` (JSON: name, email, handle) of a new ticket;
    * ``ticket_links``: the social conversation a new ticket came from, and once sent the
      ticket's external id and local conversation.
    """
    db.executescript(
        """
        CREATE TABLE saved_searches (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id),
            name TEXT NOT NULL,
            query TEXT NOT NULL DEFAULT '',
            filter TEXT NOT NULL DEFAULT '{}',
            created_at INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            UNIQUE (user_id, name)
        );

        CREATE TABLE note_mentions (
            note_id INTEGER NOT NULL REFERENCES notes (id),
            user_id INTEGER NOT NULL REFERENCES users (id),
            conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            author_id INTEGER REFERENCES users (id),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (note_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX note_mentions_user ON note_mentions (user_id, note_id);

        ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'reply';
        ALTER TABLE outbox ADD COLUMN subject TEXT NOT NULL DEFAULT '';
        ALTER TABLE outbox ADD COLUMN requester TEXT NOT NULL DEFAULT '{}';

        CREATE TABLE ticket_links (
            outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id),
            social_conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            social_item_id INTEGER REFERENCES items (id),
            ticket_external_id TEXT NOT NULL DEFAULT '',
            ticket_conversation_id INTEGER REFERENCES conversations (id),
            linked_at INTEGER
        );
        CREATE INDEX ticket_links_social ON ticket_links (social_conversation_id);
        """
    )


@MIGRATIONS()
def m006_leaner_indexes(db: Database) -> None:
    """Smaller indexes, the same queries.

    * ``items_conversation`` and ``items_contact`` on ``(conversation_id)`` and ``(contact_id)``
      alone: an index entry ends with the row's id anyway (``id`` is the rowid), so naming
      ``id`` as a second column stored it twice. The planner uses the trailing rowid for
      ``ORDER BY id`` and ``id`` ranges exactly as before; the two indexes shrink by about 40 %
      (20 MB per million items).
    * ``conversations_seq`` is dropped: no query reads conversations by sequence number (views
      learn of changes from ``change_batches`` and ``items.seq``), yet every new message moved
      the conversation's entry in it; a bulk import updates thousands of conversations per page,
      and this index cost about 5 % of the import's time.
    """
    db.executescript(
        """
        DROP INDEX IF EXISTS conversations_seq;
        DROP INDEX items_conversation;
        CREATE INDEX items_conversation ON items (conversation_id);
        DROP INDEX items_contact;
        CREATE INDEX items_contact ON items (contact_id);
        """
    )
