//! The issue workflow in the read models: status, assignment, bookmarks,
//! subscriptions, comments, deletion, merges, and the activity feed.

use chrono::{DateTime, Utc};
use faultline_domain::issue::{
    Assignee, IgnoreDetails, IssueEvent, ResolveDetails, UnignoreReason,
};
use serde_json::{json, Value};
use sqlx::PgConnection;

use super::accepted::AcceptedIds;
use crate::{ProjectionError, StoredEvent};

/// Applies one workflow event. A rebuild passes the event ids it keeps in place of
/// `issue_events`' primary key (`accepted`), so that a deletion forgets them too.
pub async fn apply(
    conn: &mut PgConnection,
    event: &StoredEvent,
    accepted: Option<&mut AcceptedIds>,
) -> Result<(), ProjectionError> {
    if event.event_type == "OccurrencesSummarized" {
        // Counts in the issues its parts name, whether or not this stream's issue is
        // still in the read models.
        return super::summaries::apply(conn, event).await;
    }
    let org_id = event.organization_id;
    let Some(issue_id) = issue_of(conn, org_id, &event.aggregate_id).await? else {
        // The issue left the read models (deleted or merged away) before this event.
        return Ok(());
    };
    let step = Step {
        org_id,
        issue_id,
        position: event.position,
    };
    match event.decode::<IssueEvent>()? {
        IssueEvent::IssueResolved { at, details, actor } => {
            let (kind, status_details) = match &details {
                ResolveDetails::Plain => ("set_resolved", json!({})),
                ResolveDetails::InNextRelease { .. } => {
                    ("set_resolved_in_release", json!({"inNextRelease": true}))
                }
                ResolveDetails::InRelease { version, .. } => {
                    ("set_resolved_in_release", json!({"inRelease": version}))
                }
            };
            step.status(conn, "resolved", None, &status_details).await?;
            step.activity(conn, kind, status_details, actor.as_deref(), at)
                .await
        }
        IssueEvent::IssueUnresolved { at, actor } => {
            step.status(conn, "unresolved", None, &json!({})).await?;
            step.activity(conn, "set_unresolved", json!({}), actor.as_deref(), at)
                .await
        }
        IssueEvent::IssueIgnored {
            details,
            until,
            at,
            actor,
        } => {
            let status_details = ignore_details(&details, until);
            step.status(
                conn,
                "ignored",
                Some(archived_substatus(&details)),
                &status_details,
            )
            .await?;
            step.activity(conn, "set_ignored", status_details, actor.as_deref(), at)
                .await
        }
        IssueEvent::IssueUnignored { reason, at } => {
            step.status(conn, "unresolved", Some("escalating"), &json!({}))
                .await?;
            let data = json!({ "reason": match reason {
                UnignoreReason::Escalating => "escalating",
                UnignoreReason::Expired => "expired",
            }});
            step.activity(conn, "set_escalating", data, None, at).await
        }
        IssueEvent::IssueAssigned {
            assignee,
            at,
            actor,
        } => {
            let (user, team, data) = match assignee {
                Assignee::User(id) => (
                    Some(id),
                    None,
                    json!({"assignee": id.to_string(), "assigneeType": "user"}),
                ),
                Assignee::Team(id) => (
                    None,
                    Some(id),
                    json!({"assignee": id.to_string(), "assigneeType": "team"}),
                ),
            };
            sqlx::query(
                "UPDATE issues SET assignee_user_id = $2, assignee_team_id = $3
                  WHERE id = $1 AND org_id = $4",
            )
            .bind(issue_id)
            .bind(user)
            .bind(team)
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
            step.activity(conn, "assigned", data, actor.as_deref(), at)
                .await
        }
        IssueEvent::IssueUnassigned { at, actor, .. } => {
            sqlx::query(
                "UPDATE issues SET assignee_user_id = NULL, assignee_team_id = NULL
                  WHERE id = $1 AND org_id = $2",
            )
            .bind(issue_id)
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
            step.activity(conn, "unassigned", json!({}), actor.as_deref(), at)
                .await
        }
        IssueEvent::BookmarkSet {
            user_id,
            bookmarked,
            ..
        } => {
            let sql = if bookmarked {
                "INSERT INTO issue_bookmarks (issue_id, user_id, org_id) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM issue_bookmarks WHERE issue_id = $1 AND user_id = $2 AND org_id = $3"
            };
            sqlx::query(sql)
                .bind(issue_id)
                .bind(user_id)
                .bind(org_id)
                .execute(conn)
                .await?;
            Ok(())
        }
        IssueEvent::SubscriptionSet {
            user_id,
            subscribed,
            ..
        } => {
            sqlx::query(
                "INSERT INTO issue_subscriptions (issue_id, user_id, subscribed, org_id)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (issue_id, user_id, org_id) DO UPDATE SET subscribed = EXCLUDED.subscribed",
            )
            .bind(issue_id)
            .bind(user_id)
            .bind(subscribed)
            .bind(org_id)
            .execute(conn)
            .await?;
            Ok(())
        }
        IssueEvent::IssueSeen { user_id, at } => {
            sqlx::query(
                "INSERT INTO issue_seen (issue_id, user_id, seen_at, org_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (issue_id, user_id, org_id) DO UPDATE SET seen_at = EXCLUDED.seen_at",
            )
            .bind(issue_id)
            .bind(user_id)
            .bind(at)
            .bind(org_id)
            .execute(conn)
            .await?;
            Ok(())
        }
        IssueEvent::IssueUnseen { user_id, .. } => {
            sqlx::query(
                "DELETE FROM issue_seen WHERE issue_id = $1 AND user_id = $2 AND org_id = $3",
            )
            .bind(issue_id)
            .bind(user_id)
            .bind(org_id)
            .execute(conn)
            .await?;
            Ok(())
        }
        IssueEvent::PublicSet { public, at, actor } => {
            sqlx::query("UPDATE issues SET is_public = $2 WHERE id = $1 AND org_id = $3")
                .bind(issue_id)
                .bind(public)
                .bind(org_id)
                .execute(&mut *conn)
                .await?;
            let kind = if public { "set_public" } else { "set_private" };
            step.activity(conn, kind, json!({}), actor.as_deref(), at)
                .await
        }
        IssueEvent::CommentAdded {
            comment_id,
            author_id: user_id,
            text,
            at,
        } => {
            sqlx::query(
                "INSERT INTO issue_comments (id, issue_id, user_id, text, date_created, org_id)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(comment_id)
            .bind(issue_id)
            .bind(user_id)
            .bind(&text)
            .bind(at)
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE issues SET num_comments = num_comments + 1 WHERE id = $1 AND org_id = $2",
            )
            .bind(issue_id)
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
            let actor = format!("user:{user_id}");
            step.activity(
                conn,
                "note",
                json!({"text": text, "commentId": comment_id.to_string()}),
                Some(&actor),
                at,
            )
            .await
        }
        IssueEvent::CommentEdited {
            comment_id,
            text,
            at,
            ..
        } => {
            sqlx::query(
                "UPDATE issue_comments SET text = $3, date_edited = $4
                  WHERE id = $1 AND issue_id = $2 AND org_id = $5",
            )
            .bind(comment_id)
            .bind(issue_id)
            .bind(text)
            .bind(at)
            .bind(org_id)
            .execute(conn)
            .await?;
            Ok(())
        }
        IssueEvent::CommentDeleted { comment_id, .. } => {
            let deleted = sqlx::query(
                "DELETE FROM issue_comments WHERE id = $1 AND issue_id = $2 AND org_id = $3",
            )
            .bind(comment_id)
            .bind(issue_id)
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE issues SET num_comments = num_comments - $2 WHERE id = $1 AND org_id = $3",
            )
            .bind(issue_id)
            .bind(deleted.rows_affected() as i64)
            .bind(org_id)
            .execute(conn)
            .await?;
            Ok(())
        }
        IssueEvent::IssueDeleted { .. } => remove(conn, org_id, issue_id, accepted).await,
        IssueEvent::IssueMerged { into_issue_id, .. } => {
            merge(conn, org_id, issue_id, into_issue_id, accepted).await
        }
        IssueEvent::IssuesMergedIn {
            from_issue_ids,
            at,
            actor,
        } => {
            let ids: Vec<String> = from_issue_ids.iter().map(i64::to_string).collect();
            step.activity(conn, "merge", json!({"issues": ids}), actor.as_deref(), at)
                .await
        }
        IssueEvent::IssueCreated { .. }
        | IssueEvent::EventIngested(_)
        | IssueEvent::IssueRegressed { .. }
        | IssueEvent::OccurrencesSummarized { .. } => Err(ProjectionError::Invalid(
            "an ingestion event reached the workflow path".into(),
        )),
    }
}

