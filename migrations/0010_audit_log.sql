-- The organization audit log (projections/src/audit/): one row per change made to
-- an organization, its members, teams, projects, keys or issues, in Sentry's shape.
-- Disposable: rebuilt from the log. Row ids are log positions and every column is
-- derived from the events alone, so a rebuild gives identical rows.

CREATE TABLE audit_log (
    id             bigint      PRIMARY KEY,  -- the event's log position
    org_id         bigint      NOT NULL,
    event          text        NOT NULL,     -- Sentry's api_name, e.g. `project.create`
    actor          text        NOT NULL,     -- metadata actor: `user:7`, `system:scheduler`
    actor_user_id  bigint,                   -- the user behind a `user:` or `token:` actor
    ip_address     text,
    note           text        NOT NULL,
    target_object  bigint,
    target_user_id bigint,
    data           jsonb       NOT NULL,
    date_created   timestamptz NOT NULL
);
CREATE INDEX audit_log_org_date ON audit_log (org_id, date_created DESC, id DESC);
CREATE INDEX audit_log_org_event ON audit_log (org_id, event, date_created DESC, id DESC);
CREATE INDEX audit_log_org_actor ON audit_log (org_id, actor_user_id, date_created DESC, id DESC);

-- What the audit projection remembers to name things in later rows, fed only from
-- its own events (never from another projection's tables). Rows are kept after the
-- thing is deleted, so a removal can still say what was removed.
CREATE TABLE audit_users (
    user_id bigint PRIMARY KEY,
    email   text   NOT NULL
);

CREATE TABLE audit_tokens (
    token_id bigint PRIMARY KEY,
    user_id  bigint NOT NULL
);

CREATE TABLE audit_members (
    member_id bigint PRIMARY KEY,
    user_id   bigint NOT NULL,
    email     text   NOT NULL
);

CREATE TABLE audit_teams (
    team_id bigint PRIMARY KEY,
    slug    text   NOT NULL
);

CREATE TABLE audit_projects (
    project_id bigint PRIMARY KEY,
    org_id     bigint NOT NULL,
    slug       text   NOT NULL
);

-- An issue stream's current issue (a stream opens a new issue after a deletion).
CREATE TABLE audit_issues (
    stream_id    text   PRIMARY KEY,
    org_id       bigint NOT NULL,
    project_id   bigint NOT NULL,
    issue_id     bigint NOT NULL,
    short_number bigint NOT NULL
);
