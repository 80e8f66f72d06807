//! The `(project, event id)` pairs of `issue_events`, kept in memory by a rebuild in
//! place of the table's primary key.

use std::collections::HashSet;

use sqlx::PgConnection;

/// Event ids accepted so far, per project. SDKs send ids as 32 lowercase hex digits,
/// kept here in 24 bytes with their project; any other spelling is kept as text, so
/// two ids are the same exactly when their text is, as for the key.
#[derive(Debug, Default)]
pub struct AcceptedIds {
    hex: HashSet<[u64; 3]>,
    other: HashSet<(i64, String)>,
}

impl AcceptedIds {
    /// The pairs `issue_events` holds now (the table `search_path` names first: a
    /// rebuild's shadow).
    pub async fn load(conn: &mut PgConnection) -> Result<Self, sqlx::Error> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT project_id, event_id FROM issue_events")
                .fetch_all(conn)
                .await?;
        let mut accepted = Self::default();
        accepted.hex.reserve(rows.len());
        for (project_id, event_id) in rows {
            accepted.insert(project_id, &event_id);
        }
        Ok(accepted)
    }

    /// Records the pair; false if it was accepted before (a resend).
    pub fn insert(&mut self, project_id: i64, event_id: &str) -> bool {
        match packed(event_id) {
            Some(id) => self.hex.insert(key(project_id, id)),
            None => self.other.insert((project_id, event_id.to_owned())),
        }
    }

    /// Forgets the pair (its row left `issue_events`): the next one is no resend.
    pub fn forget(&mut self, project_id: i64, event_id: &str) {
        match packed(event_id) {
            Some(id) => self.hex.remove(&key(project_id, id)),
            None => self.other.remove(&(project_id, event_id.to_owned())),
        };
    }

    /// How many pairs are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.hex.len() + self.other.len()
    }
}

/// A packed id with its project, in 24 bytes (a `(i64, u128)` would take 32).
fn key(project_id: i64, id: u128) -> [u64; 3] {
    [project_id as u64, (id >> 64) as u64, id as u64]
}

/// The id as a number, if it is exactly 32 lowercase hex digits (no sign, no
/// uppercase: those spell a different key).
fn packed(event_id: &str) -> Option<u128> {
    let canonical = event_id.len() == 32
        && event_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    canonical
        .then(|| u128::from_str_radix(event_id, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::AcceptedIds;

    const ID: &str = "27eed8df9876425f8fcede7256673ba7";

    #[test]
    fn an_event_id_seen_again_in_its_project_is_a_resend() {
        let mut accepted = AcceptedIds::default();
        assert!(accepted.insert(1, ID));
        assert!(!accepted.insert(1, ID));
        assert_eq!(accepted.len(), 1);
    }

    #[test]
    fn the_same_event_id_in_another_project_is_another_event() {
        let mut accepted = AcceptedIds::default();
        assert!(accepted.insert(1, ID));
        assert!(accepted.insert(2, ID));
    }

    #[test]
    fn ids_that_differ_only_in_case_are_different_ids_as_in_the_table() {
        let mut accepted = AcceptedIds::default();
        assert!(accepted.insert(1, ID));
        assert!(accepted.insert(1, &ID.to_uppercase()));
        assert!(!accepted.insert(1, &ID.to_uppercase()));
    }

    #[test]
    fn a_forgotten_event_id_is_accepted_again() {
        let mut accepted = AcceptedIds::default();
        assert!(accepted.insert(1, ID));
        assert!(accepted.insert(1, "e1"));
        accepted.forget(1, ID);
        accepted.forget(1, "e1");
        assert!(accepted.insert(1, ID));
        assert!(accepted.insert(1, "e1"));
    }

    #[test]
    fn ids_that_are_not_hex_are_compared_as_text() {
        let mut accepted = AcceptedIds::default();
        assert!(accepted.insert(1, "e1"));
        assert!(!accepted.insert(1, "e1"));
        assert!(accepted.insert(1, "+7eed8df9876425f8fcede7256673ba7"));
        assert_eq!(accepted.len(), 2);
    }
}
