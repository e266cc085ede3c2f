-- Row-level security: the app role sees and writes only the rows of the tenant set with
-- set_config('app.tenant_id', <uuid>, true) in its transaction. The migration owner keeps
-- an explicit policy so the narrow SECURITY DEFINER functions below can work across tenants.

CREATE FUNCTION ventros_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects', 'users', 'api_keys', 'channels', 'contacts', 'chats',
        'chat_participants', 'sessions', 'messages', 'message_edits', 'poll_votes', 'pending_acks',
        'inbound_deliveries', 'outbox', 'contact_events', 'processed_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant())', t);
        EXECUTE format('CREATE POLICY owner_maintenance ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
    END LOOP;
    ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
    ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON tenants USING (id = ventros_current_tenant()) WITH CHECK (id = ventros_current_tenant());
    EXECUTE format('CREATE POLICY owner_maintenance ON tenants TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

-- The inbound webhook knows only the channel id.
CREATE FUNCTION ventros_webhook_channel(p_id uuid)
    RETURNS TABLE (tenant_id uuid, project_id uuid, webhook_hmac_key text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT c.tenant_id, c.project_id, c.webhook_hmac_key FROM channels c WHERE c.id = p_id AND c.deleted_at IS NULL $$;

-- An API key is presented before the tenant is known.
CREATE FUNCTION ventros_find_api_key(p_hash text)
    RETURNS TABLE (id uuid, tenant_id uuid, project_id uuid, role text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT k.id, k.tenant_id, k.project_id, k.role FROM api_keys k WHERE k.key_hash = p_hash AND k.revoked_at IS NULL $$;

-- The outbox relay serves every tenant.
CREATE FUNCTION ventros_claim_outbox(p_limit integer, p_now timestamptz, p_lease timestamptz)
    RETURNS SETOF outbox
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
        UPDATE outbox SET lease_until = p_lease, attempts = attempts + 1
        WHERE seq IN (
            SELECT seq FROM outbox
            WHERE published_at IS NULL AND (lease_until IS NULL OR lease_until <= p_now)
            ORDER BY seq LIMIT p_limit
            FOR UPDATE SKIP LOCKED)
        RETURNING *
    $$;

CREATE FUNCTION ventros_mark_published(p_seqs bigint[], p_now timestamptz)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$ UPDATE outbox SET published_at = p_now, lease_until = NULL WHERE seq = ANY(p_seqs) $$;

CREATE FUNCTION ventros_outbox_backlog()
    RETURNS TABLE (n bigint, oldest timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT COUNT(*), MIN(created_at) FROM outbox WHERE published_at IS NULL $$;

CREATE FUNCTION ventros_consumer_handled(p_consumer text, p_event uuid)
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT EXISTS (SELECT 1 FROM processed_events WHERE consumer = p_consumer AND event_id = p_event) $$;

REVOKE ALL ON FUNCTION ventros_webhook_channel(uuid), ventros_find_api_key(text),
    ventros_claim_outbox(integer, timestamptz, timestamptz), ventros_mark_published(bigint[], timestamptz),
    ventros_outbox_backlog(), ventros_consumer_handled(text, uuid) FROM PUBLIC;
