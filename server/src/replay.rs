//! `faultline replay` and `faultline verify`: rebuild read models from the log.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use faultline_projections::registry;
use faultline_projections::replay::{Purpose, ReplayError, Shadow, Until};
use faultline_projections::Projection;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sqlx::PgPool;

use crate::config::{ProjectionSelection, ReplayArgs, VerifyArgs};

/// How often progress is logged when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(2);

/// Rebuilds the selected read models and swaps each in; on `--stop-after` leaves
/// them half-built, to be resumed. Read models are independent, so without a budget
/// they are rebuilt side by side (one small model need not wait for a large one).
pub async fn replay(pool: &PgPool, args: &ReplayArgs) -> anyhow::Result<()> {
    let (selected, organization) =
        select(pool, &args.selection, args.organization.as_deref()).await?;
    let bars = MultiProgress::new();
    if args.stop_after.is_none() {
        let rebuilds = selected
            .into_iter()
            .map(|projection| replay_one(pool, projection, organization, args, &bars, None));
        for outcome in futures::future::join_all(rebuilds).await {
            outcome?;
        }
        return Ok(());
    }
    let mut budget = args.stop_after;
    for projection in selected {
        if !replay_one(
            pool,
            projection,
            organization,
            args,
            &bars,
            Some(&mut budget),
        )
        .await?
        {
            return Ok(());
        }
    }
    Ok(())
}

/// Rebuilds and swaps in one read model; false if the budget stopped it first.
async fn replay_one(
    pool: &PgPool,
    projection: Arc<dyn Projection>,
    organization: Option<i64>,
    args: &ReplayArgs,
    bars: &MultiProgress,
    budget: Option<&mut Option<i64>>,
) -> anyhow::Result<bool> {
    let name = projection.name();
    let (shadow, resumed) = open(pool, projection, Purpose::Replay, args.fresh, organization)
        .await
        .with_context(|| format!("cannot prepare the rebuild of {name}"))?;
    let before = shadow.state().await?;
    if resumed {
        tracing::info!(
            projection = name,
            events_applied = before.events_applied,
            "resuming an interrupted rebuild"
        );
    }
    let started = Instant::now();
    let mut unlimited = None;
    let budget = budget.unwrap_or(&mut unlimited);
    let finished = fill(&shadow, args.batch_size, &Until::End, budget, bars).await?;
    if !finished {
        let state = shadow.state().await?;
        tracing::warn!(
            projection = name,
            events_applied = state.events_applied,
            "rebuild stopped before the end; run replay again to resume"
        );
        return Ok(false);
    }
    let state = shadow
        .swap(args.batch_size)
        .await
        .with_context(|| format!("cannot swap in the rebuilt {name}"))?;
    let applied = state.events_applied - before.events_applied;
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        projection = name,
        events = state.events_applied,
        seconds,
        events_per_second = (applied as f64 / seconds.max(1e-9)).round(),
        position = state.position.position,
        "read model rebuilt and swapped in"
    );
    println!(
        "{name}: {} events, {applied} in this run in {seconds:.1} s ({:.0} events/s), live at position {}",
        state.events_applied,
        applied as f64 / seconds.max(1e-9),
        state.position.position
    );
    Ok(true)
}

/// Rebuilds the selected read models into shadow tables up to where the live ones
/// stand and compares them; prints every difference. Returns whether all are identical.
pub async fn verify(pool: &PgPool, args: &VerifyArgs) -> anyhow::Result<bool> {
    let mut identical = true;
    let (selected, organization) =
        select(pool, &args.selection, args.organization.as_deref()).await?;
    for projection in selected {
        let name = projection.name();
        let (shadow, _) = open(pool, projection, Purpose::Verify, true, organization)
            .await
            .with_context(|| format!("cannot prepare the rebuild of {name}"))?;
        let live = shadow.live_positions().await?;
        fill(
            &shadow,
            args.batch_size,
            &live,
            &mut None,
            &MultiProgress::new(),
        )
        .await?;
        let comparison = shadow.compare(args.batch_size, args.max_rows).await;
        shadow.discard().await?;
        let comparison = comparison.with_context(|| format!("cannot compare {name}"))?;
        for table in &comparison.tables {
            if table.is_identical() {
                println!(
                    "{name}.{}: identical ({} rows)",
                    table.table, table.live_rows
                );
                continue;
            }
            identical = false;
            println!(
                "{name}.{}: DIFFERENT (live {} rows, rebuilt {} rows; {} live rows missing from the rebuild, {} rebuilt rows not live)",
                table.table,
                table.live_rows,
                table.rebuilt_rows,
                table.missing_count,
                table.unexpected_count
            );
            for row in &table.missing {
                println!("  - live only:    {row}");
            }
            for row in &table.unexpected {
                println!("  + rebuilt only: {row}");
            }
        }
        println!(
            "{name}: compared at position {} after {} events",
            comparison.position.position, comparison.events_applied
        );
    }
    Ok(identical)
}

