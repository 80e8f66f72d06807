//! Decisions of a run, and the `notifications` rows they become: one per action
//! and recipient, keyed by the decision so that a batch applied again writes none
//! twice.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use faultline_domain::alert::definition::{Action, EmailTarget, Fallthrough, Trigger};
use faultline_domain::issue::IssueEvent;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::evaluate::{Hook, Rules, Step, Workflow};
use super::issues::IssueFacts;
use super::log_keys;
use crate::error::ProjectionError;

/// The namespace of notification ids (uuid v5 of the decision).
const NAMESPACE: Uuid = Uuid::from_u128(0x6a1e_27c4_59b3_4f0e_9d57_0c2a_8b1f_4e21);

/// A workflow that fired for an issue.
struct Fire {
    workflow_id: i64,
    workflow_name: String,
    issue: IssueFacts,
    trigger: &'static str,
    position: i64,
    /// The ingested event's position, when the fire has one.
    event_position: Option<i64>,
    at: DateTime<Utc>,
    /// (action group, action index, action).
    actions: Vec<(usize, usize, Action)>,
}

/// A service hook call.
struct HookCall {
    hook_id: String,
    url: String,
    secret: String,
    resource: &'static str,
    issue: IssueFacts,
    event_position: Option<i64>,
    position: i64,
    workflow: Option<(i64, String)>,
}

/// The run's decisions, and when each workflow last fired for each issue.
#[derive(Default)]
pub(super) struct Decisions {
    last_fired: HashMap<(i64, String), DateTime<Utc>>,
    fires: Vec<Fire>,
    hooks: Vec<HookCall>,
}

fn trigger_name(triggers: &[Trigger]) -> &'static str {
    match triggers.first() {
        Some(Trigger::FirstSeenEvent) => "first_seen_event",
        Some(Trigger::RegressionEvent) => "regression_event",
        Some(Trigger::ReappearedEvent) => "reappeared_event",
        Some(Trigger::IssueResolvedTrigger) => "issue_resolved_trigger",
        None => "event",
    }
}

impl Decisions {
    /// Starts a run's decisions with when `rules`' workflows last fired for `streams`.
    pub(super) async fn load(
        conn: &mut PgConnection,
        org: i64,
        rules: &Rules,
        streams: &[String],
    ) -> Result<Self, ProjectionError> {
        let workflows = rules.workflow_ids();
        let mut decisions = Decisions::default();
        if workflows.is_empty() {
            return Ok(decisions);
        }
        let rows: Vec<(i64, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT workflow_id, stream_id, fired_at FROM alert_fires
              WHERE org_id = $3 AND workflow_id = ANY($1) AND stream_id = ANY($2)",
        )
        .bind(&workflows)
        .bind(streams)
        .bind(org)
        .fetch_all(&mut *conn)
        .await?;
        for (workflow, stream, fired_at) in rows {
            decisions.last_fired.insert((workflow, stream), fired_at);
        }
        Ok(decisions)
    }

    /// `workflow` fires `actions` at `step`, unless it fired for the issue within its
    /// frequency.
    pub(super) fn fire(
        &mut self,
        workflow: &Workflow,
        step: &Step<'_>,
        actions: Vec<(usize, usize, &Action)>,
        rules: &Rules,
    ) {
        let key = (workflow.id, step.issue.stream_id.clone());
        let frequency = TimeDelta::minutes(workflow.definition.frequency_minutes);
        if let Some(last) = self.last_fired.get(&key) {
            if step.at < *last + frequency {
                return;
            }
        }
        self.last_fired.insert(key, step.at);
        let event_position = step.occurrence.map(|_| step.position);
        for hook in rules.hooks(step.issue.project_id, "event.alert") {
            self.hook(
                hook,
                step,
                "event.alert",
                Some((workflow.id, workflow.definition.name.clone())),
            );
        }
        self.fires.push(Fire {
            workflow_id: workflow.id,
            workflow_name: workflow.definition.name.clone(),
            issue: step.issue.clone(),
            trigger: trigger_name(step.triggers),
            position: step.position,
            event_position,
            at: step.at,
            actions: actions
                .into_iter()
                .map(|(g, a, action)| (g, a, action.clone()))
                .collect(),
        });
    }

    /// A call of `hook` for `resource` at `step`.
    pub(super) fn hook(
        &mut self,
        hook: &Hook,
        step: &Step<'_>,
        resource: &'static str,
        workflow: Option<(i64, String)>,
    ) {
        self.hooks.push(HookCall {
            hook_id: hook.hook_id.clone(),
            url: hook.url.clone(),
            secret: hook.secret.clone(),
            resource,
            issue: step.issue.clone(),
            event_position: step.occurrence.map(|_| step.position),
            position: step.position,
            workflow,
        });
    }

