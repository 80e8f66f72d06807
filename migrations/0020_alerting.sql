-- The `alerting` reactor (projections/src/alerting/): what it folds to decide who to
-- notify. Not a read model: replay and verify never run it, and nothing but the
-- reactor writes these tables.

-- Each workflow's definition (domain::alert::definition::Definition as JSON).
CREATE TABLE alert_workflows (
    workflow_id  bigint   PRIMARY KEY,
    org_id       bigint   NOT NULL,
    enabled      boolean  NOT NULL,
    project_ids  bigint[] NOT NULL,
    definition   jsonb    NOT NULL
);
CREATE INDEX alert_workflows_projects ON alert_workflows USING gin (project_ids);

-- Each service hook.
CREATE TABLE alert_service_hooks (
    hook_id    text    PRIMARY KEY,
    org_id     bigint  NOT NULL,
    project_id bigint  NOT NULL,
    url        text    NOT NULL,
    events     text[]  NOT NULL,
    secret     text    NOT NULL
);
CREATE INDEX alert_service_hooks_project ON alert_service_hooks (project_id);

-- What filters ask about an issue; `assignee` is `user:<id>` or `team:<id>`.
CREATE TABLE alert_issues (
    stream_id    text        PRIMARY KEY,
    issue_id     bigint      NOT NULL,
    project_id   bigint      NOT NULL,
    org_id       bigint      NOT NULL,
    short_number bigint      NOT NULL,
    title        text        NOT NULL,
    culprit      text        NOT NULL,
    level        text        NOT NULL,
    first_seen   timestamptz NOT NULL,
    times_seen   bigint      NOT NULL,
    assignee     text
) WITH (fillfactor = 50);

-- Events per issue per minute (of the event's receipt), for frequency filters.
CREATE TABLE alert_issue_minutes (
    stream_id text        NOT NULL,
    minute    timestamptz NOT NULL,
    events    bigint      NOT NULL,
    PRIMARY KEY (stream_id, minute)
) WITH (fillfactor = 50);
CREATE INDEX alert_issue_minutes_minute ON alert_issue_minutes (minute);

-- Distinct users per issue per minute, kept only while a workflow counts users.
CREATE TABLE alert_issue_minute_users (
    stream_id text        NOT NULL,
    minute    timestamptz NOT NULL,
    user_key  text        NOT NULL,
    PRIMARY KEY (stream_id, minute, user_key)
);
CREATE INDEX alert_issue_minute_users_minute ON alert_issue_minute_users (minute);

-- When each workflow last fired for each issue (`config.frequency`).
CREATE TABLE alert_fires (
    workflow_id bigint      NOT NULL,
    stream_id   text        NOT NULL,
    fired_at    timestamptz NOT NULL,
    position    bigint      NOT NULL,
    trigger     text,
    PRIMARY KEY (workflow_id, stream_id)
);

-- The reactor starts where the issues read model stands, with the issues it knows:
-- what happened before it existed never fires.
INSERT INTO alert_issues
SELECT stream_id, id, project_id, org_id, short_number, title, culprit, level,
       first_seen, times_seen,
       CASE WHEN assignee_user_id IS NOT NULL THEN 'user:' || assignee_user_id
            WHEN assignee_team_id IS NOT NULL THEN 'team:' || assignee_team_id END
  FROM issues;
INSERT INTO projection_checkpoints (name, last_tx_id, last_position)
SELECT 'alerting', last_tx_id, last_position FROM projection_checkpoints WHERE name = 'issues';
