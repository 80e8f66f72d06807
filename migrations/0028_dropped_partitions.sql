-- The partitions of `ingested_events` retention dropped, after the occurrences in them
-- were summarized in the permanent log (`OccurrencesSummarized`). A read model that meets
-- a summary whose occurrences are listed here never saw them (a rebuild after the
-- drop) and folds the summary; otherwise it folded the occurrences and skips it. Like
-- `ingested_partitions`, storage bookkeeping, not a read model: never rebuilt.
CREATE TABLE dropped_partitions (
    name       text        PRIMARY KEY,
    lower      bigint      NOT NULL,
    upper      bigint      NOT NULL CHECK (upper > lower),
    events     bigint      NOT NULL,
    bytes      bigint      NOT NULL,
    dropped_at timestamptz NOT NULL DEFAULT now()
);

-- Drops one range partition: detached and dropped (whole files unlinked, nothing to
-- vacuum) and recorded, in the caller's transaction. The one way rows leave the log.
-- A `lock_timeout` makes a busy moment fail the pass, which tries again later, rather
-- than queue every reader of the log behind it.
CREATE FUNCTION drop_ingested_partition(partition_name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bounds record;
    counted bigint;
    size bigint;
BEGIN
    SELECT * INTO STRICT bounds FROM ingested_partitions WHERE name = partition_name;
    SET LOCAL lock_timeout = '5s';
    EXECUTE format('SELECT count(*) FROM %I', partition_name) INTO counted;
    size := pg_total_relation_size(partition_name::regclass);
    EXECUTE format('ALTER TABLE ingested_events DETACH PARTITION %I', partition_name);
    -- Checked once the detach holds the log's ingested rows exclusively: a rebuild
    -- (running or paused: its shadow schema is there) may have folded these rows, and
    -- would then fold their summaries as if it had not. A rebuild that starts later
    -- waits for this transaction and never sees them.
    IF EXISTS (SELECT 1 FROM pg_namespace
                WHERE nspname LIKE 'faultline\_replay%' OR nspname LIKE 'faultline\_verify%') THEN
        RAISE EXCEPTION 'a rebuild of the read models is in progress'
            USING ERRCODE = 'object_in_use';
    END IF;
    EXECUTE format('DROP TABLE %I', partition_name);
    DELETE FROM ingested_partitions WHERE name = partition_name;
    INSERT INTO dropped_partitions (name, lower, upper, events, bytes)
    VALUES (partition_name, bounds.lower, bounds.upper, counted, size);
END;
$$;
