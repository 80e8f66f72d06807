-- The tailers of the log are woken by the statement that appends (`EventLog::append_in`
-- notifies `faultline_events` once per aggregate type it writes), not by triggers on
-- the log's tables. A statement knows what it wrote, so a check-in no longer wakes the
-- issue tailers; and on Citus a trigger would fire on a worker, where no tailer listens
-- and where a NOTIFY makes a two-phase commit fail (docs/citus.md). A row written any
-- other way is found by the tailers' idle poll.
DROP TRIGGER events_notify_type_on_insert ON events;
DROP TRIGGER ingested_events_notify_on_insert ON ingested_events;
DROP TRIGGER ingested_events_notify_type_on_insert ON ingested_events;
DROP FUNCTION ingested_events_notify();
DROP FUNCTION events_notify_type();
