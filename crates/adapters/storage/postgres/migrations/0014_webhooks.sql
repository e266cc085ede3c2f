-- Outbound webhooks: integrators' subscriptions, one delivery per subscription and event,
-- and every attempt of each (docs/WEBHOOKS.md).
CREATE TABLE webhook_subscriptions (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    url TEXT NOT NULL,
    events JSONB NOT NULL,
    description TEXT,
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    -- Kept to sign with (Standard Webhooks secrets are symmetric); never shown after creation.
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMPTZ,
    failing_since TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_subscriptions_project ON webhook_subscriptions (tenant_id, project_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    subscription_id UUID NOT NULL,
    event_id UUID NOT NULL,
    event_type TEXT NOT NULL,
    aggregate_id UUID NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, subscription_id, event_id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, subscription_id, occurred_at, id);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (tenant_id, subscription_id, aggregate_id, status);

CREATE TABLE webhook_attempts (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    delivery_id UUID NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    status_code INTEGER,
    duration_ms BIGINT NOT NULL,
    response_excerpt TEXT,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (tenant_id, delivery_id, attempted_at);
-- Finished deliveries by age, for the log's retention.
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (updated_at) WHERE status <> 'pending';
-- Replays read a project's events by time.
CREATE INDEX outbox_project_time ON outbox (tenant_id, project_id, occurred_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhook_subscriptions', 'webhook_deliveries', 'webhook_attempts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant())', t);
        EXECUTE format('CREATE POLICY owner_maintenance ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
    END LOOP;
END
$$;

-- Retention of the delivery log runs for every tenant: finished deliveries older than the
-- cut-off and their attempts.
CREATE FUNCTION ventros_prune_webhook_log(p_before timestamptz)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$ WITH d AS (DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < p_before RETURNING tenant_id, id),
               a AS (DELETE FROM webhook_attempts w USING d WHERE w.tenant_id = d.tenant_id AND w.delivery_id = d.id RETURNING 1)
          SELECT COUNT(*) FROM d $$;

REVOKE ALL ON FUNCTION ventros_prune_webhook_log(timestamptz) FROM PUBLIC;
