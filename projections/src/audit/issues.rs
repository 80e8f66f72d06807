//! Issue workflow events as audit rows (`issue.*`, `comment.*`). Ingestion events
//! only tell which organization and short id a stream's issue has.

use faultline_domain::issue::{Assignee, IssueEvent, ResolveDetails};
use serde_json::{json, Value};
use sqlx::PgConnection;

use super::{names, Entry};
use crate::{ProjectionError, StoredEvent};

pub async fn entry(
    conn: &mut PgConnection,
    event: &StoredEvent,
) -> Result<Option<Entry>, ProjectionError> {
    let stream_id = event.aggregate_id.as_str();
    // Decided by type before decoding: an occurrence's payload is not even read.
    if super::SKIPPED.contains(&event.event_type.as_str()) {
        return Ok(None);
    }
    let decoded = event.decode::<IssueEvent>()?;
    if let IssueEvent::IssueCreated {
        issue_id,
        project_id,
        org_id,
        short_number,
        ..
    } = decoded
    {
        let issue = (org_id, project_id, issue_id, short_number);
        names::remember_issue(conn, stream_id, issue).await?;
        return Ok(None);
    }
    let issue = names::issue(conn, stream_id).await?;
    let short_id = issue.short_id.as_str();
    let data = |extra: Value| {
        let mut data = json!({"id": issue.issue_id, "short_id": short_id});
        if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
            data.extend(extra);
        }
        data
    };
    let (event, note, target_user_id, data) = match decoded {
        IssueEvent::IssueResolved { details, .. } => {
            let how = match &details {
                ResolveDetails::Plain => String::new(),
                ResolveDetails::InNextRelease { .. } => " in the next release".into(),
                ResolveDetails::InRelease { version, .. } => format!(" in release {version}"),
            };
            (
                "issue.resolve",
                format!("resolved issue {short_id}{how}"),
                None,
                data(json!({"details": details})),
            )
        }
        IssueEvent::IssueUnresolved { .. } => (
            "issue.unresolve",
            format!("unresolved issue {short_id}"),
            None,
            data(json!({})),
        ),
        IssueEvent::IssueIgnored { details, until, .. } => (
            "issue.ignore",
            format!("ignored issue {short_id}"),
            None,
            data(json!({"details": details, "until": until})),
        ),
        IssueEvent::IssueAssigned { assignee, .. } => {
            let (to, user) = assignee_name(conn, assignee).await?;
            (
                "issue.assign",
                format!("assigned issue {short_id} to {to}"),
                user,
                data(json!({"assignee": assignee, "assignee_name": to})),
            )
        }
        IssueEvent::IssueUnassigned { previous, .. } => {
            let (from, user) = assignee_name(conn, previous).await?;
            (
                "issue.unassign",
                format!("unassigned issue {short_id} from {from}"),
                user,
                data(json!({"previous": previous, "previous_name": from})),
            )
        }
        IssueEvent::PublicSet { public, .. } => (
            "issue.edit",
            if public {
                format!("made issue {short_id} public")
            } else {
                format!("made issue {short_id} private")
            },
            None,
            data(json!({"is_public": public})),
        ),
        IssueEvent::CommentAdded {
            comment_id, text, ..
        } => (
            "comment.create",
            format!("commented on issue {short_id}"),
            None,
            data(json!({"comment_id": comment_id, "text": text})),
        ),
        IssueEvent::CommentEdited {
            comment_id, text, ..
        } => (
            "comment.edit",
            format!("edited a comment on issue {short_id}"),
            None,
            data(json!({"comment_id": comment_id, "text": text})),
        ),
        IssueEvent::CommentDeleted { comment_id, .. } => (
            "comment.remove",
            format!("removed a comment on issue {short_id}"),
            None,
            data(json!({"comment_id": comment_id})),
        ),
        IssueEvent::IssueDeleted { .. } => (
            "issue.delete",
            format!("deleted issue {short_id}"),
            None,
            data(json!({})),
        ),
        IssueEvent::IssuesMergedIn { from_issue_ids, .. } => (
            "issue.merge",
            format!(
                "merged {} issue(s) into issue {short_id}",
                from_issue_ids.len()
            ),
            None,
            data(json!({"from_issue_ids": from_issue_ids})),
        ),
        // Skipped above by type, or opened the stream.
        IssueEvent::IssueCreated { .. }
        | IssueEvent::EventIngested(_)
        | IssueEvent::IssueRegressed { .. }
        | IssueEvent::IssueUnignored { .. }
        | IssueEvent::IssueMerged { .. }
        | IssueEvent::BookmarkSet { .. }
        | IssueEvent::SubscriptionSet { .. }
        | IssueEvent::IssueSeen { .. }
        | IssueEvent::IssueUnseen { .. }
        | IssueEvent::OccurrencesSummarized { .. } => return Ok(None),
    };
    Ok(Some(Entry {
        org_id: issue.org_id,
        event,
        note,
        target_object: Some(issue.issue_id),
        target_user_id,
        data,
    }))
}

/// How an assignee is named in a note (`a@b.c`, `team #backend`), and the user if
/// it is one.
async fn assignee_name(
    conn: &mut PgConnection,
    assignee: Assignee,
) -> Result<(String, Option<i64>), ProjectionError> {
    Ok(match assignee {
        Assignee::User(user_id) => (names::user_email(conn, user_id).await?, Some(user_id)),
        Assignee::Team(team_id) => (
            format!("team #{}", names::team_slug(conn, team_id).await?),
            None,
        ),
    })
}
