//! The load generator: keep-alive connections, a bounded number of in-flight
//! requests, bodies made before the clock starts (or on the fly, for seeding).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sqlx::PgPool;

use crate::payload::{self, Templates, USER_AGENT};
use crate::server::Project;

/// One request body and the event id inside it.
pub struct Body {
    pub event_id: String,
    pub bytes: Bytes,
}

/// Builds request bodies: `make(i)` is event `i`'s envelope.
pub type Maker = Arc<dyn Fn(usize) -> Body + Send + Sync>;

/// `n` gzip-compressed envelopes of events `0..n` of `templates`, built on every core.
pub fn prebuild(templates: &Templates, public_key: &str, n: usize) -> Vec<Body> {
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1);
    let chunk = n.div_ceil(threads).max(1);
    let mut out: Vec<Body> = Vec::with_capacity(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let end = (start + chunk).min(n);
                scope.spawn(move || {
                    (start..end)
                        .map(|i| {
                            let (event_id, json) = templates.render(i);
                            let envelope =
                                payload::envelope_of(&event_id, &json, public_key, &templates.sdk);
                            Body {
                                event_id,
                                bytes: Bytes::from(payload::gzip(&envelope)),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            out.extend(handle.join().expect("prebuild thread"));
        }
    });
    out
}

/// What one run of the generator saw.
#[derive(Default)]
pub struct LoadResult {
    pub sent: u64,
    pub accepted: u64,
    pub status: BTreeMap<String, u64>,
    /// Accept latency of every answered request, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Seconds from the first request to the last answer.
    pub wall_s: f64,
    /// Every `sample_every`-th accepted event id.
    pub sampled_ids: Vec<String>,
}

impl LoadResult {
    pub fn accepted_per_s(&self) -> f64 {
        self.accepted as f64 / self.wall_s.max(1e-9)
    }

    /// The send phase in a line of the progress log, its wall time to `decimals`.
    pub fn summary(&self, decimals: usize) -> String {
        format!(
            "{} accepted in {:.*} s ({:.0}/s), statuses {:?}",
            self.accepted,
            decimals,
            self.wall_s,
            self.accepted_per_s(),
            self.status
        )
    }
}

pub struct LoadOptions {
    pub concurrency: usize,
    /// Retry 429/503 answers (seeding must get everything in; measured runs must not
    /// hide back-pressure, so they count them as rejected).
    pub retry_overload: bool,
    pub sample_every: usize,
    /// Bodies are gzip-compressed (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// Print progress to stderr every this often.
    pub progress: Option<Duration>,
}

/// Sends events `0..n` to the project's envelope endpoint; returns when all answered.
pub async fn run(
    base: &str,
    project: &Project,
    n: usize,
    make: Maker,
    options: &LoadOptions,
) -> (LoadResult, Instant) {
    let address: Arc<str> = base
        .strip_prefix("http://")
        .expect("the bench server speaks plain http")
        .trim_end_matches('/')
        .into();
    let url: Arc<str> = format!("/api/{}/envelope/", project.id).into();
    let auth: Arc<str> = format!(
        "Sentry sentry_version=7, sentry_client={USER_AGENT}, sentry_key={}",
        project.public_key
    )
    .into();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let progress = options.progress.map(|every| {
        let done = done.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let d = done.load(Ordering::Relaxed);
                eprintln!(
                    "  ... {d}/{n} sent, {:.0}/s",
                    d as f64 / start.elapsed().as_secs_f64()
                );
            }
        })
    });
    let mut tasks = Vec::new();
    for _ in 0..options.concurrency {
        let (address, url, auth, next, done, make) = (
            address.clone(),
            url.clone(),
            auth.clone(),
            next.clone(),
            done.clone(),
            make.clone(),
        );
        let retry = options.retry_overload;
        let gzip = options.gzip;
        let sample_every = options.sample_every.max(1);
        tasks.push(tokio::spawn(async move {
            let mut r = LoadResult::default();
            let mut last = Instant::now();
            let mut connection: Option<Connection> = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let body = make(i);
                let mut backoff = Duration::from_millis(20);
                loop {
                    let t0 = Instant::now();
                    let request = envelope_request(&url, &auth, gzip, body.bytes.clone());
                    let status = match send(&mut connection, &address, request).await {
                        Ok(status) => status.to_string(),
                        Err(Failure::Timeout) => "timeout".to_owned(),
                        Err(Failure::Connection) => "connection error".to_owned(),
                    };
                    last = Instant::now();
                    let overloaded = status == "503" || status == "429";
                    if retry && overloaded {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                        continue;
                    }
                    r.sent += 1;
                    r.latencies_ms
                        .push(last.duration_since(t0).as_secs_f64() * 1e3);
                    if status.starts_with('2') {
                        r.accepted += 1;
                        if i % sample_every == 0 {
                            r.sampled_ids.push(body.event_id.clone());
                        }
                    }
                    *r.status.entry(status).or_default() += 1;
                    break;
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            (r, last)
        }));
    }
    let mut total = LoadResult::default();
    let mut end = start;
    for task in tasks {
        let (r, last) = task.await.expect("load worker");
        total.sent += r.sent;
        total.accepted += r.accepted;
        for (k, v) in r.status {
            *total.status.entry(k).or_default() += v;
        }
        total.latencies_ms.extend(r.latencies_ms);
        total.sampled_ids.extend(r.sampled_ids);
        end = end.max(last);
    }
    if let Some(p) = progress {
        p.abort();
    }
    total.wall_s = end.duration_since(start).as_secs_f64();
    total
        .latencies_ms
        .sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    (total, start)
}

