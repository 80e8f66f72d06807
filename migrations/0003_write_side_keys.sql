-- Write-side uniqueness that spans aggregates (organization slugs, project slugs per
-- organization, user emails). Rows are claimed in the same transaction as the events
-- that take the value, so of two concurrent creates exactly one commits. Derived from
-- the log like a snapshot: it holds no fact the log lacks.
CREATE TABLE unique_claims (
    scope text NOT NULL,
    key   text NOT NULL,
    owner text NOT NULL,
    CONSTRAINT unique_claims_taken PRIMARY KEY (scope, key)
);
CREATE UNIQUE INDEX unique_claims_owner ON unique_claims (scope, owner);

-- Numeric ids, as Sentry shows them; allocated before the command that uses them.
CREATE SEQUENCE user_ids;
CREATE SEQUENCE token_ids;
CREATE SEQUENCE organization_ids;
CREATE SEQUENCE member_ids;
CREATE SEQUENCE team_ids;
CREATE SEQUENCE project_ids;
