//! Per-key rate limits (`rateLimit {window, count}` of a client key), counted in
//! fixed windows in this process.

use dashmap::DashMap;
use faultline_domain::project::RateLimit;

use crate::error::ApiError;

/// Events accepted per key in its current window.
#[derive(Default)]
pub struct RateLimiter {
    windows: DashMap<String, (u64, u32)>,
}

impl RateLimiter {
    /// Counts `events` against `key`'s limit at unix second `now`; refuses with 429
    /// (and the headers SDKs back off on) when the window is full.
    pub fn admit(
        &self,
        key: &str,
        limit: Option<RateLimit>,
        events: u32,
        now: u64,
    ) -> Result<(), ApiError> {
        let Some(limit) = limit else { return Ok(()) };
        let window = u64::from(limit.window.max(1));
        let current = now / window;
        let mut entry = self.windows.entry(key.to_owned()).or_insert((current, 0));
        if entry.0 != current {
            *entry = (current, 0);
        }
        if entry.1.saturating_add(events) > limit.count {
            let retry_after = (current + 1) * window - now;
            return Err(ApiError::RateLimited {
                retry_after,
                limits: format!("{retry_after}::key:key_quota"),
            });
        }
        entry.1 += events;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_once_its_window_is_full_and_admitted_in_the_next() {
        let limiter = RateLimiter::default();
        let limit = Some(RateLimit {
            window: 60,
            count: 2,
        });
        assert!(limiter.admit("k", limit, 1, 120).is_ok());
        assert!(limiter.admit("k", limit, 1, 121).is_ok());
        let refused = limiter.admit("k", limit, 1, 150);
        assert!(matches!(
            refused,
            Err(ApiError::RateLimited {
                retry_after: 30,
                ..
            })
        ));
        assert!(limiter.admit("k", limit, 1, 180).is_ok());
    }

    #[test]
    fn a_key_without_a_limit_is_always_admitted() {
        let limiter = RateLimiter::default();
        assert!(limiter.admit("k", None, 1_000_000, 0).is_ok());
    }
}
