-- Revokes, edits, reactions and poll votes that arrive before their message: kept and
-- applied, in arrival order, when the message lands (as pending_acks does for acks).
-- from_me is NULL when the change does not say which side wrote the message.
CREATE TABLE early_changes (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    channel_id UUID NOT NULL,
    from_me BOOLEAN,
    raw_id TEXT NOT NULL,
    change JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX early_changes_message ON early_changes (tenant_id, channel_id, raw_id);

ALTER TABLE early_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE early_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON early_changes USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON early_changes TO %I USING (true) WITH CHECK (true)', current_user);
END $$;

-- A contact first seen by its LID and later found to be a phone contact is merged into
-- it: the merged row is soft-deleted and points at the survivor, so late timeline entries
-- follow the survivor.
ALTER TABLE contacts ADD COLUMN merged_into UUID;
