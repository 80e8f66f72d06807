-- One row per projection: the last event it applied, in (tx_id, position) order. The
-- row is moved in the same transaction as the read-model change it reflects.
CREATE TABLE projection_checkpoints (
    name           text        PRIMARY KEY,
    last_tx_id     xid8        NOT NULL DEFAULT '0',
    last_position  bigint      NOT NULL DEFAULT 0,
    events_applied bigint      NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- Set when the projection stopped on an event it could not apply.
    failed_position bigint,
    failed_error    text
);
