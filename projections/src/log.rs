//! Reading the ordered log.

use chrono::{DateTime, Utc};
use faultline_domain::log_position::LogPosition;
use faultline_domain::upcast;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::PgConnection;

use crate::error::ProjectionError;

/// One event as projections see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvent {
    /// The event's global position.
    pub position: i64,
    /// The writing transaction's id.
    pub tx_id: i64,
    /// The stream's aggregate type.
    pub aggregate_type: String,
    /// The stream's aggregate id.
    pub aggregate_id: String,
    /// The event's sequence in its stream.
    pub sequence: i64,
    /// The stable name of the event.
    pub event_type: String,
    /// The version of the payload shape.
    pub event_version: String,
    /// The event, as stored (parsed only when decoded: most readers decode it straight
    /// into the domain's type, and a `Value` tree in between cost the replay of the
    /// issues read model a third of its CPU).
    #[sqlx(json)]
    pub payload: Box<RawValue>,
    /// The row's `body` column: an `EventIngested` 4.0's compressed body, put back into
    /// the payload on decoding (`faultline_domain::issue::body`); `None` for other
    /// events and for readers that left it out ([`Columns::body`]).
    pub body: Option<Vec<u8>>,
    /// Actor, request id, time.
    pub metadata: Value,
    /// When the row was written.
    pub recorded_at: DateTime<Utc>,
    /// The partition of the log the event is in: its stream's organization, 0 for a
    /// stream of no organization. Read models distributed by organization write it.
    pub organization_id: i64,
}

/// The one partition a batch of events was read from (0 for none): a fold of a read
/// model distributed by organization binds it in every statement. An error if the
/// events span partitions, as a runner's batch never does.
pub fn partition_of(events: &[StoredEvent]) -> Result<i64, ProjectionError> {
    let partition = events.first().map_or(0, |e| e.organization_id);
    match events.iter().find(|e| e.organization_id != partition) {
        None => Ok(partition),
        Some(event) => Err(ProjectionError::Invalid(format!(
            "event at position {} is in partition {}, not {partition}: a batch reads one partition",
            event.position, event.organization_id
        ))),
    }
}

impl StoredEvent {
    /// Where the event sits in the log.
    pub fn log_position(&self) -> LogPosition {
        LogPosition {
            tx_id: self.tx_id,
            position: self.position,
        }
    }

    /// The payload decoded into the domain's event type, after the domain's upcasts
    /// (`faultline_domain::upcast`) bring an older stored version to the current
    /// shape, exactly as the write side reads it.
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, ProjectionError> {
        let as_stored = self.body.is_none()
            && upcast::find(&self.aggregate_type, &self.event_type, &self.event_version).is_none();
        let decoded = if as_stored {
            serde_json::from_str(self.payload.get())
        } else {
            E::deserialize(self.current_payload()?)
        };
        decoded.map_err(|source| self.undecodable(source))
    }

    /// The payload in the current shape of its event type, its body column put back.
    pub fn current_payload(&self) -> Result<Value, ProjectionError> {
        let stored: Value =
            serde_json::from_str(self.payload.get()).map_err(|source| self.undecodable(source))?;
        Ok(upcast::current_of_row(
            &self.aggregate_type,
            &self.event_type,
            &self.event_version,
            stored,
            self.body.as_deref(),
        ))
    }

    fn undecodable(&self, source: serde_json::Error) -> ProjectionError {
        ProjectionError::Decode {
            position: self.position,
            source,
        }
    }

    /// A metadata field (`actor`, `request_id`, `time`, ...), if present.
    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }

    /// When the change was made: the metadata's `time`, else when it was recorded.
    pub fn time(&self) -> DateTime<Utc> {
        self.metadata_str(faultline_domain::metadata::TIME)
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map(|time| time.with_timezone(&Utc))
            .unwrap_or(self.recorded_at)
    }
}

/// Up to `limit` events of `aggregate_types` after `after`, in `(tx_id, position)`
/// order, taken only from transactions older than every transaction still running:
/// a transaction that commits later cannot have an id below that horizon, so nothing
/// read past is ever filled in behind the reader.
pub async fn read_after(
    conn: &mut PgConnection,
    aggregate_types: &[&str],
    after: LogPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    read_after_as(conn, aggregate_types, Columns::ALL, after, limit).await
}

