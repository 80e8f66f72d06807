//! Reads of artifact bundles, scoped by organization and project: the settings list,
//! and the lookups that find a frame's source map.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::accounts::queries::{Page, Paged};

/// A bundle as Sentry's settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BundleRow {
    /// The bundle's id.
    pub bundle_id: String,
    /// SHA-1 of its zip.
    pub checksum: String,
    /// Its release.
    pub release: Option<String>,
    /// Its dist.
    pub dist: Option<String>,
    /// Its files.
    pub file_count: i32,
    /// Its zip's size.
    pub size: i64,
    /// When it was uploaded.
    pub date_uploaded: DateTime<Utc>,
    /// When it last changed (linked to another project).
    pub date_modified: DateTime<Utc>,
}

/// The project's bundles, newest first; `query` matches a bundle id, release or dist.
pub async fn list(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    query: Option<&str>,
    page: Page,
) -> Result<Paged<BundleRow>, sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT b.bundle_id, b.checksum, b.release, b.dist, b.file_count, b.size,
                b.date_uploaded, b.date_modified
           FROM artifact_bundles b
           JOIN artifact_bundle_projects p
             ON p.org_id = b.org_id AND p.checksum = b.checksum AND p.project_id = $2
          WHERE b.org_id = $1
            AND ($3::text IS NULL OR strpos(lower(b.bundle_id), lower($3)) > 0
                 OR strpos(lower(coalesce(b.release, '')), lower($3)) > 0
                 OR strpos(lower(coalesce(b.dist, '')), lower($3)) > 0)
          ORDER BY b.date_uploaded DESC, b.checksum
          LIMIT $4 OFFSET $5",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(query)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// The checksums of the project's bundles with id `bundle_id`.
pub async fn checksums_of(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    bundle_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT b.checksum FROM artifact_bundles b
           JOIN artifact_bundle_projects p
             ON p.org_id = b.org_id AND p.checksum = b.checksum AND p.project_id = $2
          WHERE b.org_id = $1 AND b.bundle_id = $3",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(bundle_id)
    .fetch_all(pool)
    .await
}

/// A file of a bundle the project may use.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FileRow {
    /// Its URL.
    pub url: String,
    /// `minified_source`, `source_map`, ...
    pub file_type: String,
    /// Its debug id.
    pub debug_id: Option<String>,
    /// Its `sourcemap` header.
    pub sourcemap: Option<String>,
    /// SHA-1 of its bytes.
    pub file_checksum: String,
    /// The bundle's release.
    pub release: Option<String>,
    /// The bundle's dist.
    pub dist: Option<String>,
}

/// The files of a project's bundles in an organization (`$1`, `$2`), to narrow further.
pub const FILES_SQL: &str = "SELECT f.url, f.file_type, f.debug_id, f.sourcemap, f.file_checksum,
                            b.release, b.dist
                       FROM artifact_bundle_files f
                       JOIN artifact_bundles b
                         ON b.org_id = f.org_id AND b.checksum = f.bundle_checksum
                       JOIN artifact_bundle_projects p
                         ON p.org_id = f.org_id AND p.checksum = f.bundle_checksum
                        AND p.project_id = $2
                      WHERE f.org_id = $1";

/// The project's files with debug id `debug_id`, newest bundle first.
pub async fn files_by_debug_id(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    debug_id: &str,
) -> Result<Vec<FileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{FILES_SQL} AND f.debug_id = $3 ORDER BY b.date_uploaded DESC LIMIT 20"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(debug_id)
    .fetch_all(pool)
    .await
}

/// The project's files at any of `urls`, of any release (the caller tells a wrong
/// release or dist from a match), newest bundle first.
pub async fn files_by_url(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    urls: &[String],
) -> Result<Vec<FileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{FILES_SQL} AND f.url = ANY($3) ORDER BY b.date_uploaded DESC LIMIT 50"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(urls)
    .fetch_all(pool)
    .await
}

