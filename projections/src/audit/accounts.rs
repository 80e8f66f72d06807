//! Organization, project and user events as audit rows (Sentry's `org.*`,
//! `member.*`, `team.*`, `project.*`, `projectkey.*`).

use faultline_domain::organization::OrganizationEvent;
use faultline_domain::project::ProjectEvent;
use faultline_domain::user::UserEvent;
use serde_json::{json, Map, Value};
use sqlx::PgConnection;

use super::{names, Entry};
use crate::accounts::numeric_id;
use crate::{ProjectionError, StoredEvent};

type Result<T> = std::result::Result<T, ProjectionError>;

/// Users and tokens belong to no organization: their events only feed the lookups.
pub async fn user(conn: &mut PgConnection, event: &StoredEvent) -> Result<Option<Entry>> {
    let user_id = numeric_id(event)?;
    match event.decode::<UserEvent>()? {
        UserEvent::UserCreated { email, .. } => names::remember_user(conn, user_id, &email).await?,
        UserEvent::TokenIssued { token_id, .. } => {
            names::remember_token(conn, token_id, user_id).await?
        }
        UserEvent::TokenRevoked { .. } | UserEvent::PasswordSet { .. } => {}
    }
    Ok(None)
}

pub async fn organization(conn: &mut PgConnection, event: &StoredEvent) -> Result<Option<Entry>> {
    let org_id = numeric_id(event)?;
    let entry = |event, note: String, target_object, target_user_id, data| Entry {
        org_id,
        event,
        note,
        target_object,
        target_user_id,
        data,
    };
    use OrganizationEvent::*;
    Ok(Some(match event.decode::<OrganizationEvent>()? {
        OrganizationCreated { name, slug, .. } => entry(
            "org.create",
            "created the organization".into(),
            Some(org_id),
            None,
            json!({"id": org_id, "slug": slug, "name": name}),
        ),
        OrganizationUpdated { name, slug, .. } => {
            let mut data = Map::new();
            data.insert("id".into(), json!(org_id));
            let mut changes = Vec::new();
            if let Some(name) = name {
                changes.push(format!("name to {name}"));
                data.insert("name".into(), json!(name));
            }
            if let Some(slug) = slug {
                changes.push(format!("slug to {}", slug.as_str()));
                data.insert("slug".into(), json!(slug));
            }
            entry(
                "org.edit",
                format!("edited the organization setting(s): {}", changes.join(", ")),
                Some(org_id),
                None,
                Value::Object(data),
            )
        }
        OrganizationDeleted { .. } => entry(
            "org.remove",
            "removed the organization".into(),
            Some(org_id),
            None,
            json!({"id": org_id}),
        ),
        PersonErased { events, users, .. } => entry(
            "user.erase",
            format!("erased a person's data from {events} stored event(s)"),
            Some(org_id),
            None,
            json!({"events": events, "users": users}),
        ),
        MemberAdded {
            member_id,
            user_id,
            email,
            role,
            ..
        } => {
            names::remember_member(conn, member_id, user_id, &email).await?;
            entry(
                "member.add",
                format!("added member {email}"),
                Some(member_id),
                Some(user_id),
                json!({"id": member_id, "email": email, "role": role.as_str()}),
            )
        }
        MemberRoleChanged {
            member_id,
            previous_role,
            role,
            ..
        } => {
            let (user_id, email) = names::member(conn, member_id).await?;
            entry(
                "member.edit",
                format!("edited member {email}"),
                Some(member_id),
                user_id,
                json!({"id": member_id, "email": email, "role": role.as_str(),
                       "previous_role": previous_role.as_str()}),
            )
        }
        MemberRemoved {
            member_id,
            user_id,
            teams,
            ..
        } => {
            let (_, email) = names::member(conn, member_id).await?;
            entry(
                "member.remove",
                format!("removed member {email}"),
                Some(member_id),
                Some(user_id),
                json!({"id": member_id, "email": email, "teams": teams}),
            )
        }
        TeamCreated {
            team_id,
            slug,
            name,
            ..
        } => {
            names::remember_team(conn, team_id, slug.as_str()).await?;
            entry(
                "team.create",
                format!("created team {}", slug.as_str()),
                Some(team_id),
                None,
                json!({"id": team_id, "slug": slug, "name": name}),
            )
        }
        TeamUpdated {
            team_id,
            name,
            slug,
            ..
        } => {
            if let Some(slug) = &slug {
                names::remember_team(conn, team_id, slug.as_str()).await?;
            }
            let current = names::team_slug(conn, team_id).await?;
            let mut data = json!({"id": team_id, "slug": current});
            if let Some(name) = name {
                data["name"] = json!(name);
            }
            entry(
                "team.edit",
                format!("edited team {current}"),
                Some(team_id),
                None,
                data,
            )
        }
        TeamDeleted { team_id, .. } => {
            let slug = names::team_slug(conn, team_id).await?;
            entry(
                "team.remove",
                format!("removed team {slug}"),
                Some(team_id),
                None,
                json!({"id": team_id, "slug": slug}),
            )
        }
        TeamMemberAdded {
            team_id, member_id, ..
        } => {
            let slug = names::team_slug(conn, team_id).await?;
            let (user_id, email) = names::member(conn, member_id).await?;
            entry(
                "member.join-team",
                format!("added {email} to team {slug}"),
                Some(member_id),
                user_id,
                json!({"id": member_id, "email": email, "team_id": team_id, "team_slug": slug}),
            )
        }
        TeamMemberRemoved {
            team_id, member_id, ..
        } => {
            let slug = names::team_slug(conn, team_id).await?;
            let (user_id, email) = names::member(conn, member_id).await?;
            entry(
                "member.leave-team",
                format!("removed {email} from team {slug}"),
                Some(member_id),
                user_id,
                json!({"id": member_id, "email": email, "team_id": team_id, "team_slug": slug}),
            )
        }
    }))
}

