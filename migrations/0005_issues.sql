-- Write side of ingestion: numeric issue ids and per-project issue numbers (the
-- short id's counter), allocated before the command that creates the issue.
CREATE SEQUENCE issue_ids;

CREATE TABLE project_issue_counters (
    project_id bigint PRIMARY KEY,
    last       bigint NOT NULL
);

-- Read models of issues and their events, written by projections/src/issues/.
CREATE TABLE issues (
    id            bigint PRIMARY KEY,
    stream_id     text        NOT NULL UNIQUE,
    project_id    bigint      NOT NULL,
    org_id        bigint      NOT NULL,
    short_number  bigint      NOT NULL,
    hash          text        NOT NULL,
    title         text        NOT NULL,
    culprit       text        NOT NULL,
    metadata      jsonb       NOT NULL,
    issue_type    text        NOT NULL,
    level         text        NOT NULL,
    platform      text        NOT NULL,
    status        text        NOT NULL DEFAULT 'unresolved',
    substatus     text        NOT NULL DEFAULT 'new',
    first_seen    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    times_seen    bigint      NOT NULL DEFAULT 0,
    user_count    bigint      NOT NULL DEFAULT 0
);
CREATE INDEX issues_project_last_seen ON issues (project_id, last_seen DESC, id DESC);
CREATE INDEX issues_org_last_seen ON issues (org_id, last_seen DESC, id DESC);

-- One row per accepted event; the event itself stays in the log, at `position`.
CREATE TABLE issue_events (
    event_id   text        NOT NULL,
    project_id bigint      NOT NULL,
    issue_id   bigint      NOT NULL,
    position   bigint      NOT NULL,
    timestamp  timestamptz NOT NULL,
    received   timestamptz NOT NULL,
    PRIMARY KEY (project_id, event_id)
);
CREATE INDEX issue_events_issue_time ON issue_events (issue_id, timestamp DESC, position DESC);

CREATE TABLE issue_users (
    issue_id bigint NOT NULL,
    user_key text   NOT NULL,
    PRIMARY KEY (issue_id, user_key)
);

CREATE TABLE issue_tag_values (
    issue_id   bigint      NOT NULL,
    key        text        NOT NULL,
    value      text        NOT NULL,
    times_seen bigint      NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    PRIMARY KEY (issue_id, key, value)
);