/// Whether the project has any bundle.
pub async fn project_has_bundles(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM artifact_bundle_projects WHERE org_id = $1 AND project_id = $2)",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_one(pool)
    .await
}

/// The project's files at any of `urls` in bundles of `release` and `dist`, newest
/// bundle first.
pub async fn files_by_url_in_release(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    urls: &[String],
    (release, dist): (&str, Option<&str>),
) -> Result<Vec<FileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{FILES_SQL} AND f.url = ANY($3) AND b.release = $4 AND b.dist IS NOT DISTINCT FROM $5
         ORDER BY b.date_uploaded DESC LIMIT 50"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(urls)
    .bind(release)
    .bind(dist)
    .fetch_all(pool)
    .await
}

/// The bytes of blob `checksum`, if `org_id` uploaded it.
pub async fn blob(
    pool: &PgPool,
    org_id: i64,
    checksum: &str,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT b.data FROM file_blobs b
           JOIN file_blob_owners o ON o.checksum = b.checksum AND o.org_id = $1
          WHERE b.checksum = $2",
    )
    .bind(org_id)
    .bind(checksum)
    .fetch_optional(pool)
    .await
}

/// What the source map debugger says about a project's uploads as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadFacts {
    /// The project has a bundle.
    pub project_has_some_artifact_bundle: bool,
    /// Some bundle of the release exists for the project.
    pub release_has_some_artifact: bool,
    /// Some file of the project's bundles has a debug id.
    pub has_uploaded_some_artifact_with_a_debug_id: bool,
}

/// [`UploadFacts`] for the project and `release`.
pub async fn upload_facts(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    release: Option<&str>,
) -> Result<UploadFacts, sqlx::Error> {
    sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM artifact_bundle_projects
                         WHERE org_id = $1 AND project_id = $2) AS project_has_some_artifact_bundle,
                EXISTS (SELECT 1 FROM artifact_bundles b
                          JOIN artifact_bundle_projects p
                            ON p.org_id = b.org_id AND p.checksum = b.checksum AND p.project_id = $2
                         WHERE b.org_id = $1 AND b.release = $3) AS release_has_some_artifact,
                EXISTS (SELECT 1 FROM artifact_bundle_files f
                          JOIN artifact_bundle_projects p
                            ON p.org_id = f.org_id AND p.checksum = f.bundle_checksum AND p.project_id = $2
                         WHERE f.org_id = $1 AND f.debug_id IS NOT NULL)
                       AS has_uploaded_some_artifact_with_a_debug_id",
    )
    .bind(org_id)
    .bind(project_id)
    .bind(release)
    .fetch_one(pool)
    .await
}

/// Bundles older than the longest retention of the projects they serve (the server's
/// `default_days` where a project sets none): `(org_id, checksum)`. The projects'
/// retentions are read first, in a statement of their own: on Citus the bundles live
/// on the workers and the projects on the coordinator.
pub async fn expired(
    pool: &PgPool,
    now: DateTime<Utc>,
    default_days: i32,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let retention_days: serde_json::Value = sqlx::query_scalar(
        "SELECT coalesce(jsonb_object_agg(id::text, coalesce(retention_days, $1)), '{}')
           FROM projects",
    )
    .bind(default_days)
    .fetch_one(pool)
    .await?;
    sqlx::query_as(
        "SELECT b.org_id, b.checksum
           FROM artifact_bundles b
          WHERE b.date_uploaded < $3 - make_interval(days => (
                    SELECT coalesce(max(($4::jsonb ->> p.project_id::text)::int), $1)
                      FROM artifact_bundle_projects p
                     WHERE p.org_id = b.org_id AND p.checksum = b.checksum))
          ORDER BY b.date_uploaded
          LIMIT $2",
    )
    .bind(default_days)
    .bind(limit)
    .bind(now)
    .bind(retention_days)
    .fetch_all(pool)
    .await
}
