//! The global per-project rate limit (`--project-rate-limit <count>/<seconds>`): at
//! most `count` events per project in each fixed window, across every process on the
//! database.
//!
//! Each process leases slices of a window's quota from the shared counter
//! (`faultline_commands::quota`) and spends them in memory, so an event costs a mutex
//! and a subtraction; a database round trip happens once per slice, and once more
//! when the window is used up (then the process refuses locally until the window
//! ends). Slices are a tenth of the limit: a process may end a window holding up to
//! a slice unspent, which others then cannot use, so the limit can be
//! under-spent by that much but never exceeded.

use std::sync::Arc;

use dashmap::DashMap;
use faultline_commands::quota;
use faultline_domain::project::RateLimit;
use sqlx::PgPool;
use tokio::sync::Mutex;

use crate::error::ApiError;

/// Leased quota per project, in this process.
#[derive(Default)]
pub struct ProjectLimiter {
    limit: Option<RateLimit>,
    leases: DashMap<i64, Arc<Mutex<Lease>>>,
}

/// What this process may still accept for one project in one window.
#[derive(Default)]
struct Lease {
    window_start: u64,
    remaining: u32,
    /// The shared counter had nothing more to give for this window.
    exhausted: bool,
}

impl ProjectLimiter {
    /// A limiter for `limit` events per window per project; `None` admits everything.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            leases: DashMap::new(),
        }
    }

    /// Counts `events` against `project_id`'s quota at unix second `now`; refuses with
    /// 429 (`Retry-After` until the window ends, and `X-Sentry-Rate-Limits` with
    /// project scope) when the window is used up.
    pub async fn admit(
        &self,
        pool: &PgPool,
        project_id: i64,
        events: u32,
        now: u64,
    ) -> Result<(), ApiError> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let window = u64::from(limit.window.max(1));
        let start = now / window * window;
        let lease = self.leases.entry(project_id).or_default().clone();
        let mut lease = lease.lock().await;
        if lease.window_start != start {
            *lease = Lease {
                window_start: start,
                ..Lease::default()
            };
            if let Err(error) = quota::forget_before(pool, project_id, start as i64).await {
                tracing::warn!(%error, project_id, "could not delete old quota windows");
            }
        }
        if lease.remaining < events && !lease.exhausted {
            let wanted = (events - lease.remaining).max(slice(limit));
            let granted = quota::lease(
                pool,
                project_id,
                start as i64,
                i64::from(wanted),
                i64::from(limit.count),
            )
            .await?;
            let granted = u32::try_from(granted).unwrap_or(0);
            lease.remaining += granted;
            lease.exhausted = granted < wanted;
        }
        if lease.remaining < events {
            let retry_after = start + window - now;
            return Err(ApiError::RateLimited {
                retry_after,
                limits: format!("{retry_after}::project:project_quota"),
            });
        }
        lease.remaining -= events;
        Ok(())
    }
}

/// How much a process leases at a time: a tenth of the limit.
fn slice(limit: RateLimit) -> u32 {
    (limit.count / 10).max(1)
}
