-- Every unique key of the log names the partition (organization) of its row: a table
-- distributed by `organization_id` (Citus, docs/citus.md) can only enforce a key that
-- includes it. The column comes last, so a lookup by the leading columns (a position,
-- a stream) keeps using the key's index. A stream's events and head all name the
-- organization the stream was created in (`Placement::organization`), so these keys
-- still allow one row per position, per stream sequence and per stream.
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (position, organization_id);
ALTER TABLE events DROP CONSTRAINT events_stream_sequence;
ALTER TABLE events ADD CONSTRAINT events_stream_sequence
    UNIQUE (aggregate_type, aggregate_id, sequence, organization_id);

ALTER TABLE ingested_events DROP CONSTRAINT ingested_events_pkey;
ALTER TABLE ingested_events ADD PRIMARY KEY (project_id, position, organization_id);

ALTER TABLE stream_heads DROP CONSTRAINT stream_heads_pkey;
ALTER TABLE stream_heads ADD PRIMARY KEY (aggregate_type, aggregate_id, organization_id);

-- The partitions of the log are found from the organizations' own streams (through
-- the key above), not by skipping through every head.
DROP INDEX stream_heads_organization;
