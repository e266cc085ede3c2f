-- Each contact's WhatsApp profile picture as last fetched: Ventros' copy (a media file) and
-- when WAHA was last asked.
CREATE TABLE contact_pictures (
    tenant_id UUID NOT NULL,
    contact_id UUID NOT NULL,
    file_id UUID,
    sha256 TEXT,
    checked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, contact_id)
);

ALTER TABLE contact_pictures ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_pictures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_pictures USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON contact_pictures TO %I USING (true) WITH CHECK (true)', current_user);
END $$;
