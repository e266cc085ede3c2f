-- Done jobs are deleted after their retention (`VENTROS_JOB_RETENTION_HOURS`); overdue and
-- dead jobs are counted for `/metrics`.
CREATE INDEX jobs_done ON jobs (updated_at) WHERE status = 'done';
-- `/metrics` counts dead jobs on every scrape.
CREATE INDEX jobs_dead ON jobs (updated_at) WHERE status = 'dead';
