-- Done jobs are deleted after their retention (`VENTROS_JOB_RETENTION_HOURS`), for every
-- tenant, one batch per call; overdue and dead jobs are counted for `/metrics`.
CREATE INDEX jobs_done ON jobs (updated_at) WHERE status = 'done';
-- `/metrics` counts dead jobs on every scrape.
CREATE INDEX jobs_dead ON jobs (updated_at) WHERE status = 'dead';

CREATE FUNCTION ventros_prune_done_jobs(p_before timestamptz, p_limit integer)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$ WITH d AS (DELETE FROM jobs WHERE id IN (
              SELECT id FROM jobs WHERE status = 'done' AND updated_at < p_before LIMIT p_limit)
          RETURNING 1)
          SELECT COUNT(*) FROM d $$;

-- `/metrics`: overdue and dead jobs of every tenant.
CREATE FUNCTION ventros_job_backlog(p_now timestamptz)
    RETURNS TABLE (due bigint, oldest timestamptz, dead bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND run_at <= p_now),
                 (SELECT MIN(run_at) FROM jobs WHERE status = 'pending' AND run_at <= p_now),
                 (SELECT COUNT(*) FROM jobs WHERE status = 'dead') $$;

REVOKE ALL ON FUNCTION ventros_prune_done_jobs(timestamptz, integer), ventros_job_backlog(timestamptz) FROM PUBLIC;
