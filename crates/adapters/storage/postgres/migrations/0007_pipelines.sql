-- Pipelines of a project; a pipeline may override the session inactivity timeout of its
-- contacts' sessions.
CREATE TABLE pipelines (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    project_id UUID NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    session_timeout_seconds BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pipelines_scope ON pipelines (tenant_id, project_id, created_at, id);
CREATE INDEX contacts_tenant_pipeline ON contacts (tenant_id, pipeline_id) WHERE pipeline_id IS NOT NULL;

ALTER TABLE pipelines ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipelines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pipelines USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON pipelines TO %I USING (true) WITH CHECK (true)', current_user);
END $$;
