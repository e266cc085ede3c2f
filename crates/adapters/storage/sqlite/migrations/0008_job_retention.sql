-- Done jobs are deleted after their retention (`VENTROS_JOB_RETENTION_HOURS`).
CREATE INDEX jobs_done ON jobs (updated_at) WHERE status = 'done';