/// Nearest-rank percentile of sorted values.
pub fn pct(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let idx = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[idx])
}

/// Where the bench reads "visible".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// `sum(issues.times_seen)` of the project: the issue read model.
    IssuesReadModel,
    /// `EventIngested` rows in the event log: committed, not necessarily projected.
    EventLog,
}

/// Counter positions of a project before a run.
pub struct Marks {
    project_id: i64,
    issues: i64,
    position: i64,
    has_issues_table: bool,
}

pub async fn marks(pool: &PgPool, project_id: i64) -> anyhow::Result<Marks> {
    let has_issues_table: bool = sqlx::query_scalar("SELECT to_regclass('issues') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    let issues = if has_issues_table {
        issues_seen(pool, project_id).await?
    } else {
        0
    };
    let position: i64 = sqlx::query_scalar(&format!(
        "SELECT coalesce(max(position), 0) FROM {}",
        log_relation(pool).await?
    ))
    .fetch_one(pool)
    .await?;
    Ok(Marks {
        project_id,
        issues,
        position,
        has_issues_table,
    })
}

/// The relation that holds the whole log: `log_events` where ingested events have their
/// own table, `events` in builds from before it (the bench also runs older builds).
pub async fn log_relation(pool: &PgPool) -> Result<&'static str, sqlx::Error> {
    let split: bool = sqlx::query_scalar("SELECT to_regclass('log_events') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    Ok(if split { "log_events" } else { "events" })
}

async fn issues_seen(pool: &PgPool, project_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(sum(times_seen), 0)::bigint FROM issues WHERE project_id = $1",
    )
    .bind(project_id)
    .fetch_one(pool)
    .await
}

async fn logged(pool: &PgPool, after: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {} WHERE position > $1 AND event_type = 'EventIngested'",
        log_relation(pool).await?
    ))
    .bind(after)
    .fetch_one(pool)
    .await
}

/// When everything accepted became visible.
pub struct Visible {
    pub counter: Counter,
    /// Seconds from the load's start until the counter reached `accepted`, if it did.
    pub after_s: Option<f64>,
    pub reached: i64,
}

