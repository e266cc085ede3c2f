-- Session metrics: kept up to date by ingest (last contact / agent message, first response)
-- and finalised at session end (the full figures as JSON).
ALTER TABLE sessions ADD COLUMN last_contact_message_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN last_agent_message_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN agent_first_response_seconds BIGINT;
ALTER TABLE sessions ADD COLUMN contact_first_response_seconds BIGINT;
ALTER TABLE sessions ADD COLUMN first_response_agent_id UUID;
ALTER TABLE sessions ADD COLUMN metrics JSONB;

UPDATE sessions SET
    last_contact_message_at = (SELECT MAX(m.sent_at) FROM messages m WHERE m.session_id = sessions.id AND m.sender_kind = 'contact'),
    last_agent_message_at = (SELECT MAX(m.sent_at) FROM messages m WHERE m.session_id = sessions.id AND m.sender_kind IN ('agent', 'bot', 'phone_app'));
UPDATE sessions SET
    agent_first_response_seconds = CASE WHEN first_agent_message_at >= first_contact_message_at THEN floor(EXTRACT(EPOCH FROM first_agent_message_at - first_contact_message_at))::bigint END,
    contact_first_response_seconds = CASE WHEN first_agent_message_at < first_contact_message_at THEN floor(EXTRACT(EPOCH FROM first_contact_message_at - first_agent_message_at))::bigint END;


-- Debounce: one pending group per chat at most.
ALTER TABLE channels ADD COLUMN message_group_max_age_ms BIGINT NOT NULL DEFAULT 120000;
CREATE TABLE message_groups (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    project_id UUID NOT NULL,
    channel_id UUID NOT NULL REFERENCES channels(id),
    chat_id UUID NOT NULL REFERENCES chats(id),
    session_id UUID NOT NULL REFERENCES sessions(id),
    status TEXT NOT NULL,
    message_ids JSONB NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    last_message_at TIMESTAMPTZ NOT NULL,
    debounce_ms BIGINT NOT NULL,
    max_age_ms BIGINT NOT NULL,
    closed_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX message_groups_one_pending ON message_groups (tenant_id, chat_id) WHERE status = 'pending';
CREATE INDEX message_groups_chat ON message_groups (tenant_id, chat_id, opened_at);

ALTER TABLE message_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_groups USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON message_groups TO %I USING (true) WITH CHECK (true)', current_user);
END $$;

-- The webhook also needs the channel's debounce settings to open message groups.
DROP FUNCTION ventros_webhook_channel(uuid);
CREATE FUNCTION ventros_webhook_channel(p_id uuid)
    RETURNS TABLE (tenant_id uuid, project_id uuid, webhook_hmac_key text, session_timeout_seconds bigint,
                   debounce_timeout_ms bigint, message_group_max_age_ms bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT c.tenant_id, c.project_id, c.webhook_hmac_key, c.session_timeout_seconds::bigint,
                 c.debounce_timeout_ms::bigint, c.message_group_max_age_ms
          FROM channels c WHERE c.id = p_id AND c.deleted_at IS NULL $$;

-- `ventros metrics recompute` walks the ended sessions of every tenant, one page at a time.
CREATE FUNCTION ventros_ended_sessions(p_after uuid, p_limit integer)
    RETURNS TABLE (id uuid, tenant_id uuid, project_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT s.id, s.tenant_id, s.project_id FROM sessions s
          WHERE s.status = 'ended' AND (p_after IS NULL OR s.id > p_after)
          ORDER BY s.id LIMIT p_limit $$;

REVOKE ALL ON FUNCTION ventros_webhook_channel(uuid), ventros_ended_sessions(uuid, integer) FROM PUBLIC;