/// How the payload and metadata columns are read: SQL expressions written in code
/// (never from input), so that a projection that needs little of a large event (or
/// nothing of some event types) can leave the rest in the database.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    /// The expression read as `payload`.
    pub payload: &'static str,
    /// The expression read as `metadata`.
    pub metadata: &'static str,
    /// The expression read as `body` (`bytea`).
    pub body: &'static str,
    /// Event types not read at all.
    pub skip: &'static [&'static str],
}

impl Columns {
    /// Both columns as stored.
    pub const ALL: Columns = Columns {
        payload: "payload",
        metadata: "metadata",
        body: "body",
        skip: &[],
    };

    /// What `projection` reads live: every event of its types, so that its checkpoint
    /// moves over those it ignores.
    pub fn of(projection: &dyn crate::Projection) -> Columns {
        Columns {
            payload: projection.payload_sql(),
            metadata: projection.metadata_sql(),
            body: projection.body_sql(),
            skip: &[],
        }
    }

    /// What a rebuild of `projection` reads: not the event types it ignores.
    pub fn rebuilding(projection: &dyn crate::Projection) -> Columns {
        Columns {
            skip: projection.replay_skips(),
            ..Columns::of(projection)
        }
    }
}

/// [`read_after`], with the columns read through `columns`.
pub async fn read_after_as(
    conn: &mut PgConnection,
    aggregate_types: &[&str],
    columns: Columns,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let horizon = horizon(conn).await?;
    sqlx::query_as(&read_sql(aggregate_types, columns, false))
        .bind(aggregate_types)
        .bind(after.tx_id.to_string())
        .bind(after.position)
        .bind(LogPosition::END.tx_id.to_string())
        .bind(LogPosition::END.position)
        .bind(limit)
        .bind(horizon)
        .fetch_all(conn)
        .await
}

/// The horizon of readable transactions: every transaction with a lower id has ended,
/// so a committed row below it is visible to this statement and every later one, and
/// no row can be written below it any more. Taken in a statement of its own, on the
/// server the client talks to: on Citus, a snapshot function written into a read is
/// evaluated on the worker, whose transaction ids are unrelated to the coordinator's
/// that the log's rows carry (docs/citus.md). A horizon taken before the read is only
/// more cautious than the read's own.
pub async fn horizon(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
        .fetch_one(conn)
        .await
}

/// [`read_after_as`] within one partition of the log (an organization; 0 for what
/// belongs to none): the order a projection's runner follows, which says nothing of
/// how one organization's events fall among another's.
pub async fn read_partition_after(
    conn: &mut PgConnection,
    aggregate_types: &[&str],
    columns: Columns,
    partition: i64,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    read_partition_between(
        conn,
        aggregate_types,
        columns,
        partition,
        after,
        LogPosition::END,
        limit,
    )
    .await
}

/// [`read_partition_after`], stopping at `until` (inclusive): a rebuild that must end
/// exactly where a live read model stands in that partition.
pub async fn read_partition_between(
    conn: &mut PgConnection,
    aggregate_types: &[&str],
    columns: Columns,
    partition: i64,
    after: LogPosition,
    until: LogPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let horizon = horizon(conn).await?;
    sqlx::query_as(&read_sql(aggregate_types, columns, true))
        .bind(aggregate_types)
        .bind(after.tx_id.to_string())
        .bind(after.position)
        .bind(until.tx_id.to_string())
        .bind(until.position)
        .bind(limit)
        .bind(horizon)
        .bind(partition)
        .fetch_all(conn)
        .await
}

/// The statement of the readers above, below the horizon bound as `$7`; with
/// `in_partition`, only of the partition bound as `$8`. Public for the tests of its
/// plans.
pub fn read_sql(aggregate_types: &[&str], columns: Columns, in_partition: bool) -> String {
    // Ordered by the qualified columns: a bare `tx_id` names the bigint output column,
    // which no index orders (the whole tail would be sorted on every read).
    format!(
        "SELECT position, tx_id::text::bigint AS tx_id, aggregate_type, aggregate_id, sequence,
                event_type, event_version, {} AS payload, {} AS body, {} AS metadata, recorded_at,
                organization_id
           FROM {} AS log
          WHERE aggregate_type = ANY($1)
            AND (tx_id, position) > ($2::text::xid8, $3)
            AND (tx_id, position) <= ($4::text::xid8, $5)
            AND tx_id < $7::text::xid8
            {}
            {}
          ORDER BY log.tx_id, log.position
          LIMIT $6",
        columns.payload,
        columns.body,
        columns.metadata,
        source(aggregate_types, columns.skip),
        not_of_types(&unread(aggregate_types, columns.skip)),
        if in_partition {
            "AND organization_id = $8"
        } else {
            ""
        }
    )
}

