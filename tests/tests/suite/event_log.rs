//! The log's ordering promise under concurrent writers, end to end through the
//! write side's appender and the read side's tailing reader.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use faultline_commands::store::{EventLog, NewEvent};
use faultline_domain::log_position::LogPosition;
use faultline_projections::log::read_after;

use crate::helpers::fresh_database;

const WRITERS: usize = 8;
const EVENTS_PER_WRITER: i64 = 1_000;
const STREAMS_PER_WRITER: i64 = 10;

fn commit_of(writer: usize, stream: i64, first_sequence: i64, size: i64) -> Vec<NewEvent> {
    (first_sequence..first_sequence + size)
        .map(|sequence| NewEvent {
            aggregate_type: "probe".into(),
            aggregate_id: format!("w{writer}-s{stream}"),
            sequence,
            event_type: "Probed".into(),
            event_version: "1.0".into(),
            payload: serde_json::json!({ "writer": writer }).into(),
            body: None,
            metadata: serde_json::json!({ "actor": "system:test" }),
            ingested_in: None,
            organization_id: 0,
        })
        .collect()
}

/// Each writer appends 1,000 events to its own 10 streams, in commits of 1 to 4
/// events, all writers at once.
async fn write(log: EventLog, writer: usize) {
    let mut next = vec![1_i64; STREAMS_PER_WRITER as usize];
    let mut written = 0;
    let mut turn = 0_i64;
    while written < EVENTS_PER_WRITER {
        let stream = turn % STREAMS_PER_WRITER;
        let size = (1 + (turn + writer as i64) % 4).min(EVENTS_PER_WRITER - written);
        log.append(&commit_of(writer, stream, next[stream as usize], size))
            .await
            .unwrap();
        next[stream as usize] += size;
        written += size;
        turn += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tailing_reader_sees_every_event_of_eight_concurrent_writers_once_in_stream_order() {
    let (_url, pool) = fresh_database().await;
    faultline_tests_migrate(&pool).await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(write(EventLog::new(pool.clone()), w)))
        .collect();

    let total = WRITERS as i64 * EVENTS_PER_WRITER;
    let mut conn = pool.acquire().await.unwrap();
    let mut cursor = LogPosition::START;
    let mut seen_positions = HashSet::new();
    let mut last_sequence: HashMap<String, i64> = HashMap::new();
    let mut duplicates = 0;
    let mut out_of_order = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while (seen_positions.len() as i64) < total && Instant::now() < deadline {
        let batch = read_after(&mut conn, &["probe"], cursor, 97).await.unwrap();
        for event in &batch {
            assert!(event.log_position() > cursor, "the reader never goes back");
            cursor = event.log_position();
            if !seen_positions.insert(event.position) {
                duplicates += 1;
            }
            let previous = last_sequence.insert(event.aggregate_id.clone(), event.sequence);
            if event.sequence != previous.unwrap_or(0) + 1 {
                out_of_order += 1;
            }
        }
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }

    assert_eq!(seen_positions.len() as i64, total);
    assert_eq!(duplicates, 0);
    assert_eq!(out_of_order, 0);
    assert_eq!(
        last_sequence.len() as i64,
        WRITERS as i64 * STREAMS_PER_WRITER
    );
    assert_eq!(
        last_sequence.values().sum::<i64>(),
        total,
        "every stream read to its end"
    );
}

async fn faultline_tests_migrate(pool: &sqlx::PgPool) {
    sqlx::migrate!("../migrations").run(pool).await.unwrap();
}
