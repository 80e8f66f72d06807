-- The alerting reactor's tables name their organization in every row and every unique
-- key, so that on Citus they distribute by it, co-located with the log
-- (server/src/citus.rs), as the issues' read model does (migration 0047): a batch of
-- one organization's events is then judged, counted and recorded on the one worker
-- that holds it. The column comes last in each key, so lookups by the leading columns
-- keep their index; ids and streams are unique on their own, so the keys allow what
-- they allowed before. Counters and fires whose issue or workflow the reactor no
-- longer knows are of no use to it and go. The outbox (`notifications`) stays on
-- the coordinator: delivery claims due rows of every organization (docs/citus.md).
ALTER TABLE alert_workflows DROP CONSTRAINT alert_workflows_pkey;
ALTER TABLE alert_workflows ADD PRIMARY KEY (workflow_id, org_id);
ALTER TABLE alert_service_hooks DROP CONSTRAINT alert_service_hooks_pkey;
ALTER TABLE alert_service_hooks ADD PRIMARY KEY (hook_id, org_id);
ALTER TABLE alert_issues DROP CONSTRAINT alert_issues_pkey;
ALTER TABLE alert_issues ADD PRIMARY KEY (stream_id, org_id);

ALTER TABLE alert_issue_minutes ADD COLUMN org_id bigint;
UPDATE alert_issue_minutes m SET org_id = i.org_id FROM alert_issues i WHERE i.stream_id = m.stream_id;
DELETE FROM alert_issue_minutes WHERE org_id IS NULL;
ALTER TABLE alert_issue_minutes ALTER COLUMN org_id SET NOT NULL;
ALTER TABLE alert_issue_minutes DROP CONSTRAINT alert_issue_minutes_pkey;
ALTER TABLE alert_issue_minutes ADD PRIMARY KEY (stream_id, minute, org_id);

ALTER TABLE alert_issue_minute_users ADD COLUMN org_id bigint;
UPDATE alert_issue_minute_users u SET org_id = i.org_id
  FROM alert_issues i WHERE i.stream_id = u.stream_id;
DELETE FROM alert_issue_minute_users WHERE org_id IS NULL;
ALTER TABLE alert_issue_minute_users ALTER COLUMN org_id SET NOT NULL;
ALTER TABLE alert_issue_minute_users DROP CONSTRAINT alert_issue_minute_users_pkey;
ALTER TABLE alert_issue_minute_users ADD PRIMARY KEY (stream_id, minute, user_key, org_id);

ALTER TABLE alert_fires ADD COLUMN org_id bigint;
UPDATE alert_fires f SET org_id = w.org_id FROM alert_workflows w WHERE w.workflow_id = f.workflow_id;
DELETE FROM alert_fires WHERE org_id IS NULL;
ALTER TABLE alert_fires ALTER COLUMN org_id SET NOT NULL;
ALTER TABLE alert_fires DROP CONSTRAINT alert_fires_pkey;
ALTER TABLE alert_fires ADD PRIMARY KEY (workflow_id, stream_id, org_id);
