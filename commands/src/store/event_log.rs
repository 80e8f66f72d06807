//! Raw appends to and reads from the log: `events` for the permanent events,
//! `ingested_events` (partitioned by position, dropped in whole partitions by
//! retention) for `EventIngested`. Both share one position sequence; `stream_heads`
//! holds each stream's last sequence, which is what makes two writers of one stream
//! conflict when their rows land in different tables.

use faultline_domain::log_position::LogPosition;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::error::StoreError;

/// The keys that make concurrent appends to one stream conflict: the stream heads
/// (raised by `stream_conflict()`, migration 0027) and, as a second guard within
/// `events`, its unique stream sequence.
const STREAM_SEQUENCE_KEYS: [&str; 2] = ["stream_heads_sequence", "events_stream_sequence"];

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
    /// The project of an ingested event (`EventIngested`): such a row is stored in
    /// `ingested_events`, keyed by its project; `None` for every other event, which is
    /// stored in `events`.
    pub ingested_in: Option<i64>,
    /// The organization whose data the event is (0 for a stream of none: a user's):
    /// the log's partition (migration 0039).
    pub organization_id: i64,
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
        let mut projects = Vec::with_capacity(events.len());
        let mut organizations = Vec::with_capacity(events.len());
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
            projects.push(event.ingested_in);
            organizations.push(event.organization_id);
        }
        let permanent = projects.iter().any(Option::is_none);
        let ingested = projects.iter().any(Option::is_some);
        // Rows for both tables take their positions first, in a statement of their
        // own: drawn inside the append, the list both inserts read would be an
        // intermediate result that Citus copies to every worker, so one worker down
        // would stop every organization's writes (docs/citus.md). Taking a sequence
        // value writes nothing and takes no transaction id, so the caller's
        // transaction is still unwritten. Rows for one table (most appends) draw them
        // in their one insert.
        let drawn: Option<Vec<i64>> = if permanent && ingested {
            let mut drawn: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval('events_position_seq') FROM generate_series(1, $1)",
            )
            .bind(events.len() as i64)
            .fetch_all(&mut *conn)
            .await?;
            drawn.sort_unstable();
            Some(drawn)
        } else {
            None
        };
        let heads = StreamHeads::of(events);
        let query = sqlx::query_as(append_statement(permanent, ingested))
            .bind(&types)
            .bind(&ids)
            .bind(&sequences)
            .bind(&event_types)
            .bind(&versions)
            .bind(&payloads)
            .bind(&metadata)
            .bind(&bodies)
            .bind(&projects)
            .bind(&heads.types)
            .bind(&heads.ids)
            .bind(&heads.last)
            .bind(&heads.appended)
            .bind(heads.types.len() as i64)
            .bind(&organizations)
            .bind(&heads.organizations);
        let query = match &drawn {
            Some(drawn) => query.bind(drawn),
            None => query,
        };
        let rows: Vec<(i64, i64)> = query
            .fetch_all(conn)
            .await
            .map_err(|error| conflict_or_database(error, &events[0]))?;
        let mut positions: Vec<LogPosition> = rows
            .iter()
            .map(|(position, tx_id)| LogPosition {
                tx_id: *tx_id,
                position: *position,
            })
            .collect();
        // RETURNING order is not promised, nor is the order of the two tables' rows;
        // positions follow the input, so sort them back.
        positions.sort();
        Ok(positions)
    }

    /// A transaction in which rows of the log may be rewritten (payload, body and
    /// metadata only; migration 0030): the one path for erasure and for evicting old
    /// bodies. Anything else that tries to change a row is still refused.
    ///
    /// On Citus the immutability triggers run on the workers' shards: Citus plans an
    /// update of a table with triggers only under `citus.enable_unsafe_triggers`, and
    /// the setting reaches the workers only when `citus.propagate_set_commands` is
    /// `local` before it is set (docs/citus.md). On plain PostgreSQL the two `citus.`
    /// settings are placeholders that nothing reads.
    pub async fn begin_rewrite(
        pool: &PgPool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        let mut tx = pool.begin().await?;
        // Statements, not `set_config()`: Citus propagates `SET` commands only.
        for setting in [
            "SET LOCAL citus.propagate_set_commands = 'local'",
            "SET LOCAL citus.enable_unsafe_triggers = on",
            "SET LOCAL faultline.rewrite = 'on'",
        ] {
            sqlx::query(setting).execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// The events of one stream after `after_sequence`, in sequence order, from both
    /// tables. With the stream's `organization` known, only its partition is read: on
    /// Citus one worker, rather than every shard.
    pub async fn stream(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: i64,
        organization: Option<i64>,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let query = sqlx::query_as(stream_sql(organization.is_some()))
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(after_sequence);
        let query = match organization {
            Some(organization) => query.bind(organization),
            None => query,
        };
        Ok(query.fetch_all(&self.pool).await?)
    }
}

/// [`EventLog::stream`]'s statement: of one organization's partition (`$4`) when
/// `in_partition`. Public for the tests of its plans.
pub fn stream_sql(in_partition: bool) -> &'static str {
    const ANY: &str = "SELECT sequence, event_type, event_version, payload, body, metadata
           FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3
         UNION ALL
         SELECT sequence, event_type, event_version, payload, body, metadata
           FROM ingested_events
          WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3
          ORDER BY sequence";
    const IN_PARTITION: &str = "SELECT sequence, event_type, event_version, payload, body, metadata
           FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3
            AND organization_id = $4
         UNION ALL
         SELECT sequence, event_type, event_version, payload, body, metadata
           FROM ingested_events
          WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3
            AND organization_id = $4
          ORDER BY sequence";
    if in_partition {
        IN_PARTITION
    } else {
        ANY
    }
}

