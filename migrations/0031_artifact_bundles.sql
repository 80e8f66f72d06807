-- Source map artifact bundles.
--
-- `file_blobs` and `file_blob_owners` are operational storage, written by the upload
-- endpoints (commands::artifacts), not read models: the bytes of every uploaded chunk
-- and of every file of an assembled bundle, content-addressed by SHA-1, stored once
-- whatever bundles and projects share them. An organization may use a blob only once
-- it has uploaded it (an owner row): knowing a hash never gives access to the bytes.
-- Unreferenced blobs (chunks once assembled, files of deleted bundles) are removed by
-- the retention pass after a day.
CREATE TABLE file_blobs (
    checksum   text        PRIMARY KEY,
    size       bigint      NOT NULL,
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE file_blob_owners (
    org_id     bigint      NOT NULL,
    checksum   text        NOT NULL REFERENCES file_blobs (checksum) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, checksum)
);
CREATE INDEX file_blob_owners_checksum ON file_blob_owners (checksum);

-- Read models of the `artifact_bundle` streams, written only by the `artifact_bundles`
-- projection (projections/src/artifact_bundles/). Disposable: rebuilt from the log.
CREATE TABLE artifact_bundles (
    org_id        bigint      NOT NULL,
    checksum      text        NOT NULL,
    bundle_id     text        NOT NULL,
    release       text,
    dist          text,
    size          bigint      NOT NULL,
    file_count    integer     NOT NULL,
    date_uploaded timestamptz NOT NULL,
    date_modified timestamptz NOT NULL,
    PRIMARY KEY (org_id, checksum)
);
CREATE INDEX artifact_bundles_org_bundle ON artifact_bundles (org_id, bundle_id);
CREATE INDEX artifact_bundles_release ON artifact_bundles (org_id, release, dist);

CREATE TABLE artifact_bundle_projects (
    org_id     bigint NOT NULL,
    checksum   text   NOT NULL,
    project_id bigint NOT NULL,
    PRIMARY KEY (org_id, checksum, project_id)
);
CREATE INDEX artifact_bundle_projects_project ON artifact_bundle_projects (project_id);

CREATE TABLE artifact_bundle_files (
    org_id          bigint NOT NULL,
    bundle_checksum text   NOT NULL,
    url             text   NOT NULL,
    file_type       text   NOT NULL,
    debug_id        text,
    sourcemap       text,
    file_checksum   text   NOT NULL,
    size            bigint NOT NULL
);
CREATE INDEX artifact_bundle_files_bundle ON artifact_bundle_files (org_id, bundle_checksum);
CREATE INDEX artifact_bundle_files_debug_id ON artifact_bundle_files (org_id, debug_id)
    WHERE debug_id IS NOT NULL;
CREATE INDEX artifact_bundle_files_url ON artifact_bundle_files (org_id, url);
CREATE INDEX artifact_bundle_files_blob ON artifact_bundle_files (file_checksum);
