-- Ingested events (`EventIngested`: the bulk of the log by rows and bytes) live in
-- their own table, partitioned by log position, so that retention can drop whole
-- partitions (instant, no bloat, no vacuum) while the low-volume events (accounts,
-- projects, issue workflow, rules, releases) stay in `events` for good. Both tables
-- share the position sequence and the transaction-id order: together they are the log
-- (the `log_events` view).
--
-- The project id leads the keys: ingested events and their read models can later be
-- distributed by tenant (Citus distributes partitioned tables by such a column).
CREATE TABLE ingested_events (
    project_id     bigint      NOT NULL,
    position       bigint      NOT NULL DEFAULT nextval('events_position_seq'),
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    aggregate_type text        NOT NULL CHECK (aggregate_type = 'issue'),
    aggregate_id   text        NOT NULL,
    sequence       bigint      NOT NULL CHECK (sequence >= 0),
    event_type     text        NOT NULL CHECK (event_type = 'EventIngested'),
    event_version  text        NOT NULL,
    payload        jsonb       NOT NULL,
    metadata       jsonb       NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    body           bytea,
    PRIMARY KEY (project_id, position)
) PARTITION BY RANGE (position);

-- As in `events` (migrations 0014, 0017): the body is compressed already, so PostgreSQL
-- must not try again (EXTERNAL), and rows up to a page stay inline rather than going
-- to TOAST. `toast_tuple_target` is a setting of each partition (a partitioned table
-- takes none): every partition is made with it. Without both, an insert cost twice
-- as much.
ALTER TABLE ingested_events ALTER COLUMN body SET STORAGE EXTERNAL;

CREATE INDEX ingested_events_tx_position ON ingested_events (tx_id, position);
CREATE INDEX ingested_events_stream ON ingested_events (aggregate_id, sequence);

-- Rows leave only with their partition: the same refusal as `events`.
CREATE TRIGGER ingested_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON ingested_events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

CREATE TRIGGER ingested_events_no_truncate
    BEFORE TRUNCATE ON ingested_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Every row is of one aggregate type: one notification per statement, not per row.
CREATE FUNCTION ingested_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('faultline_events', 'issue');
    RETURN NULL;
END;
$$;

CREATE TRIGGER ingested_events_notify_on_insert
    AFTER INSERT ON ingested_events
    FOR EACH STATEMENT EXECUTE FUNCTION ingested_events_notify();

-- Rows past the last range partition land here rather than being refused; they cannot
-- be dropped by piece, so the partition keeper stays ahead of the log (see
-- `ensure_ingested_partitions`).
CREATE TABLE ingested_events_default PARTITION OF ingested_events DEFAULT
    WITH (toast_tuple_target = 8160);
ALTER TABLE ingested_events_default ALTER COLUMN body SET STORAGE EXTERNAL;

