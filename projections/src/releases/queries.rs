//! Reads of releases and deploys, scoped by organization (and project).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::accounts::queries::{Page, Paged};
use crate::issues::accounts::project_names;

/// A release as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReleaseRow {
    /// Its numeric id.
    pub id: i64,
    /// The version.
    pub version: String,
    /// The commit reference.
    pub reference: Option<String>,
    /// A URL pointing at it.
    pub url: Option<String>,
    /// `open` or `archived`.
    pub status: String,
    /// When it was created.
    pub date_created: DateTime<Utc>,
    /// When it was finalized.
    pub date_released: Option<DateTime<Utc>>,
    /// When its build or rollout started.
    pub date_started: Option<DateTime<Utc>>,
    /// How many deploys it has.
    pub deploy_count: i64,
    /// Its latest deploy.
    pub last_deploy: Option<i64>,
    /// Its projects' ids, sorted.
    pub project_ids: Vec<i64>,
}

/// A project of a release, with the issues first seen in it there.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReleaseProject {
    /// The project's id.
    pub id: i64,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its platform.
    pub platform: Option<String>,
    /// Issues of this project whose first event carried the release.
    pub new_groups: i64,
    /// The first event of the release in this project.
    pub first_event: Option<DateTime<Utc>>,
    /// The last event of the release in this project.
    pub last_event: Option<DateTime<Utc>>,
    /// The release's events in this project.
    pub event_count: i64,
}

/// A deploy.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeployRow {
    /// Its numeric id.
    pub id: i64,
    /// The environment.
    pub environment: String,
    /// Its name.
    pub name: Option<String>,
    /// Its URL.
    pub url: Option<String>,
    /// When it started.
    pub date_started: Option<DateTime<Utc>>,
    /// When it finished.
    pub date_finished: DateTime<Utc>,
}

/// Every query on it names the organization as `$1`, and its subquery names it too:
/// on Citus a statement stays on the organization's worker only when each table in
/// it, subqueries included, is filtered by the same value.
const SELECT: &str = "SELECT r.id, r.version, r.reference, r.url, r.status, r.date_created,
                             r.date_released, r.date_started, r.deploy_count, r.last_deploy,
                             coalesce(rp.ids, '{}') AS project_ids
                        FROM releases r
                        LEFT JOIN LATERAL (
                            SELECT array_agg(rp.project_id ORDER BY rp.project_id) AS ids
                              FROM release_projects rp
                             WHERE rp.org_id = $1 AND rp.release_id = r.id) rp ON true";

/// Which releases a list shows.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    /// Only releases of these projects (all when empty).
    pub project_ids: Vec<i64>,
    /// A case-insensitive substring of the version.
    pub query: Option<String>,
    /// `open`, `archived`, or both when `None`.
    pub status: Option<String>,
    /// Only releases with events or deploys in these environments (all when empty).
    pub environments: Vec<String>,
}

/// A page of the organization's releases, newest first.
pub async fn list(
    pool: &PgPool,
    org_id: i64,
    filter: &ReleaseFilter,
    page: Page,
) -> Result<Paged<ReleaseRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT}
          WHERE r.org_id = $1
            AND (cardinality($2::bigint[]) = 0 OR EXISTS (
                   SELECT 1 FROM release_projects rp
                    WHERE rp.org_id = $1 AND rp.release_id = r.id AND rp.project_id = ANY($2)))
            AND ($3::text IS NULL OR strpos(lower(r.version), lower($3)) > 0)
            AND ($4::text IS NULL OR r.status = $4)
            AND (cardinality($7::text[]) = 0
                 OR EXISTS (SELECT 1 FROM release_environments re
                              JOIN release_projects rp ON rp.org_id = re.org_id
                                                      AND rp.project_id = re.project_id
                             WHERE re.org_id = $1 AND rp.release_id = r.id
                               AND re.release = r.version AND re.environment = ANY($7))
                 OR EXISTS (SELECT 1 FROM release_deploys d
                             WHERE d.org_id = $1 AND d.release_id = r.id
                               AND d.environment = ANY($7)))
          ORDER BY r.date_created DESC, r.id DESC
          LIMIT $5 OFFSET $6"
    ))
    .bind(org_id)
    .bind(&filter.project_ids)
    .bind(&filter.query)
    .bind(&filter.status)
    .bind(page.limit + 1)
    .bind(page.offset)
    .bind(&filter.environments)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// Release `version` of the organization.
pub async fn by_version(
    pool: &PgPool,
    org_id: i64,
    version: &str,
) -> Result<Option<ReleaseRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE r.org_id = $1 AND r.version = $2"))
        .bind(org_id)
        .bind(version)
        .fetch_optional(pool)
        .await
}