/// The issue id a stream of organization `org_id` projects to, if the issue is in the
/// read models.
async fn issue_of(
    conn: &mut PgConnection,
    org_id: i64,
    stream_id: &str,
) -> Result<Option<i64>, ProjectionError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM issues WHERE stream_id = $1 AND org_id = $2")
            .bind(stream_id)
            .bind(org_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// One workflow event applied to one issue.
struct Step {
    org_id: i64,
    issue_id: i64,
    position: i64,
}

impl Step {
    async fn status(
        &self,
        conn: &mut PgConnection,
        status: &str,
        substatus: Option<&str>,
        details: &Value,
    ) -> Result<(), ProjectionError> {
        sqlx::query(
            "UPDATE issues SET status = $2, substatus = $3, status_details = $4
              WHERE id = $1 AND org_id = $5",
        )
        .bind(self.issue_id)
        .bind(status)
        .bind(substatus)
        .bind(details)
        .bind(self.org_id)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn activity(
        &self,
        conn: &mut PgConnection,
        kind: &str,
        data: Value,
        actor: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), ProjectionError> {
        let user_id = actor
            .and_then(|actor| actor.strip_prefix("user:"))
            .and_then(|id| id.parse::<i64>().ok());
        sqlx::query(
            "INSERT INTO issue_activity (id, issue_id, type, data, user_id, date_created, org_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id, org_id) DO NOTHING",
        )
        .bind(self.position)
        .bind(self.issue_id)
        .bind(kind)
        .bind(data)
        .bind(user_id)
        .bind(at)
        .bind(self.org_id)
        .execute(conn)
        .await?;
        Ok(())
    }
}

fn ignore_details(details: &IgnoreDetails, until: Option<DateTime<Utc>>) -> Value {
    json!({
        "ignoreDuration": details.duration_minutes,
        "ignoreCount": details.count,
        "ignoreWindow": details.window_minutes,
        "ignoreUserCount": details.user_count,
        "ignoreUserWindow": details.user_window_minutes,
        "ignoreUntil": until.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        "ignoreUntilEscalating": details.until_escalating,
    })
}

fn archived_substatus(details: &IgnoreDetails) -> &'static str {
    if details.until_escalating {
        "archived_until_escalating"
    } else if details.duration_minutes.is_some()
        || details.count.is_some()
        || details.user_count.is_some()
    {
        "archived_until_condition_met"
    } else {
        "archived_forever"
    }
}

const ISSUE_TABLES: [&str; 9] = [
    "issue_events",
    "issue_users",
    "issue_tag_values",
    "issue_bookmarks",
    "issue_subscriptions",
    "issue_seen",
    "issue_comments",
    "issue_activity",
    "issues",
];

/// Takes an issue out of every read model (its events stay in the log); its event
/// ids leave `accepted` with its `issue_events` rows, so a resend of one of them
/// counts again, as it does against the primary key.
async fn remove(
    conn: &mut PgConnection,
    org_id: i64,
    issue_id: i64,
    mut accepted: Option<&mut AcceptedIds>,
) -> Result<(), ProjectionError> {
    for table in ISSUE_TABLES {
        let column = if table == "issues" { "id" } else { "issue_id" };
        let delete = format!("DELETE FROM {table} WHERE {column} = $1 AND org_id = $2");
        match (table, accepted.as_deref_mut()) {
            ("issue_events", Some(accepted)) => {
                let gone: Vec<(i64, String)> =
                    sqlx::query_as(&format!("{delete} RETURNING project_id, event_id"))
                        .bind(issue_id)
                        .bind(org_id)
                        .fetch_all(&mut *conn)
                        .await?;
                for (project_id, event_id) in gone {
                    accepted.forget(project_id, &event_id);
                }
            }
            _ => {
                sqlx::query(&delete)
                    .bind(issue_id)
                    .bind(org_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Folds a merged issue into its primary: its events, users and tag counts move
/// over, then it leaves the read models.
async fn merge(
    conn: &mut PgConnection,
    org_id: i64,
    from: i64,
    into: i64,
    accepted: Option<&mut AcceptedIds>,
) -> Result<(), ProjectionError> {
    // An issue merges only into one of its own organization's.
    let statements = [
        "UPDATE issue_events SET issue_id = $2 WHERE issue_id = $1 AND org_id = $3",
        "INSERT INTO issue_users (issue_id, user_key, org_id)
         SELECT $2, user_key, org_id FROM issue_users WHERE issue_id = $1 AND org_id = $3
         ON CONFLICT DO NOTHING",
        "INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen, org_id)
         SELECT $2, key, value, times_seen, first_seen, last_seen, org_id
           FROM issue_tag_values WHERE issue_id = $1 AND org_id = $3
         ON CONFLICT (issue_id, key, value, org_id) DO UPDATE
            SET times_seen = issue_tag_values.times_seen + EXCLUDED.times_seen,
                first_seen = least(issue_tag_values.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(issue_tag_values.last_seen, EXCLUDED.last_seen)",
        "UPDATE issues AS p SET times_seen = p.times_seen + s.times_seen,
                first_seen = least(p.first_seen, s.first_seen),
                last_seen = greatest(p.last_seen, s.last_seen),
                user_count = (SELECT count(*) FROM issue_users u
                               WHERE u.issue_id = $2 AND u.org_id = $3)
           FROM issues s WHERE s.id = $1 AND s.org_id = $3 AND p.id = $2 AND p.org_id = $3",
    ];
    for statement in statements {
        sqlx::query(statement)
            .bind(from)
            .bind(into)
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
    }
    remove(conn, org_id, from, accepted).await
}
