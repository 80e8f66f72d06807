-- Every row of the log names the organization whose data it is: the partition its
-- order, its readers and, on Citus, its placement follow (docs/citus.md). Streams
-- that belong to no organization (users) are in partition 0. `stream_heads` carries it
-- too: on Citus every key of a distributed table includes the distribution column.
--
-- A stream's organization is named by its first event: every creation event carries
-- `org_id` (an artifact bundle's upload in its `bundle`).
CREATE TEMPORARY TABLE stream_organizations AS
SELECT aggregate_type, aggregate_id,
       coalesce((payload -> event_type ->> 'org_id')::bigint,
                (payload -> event_type -> 'bundle' ->> 'org_id')::bigint,
                0) AS organization_id
  FROM events
 WHERE sequence = 1;
ALTER TABLE stream_organizations ADD PRIMARY KEY (aggregate_type, aggregate_id);

-- Partition 0 is also where a row written without one goes (by hand, or by a test);
-- the write side always names it (`NewEvent::organization_id`).
ALTER TABLE events ADD COLUMN organization_id bigint NOT NULL DEFAULT 0;
ALTER TABLE ingested_events ADD COLUMN organization_id bigint NOT NULL DEFAULT 0;
ALTER TABLE stream_heads ADD COLUMN organization_id bigint NOT NULL DEFAULT 0;

-- The rows keep everything else: position, transaction id, stream, payload. A stream
-- whose first event is gone (none is: creation events are never ingested data) stays
-- in partition 0, readable.
ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete;
ALTER TABLE ingested_events DISABLE TRIGGER ingested_events_no_update_or_delete;
UPDATE events e SET organization_id = s.organization_id
  FROM stream_organizations s
 WHERE s.aggregate_type = e.aggregate_type AND s.aggregate_id = e.aggregate_id
   AND s.organization_id <> 0;
UPDATE ingested_events e SET organization_id = s.organization_id
  FROM stream_organizations s
 WHERE s.aggregate_type = e.aggregate_type AND s.aggregate_id = e.aggregate_id
   AND s.organization_id <> 0;
ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete;
ALTER TABLE ingested_events ENABLE TRIGGER ingested_events_no_update_or_delete;
UPDATE stream_heads h SET organization_id = s.organization_id
  FROM stream_organizations s
 WHERE s.aggregate_type = h.aggregate_type AND s.aggregate_id = h.aggregate_id
   AND s.organization_id <> 0;

-- The states of issues and artifact bundles name their organization since this
-- migration; their snapshots are given it rather than dropped (a dropped snapshot
-- costs a replay of the stream).
UPDATE snapshots n SET payload = jsonb_set(n.payload, '{org_id}', to_jsonb(s.organization_id))
  FROM stream_organizations s
 WHERE n.aggregate_type IN ('issue', 'artifact_bundle')
   AND s.aggregate_type = n.aggregate_type AND s.aggregate_id = n.aggregate_id;

DROP TABLE stream_organizations;

CREATE OR REPLACE VIEW log_events AS
SELECT position, tx_id, aggregate_type, aggregate_id, sequence, event_type, event_version,
       payload, metadata, recorded_at, body, organization_id
  FROM events
UNION ALL
SELECT position, tx_id, aggregate_type, aggregate_id, sequence, event_type, event_version,
       payload, metadata, recorded_at, body, organization_id
  FROM ingested_events;