/// Each stream an append touches: its last new sequence and how many events it adds.
struct StreamHeads<'a> {
    types: Vec<&'a str>,
    ids: Vec<&'a str>,
    last: Vec<i64>,
    appended: Vec<i64>,
    organizations: Vec<i64>,
}

impl<'a> StreamHeads<'a> {
    /// The streams of `events`, whose sequences run on without gaps within each stream.
    fn of(events: &'a [NewEvent]) -> Self {
        let mut heads = StreamHeads {
            types: Vec::new(),
            ids: Vec::new(),
            last: Vec::new(),
            appended: Vec::new(),
            organizations: Vec::new(),
        };
        let mut index: std::collections::HashMap<(&str, &str), usize> =
            std::collections::HashMap::new();
        for event in events {
            let key = (event.aggregate_type.as_str(), event.aggregate_id.as_str());
            match index.get(&key) {
                Some(&at) => {
                    heads.last[at] = heads.last[at].max(event.sequence);
                    heads.appended[at] += 1;
                }
                None => {
                    index.insert(key, heads.types.len());
                    heads.types.push(key.0);
                    heads.ids.push(key.1);
                    heads.last.push(event.sequence);
                    heads.appended.push(1);
                    heads.organizations.push(event.organization_id);
                }
            }
        }
        // One lock order for every writer: two appends sharing streams never deadlock.
        let mut order: Vec<usize> = (0..heads.types.len()).collect();
        order.sort_by_key(|&at| (heads.types[at], heads.ids[at]));
        StreamHeads {
            types: order.iter().map(|&at| heads.types[at]).collect(),
            ids: order.iter().map(|&at| heads.ids[at]).collect(),
            last: order.iter().map(|&at| heads.last[at]).collect(),
            appended: order.iter().map(|&at| heads.appended[at]).collect(),
            organizations: order.iter().map(|&at| heads.organizations[at]).collect(),
        }
    }
}

/// [`EventLog::append_in`]'s statement: one statement (its own transaction when the
/// caller has none). Positions follow the input order: drawn in the insert when the rows
/// go to one table, drawn beforehand (`$17`) when they split between the two, so a
/// stream's events keep their order in the log. Every stream's head must move from
/// the sequence before this append's first (`stream_heads`), else
/// `stream_conflict()` aborts the whole statement. A table with no rows in this append
/// is left out. The statement notifies `faultline_events` once per aggregate type and
/// partition it writes.
fn append_statement(permanent: bool, ingested: bool) -> &'static str {
    static STATEMENTS: std::sync::LazyLock<[String; 4]> = std::sync::LazyLock::new(|| {
        [
            build_append_statement(false, false),
            build_append_statement(false, true),
            build_append_statement(true, false),
            build_append_statement(true, true),
        ]
    });
    &STATEMENTS[usize::from(permanent) * 2 + usize::from(ingested)]
}

