"""The hub's schema: versioned, transactional migrations, group roles, grants and row-level security.

Everything lives in the PostgreSQL schema ``omniinbox`` of the hub database. ``hub_migrations``
records each applied migration; each migration runs in one transaction together with that record,
so a failed one leaves nothing behind. A hub whose ``hub_migrations`` names a version this
program does not know was written by a newer OmniInbox and is refused, untouched.

Never edit an applied migration: add a new one at the end of :data:`MIGRATIONS`.

Roles (cluster-wide in PostgreSQL) are named ``<prefix>_<role>``; the prefix is ``omniinbox``
unless ``hub init`` is told otherwise (tests use a unique one per database), and is kept in
``hub_settings``. Migrations name roles as ``@agent@``, ``@social_officer@``, ``@supervisor@``,
``@admin@``, ``@worker@``, ``@desktop@`` (the four desktop roles) and ``@all@`` (all five); they are
replaced by the quoted role names before the SQL runs.

See ``omniinbox/hub/README.md`` for the rules the policies implement and for the change feed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from omniinbox import __version__
from omniinbox.hub.errors import HubError, HubNeedsUpgrade, HubTooNew

SCHEMA = "omniinbox"
DEFAULT_ROLE_PREFIX = "omniinbox"
GROUPS = ("agent", "social_officer", "supervisor", "admin", "worker")
DESKTOP_GROUPS = ("agent", "social_officer", "supervisor", "admin")
_INIT_LOCK = (0x0A1D, 0)  # advisory lock (class, key): one `hub init` at a time per database
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


# Every table that replicas follow carries ``seq`` (a number from the one global sequence
# ``change_seq``, stamped by a trigger on every insert and on every update that changes something)
# and ``txid`` (the writing transaction, for the in-flight rule of the change feed), both indexed;
# a statement-level trigger sends NOTIFY omniinbox_changes with the table's name; and a deletion
# leaves a tombstone (the deleted row's key) in ``tombstones``.
_FOLLOWED: dict[str, tuple[str, ...]] = {
    "users": ("id",),
    "accounts": ("id",),
    "contacts": ("id",),
    "conversations": ("id",),
    "items": ("id",),
    "tags": ("item_id", "team"),
    "labels": ("item_id", "label"),
    "notes": ("id",),
    "issues": ("id",),
    "issue_items": ("issue_id", "item_id"),
    "assignments": ("id",),
    "outbox": ("id",),
    "audit_events": ("id",),
    "soft_locks": ("conversation_id",),
    "sync_cursors": ("account_id", "stream"),
    "sync_problems": ("id",),
    "canned_responses": ("id",),
    "tombstones": (),
}
FOLLOWED_TABLES = tuple(_FOLLOWED)


def _feed(table: str, key: tuple[str, ...]) -> str:
    ddl = f"""
    CREATE INDEX {table}_seq ON {table} (seq);
    CREATE INDEX {table}_txid ON {table} (txid);
    CREATE TRIGGER zz_stamp_change BEFORE INSERT OR UPDATE ON {table}
        FOR EACH ROW EXECUTE FUNCTION stamp_change();
    CREATE TRIGGER zz_notify_change AFTER INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION notify_change();
    """
    if key:
        args = ", ".join(f"'{column}'" for column in key)
        ddl += f"""
    CREATE TRIGGER zz_tombstone AFTER DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION record_tombstone({args});
    """
    return ddl


# Column groups every followed table has, written once.
_TOKENS = {
    "__STAMP__": "seq bigint NOT NULL DEFAULT 0, txid xid8 NOT NULL DEFAULT '0'",
    "__TEAM__": "text NOT NULL CHECK (team IN ('social', 'contact_center'))",
}

M001_TABLES = """
    CREATE SEQUENCE change_seq AS bigint;

    -- Stamps a row with the next change number and the writing transaction. An UPDATE that
    -- changes nothing is skipped altogether (RETURN NULL): replaying a page moves no number.
    CREATE FUNCTION stamp_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NULL;
        END IF;
        NEW.seq := nextval('omniinbox.change_seq');
        NEW.txid := pg_current_xact_id();
        RETURN NEW;
    END $$;

    CREATE FUNCTION notify_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        PERFORM pg_notify('omniinbox_changes', TG_TABLE_NAME);
        RETURN NULL;
    END $$;

    CREATE TABLE tombstones (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        table_name text NOT NULL,
        row_key jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        __STAMP__
    );

    -- Who deleted what is in the audit trail where it matters; the tombstone only tells replicas
    -- which row to forget. Runs as the schema owner: nobody writes tombstones directly.
    CREATE FUNCTION record_tombstone() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        old_row jsonb := to_jsonb(OLD);
        row_key jsonb := '{}';
        col text;
    BEGIN
        FOREACH col IN ARRAY TG_ARGV LOOP
            row_key := row_key || jsonb_build_object(col, old_row -> col);
        END LOOP;
        INSERT INTO tombstones (table_name, row_key) VALUES (TG_TABLE_NAME, row_key);
        RETURN OLD;
    END $$;

    CREATE TABLE users (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        login text NOT NULL UNIQUE,  -- the PostgreSQL login role of this person
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('agent', 'social_officer', 'supervisor', 'admin')),
        team text CHECK (team IN ('social', 'contact_center')),
        capacity integer NOT NULL DEFAULT 10 CHECK (capacity >= 0),
        presence text NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'away', 'offline')),
        presence_at timestamptz,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        __STAMP__,
        CHECK (role NOT IN ('agent', 'social_officer') OR team IS NOT NULL)
    );

    CREATE TABLE accounts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key text NOT NULL UNIQUE,
        channel text NOT NULL,
        name text NOT NULL,
        owner_kind text NOT NULL DEFAULT 'institution' CHECK (owner_kind IN ('institution', 'leader')),
        team __TEAM__,
        base_url text NOT NULL DEFAULT '',
        handle text NOT NULL DEFAULT '',
        secret_ref text NOT NULL DEFAULT '',
        settings jsonb NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        __STAMP__
    );
    COMMENT ON COLUMN accounts.secret_ref IS
        'the name of the keyring entry on each worker that syncs this account; never the secret itself';

    CREATE TABLE contacts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel text NOT NULL,
        external_id text NOT NULL,
        name text NOT NULL DEFAULT '',
        handle text NOT NULL DEFAULT '',
        email text NOT NULL DEFAULT '',
        url text NOT NULL DEFAULT '',
        followers bigint,
        verified boolean NOT NULL DEFAULT false,
        is_kol boolean NOT NULL DEFAULT false,
        kol_kind text NOT NULL DEFAULT '',  -- journalist, official, influencer...
        person_id bigint,  -- links identities of one person across channels
        observed_at timestamptz,  -- when the stored profile was seen (the newest item carrying it)
        __STAMP__,
        UNIQUE (channel, external_id)
    );

    CREATE TABLE conversations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL REFERENCES accounts (id),
        external_id text NOT NULL,
        kind text NOT NULL,
        subject text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'snoozed', 'closed')),
        priority smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
        team __TEAM__,
        assignee_id bigint REFERENCES users (id),
        assigned_at timestamptz,
        snoozed_until timestamptz,
        sla_due_at timestamptz,
        first_item_at timestamptz NOT NULL,
        last_item_at timestamptz NOT NULL,
        last_inbound_at timestamptz,
        last_outbound_at timestamptz,
        __STAMP__,
        UNIQUE (account_id, external_id)
    );
    CREATE INDEX conversations_queue ON conversations (team, status, last_item_at);
    CREATE INDEX conversations_assignee ON conversations (assignee_id, status) WHERE assignee_id IS NOT NULL;

    CREATE TABLE items (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL REFERENCES accounts (id),
        external_id text NOT NULL,
        conversation_id bigint NOT NULL REFERENCES conversations (id),
        parent_external_id text,
        kind text NOT NULL,
        direction text NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out')),
        visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
        contact_id bigint REFERENCES contacts (id),
        author_name text NOT NULL DEFAULT '',
        author_handle text NOT NULL DEFAULT '',
        subject text NOT NULL DEFAULT '',
        text text NOT NULL DEFAULT '',
        permalink text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL,
        edited_at timestamptz,
        deleted_at timestamptz,
        likes bigint NOT NULL DEFAULT 0,
        replies bigint NOT NULL DEFAULT 0,
        shares bigint NOT NULL DEFAULT 0,
        views bigint NOT NULL DEFAULT 0,
        raw jsonb,  -- the platform's payload, kept where evidence matters
        __STAMP__,
        UNIQUE (account_id, external_id)
    );
    CREATE INDEX items_conversation ON items (conversation_id, created_at);
    CREATE INDEX items_contact ON items (contact_id) WHERE contact_id IS NOT NULL;

    -- Each team records its own judgement on an item.
    CREATE TABLE tags (
        item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        team __TEAM__,
        value text NOT NULL CHECK (value IN ('promote', 'protect')),
        set_by bigint REFERENCES users (id),
        set_at timestamptz NOT NULL DEFAULT now(),
        __STAMP__,
        PRIMARY KEY (item_id, team)
    );

    CREATE TABLE labels (
        item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        label text NOT NULL CHECK (label <> ''),
        set_by bigint REFERENCES users (id),
        set_at timestamptz NOT NULL DEFAULT now(),
        __STAMP__,
        PRIMARY KEY (item_id, label)
    );

    CREATE TABLE notes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id bigint NOT NULL REFERENCES conversations (id),
        author_id bigint REFERENCES users (id),
        body text NOT NULL CHECK (body <> ''),
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_at timestamptz,
        __STAMP__
    );
    CREATE INDEX notes_conversation ON notes (conversation_id, id);

    -- The triage engine's issues: kept simple here; the triage package owns their meaning.
    CREATE TABLE issues (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        title text NOT NULL,
        summary text NOT NULL DEFAULT '',
        level smallint NOT NULL DEFAULT 1 CHECK (level BETWEEN 0 AND 3),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'watching', 'answered', 'closed')),
        content jsonb NOT NULL DEFAULT '{}',
        context jsonb NOT NULL DEFAULT '{}',
        public_interest jsonb NOT NULL DEFAULT '{}',
        deadline timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        __STAMP__
    );

    CREATE TABLE issue_items (
        issue_id bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
        item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        added_at timestamptz NOT NULL DEFAULT now(),
        __STAMP__,
        PRIMARY KEY (issue_id, item_id)
    );
    CREATE INDEX issue_items_item ON issue_items (item_id);

    -- History of who was given which conversation, by whom and why (manual, claim,
    -- round_robin, overdue). Written by a trigger on conversations.assignee_id only.
    CREATE TABLE assignments (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id bigint NOT NULL REFERENCES conversations (id),
        from_user_id bigint REFERENCES users (id),
        to_user_id bigint REFERENCES users (id),
        by_user_id bigint REFERENCES users (id),
        reason text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        __STAMP__
    );
    CREATE INDEX assignments_conversation ON assignments (conversation_id, id);

    CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL REFERENCES accounts (id),
        conversation_id bigint REFERENCES conversations (id),
        in_reply_to_item_id bigint REFERENCES items (id),
        body text NOT NULL,
        visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
        state text NOT NULL CHECK (state IN
            ('awaiting_approval', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_error text NOT NULL DEFAULT '',
        receipt_id text NOT NULL DEFAULT '',
        idempotency_key text NOT NULL UNIQUE,
        created_by bigint REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        requires_approval boolean NOT NULL DEFAULT false,
        approved_by bigint REFERENCES users (id),
        approved_at timestamptz,
        claim_token uuid,  -- set when a worker claims the entry; only that claim may report it
        claimed_by text NOT NULL DEFAULT '',
        claimed_at timestamptz,
        __STAMP__
    );
    CREATE INDEX outbox_due ON outbox (state, next_attempt_at) WHERE state IN ('queued', 'sending');
    CREATE INDEX outbox_conversation ON outbox (conversation_id, id);

    CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        user_id bigint REFERENCES users (id),
        db_user text NOT NULL DEFAULT session_user,  -- the login that really did it
        action text NOT NULL,
        target text NOT NULL,  -- "conversation:3", "outbox:9", "item:12"
        detail jsonb NOT NULL DEFAULT '{}',
        __STAMP__
    );
    CREATE INDEX audit_target ON audit_events (target, id);

    -- Time and login of an audit event are the server's, whatever the client sent.
    CREATE FUNCTION audit_stamp() RETURNS trigger
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        NEW.at := clock_timestamp();
        NEW.db_user := session_user;
        RETURN NEW;
    END $$;
    CREATE TRIGGER a_audit_stamp BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_stamp();

    -- The audit trail is append-only for everyone but its owner (who must still mean it).
    CREATE FUNCTION audit_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        IF session_user::text IS DISTINCT FROM
           (SELECT pg_get_userbyid(c.relowner)::text FROM pg_class c WHERE c.oid = TG_RELID) THEN
            RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$;
    CREATE TRIGGER a_audit_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
    CREATE TRIGGER a_audit_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

    -- Collision control: who has a conversation open to reply, until when.
    CREATE TABLE soft_locks (
        conversation_id bigint PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
        holder_id bigint NOT NULL REFERENCES users (id),
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        taken_over_from bigint REFERENCES users (id),
        __STAMP__
    );

    CREATE TABLE sync_cursors (
        account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        stream text NOT NULL,
        cursor text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        __STAMP__,
        PRIMARY KEY (account_id, stream)
    );

    CREATE TABLE sync_problems (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
        at timestamptz NOT NULL DEFAULT now(),
        kind text NOT NULL,
        reason text NOT NULL,
        external_id text NOT NULL DEFAULT '',
        detail text NOT NULL DEFAULT '',
        worker text NOT NULL DEFAULT '',
        __STAMP__
    );
    CREATE INDEX sync_problems_account ON sync_problems (account_id, id);

    CREATE TABLE canned_responses (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        title text NOT NULL,
        body text NOT NULL,
        team text CHECK (team IN ('social', 'contact_center')),
        language text NOT NULL DEFAULT 'id',
        __STAMP__
    );

    -- Round-robin position per team (internal to the assignment functions).
    CREATE TABLE round_robin (
        team text PRIMARY KEY CHECK (team IN ('social', 'contact_center')),
        last_user_id bigint
    );
    """ + "".join(_feed(table, key) for table, key in _FOLLOWED.items())
for _token, _text in _TOKENS.items():
    M001_TABLES = M001_TABLES.replace(_token, _text)


M002_ACCESS = """
    -- Who is asking. Policies compare with these; SECURITY DEFINER functions run as the schema
    -- owner, whose current_user has no users row, so there the login of the session counts.
    CREATE FUNCTION hub_group(p_role text) RETURNS text
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT value || '_' || p_role FROM hub_settings WHERE key = 'role_prefix'
    $$;

    CREATE FUNCTION hub_login() RETURNS text
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT CASE WHEN EXISTS (SELECT 1 FROM users WHERE login = current_user::text)
                    THEN current_user::text ELSE session_user::text END
    $$;

    -- The caller's users row counts only while it is active and its login is a member of the
    -- group role its users.role names: the two can never disagree in the caller's favour.
    CREATE FUNCTION me() RETURNS bigint
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT u.id FROM users u
        WHERE u.login = hub_login() AND u.active
          AND CASE WHEN EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = hub_group(u.role))
                   THEN pg_has_role(u.login, hub_group(u.role), 'MEMBER') ELSE false END
    $$;

    CREATE FUNCTION my_role() RETURNS text
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT role FROM users WHERE id = me()
    $$;

    CREATE FUNCTION my_team() RETURNS text
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT team FROM users WHERE id = me()
    $$;

    CREATE FUNCTION acts_as(p_role text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT coalesce(my_role() = p_role, false)
    $$;

    CREATE FUNCTION is_worker() RETURNS boolean
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = hub_group('worker'))
                    THEN pg_has_role(hub_login(), hub_group('worker'), 'MEMBER') ELSE false END
    $$;

    REVOKE ALL ON SCHEMA omniinbox FROM PUBLIC;
    GRANT USAGE ON SCHEMA omniinbox TO @all@;
    GRANT USAGE ON SEQUENCE change_seq TO @all@;
    GRANT SELECT ON hub_migrations, hub_settings, tombstones TO @all@;

    -- people and accounts: everyone reads (no secrets here), admins manage
    GRANT SELECT ON users, accounts TO @all@;
    GRANT INSERT, UPDATE, DELETE ON users, accounts TO @admin@;
    GRANT UPDATE (capacity) ON users TO @supervisor@;

    -- conversations: the team's queues and one's own work; holders change their own
    ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON conversations TO @all@;
    GRANT INSERT, UPDATE (kind, subject, status, priority, first_item_at, last_item_at,
        last_inbound_at, last_outbound_at) ON conversations TO @worker@;
    GRANT UPDATE (status, priority, snoozed_until) ON conversations TO @agent@, @social_officer@;
    GRANT UPDATE (status, priority, snoozed_until, sla_due_at, team, assignee_id) ON conversations TO @supervisor@;
    CREATE POLICY conversations_read_all ON conversations FOR SELECT
        TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY conversations_read_team ON conversations FOR SELECT TO @agent@, @social_officer@
        USING (team = (SELECT my_team()) OR assignee_id = (SELECT me()));
    CREATE POLICY conversations_worker_insert ON conversations FOR INSERT TO @worker@ WITH CHECK (true);
    CREATE POLICY conversations_worker_update ON conversations FOR UPDATE TO @worker@ USING (true);
    CREATE POLICY conversations_supervisor_update ON conversations FOR UPDATE TO @supervisor@ USING (true);
    CREATE POLICY conversations_holder_update ON conversations FOR UPDATE TO @agent@, @social_officer@
        USING (assignee_id = (SELECT me())) WITH CHECK (assignee_id = (SELECT me()));

    -- items: visible when their conversation is (the conversations policy applies inside)
    ALTER TABLE items ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON items TO @all@;
    GRANT INSERT, UPDATE ON items TO @worker@;
    CREATE POLICY items_read_all ON items FOR SELECT TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY items_read_team ON items FOR SELECT TO @agent@, @social_officer@
        USING (EXISTS (SELECT 1 FROM conversations c WHERE c.id = items.conversation_id));
    CREATE POLICY items_worker_insert ON items FOR INSERT TO @worker@ WITH CHECK (true);
    CREATE POLICY items_worker_update ON items FOR UPDATE TO @worker@ USING (true);

    -- contacts: visible with an item of theirs; KOL marks by social officers and supervisors
    ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON contacts TO @all@;
    GRANT INSERT, UPDATE (name, handle, email, url, followers, verified, observed_at) ON contacts TO @worker@;
    GRANT UPDATE (is_kol, kol_kind, person_id) ON contacts TO @supervisor@, @social_officer@;
    CREATE POLICY contacts_read_all ON contacts FOR SELECT TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY contacts_read_team ON contacts FOR SELECT TO @agent@, @social_officer@
        USING (EXISTS (SELECT 1 FROM items i WHERE i.contact_id = contacts.id));
    CREATE POLICY contacts_worker_insert ON contacts FOR INSERT TO @worker@ WITH CHECK (true);
    CREATE POLICY contacts_worker_update ON contacts FOR UPDATE TO @worker@ USING (true);
    CREATE POLICY contacts_kol_update ON contacts FOR UPDATE TO @supervisor@, @social_officer@ USING (true);

    -- tags and labels: one's own team's judgement, changed by who set it or who holds the thread
    ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON tags TO @all@;
    GRANT INSERT, UPDATE (value, set_by, set_at), DELETE ON tags TO @agent@, @social_officer@, @supervisor@;
    CREATE POLICY tags_read_all ON tags FOR SELECT TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY tags_read_team ON tags FOR SELECT TO @agent@, @social_officer@
        USING (EXISTS (SELECT 1 FROM items i WHERE i.id = tags.item_id));
    CREATE POLICY tags_insert_team ON tags FOR INSERT TO @agent@, @social_officer@
        WITH CHECK (team = (SELECT my_team()) AND set_by = (SELECT me())
                    AND EXISTS (SELECT 1 FROM items i WHERE i.id = tags.item_id));
    CREATE POLICY tags_update_team ON tags FOR UPDATE TO @agent@, @social_officer@
        USING (set_by = (SELECT me()) OR EXISTS (
            SELECT 1 FROM items i JOIN conversations c ON c.id = i.conversation_id
            WHERE i.id = tags.item_id AND c.assignee_id = (SELECT me())))
        WITH CHECK (team = (SELECT my_team()) AND set_by = (SELECT me()));
    CREATE POLICY tags_delete_team ON tags FOR DELETE TO @agent@, @social_officer@
        USING (set_by = (SELECT me()) OR EXISTS (
            SELECT 1 FROM items i JOIN conversations c ON c.id = i.conversation_id
            WHERE i.id = tags.item_id AND c.assignee_id = (SELECT me())));
    CREATE POLICY tags_supervisor ON tags FOR ALL TO @supervisor@
        USING (true) WITH CHECK (set_by = (SELECT me()));

    ALTER TABLE labels ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON labels TO @all@;
    GRANT INSERT, DELETE ON labels TO @agent@, @social_officer@, @supervisor@;
    CREATE POLICY labels_read_all ON labels FOR SELECT TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY labels_read_team ON labels FOR SELECT TO @agent@, @social_officer@
        USING (EXISTS (SELECT 1 FROM items i WHERE i.id = labels.item_id));
    CREATE POLICY labels_insert ON labels FOR INSERT TO @agent@, @social_officer@, @supervisor@
        WITH CHECK (set_by = (SELECT me()) AND EXISTS (SELECT 1 FROM items i WHERE i.id = labels.item_id));
    CREATE POLICY labels_delete_own ON labels FOR DELETE TO @agent@, @social_officer@
        USING (set_by = (SELECT me()) OR EXISTS (
            SELECT 1 FROM items i JOIN conversations c ON c.id = i.conversation_id
            WHERE i.id = labels.item_id AND c.assignee_id = (SELECT me())));
    CREATE POLICY labels_delete_supervisor ON labels FOR DELETE TO @supervisor@ USING (true);

    -- notes: on conversations one sees, changed only by their author
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON notes TO @all@;
    GRANT INSERT, UPDATE (body, edited_at), DELETE ON notes TO @agent@, @social_officer@, @supervisor@;
    CREATE POLICY notes_read_all ON notes FOR SELECT TO @supervisor@, @admin@ USING (true);
    CREATE POLICY notes_read_team ON notes FOR SELECT TO @agent@, @social_officer@
        USING (EXISTS (SELECT 1 FROM conversations c WHERE c.id = notes.conversation_id));
    CREATE POLICY notes_insert ON notes FOR INSERT TO @agent@, @social_officer@, @supervisor@
        WITH CHECK (author_id = (SELECT me())
                    AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = notes.conversation_id));
    CREATE POLICY notes_update_own ON notes FOR UPDATE TO @agent@, @social_officer@, @supervisor@
        USING (author_id = (SELECT me())) WITH CHECK (author_id = (SELECT me()));
    CREATE POLICY notes_delete_own ON notes FOR DELETE TO @agent@, @social_officer@
        USING (author_id = (SELECT me()));
    CREATE POLICY notes_delete_supervisor ON notes FOR DELETE TO @supervisor@ USING (true);

    -- issues: everyone reads the picture; the triage engine (worker) and supervisors write it
    GRANT SELECT ON issues, issue_items TO @all@;
    GRANT INSERT, UPDATE, DELETE ON issues, issue_items TO @worker@, @supervisor@;

    -- assignment history: written by the conversations trigger only
    ALTER TABLE assignments ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON assignments TO @all@;
    CREATE POLICY assignments_read_all ON assignments FOR SELECT TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY assignments_read_own ON assignments FOR SELECT TO @agent@, @social_officer@
        USING (to_user_id = (SELECT me()) OR from_user_id = (SELECT me()));

    -- outbox: desktops queue, approve and cancel through functions; the worker moves states
    ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON outbox TO @all@;
    GRANT UPDATE (state, attempts, next_attempt_at, last_error, receipt_id, sent_at, claim_token,
        claimed_by, claimed_at) ON outbox TO @worker@;
    CREATE POLICY outbox_read_all ON outbox FOR SELECT TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY outbox_read_team ON outbox FOR SELECT TO @agent@, @social_officer@
        USING (created_by = (SELECT me())
               OR EXISTS (SELECT 1 FROM conversations c WHERE c.id = outbox.conversation_id));
    CREATE POLICY outbox_worker_update ON outbox FOR UPDATE TO @worker@ USING (true);

    -- audit trail: everyone appends as themselves; no UPDATE or DELETE grants at all
    ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON audit_events TO @desktop@;
    GRANT INSERT ON audit_events TO @all@;
    CREATE POLICY audit_read_all ON audit_events FOR SELECT TO @supervisor@, @admin@ USING (true);
    CREATE POLICY audit_read_own ON audit_events FOR SELECT TO @agent@, @social_officer@
        USING (user_id = (SELECT me()));
    CREATE POLICY audit_insert_desktop ON audit_events FOR INSERT TO @desktop@
        WITH CHECK (user_id IS NOT DISTINCT FROM (SELECT me()));
    CREATE POLICY audit_insert_worker ON audit_events FOR INSERT TO @worker@ WITH CHECK (user_id IS NULL);

    -- soft locks: seen with their conversation; taken and released through functions
    ALTER TABLE soft_locks ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON soft_locks TO @all@;
    CREATE POLICY soft_locks_read_all ON soft_locks FOR SELECT TO @supervisor@, @admin@, @worker@ USING (true);
    CREATE POLICY soft_locks_read_team ON soft_locks FOR SELECT TO @agent@, @social_officer@
        USING (EXISTS (SELECT 1 FROM conversations c WHERE c.id = soft_locks.conversation_id));

    -- the worker's own bookkeeping
    GRANT SELECT, INSERT, UPDATE, DELETE ON sync_cursors TO @worker@;
    GRANT SELECT, INSERT ON sync_problems TO @worker@;
    GRANT SELECT ON sync_cursors, sync_problems TO @supervisor@, @admin@;

    GRANT SELECT ON canned_responses TO @all@;
    GRANT INSERT, UPDATE, DELETE ON canned_responses TO @supervisor@, @admin@;

    REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA omniinbox FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION hub_group(text), hub_login(), me(), my_role(), my_team(), acts_as(text), is_worker()
        TO @all@;
