//! Monitor events into `monitors`, `monitor_environments` and `monitor_check_ins`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use faultline_domain::monitor::{
    CheckInStatus, EnvironmentState, MonitorEvent, DEFAULT_MARGIN_MINUTES,
    DEFAULT_MAX_RUNTIME_MINUTES,
};
use sqlx::types::Json;
use sqlx::PgConnection;

use crate::{ProjectionError, StoredEvent};

/// The row of a check-in recorded: `$1` the stream, `$2` the check-in, `$3` its
/// position, `$4` its environment, `$5` its status, `$6` the duration, `$7` when it was
/// added, `$8` when it changed, `$9` when it was expected, `$10` the default runtime,
/// `$11` the organization. Public for the tests of its plan.
pub const CHECK_IN_RECORDED_SQL: &str = "INSERT INTO monitor_check_ins
        (org_id, monitor_id, check_in_id, position, environment, status,
         duration_ms, date_added, date_updated, date_in_progress, expected_time,
         timeout_at, config)
 SELECT m.org_id, m.monitor_id, $2, $3, $4, $5, $6, $7, $8,
        CASE WHEN $5 = 'in_progress' THEN $7 END,
        coalesce($9, e.next_check_in),
        CASE WHEN $5 = 'in_progress'
             THEN add_minutes($7, coalesce((m.config->>'max_runtime')::int, $10))
        END,
        m.config
   FROM monitors m
   LEFT JOIN monitor_environments e
          ON e.org_id = m.org_id AND e.monitor_id = m.monitor_id AND e.name = $4
  WHERE m.stream_id = $1 AND m.org_id = $11
 ON CONFLICT (monitor_id, check_in_id, org_id) DO NOTHING";

