-- Outbound webhooks: integrators' subscriptions, one delivery per subscription and event,
-- and every attempt of each (docs/WEBHOOKS.md).
CREATE TABLE webhook_subscriptions (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT,
    enabled INTEGER NOT NULL,
    disabled_reason TEXT,
    -- Kept to sign with (Standard Webhooks secrets are symmetric); never shown after creation.
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until INTEGER,
    failing_since INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_project ON webhook_subscriptions (tenant_id, project_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    subscription_id BLOB NOT NULL,
    event_id BLOB NOT NULL,
    event_type TEXT NOT NULL,
    aggregate_id BLOB NOT NULL,
    occurred_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_status_code INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, subscription_id, event_id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, subscription_id, occurred_at, id);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (tenant_id, subscription_id, aggregate_id, status);

CREATE TABLE webhook_attempts (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    delivery_id BLOB NOT NULL,
    attempted_at INTEGER NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    response_excerpt TEXT,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (tenant_id, delivery_id, attempted_at);
-- Finished deliveries by age, for the log's retention.
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (updated_at) WHERE status <> 'pending';
-- Replays read a project's events by time.
CREATE INDEX outbox_project_time ON outbox (tenant_id, project_id, occurred_at);
