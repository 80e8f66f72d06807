//! Executes domain commands: load, decide, append, with one writer per aggregate.

use std::sync::Arc;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, EventEnvelope};
use dashmap::DashMap;
use faultline_domain::log_position::LogPosition;
use faultline_domain::metadata::EventMetadata;
use sqlx::PgPool;
use tokio::sync::Mutex;

use crate::error::{CommandError, StoreError};
use crate::store::{AggregateStore, EventLog, Placed};
use crate::unique::UniqueKeys;

/// How often a command is re-decided after another process won the race for its
/// aggregate. In-process writers never race: they queue on the aggregate's lock.
const CONFLICT_RETRIES: usize = 5;

/// What a successful command wrote.
#[derive(Debug)]
pub struct Committed<A: Aggregate> {
    /// The new events (empty when the command changed nothing).
    pub events: Vec<EventEnvelope<A>>,
    /// The log position of the last new event: wait for projections to pass it
    /// before reading them back.
    pub last_position: Option<LogPosition>,
    /// The partition of the log (organization; 0 for none) the events were written
    /// to: `last_position` is a place in its order.
    pub partition: i64,
    /// The aggregate's state after the command.
    pub aggregate: A,
}

/// Runs commands against the event store.
pub struct CommandBus {
    log: EventLog,
    snapshot_every: i64,
    /// One lock per aggregate being written, so that concurrent requests for a hot
    /// aggregate queue instead of failing each other's optimistic concurrency check.
    locks: DashMap<(&'static str, String), Arc<Mutex<()>>>,
}

impl CommandBus {
    /// A bus over this pool, snapshotting aggregates every 100 events.
    pub fn new(pool: PgPool) -> Self {
        Self {
            log: EventLog::new(pool),
            snapshot_every: 100,
            locks: DashMap::new(),
        }
    }

    /// The event log the bus appends to.
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// Executes `command` on the aggregate `aggregate_id`; every new event carries
    /// `metadata`. The stream is read from the organization its id names, if it names
    /// one ([`crate::placement::Placement::organization_of_id`]), else from every
    /// partition: a caller that knows the organization says so with
    /// [`CommandBus::execute_in`].
    pub async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Committed<A>, CommandError<A::Error>>
    where
        A: UniqueKeys<Services = ()>,
        A::Command: Clone,
        A::Error: 'static,
    {
        self.execute_in(
            A::organization_of_id(aggregate_id),
            aggregate_id,
            command,
            metadata,
        )
        .await
    }

    /// Executes `command` on the aggregate `aggregate_id` of `organization` (`None`:
    /// not known), reading its stream from that partition of the log alone: on Citus
    /// one worker, so a worker that is down fails only its own organizations'
    /// commands. Events that would land in another organization are refused as a
    /// store error: the caller named the wrong one.
    #[tracing::instrument(
        name = "faultline.command",
        skip_all,
        fields(aggregate_type = A::TYPE, aggregate_id, organization, events = tracing::field::Empty),
        err
    )]
    pub async fn execute_in<A>(
        &self,
        organization: Option<i64>,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Committed<A>, CommandError<A::Error>>
    where
        A: UniqueKeys<Services = ()>,
        A::Command: Clone,
        A::Error: 'static,
    {
        let store = AggregateStore::<A>::new(self.log.clone()).with_snapshots(self.snapshot_every);
        let key = (A::TYPE, aggregate_id.to_owned());
        let lock = self.locks.entry(key.clone()).or_default().clone();
        let result = {
            let _guard = lock.lock().await;
            self.decide_and_append(&store, organization, aggregate_id, command, metadata)
                .await
        };
        drop(lock);
        self.locks
            .remove_if(&key, |_, lock| Arc::strong_count(lock) == 1);
        if let Ok(committed) = &result {
            tracing::Span::current().record("events", committed.events.len());
        }
        result
    }

    async fn decide_and_append<A>(
        &self,
        store: &AggregateStore<A>,
        organization: Option<i64>,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Committed<A>, CommandError<A::Error>>
    where
        A: UniqueKeys<Services = ()>,
        A::Command: Clone,
        A::Error: 'static,
    {
        let mut attempt = 0;
        loop {
            let mut context = store.load(aggregate_id, organization).await?;
            let sink = EventSink::default();
            context
                .aggregate
                .handle(command.clone(), &(), &sink)
                .await
                .map_err(CommandError::Refused)?;
            let events = sink.collect().await;
            let claims = A::claim_changes(&context.aggregate, &events);
            let ingested_in: Vec<Option<i64>> = events
                .iter()
                .map(|event| A::ingested_in(&context.aggregate, event))
                .collect();
            let partition = crate::placement::partition_of(&context.aggregate, &events);
            if organization.is_some_and(|named| named != partition) && !events.is_empty() {
                return Err(StoreError::Partition {
                    aggregate_id: aggregate_id.to_owned(),
                    named: organization.unwrap_or_default(),
                    found: partition,
                }
                .into());
            }
            let placement = Placed {
                ingested_in: &ingested_in,
                organization_id: partition,
            };
            match store
                .append(events, &context, metadata.to_map(), &claims, placement)
                .await
            {
                Ok((events, positions)) => {
                    return Ok(Committed {
                        events,
                        last_position: positions.last().copied(),
                        partition,
                        aggregate: context.aggregate,
                    })
                }
                Err(StoreError::Conflict { .. }) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(attempt, "aggregate conflict, deciding again");
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
}