"""


M003_COLLABORATION = """
    -- Internal: append an audit event as the caller (used by the functions below).
    CREATE FUNCTION audit(p_action text, p_target text, p_detail jsonb DEFAULT '{}') RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
        INSERT INTO audit_events (user_id, action, target, detail) VALUES (me(), p_action, p_target, p_detail)
    $$;

    -- Internal: may the caller see this conversation (the rule of conversations_read_*)?
    CREATE FUNCTION sees_conversation(p_conversation bigint) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT EXISTS (
            SELECT 1 FROM conversations c
            WHERE c.id = p_conversation
              AND (my_role() IN ('supervisor', 'admin') OR c.team = my_team() OR c.assignee_id = me()))
    $$;

    -- ---------------------------------------------------------------- assignment

    -- Only someone able to take work in the conversation's team may be given it.
    CREATE FUNCTION assignee_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        u users;
    BEGIN
        IF NEW.assignee_id IS NOT NULL THEN
            SELECT * INTO u FROM users WHERE id = NEW.assignee_id;
            IF NOT FOUND OR NOT u.active OR u.role NOT IN ('agent', 'social_officer', 'supervisor') THEN
                RAISE EXCEPTION 'user % cannot be given conversations', NEW.assignee_id
                    USING ERRCODE = 'check_violation';
            END IF;
            IF u.role <> 'supervisor' AND u.team IS DISTINCT FROM NEW.team THEN
                RAISE EXCEPTION '% is not in the % team', u.name, NEW.team USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        NEW.assigned_at := CASE WHEN NEW.assignee_id IS NULL THEN NULL ELSE clock_timestamp() END;
        RETURN NEW;
    END $$;
    CREATE TRIGGER b_assignee_check BEFORE UPDATE OF assignee_id ON conversations
        FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id) EXECUTE FUNCTION assignee_check();

    -- Every change of assignee, whoever made it and however, lands in the history and the audit.
    CREATE FUNCTION assignment_record() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        why text := coalesce(nullif(current_setting('omniinbox.assign_reason', true), ''), 'manual');
    BEGIN
        INSERT INTO assignments (conversation_id, from_user_id, to_user_id, by_user_id, reason)
        VALUES (NEW.id, OLD.assignee_id, NEW.assignee_id, me(), why);
        PERFORM audit('conversation.assign', 'conversation:' || NEW.id,
            jsonb_build_object('from', OLD.assignee_id, 'to', NEW.assignee_id, 'reason', why));
        RETURN NULL;
    END $$;
    CREATE TRIGGER b_assignment_record AFTER UPDATE OF assignee_id ON conversations
        FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id) EXECUTE FUNCTION assignment_record();

    -- An agent or officer takes an unassigned conversation from their team's queue.
    CREATE FUNCTION claim_conversation(p_conversation bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        uid bigint := me();
        current_assignee bigint;
    BEGIN
        IF uid IS NULL OR my_role() NOT IN ('agent', 'social_officer', 'supervisor') THEN
            RAISE EXCEPTION 'only agents, social media officers and supervisors take conversations'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT sees_conversation(p_conversation) THEN
            RAISE EXCEPTION 'conversation % is not in your queues', p_conversation
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT assignee_id INTO current_assignee FROM conversations WHERE id = p_conversation FOR UPDATE;
        IF current_assignee = uid THEN
            RETURN;
        END IF;
        IF current_assignee IS NOT NULL THEN
            RAISE EXCEPTION 'conversation % is already assigned to %', p_conversation,
                (SELECT name FROM users WHERE id = current_assignee)
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        PERFORM set_config('omniinbox.assign_reason', 'claim', true);
        UPDATE conversations SET assignee_id = uid WHERE id = p_conversation;
        PERFORM set_config('omniinbox.assign_reason', '', true);
    END $$;

    -- Internal: the next person of a team, after the last one given work, who is online and has
    -- spare capacity (open and pending conversations below their capacity); NULL when nobody.
    CREATE FUNCTION next_assignee(p_team text, p_exclude bigint) RETURNS bigint
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        last_given bigint;
        pick bigint;
    BEGIN
        INSERT INTO round_robin (team) VALUES (p_team) ON CONFLICT DO NOTHING;
        SELECT last_user_id INTO last_given FROM round_robin WHERE team = p_team FOR UPDATE;
        SELECT u.id INTO pick FROM users u
        WHERE u.active AND u.team = p_team AND u.role IN ('agent', 'social_officer')
          AND u.presence = 'online' AND u.id IS DISTINCT FROM p_exclude
          AND (SELECT count(*) FROM conversations c
               WHERE c.assignee_id = u.id AND c.status IN ('open', 'pending')) < u.capacity
        ORDER BY u.id <= coalesce(last_given, 0), u.id
        LIMIT 1;
        IF pick IS NOT NULL THEN
            UPDATE round_robin SET last_user_id = pick WHERE team = p_team;
        END IF;
        RETURN pick;
    END $$;

    -- Round-robin: give the team's unassigned open conversations (most urgent, longest waiting
    -- first) to its online people, each up to their capacity. Returns how many were given.
    CREATE FUNCTION auto_assign(p_team text, p_max integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        conv record;
        pick bigint;
        given integer := 0;
    BEGIN
        IF NOT (acts_as('supervisor') OR is_worker()) THEN
            RAISE EXCEPTION 'only supervisors and the sync worker assign work automatically'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('omniinbox.assign_reason', 'round_robin', true);
        FOR conv IN
            SELECT id FROM conversations
            WHERE team = p_team AND assignee_id IS NULL AND status = 'open'
            ORDER BY priority DESC, coalesce(last_inbound_at, first_item_at), id
            LIMIT p_max
            FOR UPDATE SKIP LOCKED
        LOOP
            pick := next_assignee(p_team, NULL);
            EXIT WHEN pick IS NULL;
            UPDATE conversations SET assignee_id = pick WHERE id = conv.id;
            given := given + 1;
        END LOOP;
        PERFORM set_config('omniinbox.assign_reason', '', true);
        RETURN given;
    END $$;

    -- Conversations whose last inbound message has waited longer than p_older (and that have
    -- been with their assignee at least as long) go to the next available person of the team.
    CREATE FUNCTION reassign_overdue(p_team text, p_older interval) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        conv record;
        pick bigint;
        moved integer := 0;
        cutoff timestamptz := clock_timestamp() - p_older;
    BEGIN
        IF NOT (acts_as('supervisor') OR is_worker()) THEN
            RAISE EXCEPTION 'only supervisors and the sync worker reassign overdue work'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('omniinbox.assign_reason', 'overdue', true);
        FOR conv IN
            SELECT id, assignee_id FROM conversations
            WHERE team = p_team AND assignee_id IS NOT NULL AND status = 'open'
              AND last_inbound_at IS NOT NULL
              AND last_inbound_at > coalesce(last_outbound_at, '-infinity')
              AND last_inbound_at < cutoff AND coalesce(assigned_at, '-infinity') < cutoff
            ORDER BY priority DESC, last_inbound_at, id
            FOR UPDATE SKIP LOCKED
        LOOP
            pick := next_assignee(p_team, conv.assignee_id);
            EXIT WHEN pick IS NULL;
            UPDATE conversations SET assignee_id = pick WHERE id = conv.id;
            moved := moved + 1;
        END LOOP;
        PERFORM set_config('omniinbox.assign_reason', '', true);
        RETURN moved;
    END $$;

    CREATE FUNCTION set_presence(p_presence text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        IF me() IS NULL THEN
            RAISE EXCEPTION 'only a hub user has a presence' USING ERRCODE = 'insufficient_privilege';
        END IF;
        UPDATE users SET presence = p_presence, presence_at = clock_timestamp() WHERE id = me();
    END $$;

    CREATE VIEW workload WITH (security_invoker = true) AS
        SELECT u.id AS user_id, u.login, u.name, u.role, u.team, u.capacity, u.presence,
               (SELECT count(*) FROM conversations c
                WHERE c.assignee_id = u.id AND c.status IN ('open', 'pending')) AS open_assigned
        FROM users u WHERE u.active;

    -- ---------------------------------------------------------------- collision control

    CREATE TYPE lock_state AS (
        conversation_id bigint,
        holder_id bigint,
        holder_name text,
        acquired_at timestamptz,
        expires_at timestamptz,
        acquired boolean,  -- the caller holds it now
        taken_over_from bigint
    );

    CREATE FUNCTION lock_of(p_conversation bigint) RETURNS lock_state
    LANGUAGE sql STABLE SET search_path = omniinbox, pg_temp AS $$
        SELECT ROW(l.conversation_id, l.holder_id, u.name, l.acquired_at, l.expires_at,
                   l.holder_id = me() AND l.expires_at > clock_timestamp(), l.taken_over_from)::lock_state
        FROM soft_locks l JOIN users u ON u.id = l.holder_id
        WHERE l.conversation_id = p_conversation
    $$;

    CREATE FUNCTION lock_check(p_conversation bigint, p_lease interval) RETURNS bigint
    LANGUAGE plpgsql STABLE SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        uid bigint := me();
    BEGIN
        IF uid IS NULL THEN
            RAISE EXCEPTION 'only a hub user opens conversations to reply' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT sees_conversation(p_conversation) THEN
            RAISE EXCEPTION 'conversation % is not in your queues', p_conversation
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_lease <= interval '0' OR p_lease > interval '1 hour' THEN
            RAISE EXCEPTION 'a lease lasts between a moment and an hour, not %', p_lease
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN uid;
    END $$;

    -- Open a conversation to reply: take its lock, or renew one's own. When someone else holds
    -- a live lock, nothing changes and the answer names them (acquired = false).
    CREATE FUNCTION take_lock(p_conversation bigint, p_lease interval DEFAULT '2 minutes') RETURNS lock_state
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        uid bigint := lock_check(p_conversation, p_lease);
        now_ts timestamptz := clock_timestamp();
    BEGIN
        INSERT INTO soft_locks AS l (conversation_id, holder_id, acquired_at, expires_at)
        VALUES (p_conversation, uid, now_ts, now_ts + p_lease)
        ON CONFLICT (conversation_id) DO UPDATE
            SET holder_id = excluded.holder_id,
                acquired_at = CASE WHEN l.holder_id = excluded.holder_id AND l.expires_at > now_ts
                                   THEN l.acquired_at ELSE excluded.acquired_at END,
                expires_at = excluded.expires_at,
                taken_over_from = CASE WHEN l.holder_id = excluded.holder_id THEN l.taken_over_from END
            WHERE l.holder_id = excluded.holder_id OR l.expires_at <= now_ts;
        RETURN lock_of(p_conversation);
    END $$;

    -- Take the lock from whoever holds it, on purpose; the audit trail records from whom and why.
    CREATE FUNCTION takeover_lock(p_conversation bigint, p_reason text DEFAULT '',
                                  p_lease interval DEFAULT '2 minutes') RETURNS lock_state
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        uid bigint := lock_check(p_conversation, p_lease);
        now_ts timestamptz := clock_timestamp();
        prev soft_locks;
    BEGIN
        SELECT * INTO prev FROM soft_locks WHERE conversation_id = p_conversation FOR UPDATE;
        IF NOT FOUND OR prev.holder_id = uid OR prev.expires_at <= now_ts THEN
            RETURN take_lock(p_conversation, p_lease);
        END IF;
        UPDATE soft_locks
        SET holder_id = uid, acquired_at = now_ts, expires_at = now_ts + p_lease, taken_over_from = prev.holder_id
        WHERE conversation_id = p_conversation;
        PERFORM audit('lock.takeover', 'conversation:' || p_conversation, jsonb_build_object(
            'from', prev.holder_id,
            'from_name', (SELECT name FROM users WHERE id = prev.holder_id),
            'lease_left_seconds', round(extract(epoch FROM prev.expires_at - now_ts)),
            'reason', p_reason));
        RETURN lock_of(p_conversation);
    END $$;

    CREATE FUNCTION release_lock(p_conversation bigint) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        DELETE FROM soft_locks WHERE conversation_id = p_conversation AND holder_id = me();
        RETURN FOUND;
    END $$;

    CREATE VIEW conversation_locks WITH (security_invoker = true) AS
        SELECT l.conversation_id, l.holder_id, u.name AS holder_name, u.login AS holder_login,
               l.acquired_at, l.expires_at, l.expires_at > clock_timestamp() AS live, l.taken_over_from
        FROM soft_locks l JOIN users u ON u.id = l.holder_id;

    -- ---------------------------------------------------------------- replies

    -- The states an outbox entry may move between, whoever moves it.
    CREATE FUNCTION outbox_transition() RETURNS trigger
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        IF NEW.state = OLD.state THEN
            RETURN NEW;
        END IF;
        IF NOT (
            (OLD.state = 'awaiting_approval' AND NEW.state IN ('queued', 'cancelled'))
            OR (OLD.state = 'queued' AND NEW.state IN ('sending', 'cancelled'))
            OR (OLD.state = 'sending' AND NEW.state IN ('sent', 'failed', 'queued'))
            OR (OLD.state = 'failed' AND NEW.state IN ('queued', 'cancelled', 'sent'))
        ) THEN
            RAISE EXCEPTION 'outbox entry % is %; it cannot become %', OLD.id, OLD.state, NEW.state
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF OLD.state = 'awaiting_approval' AND NEW.state = 'queued' AND NEW.approved_by IS NULL THEN
            RAISE EXCEPTION 'outbox entry % waits for a supervisor''s approval', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER b_outbox_transition BEFORE UPDATE OF state ON outbox
        FOR EACH ROW EXECUTE FUNCTION outbox_transition();

    -- Queue a reply. The caller must hold the conversation's live soft lock: of two people
    -- answering the same citizen, only the one holding it gets a reply out. Replies on a
    -- leader's account wait for a supervisor. A repeated idempotency key returns the first entry.
    CREATE FUNCTION queue_reply(p_conversation bigint, p_body text, p_in_reply_to bigint DEFAULT NULL,
                                p_visibility text DEFAULT 'public', p_requires_approval boolean DEFAULT false,
                                p_idempotency_key text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        uid bigint := me();
        conv conversations;
        held soft_locks;
        needs_approval boolean;
        entry_id bigint;
    BEGIN
        IF uid IS NULL OR my_role() NOT IN ('agent', 'social_officer', 'supervisor') THEN
            RAISE EXCEPTION 'only agents, social media officers and supervisors reply'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_idempotency_key IS NOT NULL THEN
            SELECT id INTO entry_id FROM outbox WHERE idempotency_key = p_idempotency_key AND created_by = uid;
            IF FOUND THEN
                RETURN entry_id;
            END IF;
        END IF;
        IF NOT sees_conversation(p_conversation) THEN
            RAISE EXCEPTION 'conversation % is not in your queues', p_conversation
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF coalesce(btrim(p_body), '') = '' THEN
            RAISE EXCEPTION 'the reply is empty' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT * INTO held FROM soft_locks WHERE conversation_id = p_conversation FOR UPDATE;
        IF NOT FOUND OR held.holder_id <> uid OR held.expires_at <= clock_timestamp() THEN
            RAISE EXCEPTION '%', CASE
                WHEN FOUND AND held.holder_id <> uid AND held.expires_at > clock_timestamp()
                THEN (SELECT name FROM users WHERE id = held.holder_id) || ' is replying to this conversation'
                ELSE 'open the conversation to reply first (its lock is not yours)' END
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        SELECT * INTO conv FROM conversations WHERE id = p_conversation;
        IF p_in_reply_to IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM items WHERE id = p_in_reply_to AND conversation_id = p_conversation) THEN
            RAISE EXCEPTION 'item % is not in conversation %', p_in_reply_to, p_conversation
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        needs_approval := p_requires_approval
            OR (SELECT owner_kind = 'leader' FROM accounts WHERE id = conv.account_id);
        INSERT INTO outbox (account_id, conversation_id, in_reply_to_item_id, body, visibility, state,
                            next_attempt_at, idempotency_key, created_by, requires_approval)
        VALUES (conv.account_id, p_conversation, p_in_reply_to, p_body, p_visibility,
                CASE WHEN needs_approval THEN 'awaiting_approval' ELSE 'queued' END, clock_timestamp(),
                coalesce(p_idempotency_key, gen_random_uuid()::text), uid, needs_approval)
        RETURNING id INTO entry_id;
        PERFORM audit('reply.queue', 'outbox:' || entry_id, jsonb_build_object(
            'conversation', p_conversation,
            'state', CASE WHEN needs_approval THEN 'awaiting_approval' ELSE 'queued' END));
        RETURN entry_id;
    END $$;

    CREATE FUNCTION approve_reply(p_outbox bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        entry outbox;
    BEGIN
        IF NOT acts_as('supervisor') THEN
            RAISE EXCEPTION 'only a supervisor approves replies' USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO entry FROM outbox WHERE id = p_outbox FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'there is no outbox entry %', p_outbox USING ERRCODE = 'no_data_found';
        END IF;
        IF entry.state <> 'awaiting_approval' THEN
            RAISE EXCEPTION 'outbox entry % is %, not awaiting approval', p_outbox, entry.state
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        UPDATE outbox SET state = 'queued', approved_by = me(), approved_at = clock_timestamp(),
                          next_attempt_at = clock_timestamp()
        WHERE id = p_outbox;
        PERFORM audit('reply.approve', 'outbox:' || p_outbox,
            jsonb_build_object('conversation', entry.conversation_id));
    END $$;

    -- Internal: the entry, if the caller wrote it or supervises.
    CREATE FUNCTION own_entry(p_outbox bigint) RETURNS outbox
    LANGUAGE plpgsql SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        entry outbox;
    BEGIN
        SELECT * INTO entry FROM outbox WHERE id = p_outbox FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'there is no outbox entry %', p_outbox USING ERRCODE = 'no_data_found';
        END IF;
        IF me() IS NULL OR NOT (entry.created_by = me() OR acts_as('supervisor')) THEN
            RAISE EXCEPTION 'only its author or a supervisor changes outbox entry %', p_outbox
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN entry;
    END $$;

    CREATE FUNCTION cancel_reply(p_outbox bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        entry outbox := own_entry(p_outbox);
    BEGIN
        UPDATE outbox SET state = 'cancelled' WHERE id = p_outbox;
        PERFORM audit('reply.cancel', 'outbox:' || p_outbox, jsonb_build_object('before', entry.state));
    END $$;

    CREATE FUNCTION retry_reply(p_outbox bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    DECLARE
        entry outbox := own_entry(p_outbox);
    BEGIN
        IF entry.state <> 'failed' THEN
            RAISE EXCEPTION 'outbox entry % is %; only a failed reply is retried', p_outbox, entry.state
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        UPDATE outbox SET state = 'queued', next_attempt_at = clock_timestamp() WHERE id = p_outbox;
        PERFORM audit('reply.retry', 'outbox:' || p_outbox, jsonb_build_object('last_error', entry.last_error));
    END $$;

    -- Tags are judgements that are audited: who set which value on which item for which team.
    CREATE FUNCTION tag_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = omniinbox, pg_temp AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM audit('tag.clear', 'item:' || OLD.item_id,
                jsonb_build_object('team', OLD.team, 'before', OLD.value));
        ELSE
            PERFORM audit('tag.set', 'item:' || NEW.item_id, jsonb_build_object(
                'team', NEW.team, 'value', NEW.value,
                'before', CASE WHEN TG_OP = 'UPDATE' THEN OLD.value END));
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER b_tag_audit AFTER INSERT OR UPDATE OF value OR DELETE ON tags
        FOR EACH ROW EXECUTE FUNCTION tag_audit();

    REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA omniinbox FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION hub_group(text), hub_login(), me(), my_role(), my_team(), acts_as(text), is_worker()
        TO @all@;
    GRANT EXECUTE ON FUNCTION lock_of(bigint) TO @all@;
    GRANT EXECUTE ON FUNCTION take_lock(bigint, interval), takeover_lock(bigint, text, interval),
        release_lock(bigint), queue_reply(bigint, text, bigint, text, boolean, text), cancel_reply(bigint),
        retry_reply(bigint), set_presence(text), claim_conversation(bigint)
        TO @desktop@;
    GRANT EXECUTE ON FUNCTION approve_reply(bigint) TO @supervisor@;
    GRANT EXECUTE ON FUNCTION auto_assign(text, integer), reassign_overdue(text, interval) TO @supervisor@, @worker@;
    GRANT SELECT ON workload, conversation_locks TO @all@;
"""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "tables and change feed", M001_TABLES),
    Migration(2, "roles, grants and row-level security", M002_ACCESS),
    Migration(3, "assignment, collision control and replies", M003_COLLABORATION),
)
LATEST = MIGRATIONS[-1].version


def group_role(prefix: str, role: str) -> str:
    return f"{prefix}_{role}"


def _render(text: str, prefix: str, conn: psycopg.Connection[Any]) -> str:
    def ident(role: str) -> str:
        return sql.Identifier(group_role(prefix, role)).as_string(conn)

    names = {role: ident(role) for role in GROUPS}
    names["desktop"] = ", ".join(ident(role) for role in DESKTOP_GROUPS)
    names["all"] = ", ".join(ident(role) for role in GROUPS)
    return re.sub(r"@(\w+)@", lambda m: names[m.group(1)], text)


_BOOTSTRAP = """
    CREATE SCHEMA IF NOT EXISTS omniinbox;
    CREATE TABLE IF NOT EXISTS omniinbox.hub_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text NOT NULL DEFAULT session_user,
        program_version text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS omniinbox.hub_settings (
        key text PRIMARY KEY,
        value text NOT NULL
    );
"""


def applied_versions(conn: psycopg.Connection[Any]) -> list[int]:
    """The migrations recorded in the hub (empty for a database that is no hub yet)."""
    exists = conn.execute("SELECT to_regclass('omniinbox.hub_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    return [int(r[0]) for r in conn.execute("SELECT version FROM omniinbox.hub_migrations ORDER BY version")]


def role_prefix(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT value FROM omniinbox.hub_settings WHERE key = 'role_prefix'").fetchone()
    if row is None:
        raise HubNeedsUpgrade("this database is not an OmniInbox hub yet: run omniinbox hub init")
    return str(row[0])


def _refuse_newer(versions: Sequence[int], known: Sequence[Migration]) -> None:
    unknown = sorted(set(versions) - {m.version for m in known})
    if unknown:
        raise HubTooNew(
            f"this hub was written by a newer OmniInbox (schema version {max(unknown)}; this is {__version__},"
            f" which knows up to {max((m.version for m in known), default=0)}): upgrade OmniInbox; the hub is unchanged"
        )


def check_schema(conn: psycopg.Connection[Any]) -> int:
    """Raise unless the hub's schema is exactly what this program knows; returns its version."""
    versions = applied_versions(conn)
    _refuse_newer(versions, MIGRATIONS)
    if not versions:
        raise HubNeedsUpgrade("this database is not an OmniInbox hub yet: run omniinbox hub init")
    if versions[-1] < LATEST:
        raise HubNeedsUpgrade(
            f"the hub's schema is version {versions[-1]}; this OmniInbox needs {LATEST}: run omniinbox hub init"
        )
    return versions[-1]


def _ensure_roles(conn: psycopg.Connection[Any], prefix: str) -> list[str]:
    created = []
    for role in GROUPS:
        name = group_role(prefix, role)
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
            created.append(name)
    return created


@dataclass(slots=True)
class MigrationReport:
    applied: list[int]
    roles_created: list[str]
    version: int
    prefix: str


def migrate(
    conn: psycopg.Connection[Any],
    *,
    prefix: str | None = None,
    target: int | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> MigrationReport:
    """Create or upgrade the hub schema and its group roles; safe to run again (idempotent).

    ``prefix`` names the group roles (default ``omniinbox``: ``omniinbox_agent``...); a hub keeps
    the prefix it was created with and refuses another. ``target`` stops after that version.
    Each migration commits on its own with its record; a failing one rolls back whole and stops.
    The connection must be in autocommit mode and belong to the role that will own the schema,
    with the right to create roles."""
    if prefix is not None and not _PREFIX_RE.match(prefix):
        raise HubError(
            f"role prefix {prefix!r}: use lower-case letters, digits and _ (at most 40), starting with a letter"
        )
    conn.execute("SELECT pg_advisory_lock(%s, %s)", _INIT_LOCK)
    try:
        with conn.transaction():
            conn.execute(_BOOTSTRAP)
            versions = applied_versions(conn)
            _refuse_newer(versions, migrations)
            row = conn.execute("SELECT value FROM omniinbox.hub_settings WHERE key = 'role_prefix'").fetchone()
            if row is None:
                chosen = prefix or DEFAULT_ROLE_PREFIX
                conn.execute("INSERT INTO omniinbox.hub_settings (key, value) VALUES ('role_prefix', %s)", (chosen,))
            else:
                chosen = str(row[0])
                if prefix is not None and prefix != chosen:
                    raise HubError(f"this hub's roles are named {chosen}_*; it cannot switch to {prefix}_*")
            created = _ensure_roles(conn, chosen)
        applied = []
        done = set(versions)
        for migration in migrations:
            if migration.version in done or (target is not None and migration.version > target):
                continue
            with conn.transaction():
                conn.execute("SET LOCAL search_path = omniinbox, pg_temp")
                conn.execute("SET LOCAL statement_timeout = '30min'")  # a big hub takes a while, not forever
                conn.execute(_render(migration.sql, chosen, conn).encode())
                conn.execute(
                    "INSERT INTO omniinbox.hub_migrations (version, name, program_version) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, __version__),
                )
            applied.append(migration.version)
        final = applied_versions(conn)
        return MigrationReport(applied, created, final[-1] if final else 0, chosen)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s, %s)", _INIT_LOCK)
