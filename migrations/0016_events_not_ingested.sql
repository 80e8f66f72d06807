-- A rebuild of a read model that ignores ingestion (`Projection::replay_skips`, the
-- audit log) reads only the few events it applies. Without this index it walked
-- `events_tx_position` and fetched every row from the heap to test its type: at
-- 1.1 M events, 4.3 s per batch of the audit rebuild, beside the issues rebuild
-- on the same two cores. This one holds only the events that are not an occurrence
-- (issues created, workflow, accounts), in log order, so that read takes 34 ms; an
-- `EventIngested` insert only tests the predicate. The rebuild names the skipped
-- types as literals, so the planner can prove the predicate.
CREATE INDEX events_tx_position_not_ingested ON events (tx_id, position)
    WHERE event_type <> 'EventIngested';
