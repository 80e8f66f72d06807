//! `serve` with no DATABASE_URL runs, keeps and stops its own PostgreSQL.

use std::path::Path;

use nix::sys::signal::Signal;

use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;

use std::process::Command;

use crate::helpers::{faultline_bin, TestServer};

fn postmaster_pid(data_dir: &Path) -> Option<i32> {
    let pid_file = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).ok()?;
    pid_file.lines().next()?.trim().parse().ok()
}

/// Whether `pid` runs (a zombie, exited but not yet reaped by its new parent, does not).
fn is_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn serve_runs_its_own_postgres_keeps_the_data_and_stops_it_on_sigint() {
    let data_dir = std::env::temp_dir().join(format!(
        "faultline-managed-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let data = data_dir.to_str().unwrap();

    let mut first = TestServer::spawn(&[("FAULTLINE_DATA_DIR", data)]);
    let health = reqwest::get(first.at("/_health")).await.unwrap();
    let pid = postmaster_pid(&data_dir).expect("postgres runs in the data dir");
    let socket = data_dir.join("postgres").canonicalize().unwrap();
    let options = PgConnectOptions::new()
        .socket(&socket)
        .username("postgres")
        .database("faultline");
    let mut conn = options.connect().await.unwrap();
    sqlx::raw_sql("CREATE TABLE marker (note text); INSERT INTO marker VALUES ('kept')")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    // Other subcommands attach to the cluster serve runs, and leave it running.
    let migrate = Command::new(faultline_bin())
        .arg("migrate")
        .env("FAULTLINE_DATA_DIR", data)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let created = Command::new(faultline_bin())
        .args(["user", "create", "--email", "cli@example.test"])
        .env("FAULTLINE_DATA_DIR", data)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let whoami = reqwest::Client::new()
        .get(first.at("/api/0/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let first_exit = first.stop_with(Signal::SIGINT);

    assert_eq!(health.status(), 200);
    assert!(migrate.status.success());
    assert!(created.status.success());
    assert_eq!(whoami["user"]["email"], "cli@example.test");
    assert!(first_exit.success(), "exit {first_exit}: {}", first.logs());
    assert!(!is_alive(pid), "postgres stopped with faultline");
    assert_eq!(postmaster_pid(&data_dir), None);

    let mut second = TestServer::spawn(&[("FAULTLINE_DATA_DIR", data)]);
    let mut conn = options.connect().await.unwrap();
    let note: String = sqlx::query_scalar("SELECT note FROM marker")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let second_exit = second.stop_with(Signal::SIGTERM);

    assert_eq!(note, "kept");
    assert!(
        second_exit.success(),
        "exit {second_exit}: {}",
        second.logs()
    );
    std::fs::remove_dir_all(&data_dir).unwrap();
}
