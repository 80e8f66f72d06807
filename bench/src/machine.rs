//! The machine the bench runs on, whose busy time every CPU figure is costed in.

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