/// The partitions of the log: 0, and each organization, whose own stream (created
/// before anything else of it) lies in its partition. Read through the heads' key, led
/// by the aggregate type; on Citus, a probe of each shard.
pub const PARTITIONS: &str = "
    SELECT organization_id FROM stream_heads WHERE aggregate_type = 'organization'
    UNION SELECT 0";

/// The partitions of the log in which `projection` has events readable past its
/// checkpoint there (a partition it never applied anything of starts at the
/// beginning). One statement: a probe of each partition's tail through its index.
pub async fn pending_partitions(
    conn: &mut PgConnection,
    name: &str,
    aggregate_types: &[&str],
) -> Result<Vec<i64>, sqlx::Error> {
    let horizon = horizon(conn).await?;
    let tails = Tails::of(aggregate_types);
    sqlx::query_scalar(&format!(
        "SELECT h.organization_id {organizations}
          WHERE h.aggregate_type = 'organization'
            AND EXISTS (SELECT 1 FROM {source} AS log
                         WHERE {in_organization} AND log.tx_id < $3::text::xid8)
         UNION ALL
         SELECT 0 WHERE EXISTS (SELECT 1 FROM {source} AS log
                                 WHERE {in_zero} AND log.tx_id < $3::text::xid8)",
        organizations = Tails::ORGANIZATIONS,
        source = tails.source,
        in_organization = tails.in_organization(),
        in_zero = tails.in_zero(),
    ))
    .bind(aggregate_types)
    .bind(name)
    .bind(horizon)
    .fetch_all(conn)
    .await
}

/// How many events of `aggregate_types` lie past projection `name`'s checkpoint in
/// each partition (committed or not yet readable), capped at `cap` so the answer stays
/// cheap on a long lag.
pub async fn count_pending(
    conn: &mut PgConnection,
    name: &str,
    aggregate_types: &[&str],
    cap: i64,
) -> Result<i64, sqlx::Error> {
    let tails = Tails::of(aggregate_types);
    let counted: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM (
             (SELECT 1 {organizations}
                JOIN {source} AS log ON {in_organization}
               WHERE h.aggregate_type = 'organization'
               LIMIT $3)
             UNION ALL
             (SELECT 1 FROM {source} AS log WHERE {in_zero} LIMIT $3)) AS pending",
        organizations = Tails::ORGANIZATIONS,
        source = tails.source,
        in_organization = tails.in_organization(),
        in_zero = tails.in_zero(),
    ))
    .bind(aggregate_types)
    .bind(name)
    .bind(cap)
    .fetch_one(conn)
    .await?;
    Ok(counted.min(cap))
}

/// A sweep's view of each partition's tail (`log`) past projection `$2`'s checkpoint,
/// for aggregate types `$1`, written so that Citus can run it: the organizations'
/// partitions come from their own stream heads joined with the checkpoints on the
/// organization (co-located tables), and partition 0, which has no such head, is
/// probed apart. The two are a union: Citus refuses a probe that refers to a subquery
/// in `FROM`.
struct Tails {
    source: &'static str,
    not_of_types: String,
}

impl Tails {
    /// The organizations' heads (`h`), each with its checkpoint (`c`, absent before the
    /// first event applied there).
    const ORGANIZATIONS: &'static str = "
        FROM stream_heads h
        LEFT JOIN projection_checkpoints c
               ON c.name = $2 AND c.organization_id = h.organization_id";

    fn of(aggregate_types: &[&str]) -> Tails {
        Tails {
            source: source(aggregate_types, &[]),
            not_of_types: not_of_types(&unread(aggregate_types, &[])),
        }
    }

    /// The events past `c` in organization `h`.
    fn in_organization(&self) -> String {
        self.past("h.organization_id", "c.last_tx_id", "c.last_position")
    }

    /// The events past the checkpoint in partition 0.
    fn in_zero(&self) -> String {
        const CHECKPOINT: &str =
            "FROM projection_checkpoints WHERE name = $2 AND organization_id = 0";
        self.past(
            "0",
            &format!("(SELECT last_tx_id {CHECKPOINT})"),
            &format!("(SELECT last_position {CHECKPOINT})"),
        )
    }