    /// Records the fires and writes the outbox rows.
    pub(super) async fn write(
        self,
        conn: &mut PgConnection,
        org: i64,
        public_url: &str,
    ) -> Result<(), ProjectionError> {
        if self.fires.is_empty() && self.hooks.is_empty() {
            return Ok(());
        }
        for fire in &self.fires {
            sqlx::query(
                "INSERT INTO alert_fires (workflow_id, stream_id, fired_at, position, trigger,
                                          org_id)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (workflow_id, stream_id, org_id) DO UPDATE
                    SET fired_at = EXCLUDED.fired_at, position = EXCLUDED.position,
                        trigger = EXCLUDED.trigger",
            )
            .bind(fire.workflow_id)
            .bind(&fire.issue.stream_id)
            .bind(fire.at)
            .bind(fire.position)
            .bind(fire.trigger)
            .bind(org)
            .execute(&mut *conn)
            .await?;
        }
        let positions: Vec<(i64, i64, i64)> = self
            .fires
            .iter()
            .filter_map(|f| Some((f.issue.org_id, f.issue.project_id, f.event_position?)))
            .chain(
                self.hooks
                    .iter()
                    .filter_map(|h| Some((h.issue.org_id, h.issue.project_id, h.event_position?))),
            )
            .collect();
        let events = event_bodies(conn, &positions).await?;
        let projects: Vec<i64> = self
            .fires
            .iter()
            .map(|f| f.issue.project_id)
            .chain(self.hooks.iter().map(|h| h.issue.project_id))
            .collect();
        let places = places(conn, &projects).await?;
        let mut rows = Vec::new();
        for fire in &self.fires {
            let Some(place) = places.get(&fire.issue.project_id) else {
                continue;
            };
            let event = fire.event_position.and_then(|p| events.get(&p)).cloned();
            let payload = payload(
                place,
                &fire.issue,
                event,
                fire.trigger,
                Some((fire.workflow_id, fire.workflow_name.as_str())),
                public_url,
            );
            for (group, index, action) in &fire.actions {
                for (channel, target, secret) in targets(conn, action, &fire.issue).await? {
                    let key = format!(
                        "{}:{}:{}:{group}:{index}:{target}",
                        fire.workflow_id, fire.issue.stream_id, fire.position
                    );
                    rows.push(Row {
                        id: Uuid::new_v5(&NAMESPACE, key.as_bytes()),
                        org_id: fire.issue.org_id,
                        project_id: fire.issue.project_id,
                        issue_id: fire.issue.issue_id,
                        workflow_id: Some(fire.workflow_id.to_string()),
                        hook_id: None,
                        channel,
                        target,
                        secret,
                        payload: payload.clone(),
                    });
                }
            }
        }
        for call in &self.hooks {
            let Some(place) = places.get(&call.issue.project_id) else {
                continue;
            };
            let event = call.event_position.and_then(|p| events.get(&p)).cloned();
            let workflow = call
                .workflow
                .as_ref()
                .map(|(id, name)| (*id, name.as_str()));
            let mut payload = payload(
                place,
                &call.issue,
                event,
                call.resource,
                workflow,
                public_url,
            );
            payload["resource"] = json!(call.resource);
            let key = format!("hook:{}:{}:{}", call.hook_id, call.resource, call.position);
            rows.push(Row {
                id: Uuid::new_v5(&NAMESPACE, key.as_bytes()),
                org_id: call.issue.org_id,
                project_id: call.issue.project_id,
                issue_id: call.issue.issue_id,
                workflow_id: call.workflow.as_ref().map(|(id, _)| id.to_string()),
                hook_id: Some(call.hook_id.clone()),
                channel: "service_hook",
                target: call.url.clone(),
                secret: Some(call.secret.clone()),
                payload,
            });
        }
        insert(conn, rows).await
    }
}

/// An outbox row.
struct Row {
    id: Uuid,
    org_id: i64,
    project_id: i64,
    issue_id: i64,
    workflow_id: Option<String>,
    hook_id: Option<String>,
    channel: &'static str,
    target: String,
    secret: Option<String>,
    payload: Value,
}

async fn insert(conn: &mut PgConnection, rows: Vec<Row>) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO notifications (id, org_id, project_id, issue_id, workflow_id, hook_id,
                                    channel, target, secret, payload)
         SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
                              $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[])
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.org_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.project_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.issue_id).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.workflow_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.hook_id.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.channel).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.target.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.secret.clone()).collect::<Vec<_>>())
    .bind(rows.into_iter().map(|r| r.payload).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The normalised event JSON of each ingested event at `positions` (organization,
/// project id and position: the key of `ingested_events`).
async fn event_bodies(
    conn: &mut PgConnection,
    positions: &[(i64, i64, i64)],
) -> Result<HashMap<i64, Value>, ProjectionError> {
    let rows: Vec<(i64, String, Value, Option<Vec<u8>>)> = log_keys::read(
        conn,
        "position, event_version, payload, body",
        positions.iter().copied(),
    )
    .await?;
    let mut bodies = HashMap::new();
    for (position, version, payload, body) in rows {
        let current = faultline_domain::upcast::current_of_row(
            "issue",
            "EventIngested",
            &version,
            payload,
            body.as_deref(),
        );
        if let Ok(IssueEvent::EventIngested(occurrence)) = serde_json::from_value(current) {
            bodies.insert(position, occurrence.data);
        }
    }
    Ok(bodies)
}

/// A project's slug and name and its organization's slug.
#[derive(sqlx::FromRow)]
struct Place {
    id: i64,
    slug: String,
    name: String,
    org_slug: String,
}

async fn places(
    conn: &mut PgConnection,
    projects: &[i64],
) -> Result<HashMap<i64, Place>, ProjectionError> {
    let rows: Vec<Place> = sqlx::query_as(
        "SELECT p.id, p.slug, p.name, o.slug AS org_slug
           FROM projects p JOIN organizations o ON o.id = p.org_id
          WHERE p.id = ANY($1)",
    )
    .bind(projects)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|p| (p.id, p)).collect())
}

