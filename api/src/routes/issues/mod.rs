//! Issues: the lists (`/api/0/organizations/{org}/issues/`,
//! `/api/0/projects/{org}/{project}/issues/`) with their bulk `PUT`/`DELETE` (including
//! merges), one issue (`/api/0/organizations/{org}/issues/{issue_id}/` and
//! `/api/0/issues/{issue_id}/`: `GET`, `PUT`, `DELETE`), its tags and its comments.
//!
//! Every write goes through the issue aggregate (`state.execute`), which also waits
//! for the read models, so the answer shows the change. Each file holds one seam; this
//! one only registers the handlers.

mod bulk;
mod comments;
mod delete;
mod detail;
mod list;
mod tags;
mod update;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The issue routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            list::list_in_org,
            bulk::bulk_update_in_org,
            bulk::bulk_delete_in_org
        ))
        .routes(routes!(
            list::list_in_project,
            bulk::bulk_update_in_project,
            bulk::bulk_delete_in_project
        ))
        .routes(routes!(
            detail::detail,
            update::update_in_org,
            delete::delete_in_org
        ))
        .routes(routes!(
            detail::detail_without_org,
            update::update_without_org,
            delete::delete_without_org
        ))
        .routes(routes!(tags::tags))
        .routes(routes!(tags::tag_detail))
        .routes(routes!(tags::tag_values))
        .routes(routes!(
            comments::comments_in_org,
            comments::add_comment_in_org
        ))
        .routes(routes!(
            comments::edit_comment_in_org,
            comments::delete_comment_in_org
        ))
        .routes(routes!(
            comments::comments_without_org,
            comments::add_comment_without_org
        ))
        .routes(routes!(
            comments::edit_comment_without_org,
            comments::delete_comment_without_org
        ))
}
