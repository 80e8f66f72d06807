//! Read models of the control side: users and tokens, organizations with members and
//! teams, projects with client keys; plus the in-memory client-key lookup that
//! ingestion calls on every request.

pub mod key_cache;
pub mod organizations;
pub mod projects;
pub mod queries;
#[cfg(test)]
mod tests;
pub mod users;

/// Parses a stream's aggregate id (a decimal id).
pub(crate) fn numeric_id(event: &crate::StoredEvent) -> Result<i64, crate::ProjectionError> {
    event.aggregate_id.parse().map_err(|_| {
        crate::ProjectionError::Invalid(format!("non-numeric id {}", event.aggregate_id))
    })
}
