//! Operations on issues that the REST routes and the web UI share: validating an
//! update body, applying it command by command, merging, deleting, and the issue's
//! detail as the caller sees it. One place for each rule; the routes and pages only
//! translate their input into these calls.

mod comments;
mod delete;
mod detail;
mod events;
mod list;
mod merge;
mod update;
mod update_body;

pub use comments::post_comment;
pub use delete::delete_issue;
pub use detail::{detail_for, viewer_states, TOP_TAG_VALUES};
pub use events::{event_detail, event_detail_parts, event_of_issue};
pub use list::{list_issues, IssueList, IssueListRequest};
pub use merge::merge;
pub use update::{actor, apply_update};
pub use update_body::{bad, parse_update, Resolution, StatusChange, Update};
