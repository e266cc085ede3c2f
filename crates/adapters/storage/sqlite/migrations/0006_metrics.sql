-- Session metrics: kept up to date by ingest (last contact / agent message, first response)
-- and finalised at session end (the full figures as JSON).
ALTER TABLE sessions ADD COLUMN last_contact_message_at INTEGER;
ALTER TABLE sessions ADD COLUMN last_agent_message_at INTEGER;
ALTER TABLE sessions ADD COLUMN agent_first_response_seconds INTEGER;
ALTER TABLE sessions ADD COLUMN contact_first_response_seconds INTEGER;
ALTER TABLE sessions ADD COLUMN first_response_agent_id BLOB;
ALTER TABLE sessions ADD COLUMN metrics TEXT;

UPDATE sessions SET
    last_contact_message_at = (SELECT MAX(m.sent_at) FROM messages m WHERE m.session_id = sessions.id AND m.sender_kind = 'contact'),
    last_agent_message_at = (SELECT MAX(m.sent_at) FROM messages m WHERE m.session_id = sessions.id AND m.sender_kind IN ('agent', 'bot', 'phone_app'));
UPDATE sessions SET
    agent_first_response_seconds = CASE WHEN first_agent_message_at >= first_contact_message_at THEN (first_agent_message_at - first_contact_message_at) / 1000 END,
    contact_first_response_seconds = CASE WHEN first_agent_message_at < first_contact_message_at THEN (first_contact_message_at - first_agent_message_at) / 1000 END;


-- Debounce: one pending group per chat at most.
ALTER TABLE channels ADD COLUMN message_group_max_age_ms INTEGER NOT NULL DEFAULT 120000;
CREATE TABLE message_groups (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    channel_id BLOB NOT NULL REFERENCES channels(id),
    chat_id BLOB NOT NULL REFERENCES chats(id),
    session_id BLOB NOT NULL REFERENCES sessions(id),
    status TEXT NOT NULL,
    message_ids TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    debounce_ms INTEGER NOT NULL,
    max_age_ms INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE UNIQUE INDEX message_groups_one_pending ON message_groups (tenant_id, chat_id) WHERE status = 'pending';
CREATE INDEX message_groups_chat ON message_groups (tenant_id, chat_id, opened_at);
