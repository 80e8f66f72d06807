//! The rules in force for a run (enabled workflows and service hooks of its
//! projects) and their evaluation at each step of an issue's life.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use faultline_domain::alert::definition::{Action, Definition, Facts, Filter, Interval, Trigger};
use faultline_domain::issue::Occurrence;
use sqlx::PgConnection;

use super::counts::Windows;
use super::issues::IssueFacts;
use super::outbox::Decisions;
use crate::error::ProjectionError;

/// An enabled workflow.
#[derive(Debug)]
pub(super) struct Workflow {
    pub id: i64,
    pub definition: Definition,
}

/// A service hook.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Hook {
    pub hook_id: String,
    pub project_id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

/// What happens to an issue that a workflow may act on.
pub(super) struct Step<'a> {
    pub issue: &'a IssueFacts,
    /// The event, when the step is one (a resolve or an expired ignore is not).
    pub occurrence: Option<&'a Occurrence>,
    pub triggers: &'a [Trigger],
    /// Where the step sits in the log: the event's position, or the trigger's.
    pub position: i64,
    pub at: DateTime<Utc>,
}

/// The enabled workflows and the service hooks of a run's projects.
#[derive(Debug, Default)]
pub(super) struct Rules {
    workflows: Vec<Workflow>,
    by_project: HashMap<i64, Vec<usize>>,
    hooks: HashMap<i64, Vec<Hook>>,
}

impl Rules {
    /// Loads the rules of `projects` of organization `org`.
    pub(super) async fn load(
        conn: &mut PgConnection,
        org: i64,
        projects: &[i64],
    ) -> Result<Self, ProjectionError> {
        let mut rules = Rules::default();
        if projects.is_empty() {
            return Ok(rules);
        }
        let rows: Vec<(i64, Vec<i64>, serde_json::Value)> = sqlx::query_as(
            "SELECT workflow_id, project_ids, definition FROM alert_workflows
              WHERE org_id = $2 AND enabled AND project_ids && $1 ORDER BY workflow_id",
        )
        .bind(projects)
        .bind(org)
        .fetch_all(&mut *conn)
        .await?;
        for (id, project_ids, definition) in rows {
            let definition: Definition = serde_json::from_value(definition)
                .map_err(|e| ProjectionError::Invalid(format!("workflow {id}: {e}")))?;
            let index = rules.workflows.len();
            for project in project_ids.iter().filter(|p| projects.contains(p)) {
                rules.by_project.entry(*project).or_default().push(index);
            }
            rules.workflows.push(Workflow { id, definition });
        }
        let hooks: Vec<Hook> = sqlx::query_as(
            "SELECT hook_id, project_id, url, events, secret FROM alert_service_hooks
              WHERE org_id = $2 AND project_id = ANY($1) ORDER BY hook_id",
        )
        .bind(projects)
        .bind(org)
        .fetch_all(&mut *conn)
        .await?;
        for hook in hooks {
            rules.hooks.entry(hook.project_id).or_default().push(hook);
        }
        Ok(rules)
    }

    /// Whether no workflow and no hook watches any project of the run.
    pub(super) fn is_empty(&self) -> bool {
        self.by_project.is_empty() && self.hooks.is_empty()
    }

    /// Whether a workflow or a hook watches `project`.
    pub(super) fn watches(&self, project: i64) -> bool {
        self.by_project.contains_key(&project) || self.hooks.contains_key(&project)
    }

    /// The workflows watching `project`.
    pub(super) fn of_project(&self, project: i64) -> impl Iterator<Item = &Workflow> {
        self.by_project
            .get(&project)
            .into_iter()
            .flatten()
            .map(|&index| &self.workflows[index])
    }

    /// The ids of every loaded workflow.
    pub(super) fn workflow_ids(&self) -> Vec<i64> {
        self.workflows.iter().map(|w| w.id).collect()
    }

