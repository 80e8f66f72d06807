-- Events per project, release and environment, folded by the issues projection with
-- each batch of occurrences (projections/src/issues/release_counts.rs): release lists
-- filter by environment on it and count a release's events per project. Every batch
-- updates its rows again: fillfactor 50 keeps those updates HOT.
CREATE TABLE release_environments (
    project_id  bigint      NOT NULL,
    release     text        NOT NULL,
    environment text        NOT NULL,
    times_seen  bigint      NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (project_id, release, environment)
) WITH (fillfactor = 50);
