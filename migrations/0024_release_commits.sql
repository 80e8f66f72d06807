-- A release's commits as sentry-cli's set-commits sends them (`CommitsSet`), in the
-- order sent (newest first); written only by the `releases` projection.
CREATE TABLE release_commits (
    release_id   bigint      NOT NULL,
    ordinal      integer     NOT NULL,
    id           text        NOT NULL,
    repository   text,
    message      text,
    author_name  text,
    author_email text,
    committed_at timestamptz,
    files        jsonb       NOT NULL,  -- [[path, type], ...]
    PRIMARY KEY (release_id, ordinal)
);

-- The repositories named by the organization's release commits and refs, each with
-- the time it was first named (what `GET /organizations/{org}/repos/` lists).
CREATE TABLE release_repositories (
    org_id       bigint      NOT NULL,
    name         text        NOT NULL,
    date_created timestamptz NOT NULL,
    PRIMARY KEY (org_id, name)
);
