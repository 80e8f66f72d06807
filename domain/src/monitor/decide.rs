//! The monitor's rules: which events a command causes, if any.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::{
    CheckInReport, CheckInStatus, Monitor, MonitorChanges, MonitorCommand, MonitorConfig,
    MonitorError, MonitorEvent, NewMonitor, MAX_NAME_LEN,
};

type Decision = Result<Vec<MonitorEvent>, MonitorError>;

/// Sentry's rule for an environment name: 1 to 64 characters, no `/` or line breaks.
pub fn require_environment(environment: &str) -> Result<(), MonitorError> {
    if environment.is_empty()
        || environment.len() > 64
        || environment.contains(['/', '\n', '\r', '\t', '\x0c'])
    {
        return Err(MonitorError::InvalidEnvironment);
    }
    Ok(())
}

fn require_name(name: &str) -> Result<(), MonitorError> {
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(MonitorError::InvalidName);
    }
    Ok(())
}

fn created(monitor: NewMonitor, at: DateTime<Utc>) -> Result<MonitorEvent, MonitorError> {
    require_name(&monitor.name)?;
    monitor.config.validate()?;
    Ok(MonitorEvent::MonitorCreated {
        monitor_id: monitor.monitor_id,
        org_id: monitor.org_id,
        project_id: monitor.project_id,
        slug: monitor.slug,
        name: monitor.name,
        config: monitor.config,
        owner: monitor.owner,
        status: monitor.status,
        muted: monitor.muted,
        at,
    })
}

impl Monitor {
    pub(super) fn decide(&self, command: MonitorCommand) -> Decision {
        match command {
            MonitorCommand::Create { monitor, at } => {
                if self.is_live() {
                    return Err(MonitorError::SlugTaken);
                }
                Ok(vec![created(monitor, at)?])
            }
            MonitorCommand::Update { changes, at } => self.update(changes, at),
            MonitorCommand::Delete { at } => {
                self.require_live()?;
                Ok(vec![MonitorEvent::MonitorDeleted { at }])
            }
            MonitorCommand::CheckIn { report, upsert, at } => self.check_in(report, upsert, at),
            MonitorCommand::MarkMissed {
                check_in_id,
                environment,
                now,
            } => Ok(self.missed(check_in_id, &environment, now)),
            MonitorCommand::MarkTimedOut {
                check_in_id,
                environment,
                now,
            } => Ok(self.timed_out(check_in_id, &environment, now)),
            MonitorCommand::SummarizeCheckIns { from, below, at } => {
                if self.monitor_id.is_none() || self.summarized_below >= below {
                    return Ok(Vec::new());
                }
                Ok(vec![MonitorEvent::CheckInsSummarized {
                    from,
                    below,
                    environments: self.environments.clone(),
                    at,
                }])
            }
        }
    }

    fn require_live(&self) -> Result<&MonitorConfig, MonitorError> {
        self.config().ok_or(MonitorError::NotFound)
    }

    fn update(&self, changes: MonitorChanges, at: DateTime<Utc>) -> Decision {
        self.require_live()?;
        if let Some(name) = &changes.name {
            require_name(name)?;
        }
        if let Some(config) = &changes.config {
            config.validate()?;
        }
        let MonitorChanges {
            name,
            config,
            status,
            muted,
            owner,
        } = changes;
        let name = name.filter(|name| *name != self.name);
        let config = config.filter(|config| Some(config) != self.config.as_ref());
        let status = status.filter(|status| *status != self.status);
        let muted = muted.filter(|muted| *muted != self.muted);
        let owner = owner.filter(|owner| *owner != self.owner);
        if name.is_none()
            && config.is_none()
            && status.is_none()
            && muted.is_none()
            && owner.is_none()
        {
            return Ok(Vec::new());
        }
        Ok(vec![MonitorEvent::MonitorUpdated {
            name,
            config,
            status,
            muted,
            owner,
            at,
        }])
    }

