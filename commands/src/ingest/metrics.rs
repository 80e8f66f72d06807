//! What the ingestor reports to the process's metrics recorder.

use std::time::Duration;

/// Events in each batch the ingestor decides and commits.
const BATCH_SIZE: &str = "faultline_ingest_batch_events";
/// Time from a batch's first decision to its commit, retries included.
const COMMIT_DURATION: &str = "faultline_ingest_commit_seconds";
/// Batches by outcome (`committed`, `failed`).
const BATCHES: &str = "faultline_ingest_batches_total";

/// Describes the ingestor's metrics to the installed recorder.
pub fn describe_metrics() {
    metrics::describe_histogram!(BATCH_SIZE, "Events per ingestor batch");
    metrics::describe_histogram!(
        COMMIT_DURATION,
        metrics::Unit::Seconds,
        "Ingestor batch latency from first decision to commit, retries included"
    );
    metrics::describe_counter!(BATCHES, "Ingestor batches by outcome");
}

/// Records one batch of `events` that took `took` and ended as `outcome`.
pub(super) fn record_batch(events: usize, took: Duration, committed: bool) {
    let outcome = if committed { "committed" } else { "failed" };
    metrics::histogram!(BATCH_SIZE).record(events as f64);
    metrics::histogram!(COMMIT_DURATION, "outcome" => outcome).record(took.as_secs_f64());
    metrics::counter!(BATCHES, "outcome" => outcome).increment(1);
}
