-- REST API resources: agents, notes, idempotency keys; contact search and soft delete.

-- Login is by email alone, so an email belongs to one user across tenants.
CREATE UNIQUE INDEX users_email ON users (email);

-- A deleted contact frees its phone (and LID) for a new contact.
DROP INDEX contacts_tenant_phone;
CREATE UNIQUE INDEX contacts_tenant_phone ON contacts (tenant_id, phone) WHERE phone IS NOT NULL AND deleted_at IS NULL;
DROP INDEX contacts_tenant_lid;
CREATE UNIQUE INDEX contacts_tenant_lid ON contacts (tenant_id, lid) WHERE lid IS NOT NULL AND deleted_at IS NULL;
ALTER TABLE contacts ADD COLUMN pipeline_id UUID;
CREATE INDEX contacts_tenant_created ON contacts (tenant_id, created_at, id);
CREATE INDEX contacts_tenant_updated ON contacts (tenant_id, updated_at, id);

ALTER TABLE sessions ADD COLUMN agent_id UUID;
CREATE INDEX sessions_tenant_started ON sessions (tenant_id, project_id, started_at, id);
CREATE INDEX messages_session_time ON messages (tenant_id, session_id, sent_at, id);
CREATE INDEX messages_contact_time ON messages (tenant_id, contact_id, sent_at, id);

CREATE TABLE agents (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    project_id UUID NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    user_id UUID REFERENCES users(id),
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, project_id, user_id)
);
CREATE INDEX agents_scope ON agents (tenant_id, project_id, created_at, id);

CREATE TABLE notes (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    contact_id UUID NOT NULL REFERENCES contacts(id),
    session_id UUID REFERENCES sessions(id),
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX notes_contact ON notes (tenant_id, contact_id, created_at, id);
CREATE INDEX notes_session ON notes (tenant_id, session_id, created_at, id);

CREATE TABLE idempotency_keys (
    tenant_id UUID NOT NULL,
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    response BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, actor, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['agents', 'notes', 'idempotency_keys']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant())', t);
        EXECUTE format('CREATE POLICY owner_maintenance ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
    END LOOP;
END
$$;

-- A login names an email before the tenant is known.
CREATE FUNCTION ventros_find_login(p_email text)
    RETURNS TABLE (id uuid, tenant_id uuid, email text, name text, password_hash text, role text,
                   created_at timestamptz, disabled_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT u.id, u.tenant_id, u.email, u.name, u.password_hash, u.role, u.created_at, u.disabled_at
          FROM users u WHERE u.email = p_email $$;

-- Retention of idempotency keys runs for every tenant.
CREATE FUNCTION ventros_prune_idempotency(p_before timestamptz)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$ WITH d AS (DELETE FROM idempotency_keys WHERE created_at < p_before RETURNING 1)
          SELECT COUNT(*) FROM d $$;

REVOKE ALL ON FUNCTION ventros_find_login(text), ventros_prune_idempotency(timestamptz) FROM PUBLIC;
