-- Wake only the tailers of the aggregate type written. The statement-level trigger of
-- 0001 notified with an empty payload, so each of the thousands of `issue` commits a
-- second of ingestion makes woke every projection in every process, and each woken
-- projection read the log to find nothing of its types. A row-level trigger knows the
-- row's type; Postgres folds identical notifications within a transaction, so a batch
-- of one type still sends one notification at commit.
DROP TRIGGER events_notify_on_insert ON events;
DROP FUNCTION events_notify();

CREATE FUNCTION events_notify_type() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('faultline_events', NEW.aggregate_type);
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify_type_on_insert
    AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_notify_type();
