-- Done jobs are deleted after their retention (`VENTROS_JOB_RETENTION_HOURS`), for every
-- tenant, one batch per call.
CREATE INDEX jobs_done ON jobs (updated_at) WHERE status = 'done';

CREATE FUNCTION ventros_prune_done_jobs(p_before timestamptz, p_limit integer)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$ WITH d AS (DELETE FROM jobs WHERE id IN (
              SELECT id FROM jobs WHERE status = 'done' AND updated_at < p_before LIMIT p_limit)
          RETURNING 1)
          SELECT COUNT(*) FROM d $$;

REVOKE ALL ON FUNCTION ventros_prune_done_jobs(timestamptz, integer) FROM PUBLIC;
