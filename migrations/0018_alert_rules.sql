-- Read models of alert workflows and service hooks, written only by the
-- `alert_rules` projection (projections/src/alerts/). Disposable: rebuilt from the
-- log; every column comes from the events (dates from their metadata `time`).
-- The alerting reactor keeps tables of its own (`alert_*`, docs/alerts.md).

-- Workflow ids, as Sentry shows them; allocated before the command that uses them.
CREATE SEQUENCE workflow_ids;

CREATE TABLE workflows (
    id           bigint      PRIMARY KEY,
    org_id       bigint      NOT NULL,
    name         text        NOT NULL,
    definition   jsonb       NOT NULL,  -- faultline_domain::alert::definition::Definition
    enabled      boolean     NOT NULL,
    environment  text,
    frequency    bigint      NOT NULL,  -- minutes between fires per issue
    project_ids  bigint[]    NOT NULL,  -- the projects (= error detectors) it watches
    created_by   bigint      NOT NULL,
    date_created timestamptz NOT NULL,
    date_updated timestamptz NOT NULL
);
CREATE INDEX workflows_org ON workflows (org_id, id);
CREATE INDEX workflows_projects ON workflows USING gin (project_ids);

CREATE TABLE service_hooks (
    id           text        PRIMARY KEY,  -- 32 hex
    org_id       bigint      NOT NULL,
    project_id   bigint      NOT NULL,
    url          text        NOT NULL,
    events       text[]      NOT NULL,
    secret       text        NOT NULL,
    date_created timestamptz NOT NULL,
    date_updated timestamptz NOT NULL
);
CREATE INDEX service_hooks_project ON service_hooks (project_id, date_created, id);

-- The audit projection's lookups for alert rules and service hooks (as the other
-- `audit_*` tables of 0010): a removal names what it removed.
CREATE TABLE audit_workflows (
    workflow_id bigint PRIMARY KEY,
    name        text   NOT NULL
);

CREATE TABLE audit_service_hooks (
    hook_id text PRIMARY KEY,
    url     text NOT NULL
);
