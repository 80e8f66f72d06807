//! What one delivery attempt came to, and when the next one is due.

use std::time::Duration;

use rand::Rng;

/// The first retry waits up to this long; each later one twice as long as the one
/// before.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
pub const BACKOFF_CAP: Duration = Duration::from_secs(3600);

/// The outcome of one attempt to send a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver took it (2xx, or the SMTP server accepted the mail).
    Delivered {
        /// The HTTP status.
        status: Option<i32>,
    },
    /// It may work later: 429, 5xx, a timeout, a connection error.
    Retry {
        /// What went wrong.
        error: String,
        /// The HTTP status, if an answer came.
        status: Option<i32>,
    },
    /// It will not work: 410 and other client errors, a refused address, an
    /// invalid target.
    Failed {
        /// What went wrong.
        error: String,
        /// The HTTP status, if an answer came.
        status: Option<i32>,
    },
    /// Not sent on purpose (the hourly email cap).
    Dropped {
        /// Why.
        reason: String,
    },
}

/// How long to wait before the attempt after `attempts` failed ones: "full jitter",
/// uniformly between zero and `BACKOFF_BASE * 2^(attempts - 1)`, capped at
/// `BACKOFF_CAP`, so receivers that failed together are not retried together.
pub fn backoff(attempts: i32, rng: &mut impl Rng) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 31) as u32;
    let ceiling = BACKOFF_BASE
        .saturating_mul(1u32 << exponent)
        .min(BACKOFF_CAP);
    ceiling.mul_f64(rng.random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn the_first_retry_waits_at_most_a_second_and_each_next_twice_as_long() {
        let mut rng = StdRng::seed_from_u64(7);
        for (attempts, ceiling) in [(1, 1), (2, 2), (3, 4), (4, 8), (11, 1024)] {
            for _ in 0..200 {
                let wait = backoff(attempts, &mut rng);
                assert!(wait <= Duration::from_secs(ceiling), "{attempts}: {wait:?}");
            }
        }
    }

    #[test]
    fn waits_are_capped_at_an_hour_and_spread_over_the_whole_range() {
        let mut rng = StdRng::seed_from_u64(7);
        let waits: Vec<Duration> = (0..1000).map(|_| backoff(40, &mut rng)).collect();

        assert!(waits.iter().all(|wait| *wait <= BACKOFF_CAP));
        assert!(waits.iter().any(|wait| *wait < Duration::from_secs(600)));
        assert!(waits.iter().any(|wait| *wait > Duration::from_secs(3000)));
    }

    #[test]
    fn no_attempt_yet_counts_as_the_first() {
        let mut rng = StdRng::seed_from_u64(1);

        assert!(backoff(0, &mut rng) <= BACKOFF_BASE);
        assert!(backoff(-3, &mut rng) <= BACKOFF_BASE);
    }
}
