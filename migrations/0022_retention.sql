-- A project's own retention (`RetentionChanged`): NULL follows the server's
-- `--event-retention-days` and keeps any number of events.
ALTER TABLE projects ADD COLUMN retention_days integer, ADD COLUMN max_events bigint;

-- One row per retention pass: which process ran it and when. Operational state, not a
-- fact: it shows in `faultline retention status` and proves passes never overlap.
CREATE TABLE retention_runs (
    id             bigserial   PRIMARY KEY,
    process        text        NOT NULL,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    expired_issues bigint      NOT NULL DEFAULT 0,
    error          text        -- why the pass stopped, when it failed
);
