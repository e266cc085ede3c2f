-- Hot tables (written per message) carry tenant_id, project_id and channel_id without foreign
-- keys to those parent rows: every insert would share-lock the same tenant row (MultiXact
-- contention on PostgreSQL) and the checks cost more than the insert. RLS WITH CHECK and the
-- use cases keep them consistent; entity links (message → chat, session, contact) keep FKs.
-- Ventros core schema (PostgreSQL). Every tenant table has tenant_id and row-level security.

CREATE TABLE tenants (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE projects (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ,
    UNIQUE (tenant_id, email)
);

CREATE TABLE api_keys (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    project_id UUID NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    UNIQUE (tenant_id, key_hash)
);
CREATE INDEX api_keys_hash ON api_keys (key_hash);

CREATE TABLE channels (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    project_id UUID NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    waha_base_url TEXT NOT NULL,
    waha_api_key TEXT NOT NULL,
    waha_session TEXT NOT NULL,
    webhook_hmac_key TEXT,
    status TEXT NOT NULL,
    debounce_timeout_ms BIGINT NOT NULL,
    session_timeout_seconds BIGINT NOT NULL,
    import_strategy TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX channels_tenant ON channels (tenant_id, id);

CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    phone TEXT,
    wa_id TEXT,
    lid TEXT,
    name TEXT,
    push_name TEXT,
    email TEXT,
    profile_picture_url TEXT,
    tags JSONB NOT NULL DEFAULT '[]',
    custom_fields JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX contacts_tenant_phone ON contacts (tenant_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_tenant_lid ON contacts (tenant_id, lid) WHERE lid IS NOT NULL;
CREATE INDEX contacts_tenant_id ON contacts (tenant_id, id);

CREATE TABLE chats (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    channel_id UUID NOT NULL,
    wa_chat_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    contact_id UUID REFERENCES contacts(id),
    subject TEXT,
    last_message_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, channel_id, wa_chat_id)
);
CREATE INDEX chats_tenant_contact ON chats (tenant_id, contact_id);

CREATE TABLE chat_participants (
    tenant_id UUID NOT NULL,
    chat_id UUID NOT NULL REFERENCES chats(id),
    wa_id TEXT NOT NULL,
    role TEXT NOT NULL,
    joined_at TIMESTAMPTZ NOT NULL,
    left_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, chat_id, wa_id)
);

CREATE TABLE sessions (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    channel_id UUID NOT NULL,
    chat_id UUID NOT NULL REFERENCES chats(id),
    contact_id UUID REFERENCES contacts(id),
    status TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    end_reason TEXT,
    first_contact_message_at TIMESTAMPTZ,
    first_agent_message_at TIMESTAMPTZ,
    last_message_at TIMESTAMPTZ,
    contact_messages BIGINT NOT NULL DEFAULT 0,
    agent_messages BIGINT NOT NULL DEFAULT 0,
    system_messages BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sessions_one_active_per_chat ON sessions (tenant_id, chat_id) WHERE status = 'active';
CREATE INDEX sessions_tenant_contact ON sessions (tenant_id, contact_id);

CREATE TABLE messages (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    channel_id UUID NOT NULL,
    chat_id UUID NOT NULL REFERENCES chats(id),
    session_id UUID NOT NULL REFERENCES sessions(id),
    contact_id UUID REFERENCES contacts(id),
    direction TEXT NOT NULL,
    sender_kind TEXT NOT NULL,
    sender_wa_id TEXT,
    content_type TEXT NOT NULL,
    body TEXT,
    media JSONB,
    location JSONB,
    vcards JSONB NOT NULL DEFAULT '[]',
    reply_to TEXT,
    reply_to_message_id UUID,
    status SMALLINT NOT NULL,
    provider_id TEXT NOT NULL,
    from_me BOOLEAN NOT NULL,
    raw_id TEXT NOT NULL,
    imported BOOLEAN NOT NULL DEFAULT FALSE,
    sent_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    edited_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    reactions JSONB NOT NULL DEFAULT '{}',
    UNIQUE (tenant_id, channel_id, from_me, raw_id)
);
CREATE INDEX messages_chat_time ON messages (tenant_id, chat_id, sent_at, id);
CREATE INDEX messages_channel_raw ON messages (tenant_id, channel_id, raw_id);

CREATE TABLE message_edits (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    message_id UUID NOT NULL REFERENCES messages(id),
    old_body TEXT,
    new_body TEXT,
    edited_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE poll_votes (
    tenant_id UUID NOT NULL,
    message_id UUID NOT NULL REFERENCES messages(id),
    voter TEXT NOT NULL,
    selected JSONB NOT NULL,
    voted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, message_id, voter)
);

CREATE TABLE pending_acks (
    tenant_id UUID NOT NULL,
    channel_id UUID NOT NULL,
    from_me BOOLEAN NOT NULL,
    raw_id TEXT NOT NULL,
    status SMALLINT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, channel_id, from_me, raw_id)
);

CREATE TABLE inbound_deliveries (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    channel_id UUID NOT NULL,
    dedupe_key TEXT NOT NULL,
    event_name TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    body JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, channel_id, dedupe_key)
);

CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    id UUID NOT NULL,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    event_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    correlation_id TEXT,
    causation_id TEXT,
    aggregate_type TEXT NOT NULL,
    aggregate_id UUID NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    lease_until TIMESTAMPTZ,
    attempts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, id)
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_tenant ON outbox (tenant_id, seq);

CREATE TABLE contact_events (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    contact_id UUID NOT NULL REFERENCES contacts(id),
    event_type TEXT NOT NULL,
    category TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload JSONB NOT NULL,
    source_event_id UUID NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contact_events_contact ON contact_events (tenant_id, contact_id, occurred_at, id);

CREATE TABLE processed_events (
    consumer TEXT NOT NULL,
    event_id UUID NOT NULL,
    tenant_id UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, consumer, event_id)
);