/// Polls until the issue read model counts the events `result` saw accepted, beyond
/// `marks`.
/// If it stays at zero for `grace` after the log holds them all, this build has no
/// issues projection: the event log is the counter instead.
pub async fn wait_visible(
    pool: &PgPool,
    marks: &Marks,
    result: &LoadResult,
    start: Instant,
    timeout: Duration,
) -> anyhow::Result<Visible> {
    let accepted = result.accepted as i64;
    let grace = Duration::from_secs(5);
    let deadline = Instant::now() + timeout;
    let mut log_done: Option<Instant> = None;
    let mut last_issues = 0;
    let mut last_log = 0;
    loop {
        let now = Instant::now();
        if marks.has_issues_table {
            last_issues = issues_seen(pool, marks.project_id).await? - marks.issues;
            if last_issues >= accepted {
                return Ok(Visible {
                    counter: Counter::IssuesReadModel,
                    after_s: Some(now.duration_since(start).as_secs_f64()),
                    reached: last_issues,
                });
            }
        }
        if log_done.is_none() {
            last_log = logged(pool, marks.position).await?;
            if last_log >= accepted {
                log_done = Some(now);
            }
        }
        if let Some(at) = log_done {
            if last_issues == 0 && (!marks.has_issues_table || now.duration_since(at) >= grace) {
                return Ok(Visible {
                    counter: Counter::EventLog,
                    after_s: Some(at.duration_since(start).as_secs_f64()),
                    reached: last_log,
                });
            }
        }
        if now >= deadline {
            let projecting = marks.has_issues_table && last_issues > 0;
            return Ok(Visible {
                counter: if projecting {
                    Counter::IssuesReadModel
                } else {
                    Counter::EventLog
                },
                after_s: None,
                reached: if projecting { last_issues } else { last_log },
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until projection `name`'s checkpoint (in any partition: the bench writes
/// one organization) reaches the log's last position as it is now; seconds since `start` then, `None` on timeout.
pub async fn wait_checkpoint(
    pool: &PgPool,
    name: &str,
    start: Instant,
    timeout: Duration,
) -> anyhow::Result<Option<f64>> {
    let target: i64 = sqlx::query_scalar(&format!(
        "SELECT coalesce(max(position), 0) FROM {}",
        log_relation(pool).await?
    ))
    .fetch_one(pool)
    .await?;
    let deadline = Instant::now() + timeout;
    loop {
        let reached: Option<i64> = sqlx::query_scalar(
            "SELECT max(last_position) FROM projection_checkpoints WHERE name = $1",
        )
        .bind(name)
        .fetch_one(pool)
        .await?;
        let now = Instant::now();
        if reached.is_some_and(|position| position >= target) {
            return Ok(Some(now.duration_since(start).as_secs_f64()));
        }
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One keep-alive HTTP/1.1 connection of one load worker. Raw hyper rather than a
/// pooled client: the generator shares the cores with the server it measures, and a
/// connection per worker needs no pool, URL parsing or redirect handling per request.
type Connection = hyper::client::conn::http1::SendRequest<http_body_util::Full<Bytes>>;

enum Failure {
    Timeout,
    Connection,
}

fn envelope_request(
    url: &str,
    auth: &str,
    gzip: bool,
    body: Bytes,
) -> hyper::Request<http_body_util::Full<Bytes>> {
    let mut request = hyper::Request::post(url)
        .header("Host", "faultline")
        .header("X-Sentry-Auth", auth)
        .header("User-Agent", USER_AGENT)
        .header("Content-Type", "application/x-sentry-envelope");
    if gzip {
        request = request.header("Content-Encoding", "gzip");
    }
    request
        .body(http_body_util::Full::new(body))
        .expect("a valid request")
}

/// Sends `request` on the worker's connection (opening one if there is none) and
/// reads the whole answer; a failed connection is dropped so the next request opens
/// a fresh one.
async fn send(
    connection: &mut Option<Connection>,
    address: &str,
    request: hyper::Request<http_body_util::Full<Bytes>>,
) -> Result<u16, Failure> {
    use http_body_util::BodyExt;
    let exchange = async {
        if connection.as_ref().is_none_or(|c| c.is_closed()) {
            let stream = tokio::net::TcpStream::connect(address)
                .await
                .map_err(|_| Failure::Connection)?;
            stream.set_nodelay(true).map_err(|_| Failure::Connection)?;
            let (sender, driver) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|_| Failure::Connection)?;
            tokio::spawn(driver);
            *connection = Some(sender);
        }
        let sender = connection.as_mut().expect("opened above");
        sender.ready().await.map_err(|_| Failure::Connection)?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|_| Failure::Connection)?;
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|_| Failure::Connection)?;
        Ok(status)
    };
    let outcome = match tokio::time::timeout(Duration::from_secs(60), exchange).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure::Timeout),
    };
    if outcome.is_err() {
        *connection = None;
    }
    outcome
}
