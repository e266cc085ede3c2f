-- Durable jobs and timers (session inactivity, later debounce and sagas). One live job per
-- (tenant, key): arming the same key again moves it. A worker leases due jobs with
-- `locked_until`; finishing is fenced on (run_at, attempts) so a re-armed job is never lost.
CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    status TEXT NOT NULL,
    last_error TEXT,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, key)
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_tenant_status ON jobs (tenant_id, status, created_at, id);
