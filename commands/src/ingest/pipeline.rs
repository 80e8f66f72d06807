//! The group-commit ingestor.

use std::collections::HashMap;
use std::time::Duration;

use cqrs_es::{Aggregate, DomainEvent};
use faultline_domain::issue::body::{self, BodyError};
use faultline_domain::issue::{
    issue_stream_id, Issue, IssueCommand, IssueEvent, NewIssue, Occurrence,
};
use faultline_domain::log_position::LogPosition;
use faultline_domain::metadata::EventMetadata;
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::error::StoreError;
use crate::store::{AggregateStore, EventLog, EventPayload, NewEvent};

/// What a new issue would be, if this event turns out to be its first.
#[derive(Debug, Clone)]
pub struct IssueDraft {
    /// Title.
    pub title: String,
    /// Culprit.
    pub culprit: String,
    /// Metadata.
    pub metadata: Value,
    /// `error` or `default`.
    pub issue_type: String,
    /// Level.
    pub level: String,
    /// Platform.
    pub platform: String,
}

/// One accepted event to append.
#[derive(Debug, Clone)]
pub struct IngestJob {
    /// The event's project.
    pub project_id: i64,
    /// The project's organization.
    pub org_id: i64,
    /// The grouping hash.
    pub hash: String,
    /// The issue to create if it does not exist.
    pub draft: IssueDraft,
    /// The event without its body (`data` is `null`): the ingestor decides on the rest.
    pub occurrence: Occurrence,
    /// The stored form of this event's `EventIngested` 4.0, serialised by the request
    /// handler (see [`ingested_payload`]): the payload (`data` is `null`) and the body
    /// for the row's `body` column.
    pub ingested_payload: IngestedPayload,
    /// Who sent it (`key:<public key>`), request id, time.
    pub metadata: EventMetadata,
}

/// An `EventIngested` 4.0 row's payload and body, as the request handler serialised
/// them.
#[derive(Debug, Clone)]
pub struct IngestedPayload {
    /// The payload's JSON text; its `data` is `null`.
    pub payload: std::sync::Arc<str>,
    /// The compressed body (`faultline_domain::issue::body`), for the `body` column.
    pub body: std::sync::Arc<[u8]>,
}

/// Splits an occurrence (whose `data` is ignored) and its body into what the ingestor
/// decides on (the occurrence without a body) and the stored form of its
/// `EventIngested` 4.0 row: the payload's JSON text and the compressed body for the
/// `body` column. The request handler calls it so that the heavy serialisation runs on
/// every core rather than in the ingestor task; `body` is whatever JSON value the
/// caller holds (the ingest path's is a sonic-rs value, which is encoded without
/// becoming a `serde_json` one).
pub fn ingested_payload<B: serde::Serialize + ?Sized>(
    mut occurrence: Occurrence,
    body: &B,
) -> Result<(Occurrence, IngestedPayload), BodyError> {
    let body = body::encode_to_column(body)?;
    occurrence.data = Value::Null;
    // Exactly serde's form of `IssueEvent::EventIngested(Box<Occurrence>)`, without
    // cloning the occurrence to build one.
    let payload = format!(
        "{{\"EventIngested\":{}}}",
        serde_json::to_string(&occurrence)?
    );
    Ok((
        occurrence,
        IngestedPayload {
            payload: payload.into(),
            body: body.into(),
        },
    ))
}

/// Why an event was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The queue is full or the ingestor stopped: retry later (503).
    #[error("ingestion is overloaded, retry later")]
    Overloaded,
    /// The store failed; nothing of the batch was stored (503).
    #[error("the event could not be stored, retry later")]
    Unavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_one_organization_stays_whole() {
        let jobs = vec![(1, 'a'), (1, 'b')];

        let batches = by_organization(jobs, |(org, _)| *org);

        assert_eq!(batches, [vec![(1, 'a'), (1, 'b')]]);
    }

    #[test]
    fn a_mixed_batch_splits_by_organization_keeping_each_ones_order() {
        let jobs = vec![(2, 'a'), (1, 'b'), (2, 'c'), (3, 'd'), (1, 'e')];

        let batches = by_organization(jobs, |(org, _)| *org);

        assert_eq!(
            batches,
            [
                vec![(2, 'a'), (2, 'c')],
                vec![(1, 'b'), (1, 'e')],
                vec![(3, 'd')]
            ]
        );
    }

    #[test]
    fn the_ingested_payload_is_the_stored_form_of_the_event() {
        let occurrence = Occurrence {
            event_id: "e1".into(),
            timestamp: chrono::Utc::now(),
            received: chrono::Utc::now(),
            level: "error".into(),
            release: None,
            environment: "production".into(),
            user_key: None,
            tags: vec![("a".into(), "b".into())],
            title: "t".into(),
            culprit: "c".into(),
            data: serde_json::json!({"message": "hi"}),
        };
        let (light, stored) = ingested_payload(occurrence.clone(), &occurrence.data).unwrap();
        let payload = serde_json::from_str(&stored.payload).unwrap();
        let read = faultline_domain::upcast::current_of_row(
            "issue",
            "EventIngested",
            body::IN_COLUMN_VERSION,
            payload,
            Some(&stored.body),
        );
        let read: IssueEvent = serde_json::from_value(read).unwrap();
        assert_eq!(read, IssueEvent::EventIngested(Box::new(occurrence)));
        assert_eq!(light.data, Value::Null);
        assert!(!stored.payload.contains("hi"), "{}", stored.payload);
    }
}

