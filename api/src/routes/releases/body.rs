//! The request bodies of the release routes and the filters of their lists.

use faultline_domain::release::{ReleaseChanges, ReleaseCommit, ReleaseRef, ReleaseStatus};
use faultline_projections::releases::queries::ReleaseFilter;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::time_field;
use crate::error::ApiError;
use crate::fields::{nullable, FieldErrors};

/// The fields of a release a create or an update may set.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = ReleaseWrite)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReleaseBody {
    /// The version (create only).
    pub(super) version: Option<String>,
    /// Project slugs or ids (organization create only; at least one).
    pub(super) projects: Option<Vec<String>>,
    /// A commit reference.
    #[serde(default, rename = "ref", deserialize_with = "nullable")]
    pub(super) reference: Option<Option<String>>,
    /// A URL pointing at the release.
    #[serde(default, deserialize_with = "nullable")]
    pub(super) url: Option<Option<String>>,
    /// When it went live (RFC 3339); finalizing sets it.
    #[serde(default, deserialize_with = "nullable")]
    pub(super) date_released: Option<Option<String>>,
    /// When its build or rollout started (RFC 3339).
    #[serde(default, deserialize_with = "nullable")]
    pub(super) date_started: Option<Option<String>>,
    /// `open` or `archived` (update only).
    pub(super) status: Option<String>,
    /// Commits to set (replacing those set before): `id`, `repository`, `message`,
    /// `author_name`, `author_email`, `timestamp`, `patch_set` (`path`, `type`).
    #[schema(value_type = Option<Vec<Object>>)]
    pub(super) commits: Option<Vec<CommitBody>>,
    /// Repository heads: `repository`, `commit`, `previousCommit`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub(super) refs: Option<Vec<RefBody>>,
}

/// A commit as sentry-cli's `set-commits` sends it.
#[derive(Debug, Deserialize)]
pub(super) struct CommitBody {
    id: String,
    repository: Option<String>,
    message: Option<String>,
    author_name: Option<String>,
    author_email: Option<String>,
    timestamp: Option<String>,
    #[serde(default)]
    patch_set: Option<Vec<PatchBody>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PatchBody {
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

/// A ref as `set-commits --commit repo@from..to` sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RefBody {
    repository: String,
    commit: String,
    previous_commit: Option<String>,
}

impl ReleaseBody {
    /// The commits and refs of the body, if it sets any.
    pub(super) fn take_commits(
        &mut self,
        errors: &mut FieldErrors,
    ) -> Option<(Vec<ReleaseCommit>, Vec<ReleaseRef>)> {
        if self.commits.is_none() && self.refs.is_none() {
            return None;
        }
        let commits = self
            .commits
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|c| ReleaseCommit {
                timestamp: time_field(errors, "commits", Some(c.timestamp)).flatten(),
                id: c.id,
                repository: c.repository,
                message: c.message,
                author_name: c.author_name,
                author_email: c.author_email,
                files: c
                    .patch_set
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.path, p.kind))
                    .collect(),
            })
            .collect();
        let refs = self
            .refs
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|r| ReleaseRef {
                repository: r.repository,
                commit: r.commit,
                previous_commit: r.previous_commit,
            })
            .collect();
        Some((commits, refs))
    }

    pub(super) fn changes(self, errors: &mut FieldErrors) -> ReleaseChanges {
        let status = match self.status.as_deref() {
            None => None,
            Some("open") => Some(ReleaseStatus::Open),
            Some("archived") => Some(ReleaseStatus::Archived),
            Some(other) => {
                errors.add("status", format!("Invalid status {other}"));
                None
            }
        };
        ReleaseChanges {
            reference: self.reference,
            url: self.url,
            date_released: time_field(errors, "dateReleased", self.date_released),
            date_started: time_field(errors, "dateStarted", self.date_started),
            status,
        }
    }
}

/// The filters of a release list.
#[derive(Debug, Deserialize, IntoParams)]
pub(super) struct ListParams {
    /// A case-insensitive substring of the version.
    pub(super) query: Option<String>,
    /// `open` (the default), `archived` or `any`.
    pub(super) status: Option<String>,
}

impl ListParams {
    pub(super) fn filter(
        &self,
        project_ids: Vec<i64>,
        environments: Vec<String>,
    ) -> Result<ReleaseFilter, ApiError> {
        let status = match self.status.as_deref().unwrap_or("open") {
            "open" => Some("open".to_owned()),
            "archived" => Some("archived".to_owned()),
            "any" | "" => None,
            other => return Err(ApiError::BadRequest(format!("invalid status {other}"))),
        };
        Ok(ReleaseFilter {
            project_ids,
            query: self.query.clone().filter(|q| !q.is_empty()),
            status,
            environments,
        })
    }
}
