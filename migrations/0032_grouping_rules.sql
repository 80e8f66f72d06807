-- A project's grouping rules as saved (`GroupingRulesChanged`), in Sentry's syntax;
-- the projects projection writes them, the key cache compiles them for ingestion.
ALTER TABLE projects
    ADD COLUMN fingerprinting_rules text NOT NULL DEFAULT '',
    ADD COLUMN grouping_enhancements text NOT NULL DEFAULT '';

-- Hashes of the current grouping that an existing issue's events now carry: when an
-- event's current hash names no issue but its legacy hash does, the event joins that
-- issue and its current hash is kept here, so the next deploy's events find it too.
-- Operational state of the ingest path (commands::grouping), not a read model.
CREATE TABLE grouping_aliases (
    project_id  bigint      NOT NULL,
    hash        text        NOT NULL,
    target_hash text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, hash)
);
