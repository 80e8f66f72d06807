-- The one UPDATE the log allows: erasure (`faultline forget user`) rewrites stored events
-- without a person's data, and retention evicts old bodies. Both go through
-- `EventLog::begin_rewrite`, which sets `faultline.rewrite` for its own transaction
-- (`SET LOCAL`); only then may a row change, and only its payload, body and metadata
-- (and format version): its place in the log, its stream and its type stay.
CREATE OR REPLACE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('faultline.rewrite', true) = 'on' THEN
        IF NEW.position = OLD.position AND NEW.tx_id = OLD.tx_id
           AND NEW.aggregate_type = OLD.aggregate_type AND NEW.aggregate_id = OLD.aggregate_id
           AND NEW.sequence = OLD.sequence AND NEW.event_type = OLD.event_type
           AND NEW.recorded_at = OLD.recorded_at THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'events are immutable: % refused', TG_OP;
END;
$$;
