//! cqrs-es's `EventStore` over our [`EventLog`], with correct snapshots.

use std::collections::HashMap;
use std::marker::PhantomData;

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, DomainEvent, EventEnvelope, EventStore,
};
use faultline_domain::log_position::LogPosition;
use faultline_domain::upcast;
use serde_json::Value;

use super::event_log::{EventLog, NewEvent, StoredRow};
use crate::error::StoreError;
use crate::placement::{partition_of, Placement};
use crate::unique::ClaimChange;

/// Takes or gives up the aggregate's unique values, inside the append transaction.
async fn apply_claims(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    aggregate_id: &str,
    aggregate_type: &str,
    claims: &[ClaimChange],
) -> Result<(), StoreError> {
    let owner = format!("{aggregate_type}:{aggregate_id}");
    for claim in claims {
        let scope = match claim {
            ClaimChange::Set { scope, .. } | ClaimChange::Release { scope } => scope,
        };
        sqlx::query("DELETE FROM unique_claims WHERE scope = $1 AND owner = $2")
            .bind(scope)
            .bind(&owner)
            .execute(&mut **tx)
            .await?;
        if let ClaimChange::Set { scope, key } = claim {
            sqlx::query("INSERT INTO unique_claims (scope, key, owner) VALUES ($1, $2, $3)")
                .bind(scope)
                .bind(key)
                .bind(&owner)
                .execute(&mut **tx)
                .await
                .map_err(|error| match &error {
                    sqlx::Error::Database(db) if db.constraint() == Some("unique_claims_taken") => {
                        StoreError::Taken {
                            scope: scope.clone(),
                            key: key.clone(),
                        }
                    }
                    _ => StoreError::Database(error),
                })?;
        }
    }
    Ok(())
}

/// An aggregate loaded from the log, ready for a command. cqrs-es's `handle` mutates
/// [`LoadedAggregate::aggregate`] in place, so at commit time it already holds the
/// state after the new events: that is what a snapshot stores, without applying the
/// events a second time.
#[derive(Debug)]
pub struct LoadedAggregate<A: Aggregate> {
    /// The stream's aggregate id.
    pub aggregate_id: String,
    /// The state (after `handle`, the state including the new events).
    pub aggregate: A,
    /// The sequence of the last stored event (0 for a new aggregate).
    pub current_sequence: i64,
}

impl<A: Aggregate> AggregateContext<A> for LoadedAggregate<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

/// Where an append's events go ([`crate::placement::Placement`]).
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    /// The project whose ingested data the event at `i` is, if any
    /// ([`NewEvent::ingested_in`]); an event past the end is kept for good.
    pub ingested_in: &'a [Option<i64>],
    /// The log partition of them all ([`NewEvent::organization_id`]).
    pub organization_id: i64,
}

