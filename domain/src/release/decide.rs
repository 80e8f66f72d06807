//! The release's rules: which events a command causes, if any.

use chrono::{DateTime, Utc};

use super::{
    NewDeploy, Release, ReleaseChanges, ReleaseCommand, ReleaseCommit, ReleaseError, ReleaseEvent,
    ReleaseRef, ReleaseStatus, MAX_COMMIT_ID_LEN, MAX_VERSION_LEN,
};

type Decision = Result<Vec<ReleaseEvent>, ReleaseError>;

/// Sentry's rule for a version: 1 to 200 characters, no line breaks, tabs or
/// backslashes, and not `.`, `..` or `latest` (a search term).
pub fn require_version(version: &str) -> Result<(), ReleaseError> {
    let forbidden = |c: char| matches!(c, '\n' | '\r' | '\t' | '\x0c' | '\\');
    let usable = !version.trim().is_empty()
        && version.chars().count() <= MAX_VERSION_LEN
        && !version.contains(forbidden)
        && !matches!(version, "." | ".." | "latest");
    if usable {
        Ok(())
    } else {
        Err(ReleaseError::InvalidVersion(version.to_owned()))
    }
}

fn set_commits(
    mut commits: Vec<ReleaseCommit>,
    refs: Vec<ReleaseRef>,
    at: DateTime<Utc>,
) -> Decision {
    let usable = |id: &str| !id.trim().is_empty() && id.len() <= MAX_COMMIT_ID_LEN;
    if !commits.iter().all(|c| usable(&c.id)) || !refs.iter().all(|r| usable(&r.commit)) {
        return Err(ReleaseError::InvalidCommit);
    }
    if commits.is_empty() {
        // Without a repository integration a ref's head is all that is known.
        commits = refs
            .iter()
            .map(|r| ReleaseCommit {
                id: r.commit.clone(),
                repository: Some(r.repository.clone()),
                message: None,
                author_name: None,
                author_email: None,
                timestamp: None,
                files: Vec::new(),
            })
            .collect();
    }
    Ok(vec![ReleaseEvent::CommitsSet { commits, refs, at }])
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl Release {
    /// Decides which events a command causes, without changing the release.
    pub fn decide(&self, cmd: ReleaseCommand) -> Decision {
        match cmd {
            ReleaseCommand::CreateRelease {
                release_id,
                org_id,
                version,
                project_ids,
                changes,
                at,
            } => self.create(release_id, org_id, version, project_ids, changes, at),
            _ if !self.is_live() => Err(ReleaseError::NotFound),
            ReleaseCommand::UpdateRelease { changes, at } => Ok(self.update(changes, at)),
            ReleaseCommand::DeleteRelease { at } => Ok(vec![ReleaseEvent::ReleaseDeleted { at }]),
            ReleaseCommand::SetCommits { commits, refs, at } => set_commits(commits, refs, at),
            ReleaseCommand::CreateDeploy { deploy, at } => self.deploy(deploy, at),
        }
    }

    fn create(
        &self,
        release_id: i64,
        org_id: i64,
        version: String,
        project_ids: Vec<i64>,
        changes: ReleaseChanges,
        at: DateTime<Utc>,
    ) -> Decision {
        require_version(&version)?;
        let project_ids = sorted(project_ids);
        if self.is_live() {
            // Sentry answers a second creation with the release, adding projects.
            let added: Vec<i64> = project_ids
                .into_iter()
                .filter(|id| !self.projects.contains(id))
                .collect();
            let mut events = Vec::new();
            if !added.is_empty() {
                events.push(ReleaseEvent::ReleaseProjectsAdded {
                    project_ids: added,
                    at,
                });
            }
            events.extend(self.update(changes, at));
            return Ok(events);
        }
        if project_ids.is_empty() {
            return Err(ReleaseError::NoProjects);
        }
        let mut events = vec![ReleaseEvent::ReleaseCreated {
            release_id,
            org_id,
            version,
            project_ids,
            reference: changes.reference.flatten(),
            url: changes.url.flatten(),
            date_released: changes.date_released.flatten(),
            date_started: changes.date_started.flatten(),
            at,
        }];
        if changes.status == Some(ReleaseStatus::Archived) {
            events.push(ReleaseEvent::ReleaseUpdated {
                reference: None,
                url: None,
                date_released: None,
                status: Some(ReleaseStatus::Archived),
                date_started: None,
                at,
            });
        }
        Ok(events)
    }

    fn update(&self, changes: ReleaseChanges, at: DateTime<Utc>) -> Vec<ReleaseEvent> {
        let reference = changes.reference.filter(|r| *r != self.reference);
        let url = changes.url.filter(|u| *u != self.url);
        let date_released = changes.date_released.filter(|d| *d != self.date_released);
        let status = changes.status.filter(|s| *s != self.status);
        let date_started = changes.date_started.filter(|d| *d != self.date_started);
        if reference.is_none()
            && url.is_none()
            && date_released.is_none()
            && status.is_none()
            && date_started.is_none()
        {
            return vec![];
        }
        vec![ReleaseEvent::ReleaseUpdated {
            reference,
            url,
            date_released,
            status,
            date_started,
            at,
        }]
    }

    fn deploy(&self, deploy: NewDeploy, at: DateTime<Utc>) -> Decision {
        let environment = deploy.environment.trim();
        if environment.is_empty()
            || environment.len() > 64
            || environment.contains(['/', '\n', '\r', '\t', '\x0c'])
        {
            return Err(ReleaseError::InvalidEnvironment);
        }
        let project_ids = if deploy.project_ids.is_empty() {
            self.projects.iter().copied().collect()
        } else {
            sorted(deploy.project_ids)
        };
        if let Some(outside) = project_ids.iter().find(|id| !self.projects.contains(id)) {
            return Err(ReleaseError::ProjectNotInRelease(*outside));
        }
        Ok(vec![ReleaseEvent::DeployCreated {
            deploy_id: deploy.deploy_id,
            environment: environment.to_owned(),
            name: deploy.name,
            url: deploy.url,
            date_started: deploy.date_started,
            date_finished: deploy.date_finished,
            project_ids,
            at,
        }])
    }
}
