-- Pipelines of a project; a pipeline may override the session inactivity timeout of its
-- contacts' sessions.
CREATE TABLE pipelines (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    project_id BLOB NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    session_timeout_seconds INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX pipelines_scope ON pipelines (tenant_id, project_id, created_at, id);
CREATE INDEX contacts_tenant_pipeline ON contacts (tenant_id, pipeline_id) WHERE pipeline_id IS NOT NULL;