pub async fn project(conn: &mut PgConnection, event: &StoredEvent) -> Result<Option<Entry>> {
    let project_id = numeric_id(event)?;
    let decoded = event.decode::<ProjectEvent>()?;
    if let ProjectEvent::ProjectCreated { org_id, slug, .. } = &decoded {
        names::remember_project(conn, project_id, *org_id, slug.as_str()).await?;
    }
    if let ProjectEvent::ProjectUpdated {
        slug: Some(slug), ..
    } = &decoded
    {
        let (org_id, _) = names::project(conn, project_id).await?;
        names::remember_project(conn, project_id, org_id, slug.as_str()).await?;
    }
    let (org_id, project_slug) = names::project(conn, project_id).await?;
    let entry = |event, note: String, target_object, data| Entry {
        org_id,
        event,
        note,
        target_object,
        target_user_id: None,
        data,
    };
    use ProjectEvent::*;
    Ok(Some(match decoded {
        ProjectCreated {
            name,
            platform,
            team_id,
            ..
        } => entry(
            "project.create",
            format!("created project {project_slug}"),
            Some(project_id),
            json!({"id": project_id, "slug": project_slug, "name": name,
                   "platform": platform, "team_id": team_id}),
        ),
        ProjectUpdated { name, platform, .. } => {
            let mut data = json!({"id": project_id, "slug": project_slug});
            if let Some(name) = name {
                data["name"] = json!(name);
            }
            if let Some(platform) = platform {
                data["platform"] = json!(platform);
            }
            entry(
                "project.edit",
                format!("edited project settings in {project_slug}"),
                Some(project_id),
                data,
            )
        }
        GroupingRulesChanged {
            fingerprinting_rules,
            grouping_enhancements,
            ..
        } => entry(
            "project.edit",
            format!("changed the grouping rules of project {project_slug}"),
            Some(project_id),
            json!({"id": project_id, "slug": project_slug,
                   "fingerprintingRules": fingerprinting_rules,
                   "groupingEnhancements": grouping_enhancements}),
        ),
        RetentionChanged { retention, .. } => entry(
            "project.edit",
            format!("changed the event retention of project {project_slug}"),
            Some(project_id),
            json!({"id": project_id, "slug": project_slug,
                   "retention_days": retention.days, "max_events": retention.max_events}),
        ),
        EnvironmentsHidden { names, hidden, .. } => entry(
            "project.edit",
            format!(
                "{} environment(s) {} in project {project_slug}",
                if hidden { "hid" } else { "showed" },
                names.join(", ")
            ),
            Some(project_id),
            json!({"id": project_id, "slug": project_slug, "environments": names,
                   "hidden": hidden}),
        ),
        ProjectDeleted { .. } => entry(
            "project.remove",
            format!("removed project {project_slug}"),
            Some(project_id),
            json!({"id": project_id, "slug": project_slug}),
        ),
        ProjectTeamAdded { team_id, .. } => {
            let team = names::team_slug(conn, team_id).await?;
            entry(
                "project.edit",
                format!("gave team {team} access to project {project_slug}"),
                Some(project_id),
                json!({"id": project_id, "slug": project_slug, "team_added": team}),
            )
        }
        ProjectTeamRemoved { team_id, .. } => {
            let team = names::team_slug(conn, team_id).await?;
            entry(
                "project.edit",
                format!("removed the access of team {team} to project {project_slug}"),
                Some(project_id),
                json!({"id": project_id, "slug": project_slug, "team_removed": team}),
            )
        }
        // Keys are named by their public key; the secret never enters the log's rows.
        ClientKeyCreated {
            public_key,
            label,
            rate_limit,
            ..
        } => entry(
            "projectkey.create",
            format!("added project key {public_key}"),
            None,
            json!({"public_key": public_key, "label": label, "rate_limit": rate_limit,
                   "project_id": project_id, "project_slug": project_slug}),
        ),
        ClientKeyUpdated {
            public_key,
            label,
            is_active,
            rate_limit,
            ..
        } => {
            let mut data = json!({"public_key": public_key, "project_id": project_id,
                                  "project_slug": project_slug});
            if let Some(label) = label {
                data["label"] = json!(label);
            }
            if let Some(is_active) = is_active {
                data["is_active"] = json!(is_active);
            }
            if let Some(rate_limit) = rate_limit {
                data["rate_limit"] = json!(rate_limit);
            }
            entry(
                "projectkey.edit",
                format!("edited project key {public_key}"),
                None,
                data,
            )
        }
        ClientKeyRevoked { public_key, .. } => entry(
            "projectkey.remove",
            format!("removed project key {public_key}"),
            None,
            json!({"public_key": public_key, "project_id": project_id,
                   "project_slug": project_slug}),
        ),
    }))
}