    /// The hooks of `project` subscribed to `resource` (`event.created`, `event.alert`).
    pub(super) fn hooks<'a>(
        &'a self,
        project: i64,
        resource: &'a str,
    ) -> impl Iterator<Item = &'a Hook> {
        self.hooks
            .get(&project)
            .into_iter()
            .flatten()
            .filter(move |hook| hook.events.iter().any(|e| e == resource))
    }

    fn filters(&self, project: i64) -> impl Iterator<Item = &Filter> {
        self.of_project(project).flat_map(|w| {
            w.definition
                .action_filters
                .iter()
                .flat_map(|group| group.conditions.iter().map(|c| &c.what))
        })
    }

    /// Whether a workflow of `project` counts events per interval: its buckets are
    /// kept then.
    pub(super) fn counts_events(&self, project: i64) -> bool {
        self.filters(project).any(|f| {
            matches!(
                f,
                Filter::EventFrequencyCount { .. } | Filter::EventUniqueUserFrequencyCount { .. }
            )
        })
    }

    /// Whether a workflow of `project` counts distinct users per interval.
    pub(super) fn counts_users(&self, project: i64) -> bool {
        self.of_project(project)
            .any(|w| w.definition.counts_users())
    }

    /// Every interval an event-count filter asks about.
    pub(super) fn event_intervals(&self) -> Vec<Interval> {
        self.intervals(|f| match f {
            Filter::EventFrequencyCount { interval, .. } => Some(*interval),
            _ => None,
        })
    }

    /// Every interval a user-count filter asks about.
    pub(super) fn user_intervals(&self) -> Vec<Interval> {
        self.intervals(|f| match f {
            Filter::EventUniqueUserFrequencyCount { interval, .. } => Some(*interval),
            _ => None,
        })
    }

    fn intervals(&self, of: impl Fn(&Filter) -> Option<Interval>) -> Vec<Interval> {
        let all: HashSet<Interval> = self
            .workflows
            .iter()
            .flat_map(|w| w.definition.action_filters.iter())
            .flat_map(|group| group.conditions.iter().filter_map(|c| of(&c.what)))
            .collect();
        all.into_iter().collect()
    }

    /// Evaluates every workflow of the step's project; each that fires (its triggers,
    /// an action group's filters and its frequency allow) becomes a decision.
    pub(super) fn evaluate(&self, step: &Step<'_>, windows: &Windows, decisions: &mut Decisions) {
        let issue = step.issue;
        let stream = issue.stream_id.as_str();
        let assignee = issue.assignee.as_deref().and_then(|a| {
            let (kind, id) = a.split_once(':')?;
            Some((kind, id.parse().ok()?))
        });
        let no_tags = Vec::new();
        let events_in = |interval| windows.events_in(stream, interval, step.at);
        let users_in = |interval| windows.users_in(stream, interval, step.at);
        let facts = Facts {
            level: step
                .occurrence
                .map_or(issue.level.as_str(), |o| o.level.as_str()),
            tags: step.occurrence.map_or(&no_tags, |o| &o.tags),
            issue_age_seconds: (step.at - issue.first_seen).num_seconds(),
            times_seen: issue.times_seen,
            assignee,
            events_in: &events_in,
            users_in: &users_in,
        };
        for workflow in self.of_project(issue.project_id) {
            let definition = &workflow.definition;
            if let Some(environment) = &definition.environment {
                if step
                    .occurrence
                    .is_none_or(|o| &o.environment != environment)
                {
                    continue;
                }
            }
            if !definition.triggers.evaluate(step.triggers) {
                continue;
            }
            let actions: Vec<(usize, usize, &Action)> = definition
                .action_filters
                .iter()
                .enumerate()
                .filter(|(_, group)| group.passes(&facts))
                .flat_map(|(g, group)| {
                    group
                        .actions
                        .iter()
                        .enumerate()
                        .map(move |(a, x)| (g, a, x))
                })
                .collect();
            if actions.is_empty() {
                continue;
            }
            decisions.fire(workflow, step, actions, self);
        }
    }

    /// A service hook call per hook of the project subscribed to new events.
    pub(super) fn hooks_for_event(&self, step: &Step<'_>, decisions: &mut Decisions) {
        for hook in self.hooks(step.issue.project_id, "event.created") {
            decisions.hook(hook, step, "event.created", None);
        }
    }
}
