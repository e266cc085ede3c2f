-- Files in Ventros' own media store: customers' media downloaded from WAHA, uploads to send,
-- profile pictures. The bytes live in the media store under the tenant's key.
CREATE TABLE media_files (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    origin TEXT NOT NULL,
    message_id UUID,
    status TEXT NOT NULL,
    mimetype TEXT,
    filename TEXT,
    size BIGINT,
    sha256 TEXT,
    error TEXT,
    source_url TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    stored_at TIMESTAMPTZ
);
CREATE INDEX media_files_message ON media_files (tenant_id, message_id);

ALTER TABLE media_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE media_files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON media_files USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON media_files TO %I USING (true) WITH CHECK (true)', current_user);
END $$;
