//! The ingestion write path: accepted events become `EventIngested` on their issue's
//! stream, many events per transaction (group commit).
//!
//! Request handlers normalise and group events in parallel, then hand each one to
//! the [`Ingestor`] and wait for its durable commit. The ingestor is one task per
//! process: it drains whatever jobs are queued, decides them against issue state it
//! keeps in memory (loaded from snapshot + tail on a miss), appends all resulting
//! events in one multi-row insert, and answers every job after the commit. Being the
//! only in-process writer of issue streams, it never races itself on a hot issue;
//! another process writing the same issue makes the batch conflict, and the batch is
//! decided again from fresh state.

mod metrics;
mod pipeline;

pub use metrics::describe_metrics;
pub use pipeline::{
    ingested_payload, IngestError, IngestJob, IngestedPayload, Ingestor, IngestorConfig, IssueDraft,
};
