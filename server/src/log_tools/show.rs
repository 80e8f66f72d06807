//! `faultline log show`.

use std::io::Write;

use chrono::SecondsFormat;
use faultline_domain::metadata::ACTOR;
use faultline_projections::history::resolve::stream_id;
use faultline_projections::history::stream::{for_each, Payload};
use sqlx::PgPool;

use super::args::AggregateArg;
use super::summary::summarize;

/// Prints the stream's events, oldest first, one line each:
/// `position  recorded_at  actor  event_type  summary`.
pub async fn run(pool: &PgPool, aggregate: AggregateArg, id: &str) -> anyhow::Result<()> {
    let aggregate_type = aggregate.aggregate_type();
    let stream = stream_id(pool, aggregate_type, id).await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(out, "# {aggregate_type} {stream}")?;
    let count = for_each(
        pool,
        aggregate_type,
        &stream,
        None,
        Payload::Head,
        |event| {
            let payload = event.current_payload()?;
            writeln!(
                out,
                "{:>8}  {}  {:<24}  {:<18}  {}",
                event.position,
                event
                    .recorded_at
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
                event.metadata_str(ACTOR).unwrap_or("-"),
                event.event_type,
                summarize(&event.event_type, &payload),
            )?;
            Ok(())
        },
    )
    .await?;
    out.flush()?;
    if count == 0 {
        anyhow::bail!("{aggregate_type} {stream} has no events");
    }
    Ok(())
}
