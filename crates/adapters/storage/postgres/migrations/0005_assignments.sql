-- Who held a session when: one row per interval, closed by the next change or the end.
CREATE TABLE session_assignments (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    session_id UUID NOT NULL REFERENCES sessions(id),
    agent_id UUID,
    from_agent_id UUID,
    kind TEXT NOT NULL,
    note TEXT,
    assigned_by TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);
CREATE INDEX session_assignments_session ON session_assignments (tenant_id, session_id, started_at, id);

ALTER TABLE session_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON session_assignments USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON session_assignments TO %I USING (true) WITH CHECK (true)', current_user);
END $$;