    fn past(&self, partition: &str, tx_id: &str, position: &str) -> String {
        format!(
            "log.organization_id = {partition}
             AND log.aggregate_type = ANY($1)
             AND (log.tx_id, log.position)
                 > (coalesce({tx_id}, '0'::xid8), coalesce({position}, 0))
             {}",
            self.not_of_types,
        )
    }
}

/// The relation to read `aggregate_types` from: the whole log (`log_events`, both
/// tables in one ordered scan) only when ingested events are among what is read; a
/// reader of anything else never touches `ingested_events`, the bulk of the log.
pub(crate) fn source(aggregate_types: &[&str], skip: &[&str]) -> &'static str {
    let reads_ingested = INGESTED.iter().any(|(aggregate_type, events)| {
        aggregate_types.contains(aggregate_type) && events.iter().any(|event| !skip.contains(event))
    });
    if reads_ingested {
        "log_events"
    } else {
        "events"
    }
}

/// `skip`, and `EventIngested` when issue streams are not read: a reader of check-ins
/// but not of occurrences says so in literals, which lets the planner read
/// `ingested_events` through its index of everything but occurrences (migration 0037)
/// rather than walk past every occurrence after its checkpoint.
pub(crate) fn unread<'a>(aggregate_types: &[&str], skip: &[&'a str]) -> Vec<&'a str> {
    let mut unread = skip.to_vec();
    if !aggregate_types.contains(&ISSUE) && !unread.contains(&OCCURRENCE) {
        unread.push(OCCURRENCE);
    }
    unread
}

/// The aggregate types with ingested events (stored in `ingested_events`), and those
/// events.
const INGESTED: [(&str, &[&str]); 2] = [
    (ISSUE, &[OCCURRENCE]),
    ("monitor", &["CheckInRecorded", "CheckInCompleted"]),
];
/// The aggregate type of issue streams.
const ISSUE: &str = "issue";
/// An issue's occurrence: the bulk of `ingested_events`.
const OCCURRENCE: &str = "EventIngested";

/// `AND event_type NOT IN (...)` for `skip` (nothing when empty). The types are
/// written as literals, not bound: only then can the planner prove that a rebuild
/// skipping `EventIngested` may read the index of `ingested_events` without
/// occurrences (`ingested_events_organization_not_ingested`, migration 0040), which a
/// bound array would rule out in a generic plan.
pub(crate) fn not_of_types(skip: &[&str]) -> String {
    if skip.is_empty() {
        return String::new();
    }
    let literals: Vec<String> = skip
        .iter()
        .map(|event_type| format!("'{}'", event_type.replace('\'', "''")))
        .collect();
    format!("AND event_type NOT IN ({})", literals.join(", "))
}

