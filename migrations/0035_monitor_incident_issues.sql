-- Operational, not a read model: which monitor incidents have had their failure
-- issue opened and resolved (the side effects of `IncidentOpened` and
-- `IncidentResolved`, delivered by the monitor scheduler in server/src/monitors.rs
-- through commands::monitor_incidents). A row is written after the issue's event
-- is committed; delivering again after a crash in between names the same event id.
CREATE TABLE monitor_incident_issues (
    monitor_id  uuid        NOT NULL,
    environment text        NOT NULL,
    incident    integer     NOT NULL,
    project_id  bigint      NOT NULL,
    event_id    text        NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    PRIMARY KEY (monitor_id, environment, incident)
);
CREATE INDEX monitor_incident_issues_unresolved ON monitor_incident_issues (monitor_id)
    WHERE resolved_at IS NULL;
