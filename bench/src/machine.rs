//! The machine the bench runs on: what the table's header states, and the busy time
//! every CPU figure is costed in.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::server::Cluster;

/// Cpus, memory and the PostgreSQL settings the figures depend on.
pub async fn describe(pool: &PgPool, cluster: &Cluster) -> anyhow::Result<Value> {
    let cpus = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(pool)
        .await?;
    let mut settings = serde_json::Map::new();
    for name in [
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "shared_buffers",
        "max_wal_size",
    ] {
        let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
            .fetch_one(pool)
            .await?;
        settings.insert(name.into(), json!(value));
    }
    Ok(json!({
        "cpus": cpus, "cpu_model": model, "memory_gib": (mem_gib * 10.0).round() / 10.0,
        "postgres": version, "postgres_settings": settings, "database": cluster.describe(),
    }))
}

/// Busy CPU seconds of the whole machine since boot (`/proc/stat`, all cpus): user,
/// nice, system, irq, softirq and steal; idle and iowait are not busy.
pub fn busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .map(|&i| ticks.get(i).copied().unwrap_or(0))
        .sum();
    // USER_HZ is 100 on every Linux this runs on (as `server::cpu_seconds` assumes).
    Some(busy as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_busy_time_only_grows() {
        let a = busy_seconds().expect("/proc/stat");
        let b = busy_seconds().expect("/proc/stat");
        assert!(b >= a);
    }
}
