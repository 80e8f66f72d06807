//! The monitors' clock: records missed runs (no check-in by the expected time plus
//! the margin) and timeouts (`in_progress` past the longest runtime), then delivers
//! incidents as failure issues (opened, reopened, resolved).
//!
//! Every process runs this loop; each pass holds a transaction-scoped advisory lock,
//! so one process works at a time. Passing twice is harmless anyway: `MarkMissed` and
//! `MarkTimedOut` record nothing once the run is no longer due, the command bus lets
//! only one of two racing writers append, and a failure event delivered again names
//! the same event id. The clock is a parameter, so tests drive it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use faultline_api::monitor_ops::deliver_incidents;
use faultline_api::state::AppState;
use faultline_domain::metadata::EventMetadata;
use faultline_domain::monitor::{Monitor, MonitorCommand};
use faultline_projections::monitors::queries::{due_misses, due_timeouts};
use tokio_util::sync::CancellationToken;

use crate::each_organization::across_or_each;
use uuid::Uuid;

/// How often the clock looks for due work (margins are whole minutes).
const TICK: Duration = Duration::from_secs(10);
/// Advisory lock key of the monitors' clock (namespace, key).
const LOCK: (i32, i32) = (0x0FA1, 0x3C40);
/// Due runs handled per query.
const BATCH: i64 = 500;
/// Rounds of missed runs per pass: a monitor far behind (the server was down) gets
/// one missed check-in per expected run, this many per pass.
const ROUNDS: usize = 50;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Missed check-ins recorded.
    pub missed: usize,
    /// Runs timed out.
    pub timed_out: usize,
    /// Failure issues opened or reopened.
    pub opened: usize,
    /// Failure issues resolved.
    pub resolved: usize,
}

/// Runs until `stop`.
pub async fn run(state: AppState, stop: CancellationToken) {
    loop {
        if let Err(error) = pass(&state, Utc::now()).await {
            tracing::warn!(%error, "monitor clock pass failed");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

/// One pass at clock time `now`.
#[tracing::instrument(name = "faultline.monitors.pass", skip_all, fields(%now), err)]
pub async fn pass(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<Pass> {
    let mut lock = state.pool.begin().await?;
    let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, $2)")
        .bind(LOCK.0)
        .bind(LOCK.1)
        .fetch_one(&mut *lock)
        .await?;
    if !mine {
        return Ok(Pass::default());
    }
    // Across every organization, or each on its own while that fails, so that the
    // others' runs are still marked and their incidents delivered.
    let passes = across_or_each(&state.pool, "monitor clock", |organization| {
        pass_over(state, organization, now)
    })
    .await?;
    lock.commit().await?;
    Ok(passes.into_iter().fold(Pass::default(), Pass::add))
}

impl Pass {
    fn add(self, other: Pass) -> Pass {
        Pass {
            missed: self.missed + other.missed,
            timed_out: self.timed_out + other.timed_out,
            opened: self.opened + other.opened,
            resolved: self.resolved + other.resolved,
        }
    }
}

/// One pass over the due work of `organization` (or of every organization).
async fn pass_over(
    state: &AppState,
    organization: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<Pass> {
    let mut done = Pass::default();
    let metadata = EventMetadata::system("monitors", now);
    for _ in 0..ROUNDS {
        let due = due_misses(&state.pool, organization, now, BATCH).await?;
        let mut recorded = 0;
        for miss in &due {
            let command = MonitorCommand::MarkMissed {
                check_in_id: Uuid::new_v4(),
                environment: miss.environment.clone(),
                now,
            };
            match state
                .execute::<Monitor>(&miss.stream_id, command, &metadata)
                .await
            {
                Ok(committed) => recorded += usize::from(!committed.events.is_empty()),
                Err(error) => {
                    tracing::warn!(stream = miss.stream_id, %error, "could not mark a missed run")
                }
            }
        }
        done.missed += recorded;
        if recorded == 0 {
            break;
        }
    }
    for timeout in due_timeouts(&state.pool, organization, now, BATCH).await? {
        let command = MonitorCommand::MarkTimedOut {
            check_in_id: timeout.check_in_id,
            environment: timeout.environment.clone(),
            now,
        };
        match state
            .execute::<Monitor>(&timeout.stream_id, command, &metadata)
            .await
        {
            Ok(committed) => done.timed_out += usize::from(!committed.events.is_empty()),
            Err(error) => {
                tracing::warn!(stream = timeout.stream_id, %error, "could not time out a run")
            }
        }
    }
    let delivered = deliver_incidents(state, organization, BATCH).await?;
    done.opened += delivered.opened;
    done.resolved += delivered.resolved;
    Ok(done)
}