/// What a notification renders: the issue, its event, where it lives and why.
fn payload(
    place: &Place,
    issue: &IssueFacts,
    event: Option<Value>,
    trigger: &str,
    workflow: Option<(i64, &str)>,
    public_url: &str,
) -> Value {
    let permalink = format!(
        "{public_url}/organizations/{}/issues/{}/",
        place.org_slug, issue.issue_id
    );
    json!({
        "trigger": trigger,
        "issue": {
            "id": issue.issue_id.to_string(),
            "shortId": format!("{}-{}", place.slug.to_uppercase(), issue.short_number),
            "title": issue.title,
            "culprit": issue.culprit,
            "level": issue.level,
            "count": issue.times_seen.to_string(),
            "firstSeen": issue.first_seen,
            "permalink": permalink,
        },
        "event": event,
        "project": {"id": place.id.to_string(), "slug": place.slug, "name": place.name},
        "organization": {"slug": place.org_slug},
        "workflow": workflow.map(|(id, name)| json!({"id": id.to_string(), "name": name})),
        "url": permalink,
    })
}

/// Where an action sends: `(channel, target, secret)`, one per recipient.
async fn targets(
    conn: &mut PgConnection,
    action: &Action,
    issue: &IssueFacts,
) -> Result<Vec<(&'static str, String, Option<String>)>, ProjectionError> {
    Ok(match action {
        Action::Webhook { config, data } => vec![(
            "webhook",
            config.target_identifier.clone(),
            data.secret.clone(),
        )],
        Action::Slack { config } => vec![("slack", config.target_identifier.clone(), None)],
        Action::Discord { config } => vec![("discord", config.target_identifier.clone(), None)],
        Action::Email { config, data } => {
            let id = config
                .target_identifier
                .as_deref()
                .and_then(|id| id.parse::<i64>().ok());
            let emails = match (config.target_type, id) {
                (EmailTarget::User, Some(user)) => user_emails(conn, issue.org_id, user).await?,
                (EmailTarget::Team, Some(team)) => team_emails(conn, issue.org_id, team).await?,
                (EmailTarget::IssueOwners, _) => {
                    owner_emails(conn, issue, data.fallthrough_type).await?
                }
                _ => BTreeSet::new(),
            };
            emails
                .into_iter()
                .map(|email| ("email", email, None))
                .collect()
        }
    })
}

/// The email of user `user`, if a member of `org`.
async fn user_emails(
    conn: &mut PgConnection,
    org: i64,
    user: i64,
) -> Result<BTreeSet<String>, ProjectionError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM users u JOIN members m ON m.user_id = u.id
          WHERE u.id = $1 AND m.org_id = $2",
    )
    .bind(user)
    .bind(org)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The emails of team `team`'s members, if the team is `org`'s.
async fn team_emails(
    conn: &mut PgConnection,
    org: i64,
    team: i64,
) -> Result<BTreeSet<String>, ProjectionError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT u.email FROM teams t
           JOIN team_members tm ON tm.team_id = t.id
           JOIN members m ON m.id = tm.member_id
           JOIN users u ON u.id = m.user_id
          WHERE t.id = $1 AND t.org_id = $2",
    )
    .bind(team)
    .bind(org)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The assignee's emails, or the fallthrough's when nobody is assigned.
async fn owner_emails(
    conn: &mut PgConnection,
    issue: &IssueFacts,
    fallthrough: Fallthrough,
) -> Result<BTreeSet<String>, ProjectionError> {
    let assignee = issue.assignee.as_deref().and_then(|a| a.split_once(':'));
    match assignee.and_then(|(kind, id)| Some((kind, id.parse::<i64>().ok()?))) {
        Some(("user", user)) => user_emails(conn, issue.org_id, user).await,
        Some((_, team)) => team_emails(conn, issue.org_id, team).await,
        None => match fallthrough {
            // Every member here has joined: active and all are the same people.
            Fallthrough::ActiveMembers | Fallthrough::AllMembers => {
                let rows: Vec<String> = sqlx::query_scalar(
                    "SELECT u.email FROM members m JOIN users u ON u.id = m.user_id
                      WHERE m.org_id = $1",
                )
                .bind(issue.org_id)
                .fetch_all(&mut *conn)
                .await?;
                Ok(rows.into_iter().collect())
            }
            Fallthrough::NoOne => Ok(BTreeSet::new()),
        },
    }
}