/// Why a batch was not appended.
#[derive(Debug, thiserror::Error)]
enum BatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("issue refused an occurrence: {0}")]
    Refused(#[from] faultline_domain::issue::IssueError),
}

/// Tunables.
#[derive(Debug, Clone, Copy)]
pub struct IngestorConfig {
    /// Queue capacity (jobs waiting for a batch).
    pub queue: usize,
    /// Most events per transaction.
    pub max_batch: usize,
    /// Snapshot an issue every this many events.
    pub snapshot_every: i64,
    /// Ingestor tasks; each issue stream belongs to one of them, so appends to
    /// different issues commit in parallel while one issue never races itself. One
    /// by default: on two cores, one task's larger batches cost less per event than
    /// two tasks' parallel commits gain (BENCHMARKS.md, session 9).
    pub workers: usize,
}

impl Default for IngestorConfig {
    fn default() -> Self {
        Self {
            queue: 20_000,
            max_batch: 1_000,
            snapshot_every: 100,
            workers: 1,
        }
    }
}

type Reply = oneshot::Sender<Result<LogPosition, IngestError>>;

/// Handle to the ingestion tasks.
#[derive(Clone)]
pub struct Ingestor {
    senders: Vec<mpsc::Sender<(IngestJob, Reply)>>,
}

impl Ingestor {
    /// Starts the ingestion tasks on `pool`; they end when every handle is dropped.
    pub fn start(pool: PgPool, config: IngestorConfig) -> (Self, tokio::task::JoinHandle<()>) {
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..config.workers.max(1) {
            let (sender, receiver) = mpsc::channel(config.queue);
            let worker = Worker {
                log: EventLog::new(pool.clone()),
                store: AggregateStore::new(EventLog::new(pool.clone())),
                pool: pool.clone(),
                config,
                issues: HashMap::new(),
            };
            senders.push(sender);
            tasks.push(tokio::spawn(worker.run(receiver)));
        }
        let all = tokio::spawn(async move {
            for task in tasks {
                let _ = task.await;
            }
        });
        (Self { senders }, all)
    }

    /// Appends the event and returns once it is durably in the log.
    pub async fn submit(&self, job: IngestJob) -> Result<LogPosition, IngestError> {
        let (reply, answer) = oneshot::channel();
        // One worker per issue stream (a merge may still send two workers to one
        // stream: optimistic concurrency settles that).
        let shard = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            (job.project_id, &job.hash).hash(&mut hasher);
            hasher.finish() as usize % self.senders.len()
        };
        self.senders[shard]
            .send_timeout((job, reply), Duration::from_secs(5))
            .await
            .map_err(|_| IngestError::Overloaded)?;
        answer.await.map_err(|_| IngestError::Overloaded)?
    }
}

/// An issue's state as the ingestor last wrote or loaded it.
#[derive(Debug, Clone)]
struct Cached {
    issue: Issue,
    sequence: i64,
}

/// `jobs` split into one batch per organization (`org_of`), in the order each first
/// appears. Each batch then writes one partition of the log: on Citus one worker, so a
/// batch never waits on a two-phase commit, and a worker that is down fails only its
/// own organizations' events.
fn by_organization<T>(jobs: Vec<T>, org_of: impl Fn(&T) -> i64) -> Vec<Vec<T>> {
    let first = jobs.first().map(&org_of);
    if jobs.iter().all(|job| Some(org_of(job)) == first) {
        return vec![jobs];
    }
    let mut batches: Vec<(i64, Vec<T>)> = Vec::new();
    for job in jobs {
        let org_id = org_of(&job);
        match batches.iter_mut().find(|(seen, _)| *seen == org_id) {
            Some((_, batch)) => batch.push(job),
            None => batches.push((org_id, vec![job])),
        }
    }
    batches.into_iter().map(|(_, batch)| batch).collect()
}

