//! Read-side queries over the account read models. Every lookup that takes an id
//! from a request also takes the organization (and project) it must belong to.

pub mod auth;
pub mod keys;
pub mod members;
pub mod organizations;
pub mod projects;
pub mod teams;

/// A page request: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Rows to return (one more is fetched to know whether a next page exists).
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// A page of rows and whether more follow.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    /// The rows.
    pub rows: Vec<T>,
    /// Whether a next page exists.
    pub has_more: bool,
}

impl<T> Paged<T> {
    /// Cuts the extra row fetched for `page`.
    pub fn from_overfetch(mut rows: Vec<T>, page: Page) -> Self {
        let has_more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        Paged { rows, has_more }
    }
}
