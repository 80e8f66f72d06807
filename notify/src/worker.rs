//! The delivery loop: claim due rows while there is room, send each in a task of its
//! own, record the outcome; wake on `NOTIFY faultline_notifications`, when a send
//! finishes, or every second.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::attempt::{backoff, Attempt};
use crate::channels::{self, Channel, Envelope};
use crate::metrics::Outcome;
use crate::outbound::Outbound;
use crate::outbox::{self, Notification};
use crate::smtp::Mailer;
use crate::{Config, ConfigError};

/// How often due rows are looked for without a notification (retries come due
/// without one).
const POLL: Duration = Duration::from_secs(1);
/// Sends in flight per process at most.
const MAX_IN_FLIGHT: usize = 16;
/// How long a stopping worker lets the sends in flight finish before it gives their
/// rows back.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// Added to the timeout for a claim's lease: the send, its recording and the wait
/// for an email recipient's lock fit in it.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// Delivers the notifications of the outbox.
pub struct Worker {
    pool: PgPool,
    config: Config,
    outbound: Outbound,
    mailer: Option<Mailer>,
}

impl Worker {
    /// A worker on `pool`; fails on a configuration that cannot work (a bad SMTP
    /// URL or sender).
    pub fn new(pool: PgPool, config: Config) -> Result<Self, ConfigError> {
        let outbound = Outbound::new(config.timeout, config.allow_private)?;
        let mailer = match &config.smtp_url {
            Some(url) => Some(Mailer::new(url, &config.email_from, config.timeout)?),
            None => None,
        };
        crate::metrics::describe();
        Ok(Self {
            pool,
            config,
            outbound,
            mailer,
        })
    }

    fn lease(&self) -> Duration {
        // An email may wait up to a timeout for its recipient's lock, then send.
        self.config.timeout * 2 + LEASE_MARGIN
    }

    /// Delivers until `shutdown`; then lets the sends in flight finish for a while
    /// and gives the rows of the others back.
    pub async fn run(self, shutdown: CancellationToken) {
        let worker = Arc::new(self);
        let wake = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(worker.pool.clone(), wake.clone(), shutdown.clone()));
        let mut sends = JoinSet::new();
        let mut in_flight: HashMap<tokio::task::Id, Uuid> = HashMap::new();
        loop {
            let room = MAX_IN_FLIGHT - sends.len();
            if room > 0 {
                match outbox::claim(&worker.pool, room as i64, worker.lease()).await {
                    Ok(rows) => {
                        for row in rows {
                            let id = row.id;
                            let task = sends.spawn(worker.clone().deliver(row));
                            in_flight.insert(task.id(), id);
                        }
                    }
                    Err(error) => tracing::warn!(%error, "could not claim notifications"),
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                Some(done) = sends.join_next_with_id(), if !sends.is_empty() => {
                    forget(&mut in_flight, done);
                }
            }
        }
        let _ = tokio::time::timeout(DRAIN_GRACE, async {
            while let Some(done) = sends.join_next_with_id().await {
                forget(&mut in_flight, done);
            }
        })
        .await;
        sends.abort_all();
        while sends.join_next().await.is_some() {}
        let unfinished: Vec<Uuid> = in_flight.into_values().collect();
        if !unfinished.is_empty() {
            tracing::info!(count = unfinished.len(), "giving back unsent notifications");
            if let Err(error) = outbox::release(&worker.pool, &unfinished).await {
                tracing::warn!(%error, "could not give back notifications: they wait for their lease");
            }
        }
        let _ = listener.await;
    }

    /// Sends one claimed row and records the outcome.
    async fn deliver(self: Arc<Self>, row: Notification) {
        let Some(channel) = Channel::parse(&row.channel) else {
            let attempt = Attempt::Failed {
                error: format!("unknown channel {:?}", row.channel),
                status: None,
            };
            let _ = self.record_on_pool(&row, &attempt).await;
            return;
        };
        let started = Instant::now();
        let settled = match channel {
            Channel::Email => self.deliver_email(&row).await,
            _ => {
                let attempt = self.send_http(channel, &row).await;
                let took = started.elapsed();
                self.record_on_pool(&row, &attempt)
                    .await
                    .map(|state| (attempt, state, Some(took)))
            }
        };
        match settled {
            Ok((attempt, state, took)) => report(channel, &row, &attempt, state.as_deref(), took),
            Err(error) => {
                tracing::warn!(id = %row.id, channel = channel.name(), %error, "could not record a notification attempt: it is retried after its lease");
            }
        }
    }

