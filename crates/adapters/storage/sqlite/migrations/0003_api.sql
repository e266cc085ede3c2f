-- REST API resources: agents, notes, idempotency keys; contact search and soft delete.

-- Login is by email alone, so an email belongs to one user across tenants.
CREATE UNIQUE INDEX users_email ON users (email);

-- A deleted contact frees its phone (and LID) for a new contact.
DROP INDEX contacts_tenant_phone;
CREATE UNIQUE INDEX contacts_tenant_phone ON contacts (tenant_id, phone) WHERE phone IS NOT NULL AND deleted_at IS NULL;
DROP INDEX contacts_tenant_lid;
CREATE UNIQUE INDEX contacts_tenant_lid ON contacts (tenant_id, lid) WHERE lid IS NOT NULL AND deleted_at IS NULL;
ALTER TABLE contacts ADD COLUMN pipeline_id BLOB;
CREATE INDEX contacts_tenant_created ON contacts (tenant_id, created_at, id);
CREATE INDEX contacts_tenant_updated ON contacts (tenant_id, updated_at, id);

ALTER TABLE sessions ADD COLUMN agent_id BLOB;
CREATE INDEX sessions_tenant_started ON sessions (tenant_id, project_id, started_at, id);
CREATE INDEX messages_session_time ON messages (tenant_id, session_id, sent_at, id);
CREATE INDEX messages_contact_time ON messages (tenant_id, contact_id, sent_at, id);

CREATE TABLE agents (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    project_id BLOB NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    user_id BLOB REFERENCES users(id),
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, project_id, user_id)
);
CREATE INDEX agents_scope ON agents (tenant_id, project_id, created_at, id);

CREATE TABLE notes (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    contact_id BLOB NOT NULL REFERENCES contacts(id),
    session_id BLOB REFERENCES sessions(id),
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX notes_contact ON notes (tenant_id, contact_id, created_at, id);
CREATE INDEX notes_session ON notes (tenant_id, session_id, created_at, id);

-- One row per (tenant, caller, Idempotency-Key): the request's hash and, once done, its
-- response. Rows older than the retention are pruned.
CREATE TABLE idempotency_keys (
    tenant_id BLOB NOT NULL,
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    response BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, actor, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