/// The appended rows of an append to both tables, each with its position (`$17`,
/// drawn in input order). Each table's insert reads them itself: a CTE that both read
/// would be an intermediate result, which Citus copies to every worker.
const SPLIT_INPUT: &str =
    "FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                       $6::text[], $7::jsonb[], $8::bytea[], $9::bigint[], $15::bigint[],
                       $17::bigint[])
                AS input(t, i, s, e, v, p, m, b, project, o, position)";

/// The appended rows of an append to one table, positions drawn in input order (a
/// volatile output is computed after the sort).
const ONE_TABLE_INPUT: &str = "FROM (SELECT t, i, s, e, v, p, m, b, project, o,
                             nextval('events_position_seq') AS position
                        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[],
                                    $5::text[], $6::text[], $7::jsonb[], $8::bytea[],
                                    $9::bigint[], $15::bigint[])
                             WITH ORDINALITY AS input(t, i, s, e, v, p, m, b, project, o, ordinal)
                       ORDER BY ordinal) AS input";

fn build_append_statement(permanent: bool, ingested: bool) -> String {
    let input = if permanent && ingested {
        SPLIT_INPUT
    } else {
        ONE_TABLE_INPUT
    };
    let mut sql = String::from(
        "WITH heads AS (
             INSERT INTO stream_heads AS h
                 (aggregate_type, aggregate_id, sequence, appended, organization_id)
             SELECT * FROM unnest($10::text[], $11::text[], $12::bigint[], $13::bigint[],
                                  $16::bigint[])
             ON CONFLICT (aggregate_type, aggregate_id, organization_id) DO UPDATE
                SET sequence = excluded.sequence, appended = excluded.appended
              WHERE h.sequence = excluded.sequence - excluded.appended
             RETURNING 1)",
    );
    let mut selects = Vec::new();
    if permanent {
        sql.push_str(&format!(
            ",
         permanent AS (
             INSERT INTO events
                 (position, aggregate_type, aggregate_id, sequence, event_type, event_version,
                  payload, metadata, body, organization_id)
             SELECT position, t, i, s, e, v, p::jsonb, m, b, o {input} WHERE project IS NULL
             RETURNING position, tx_id)"
        ));
        selects.push("SELECT position, tx_id::text::bigint FROM permanent");
    }
    if ingested {
        sql.push_str(&format!(
            ",
         ingested AS (
             INSERT INTO ingested_events
                 (project_id, position, aggregate_type, aggregate_id, sequence, event_type,
                  event_version, payload, metadata, body, organization_id)
             SELECT project, position, t, i, s, e, v, p::jsonb, m, b, o
               {input} WHERE project IS NOT NULL
             RETURNING position, tx_id)"
        ));
        selects.push("SELECT position, tx_id::text::bigint FROM ingested");
    }
    selects.push("SELECT stream_conflict(), 0 WHERE (SELECT count(*) FROM heads) <> $14");
    // Wakes the tailers of each aggregate type written, naming the partition
    // (organization) written, at commit (identical
    // notifications of one transaction fold into one). Sent by the writing session
    // rather than by triggers on the log's tables: on Citus those fire on the workers,
    // where no tailer listens and where a NOTIFY makes a two-phase commit fail
    // (docs/citus.md). The types come from the heads' array, not from the rows'
    // arrays with their bodies. The count is never negative: the branch returns no
    // row, but its
    // volatile aggregate has to be computed to know that.
    selects.push(
        "SELECT 0, 0 FROM (SELECT count(pg_notify('faultline_events', t || ' ' || o)) AS sent
                             FROM (SELECT DISTINCT t, o
                                     FROM unnest($10::text[], $16::bigint[]) AS w(t, o))
                                  AS written) AS notified
          WHERE notified.sent < 0",
    );
    sql.push('\n');
    sql.push_str(&selects.join("\nUNION ALL\n"));
    sql
}

fn conflict_or_database(error: sqlx::Error, first: &NewEvent) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        // A deadlock between two writers of the same streams is a lost race too.
        if db
            .constraint()
            .is_some_and(|key| STREAM_SEQUENCE_KEYS.contains(&key))
            || db.code().as_deref() == Some("40P01")
        {
            return StoreError::Conflict {
                aggregate_type: first.aggregate_type.clone(),
                aggregate_id: first.aggregate_id.clone(),
            };
        }
    }
    StoreError::Database(error)
}
