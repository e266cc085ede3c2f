-- Each contact's WhatsApp profile picture as last fetched: Ventros' copy (a media file) and
-- when WAHA was last asked.
CREATE TABLE contact_pictures (
    tenant_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    file_id BLOB,
    sha256 TEXT,
    checked_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, contact_id)
);