/// Applies a monitor event. Every statement names the stream's organization (the
/// event's partition of the log): on Citus each then runs on the one worker that holds
/// it.
pub async fn monitor(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let stream = event.aggregate_id.as_str();
    let org = event.organization_id;
    match event.decode::<MonitorEvent>()? {
        MonitorEvent::MonitorCreated {
            monitor_id,
            org_id,
            project_id,
            slug,
            name,
            config,
            owner,
            status,
            muted,
            at,
        } => {
            sqlx::query(
                "INSERT INTO monitors (monitor_id, org_id, project_id, stream_id, slug, name,
                                       status, is_muted, owner, config, date_created)
                 VALUES ($1, $2, $3, $4, $5, $6, $10, $11, $7, $8, $9)",
            )
            .bind(monitor_id)
            .bind(org_id)
            .bind(project_id)
            .bind(stream)
            .bind(slug)
            .bind(name)
            .bind(owner)
            .bind(Json(config))
            .bind(at)
            .bind(status.as_str())
            .bind(muted)
            .execute(conn)
            .await?;
        }
        MonitorEvent::MonitorUpdated {
            name,
            config,
            status,
            muted,
            owner,
            ..
        } => {
            sqlx::query(
                "UPDATE monitors
                    SET name = coalesce($2, name),
                        config = coalesce($3, config),
                        status = coalesce($4, status),
                        is_muted = coalesce($5, is_muted),
                        owner = CASE WHEN $6 THEN $7 ELSE owner END
                  WHERE stream_id = $1 AND org_id = $8",
            )
            .bind(stream)
            .bind(name)
            .bind(config.map(Json))
            .bind(status.map(|s| s.as_str()))
            .bind(muted)
            .bind(owner.is_some())
            .bind(owner.flatten())
            .bind(org)
            .execute(conn)
            .await?;
        }
        MonitorEvent::MonitorDeleted { .. } => {
            for rows in ["monitor_check_ins", "monitor_environments"] {
                sqlx::query(&format!(
                    "DELETE FROM {rows} r USING monitors m
                      WHERE m.stream_id = $1 AND m.org_id = $2
                        AND r.org_id = m.org_id AND r.monitor_id = m.monitor_id"
                ))
                .bind(stream)
                .bind(org)
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("DELETE FROM monitors WHERE stream_id = $1 AND org_id = $2")
                .bind(stream)
                .bind(org)
                .execute(conn)
                .await?;
        }
        recorded @ MonitorEvent::CheckInRecorded { .. } => {
            let added = recorded.date_added();
            let MonitorEvent::CheckInRecorded {
                check_in_id,
                environment,
                status,
                duration_ms,
                expected_at,
                next_expected,
                at,
            } = recorded
            else {
                unreachable!("matched above");
            };
            touch_environment(conn, (org, stream), &environment, at).await?;
            let duration = duration_ms.and_then(|ms| i64::try_from(ms).ok());
            sqlx::query(CHECK_IN_RECORDED_SQL)
                .bind(stream)
                .bind(check_in_id)
                .bind(event.position)
                .bind(&environment)
                .bind(status.as_str())
                .bind(duration)
                .bind(added)
                .bind(at)
                .bind(expected_at)
                .bind(DEFAULT_MAX_RUNTIME_MINUTES as i32)
                .bind(org)
                .execute(&mut *conn)
                .await?;
            let last = added.filter(|_| status != CheckInStatus::Missed);
            environment_after(
                conn,
                (org, stream),
                &environment,
                status,
                last,
                next_expected,
            )
            .await?;
        }
        MonitorEvent::CheckInCompleted {
            check_in_id,
            environment,
            status,
            duration_ms,
            at,
        } => {
            sqlx::query(
                "UPDATE monitor_check_ins c
                    SET status = $3, duration_ms = $4, date_updated = $5, timeout_at = NULL
                   FROM monitors m
                  WHERE m.stream_id = $1 AND m.org_id = $6
                    AND c.org_id = m.org_id AND c.monitor_id = m.monitor_id
                    AND c.check_in_id = $2",
            )
            .bind(stream)
            .bind(check_in_id)
            .bind(status.as_str())
            .bind(i64::try_from(duration_ms).unwrap_or(i64::MAX))
            .bind(at)
            .bind(org)
            .execute(&mut *conn)
            .await?;
            environment_after(conn, (org, stream), &environment, status, None, None).await?;
        }
        MonitorEvent::IncidentOpened {
            environment,
            incident,
            at,
            ..
        } => {
            sqlx::query(
                "UPDATE monitor_environments e
                    SET status = 'error', incident = $3, incident_started = $4
                   FROM monitors m
                  WHERE m.stream_id = $1 AND m.org_id = $5
                    AND e.org_id = m.org_id AND e.monitor_id = m.monitor_id AND e.name = $2",
            )
            .bind(stream)
            .bind(&environment)
            .bind(i32::try_from(incident).unwrap_or(i32::MAX))
            .bind(at)
            .bind(org)
            .execute(conn)
            .await?;
        }
        MonitorEvent::CheckInsSummarized {
            from,
            below,
            environments,
            ..
        } => summarized(conn, (org, stream), (from, below), environments).await?,
        MonitorEvent::IncidentResolved { environment, .. } => {
            sqlx::query(
                "UPDATE monitor_environments e
                    SET status = 'ok', incident = NULL, incident_started = NULL
                   FROM monitors m
                  WHERE m.stream_id = $1 AND m.org_id = $3
                    AND e.org_id = m.org_id AND e.monitor_id = m.monitor_id AND e.name = $2",
            )
            .bind(stream)
            .bind(&environment)
            .bind(org)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// A summary of the check-ins retention drops: their rows go, and every environment
/// takes the state the summary records. On a live read model that is the state it
/// already shows (the monitor's state and this fold agree event by event); on one
/// rebuilt after the drop, it restores what the dropped check-ins had set.
async fn summarized(
    conn: &mut PgConnection,
    (org, stream): (i64, &str),
    (from, below): (i64, i64),
    environments: BTreeMap<String, EnvironmentState>,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "DELETE FROM monitor_check_ins c USING monitors m
          WHERE m.stream_id = $1 AND m.org_id = $4
            AND c.org_id = m.org_id AND c.monitor_id = m.monitor_id
            AND c.position >= $2 AND c.position < $3",
    )
    .bind(stream)
    .bind(from)
    .bind(below)
    .bind(org)
    .execute(&mut *conn)
    .await?;
    for (name, env) in environments {
        let Some(created) = env.first_check_in else {
            continue;
        };
        sqlx::query(
            "INSERT INTO monitor_environments
                    (org_id, monitor_id, name, status, date_created, last_check_in,
                     next_check_in, next_check_in_latest, incident, incident_started)
             SELECT org_id, monitor_id, $2, $3, $4, $5, $6, $7, $8, $9
               FROM monitors WHERE stream_id = $1 AND org_id = $10
             ON CONFLICT (monitor_id, name, org_id) DO UPDATE
                SET status = EXCLUDED.status, date_created = EXCLUDED.date_created,
                    last_check_in = EXCLUDED.last_check_in,
                    next_check_in = EXCLUDED.next_check_in,
                    next_check_in_latest = EXCLUDED.next_check_in_latest,
                    incident = EXCLUDED.incident, incident_started = EXCLUDED.incident_started",
        )
        .bind(stream)
        .bind(&name)
        .bind(env.status())
        .bind(created)
        .bind(env.last_check_in)
        .bind(env.next_expected)
        .bind(env.missed_after)
        .bind(env.incident.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
        .bind(env.incident_started)
        .bind(org)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Creates the environment's row on its first check-in, as Sentry does (`active`).
async fn touch_environment(
    conn: &mut PgConnection,
    (org, stream): (i64, &str),
    environment: &str,
    at: DateTime<Utc>,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO monitor_environments (org_id, monitor_id, name, status, date_created)
         SELECT org_id, monitor_id, $2, 'active', $3
           FROM monitors WHERE stream_id = $1 AND org_id = $4
         ON CONFLICT (monitor_id, name, org_id) DO NOTHING",
    )
    .bind(stream)
    .bind(environment)
    .bind(at)
    .bind(org)
    .execute(conn)
    .await?;
    Ok(())
}

/// The environment after a check-in: its last check-in, the next one expected and
/// when that counts as missed, and `ok` after a success outside an incident.
async fn environment_after(
    conn: &mut PgConnection,
    (org, stream): (i64, &str),
    environment: &str,
    status: CheckInStatus,
    last: Option<DateTime<Utc>>,
    next_expected: Option<DateTime<Utc>>,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "UPDATE monitor_environments e
            SET last_check_in = coalesce($3, e.last_check_in),
                next_check_in = coalesce($4, e.next_check_in),
                next_check_in_latest = coalesce(
                    add_minutes($4, coalesce((m.config->>'checkin_margin')::int, $5)),
                    e.next_check_in_latest),
                status = CASE WHEN $6 AND e.incident IS NULL THEN 'ok' ELSE e.status END
           FROM monitors m
          WHERE m.stream_id = $1 AND m.org_id = $7
            AND e.org_id = m.org_id AND e.monitor_id = m.monitor_id AND e.name = $2",
    )
    .bind(stream)
    .bind(environment)
    .bind(last)
    .bind(next_expected)
    .bind(DEFAULT_MARGIN_MINUTES as i32)
    .bind(status == CheckInStatus::Ok)
    .bind(org)
    .execute(conn)
    .await?;
    Ok(())
}
