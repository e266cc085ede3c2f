-- Durable jobs and timers (session inactivity, later debounce and sagas). One live job per
-- (tenant, key): arming the same key again moves it. Workers lease due jobs with
-- `locked_until` (FOR UPDATE SKIP LOCKED, so two workers never take the same job); finishing
-- is fenced on (run_at, attempts) so a re-armed job is never lost.
CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload JSONB NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    status TEXT NOT NULL,
    last_error TEXT,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, key)
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_tenant_status ON jobs (tenant_id, status, created_at, id);

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON jobs TO %I USING (true) WITH CHECK (true)', current_user);
END $$;

-- Workers serve every tenant.
CREATE FUNCTION ventros_claim_jobs(p_limit integer, p_now timestamptz, p_lease timestamptz)
    RETURNS SETOF jobs
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
        UPDATE jobs SET locked_until = p_lease, attempts = attempts + 1, updated_at = p_now
        WHERE id IN (
            SELECT id FROM jobs
            WHERE status = 'pending' AND run_at <= p_now
              AND (locked_until IS NULL OR locked_until <= p_now)
            ORDER BY run_at LIMIT p_limit
            FOR UPDATE SKIP LOCKED)
        RETURNING *
    $$;

-- The webhook also needs the channel's session timeout to arm inactivity timers.
DROP FUNCTION ventros_webhook_channel(uuid);
CREATE FUNCTION ventros_webhook_channel(p_id uuid)
    RETURNS TABLE (tenant_id uuid, project_id uuid, webhook_hmac_key text, session_timeout_seconds bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT c.tenant_id, c.project_id, c.webhook_hmac_key, c.session_timeout_seconds::bigint
          FROM channels c WHERE c.id = p_id AND c.deleted_at IS NULL $$;

REVOKE ALL ON FUNCTION ventros_claim_jobs(integer, timestamptz, timestamptz), ventros_webhook_channel(uuid) FROM PUBLIC;
