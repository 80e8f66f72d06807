//! Running on a Citus coordinator: after the migrations, the log, the projections'
//! checkpoints and the read models keyed by organization are distributed by it,
//! co-located, so that every read and append of one organization's events, and every
//! batch that folds them into those read models, runs on the one worker that holds
//! them. The
//! schema is the same as on PostgreSQL; only where the rows live differs
//! (docs/citus.md).

use sqlx::PgPool;

/// Whether `--citus` asked for Citus, or the database has the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    /// Use Citus if the database has the `citus` extension.
    Detect,
    /// Require Citus: a database without the extension is an error.
    Required,
}

/// Why the schema could not be distributed.
#[derive(Debug, thiserror::Error)]
pub enum CitusError {
    /// `--citus` on a database without the extension.
    #[error(
        "--citus was given but the database has no citus extension \
         (CREATE EXTENSION citus on the coordinator and every worker)"
    )]
    NotInstalled,
    /// The database refused a statement.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The tables distributed by their organization column, co-located with the first:
/// the log (both tables), the stream heads its appends move, the checkpoints its
/// readers keep per organization, and the read models that name their organization
/// in every key (the monitors', with the record of their incidents' issues; the alert
/// rules' workflows and service hooks; the source map bundles' index; the issues,
/// their events, tags, users and workflow; the releases; the alerting reactor's
/// rules, issue facts, counters and fires).
pub const DISTRIBUTED: [(&str, &str); 34] = [
    ("events", "organization_id"),
    ("ingested_events", "organization_id"),
    ("stream_heads", "organization_id"),
    ("projection_checkpoints", "organization_id"),
    ("monitors", "org_id"),
    ("monitor_environments", "org_id"),
    ("monitor_check_ins", "org_id"),
    ("monitor_incident_issues", "org_id"),
    ("workflows", "org_id"),
    ("service_hooks", "org_id"),
    ("artifact_bundles", "org_id"),
    ("artifact_bundle_projects", "org_id"),
    ("artifact_bundle_files", "org_id"),
    ("issues", "org_id"),
    ("issue_events", "org_id"),
    ("issue_users", "org_id"),
    ("issue_tag_values", "org_id"),
    ("issue_bookmarks", "org_id"),
    ("issue_subscriptions", "org_id"),
    ("issue_seen", "org_id"),
    ("issue_comments", "org_id"),
    ("issue_activity", "org_id"),
    ("release_environments", "org_id"),
    ("releases", "org_id"),
    ("release_projects", "org_id"),
    ("release_deploys", "org_id"),
    ("release_commits", "org_id"),
    ("release_repositories", "org_id"),
    ("alert_workflows", "org_id"),
    ("alert_service_hooks", "org_id"),
    ("alert_issues", "org_id"),
    ("alert_issue_minutes", "org_id"),
    ("alert_issue_minute_users", "org_id"),
    ("alert_fires", "org_id"),
];

/// Whether the database is a Citus coordinator.
pub async fn installed(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(pool)
        .await
}

/// Distributes what is not distributed yet; returns the tables it distributed (none
/// on PostgreSQL without Citus, or once done). Safe from several processes at once:
/// they queue on a lock and the later ones find the work done.
#[tracing::instrument(name = "faultline.citus.distribute", skip_all, err)]
pub async fn distribute(
    pool: &PgPool,
    deployment: Deployment,
) -> Result<Vec<&'static str>, CitusError> {
    if !installed(pool).await? {
        return match deployment {
            Deployment::Detect => Ok(Vec::new()),
            Deployment::Required => Err(CitusError::NotInstalled),
        };
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('faultline.citus.distribute'))")
        .execute(&mut *tx)
        .await?;
    faultline_projections::citus::one_connection_per_worker(&mut tx).await?;
    // The log's immutability triggers run on the shards (docs/citus.md).
    sqlx::query("SET LOCAL citus.enable_unsafe_triggers = on")
        .execute(&mut *tx)
        .await?;
    let mut distributed = Vec::new();
    for (table, column) in DISTRIBUTED {
        let done: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = $1::regclass)",
        )
        .bind(table)
        .fetch_one(&mut *tx)
        .await?;
        if done {
            continue;
        }
        let colocate_with = if table == DISTRIBUTED[0].0 {
            "default"
        } else {
            DISTRIBUTED[0].0
        };
        sqlx::query("SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)")
            .bind(table)
            .bind(column)
            .bind(colocate_with)
            .execute(&mut *tx)
            .await?;
        distributed.push(table);
    }
    tx.commit().await?;
    if !distributed.is_empty() {
        tracing::info!(tables = ?distributed, "distributed by organization on Citus");
    }
    Ok(distributed)
}
