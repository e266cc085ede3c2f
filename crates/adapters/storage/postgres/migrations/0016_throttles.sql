-- Rate limits and login throttling shared by every instance on this database
-- (docs/OPERATIONS.md, "Running at scale"). Keys are digests, never an email, an address or
-- a caller's id, and the rows are no tenant's: no row-level security. Times in microseconds.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    -- The bucket's theoretical arrival time (GCRA): full again once it has passed.
    tat_us BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat_us);

CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_ends_us BIGINT NOT NULL
);
CREATE INDEX login_failures_window ON login_failures (window_ends_us);