    async fn send_http(&self, channel: Channel, row: &Notification) -> Attempt {
        let message = channels::http_message(
            channel,
            &row.payload,
            Envelope {
                id: row.id,
                secret: row.secret.as_deref(),
                hook_id: row.hook_id.as_deref(),
                now: chrono::Utc::now().timestamp(),
            },
        );
        self.outbound
            .post(&row.target, message.headers, message.body)
            .await
    }

    /// Checks the recipient's hourly cap and sends, holding the recipient's lock
    /// until the outcome is recorded, so concurrent workers never send past the cap.
    async fn deliver_email(
        &self,
        row: &Notification,
    ) -> sqlx::Result<(Attempt, Option<String>, Option<Duration>)> {
        let Some(mailer) = &self.mailer else {
            let attempt = Attempt::Retry {
                error: "no SMTP server is configured (--smtp-url)".to_owned(),
                status: None,
            };
            let state = self.record_on_pool(row, &attempt).await?;
            return Ok((attempt, state, None));
        };
        let mut tx = self.pool.begin().await?;
        outbox::lock_recipient(&mut tx, &row.target, self.config.timeout).await?;
        let sent = outbox::emails_sent_last_hour(&mut tx, &row.target).await?;
        let cap = i64::from(self.config.email_hourly_cap);
        let (attempt, took) = if sent >= cap {
            let reason = format!(
                "dropped: {sent} emails were sent to this address in the last hour (--email-hourly-cap {cap})"
            );
            (Attempt::Dropped { reason }, None)
        } else {
            let started = Instant::now();
            let email = channels::email::render(&row.payload);
            let attempt = mailer.send(row.id, &row.target, &email).await;
            (attempt, Some(started.elapsed()))
        };
        let state = outbox::record(
            &mut tx,
            row.id,
            &attempt,
            self.retry_in(row),
            self.config.retry_horizon,
        )
        .await?;
        tx.commit().await?;
        Ok((attempt, state, took))
    }

    async fn record_on_pool(
        &self,
        row: &Notification,
        attempt: &Attempt,
    ) -> sqlx::Result<Option<String>> {
        let mut conn = self.pool.acquire().await?;
        outbox::record(
            &mut conn,
            row.id,
            attempt,
            self.retry_in(row),
            self.config.retry_horizon,
        )
        .await
    }

    /// The wait before the next attempt, should this one fail.
    fn retry_in(&self, row: &Notification) -> Duration {
        backoff(row.attempts + 1, &mut rand::rng())
    }
}

fn forget(
    in_flight: &mut HashMap<tokio::task::Id, Uuid>,
    done: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
) {
    let id = match done {
        Ok((id, ())) => id,
        Err(error) => {
            if error.is_panic() {
                tracing::error!(%error, "a notification send panicked: it is retried after its lease");
            }
            error.id()
        }
    };
    in_flight.remove(&id);
}

/// Logs and counts what an attempt came to.
fn report(
    channel: Channel,
    row: &Notification,
    attempt: &Attempt,
    state: Option<&str>,
    took: Option<Duration>,
) {
    let outcome = match state {
        Some("delivered") => Outcome::Delivered,
        Some("failed") => Outcome::Failed,
        Some("dropped") => Outcome::Dropped,
        Some(_) => Outcome::Retrying,
        // Settled meanwhile by another worker, whose attempt counted.
        None => return,
    };
    crate::metrics::record(channel, outcome, took);
    let attempts = row.attempts + 1;
    let channel = channel.name();
    match attempt {
        Attempt::Delivered { status } => {
            tracing::info!(id = %row.id, channel, attempts, status, "notification delivered");
        }
        Attempt::Dropped { reason } => {
            tracing::warn!(id = %row.id, channel, reason, "notification dropped");
        }
        Attempt::Retry { error, status } | Attempt::Failed { error, status } => {
            let outcome = outcome.label();
            tracing::warn!(id = %row.id, channel, attempts, status, error, outcome, "notification not delivered");
        }
    }
}

/// Turns `NOTIFY faultline_notifications` into wakeups of the loop, reconnecting
/// after a lost connection (the poll covers what was missed).
async fn listen(pool: PgPool, wake: Arc<Notify>, shutdown: CancellationToken) {
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.ignore_pool_close_event(true);
            listener.listen(outbox::CHANNEL).await?;
            wake.notify_one();
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return Ok::<(), sqlx::Error>(()),
                    received = listener.try_recv() => {
                        received?;
                        wake.notify_one();
                    }
                }
            }
        };
        if let Err(error) = connected.await {
            tracing::warn!(%error, "notification listener lost its connection");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
