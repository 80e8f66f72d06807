//! `faultline log export`.

use std::io::Write;

use faultline_projections::history::export::{export, ExportFilter};
use faultline_projections::history::resolve::stream_id;
use sqlx::PgPool;

use super::args::ExportArgs;

/// Streams the selected events to stdout through a buffer; the count goes to stderr.
pub async fn run(pool: &PgPool, args: ExportArgs) -> anyhow::Result<()> {
    let org_id = match &args.org {
        Some(org) => Some(stream_id(pool, "organization", org).await?.parse()?),
        None => None,
    };
    let filter = ExportFilter {
        org_id,
        since: args.since,
        until: args.until,
        types: args.types,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    let count = export(pool, &filter, &mut out).await?;
    out.flush()?;
    tracing::info!(events = count, "log exported");
    Ok(())
}
