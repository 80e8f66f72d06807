-- The monitors' read model and the record of their incidents' issues name their
-- organization in every row and every unique key, so that on Citus they distribute by
-- it, co-located with the log (server/src/citus.rs): a check-in's batch, and every read
-- of one organization's monitors, then runs on the one worker that holds them. As in
-- migration 0042, the column comes last in each key, so lookups by the leading
-- columns keep their index. A monitor's stream, and so its rows, belong to the
-- organization that created it.
ALTER TABLE monitor_environments ADD COLUMN org_id bigint;
UPDATE monitor_environments e SET org_id = m.org_id FROM monitors m
 WHERE m.monitor_id = e.monitor_id;
-- An environment left by a monitor that is gone (none should be) goes with it.
DELETE FROM monitor_environments WHERE org_id IS NULL;
ALTER TABLE monitor_environments ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE monitor_check_ins ADD COLUMN org_id bigint;
UPDATE monitor_check_ins c SET org_id = m.org_id FROM monitors m
 WHERE m.monitor_id = c.monitor_id;
DELETE FROM monitor_check_ins WHERE org_id IS NULL;
ALTER TABLE monitor_check_ins ALTER COLUMN org_id SET NOT NULL;

-- An incident's record names the organization of its monitor, or, once the monitor
-- is gone, of the project its issue is in (0 when that is gone too: nothing is left
-- to resolve).
ALTER TABLE monitor_incident_issues ADD COLUMN org_id bigint;
UPDATE monitor_incident_issues d
   SET org_id = coalesce((SELECT m.org_id FROM monitors m WHERE m.monitor_id = d.monitor_id),
                         (SELECT p.org_id FROM projects p WHERE p.id = d.project_id),
                         0);
ALTER TABLE monitor_incident_issues ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE monitors DROP CONSTRAINT monitors_pkey;
ALTER TABLE monitors ADD PRIMARY KEY (monitor_id, org_id);
ALTER TABLE monitors DROP CONSTRAINT monitors_stream_id_key;
ALTER TABLE monitors ADD CONSTRAINT monitors_stream_id_key UNIQUE (stream_id, org_id);

ALTER TABLE monitor_environments DROP CONSTRAINT monitor_environments_pkey;
ALTER TABLE monitor_environments ADD PRIMARY KEY (monitor_id, name, org_id);

ALTER TABLE monitor_check_ins DROP CONSTRAINT monitor_check_ins_pkey;
ALTER TABLE monitor_check_ins ADD PRIMARY KEY (monitor_id, check_in_id, org_id);

ALTER TABLE monitor_incident_issues DROP CONSTRAINT monitor_incident_issues_pkey;
ALTER TABLE monitor_incident_issues ADD PRIMARY KEY (monitor_id, environment, incident, org_id);

-- `at` plus `minutes` minutes. Adding a number of minutes to a point in time does not
-- depend on the time zone, but PostgreSQL marks `timestamptz + interval` STABLE for
-- intervals of days and months; Citus refuses a STABLE function inside CASE or
-- COALESCE in a write to a distributed table, where the monitors' fold computes a
-- check-in's deadline.
CREATE FUNCTION add_minutes(at timestamptz, minutes integer) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT at + make_interval(mins => minutes) $$;
