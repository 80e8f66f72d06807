-- `ingested_events` is read in order only within a partition of the log (an
-- organization): by projection runners and rebuilds (`replay`, `verify`), through the
-- indexes of 0040 led by `organization_id`. Nothing reads it in one order across
-- organizations any more (`log export` goes partition by partition), so the indexes of
-- that order are dropped: each one cost every occurrence's insert an index entry.
DROP INDEX ingested_events_tx_position;
DROP INDEX ingested_events_tx_position_not_ingested;