/// How many events of `aggregate_types` lie after `after` (committed or not yet
/// readable), capped at `cap` so the answer stays cheap on a long lag.
pub async fn count_after(
    conn: &mut PgConnection,
    aggregate_types: &[&str],
    after: LogPosition,
    cap: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM (
             SELECT 1 FROM {}
              WHERE aggregate_type = ANY($1)
                AND (tx_id, position) > ($2::text::xid8, $3)
                {}
              LIMIT $4) AS pending",
        source(aggregate_types, &[]),
        not_of_types(&unread(aggregate_types, &[]))
    ))
    .bind(aggregate_types)
    .bind(after.tx_id.to_string())
    .bind(after.position)
    .bind(cap)
    .fetch_one(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::{not_of_types, partition_of, read_sql, source, unread, Columns, StoredEvent};

    fn event_of(organization_id: i64, position: i64) -> StoredEvent {
        StoredEvent {
            position,
            tx_id: 1,
            aggregate_type: "issue".into(),
            aggregate_id: "s".into(),
            sequence: position,
            event_type: "IssueResolved".into(),
            event_version: "1".into(),
            payload: serde_json::value::RawValue::from_string("null".into()).unwrap(),
            body: None,
            metadata: serde_json::Value::Null,
            recorded_at: chrono::Utc::now(),
            organization_id,
        }
    }

    #[test]
    fn a_batch_of_one_partition_names_it() {
        let batch = [event_of(7, 1), event_of(7, 2)];

        assert_eq!(partition_of(&batch).unwrap(), 7);
        assert_eq!(partition_of(&[]).unwrap(), 0);
    }

    #[test]
    fn a_batch_spanning_partitions_is_refused_naming_the_first_stranger() {
        let batch = [event_of(7, 1), event_of(8, 2), event_of(9, 3)];

        let error = partition_of(&batch).unwrap_err().to_string();

        assert!(
            error.contains("position 2 is in partition 8, not 7"),
            "{error}"
        );
    }

    /// The plan of reading one partition's tail of `aggregate_types`, as a generic
    /// plan (the runner's prepared statement), with sequential scans ruled out: what
    /// matters is which indexes the statement can use at all.
    async fn tail_plan(pool: &sqlx::PgPool, aggregate_types: &[&str]) -> String {
        let mut conn = pool.acquire().await.unwrap();
        sqlx::raw_sql("SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan")
            .execute(&mut *conn)
            .await
            .unwrap();
        let sql = format!("EXPLAIN {}", read_sql(aggregate_types, Columns::ALL, true));
        let plan: Vec<String> = sqlx::query_scalar(&sql)
            .bind(aggregate_types)
            .bind("0")
            .bind(0_i64)
            .bind("1000")
            .bind(i64::MAX)
            .bind(100_i64)
            .bind("1000")
            .bind(7_i64)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        plan.join("\n")
    }

    /// Whether a plan has a sort node (a merge's "Sort Key" is none).
    fn sorts(plan: &str) -> bool {
        plan.lines().any(|line| {
            let node = line.trim_start().trim_start_matches("->").trim_start();
            node.starts_with("Sort  (") || node.starts_with("Incremental Sort")
        })
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_reader_of_one_partition_tails_it_by_the_indexes_led_by_the_organization(
        pool: sqlx::PgPool,
    ) {
        // The index of every ingested event but occurrences (a partition's copy).
        let partial: String = sqlx::query_scalar(
            "SELECT indexrelid::regclass::text FROM pg_index
              WHERE indrelid = 'ingested_events_p1'::regclass AND indpred IS NOT NULL",
        )
        .fetch_one(&pool)
        .await
        .unwrap();

        let monitors = tail_plan(&pool, &["monitor"]).await;
        let audit = tail_plan(&pool, &["organization", "monitor"]).await;
        let issues = tail_plan(&pool, &["issue"]).await;

        assert!(monitors.contains(&partial), "{monitors}");
        assert!(audit.contains(&partial), "{audit}");
        assert!(audit.contains("events_organization_position"), "{audit}");
        assert!(!issues.contains(&partial), "{issues}");
        // A reader of several types gets the partition's events in order from the
        // index: no batch sorts everything past its checkpoint.
        let alerting = tail_plan(&pool, &["issue", "workflow", "service_hook"]).await;
        assert!(!sorts(&alerting), "{alerting}");
        assert!(!sorts(&audit), "{audit}");
        assert!(
            issues.contains("ingested_events_p1_organization_id_tx_id_position_idx"),
            "{issues}"
        );
    }

    #[test]
    fn only_readers_of_ingested_events_read_the_whole_log() {
        assert_eq!(source(&["issue", "project"], &[]), "log_events");
        assert_eq!(source(&["issue"], &["EventIngested"]), "events");
        assert_eq!(source(&["organization", "project"], &[]), "events");
        assert_eq!(source(&["monitor"], &[]), "log_events");
        assert_eq!(
            source(&["monitor"], &["CheckInRecorded", "CheckInCompleted"]),
            "events"
        );
    }

    #[test]
    fn a_reader_of_check_ins_but_not_occurrences_leaves_occurrences_out_in_literals() {
        assert_eq!(unread(&["monitor"], &[]), ["EventIngested"]);
        assert_eq!(unread(&["issue", "monitor"], &[]), Vec::<&str>::new());
        assert_eq!(unread(&["issue"], &["EventIngested"]), ["EventIngested"]);
    }

    #[test]
    fn a_read_that_skips_nothing_adds_no_condition() {
        assert_eq!(not_of_types(&[]), "");
    }

    #[test]
    fn skipped_types_are_written_as_quoted_literals() {
        assert_eq!(
            not_of_types(&["EventIngested", "It's"]),
            "AND event_type NOT IN ('EventIngested', 'It''s')"
        );
    }
}
