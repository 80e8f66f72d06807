//! Multi-step account flows shared by the CLI and the first-start bootstrap.

use chrono::Utc;
use faultline_domain::log_position::LogPosition;
use faultline_domain::metadata::EventMetadata;
use faultline_domain::organization::{Organization, OrganizationCommand, OrganizationError};
use faultline_domain::project::{Project, ProjectCommand, ProjectError};
use faultline_domain::role::Scope;
use faultline_domain::slug::Slug;
use faultline_domain::user::{User, UserCommand, UserError};

use crate::ids::{next_id, IdKind};
use crate::secrets::{new_client_key, new_token};
use crate::{CommandBus, CommandError};

/// A step of an account flow failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Creating or changing the user failed.
    #[error(transparent)]
    User(#[from] CommandError<UserError>),
    /// Creating or changing the organization failed.
    #[error(transparent)]
    Organization(#[from] CommandError<OrganizationError>),
    /// Creating or changing the project failed.
    #[error(transparent)]
    Project(#[from] CommandError<ProjectError>),
    /// Allocating an id failed.
    #[error("allocating an id failed")]
    Ids(#[from] sqlx::Error),
}

/// A user created with a token.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    /// The new user's id.
    pub user_id: i64,
    /// The new token, shown once.
    pub token: String,
    /// Where the last event landed.
    pub position: Option<LogPosition>,
}

/// Creates a user and issues one token with every scope.
pub async fn create_user_with_token(
    bus: &CommandBus,
    email: &str,
    name: &str,
    is_superuser: bool,
    metadata: &EventMetadata,
) -> Result<CreatedUser, AccountsError> {
    let pool = bus.log().pool();
    let user_id = next_id(pool, IdKind::User).await?;
    let token_id = next_id(pool, IdKind::Token).await?;
    let (token, token_hash) = new_token();
    let id = user_id.to_string();
    bus.execute::<User>(
        &id,
        UserCommand::CreateUser {
            user_id,
            email: email.to_owned(),
            name: name.to_owned(),
            is_superuser,
            at: Utc::now(),
        },
        metadata,
    )
    .await?;
    let issued = bus
        .execute::<User>(
            &id,
            UserCommand::IssueToken {
                token_id,
                token_hash,
                scopes: Scope::all(),
                name: Some("created at the command line".to_owned()),
                at: Utc::now(),
            },
            metadata,
        )
        .await?;
    Ok(CreatedUser {
        user_id,
        token,
        position: issued.last_position,
    })
}

/// What the first start created.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    /// The admin user's id.
    pub user_id: i64,
    /// The admin user's token.
    pub token: String,
    /// The default project's id.
    pub project_id: i64,
    /// The default project's client key.
    pub public_key: String,
    /// Where the last event of each aggregate type landed: its partition of the log
    /// and its place there.
    pub positions: Vec<(&'static str, i64, LogPosition)>,
}

/// Creates `admin@localhost` (superuser), organization, team and project `default`,
/// and one client key. Returns `None` when the admin already exists.
pub async fn bootstrap(
    bus: &CommandBus,
    metadata: &EventMetadata,
) -> Result<Option<Bootstrapped>, AccountsError> {
    let admin = match create_user_with_token(bus, "admin@localhost", "Admin", true, metadata).await
    {
        Ok(admin) => admin,
        Err(AccountsError::User(CommandError::Taken { .. })) => return Ok(None),
        Err(error) => return Err(error),
    };
    let pool = bus.log().pool();
    let org_id = next_id(pool, IdKind::Organization).await?;
    let member_id = next_id(pool, IdKind::Member).await?;
    let team_id = next_id(pool, IdKind::Team).await?;
    let project_id = next_id(pool, IdKind::Project).await?;
    let default = Slug::parse("default").expect("a valid slug");
    let org = org_id.to_string();
    let organization_commands = [
        OrganizationCommand::CreateOrganization {
            org_id,
            name: "Default".to_owned(),
            slug: default.clone(),
            owner_user_id: admin.user_id,
            owner_member_id: member_id,
            owner_email: "admin@localhost".to_owned(),
            at: Utc::now(),
        },
        OrganizationCommand::CreateTeam {
            team_id,
            slug: default.clone(),
            name: "Default".to_owned(),
            at: Utc::now(),
        },
        OrganizationCommand::AddTeamMember {
            team_id,
            member_id,
            at: Utc::now(),
        },
    ];
    let mut org_position = None;
    for command in organization_commands {
        org_position = bus
            .execute::<Organization>(&org, command, metadata)
            .await?
            .last_position;
    }
    let (public_key, secret_key) = new_client_key();
    let project = project_id.to_string();
    bus.execute_in::<Project>(
        Some(org_id),
        &project,
        ProjectCommand::CreateProject {
            project_id,
            org_id,
            slug: default,
            name: "Default".to_owned(),
            platform: None,
            team_id: Some(team_id),
            at: Utc::now(),
        },
        metadata,
    )
    .await?;
    let key = bus
        .execute_in::<Project>(
            Some(org_id),
            &project,
            ProjectCommand::CreateClientKey {
                public_key: public_key.clone(),
                secret_key,
                label: "Default".to_owned(),
                rate_limit: None,
                at: Utc::now(),
            },
            metadata,
        )
        .await?;
    Ok(Some(Bootstrapped {
        user_id: admin.user_id,
        token: admin.token,
        project_id,
        public_key,
        positions: [
            ("user", crate::placement::NO_ORGANIZATION, admin.position),
            ("organization", org_id, org_position),
            ("project", key.partition, key.last_position),
        ]
        .into_iter()
        .filter_map(|(kind, partition, position)| position.map(|p| (kind, partition, p)))
        .collect(),
    }))
}
