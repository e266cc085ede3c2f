-- Sending: who wrote an outbound message, when WhatsApp confirmed it, why it failed; the send
-- saga's own row per message; an agent per API key that sends.
ALTER TABLE messages ADD COLUMN agent_id UUID;
ALTER TABLE messages ADD COLUMN confirmed_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN failure JSONB;
ALTER TABLE agents ADD COLUMN api_key_id UUID;
CREATE UNIQUE INDEX agents_api_key ON agents (tenant_id, project_id, api_key_id) WHERE api_key_id IS NOT NULL;

CREATE TABLE outbound_sends (
    message_id UUID PRIMARY KEY REFERENCES messages(id),
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    channel_id UUID NOT NULL,
    chat_id UUID NOT NULL,
    wa_chat_id TEXT NOT NULL,
    state TEXT NOT NULL,
    content JSONB NOT NULL,
    reply_to TEXT,
    reserved_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome_unknown BOOLEAN NOT NULL DEFAULT false,
    typing_until TIMESTAMPTZ,
    queued_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbound_sends_chat ON outbound_sends (tenant_id, chat_id, queued_at);
CREATE INDEX outbound_sends_channel_sent ON outbound_sends (tenant_id, channel_id, sent_at);

ALTER TABLE outbound_sends ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbound_sends FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbound_sends USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON outbound_sends TO %I USING (true) WITH CHECK (true)', current_user);
END $$;