/// The event store of one aggregate type.
pub struct AggregateStore<A: Aggregate> {
    log: EventLog,
    /// Write a snapshot every `snapshot_every` events; 0 = never.
    snapshot_every: i64,
    upcasters: Vec<Box<dyn EventUpcaster>>,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A: Aggregate> AggregateStore<A> {
    /// A store with no snapshots and the domain's upcasters of `A`'s events
    /// ([`super::upcasters::registered`]).
    pub fn new(log: EventLog) -> Self {
        Self {
            log,
            snapshot_every: 0,
            upcasters: super::upcasters::registered(A::TYPE),
            _aggregate: PhantomData,
        }
    }

    /// Snapshots the aggregate every `events` events.
    pub fn with_snapshots(mut self, events: i64) -> Self {
        self.snapshot_every = events;
        self
    }

    /// Replaces the upcasters that turn older stored event shapes into the current
    /// one on load.
    pub fn with_upcasters(mut self, upcasters: Vec<Box<dyn EventUpcaster>>) -> Self {
        self.upcasters = upcasters;
        self
    }

    async fn load_snapshot(&self, aggregate_id: &str) -> Result<Option<(A, i64)>, StoreError> {
        let row: Option<(Value, i64)> = sqlx::query_as(
            "SELECT payload, last_sequence FROM snapshots
              WHERE aggregate_type = $1 AND aggregate_id = $2",
        )
        .bind(A::TYPE)
        .bind(aggregate_id)
        .fetch_optional(self.log.pool())
        .await?;
        let Some((payload, last_sequence)) = row else {
            return Ok(None);
        };
        // A snapshot of an older state shape is only a cache: fall back to the events.
        match serde_json::from_value::<A>(payload) {
            Ok(aggregate) => Ok(Some((aggregate, last_sequence))),
            Err(error) => {
                tracing::warn!(aggregate_type = A::TYPE, aggregate_id, %error, "snapshot ignored");
                Ok(None)
            }
        }
    }

    fn decode(&self, aggregate_id: &str, row: StoredRow) -> Result<EventEnvelope<A>, StoreError> {
        let (payload, version) = upcast::rejoin_row(
            &row.event_type,
            &row.event_version,
            row.payload,
            row.body.as_deref(),
        );
        let mut serialized = SerializedEvent {
            aggregate_id: aggregate_id.to_owned(),
            sequence: row.sequence as usize,
            aggregate_type: A::TYPE.to_owned(),
            event_type: row.event_type,
            event_version: version.to_owned(),
            payload,
            metadata: row.metadata,
        };
        for upcaster in &self.upcasters {
            if upcaster.can_upcast(&serialized.event_type, &serialized.event_version) {
                serialized = upcaster.upcast(serialized);
            }
        }
        let payload: A::Event =
            serde_json::from_value(serialized.payload).map_err(|source| StoreError::Decode {
                what: format!("{} event {}", A::TYPE, serialized.event_type),
                source,
            })?;
        let metadata: HashMap<String, String> = serde_json::from_value(serialized.metadata)
            .map_err(|source| StoreError::Decode {
                what: "event metadata".to_owned(),
                source,
            })?;
        Ok(EventEnvelope {
            aggregate_id: aggregate_id.to_owned(),
            sequence: serialized.sequence,
            payload,
            metadata,
        })
    }

    /// Loads the aggregate: its snapshot, if any, then the events after it, read from
    /// the partition of `organization` when the caller knows it
    /// ([`EventLog::stream`]).
    pub async fn load(
        &self,
        aggregate_id: &str,
        organization: Option<i64>,
    ) -> Result<LoadedAggregate<A>, StoreError> {
        let (mut aggregate, snapshot_sequence) = self
            .load_snapshot(aggregate_id)
            .await?
            .unwrap_or_else(|| (A::default(), 0));
        let rows = self
            .log
            .stream(A::TYPE, aggregate_id, snapshot_sequence, organization)
            .await?;
        let mut current_sequence = snapshot_sequence;
        for row in rows {
            current_sequence = row.sequence;
            aggregate.apply(self.decode(aggregate_id, row)?.payload);
        }
        Ok(LoadedAggregate {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            current_sequence,
        })
    }

    /// Appends `events` after the context's sequence, with a snapshot when one is due,
    /// in one transaction; returns the envelopes and their log positions. The events
    /// go where `placed` says.
    pub async fn append(
        &self,
        events: Vec<A::Event>,
        context: &LoadedAggregate<A>,
        metadata: HashMap<String, String>,
        claims: &[ClaimChange],
        placed: Placed<'_>,
    ) -> Result<(Vec<EventEnvelope<A>>, Vec<LogPosition>), StoreError> {
        if events.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let metadata_json = serde_json::to_value(&metadata).map_err(StoreError::Encode)?;
        let mut rows = Vec::with_capacity(events.len());
        let mut envelopes = Vec::with_capacity(events.len());
        for (offset, event) in events.into_iter().enumerate() {
            let sequence = context.current_sequence + 1 + offset as i64;
            rows.push(NewEvent {
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: context.aggregate_id.clone(),
                sequence,
                event_type: event.event_type(),
                event_version: event.event_version(),
                payload: serde_json::to_value(&event)
                    .map_err(StoreError::Encode)?
                    .into(),
                body: None,
                metadata: metadata_json.clone(),
                ingested_in: placed.ingested_in.get(offset).copied().flatten(),
                organization_id: placed.organization_id,
            });
            envelopes.push(EventEnvelope {
                aggregate_id: context.aggregate_id.clone(),
                sequence: sequence as usize,
                payload: event,
                metadata: metadata.clone(),
            });
        }
        let last_sequence = context.current_sequence + rows.len() as i64;
        let mut tx = self.log.pool().begin().await?;
        let positions = EventLog::append_in(&mut tx, &rows).await?;
        apply_claims(&mut tx, &context.aggregate_id, A::TYPE, claims).await?;
        if self.snapshot_due(context.current_sequence, last_sequence) {
            let payload = serde_json::to_value(&context.aggregate).map_err(StoreError::Encode)?;
            sqlx::query(
                "INSERT INTO snapshots
                     (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
                 VALUES ($1, $2, $3, 1, $4)
                 ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
                    SET last_sequence = EXCLUDED.last_sequence,
                        current_snapshot = snapshots.current_snapshot + 1,
                        payload = EXCLUDED.payload
                  WHERE snapshots.last_sequence < EXCLUDED.last_sequence",
            )
            .bind(A::TYPE)
            .bind(&context.aggregate_id)
            .bind(last_sequence)
            .bind(payload)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((envelopes, positions))
    }

    fn snapshot_due(&self, before: i64, after: i64) -> bool {
        self.snapshot_every > 0 && before / self.snapshot_every != after / self.snapshot_every
    }
}

impl<A> EventStore<A> for AggregateStore<A>
where
    A: Placement,
    A::Error: 'static,
{
    type AC = LoadedAggregate<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let rows = self
            .log
            .stream(
                A::TYPE,
                aggregate_id,
                0,
                A::organization_of_id(aggregate_id),
            )
            .await?;
        rows.into_iter()
            .map(|row| self.decode(aggregate_id, row).map_err(AggregateError::from))
            .collect()
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<Self::AC, AggregateError<A::Error>> {
        Ok(self
            .load(aggregate_id, A::organization_of_id(aggregate_id))
            .await?)
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let placed = Placed {
            ingested_in: &[],
            organization_id: partition_of(&context.aggregate, &events),
        };
        let (envelopes, _positions) = self.append(events, &context, metadata, &[], placed).await?;
        Ok(envelopes)
    }
}
