-- Read models of the `monitor` streams (Crons), written only by the `monitors`
-- projection (projections/src/monitors/). Disposable: rebuilt from the log. No foreign
-- keys: a rebuild's shadow copies carry none, so the fold deletes child rows itself.
CREATE TABLE monitors (
    monitor_id   uuid        PRIMARY KEY,
    org_id       bigint      NOT NULL,
    project_id   bigint      NOT NULL,
    stream_id    text        NOT NULL UNIQUE,
    slug         text        NOT NULL,
    name         text        NOT NULL,
    status       text        NOT NULL,
    is_muted     boolean     NOT NULL DEFAULT false,
    owner        text,
    config       jsonb       NOT NULL,
    date_created timestamptz NOT NULL
);
CREATE UNIQUE INDEX monitors_org_slug ON monitors (org_id, slug);

-- One row per environment a monitor checked in from. `next_check_in_latest` is when
-- the next run counts as missed: the missed-run scheduler reads it.
CREATE TABLE monitor_environments (
    monitor_id           uuid        NOT NULL,
    name                 text        NOT NULL,
    status               text        NOT NULL,
    date_created         timestamptz NOT NULL,
    last_check_in        timestamptz,
    next_check_in        timestamptz,
    next_check_in_latest timestamptz,
    incident             integer,
    incident_started     timestamptz,
    PRIMARY KEY (monitor_id, name)
);
CREATE INDEX monitor_environments_due ON monitor_environments (next_check_in_latest);

-- The check-ins; `timeout_at` is set while one is in progress, for the timeout scheduler.
CREATE TABLE monitor_check_ins (
    monitor_id       uuid        NOT NULL,
    check_in_id      uuid        NOT NULL,
    position         bigint      NOT NULL,
    environment      text        NOT NULL,
    status           text        NOT NULL,
    duration_ms      bigint,
    date_added       timestamptz NOT NULL,
    date_updated     timestamptz NOT NULL,
    date_in_progress timestamptz,
    expected_time    timestamptz,
    timeout_at       timestamptz,
    config           jsonb       NOT NULL,
    PRIMARY KEY (monitor_id, check_in_id)
);
CREATE INDEX monitor_check_ins_recent ON monitor_check_ins (monitor_id, position DESC);
CREATE INDEX monitor_check_ins_timeouts ON monitor_check_ins (timeout_at) WHERE timeout_at IS NOT NULL;
