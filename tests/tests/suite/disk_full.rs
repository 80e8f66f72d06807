//! A full disk under a running server: the partition of `ingested_events` that takes
//! the next events lives in a tablespace on a small tmpfs (the write-ahead log stays on
//! the big disk, as an operator would place bulk storage on its own volume). Once it fills, ingestion answers `503` with
//! `Retry-After` and a `{"detail"}` body, every event that got a 200 stays in the log
//! and is counted, and the same process takes events again when space returns.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{
    create_user, event_envelope, fresh_database, ingest_tally, project_with_key, Api, ProjectKey,
    TestServer,
};

/// A tmpfs of `size` mounted for PostgreSQL's user, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = std::env::temp_dir().join(format!(
            "fl-small-disk-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        run(
            "mount",
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            &dir,
        );
        run("chown", &["postgres:postgres"], &dir);
        SmallDisk { dir }
    }

    /// Writes a file until the disk is full; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.dir.join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(program: &str, args: &[&str], dir: &Path) {
    let status = Command::new(program).args(args).arg(dir).status().unwrap();
    assert!(status.success(), "{program} {args:?} failed: {status}");
}

fn event(n: usize) -> Value {
    json!({
        "event_id": format!("{:032x}", 0xd15c_0000_usize + n),
        "level": "error",
        "platform": "python",
        "exception": {"values": [{"type": "OSError", "value": format!("disk {n}")}]},
        "extra": {"padding": "x".repeat(2000)},
    })
}

/// Sends event `n`: its status, `Retry-After` and body.
async fn send(server: &TestServer, project: &ProjectKey, n: usize) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(server.at(&format!("/api/{}/envelope/", project.project_id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", project.key),
        )
        .body(event_envelope(&event(n)))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

#[tokio::test]
async fn a_full_disk_answers_503_with_retry_after_loses_nothing_acknowledged_and_recovers() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::spawn(&[("DATABASE_URL", &url)]);
    let token = create_user(&url, "ops@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "acme", "backend").await;
    let disk = SmallDisk::mount("2m");
    sqlx::query(&format!(
        "CREATE TABLESPACE small_disk LOCATION '{}'",
        disk.dir.display()
    ))
    .execute(&pool)
    .await
    .unwrap();
    // The partition the log's next ingested events land in (a fresh database's first).
    sqlx::query("ALTER TABLE ingested_events_p1 SET TABLESPACE small_disk")
        .execute(&pool)
        .await
        .unwrap();
    let before = send(&server, &project, 0).await;
    let filler = disk.fill();
    let mut acknowledged = vec![0];
    let mut refused = None;
    for n in 1..400 {
        let (status, retry_after, body) = send(&server, &project, n).await;
        match status {
            200 => acknowledged.push(n),
            _ => {
                refused = Some((status, retry_after, body));
                break;
            }
        }
    }
    let still_full = send(&server, &project, 1000).await;
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut after = send(&server, &project, 1001).await;
    while after.0 != 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = send(&server, &project, 1001).await;
    }
    acknowledged.push(1001);
    let tally = ingest_tally(&pool, Duration::from_secs(30)).await;
    sqlx::query("ALTER TABLE ingested_events_p1 SET TABLESPACE pg_default")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DROP TABLESPACE small_disk")
        .execute(&pool)
        .await
        .unwrap();

    assert_eq!(before.0, 200, "{before:?}");
    let (status, retry_after, body) = refused.expect("the disk never filled");
    assert_eq!(status, 503, "{body}");
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    assert!(body["detail"].as_str().is_some(), "{body}");
    assert_eq!(still_full.0, 503, "{still_full:?}");
    assert_eq!(after.0, 200, "ingestion did not recover: {after:?}");
    let mut logged: Vec<String> = tally.logged_ids.clone();
    logged.sort();
    let mut expected: Vec<String> = acknowledged
        .iter()
        .map(|&n| event(n)["event_id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(logged, expected);
    assert_eq!(tally.counted, acknowledged.len() as i64);
}
