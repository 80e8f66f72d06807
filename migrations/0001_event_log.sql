-- The ordered event log. Column-compatible with postgres-es 0.5 (aggregate_type,
-- aggregate_id, sequence, event_type, event_version, payload, metadata), plus:
--   position    global order, assigned at insert;
--   tx_id       the writer's transaction: readers tail the log by (tx_id, position)
--               below pg_snapshot_xmin so that a transaction that commits late with a
--               low position is never skipped;
--   recorded_at when the row was written.
CREATE TABLE events (
    position       bigserial   PRIMARY KEY,
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    sequence       bigint      NOT NULL CHECK (sequence >= 0),
    event_type     text        NOT NULL,
    event_version  text        NOT NULL,
    payload        jsonb       NOT NULL,
    metadata       jsonb       NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_stream_sequence UNIQUE (aggregate_type, aggregate_id, sequence)
);

CREATE INDEX events_tx_position ON events (tx_id, position);

-- Events are immutable facts: refuse UPDATE and DELETE on the log at the database level.
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % refused', TG_OP;
END;
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Wake every listening process once per writing statement; Postgres delivers the
-- notification at commit and folds duplicates within a transaction.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('faultline_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify_on_insert
    AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- Aggregate snapshots (postgres-es column layout), one row per aggregate. A snapshot is a
-- cache of state at last_sequence, never a source of truth: deleting it is always safe.
CREATE TABLE snapshots (
    aggregate_type   text   NOT NULL,
    aggregate_id     text   NOT NULL,
    last_sequence    bigint NOT NULL CHECK (last_sequence >= 0),
    current_snapshot bigint NOT NULL CHECK (current_snapshot >= 0),
    payload          jsonb  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Projections read the log filtered by the aggregate types they fold.
CREATE INDEX events_type_tx_position ON events (aggregate_type, tx_id, position);
