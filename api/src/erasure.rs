//! Erasing one person from an organization's stored events: `faultline forget user`
//! and `POST /api/0/organizations/{org}/erasures/` both run [`forget_user`].
//!
//! The stored events that are about them are rewritten without them, in place
//! (`domain::erasure`: their `user` becomes an opaque token, their address goes), in
//! one rewrite transaction (`EventLog::begin_rewrite`: the one way the log's trigger
//! lets a row's payload, body and metadata change, migration 0030). The read
//! models rename the same user keys to the same tokens under the issues projection's
//! and the alerting reactor's locks, so they stay what a rebuild from the rewritten log
//! gives; summaries in the permanent log are rewritten the same way; the issues' cached
//! snapshots go. The organization's log records that an erasure happened and how much
//! (`PersonErased`), never who. The old row versions leave the table files with the
//! VACUUM that ends the erasure.

use std::collections::HashMap;

use chrono::Utc;
use faultline_commands::store::EventLog;
use faultline_commands::CommandBus;
use faultline_domain::erasure::{erase, erased_key, Person};
use faultline_domain::issue::body;
use faultline_domain::metadata::EventMetadata;
use faultline_domain::organization::{Organization, OrganizationCommand};
use futures::TryStreamExt;
use serde_json::Value;
use sqlx::PgPool;

/// One stored event as the erasure reads it.
#[derive(sqlx::FromRow)]
struct StoredRow {
    project_id: i64,
    position: i64,
    stream: String,
    version: String,
    payload: Value,
    body: Option<Vec<u8>>,
    metadata: Value,
}

/// One stored event rewritten.
struct Rewritten {
    project_id: i64,
    position: i64,
    payload: Value,
    body: Vec<u8>,
    metadata: Value,
    stream: String,
}

/// The advisory lock (namespace, key) retention passes hold for their whole length;
/// an erasure holds it too, so neither rewrites a row the other is rewriting.
pub const RETENTION_LOCK: (i32, i32) = (0x0FA1, 0x2E7E);

/// What an erasure did: events rewritten, and the user keys the person was counted
/// under (now replaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// Stored events rewritten without the person.
    pub events: i64,
    /// User keys they were counted under in the organization's issues.
    pub users: i64,
}

