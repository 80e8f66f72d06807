//! Prometheus metrics: the recorder, the names every layer records under, and the
//! bounded label values they use.
//!
//! Counters and histograms are recorded where things happen (the `metrics` facade:
//! requests here, ingest outcomes in the ingest routes, batches in
//! `faultline_commands::ingest`); gauges that describe the database (projection lag
//! and position, the pool) are read when `/metrics` is scraped, so every process
//! reports the shared log's state. Label
//! values come from fixed sets or route templates, never from raw input: one series
//! per client-chosen string would grow without bound.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Request latency by route template, method and status class.
pub const HTTP_REQUEST_DURATION: &str = "faultline_http_request_duration_seconds";
/// Ingest requests by endpoint and outcome.
pub const INGEST_REQUESTS: &str = "faultline_ingest_requests_total";
/// Envelope items (a `store` body is one `event` item) by item type and outcome.
pub const INGEST_ITEMS: &str = "faultline_ingest_items_total";

/// Second-valued histograms: 1 ms to 30 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Ingestor batch sizes, in events.
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0,
];

/// Installs the process-wide Prometheus recorder (once per process) and returns the
/// handle that renders it.
pub fn install() -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Suffix("_events".into()), BATCH_BUCKETS)?
        .install_recorder()?;
    metrics_process::Collector::default().describe();
    describe();
    Ok(handle)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "HTTP request latency by route template, method and status class"
    );
    describe_counter!(
        INGEST_REQUESTS,
        "Ingest requests (envelope, store) by outcome"
    );
    describe_counter!(
        INGEST_ITEMS,
        "Envelope items by item type and outcome; a store body is one event item"
    );
    describe_gauge!(
        PROJECTION_LAG,
        "Events of the log a projection has not applied yet (capped at one million)"
    );
    describe_gauge!(
        PROJECTION_POSITION,
        "Log position of the last event a projection applied"
    );
    describe_gauge!(
        PROJECTION_FAILED,
        "1 when a projection stopped on an event it could not apply"
    );
    describe_gauge!(DB_POOL_CONNECTIONS, "Database pool connections by state");
    describe_gauge!(DB_POOL_MAX, "Most connections the database pool opens");
    describe_gauge!(
        DB_POOL_ACQUIRE_WAIT,
        Unit::Seconds,
        "How long the last scrape waited for a pool connection: above zero when every connection was busy and requests queued"
    );
    describe_gauge!(
        LOG_TABLE_BYTES,
        Unit::Bytes,
        "Size on disk of a table of the event log, indexes and TOAST included"
    );
    describe_gauge!(
        LOG_TABLE_ROWS,
        "Rows of a table of the event log, as PostgreSQL last estimated them"
    );
    describe_counter!(
        RETENTION_EXPIRED_ISSUES,
        "Issues this process's retention passes deleted for being past their project's retention"
    );
    describe_counter!(
        RETENTION_DROPPED_PARTITIONS,
        "Partitions of ingested events this process's retention passes summarized and dropped"
    );
    describe_counter!(
        RETENTION_DROPPED_EVENTS,
        "Ingested events in the partitions this process's retention passes dropped"
    );
    describe_gauge!(
        RETENTION_HELD_BACK,
        "1 when this process's last retention pass kept a partition whose time had come (a read model behind, a rebuild in progress)"
    );
    describe_gauge!(
        RETENTION_LAST_PASS,
        Unit::Seconds,
        "Unix time this process last ended a retention pass"
    );
    faultline_commands::ingest::describe_metrics();
}

/// Bytes of a table of the log, by `table`.
pub const LOG_TABLE_BYTES: &str = "faultline_log_table_bytes";
/// Estimated rows of a table of the log, by `table`.
pub const LOG_TABLE_ROWS: &str = "faultline_log_table_rows";
/// Issues deleted by retention passes.
pub const RETENTION_EXPIRED_ISSUES: &str = "faultline_retention_expired_issues_total";
/// Partitions of ingested events dropped by retention passes.
pub const RETENTION_DROPPED_PARTITIONS: &str = "faultline_retention_dropped_partitions_total";
/// Ingested events in the dropped partitions.
pub const RETENTION_DROPPED_EVENTS: &str = "faultline_retention_dropped_events_total";
/// Whether the last pass was held back.
pub const RETENTION_HELD_BACK: &str = "faultline_retention_held_back";
/// When this process last ended a retention pass.
pub const RETENTION_LAST_PASS: &str = "faultline_retention_last_pass_timestamp_seconds";

/// Projection lag in events, by projection.
pub const PROJECTION_LAG: &str = "faultline_projection_lag_events";
/// Log position of the last applied event, by projection.
pub const PROJECTION_POSITION: &str = "faultline_projection_position";
/// Whether a projection has stopped on an event, by projection.
pub const PROJECTION_FAILED: &str = "faultline_projection_failed";
/// Pool connections by `state` (`idle`, `in_use`).
pub const DB_POOL_CONNECTIONS: &str = "faultline_db_pool_connections";
/// The pool's maximum size.
pub const DB_POOL_MAX: &str = "faultline_db_pool_max_connections";
/// The scrape's own wait for a connection.
pub const DB_POOL_ACQUIRE_WAIT: &str = "faultline_db_pool_acquire_wait_seconds";

/// Records every request's latency under its route template (`unmatched` for a path
/// no route knows).
pub async fn record_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = status_class(response.status().as_u16());
    metrics::histogram!(
        HTTP_REQUEST_DURATION,
        "route" => route,
        "method" => method,
        "status" => status,
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// The method, or `other` for an extension method (any token is a valid method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// An envelope item type as a label: the types Sentry SDKs send, `other` for the rest.
pub fn item_type_label(item_type: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "event",
        "transaction",
        "attachment",
        "session",
        "sessions",
        "client_report",
        "user_report",
        "feedback",
        "check_in",
        "profile",
        "profile_chunk",
        "replay_event",
        "replay_recording",
        "replay_video",
        "span",
        "log",
        "otel_log",
        "statsd",
        "metric_meta",
    ];
    KNOWN
        .iter()
        .find(|known| **known == item_type)
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_item_type_is_labelled_other() {
        assert_eq!(item_type_label("event"), "event");
        assert_eq!(item_type_label("client_report"), "client_report");
        assert_eq!(item_type_label("x-anything-a-client-sends"), "other");
    }

    #[test]
    fn statuses_are_labelled_by_class() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(503), "5xx");
    }
}
