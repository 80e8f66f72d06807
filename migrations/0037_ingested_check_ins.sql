-- A monitor's check-ins are ingested data, as an issue's occurrences are: they go to
-- `ingested_events` (keyed by the monitor's project) and leave with its partitions,
-- after retention records each monitor's state in its permanent stream
-- (`CheckInsSummarized`). The monitor's definition and incidents stay in `events`.

-- The table holds occurrences and check-ins, nothing else.
ALTER TABLE ingested_events DROP CONSTRAINT ingested_events_aggregate_type_check;
ALTER TABLE ingested_events DROP CONSTRAINT ingested_events_event_type_check;
-- Partitions made with `LIKE .. INCLUDING CONSTRAINTS` hold their own copies.
DO $$
DECLARE
    partition_name text;
BEGIN
    FOR partition_name IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'ingested_events'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT IF EXISTS ingested_events_aggregate_type_check',
                       partition_name);
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT IF EXISTS ingested_events_event_type_check',
                       partition_name);
    END LOOP;
END;
$$;
ALTER TABLE ingested_events ADD CONSTRAINT ingested_events_kind CHECK (
    (aggregate_type = 'issue' AND event_type = 'EventIngested')
    OR (aggregate_type = 'monitor' AND event_type IN ('CheckInRecorded', 'CheckInCompleted')));

-- Readers of check-ins but not of occurrences (the monitors read model, the audit log)
-- tail `ingested_events` through this index, as `events_tx_position_not_ingested`
-- (0016) does for `events`: without it each read walked every occurrence after its
-- checkpoint. An occurrence's insert only tests the predicate.
CREATE INDEX ingested_events_tx_position_not_ingested ON ingested_events (tx_id, position)
    WHERE event_type <> 'EventIngested';

-- The statement trigger of 0027 wakes the issue tailers; a check-in wakes the tailers
-- of its own type, once per transaction (identical notifications fold).
CREATE TRIGGER ingested_events_notify_type_on_insert
    AFTER INSERT ON ingested_events
    FOR EACH ROW WHEN (NEW.aggregate_type <> 'issue')
    EXECUTE FUNCTION events_notify_type();

-- The check-ins recorded so far move, unchanged (position, transaction id, time), to
-- the partitions that cover their positions. Those below every partition left (their
-- positions' partitions were dropped before check-ins were ingested data) stay.
INSERT INTO ingested_events
    (project_id, position, tx_id, aggregate_type, aggregate_id, sequence, event_type,
     event_version, payload, metadata, recorded_at, body)
SELECT created.project_id, e.position, e.tx_id, e.aggregate_type, e.aggregate_id,
       e.sequence, e.event_type, e.event_version, e.payload, e.metadata, e.recorded_at, e.body
  FROM events e
  CROSS JOIN LATERAL (
      SELECT (c.payload -> 'MonitorCreated' ->> 'project_id')::bigint AS project_id
        FROM events c
       WHERE c.aggregate_type = 'monitor' AND c.aggregate_id = e.aggregate_id
         AND c.event_type = 'MonitorCreated' AND c.sequence < e.sequence
       ORDER BY c.sequence DESC LIMIT 1) AS created
 WHERE e.aggregate_type = 'monitor'
   AND e.event_type IN ('CheckInRecorded', 'CheckInCompleted')
   AND e.position >= (SELECT coalesce(min(lower), 0) FROM ingested_partitions);

ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete;
DELETE FROM events e
 WHERE e.aggregate_type = 'monitor'
   AND e.event_type IN ('CheckInRecorded', 'CheckInCompleted')
   AND EXISTS (SELECT 1 FROM ingested_events i
                WHERE i.position = e.position AND i.aggregate_id = e.aggregate_id);
ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete;
