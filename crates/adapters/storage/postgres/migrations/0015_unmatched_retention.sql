-- Acks and early changes kept for messages that never arrived are pruned by the worker's
-- hourly pass, for every tenant.
CREATE INDEX pending_acks_received ON pending_acks (received_at);
CREATE INDEX early_changes_received ON early_changes (received_at);

CREATE FUNCTION ventros_prune_unmatched(p_before timestamptz)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$ WITH a AS (DELETE FROM pending_acks WHERE received_at < p_before RETURNING 1),
               c AS (DELETE FROM early_changes WHERE received_at < p_before RETURNING 1)
          SELECT (SELECT COUNT(*) FROM a) + (SELECT COUNT(*) FROM c) $$;

REVOKE ALL ON FUNCTION ventros_prune_unmatched(timestamptz) FROM PUBLIC;
