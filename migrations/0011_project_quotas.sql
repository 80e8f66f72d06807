-- The global per-project rate limit (FAULTLINE_PROJECT_RATE_LIMIT): events granted
-- per project and fixed window, shared by every process on this database. Processes
-- lease slices of a window's quota from here and spend them locally, so this row is
-- touched once per slice, not once per event. Operational state, not a fact: rows
-- of past windows are deleted as new windows start.
CREATE TABLE project_quotas (
    project_id   bigint NOT NULL,
    window_start bigint NOT NULL,  -- unix seconds, a multiple of the window length
    used         bigint NOT NULL,  -- events granted to processes in this window
    last_grant   bigint NOT NULL,  -- what the latest lease got (read back by it)
    CONSTRAINT project_quotas_pkey PRIMARY KEY (project_id, window_start)
);