/// Opens the projection's shadow, of one organization or of all.
async fn open(
    pool: &PgPool,
    projection: Arc<dyn Projection>,
    purpose: Purpose,
    fresh: bool,
    organization: Option<i64>,
) -> Result<(Shadow, bool), ReplayError> {
    match organization {
        None => Shadow::open(pool, projection, purpose, fresh).await,
        Some(id) => Shadow::open_organization(pool, projection, purpose, fresh, id).await,
    }
}

/// The projections the selection names, in registry order, and the id of the one
/// organization it is narrowed to. With an organization, `--all` keeps the read
/// models that can be rebuilt per organization (saying which it skips), and naming
/// one that cannot is an error.
async fn select(
    pool: &PgPool,
    selection: &ProjectionSelection,
    organization: Option<&str>,
) -> anyhow::Result<(Vec<Arc<dyn Projection>>, Option<i64>)> {
    let every = registry::durable();
    for name in &selection.names {
        if !every.iter().any(|p| p.name() == name) {
            let known: Vec<_> = every.iter().map(|p| p.name()).collect();
            bail!("no read model named {name:?} (known: {})", known.join(", "));
        }
    }
    let selected: Vec<_> = every
        .into_iter()
        .filter(|p| selection.all || selection.names.iter().any(|n| n == p.name()))
        .collect();
    let Some(slug) = organization else {
        return Ok((selected, None));
    };
    let organization: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = $1")
        .bind(slug)
        .fetch_optional(pool)
        .await?
        .with_context(|| format!("no organization {slug:?}"))?;
    let (per_organization, whole): (Vec<_>, Vec<_>) = selected
        .into_iter()
        .partition(|p| p.organization_column().is_some());
    for projection in &whole {
        let name = projection.name();
        if !selection.all {
            bail!(ReplayError::NotPerOrganization { projection: name });
        }
        println!("{name}: skipped, its tables do not name each row's organization (rebuild it without --organization)");
    }
    Ok((per_organization, Some(organization)))
}

/// Applies batches until nothing is readable (or `until` is reached), showing
/// progress; returns false if `budget` ran out first.
async fn fill(
    shadow: &Shadow,
    batch: i64,
    until: &Until,
    budget: &mut Option<i64>,
    bars: &MultiProgress,
) -> anyhow::Result<bool> {
    let name = shadow.projection().name();
    let remaining = shadow.remaining().await?;
    let bar = progress_bar(bars, name, remaining);
    let started = Instant::now();
    let mut last_log = Instant::now();
    let mut applied: u64 = 0;
    let report = |n: usize| {
        applied += n as u64;
        bar.inc(n as u64);
        if bar.is_hidden() && last_log.elapsed() >= LOG_EVERY {
            last_log = Instant::now();
            let rate = applied as f64 / started.elapsed().as_secs_f64().max(1e-9);
            tracing::info!(
                projection = name,
                applied,
                remaining = (remaining as u64).saturating_sub(applied),
                events_per_second = rate.round(),
                "rebuilding"
            );
        }
    };
    let limit = *budget;
    let finished = shadow
        .fill(until, batch, limit, report)
        .await
        .with_context(|| format!("the rebuild of {name} failed"))?;
    if let Some(left) = budget.as_mut() {
        *left -= applied as i64;
    }
    if !finished {
        bar.abandon();
        return Ok(false);
    }
    bar.finish_and_clear();
    Ok(true)
}

fn progress_bar(bars: &MultiProgress, name: &str, total: i64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = bars.add(ProgressBar::new(total.max(0) as u64));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>14} [{bar:40}] {pos}/{len} events {per_sec} eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}