/// A page of releases with what they show: their projects (with what the issues read
/// model knows of the release there: issues first seen in it, its first and last
/// event), their latest deploys and their commits, each read once for the page.
#[derive(Debug, Default)]
pub struct ReleaseDetails {
    /// Projects by release id, by slug.
    pub projects: HashMap<i64, Vec<ReleaseProject>>,
    /// Latest deploy by release id.
    pub last_deploys: HashMap<i64, DeployRow>,
    /// Commits by release id, as set.
    pub commits: HashMap<i64, Vec<CommitRow>>,
}

/// What the read models know of a release in one of its projects.
#[derive(sqlx::FromRow)]
struct ProjectStats {
    release_id: i64,
    project_id: i64,
    new_groups: i64,
    first_event: Option<DateTime<Utc>>,
    last_event: Option<DateTime<Utc>>,
    event_count: i64,
}

#[derive(sqlx::FromRow)]
struct Keyed<T> {
    release_id: i64,
    #[sqlx(flatten)]
    row: T,
}

/// The details of `releases` of organization `org_id`.
pub async fn details(
    pool: &PgPool,
    org_id: i64,
    releases: &[ReleaseRow],
) -> Result<ReleaseDetails, sqlx::Error> {
    let ids: Vec<i64> = releases.iter().map(|r| r.id).collect();
    let versions: Vec<&str> = releases.iter().map(|r| r.version.as_str()).collect();
    // What the read models know of each release's projects, in one statement on
    // them; the projects' names come from the accounts in a statement of their own.
    let stats: Vec<ProjectStats> = sqlx::query_as(
        "WITH r AS (SELECT * FROM unnest($2::bigint[], $3::text[]) AS r(release_id, version)),
         stats AS (
             SELECT r.release_id, i.project_id,
                    count(*) FILTER (WHERE first.value = r.version) AS new_groups,
                    min(t.first_seen) AS first_event, max(t.last_seen) AS last_event
               FROM r
               JOIN issue_tag_values t ON t.org_id = $1 AND t.key = 'release'
                                      AND t.value = r.version
               JOIN issues i ON i.org_id = $1 AND i.id = t.issue_id
               CROSS JOIN LATERAL (
                   SELECT f.value FROM issue_tag_values f
                    WHERE f.org_id = $1 AND f.issue_id = t.issue_id AND f.key = 'release'
                    ORDER BY f.first_seen, f.value LIMIT 1) first
              GROUP BY r.release_id, i.project_id)
         SELECT rp.release_id, rp.project_id,
                coalesce(s.new_groups, 0) AS new_groups, s.first_event, s.last_event,
                coalesce(c.events, 0)::bigint AS event_count
           FROM r
           JOIN release_projects rp ON rp.org_id = $1 AND rp.release_id = r.release_id
           LEFT JOIN stats s ON s.release_id = rp.release_id AND s.project_id = rp.project_id
           LEFT JOIN LATERAL (
               SELECT sum(re.times_seen) AS events FROM release_environments re
                WHERE re.org_id = $1 AND re.project_id = rp.project_id
                  AND re.release = r.version) c ON true",
    )
    .bind(org_id)
    .bind(&ids)
    .bind(&versions)
    .fetch_all(pool)
    .await?;
    let names = project_names(pool, stats.iter().map(|s| s.project_id)).await?;
    let mut projects: Vec<Keyed<ReleaseProject>> = stats
        .into_iter()
        .filter_map(|s| {
            let (slug, name, platform) = names.get(&s.project_id)?.clone();
            Some(Keyed {
                release_id: s.release_id,
                row: ReleaseProject {
                    id: s.project_id,
                    slug,
                    name,
                    platform,
                    new_groups: s.new_groups,
                    first_event: s.first_event,
                    last_event: s.last_event,
                    event_count: s.event_count,
                },
            })
        })
        .collect();
    projects.sort_by(|a, b| (a.release_id, &a.row.slug).cmp(&(b.release_id, &b.row.slug)));
    let last_deploys: Vec<Keyed<DeployRow>> = sqlx::query_as(
        "SELECT d.release_id, d.id, d.environment, d.name, d.url, d.date_started, d.date_finished
           FROM release_deploys d
           JOIN releases r ON r.org_id = d.org_id AND r.last_deploy = d.id
          WHERE r.id = ANY($1) AND r.org_id = $2 AND d.org_id = $2",
    )
    .bind(&ids)
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let commits: Vec<Keyed<CommitRow>> = sqlx::query_as(
        "SELECT release_id, id, repository, message, author_name, author_email, committed_at, files
           FROM release_commits WHERE release_id = ANY($1) AND org_id = $2
          ORDER BY release_id, ordinal",
    )
    .bind(&ids)
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let mut details = ReleaseDetails::default();
    for keyed in projects {
        details
            .projects
            .entry(keyed.release_id)
            .or_default()
            .push(keyed.row);
    }
    for keyed in last_deploys {
        details.last_deploys.insert(keyed.release_id, keyed.row);
    }
    for keyed in commits {
        details
            .commits
            .entry(keyed.release_id)
            .or_default()
            .push(keyed.row);
    }
    Ok(details)
}

