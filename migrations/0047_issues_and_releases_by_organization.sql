-- The issues' and the releases' read models name their organization in every row and
-- every unique key, so that on Citus they distribute by it, co-located with the log
-- (server/src/citus.rs), as the monitors do (migration 0045): a batch of one
-- organization's events, and every read of its issues and releases, then runs on the
-- one worker that holds them. The column comes last in each key, so lookups by the
-- leading columns keep their index; ids are unique on their own, so the keys allow
-- what they allowed before. Rows whose issue, release or project is gone (none
-- should be) go with it.

-- An issue's event names the project it was sent to.
ALTER TABLE issue_events ADD COLUMN org_id bigint;
UPDATE issue_events e SET org_id = p.org_id FROM projects p WHERE p.id = e.project_id;
DELETE FROM issue_events WHERE org_id IS NULL;
ALTER TABLE issue_events ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issue_users ADD COLUMN org_id bigint;
UPDATE issue_users t SET org_id = i.org_id FROM issues i WHERE i.id = t.issue_id;
DELETE FROM issue_users WHERE org_id IS NULL;
ALTER TABLE issue_users ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issue_tag_values ADD COLUMN org_id bigint;
UPDATE issue_tag_values t SET org_id = i.org_id FROM issues i WHERE i.id = t.issue_id;
DELETE FROM issue_tag_values WHERE org_id IS NULL;
ALTER TABLE issue_tag_values ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issue_bookmarks ADD COLUMN org_id bigint;
UPDATE issue_bookmarks t SET org_id = i.org_id FROM issues i WHERE i.id = t.issue_id;
DELETE FROM issue_bookmarks WHERE org_id IS NULL;
ALTER TABLE issue_bookmarks ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issue_subscriptions ADD COLUMN org_id bigint;
UPDATE issue_subscriptions t SET org_id = i.org_id FROM issues i WHERE i.id = t.issue_id;
DELETE FROM issue_subscriptions WHERE org_id IS NULL;
ALTER TABLE issue_subscriptions ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issue_seen ADD COLUMN org_id bigint;
UPDATE issue_seen t SET org_id = i.org_id FROM issues i WHERE i.id = t.issue_id;
DELETE FROM issue_seen WHERE org_id IS NULL;
ALTER TABLE issue_seen ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issue_comments ADD COLUMN org_id bigint;
UPDATE issue_comments t SET org_id = i.org_id FROM issues i WHERE i.id = t.issue_id;
DELETE FROM issue_comments WHERE org_id IS NULL;
ALTER TABLE issue_comments ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issue_activity ADD COLUMN org_id bigint;
UPDATE issue_activity t SET org_id = i.org_id FROM issues i WHERE i.id = t.issue_id;
DELETE FROM issue_activity WHERE org_id IS NULL;
ALTER TABLE issue_activity ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE release_environments ADD COLUMN org_id bigint;
UPDATE release_environments t SET org_id = p.org_id FROM projects p WHERE p.id = t.project_id;
DELETE FROM release_environments WHERE org_id IS NULL;
ALTER TABLE release_environments ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE release_projects ADD COLUMN org_id bigint;
UPDATE release_projects t SET org_id = r.org_id FROM releases r WHERE r.id = t.release_id;
DELETE FROM release_projects WHERE org_id IS NULL;
ALTER TABLE release_projects ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE release_deploys ADD COLUMN org_id bigint;
UPDATE release_deploys t SET org_id = r.org_id FROM releases r WHERE r.id = t.release_id;
DELETE FROM release_deploys WHERE org_id IS NULL;
ALTER TABLE release_deploys ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE release_commits ADD COLUMN org_id bigint;
UPDATE release_commits t SET org_id = r.org_id FROM releases r WHERE r.id = t.release_id;
DELETE FROM release_commits WHERE org_id IS NULL;
ALTER TABLE release_commits ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE issues DROP CONSTRAINT issues_pkey;
ALTER TABLE issues ADD PRIMARY KEY (id, org_id);
ALTER TABLE issues DROP CONSTRAINT issues_stream_id_key;
ALTER TABLE issues ADD CONSTRAINT issues_stream_id_key UNIQUE (stream_id, org_id);

ALTER TABLE issue_events DROP CONSTRAINT issue_events_pkey;
ALTER TABLE issue_events ADD PRIMARY KEY (project_id, event_id, org_id);
ALTER TABLE issue_users DROP CONSTRAINT issue_users_pkey;
ALTER TABLE issue_users ADD PRIMARY KEY (issue_id, user_key, org_id);
ALTER TABLE issue_tag_values DROP CONSTRAINT issue_tag_values_pkey;
ALTER TABLE issue_tag_values ADD PRIMARY KEY (issue_id, key, value, org_id);
ALTER TABLE issue_bookmarks DROP CONSTRAINT issue_bookmarks_pkey;
ALTER TABLE issue_bookmarks ADD PRIMARY KEY (issue_id, user_id, org_id);
ALTER TABLE issue_subscriptions DROP CONSTRAINT issue_subscriptions_pkey;
ALTER TABLE issue_subscriptions ADD PRIMARY KEY (issue_id, user_id, org_id);
ALTER TABLE issue_seen DROP CONSTRAINT issue_seen_pkey;
ALTER TABLE issue_seen ADD PRIMARY KEY (issue_id, user_id, org_id);
ALTER TABLE issue_comments DROP CONSTRAINT issue_comments_pkey;
ALTER TABLE issue_comments ADD PRIMARY KEY (id, org_id);
ALTER TABLE issue_activity DROP CONSTRAINT issue_activity_pkey;
ALTER TABLE issue_activity ADD PRIMARY KEY (id, org_id);
ALTER TABLE release_environments DROP CONSTRAINT release_environments_pkey;
ALTER TABLE release_environments ADD PRIMARY KEY (project_id, release, environment, org_id);

ALTER TABLE releases DROP CONSTRAINT releases_pkey;
ALTER TABLE releases ADD PRIMARY KEY (id, org_id);
ALTER TABLE releases DROP CONSTRAINT releases_stream_id_key;
ALTER TABLE releases ADD CONSTRAINT releases_stream_id_key UNIQUE (stream_id, org_id);
ALTER TABLE release_projects DROP CONSTRAINT release_projects_pkey;
ALTER TABLE release_projects ADD PRIMARY KEY (release_id, project_id, org_id);
ALTER TABLE release_deploys DROP CONSTRAINT release_deploys_pkey;
ALTER TABLE release_deploys ADD PRIMARY KEY (id, org_id);
ALTER TABLE release_commits DROP CONSTRAINT release_commits_pkey;
ALTER TABLE release_commits ADD PRIMARY KEY (release_id, ordinal, org_id);
