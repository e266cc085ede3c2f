-- Who held a session when: one row per interval, closed by the next change or the end.
CREATE TABLE session_assignments (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    project_id BLOB NOT NULL,
    session_id BLOB NOT NULL REFERENCES sessions(id),
    agent_id BLOB,
    from_agent_id BLOB,
    kind TEXT NOT NULL,
    note TEXT,
    assigned_by TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE INDEX session_assignments_session ON session_assignments (tenant_id, session_id, started_at, id);
