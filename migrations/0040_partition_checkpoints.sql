-- The log is read, and projections keep their checkpoints, per partition (the
-- organization of migration 0039): a projection's progress in one organization says
-- nothing of another's, which is what lets the log be distributed by organization
-- (docs/citus.md). Partition 0 holds what belongs to no organization (users).
--
-- A projection's checkpoint becomes one row per partition it has applied events of.
-- The row it had stands for every partition: it is copied to each partition the log
-- has, and keeps the count of events applied (the copies start at 0).
ALTER TABLE projection_checkpoints ADD COLUMN organization_id bigint NOT NULL DEFAULT 0;
ALTER TABLE projection_checkpoints DROP CONSTRAINT projection_checkpoints_pkey;
ALTER TABLE projection_checkpoints ADD PRIMARY KEY (name, organization_id);
INSERT INTO projection_checkpoints
       (name, organization_id, last_tx_id, last_position, events_applied, updated_at,
        failed_position, failed_error)
SELECT c.name, p.organization_id, c.last_tx_id, c.last_position, 0, c.updated_at,
       c.failed_position, c.failed_error
  FROM projection_checkpoints c
 CROSS JOIN (SELECT DISTINCT organization_id FROM stream_heads WHERE organization_id <> 0) p;

-- The partitions the log has, found by skipping through this index.
CREATE INDEX stream_heads_organization ON stream_heads (organization_id);

-- One partition's tail, in order: of each aggregate type in `events` (where a reader
-- of a few types must not walk past the others), of everything in `ingested_events`
-- (issue streams are nearly all of it), and of what is not an occurrence there (a
-- reader of check-ins only).
CREATE INDEX events_organization_tx_position
    ON events (organization_id, aggregate_type, tx_id, position);
CREATE INDEX ingested_events_organization_tx_position
    ON ingested_events (organization_id, tx_id, position);
CREATE INDEX ingested_events_organization_not_ingested
    ON ingested_events (organization_id, tx_id, position)
 WHERE event_type <> 'EventIngested';
