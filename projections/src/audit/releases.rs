//! Release and deploy events as audit entries, with Sentry's names
//! (`release.create`, `release.edit`, `release.delete`, `deploy.create`).

use faultline_domain::release::ReleaseEvent;
use serde_json::json;
use sqlx::PgConnection;

use super::Entry;
use crate::{ProjectionError, StoredEvent};

type Result<T> = std::result::Result<T, ProjectionError>;

pub async fn release(conn: &mut PgConnection, event: &StoredEvent) -> Result<Option<Entry>> {
    let stream = event.aggregate_id.as_str();
    let decoded = event.decode::<ReleaseEvent>()?;
    if let ReleaseEvent::ReleaseCreated {
        org_id, version, ..
    } = &decoded
    {
        sqlx::query(
            "INSERT INTO audit_releases (stream_id, org_id, version) VALUES ($1, $2, $3)
             ON CONFLICT (stream_id) DO NOTHING",
        )
        .bind(stream)
        .bind(org_id)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    }
    let Some((org_id, version)): Option<(i64, String)> =
        sqlx::query_as("SELECT org_id, version FROM audit_releases WHERE stream_id = $1")
            .bind(stream)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    let entry = |event: &'static str, note: String, data| Entry {
        org_id,
        event,
        note,
        target_object: None,
        target_user_id: None,
        data,
    };
    Ok(Some(match decoded {
        ReleaseEvent::ReleaseCreated {
            release_id,
            project_ids,
            ..
        } => entry(
            "release.create",
            format!("created release {version}"),
            json!({"id": release_id, "version": version, "project_ids": project_ids}),
        ),
        ReleaseEvent::ReleaseProjectsAdded { project_ids, .. } => entry(
            "release.edit",
            format!("added projects to release {version}"),
            json!({"version": version, "project_ids_added": project_ids}),
        ),
        ReleaseEvent::ReleaseUpdated {
            reference,
            url,
            date_released,
            status,
            ..
        } => {
            let mut data = json!({"version": version});
            if let Some(reference) = reference {
                data["ref"] = json!(reference);
            }
            if let Some(url) = url {
                data["url"] = json!(url);
            }
            if let Some(date_released) = date_released {
                data["dateReleased"] = json!(date_released);
            }
            if let Some(status) = status {
                data["status"] = json!(status.as_str());
            }
            entry("release.edit", format!("edited release {version}"), data)
        }
        ReleaseEvent::CommitsSet { commits, refs, .. } => entry(
            "release.edit",
            format!("set {} commit(s) on release {version}", commits.len()),
            json!({"version": version, "commits": commits.len(),
                   "refs": refs.iter().map(|r| format!("{}@{}", r.repository, r.commit))
                               .collect::<Vec<_>>()}),
        ),
        ReleaseEvent::ReleaseDeleted { .. } => entry(
            "release.delete",
            format!("deleted release {version}"),
            json!({"version": version}),
        ),
        ReleaseEvent::DeployCreated {
            deploy_id,
            environment,
            ..
        } => entry(
            "deploy.create",
            format!("deployed release {version} to {environment}"),
            json!({"id": deploy_id, "version": version, "environment": environment}),
        ),
    }))
}
