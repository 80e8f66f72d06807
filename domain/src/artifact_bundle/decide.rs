//! The bundle's rules: which events a command causes, if any.

use super::{
    ArtifactBundle, ArtifactBundleCommand, ArtifactBundleError, ArtifactBundleEvent, NewBundle,
};

type Decision = Result<Vec<ArtifactBundleEvent>, ArtifactBundleError>;

impl ArtifactBundle {
    pub(super) fn decide(&self, command: ArtifactBundleCommand) -> Decision {
        match command {
            ArtifactBundleCommand::Upload { bundle, at } => self.upload(bundle, at),
            ArtifactBundleCommand::Delete { reason, at } => {
                if !self.live {
                    return Err(ArtifactBundleError::NotFound);
                }
                Ok(vec![ArtifactBundleEvent::BundleDeleted { reason, at }])
            }
        }
    }

    fn upload(&self, mut bundle: NewBundle, at: chrono::DateTime<chrono::Utc>) -> Decision {
        bundle.project_ids.sort_unstable();
        bundle.project_ids.dedup();
        if bundle.project_ids.is_empty() {
            return Err(ArtifactBundleError::NoProjects);
        }
        if !self.live {
            if bundle.files.is_empty() {
                return Err(ArtifactBundleError::Empty);
            }
            return Ok(vec![ArtifactBundleEvent::BundleUploaded { bundle, at }]);
        }
        // The same bytes again: only projects it does not serve yet are news.
        let added: Vec<i64> = bundle
            .project_ids
            .into_iter()
            .filter(|id| !self.project_ids.contains(id))
            .collect();
        if added.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![ArtifactBundleEvent::BundleProjectsAdded {
            project_ids: added,
            at,
        }])
    }
}
