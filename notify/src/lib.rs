//! Faultline's notification delivery (docs/alerts.md, "The outbox" and delivery).
//!
//! The alerting reactor (and the service-hook path) write one `notifications` row
//! per message; the [`Worker`] of every `faultline serve` process claims due rows
//! under a lease ([`outbox`]), renders each for its channel ([`channels`]), sends it
//! over HTTP ([`outbound`]: public addresses only, no redirects, a timeout) or SMTP
//! ([`smtp`]), and records the outcome, retrying with jittered exponential backoff
//! ([`attempt`]) until the retry horizon. Delivery is at least once: a crash
//! between sending and recording sends again after the lease, with the same
//! idempotency key.
//!
//! Depends on no other Faultline crate: the outbox table is its whole interface.

pub mod address;
pub mod attempt;
pub mod channels;
pub mod metrics;
pub mod outbound;
pub mod outbox;
pub mod payload;
pub mod smtp;
pub mod worker;

use std::time::Duration;

pub use worker::Worker;

/// How delivery is configured (`faultline serve` flags).
#[derive(Debug, Clone)]
pub struct Config {
    /// `--smtp-url`: where email goes; none means email rows wait and retry.
    pub smtp_url: Option<String>,
    /// `--email-from`: the sender address.
    pub email_from: String,
    /// `--email-hourly-cap`: emails per recipient per hour; the rest are dropped.
    pub email_hourly_cap: u32,
    /// `--allow-private-webhooks`: let receivers be on loopback and private networks.
    pub allow_private: bool,
    /// `--notification-timeout`: the longest one attempt may take.
    pub timeout: Duration,
    /// `--notification-retry-horizon`: how long after a row's creation it is retried.
    pub retry_horizon: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            smtp_url: None,
            email_from: "faultline@localhost".to_owned(),
            email_hourly_cap: 20,
            allow_private: false,
            timeout: Duration::from_secs(10),
            retry_horizon: Duration::from_secs(24 * 3600),
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--smtp-url` does not parse.
    #[error("invalid --smtp-url: {0}")]
    SmtpUrl(String),
    /// `--email-from` is not an address.
    #[error("invalid --email-from {0:?}: {1}")]
    EmailFrom(String, String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}