-- The range partitions: their positions, when each was made and where the log stood
-- then (which sizes the next one). Kept by `ensure_ingested_partitions`;
-- `faultline retention status` reads it.
CREATE TABLE ingested_partitions (
    name          text        PRIMARY KEY,
    lower         bigint      NOT NULL,
    upper         bigint      NOT NULL CHECK (upper > lower),
    log_position  bigint      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Makes sure range partitions cover the log at least one partition past the sequence's
-- current value. A partition is sized to about a day of ingestion at the rate seen
-- since the last one was made (at least `min_size` positions), so a server keeps
-- roughly one partition per day of retention. Safe from several processes at once:
-- one makes the partitions, the others wait and find them made. A partition is made
-- apart and attached, which locks the parent table less than `PARTITION OF`; a
-- `lock_timeout` makes a busy moment skip a turn rather than queue every reader.
CREATE FUNCTION ensure_ingested_partitions(min_size bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    current_position bigint;
    next_lower bigint;
    size bigint := min_size;
    last record;
    made integer := 0;
    partition_name text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('faultline.ingested_partitions'));
    SET LOCAL lock_timeout = '2s';
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END
      INTO current_position FROM events_position_seq;
    SELECT * INTO last FROM ingested_partitions ORDER BY upper DESC LIMIT 1;
    IF FOUND AND now() > last.created_at + interval '1 minute' THEN
        size := greatest(min_size, least(
            ((current_position - last.log_position)
              * (86400 / extract(epoch FROM now() - last.created_at)))::bigint,
            1099511627776));
    END IF;
    next_lower := coalesce(last.upper, 1);
    -- Rows already in the default partition must stay there: start above them.
    SELECT greatest(next_lower, coalesce(max(position) + 1, next_lower))
      INTO next_lower FROM ingested_events_default;
    WHILE next_lower <= current_position + min_size LOOP
        partition_name := format('ingested_events_p%s', next_lower);
        EXECUTE format(
            'CREATE TABLE %I (LIKE ingested_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                              INCLUDING STORAGE) WITH (toast_tuple_target = 8160)',
            partition_name);
        EXECUTE format(
            'ALTER TABLE %I ADD CHECK (position >= %s AND position < %s)',
            partition_name, next_lower, next_lower + size);
        EXECUTE format(
            'ALTER TABLE ingested_events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
            partition_name, next_lower, next_lower + size);
        INSERT INTO ingested_partitions (name, lower, upper, log_position)
        VALUES (partition_name, next_lower, next_lower + size, current_position);
        next_lower := next_lower + size;
        made := made + 1;
    END LOOP;
    RETURN made;
END;
$$;

-- The stream heads: each stream's last sequence. Appends move a head forward only from
-- the sequence they read, so two writers of one stream conflict even when their rows
-- land in different tables (an issue's occurrences and its workflow events).
-- `appended` is how many events the append that set the head added: an append is one
-- `INSERT .. ON CONFLICT DO UPDATE .. WHERE`, whose condition sees only the proposed
-- row's columns, so the row carries its count (head before = sequence - appended).
CREATE TABLE stream_heads (
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL CHECK (sequence >= 0),
    appended       bigint NOT NULL DEFAULT 0 CHECK (appended >= 0),
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Raised by an append whose heads did not all move: another writer appended to one of
-- its streams first. Named like a constraint so the store maps it to a conflict.
CREATE FUNCTION stream_conflict() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a stream moved on since it was read'
        USING ERRCODE = 'unique_violation', CONSTRAINT = 'stream_heads_sequence';
END;
$$;

INSERT INTO stream_heads (aggregate_type, aggregate_id, sequence)
SELECT aggregate_type, aggregate_id, max(sequence) FROM events GROUP BY 1, 2;

-- The ingested events recorded so far move, unchanged (position, transaction id, time),
-- into one first partition that also covers the positions about to be written.
DO $$
DECLARE
    upper_bound bigint;
BEGIN
    SELECT coalesce(max(position), 0) + 1000000 INTO upper_bound FROM events;
    EXECUTE format(
        'CREATE TABLE ingested_events_p1 PARTITION OF ingested_events FOR VALUES FROM (1) TO (%s)
             WITH (toast_tuple_target = 8160)',
        upper_bound);
    ALTER TABLE ingested_events_p1 ALTER COLUMN body SET STORAGE EXTERNAL;
    INSERT INTO ingested_partitions (name, lower, upper, log_position)
    VALUES ('ingested_events_p1', 1, upper_bound, upper_bound - 1000000);
END;
$$;

INSERT INTO ingested_events
    (project_id, position, tx_id, aggregate_type, aggregate_id, sequence, event_type,
     event_version, payload, metadata, recorded_at, body)
SELECT coalesce(created.project_id, 0), e.position, e.tx_id, e.aggregate_type,
       e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload, e.metadata,
       e.recorded_at, e.body
  FROM events e
  LEFT JOIN (SELECT DISTINCT ON (aggregate_id)
                    aggregate_id, (payload -> 'IssueCreated' ->> 'project_id')::bigint AS project_id
               FROM events
              WHERE aggregate_type = 'issue' AND event_type = 'IssueCreated'
              ORDER BY aggregate_id, sequence) AS created
         ON created.aggregate_id = e.aggregate_id
 WHERE e.event_type = 'EventIngested';

-- The one move out of `events` ever made: the rows above are the same facts, now in
-- the table that can let them go.
ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete;
DELETE FROM events WHERE event_type = 'EventIngested';
ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete;

-- The whole log, in one relation, for readers that want every event of a stream or
-- everything in order (history, export).
CREATE VIEW log_events AS
SELECT position, tx_id, aggregate_type, aggregate_id, sequence, event_type, event_version,
       payload, metadata, recorded_at, body
  FROM events
UNION ALL
SELECT position, tx_id, aggregate_type, aggregate_id, sequence, event_type, event_version,
       payload, metadata, recorded_at, body
  FROM ingested_events;