/// How many attempts a batch gets before failing, when its streams moved or its
/// shard did.
const BATCH_ATTEMPTS: usize = 4;
/// Beyond this many cached issues the cache starts over (it is only a cache).
const MAX_CACHED_ISSUES: usize = 200_000;

struct Worker {
    pool: PgPool,
    log: EventLog,
    store: AggregateStore<Issue>,
    config: IngestorConfig,
    issues: HashMap<String, Cached>,
}

impl Worker {
    async fn run(mut self, mut receiver: mpsc::Receiver<(IngestJob, Reply)>) {
        let mut batch = Vec::with_capacity(self.config.max_batch);
        while receiver.recv_many(&mut batch, self.config.max_batch).await > 0 {
            for jobs in by_organization(std::mem::take(&mut batch), |(job, _)| job.org_id) {
                let span = tracing::debug_span!("faultline.ingest.batch", events = jobs.len());
                self.process(jobs).instrument(span).await;
            }
        }
    }

    async fn process(&mut self, jobs: Vec<(IngestJob, Reply)>) {
        let started = std::time::Instant::now();
        let mut outcome = self.try_batch(&jobs).await;
        for attempt in 1..BATCH_ATTEMPTS {
            match &outcome {
                Err(BatchError::Store(StoreError::Conflict { aggregate_id, .. })) => {
                    tracing::debug!(
                        attempt,
                        aggregate_id,
                        "issue stream moved elsewhere, deciding again"
                    );
                    // Another process wrote, or a merge redirected a stream; the
                    // conflict names the batch's first stream, not necessarily the
                    // one that moved: forget all rather than guess.
                    self.issues.clear();
                }
                Err(
                    BatchError::Store(StoreError::Database(error)) | BatchError::Database(error),
                ) if crate::error::is_shard_moved(error) => {
                    tracing::warn!(attempt, %error, "a shard moved under the batch, writing it again");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt as u64))
                        .await;
                }
                _ => break,
            }
            outcome = self.try_batch(&jobs).await;
        }
        super::metrics::record_batch(jobs.len(), started.elapsed(), outcome.is_ok());
        match outcome {
            Ok(positions) => {
                for ((_, reply), position) in jobs.into_iter().zip(positions) {
                    let _ = reply.send(Ok(position));
                }
            }
            Err(error) => {
                // The cause (a full disk, a lost connection) is what an operator acts on.
                let cause = std::error::Error::source(&error)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                tracing::error!(%error, %cause, events = jobs.len(), "ingest batch failed");
                for (job, reply) in jobs {
                    self.issues
                        .remove(&issue_stream_id(job.project_id, &job.hash));
                    let _ = reply.send(Err(IngestError::Unavailable));
                }
            }
        }
    }

    /// Decides every job against working copies of the issues, appends the result in
    /// one transaction, and on success makes the working copies the cache. Returns
    /// each job's `EventIngested` position.
    async fn try_batch(
        &mut self,
        jobs: &[(IngestJob, Reply)],
    ) -> Result<Vec<LogPosition>, BatchError> {
        let mut working: HashMap<String, Cached> = HashMap::new();
        // Each job's stream: its fingerprint's issue, or the issue that one was
        // merged into (followed to the end of the chain).
        let mut targets = Vec::with_capacity(jobs.len());
        for (job, _) in jobs {
            let mut stream = issue_stream_id(job.project_id, &job.hash);
            for _ in 0..16 {
                if !working.contains_key(&stream) {
                    let cached = match self.issues.get(&stream) {
                        Some(cached) => cached.clone(),
                        None => {
                            let loaded = self.store.load(&stream, Some(job.org_id)).await?;
                            Cached {
                                issue: loaded.aggregate,
                                sequence: loaded.current_sequence,
                            }
                        }
                    };
                    working.insert(stream.clone(), cached);
                }
                match working[&stream].issue.merged_into() {
                    Some((_, into)) => stream = into,
                    None => break,
                }
            }
            targets.push(stream);
        }
        let mut new_ids = self.allocate(jobs, &targets, &working).await?;

        let mut rows = Vec::with_capacity(jobs.len() + 8);
        let mut ingested_rows = Vec::with_capacity(jobs.len());
        let mut snapshot_due = Vec::new();
        for ((job, _), stream) in jobs.iter().zip(&targets) {
            let stream = stream.clone();
            let state = working.get_mut(&stream).expect("loaded above");
            let new_issue = if state.issue.exists() {
                None
            } else {
                new_ids
                    .remove(&stream)
                    .map(|(issue_id, short_number)| NewIssue {
                        issue_id,
                        project_id: job.project_id,
                        org_id: job.org_id,
                        short_number,
                        hash: job.hash.clone(),
                        title: job.draft.title.clone(),
                        culprit: job.draft.culprit.clone(),
                        metadata: job.draft.metadata.clone(),
                        issue_type: job.draft.issue_type.clone(),
                        level: job.draft.level.clone(),
                        platform: job.draft.platform.clone(),
                    })
            };
            let events = state.issue.decide(IssueCommand::RecordOccurrence {
                new_issue,
                occurrence: job.occurrence.clone(),
            })?;
            let metadata =
                serde_json::to_value(job.metadata.to_map()).map_err(StoreError::Encode)?;
            let before = state.sequence;
            for event in events {
                state.sequence += 1;
                let (payload, body, event_version, ingested_in) =
                    if matches!(event, IssueEvent::EventIngested(_)) {
                        ingested_rows.push(rows.len());
                        (
                            EventPayload::Json(job.ingested_payload.payload.clone()),
                            Some(job.ingested_payload.body.clone()),
                            body::IN_COLUMN_VERSION.to_owned(),
                            Some(job.project_id),
                        )
                    } else {
                        (
                            serde_json::to_value(&event)
                                .map_err(StoreError::Encode)?
                                .into(),
                            None,
                            event.event_version(),
                            None,
                        )
                    };
                rows.push(NewEvent {
                    aggregate_type: Issue::TYPE.to_owned(),
                    aggregate_id: stream.clone(),
                    sequence: state.sequence,
                    event_type: event.event_type(),
                    event_version,
                    payload,
                    body,
                    metadata: metadata.clone(),
                    ingested_in,
                    organization_id: job.org_id,
                });
                state.issue.apply(event);
            }
            let every = self.config.snapshot_every;
            if every > 0
                && before / every != state.sequence / every
                && !snapshot_due.contains(&stream)
            {
                snapshot_due.push(stream);
            }
        }

        if snapshot_due.is_empty() {
            // One statement is its own transaction: no BEGIN and COMMIT round trips.
            let mut conn = self.log.pool().acquire().await?;
            let positions = EventLog::append_in(&mut conn, &rows).await?;
            return Ok(self.settle(working, &ingested_rows, &positions));
        }
        let mut tx = self.log.pool().begin().await?;
        let positions = EventLog::append_in(&mut tx, &rows).await?;
        for stream in &snapshot_due {
            let state = &working[stream];
            let payload = serde_json::to_value(&state.issue).map_err(StoreError::Encode)?;
            sqlx::query(
                "INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
                 VALUES ('issue', $1, $2, 1, $3)
                 ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
                    SET last_sequence = EXCLUDED.last_sequence,
                        current_snapshot = snapshots.current_snapshot + 1,
                        payload = EXCLUDED.payload
                  WHERE snapshots.last_sequence < EXCLUDED.last_sequence",
            )
            .bind(stream)
            .bind(state.sequence)
            .bind(payload)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(self.settle(working, &ingested_rows, &positions))
    }

    /// After a commit: the working copies become the cache; each job's position.
    fn settle(
        &mut self,
        working: HashMap<String, Cached>,
        ingested_rows: &[usize],
        positions: &[LogPosition],
    ) -> Vec<LogPosition> {
        if self.issues.len() > MAX_CACHED_ISSUES {
            self.issues.clear();
        }
        self.issues.extend(working);
        ingested_rows.iter().map(|row| positions[*row]).collect()
    }

    /// Numeric ids and per-project numbers for the issues this batch will create.
    async fn allocate(
        &self,
        jobs: &[(IngestJob, Reply)],
        targets: &[String],
        working: &HashMap<String, Cached>,
    ) -> Result<HashMap<String, (i64, i64)>, BatchError> {
        let mut per_project: HashMap<i64, Vec<String>> = HashMap::new();
        for ((job, _), stream) in jobs.iter().zip(targets) {
            let streams = per_project.entry(job.project_id).or_default();
            if !working[stream].issue.exists() && !streams.contains(stream) {
                streams.push(stream.clone());
            }
        }
        let mut allocated = HashMap::new();
        for (project_id, streams) in per_project {
            if streams.is_empty() {
                continue;
            }
            let count = streams.len() as i64;
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT nextval('issue_ids') FROM generate_series(1, $1)")
                    .bind(count)
                    .fetch_all(&self.pool)
                    .await?;
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO project_issue_counters (project_id, last) VALUES ($1, $2)
                 ON CONFLICT (project_id) DO UPDATE SET last = project_issue_counters.last + EXCLUDED.last
                 RETURNING last",
            )
            .bind(project_id)
            .bind(count)
            .fetch_one(&self.pool)
            .await?;
            for (n, (stream, id)) in streams.into_iter().zip(ids).enumerate() {
                allocated.insert(stream, (id, last - count + 1 + n as i64));
            }
        }
        Ok(allocated)
    }
}
