-- Read models of the issue workflow (projections/src/issues/workflow.rs).
ALTER TABLE issues ADD COLUMN status_details jsonb   NOT NULL DEFAULT '{}';
ALTER TABLE issues ADD COLUMN is_public      boolean NOT NULL DEFAULT false;
ALTER TABLE issues ADD COLUMN num_comments   bigint  NOT NULL DEFAULT 0;

CREATE TABLE issue_subscriptions (
    issue_id   bigint  NOT NULL,
    user_id    bigint  NOT NULL,
    subscribed boolean NOT NULL,
    PRIMARY KEY (issue_id, user_id)
);

CREATE TABLE issue_seen (
    issue_id bigint      NOT NULL,
    user_id  bigint      NOT NULL,
    seen_at  timestamptz NOT NULL,
    PRIMARY KEY (issue_id, user_id)
);

CREATE TABLE issue_comments (
    id           bigint PRIMARY KEY,
    issue_id     bigint      NOT NULL,
    user_id      bigint      NOT NULL,
    text         text        NOT NULL,
    date_created timestamptz NOT NULL,
    date_edited  timestamptz
);
CREATE INDEX issue_comments_issue ON issue_comments (issue_id, date_created);

-- One row per workflow event; its log position is its id, so a rebuild gives the
-- same ids.
CREATE TABLE issue_activity (
    id           bigint PRIMARY KEY,
    issue_id     bigint      NOT NULL,
    type         text        NOT NULL,
    data         jsonb       NOT NULL,
    user_id      bigint,
    date_created timestamptz NOT NULL
);
CREATE INDEX issue_activity_issue ON issue_activity (issue_id, date_created DESC);

CREATE SEQUENCE comment_ids;
