//! What ingestion keeps across requests, in [`crate::AppState`]: body size limits,
//! the per-key and per-project rate limiters. Outside
//! `routes/` so that the state does not depend on a route module.

mod project_limit;
mod rate_limit;

pub use project_limit::ProjectLimiter;
pub use rate_limit::RateLimiter;

/// Body size limits of the ingestion endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body as sent (compressed).
    pub compressed: usize,
    /// Largest body after decompression (a decompression bomb stops here).
    pub decompressed: usize,
    /// Largest single event.
    pub event: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            compressed: 20 * 1024 * 1024,
            decompressed: 100 * 1024 * 1024,
            event: 1024 * 1024,
        }
    }
}