/// Why an erasure failed; nothing is rewritten then.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A stored body could not be read or written back.
    #[error("a stored event body could not be rewritten")]
    Body(#[from] body::BodyError),
    /// A rewritten summary did not parse back.
    #[error("a summary could not be rewritten")]
    Json(#[from] serde_json::Error),
    /// The organization refused to record the erasure (deleted meanwhile).
    #[error("the erasure could not be recorded: {0}")]
    Record(String),
}

/// Erases `person` from organization `org_id`'s stored events, recorded with
/// `metadata`'s actor.
pub async fn forget_user(
    pool: &PgPool,
    bus: &CommandBus,
    org_id: i64,
    person: &Person,
    metadata: &EventMetadata,
) -> Result<Erased, ErasureError> {
    let projects: Vec<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(pool)
        .await?;

    // Found by reading every stored body of the organization's projects: the person
    // may be named by any field of `user`, which no index holds. This pass only finds
    // the user keys they were counted under (and events about them with no key); the
    // rewrite reads again under the locks.
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut keyless: Vec<(i64, i64)> = Vec::new();
    let mut rows = sqlx::query_as::<_, (i64, i64, String, Value, Option<Vec<u8>>)>(
        "SELECT project_id, position, event_version, payload, body FROM ingested_events
          WHERE organization_id = $2 AND project_id = ANY($1) AND event_type = 'EventIngested'
            AND (body IS NOT NULL OR event_version <> '4.0')",
    )
    .bind(&projects)
    .bind(org_id)
    .fetch(pool);
    while let Some((project_id, position, version, payload, column)) = rows.try_next().await? {
        let (_, event) = stored_event(&version, payload.clone(), column.as_deref())?;
        if !person.in_body(&event) {
            continue;
        }
        match payload
            .pointer("/EventIngested/user_key")
            .and_then(Value::as_str)
        {
            Some(key) => {
                tokens
                    .entry(key.to_owned())
                    .or_insert_with(|| uuid::Uuid::new_v4().simple().to_string());
            }
            None => keyless.push((project_id, position)),
        }
    }
    drop(rows);
    tokens
        .entry(person.key())
        .or_insert_with(|| uuid::Uuid::new_v4().simple().to_string());
    let renames: Vec<(String, String)> = tokens
        .iter()
        .map(|(old, token)| (old.clone(), erased_key(token)))
        .collect();
    let old_keys: Vec<&str> = renames.iter().map(|(old, _)| old.as_str()).collect();

    let mut tx = EventLog::begin_rewrite(pool).await?;
    // Retention passes (which evict bodies) and other erasures wait, and so do the read
    // models' writers: none folds an old row version after the renames, and every row
    // they folded before is committed and read again below.
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(RETENTION_LOCK.0)
        .bind(RETENTION_LOCK.1)
        .execute(&mut *tx)
        .await?;
    for projection in ["issues", "alerting"] {
        sqlx::query("SELECT pg_advisory_xact_lock(4001, hashtext($1))")
            .bind(projection)
            .execute(&mut *tx)
            .await?;
    }
    // Every event counted under one of the person's keys, and the keyless ones about
    // them: rewritten with one token per key, so counts of distinct users stay.
    let targets: Vec<StoredRow> = sqlx::query_as(
        "SELECT project_id, position, aggregate_id AS stream, event_version AS version, payload,
                body, metadata
           FROM ingested_events
          WHERE organization_id = $5 AND project_id = ANY($1) AND event_type = 'EventIngested'
            AND (body IS NOT NULL OR event_version <> '4.0')
            AND (payload -> 'EventIngested' ->> 'user_key' = ANY($2)
                 OR (project_id, position) IN (SELECT * FROM unnest($3::bigint[], $4::bigint[])))",
    )
    .bind(&projects)
    .bind(&old_keys)
    .bind(
        keyless
            .iter()
            .map(|(project, _)| *project)
            .collect::<Vec<_>>(),
    )
    .bind(
        keyless
            .iter()
            .map(|(_, position)| *position)
            .collect::<Vec<_>>(),
    )
    .bind(org_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut rewritten = Vec::with_capacity(targets.len());
    for StoredRow {
        project_id,
        position,
        stream,
        version,
        payload,
        body: column,
        mut metadata,
    } in targets
    {
        // Rows of older formats (body inline) are written back in the current one.
        let (mut payload, mut event) = stored_event(&version, payload, column.as_deref())?;
        let token = payload
            .pointer("/EventIngested/user_key")
            .and_then(Value::as_str)
            .and_then(|key| tokens.get(key))
            .map(String::as_str);
        erase(&mut payload, &mut event, &mut metadata, token);
        rewritten.push(Rewritten {
            project_id,
            position,
            payload,
            body: body::encode_to_column(&event)?,
            metadata,
            stream,
        });
    }
    for row in &rewritten {
        sqlx::query(
            "UPDATE ingested_events
                SET payload = $3, body = $4, metadata = $5, event_version = $6
              WHERE organization_id = $7 AND project_id = $1 AND position = $2",
        )
        .bind(row.project_id)
        .bind(row.position)
        .bind(&row.payload)
        .bind(&row.body)
        .bind(&row.metadata)
        .bind(body::IN_COLUMN_VERSION)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    }
    for (old, new) in &renames {
        let organization = (org_id, projects.as_slice());
        rename_in_summaries(&mut tx, organization, old, new).await?;
        rename_in_bodiless_heads(&mut tx, organization, old, new, person).await?;
        for statement in [
            "UPDATE issue_users SET user_key = $2
              WHERE user_key = $1 AND org_id = $4
                AND issue_id IN (SELECT id FROM issues WHERE org_id = $4 AND project_id = ANY($3))",
            "UPDATE issue_tag_values SET value = $2
              WHERE key = 'user' AND value = $1 AND org_id = $4
                AND issue_id IN (SELECT id FROM issues WHERE org_id = $4 AND project_id = ANY($3))",
            "UPDATE alert_issue_minute_users SET user_key = $2
              WHERE user_key = $1 AND org_id = $4
                AND stream_id IN (SELECT stream_id FROM issues
                                   WHERE org_id = $4 AND project_id = ANY($3))",
        ] {
            sqlx::query(statement)
                .bind(old)
                .bind(new)
                .bind(&projects)
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
        }
        // Snapshots are caches: the next load folds the rewritten events.
        sqlx::query(
            "DELETE FROM snapshots WHERE aggregate_type = 'issue'
                AND payload::text LIKE '%' || $1 || '%'",
        )
        .bind(format!("\"{old}\""))
        .execute(&mut *tx)
        .await?;
    }
    let streams: Vec<String> = rewritten.iter().map(|row| row.stream.clone()).collect();
    sqlx::query("DELETE FROM snapshots WHERE aggregate_type = 'issue' AND aggregate_id = ANY($1)")
        .bind(&streams)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let events = rewritten.len() as i64;
    let users: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT user_key) FROM issue_users
          WHERE user_key = ANY($1) AND org_id = $3
            AND issue_id IN (SELECT id FROM issues WHERE org_id = $3 AND project_id = ANY($2))",
    )
    .bind(
        renames
            .iter()
            .map(|(_, new)| new.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(&projects)
    .bind(org_id)
    .fetch_one(pool)
    .await?;
    bus.execute::<Organization>(
        &org_id.to_string(),
        OrganizationCommand::RecordErasure {
            events,
            users,
            at: Utc::now(),
        },
        metadata,
    )
    .await
    .map_err(|error| ErasureError::Record(error.to_string()))?;
    Ok(Erased { events, users })
}

/// A stored `EventIngested` as its head (the payload with `data` null) and its
/// normalised body, whatever format the row was written in: a 4.0 row's body is in its
/// column, older rows carry it inline (upcast to the current shape first).
fn stored_event(
    version: &str,
    payload: Value,
    column: Option<&[u8]>,
) -> Result<(Value, Value), ErasureError> {
    if let Some(column) = column {
        return Ok((payload, body::decode(&body::stored_string(column))?));
    }
    let current =
        faultline_domain::upcast::current_of_row("issue", "EventIngested", version, payload, None);
    let mut occurrence = match serde_json::from_value(current)? {
        faultline_domain::issue::IssueEvent::EventIngested(occurrence) => occurrence,
        _ => return Ok((Value::Null, Value::Null)),
    };
    let event = std::mem::take(&mut occurrence.data);
    Ok((serde_json::json!({ "EventIngested": occurrence }), event))
}

/// Vacuums the tables an erasure rewrote, so the old row versions leave the files now
/// rather than at the next autovacuum. Long on a large log: run it after answering.
pub async fn vacuum_after_erasure(pool: &PgPool) -> Result<(), sqlx::Error> {
    for table in [
        "ingested_events",
        "events",
        "issue_users",
        "issue_tag_values",
    ] {
        sqlx::query(&format!("VACUUM {table}"))
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Rewrites the heads of the organization's events that no longer have a body
/// (evicted by a project's maximum or retention) and count `old`: their user key and
/// `user` tag become `new`, and an address of the person leaves their metadata.
async fn rename_in_bodiless_heads(
    tx: &mut sqlx::PgConnection,
    (org_id, projects): (i64, &[i64]),
    old: &str,
    new: &str,
    person: &Person,
) -> Result<(), ErasureError> {
    let rows: Vec<(i64, i64, Value, Value)> = sqlx::query_as(
        "SELECT project_id, position, payload, metadata FROM ingested_events
          WHERE organization_id = $3 AND project_id = ANY($1) AND body IS NULL
            AND payload -> 'EventIngested' ->> 'user_key' = $2",
    )
    .bind(projects)
    .bind(old)
    .bind(org_id)
    .fetch_all(&mut *tx)
    .await?;
    for (project_id, position, mut payload, mut metadata) in rows {
        if let Some(occurrence) = payload.get_mut("EventIngested") {
            occurrence["user_key"] = Value::String(new.to_owned());
            if let Some(tags) = occurrence.get_mut("tags").and_then(Value::as_array_mut) {
                for tag in tags.iter_mut() {
                    if tag.get(0).and_then(Value::as_str) == Some("user") {
                        tag[1] = Value::String(new.to_owned());
                    }
                }
            }
        }
        if let (Person::Ip(ip), Some(metadata)) = (person, metadata.as_object_mut()) {
            if metadata.get("ip_address").and_then(Value::as_str) == Some(ip.as_str()) {
                metadata.remove("ip_address");
            }
        }
        sqlx::query(
            "UPDATE ingested_events SET payload = $3, metadata = $4
              WHERE organization_id = $5 AND project_id = $1 AND position = $2",
        )
        .bind(project_id)
        .bind(position)
        .bind(&payload)
        .bind(&metadata)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Rewrites the organization's occurrence summaries that count `old` to count `new`.
async fn rename_in_summaries(
    tx: &mut sqlx::PgConnection,
    (org_id, projects): (i64, &[i64]),
    old: &str,
    new: &str,
) -> Result<(), ErasureError> {
    let summaries: Vec<(i64, Value)> = sqlx::query_as(
        "SELECT position, payload FROM events
          WHERE organization_id = $3 AND aggregate_type = 'issue'
            AND event_type = 'OccurrencesSummarized'
            AND (payload -> 'OccurrencesSummarized' ->> 'project_id')::bigint = ANY($1)
            AND payload::text LIKE '%' || $2 || '%'",
    )
    .bind(projects)
    .bind(old)
    .bind(org_id)
    .fetch_all(&mut *tx)
    .await?;
    // The key as a JSON string, wherever it sits: users, the `user` tag's values, the
    // ignore state's users.
    let (quoted_old, quoted_new) = (format!("\"{old}\""), format!("\"{new}\""));
    for (position, payload) in summaries {
        let text = payload.to_string().replace(&quoted_old, &quoted_new);
        let payload: Value = serde_json::from_str(&text)?;
        sqlx::query("UPDATE events SET payload = $2 WHERE organization_id = $3 AND position = $1")
            .bind(position)
            .bind(&payload)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
