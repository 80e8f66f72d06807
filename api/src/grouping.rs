//! The ingest path's grouping: the configuration the server runs, and which issue an
//! event joins when its current and legacy hashes differ (`faultline_commands::grouping`),
//! remembered per process once the issue exists so that only the first events of a
//! changed group pay a query.

use dashmap::DashMap;
use faultline_commands::grouping::{issue_hash, Decision};
use faultline_domain::event::grouping::Config;
use sqlx::PgPool;

/// Remembered decisions at most; then forgotten and learned again.
const REMEMBERED: usize = 100_000;

/// The configuration and the decisions taken.
pub struct Grouper {
    config: Config,
    decided: DashMap<(i64, String), Decision>,
}

impl Grouper {
    /// Groups under `config`.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            decided: DashMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.config
    }

    /// The issue hash of an event whose current hash is `current` and legacy hash
    /// `legacy`; a failing lookup keeps the current hash (the event is never refused).
    pub async fn issue_hash(
        &self,
        pool: &PgPool,
        organization_id: i64,
        project_id: i64,
        current: &str,
        legacy: &str,
    ) -> Decision {
        let plain = || Decision {
            hash: current.to_owned(),
            fallback: false,
            settled: false,
        };
        if self.config == Config::Legacy || current == legacy {
            return plain();
        }
        let key = (project_id, current.to_owned());
        if let Some(decision) = self.decided.get(&key) {
            return decision.clone();
        }
        match issue_hash(pool, organization_id, project_id, current, legacy).await {
            Ok(decision) => {
                if decision.settled {
                    if self.decided.len() >= REMEMBERED {
                        self.decided.clear();
                    }
                    self.decided.insert(key, decision.clone());
                }
                decision
            }
            Err(error) => {
                tracing::warn!(%error, "grouping fallback lookup failed");
                plain()
            }
        }
    }
}
