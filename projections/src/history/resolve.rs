//! From the ids users know to stream ids.
//!
//! | aggregate type | accepted ids | stream id |
//! |---|---|---|
//! | `organization` | numeric id, slug | the numeric id |
//! | `project` | numeric id, `org-slug/project-slug` | the numeric id |
//! | `issue` | numeric id, short id (`BACKEND-1A`), stream id (UUID) | `issue_stream_id(project, hash)` |
//! | `user` | numeric id, email | the numeric id |
//! | `release` | `org-slug/version` | `org_id:version` (`release::stream_id`) |
//!
//! Slugs, short ids and emails are looked up in the read models; a numeric issue id
//! is looked up there too, then in the log's `IssueCreated` events, so that a deleted
//! issue (gone from the read models) can still be audited.

use sqlx::PgPool;

use super::HistoryError;

/// The stream id of the `aggregate_type` named by `id`.
pub async fn stream_id(
    pool: &PgPool,
    aggregate_type: &str,
    id: &str,
) -> Result<String, HistoryError> {
    let found: Vec<String> = match aggregate_type {
        "organization" | "project" | "user" if is_number(id) => vec![id.to_owned()],
        "organization" => {
            sqlx::query_scalar("SELECT id::text FROM organizations WHERE slug = $1")
                .bind(id)
                .fetch_all(pool)
                .await?
        }
        "project" => match id.split_once('/') {
            Some((org, project)) => {
                sqlx::query_scalar(
                    "SELECT p.id::text FROM projects p JOIN organizations o ON o.id = p.org_id
                      WHERE o.slug = $1 AND p.slug = $2",
                )
                .bind(org)
                .bind(project)
                .fetch_all(pool)
                .await?
            }
            None => Vec::new(),
        },
        "user" => {
            sqlx::query_scalar("SELECT id::text FROM users WHERE lower(email) = lower($1)")
                .bind(id)
                .fetch_all(pool)
                .await?
        }
        "issue" => issue(pool, id).await?,
        // Made from the version, so a deleted release is found too.
        "release" => match id.split_once('/') {
            Some((org, version)) => {
                sqlx::query_scalar::<_, i64>("SELECT id FROM organizations WHERE slug = $1")
                    .bind(org)
                    .fetch_all(pool)
                    .await?
                    .into_iter()
                    .map(|org_id| faultline_domain::release::stream_id(org_id, version))
                    .collect()
            }
            None => Vec::new(),
        },
        // A bundle by its zip's SHA-1 (deleted ones too) or by its bundle id.
        "artifact_bundle" => match id.split_once('/') {
            Some((org, bundle)) => {
                sqlx::query_scalar(
                    "SELECT o.id::text || ':' || $2 FROM organizations o
                      WHERE o.slug = $1 AND $2 ~ '^[0-9a-f]{40}$'
                     UNION
                     SELECT b.org_id::text || ':' || b.checksum FROM artifact_bundles b
                       JOIN organizations o ON o.id = b.org_id
                      WHERE o.slug = $1 AND b.bundle_id = $2",
                )
                .bind(org)
                .bind(bundle)
                .fetch_all(pool)
                .await?
            }
            None => Vec::new(),
        },
        other => return Err(HistoryError::UnknownType(other.to_owned())),
    };
    match found.len() {
        1 => Ok(found.into_iter().next().unwrap_or_default()),
        0 => Err(HistoryError::NotFound {
            aggregate_type: aggregate_type.to_owned(),
            id: id.to_owned(),
        }),
        count => Err(HistoryError::Ambiguous {
            aggregate_type: aggregate_type.to_owned(),
            id: id.to_owned(),
            count,
        }),
    }
}

async fn issue(pool: &PgPool, id: &str) -> Result<Vec<String>, HistoryError> {
    if is_number(id) {
        let live: Vec<String> = sqlx::query_scalar("SELECT stream_id FROM issues WHERE id = $1")
            .bind(id.parse::<i64>().unwrap_or_default())
            .fetch_all(pool)
            .await?;
        if !live.is_empty() {
            return Ok(live);
        }
        return Ok(sqlx::query_scalar(
            "SELECT DISTINCT aggregate_id FROM events
              WHERE aggregate_type = 'issue' AND event_type = 'IssueCreated'
                AND payload -> 'IssueCreated' ->> 'issue_id' = $1",
        )
        .bind(id)
        .fetch_all(pool)
        .await?);
    }
    if uuid_like(id) {
        return Ok(vec![id.to_ascii_lowercase()]);
    }
    let Some((slug, number)) = parse_short_id(id) else {
        return Ok(Vec::new());
    };
    // The projects (accounts) and the issues (on Citus, on the workers) are read
    // in statements of their own.
    let projects: Vec<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE upper(slug) = $1")
        .bind(slug)
        .fetch_all(pool)
        .await?;
    Ok(sqlx::query_scalar(
        "SELECT stream_id FROM issues WHERE project_id = ANY($1) AND short_number = $2",
    )
    .bind(&projects)
    .bind(number)
    .fetch_all(pool)
    .await?)
}

fn is_number(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| {
            matches!(i, 8 | 13 | 18 | 23) == (b == b'-') && (b == b'-' || b.is_ascii_hexdigit())
        })
}

/// `BACKEND-1A` → `("BACKEND", 46)`: Sentry's short id is the upper-case project
/// slug and the issue's number in base 36.
pub fn parse_short_id(id: &str) -> Option<(String, i64)> {
    let (slug, number) = id.rsplit_once('-')?;
    if slug.is_empty() {
        return None;
    }
    let number = i64::from_str_radix(number, 36).ok()?;
    Some((slug.to_uppercase(), number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_id_is_the_upper_slug_and_a_base36_number() {
        assert_eq!(parse_short_id("BACKEND-1"), Some(("BACKEND".into(), 1)));
        assert_eq!(
            parse_short_id("pump-station-10"),
            Some(("PUMP-STATION".into(), 36))
        );
        assert_eq!(parse_short_id("BACKEND"), None);
    }

    #[test]
    fn only_the_uuid_shape_reads_as_a_stream_id() {
        assert!(uuid_like("6a1f7c3e-2b4d-4e8f-9a0b-1c2d3e4f5a6b"));
        assert!(!uuid_like("BACKEND-1"));
    }
}
