-- Sending: who wrote an outbound message, when WhatsApp confirmed it, why it failed; the send
-- saga's own row per message; an agent per API key that sends.
ALTER TABLE messages ADD COLUMN agent_id BLOB;
ALTER TABLE messages ADD COLUMN confirmed_at INTEGER;
ALTER TABLE messages ADD COLUMN failure TEXT;
ALTER TABLE agents ADD COLUMN api_key_id BLOB;
CREATE UNIQUE INDEX agents_api_key ON agents (tenant_id, project_id, api_key_id) WHERE api_key_id IS NOT NULL;

CREATE TABLE outbound_sends (
    message_id BLOB PRIMARY KEY REFERENCES messages(id),
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    channel_id BLOB NOT NULL,
    chat_id BLOB NOT NULL,
    wa_chat_id TEXT NOT NULL,
    state TEXT NOT NULL,
    content TEXT NOT NULL,
    reply_to TEXT,
    reserved_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome_unknown INTEGER NOT NULL DEFAULT 0,
    typing_until INTEGER,
    queued_at INTEGER NOT NULL,
    sent_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX outbound_sends_chat ON outbound_sends (tenant_id, chat_id, queued_at);
CREATE INDEX outbound_sends_channel_sent ON outbound_sends (tenant_id, channel_id, sent_at);
