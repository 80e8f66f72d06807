//! A real Citus cluster for one test: a coordinator and workers on loopback, started
//! by the workplace's `shared/tools/citus-cluster.sh` (or the script
//! `FAULTLINE_TEST_CITUS_SCRIPT` names) and removed when the test ends. Citus must be
//! installed in this machine's PostgreSQL (`citus-cluster.sh install`; `.ci/run` does
//! it).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::helpers::beside_checkout;

/// Base ports handed out to the clusters of this test process.
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// A running cluster; stopped and deleted on drop.
pub struct CitusCluster {
    dir: PathBuf,
    /// The coordinator's port; worker `n` listens on `port + n`, its data in
    /// `dir/worker<n>`.
    port: u16,
    /// The coordinator's connection URL (database `postgres`, which has the extension
    /// on every node).
    pub url: String,
}

impl CitusCluster {
    /// Starts a coordinator and `workers` workers.
    pub fn start(workers: u16) -> CitusCluster {
        // Apart from other test processes' clusters, and below the kernel's ephemeral
        // ports (32768 up), where the servers under test listen.
        let offset = NEXT_PORT.fetch_add(workers + 1, Ordering::SeqCst);
        let port = 20_000 + (std::process::id() % 600) as u16 * 20 + offset;
        let dir = std::env::temp_dir().join(format!("faultline-citus-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        let output = Command::new("bash")
            .arg(script())
            .args(["start", dir.to_str().unwrap()])
            .args([port.to_string(), workers.to_string()])
            .output()
            .expect("run citus-cluster.sh");
        assert!(
            output.status.success(),
            "citus-cluster.sh start failed (is Citus installed? citus-cluster.sh install): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // Citus turns on TLS with a self-signed certificate of a version rustls refuses;
        // the cluster listens on loopback only.
        let url = format!(
            "{}?sslmode=disable",
            String::from_utf8(output.stdout).unwrap().trim()
        );
        CitusCluster { dir, port, url }
    }

    /// A pool on the coordinator.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .connect(&self.url)
            .await
            .expect("connect to the coordinator")
    }

    /// The port of the worker that holds organization `organization`'s part of the log.
    pub async fn worker_of(&self, pool: &PgPool, organization: i64) -> i32 {
        sqlx::query_scalar(
            "SELECT nodeport FROM pg_dist_shard_placement
              WHERE shardid = get_shard_id_for_distribution_column('events', $1)",
        )
        .bind(organization)
        .fetch_one(pool)
        .await
        .unwrap()
    }
}

impl CitusCluster {
    /// The port worker `n` (1, 2, ...) listens on.
    pub fn worker_port(&self, n: u16) -> i32 {
        i32::from(self.port + n)
    }

    /// Stops the worker listening on `port` (fast shutdown: its connections are cut).
    pub fn stop_worker(&self, port: i32) {
        self.pg_ctl(port, &["-m", "fast", "-w", "stop"]);
    }

    /// Starts the worker listening on `port` again.
    pub fn start_worker(&self, port: i32) {
        let log = self.worker_dir(port).with_extension("log");
        self.pg_ctl(port, &["-l", log.to_str().unwrap(), "-w", "start"]);
    }

    fn worker_dir(&self, port: i32) -> PathBuf {
        self.dir
            .join(format!("worker{}", port - i32::from(self.port)))
    }

    /// `pg_ctl` on a worker's data directory, as the `postgres` user when run as root
    /// (as `citus-cluster.sh` does).
    fn pg_ctl(&self, port: i32, args: &[&str]) {
        let data = self.worker_dir(port);
        let pg_ctl = format!("{}/pg_ctl", pg_bin());
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", &pg_ctl]);
            command
        } else {
            Command::new(&pg_ctl)
        };
        let output = command
            .args(["-D", data.to_str().unwrap()])
            .args(args)
            .output()
            .expect("run pg_ctl");
        assert!(output.status.success(), "pg_ctl {args:?}: {output:?}");
    }
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("run id");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// The PostgreSQL binaries the cluster runs (`pg_config --bindir`).
fn pg_bin() -> String {
    let output = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .expect("run pg_config");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

impl Drop for CitusCluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", self.dir.to_str().unwrap()])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn script() -> PathBuf {
    match std::env::var_os("FAULTLINE_TEST_CITUS_SCRIPT") {
        Some(path) => PathBuf::from(path),
        None => beside_checkout("shared/tools/citus-cluster.sh"),
    }
}
