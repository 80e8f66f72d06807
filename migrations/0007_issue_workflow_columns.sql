-- Issue workflow state the search language filters on (`assigned:`, `is:assigned`,
-- `bookmarks:`). Filled from workflow events by the issues projection; NULL / no row
-- means unassigned / not bookmarked.
ALTER TABLE issues
    ADD COLUMN assignee_user_id bigint NULL,
    ADD COLUMN assignee_team_id bigint NULL;
CREATE INDEX issues_assignee_user ON issues (assignee_user_id) WHERE assignee_user_id IS NOT NULL;
CREATE INDEX issues_assignee_team ON issues (assignee_team_id) WHERE assignee_team_id IS NOT NULL;

CREATE TABLE issue_bookmarks (
    issue_id bigint NOT NULL,
    user_id  bigint NOT NULL,
    PRIMARY KEY (issue_id, user_id)
);
CREATE INDEX issue_bookmarks_user ON issue_bookmarks (user_id, issue_id);

-- The issue list at scale: the default query is `is:unresolved` sorted by last seen,
-- paged by keyset `(sort value, id) < cursor`, so each sort gets an index that reads
-- one status of one project (or organization) in order and stops after a page.
CREATE INDEX issues_project_status_last_seen ON issues (project_id, status, last_seen DESC, id DESC);
CREATE INDEX issues_org_status_last_seen ON issues (org_id, status, last_seen DESC, id DESC);
CREATE INDEX issues_project_status_first_seen ON issues (project_id, status, first_seen DESC, id DESC);
CREATE INDEX issues_org_status_first_seen ON issues (org_id, status, first_seen DESC, id DESC);
CREATE INDEX issues_project_status_times_seen ON issues (project_id, status, times_seen DESC, id DESC);
CREATE INDEX issues_org_status_times_seen ON issues (org_id, status, times_seen DESC, id DESC);
CREATE INDEX issues_project_status_user_count ON issues (project_id, status, user_count DESC, id DESC);
CREATE INDEX issues_org_status_user_count ON issues (org_id, status, user_count DESC, id DESC);

-- Tag filters (`release:`, `environment:`, `browser:`) probe issue_tag_values per
-- issue through its primary key (issue_id, key, value); this one serves the reverse
-- direction, issues carrying a value, when a tag filter is the most selective term.
CREATE INDEX issue_tag_values_key_value ON issue_tag_values (key, value, issue_id);
