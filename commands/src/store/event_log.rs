//! Raw appends to and reads from the `events` table.

use faultline_domain::log_position::LogPosition;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::error::StoreError;

/// The unique key that makes concurrent appends to one stream conflict.
const STREAM_SEQUENCE_KEY: &str = "events_stream_sequence";

/// An event's payload: a JSON value, or JSON text serialised ahead of time (the
/// ingestion path serialises each event in its request handler, on all cores,
/// rather than in the single ingestor task).
#[derive(Debug, Clone)]
pub enum EventPayload {
    /// A JSON value, serialised at append time.
    Value(Value),
    /// Valid JSON text.
    Json(std::sync::Arc<str>),
}

impl From<Value> for EventPayload {
    fn from(value: Value) -> Self {
        EventPayload::Value(value)
    }
}

/// One event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The aggregate type of the stream.
    pub aggregate_type: String,
    /// The aggregate id of the stream.
    pub aggregate_id: String,
    /// The event's sequence number in its stream (1-based).
    pub sequence: i64,
    /// The stable name of the event.
    pub event_type: String,
    /// The version of the event's payload shape.
    pub event_version: String,
    /// The event itself.
    pub payload: EventPayload,
    /// The `body` column: an `EventIngested` 4.0's compressed body
    /// (`faultline_domain::issue::body`), `None` for every other event.
    pub body: Option<std::sync::Arc<[u8]>>,
    /// Actor, request id, time.
    pub metadata: Value,
}

/// One event as read back from a stream.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRow {
    /// The event's sequence number in its stream.
    pub sequence: i64,
    /// The stable name of the event.
    pub event_type: String,
    /// The version of the event's payload shape.
    pub event_version: String,
    /// The event itself (without its body when that is in `body`).
    pub payload: Value,
    /// The `body` column (see [`NewEvent::body`]).
    pub body: Option<Vec<u8>>,
    /// Actor, request id, time.
    pub metadata: Value,
}

/// The `events` table.
#[derive(Debug, Clone)]
pub struct EventLog {
    pool: PgPool,
}

impl EventLog {
    /// An event log on this pool.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool the log writes through.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Appends `events` (of any streams) in one transaction and one insert; returns the
    /// log position of each, in input order. A sequence already taken in a stream
    /// means another writer won: [`StoreError::Conflict`], and nothing is written.
    #[tracing::instrument(name = "faultline.store.append", skip_all, fields(events = events.len()), err)]
    pub async fn append(&self, events: &[NewEvent]) -> Result<Vec<LogPosition>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let positions = Self::append_in(&mut tx, events).await?;
        tx.commit().await?;
        Ok(positions)
    }

    /// Appends inside the caller's transaction. The caller must not have written in
    /// this transaction before (a transaction's id is taken at its first write, and
    /// readers rely on a stream's later events having later transaction ids).
    pub async fn append_in(
        conn: &mut PgConnection,
        events: &[NewEvent],
    ) -> Result<Vec<LogPosition>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut types = Vec::with_capacity(events.len());
        let mut ids = Vec::with_capacity(events.len());
        let mut sequences = Vec::with_capacity(events.len());
        let mut event_types = Vec::with_capacity(events.len());
        let mut versions = Vec::with_capacity(events.len());
        let mut payloads = Vec::with_capacity(events.len());
        let mut metadata = Vec::with_capacity(events.len());
        let mut bodies = Vec::with_capacity(events.len());
        for event in events {
            types.push(event.aggregate_type.as_str());
            ids.push(event.aggregate_id.as_str());
            sequences.push(event.sequence);
            event_types.push(event.event_type.as_str());
            versions.push(event.event_version.as_str());
            payloads.push(match &event.payload {
                EventPayload::Value(value) => std::borrow::Cow::Owned(value.to_string()),
                EventPayload::Json(text) => std::borrow::Cow::Borrowed(&**text),
            });
            metadata.push(&event.metadata);
            bodies.push(event.body.as_deref());
        }
        // ORDER BY ordinality makes the rows, and so their positions, follow the input.
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "INSERT INTO events
                 (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,
                  body)
             SELECT t, i, s, e, v, p::jsonb, m, b
               FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                           $6::text[], $7::jsonb[], $8::bytea[])
                    WITH ORDINALITY AS input(t, i, s, e, v, p, m, b, ordinal)
              ORDER BY ordinal
             RETURNING position, tx_id::text::bigint, sequence",
        )
        .bind(&types)
        .bind(&ids)
        .bind(&sequences)
        .bind(&event_types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadata)
        .bind(&bodies)
        .fetch_all(conn)
        .await
        .map_err(|error| conflict_or_database(error, &events[0]))?;
        let mut positions: Vec<LogPosition> = rows
            .iter()
            .map(|(position, tx_id, _)| LogPosition {
                tx_id: *tx_id,
                position: *position,
            })
            .collect();
        // RETURNING order is not promised; positions are, so sort them back.
        positions.sort();
        Ok(positions)
    }

    /// The events of one stream after `after_sequence`, in sequence order.
    pub async fn stream(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: i64,
    ) -> Result<Vec<StoredRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT sequence, event_type, event_version, payload, body, metadata
               FROM events
              WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3
              ORDER BY sequence",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(after_sequence)
        .fetch_all(&self.pool)
        .await?)
    }
}

fn conflict_or_database(error: sqlx::Error, first: &NewEvent) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.constraint() == Some(STREAM_SEQUENCE_KEY) {
            return StoreError::Conflict {
                aggregate_type: first.aggregate_type.clone(),
                aggregate_id: first.aggregate_id.clone(),
            };
        }
    }
    StoreError::Database(error)
}
