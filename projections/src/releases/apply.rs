//! Release events into `releases`, `release_projects` and `release_deploys`.

use faultline_domain::release::ReleaseEvent;
use sqlx::PgConnection;

use crate::{ProjectionError, StoredEvent};

pub async fn release(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let stream = event.aggregate_id.as_str();
    // The release's organization: its stream's partition of the log.
    let org = event.organization_id;
    match event.decode::<ReleaseEvent>()? {
        ReleaseEvent::ReleaseCreated {
            release_id,
            org_id,
            version,
            project_ids,
            reference,
            url,
            date_released,
            date_started,
            at,
        } => {
            sqlx::query(
                "INSERT INTO releases (id, org_id, stream_id, version, reference, url, status,
                                       date_created, date_released, date_started)
                 VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9)",
            )
            .bind(release_id)
            .bind(org_id)
            .bind(stream)
            .bind(version)
            .bind(reference)
            .bind(url)
            .bind(at)
            .bind(date_released)
            .bind(date_started)
            .execute(&mut *conn)
            .await?;
            add_projects(conn, org, stream, &project_ids).await?;
        }
        ReleaseEvent::ReleaseProjectsAdded { project_ids, .. } => {
            add_projects(conn, org, stream, &project_ids).await?;
        }
        ReleaseEvent::ReleaseUpdated {
            reference,
            url,
            date_released,
            status,
            date_started,
            ..
        } => {
            sqlx::query(
                "UPDATE releases
                    SET reference = CASE WHEN $2 THEN $3 ELSE reference END,
                        url = CASE WHEN $4 THEN $5 ELSE url END,
                        date_released = CASE WHEN $6 THEN $7 ELSE date_released END,
                        status = coalesce($8, status),
                        date_started = CASE WHEN $9 THEN $10 ELSE date_started END
                  WHERE stream_id = $1 AND org_id = $11",
            )
            .bind(stream)
            .bind(reference.is_some())
            .bind(reference.flatten())
            .bind(url.is_some())
            .bind(url.flatten())
            .bind(date_released.is_some())
            .bind(date_released.flatten())
            .bind(status.map(|s| s.as_str()))
            .bind(date_started.is_some())
            .bind(date_started.flatten())
            .bind(org)
            .execute(conn)
            .await?;
        }
        ReleaseEvent::CommitsSet {
            commits, refs, at, ..
        } => {
            sqlx::query(
                "DELETE FROM release_commits
                  WHERE org_id = $2
                    AND release_id = (SELECT id FROM releases WHERE stream_id = $1 AND org_id = $2)",
            )
            .bind(stream)
            .bind(org)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO release_commits (release_id, ordinal, id, repository, message,
                                              author_name, author_email, committed_at, files,
                                              org_id)
                 SELECT r.id, c.ordinal::int - 1, c.id, c.repository, c.message, c.author_name,
                        c.author_email, c.committed_at, c.files, r.org_id
                   FROM releases r,
                        unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                               $7::timestamptz[], $8::jsonb[])
                        WITH ORDINALITY AS c(id, repository, message, author_name, author_email,
                                             committed_at, files, ordinal)
                  WHERE r.stream_id = $1 AND r.org_id = $9",
            )
            .bind(stream)
            .bind(commits.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
            .bind(
                commits
                    .iter()
                    .map(|c| c.repository.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                commits
                    .iter()
                    .map(|c| c.message.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                commits
                    .iter()
                    .map(|c| c.author_name.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                commits
                    .iter()
                    .map(|c| c.author_email.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(commits.iter().map(|c| c.timestamp).collect::<Vec<_>>())
            .bind(
                commits
                    .iter()
                    .map(|c| serde_json::json!(c.files))
                    .collect::<Vec<_>>(),
            )
            .bind(org)
            .execute(&mut *conn)
            .await?;
            let repositories: Vec<String> = commits
                .iter()
                .filter_map(|c| c.repository.clone())
                .chain(refs.iter().map(|r| r.repository.clone()))
                .collect();
            sqlx::query(
                "INSERT INTO release_repositories (org_id, name, date_created)
                 SELECT r.org_id, n, $3 FROM releases r, unnest($2::text[]) AS n
                  WHERE r.stream_id = $1 AND r.org_id = $4
                 ON CONFLICT DO NOTHING",
            )
            .bind(stream)
            .bind(&repositories)
            .bind(at)
            .bind(org)
            .execute(conn)
            .await?;
        }
        ReleaseEvent::ReleaseDeleted { .. } => {
            for table in ["release_deploys", "release_projects", "release_commits"] {
                sqlx::query(&format!(
                    "DELETE FROM {table}
                      WHERE org_id = $2
                        AND release_id = (SELECT id FROM releases
                                           WHERE stream_id = $1 AND org_id = $2)"
                ))
                .bind(stream)
                .bind(org)
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("DELETE FROM releases WHERE stream_id = $1 AND org_id = $2")
                .bind(stream)
                .bind(org)
                .execute(conn)
                .await?;
        }
        ReleaseEvent::DeployCreated {
            deploy_id,
            environment,
            name,
            url,
            date_started,
            date_finished,
            project_ids,
            ..
        } => {
            sqlx::query(
                "INSERT INTO release_deploys (id, release_id, environment, name, url, date_started,
                                              date_finished, project_ids, org_id)
                 SELECT $1, id, $3, $4, $5, $6, $7, $8, org_id FROM releases
                  WHERE stream_id = $2 AND org_id = $9",
            )
            .bind(deploy_id)
            .bind(stream)
            .bind(environment)
            .bind(name)
            .bind(url)
            .bind(date_started)
            .bind(date_finished)
            .bind(&project_ids)
            .bind(org)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE releases SET deploy_count = deploy_count + 1, last_deploy = $2
                  WHERE stream_id = $1 AND org_id = $3",
            )
            .bind(stream)
            .bind(deploy_id)
            .bind(org)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

async fn add_projects(
    conn: &mut PgConnection,
    org: i64,
    stream: &str,
    project_ids: &[i64],
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO release_projects (release_id, project_id, org_id)
         SELECT r.id, p, r.org_id FROM releases r, unnest($2::bigint[]) AS p
          WHERE r.stream_id = $1 AND r.org_id = $3
         ON CONFLICT DO NOTHING",
    )
    .bind(stream)
    .bind(project_ids)
    .bind(org)
    .execute(conn)
    .await?;
    Ok(())
}
