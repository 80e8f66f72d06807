//! Public key → project lookup for ingestion, in memory in every process.

use std::sync::Arc;

use dashmap::DashMap;
use faultline_domain::event::grouping::rules::ProjectRules;
use faultline_domain::project::{ProjectEvent, RateLimit};

use crate::memory::MemoryProjection;
use crate::StoredEvent;

/// What ingestion needs to know about a client key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's project.
    pub project_id: i64,
    /// The project's organization.
    pub org_id: i64,
    /// The secret half (legacy SDKs send it).
    pub secret_key: String,
    /// Enabled, and its project not deleted.
    pub is_active: bool,
    /// The key's rate limit.
    pub rate_limit: Option<RateLimit>,
}

/// The lookup, kept current from project events.
#[derive(Default)]
pub struct KeyCache {
    keys: DashMap<String, KeyInfo>,
    /// project id → organization id, for keys created after the project.
    projects: DashMap<i64, i64>,
    /// project id → its grouping rules, compiled once.
    rules: DashMap<i64, Arc<ProjectRules>>,
}

impl KeyCache {
    /// The key, if it exists and was not revoked.
    pub fn get(&self, public_key: &str) -> Option<KeyInfo> {
        self.keys.get(public_key).map(|k| k.clone())
    }

    /// The project's grouping rules (none until it saves some).
    pub fn rules(&self, project_id: i64) -> Arc<ProjectRules> {
        static NONE: std::sync::OnceLock<Arc<ProjectRules>> = std::sync::OnceLock::new();
        self.rules
            .get(&project_id)
            .map(|r| r.clone())
            .unwrap_or_else(|| NONE.get_or_init(Arc::default).clone())
    }
}

impl MemoryProjection for KeyCache {
    fn name(&self) -> &'static str {
        "key_cache"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["project"]
    }

    fn apply(&self, event: &StoredEvent) {
        let Ok(project_id) = event.aggregate_id.parse::<i64>() else {
            return;
        };
        let Ok(decoded) = event.decode::<ProjectEvent>() else {
            tracing::warn!(
                position = event.position,
                "key cache skipped an undecodable event"
            );
            return;
        };
        match decoded {
            ProjectEvent::ProjectCreated { org_id, .. } => {
                self.projects.insert(project_id, org_id);
            }
            ProjectEvent::ProjectDeleted { .. } => {
                self.projects.remove(&project_id);
                self.keys.retain(|_, key| key.project_id != project_id);
            }
            ProjectEvent::ClientKeyCreated {
                public_key,
                secret_key,
                rate_limit,
                ..
            } => {
                let Some(org_id) = self.projects.get(&project_id).map(|o| *o) else {
                    return;
                };
                self.keys.insert(
                    public_key,
                    KeyInfo {
                        project_id,
                        org_id,
                        secret_key,
                        is_active: true,
                        rate_limit,
                    },
                );
            }
            ProjectEvent::ClientKeyUpdated {
                public_key,
                is_active,
                rate_limit,
                ..
            } => {
                if let Some(mut key) = self.keys.get_mut(&public_key) {
                    if let Some(active) = is_active {
                        key.is_active = active;
                    }
                    if let Some(limit) = rate_limit {
                        key.rate_limit = limit;
                    }
                }
            }
            ProjectEvent::ClientKeyRevoked { public_key, .. } => {
                self.keys.remove(&public_key);
            }
            ProjectEvent::GroupingRulesChanged {
                fingerprinting_rules,
                grouping_enhancements,
                ..
            } => {
                // Saved rules parsed before they were recorded; a text that no longer
                // parses (a rule this version refuses) groups without rules.
                let rules = ProjectRules::parse(&fingerprinting_rules, &grouping_enhancements)
                    .unwrap_or_default();
                self.rules.insert(project_id, Arc::new(rules));
            }
            ProjectEvent::ProjectUpdated { .. }
            | ProjectEvent::RetentionChanged { .. }
            | ProjectEvent::EnvironmentsHidden { .. }
            | ProjectEvent::ProjectTeamAdded { .. }
            | ProjectEvent::ProjectTeamRemoved { .. } => {}
        }
    }
}
