-- Read models of users, organizations and projects, written only by their
-- projections (projections/src/accounts/). Disposable: rebuilt from the log.

CREATE TABLE users (
    id           bigint PRIMARY KEY,
    email        text        NOT NULL,
    name         text        NOT NULL,
    is_superuser boolean     NOT NULL,
    date_joined  timestamptz NOT NULL
);
CREATE INDEX users_email ON users (lower(email));

CREATE TABLE api_tokens (
    id           bigint PRIMARY KEY,
    user_id      bigint      NOT NULL,
    token_hash   text        NOT NULL UNIQUE,
    scopes       text[]      NOT NULL,
    name         text,
    date_created timestamptz NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE organizations (
    id           bigint PRIMARY KEY,
    slug         text        NOT NULL UNIQUE,
    name         text        NOT NULL,
    date_created timestamptz NOT NULL
);

CREATE TABLE members (
    id           bigint PRIMARY KEY,
    org_id       bigint      NOT NULL,
    user_id      bigint      NOT NULL,
    email        text        NOT NULL,
    role         text        NOT NULL,
    date_created timestamptz NOT NULL,
    UNIQUE (org_id, user_id)
);

CREATE TABLE teams (
    id           bigint PRIMARY KEY,
    org_id       bigint      NOT NULL,
    slug         text        NOT NULL,
    name         text        NOT NULL,
    date_created timestamptz NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE team_members (
    team_id   bigint NOT NULL,
    member_id bigint NOT NULL,
    PRIMARY KEY (team_id, member_id)
);
CREATE INDEX team_members_member ON team_members (member_id);

CREATE TABLE projects (
    id           bigint PRIMARY KEY,
    org_id       bigint      NOT NULL,
    slug         text        NOT NULL,
    name         text        NOT NULL,
    platform     text,
    date_created timestamptz NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE project_teams (
    project_id bigint NOT NULL,
    team_id    bigint NOT NULL,
    PRIMARY KEY (project_id, team_id)
);
CREATE INDEX project_teams_team ON project_teams (team_id);

CREATE TABLE client_keys (
    public_key        text PRIMARY KEY,
    project_id        bigint      NOT NULL,
    org_id            bigint      NOT NULL,
    secret_key        text        NOT NULL,
    label             text        NOT NULL,
    is_active         boolean     NOT NULL,
    rate_limit_window integer,
    rate_limit_count  integer,
    date_created      timestamptz NOT NULL
);
CREATE INDEX client_keys_project ON client_keys (project_id);
