-- Files in Ventros' own media store: customers' media downloaded from WAHA, uploads to send,
-- profile pictures. The bytes live in the media store under the tenant's key.
CREATE TABLE media_files (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    origin TEXT NOT NULL,
    message_id BLOB,
    status TEXT NOT NULL,
    mimetype TEXT,
    filename TEXT,
    size INTEGER,
    sha256 TEXT,
    error TEXT,
    source_url TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    stored_at INTEGER
);
CREATE INDEX media_files_message ON media_files (tenant_id, message_id);
