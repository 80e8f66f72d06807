//! An aggregate's state at a point in time: its stream's events up to then, upcast
//! and folded with the domain's own `Aggregate::apply`.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::PgPool;

use super::stream::{for_each, Payload};
use super::HistoryError;

/// An aggregate rebuilt from a prefix of its stream.
#[derive(Debug, Serialize)]
pub struct Folded<A> {
    /// The aggregate type.
    pub aggregate_type: &'static str,
    /// The stream id.
    pub aggregate_id: String,
    /// The time asked for (none: now).
    pub as_of: Option<DateTime<Utc>>,
    /// How many events were folded.
    pub events: u64,
    /// The sequence of the last folded event (0: none).
    pub sequence: i64,
    /// When the last folded event was recorded.
    pub last_recorded_at: Option<DateTime<Utc>>,
    /// The state.
    pub state: A,
}

/// Folds the events of `aggregate_id` recorded at or before `as_of` (all of them
/// without it). Snapshots are not used: they hold only the latest state.
pub async fn as_of<A: Aggregate>(
    pool: &PgPool,
    aggregate_id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Folded<A>, HistoryError> {
    let mut state = A::default();
    let mut sequence = 0;
    let mut last_recorded_at = None;
    let events = for_each(
        pool,
        A::TYPE,
        aggregate_id,
        as_of,
        Payload::Whole,
        |event| {
            sequence = event.sequence;
            last_recorded_at = Some(event.recorded_at);
            state.apply(event.decode::<A::Event>()?);
            Ok(())
        },
    )
    .await?;
    Ok(Folded {
        aggregate_type: A::TYPE,
        aggregate_id: aggregate_id.to_owned(),
        as_of,
        events,
        sequence,
        last_recorded_at,
        state,
    })
}
