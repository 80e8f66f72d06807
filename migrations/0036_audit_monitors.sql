-- The audit projection's lookup of monitor streams: an edit or deletion names the
-- monitor's organization and slug.
CREATE TABLE audit_monitors (
    stream_id text   PRIMARY KEY,
    org_id    bigint NOT NULL,
    slug      text   NOT NULL
);
