-- Revokes, edits, reactions and poll votes that arrive before their message: kept and
-- applied, in arrival order, when the message lands (as pending_acks does for acks).
-- from_me is NULL when the change does not say which side wrote the message.
CREATE TABLE early_changes (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    channel_id BLOB NOT NULL,
    from_me INTEGER,
    raw_id TEXT NOT NULL,
    change TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX early_changes_message ON early_changes (tenant_id, channel_id, raw_id);

-- A contact first seen by its LID and later found to be a phone contact is merged into
-- it: the merged row is soft-deleted and points at the survivor, so late timeline entries
-- follow the survivor.
ALTER TABLE contacts ADD COLUMN merged_into BLOB;
