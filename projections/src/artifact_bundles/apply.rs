//! Bundle events into `artifact_bundles`, `artifact_bundle_projects` and
//! `artifact_bundle_files`.

use faultline_domain::artifact_bundle::ArtifactBundleEvent;
use sqlx::PgConnection;

use crate::{ProjectionError, StoredEvent};

pub async fn bundle(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let Some((org_id, checksum)) = event
        .aggregate_id
        .split_once(':')
        .and_then(|(org, checksum)| Some((org.parse::<i64>().ok()?, checksum)))
    else {
        return Ok(());
    };
    match event.decode::<ArtifactBundleEvent>()? {
        ArtifactBundleEvent::BundleUploaded { bundle, at } => {
            delete(conn, org_id, checksum).await?;
            sqlx::query(
                "INSERT INTO artifact_bundles (org_id, checksum, bundle_id, release, dist, size,
                                               file_count, date_uploaded, date_modified)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            )
            .bind(org_id)
            .bind(checksum)
            .bind(&bundle.bundle_id)
            .bind(&bundle.release)
            .bind(&bundle.dist)
            .bind(bundle.size as i64)
            .bind(bundle.files.len() as i32)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            add_projects(conn, org_id, checksum, &bundle.project_ids).await?;
            let column =
                |f: fn(&faultline_domain::artifact_bundle::BundleFile) -> Option<String>| {
                    bundle.files.iter().map(f).collect::<Vec<_>>()
                };
            sqlx::query(
                "INSERT INTO artifact_bundle_files (org_id, bundle_checksum, url, file_type,
                                                    debug_id, sourcemap, file_checksum, size)
                 SELECT $1, $2, u.url, u.file_type, u.debug_id, u.sourcemap, u.file_checksum, u.size
                   FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
                        AS u(url, file_type, debug_id, sourcemap, file_checksum, size)",
            )
            .bind(org_id)
            .bind(checksum)
            .bind(column(|f| Some(f.url.clone())))
            .bind(column(|f| Some(f.file_type.as_str().to_owned())))
            .bind(column(|f| f.debug_id.clone()))
            .bind(column(|f| f.sourcemap.clone()))
            .bind(column(|f| Some(f.checksum.clone())))
            .bind(bundle.files.iter().map(|f| f.size as i64).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
        }
        ArtifactBundleEvent::BundleProjectsAdded { project_ids, at } => {
            add_projects(conn, org_id, checksum, &project_ids).await?;
            sqlx::query(
                "UPDATE artifact_bundles SET date_modified = $3 WHERE org_id = $1 AND checksum = $2",
            )
            .bind(org_id)
            .bind(checksum)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        }
        ArtifactBundleEvent::BundleDeleted { .. } => delete(conn, org_id, checksum).await?,
    }
    Ok(())
}

async fn add_projects(
    conn: &mut PgConnection,
    org_id: i64,
    checksum: &str,
    project_ids: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO artifact_bundle_projects (org_id, checksum, project_id)
         SELECT $1, $2, unnest($3::bigint[]) ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(checksum)
    .bind(project_ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn delete(conn: &mut PgConnection, org_id: i64, checksum: &str) -> Result<(), sqlx::Error> {
    for table in ["artifact_bundles", "artifact_bundle_projects"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE org_id = $1 AND checksum = $2"
        ))
        .bind(org_id)
        .bind(checksum)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM artifact_bundle_files WHERE org_id = $1 AND bundle_checksum = $2")
        .bind(org_id)
        .bind(checksum)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
