//! The project's rules: which events a command causes, if any.

use chrono::{DateTime, Utc};

use super::{ClientKey, Project, ProjectCommand, ProjectError, ProjectEvent, RateLimit};
use crate::slug::Slug;

type Decision = Result<Vec<ProjectEvent>, ProjectError>;

fn require_name(name: &str) -> Result<(), ProjectError> {
    if name.trim().is_empty() {
        Err(ProjectError::EmptyName)
    } else {
        Ok(())
    }
}

fn require_key_format(key: &str) -> Result<(), ProjectError> {
    let is_hex32 = key.len() == 32 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if is_hex32 {
        Ok(())
    } else {
        Err(ProjectError::InvalidKey)
    }
}

fn require_valid_rate_limit(rate_limit: Option<&RateLimit>) -> Result<(), ProjectError> {
    match rate_limit {
        Some(limit) if limit.window == 0 || limit.count == 0 => Err(ProjectError::InvalidRateLimit),
        _ => Ok(()),
    }
}

impl Project {
    /// Decides which events a command causes, without changing the project.
    pub fn decide(&self, cmd: ProjectCommand) -> Decision {
        use ProjectCommand::*;
        if self.deleted {
            return Err(ProjectError::ProjectDeleted);
        }
        if self.project_id.is_none() && !matches!(cmd, CreateProject { .. }) {
            return Err(ProjectError::NotFound);
        }
        match cmd {
            CreateProject {
                project_id,
                org_id,
                slug,
                name,
                platform,
                team_id,
                at,
            } => {
                if self.project_id.is_some() {
                    return Err(ProjectError::AlreadyExists);
                }
                require_name(&name)?;
                Ok(vec![ProjectEvent::ProjectCreated {
                    project_id,
                    org_id,
                    slug,
                    name,
                    platform,
                    team_id,
                    at,
                }])
            }
            UpdateProject {
                name,
                slug,
                platform,
                retention,
                at,
            } => {
                let retention = self.retention.changed(retention.days, retention.max_events);
                retention.validate()?;
                let mut events = self.update(name, slug, platform, at)?;
                if retention != self.retention {
                    events.push(ProjectEvent::RetentionChanged { retention, at });
                }
                Ok(events)
            }
            DeleteProject { at } => Ok(vec![ProjectEvent::ProjectDeleted { at }]),
            SetGroupingRules {
                fingerprinting_rules,
                grouping_enhancements,
                at,
            } => {
                let fingerprinting_rules =
                    fingerprinting_rules.unwrap_or_else(|| self.fingerprinting_rules.clone());
                let grouping_enhancements =
                    grouping_enhancements.unwrap_or_else(|| self.grouping_enhancements.clone());
                check_grouping_rules(&fingerprinting_rules, &grouping_enhancements)?;
                if fingerprinting_rules == self.fingerprinting_rules
                    && grouping_enhancements == self.grouping_enhancements
                {
                    return Ok(vec![]);
                }
                Ok(vec![ProjectEvent::GroupingRulesChanged {
                    fingerprinting_rules,
                    grouping_enhancements,
                    at,
                }])
            }
            SetEnvironmentsHidden { names, hidden, at } => {
                let mut names: Vec<String> = names
                    .into_iter()
                    .filter(|name| self.hidden_environments.contains(name) != hidden)
                    .collect();
                names.sort();
                names.dedup();
                if names.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![ProjectEvent::EnvironmentsHidden { names, hidden, at }])
            }
            AddProjectTeam { team_id, at } => {
                if self.teams.contains(&team_id) {
                    return Err(ProjectError::TeamAlreadyAdded(team_id));
                }
                Ok(vec![ProjectEvent::ProjectTeamAdded { team_id, at }])
            }
            RemoveProjectTeam { team_id, at } => {
                if !self.teams.contains(&team_id) {
                    return Err(ProjectError::TeamNotAdded(team_id));
                }
                Ok(vec![ProjectEvent::ProjectTeamRemoved { team_id, at }])
            }
            CreateClientKey {
                public_key,
                secret_key,
                label,
                rate_limit,
                at,
            } => {
                require_key_format(&public_key)?;
                require_key_format(&secret_key)?;
                require_valid_rate_limit(rate_limit.as_ref())?;
                if self.keys.contains_key(&public_key) {
                    return Err(ProjectError::ClientKeyAlreadyExists);
                }
                Ok(vec![ProjectEvent::ClientKeyCreated {
                    public_key,
                    secret_key,
                    label,
                    rate_limit,
                    at,
                }])
            }
            UpdateClientKey {
                public_key,
                label,
                is_active,
                rate_limit,
                at,
            } => {
                let key = self.require_usable_key(&public_key)?;
                require_valid_rate_limit(rate_limit.as_ref().and_then(Option::as_ref))?;
                let label = label.filter(|label| *label != key.label);
                let is_active = is_active.filter(|active| *active != key.is_active);
                let rate_limit = rate_limit.filter(|limit| *limit != key.rate_limit);
                if label.is_none() && is_active.is_none() && rate_limit.is_none() {
                    return Ok(vec![]);
                }
                Ok(vec![ProjectEvent::ClientKeyUpdated {
                    public_key,
                    label,
                    is_active,
                    rate_limit,
                    at,
                }])
            }
            RevokeClientKey { public_key, at } => {
                self.require_usable_key(&public_key)?;
                Ok(vec![ProjectEvent::ClientKeyRevoked { public_key, at }])
            }
        }
    }

    fn update(
        &self,
        name: Option<String>,
        slug: Option<Slug>,
        platform: Option<Option<String>>,
        at: DateTime<Utc>,
    ) -> Decision {
        if let Some(name) = &name {
            require_name(name)?;
        }
        let name = name.filter(|name| *name != self.name);
        let slug = slug.filter(|slug| Some(slug) != self.slug.as_ref());
        let platform = platform.filter(|platform| *platform != self.platform);
        if name.is_none() && slug.is_none() && platform.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![ProjectEvent::ProjectUpdated {
            name,
            slug,
            platform,
            at,
        }])
    }

    fn require_usable_key(&self, public_key: &str) -> Result<&ClientKey, ProjectError> {
        match self.keys.get(public_key) {
            None => Err(ProjectError::ClientKeyNotFound),
            Some(key) if key.revoked => Err(ProjectError::ClientKeyRevoked),
            Some(key) => Ok(key),
        }
    }
}

/// Both rule texts parse; else which field, and Sentry's message with line and column.
pub fn check_grouping_rules(fingerprinting: &str, enhancements: &str) -> Result<(), ProjectError> {
    use crate::event::grouping::rules::{check_size, Enhancements, FingerprintRules};
    let refused = |field| {
        move |e: crate::event::grouping::rules::RuleError| ProjectError::InvalidGroupingRules {
            field,
            message: e.to_string(),
        }
    };
    check_size(fingerprinting).map_err(refused("fingerprintingRules"))?;
    check_size(enhancements).map_err(refused("groupingEnhancements"))?;
    FingerprintRules::parse(fingerprinting).map_err(|e| ProjectError::InvalidGroupingRules {
        field: "fingerprintingRules",
        message: e.to_string(),
    })?;
    Enhancements::parse(enhancements).map_err(|e| ProjectError::InvalidGroupingRules {
        field: "groupingEnhancements",
        message: e.to_string(),
    })?;
    Ok(())
}
