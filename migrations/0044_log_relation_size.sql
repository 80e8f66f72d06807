-- The size on disk of one of the log's tables (with indexes and TOAST), wherever its
-- rows are. On a Citus coordinator a distributed table's rows live in shards on the
-- workers and the coordinator's own relation is an empty shell, so the size comes from
-- `citus_total_relation_size`; elsewhere from `pg_total_relation_size`. The Citus
-- names are looked up only on a database that has them.
CREATE FUNCTION log_relation_size(relation regclass) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    distributed boolean := false;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
                                 WHERE logicalrelid = $1)'
           INTO distributed USING relation;
    END IF;
    IF distributed THEN
        RETURN citus_total_relation_size(relation);
    END IF;
    RETURN pg_total_relation_size(relation);
END;
$$;

-- A dropped partition is recorded with its size wherever its rows were (0028 measured
-- the coordinator's shell on Citus); nothing else changes.
CREATE OR REPLACE FUNCTION drop_ingested_partition(partition_name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bounds record;
    counted bigint;
    size bigint;
BEGIN
    SELECT * INTO STRICT bounds FROM ingested_partitions WHERE name = partition_name;
    SET LOCAL lock_timeout = '5s';
    EXECUTE format('SELECT count(*) FROM %I', partition_name) INTO counted;
    size := log_relation_size(partition_name::regclass);
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