/// The deploys of release `release_id` of organization `org_id`, latest first.
pub async fn deploys(
    pool: &PgPool,
    org_id: i64,
    release_id: i64,
) -> Result<Vec<DeployRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, environment, name, url, date_started, date_finished FROM release_deploys
          WHERE release_id = $1 AND org_id = $2 ORDER BY date_finished DESC, id DESC",
    )
    .bind(release_id)
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// One deploy of release `release_id` of organization `org_id`.
pub async fn deploy(
    pool: &PgPool,
    org_id: i64,
    release_id: i64,
    deploy_id: i64,
) -> Result<Option<DeployRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, environment, name, url, date_started, date_finished FROM release_deploys
          WHERE release_id = $1 AND id = $2 AND org_id = $3",
    )
    .bind(release_id)
    .bind(deploy_id)
    .bind(org_id)
    .fetch_optional(pool)
    .await
}

/// The organization's projects named by `names` (ids or slugs), as `(name, id)`;
/// names of no project of the organization are left out.
pub async fn projects_named(
    pool: &PgPool,
    org_id: i64,
    names: &[String],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT n, p.id FROM unnest($2::text[]) AS n
           JOIN projects p ON p.org_id = $1 AND (p.slug = n OR p.id::text = n)",
    )
    .bind(org_id)
    .bind(names)
    .fetch_all(pool)
    .await
}

/// A commit of a release.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommitRow {
    /// The commit id.
    pub id: String,
    /// The repository's name.
    pub repository: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// The author's name.
    pub author_name: Option<String>,
    /// The author's email.
    pub author_email: Option<String>,
    /// When it was committed.
    pub committed_at: Option<DateTime<Utc>>,
    /// The files it changed, `[[path, type], ...]`.
    pub files: serde_json::Value,
}

/// The commits of release `release_id` of organization `org_id`, as sent (newest
/// first).
pub async fn commits(
    pool: &PgPool,
    org_id: i64,
    release_id: i64,
) -> Result<Vec<CommitRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, repository, message, author_name, author_email, committed_at, files
           FROM release_commits WHERE release_id = $1 AND org_id = $2 ORDER BY ordinal",
    )
    .bind(release_id)
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// The organization's latest release created before `release` that has commits.
pub async fn previous_with_commits(
    pool: &PgPool,
    org_id: i64,
    release: &ReleaseRow,
) -> Result<Option<ReleaseRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE r.org_id = $1 AND (r.date_created, r.id) < ($2, $3)
            AND EXISTS (SELECT 1 FROM release_commits c
                         WHERE c.org_id = $1 AND c.release_id = r.id)
          ORDER BY r.date_created DESC, r.id DESC LIMIT 1"
    ))
    .bind(org_id)
    .bind(release.date_created)
    .bind(release.id)
    .fetch_optional(pool)
    .await
}

/// A repository the organization's releases named.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RepositoryRow {
    /// Its name.
    pub name: String,
    /// When a release first named it.
    pub date_created: DateTime<Utc>,
}

/// The repositories the organization's release commits and refs named, by name.
pub async fn repositories(pool: &PgPool, org_id: i64) -> Result<Vec<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, date_created FROM release_repositories WHERE org_id = $1 ORDER BY name",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// The newest release (by creation) of project `project_id` of organization `org_id`.
pub async fn latest_in_project(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT r.version FROM releases r
           JOIN release_projects rp ON rp.org_id = r.org_id AND rp.release_id = r.id
          WHERE rp.project_id = $1 AND r.org_id = $2 AND rp.org_id = $2
          ORDER BY r.date_created DESC, r.id DESC LIMIT 1",
    )
    .bind(project_id)
    .bind(org_id)
    .fetch_optional(pool)
    .await
}

/// The releases of project `project_id` of organization `org_id` created before
/// release `before` (all of them when `before` is `None` or not a release of the
/// project), newest first, at most `limit`.
pub async fn earlier_in_project(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "WITH mark AS (
             SELECT r.date_created, r.id FROM releases r
               JOIN release_projects rp ON rp.org_id = r.org_id AND rp.release_id = r.id
              WHERE rp.project_id = $1 AND r.version = $2 AND r.org_id = $4 AND rp.org_id = $4)
         SELECT r.version FROM releases r
           JOIN release_projects rp ON rp.org_id = r.org_id AND rp.release_id = r.id
          WHERE rp.project_id = $1 AND r.org_id = $4 AND rp.org_id = $4
            AND (NOT EXISTS (SELECT 1 FROM mark)
                 OR (r.date_created, r.id) < (SELECT date_created, id FROM mark))
          ORDER BY r.date_created DESC, r.id DESC LIMIT $3",
    )
    .bind(project_id)
    .bind(before)
    .bind(limit)
    .bind(org_id)
    .fetch_all(pool)
    .await
}