    fn check_in(
        &self,
        report: CheckInReport,
        upsert: Option<NewMonitor>,
        at: DateTime<Utc>,
    ) -> Decision {
        require_environment(&report.environment)?;
        let mut events = Vec::new();
        let mut state = self.clone();
        match upsert {
            Some(upsert) if !self.is_live() => events.push(created(upsert, at)?),
            Some(upsert) => {
                upsert.config.validate()?;
                let current = self.require_live()?;
                let config = upsert.config.over(current);
                if config != *current {
                    events.push(MonitorEvent::MonitorUpdated {
                        name: None,
                        config: Some(config),
                        status: None,
                        muted: None,
                        owner: None,
                        at,
                    });
                }
            }
            None => {}
        }
        for event in &events {
            state.apply(event.clone());
        }
        let config = state.require_live()?.clone();
        if state.project_id != report.project_id {
            return Err(MonitorError::OtherProject);
        }
        if state.status == super::MonitorStatus::Disabled {
            return Err(MonitorError::Disabled);
        }
        let env = state.environments.get(&report.environment);
        let (check_in_id, open) = if report.check_in_id.is_nil() {
            env.and_then(|env| env.open.iter().max_by_key(|(_, started)| **started))
                .map_or((report.fresh_id, None), |(id, started)| {
                    (*id, Some(*started))
                })
        } else {
            let open = env
                .and_then(|env| env.open.get(&report.check_in_id))
                .copied();
            (report.check_in_id, open)
        };
        let event = match (report.status, open) {
            (CheckInStatus::InProgress, Some(_)) => return Ok(events),
            (status, Some(started)) => MonitorEvent::CheckInCompleted {
                check_in_id,
                environment: report.environment.clone(),
                status,
                duration_ms: report.duration_ms.unwrap_or_else(|| {
                    u64::try_from((at - started).num_milliseconds()).unwrap_or(0)
                }),
                at,
            },
            (status, None) => MonitorEvent::CheckInRecorded {
                check_in_id,
                environment: report.environment.clone(),
                status,
                duration_ms: report.duration_ms,
                expected_at: env.and_then(|env| env.next_expected),
                next_expected: config.next_after(at),
                at,
            },
        };
        events.extend(state.judged(event, &config, at));
        Ok(events)
    }

    /// `event` followed by the incident it opens or resolves, if any.
    fn judged(
        &self,
        event: MonitorEvent,
        config: &MonitorConfig,
        at: DateTime<Utc>,
    ) -> Vec<MonitorEvent> {
        let (environment, status) = match &event {
            MonitorEvent::CheckInRecorded {
                environment,
                status,
                ..
            }
            | MonitorEvent::CheckInCompleted {
                environment,
                status,
                ..
            } => (environment.clone(), *status),
            _ => return vec![event],
        };
        let mut after = self.clone();
        after.apply(event.clone());
        let env = after
            .environments
            .get(&environment)
            .cloned()
            .unwrap_or_default();
        let mut events = vec![event];
        match env.incident {
            None if status.is_failure()
                && !after.muted
                && env.failures >= config.failure_threshold() =>
            {
                events.push(MonitorEvent::IncidentOpened {
                    environment,
                    incident: env.incidents + 1,
                    reason: status,
                    at,
                });
            }
            Some(incident)
                if status == CheckInStatus::Ok && env.successes >= config.recovery_threshold() =>
            {
                events.push(MonitorEvent::IncidentResolved {
                    environment,
                    incident,
                    at,
                });
            }
            _ => {}
        }
        events
    }

    fn missed(
        &self,
        check_in_id: Uuid,
        environment: &str,
        now: DateTime<Utc>,
    ) -> Vec<MonitorEvent> {
        let env = self.environments.get(environment);
        let due = self
            .config()
            .zip(env.and_then(|env| env.next_expected))
            .filter(|(config, expected)| {
                self.status == super::MonitorStatus::Active && now >= *expected + config.margin()
            });
        let Some((config, expected)) = due else {
            return Vec::new();
        };
        let event = MonitorEvent::CheckInRecorded {
            check_in_id,
            environment: environment.to_owned(),
            status: CheckInStatus::Missed,
            duration_ms: None,
            expected_at: Some(expected),
            next_expected: config.next_after(expected),
            at: now,
        };
        self.judged(event, config, now)
    }

    fn timed_out(
        &self,
        check_in_id: Uuid,
        environment: &str,
        now: DateTime<Utc>,
    ) -> Vec<MonitorEvent> {
        let env = self.environments.get(environment);
        let due = self
            .config()
            .zip(env.and_then(|env| env.open.get(&check_in_id)).copied())
            .filter(|(config, started)| now >= *started + config.max_runtime());
        let Some((config, started)) = due else {
            return Vec::new();
        };
        let event = MonitorEvent::CheckInCompleted {
            check_in_id,
            environment: environment.to_owned(),
            status: CheckInStatus::Timeout,
            duration_ms: u64::try_from((now - started).num_milliseconds()).unwrap_or(0),
            at: now,
        };
        self.judged(event, config, now)
    }
}
