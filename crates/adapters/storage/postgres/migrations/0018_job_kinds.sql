-- A claim takes all kinds of job, only some, or all but some, so that a worker can run its
-- webhook deliveries apart from its other jobs (a slow endpoint never holds back a send or a
-- timer). `p_mode` is 'all', 'only' or 'except'; `p_kinds` a JSON array of kinds. The
-- three-argument version stays for processes of the previous release during an upgrade.
CREATE FUNCTION ventros_claim_jobs(p_limit integer, p_now timestamptz, p_lease timestamptz,
                                   p_mode text, p_kinds text)
    RETURNS SETOF jobs
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
        UPDATE jobs SET locked_until = p_lease, attempts = attempts + 1, updated_at = p_now
        WHERE id IN (
            SELECT id FROM jobs
            WHERE status = 'pending' AND run_at <= p_now
              AND (locked_until IS NULL OR locked_until <= p_now)
              AND (p_mode = 'all'
                   OR (p_mode = 'only') = (kind IN (SELECT jsonb_array_elements_text(p_kinds::jsonb))))
            ORDER BY run_at LIMIT p_limit
            FOR UPDATE SKIP LOCKED)
        RETURNING *
    $$;

REVOKE ALL ON FUNCTION ventros_claim_jobs(integer, timestamptz, timestamptz, text, text) FROM PUBLIC;
