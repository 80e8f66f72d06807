//! Every read model Faultline maintains.

use std::sync::Arc;

use crate::projection::Projection;

/// The durable projections, each run by one process at a time.
pub fn durable() -> Vec<Arc<dyn Projection>> {
    Vec::new()
}
