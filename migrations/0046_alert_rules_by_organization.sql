-- Workflows and service hooks name their organization in every unique key, so that on
-- Citus they distribute by it, co-located with the log (server/src/citus.rs), as the
-- monitors do (migration 0045). The column comes last so lookups by id keep the key's
-- index; ids are unique on their own, so the keys allow what they allowed before.
ALTER TABLE workflows DROP CONSTRAINT workflows_pkey;
ALTER TABLE workflows ADD PRIMARY KEY (id, org_id);
ALTER TABLE service_hooks DROP CONSTRAINT service_hooks_pkey;
ALTER TABLE service_hooks ADD PRIMARY KEY (id, org_id);
