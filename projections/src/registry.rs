//! Every read model Faultline maintains.

use std::sync::Arc;

use crate::accounts::organizations::OrganizationsProjection;
use crate::accounts::projects::ProjectsProjection;
use crate::accounts::users::UsersProjection;
use crate::alerting::AlertingReactor;
use crate::alerts::AlertRulesProjection;
use crate::artifact_bundles::ArtifactBundlesProjection;
use crate::audit::AuditLogProjection;
use crate::issues::IssuesProjection;
use crate::monitors::MonitorsProjection;
use crate::projection::Projection;
use crate::releases::ReleasesProjection;

/// The durable projections, each run by one process at a time.
pub fn durable() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(UsersProjection),
        Arc::new(OrganizationsProjection),
        Arc::new(ProjectsProjection),
        Arc::new(IssuesProjection::live()),
        Arc::new(AlertRulesProjection),
        Arc::new(ReleasesProjection),
        Arc::new(ArtifactBundlesProjection),
        Arc::new(MonitorsProjection),
        Arc::new(AuditLogProjection),
    ]
}

/// The reactors: run like projections, but they act on what they fold (the
/// `alerting` reactor decides notifications), so replay and verify never run them.
/// `public_url` is where notifications link to.
pub fn reactors(public_url: &str) -> Vec<Arc<dyn Projection>> {
    vec![Arc::new(AlertingReactor::new(public_url))]
}
