-- Read models of releases and their deploys, written only by the `releases`
-- projection (projections/src/releases/). Disposable: rebuilt from the log.

-- Release and deploy ids, as Sentry shows them; allocated before the command.
CREATE SEQUENCE release_ids;
CREATE SEQUENCE deploy_ids;

CREATE TABLE releases (
    id            bigint      PRIMARY KEY,
    org_id        bigint      NOT NULL,
    stream_id     text        NOT NULL UNIQUE,
    version       text        NOT NULL,
    reference     text,
    url           text,
    status        text        NOT NULL,  -- open | archived
    date_created  timestamptz NOT NULL,
    date_released timestamptz,
    date_started  timestamptz,
    deploy_count  bigint      NOT NULL DEFAULT 0,
    last_deploy   bigint,
    UNIQUE (org_id, version)
);
CREATE INDEX releases_org_created ON releases (org_id, date_created DESC, id DESC);

CREATE TABLE release_projects (
    release_id bigint NOT NULL,
    project_id bigint NOT NULL,
    PRIMARY KEY (release_id, project_id)
);
CREATE INDEX release_projects_project ON release_projects (project_id, release_id);

CREATE TABLE release_deploys (
    id            bigint      PRIMARY KEY,
    release_id    bigint      NOT NULL,
    environment   text        NOT NULL,
    name          text,
    url           text,
    date_started  timestamptz,
    date_finished timestamptz NOT NULL,
    project_ids   bigint[]    NOT NULL
);
CREATE INDEX release_deploys_release ON release_deploys (release_id, date_finished DESC, id DESC);

-- The audit projection's lookup: a deletion names the version it removed.
CREATE TABLE audit_releases (
    stream_id text   PRIMARY KEY,
    org_id    bigint NOT NULL,
    version   text   NOT NULL
);

-- A release's issues (its new groups, first and last event) are read from the issues
-- read model's release tag values: this finds them by version. Only `release` rows
-- carry an entry, and a tag value's updates (counts, last seen) stay HOT.
CREATE INDEX issue_tag_values_release ON issue_tag_values (value, issue_id) WHERE key = 'release';
