//! One page of the issue search from a list's raw parameters: the query language,
//! sort, keyset cursor and stats period as the API names them, with the page's
//! per-issue stats and the caller's per-issue state. The REST lists and the web UI's
//! stream both read issues through here, so they accept and reject the same input.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use faultline_domain::search::{self, IssueSort, SearchError};
use faultline_projections::issues::queries::ViewerState;
use faultline_projections::issues::search::{
    self as issue_search, Cursor, Search, SearchPage, SearchScope, StatsPeriod,
};

use super::detail::viewer_states;
use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::state::AppState;

/// A list request as its parameters arrived; empty means "not given".
pub struct IssueListRequest<'a> {
    /// The search query (the caller applies its own default when absent).
    pub query: &'a str,
    /// `date`, `new`, `freq`, `user`, or empty for the default.
    pub sort: &'a str,
    /// `24h`, `14d`, or empty for no stats.
    pub stats_period: &'a str,
    /// A cursor from a previous page, or empty for the first.
    pub cursor: &'a str,
    /// Issues per page.
    pub limit: i64,
    /// The projects searched; `None` is every project of the organization.
    pub project_ids: Option<Vec<i64>>,
    /// The environments searched; empty is every environment.
    pub environments: Vec<String>,
}

/// Events per bucket (`(bucket start in epoch seconds, count)`, oldest first), per issue.
pub type IssueStats = HashMap<i64, Vec<(i64, i64)>>;

/// One page of issues with what the lists show beside each.
pub struct IssueList {
    /// The matching issues and the cursors around them.
    pub page: SearchPage,
    /// Events per bucket of the asked period, per issue.
    pub stats: Option<(StatsPeriod, IssueStats)>,
    /// The caller's bookmark, subscription and seen state, per issue.
    pub viewers: HashMap<i64, ViewerState>,
}

/// Runs the search in the organization of `access`, as the caller sees it, as of
/// `now`. Invalid input is [`ApiError::BadRequest`] with a message a person can act on.
pub async fn list_issues(
    state: &AppState,
    access: &OrgAccess,
    request: IssueListRequest<'_>,
    now: DateTime<Utc>,
) -> Result<IssueList, ApiError> {
    let query = search::parse(request.query, now)
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let sort: IssueSort = match request.sort {
        "" => IssueSort::default(),
        sort => sort
            .parse()
            .map_err(|error: SearchError| ApiError::BadRequest(error.to_string()))?,
    };
    let stats_period = match request.stats_period {
        "" => None,
        value => Some(StatsPeriod::from_param(value).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Invalid statsPeriod {value:?}: expected 24h, 14d or empty."
            ))
        })?),
    };
    let cursor = match request.cursor.trim() {
        // sentry-cli asks for the first page with an empty `cursor=`.
        "" => None,
        cursor => Some(
            Cursor::parse(cursor, sort)
                .ok_or_else(|| ApiError::BadRequest("Invalid cursor parameter.".into()))?,
        ),
    };
    let user_id = access.caller.user_id();
    let scope = SearchScope {
        org_id: access.org.id,
        project_ids: request.project_ids,
        environments: request.environments,
        user_id: Some(user_id),
    };
    let page = issue_search::search(
        &state.pool,
        &Search {
            query: &query,
            sort,
            scope: &scope,
            cursor,
            limit: request.limit,
        },
    )
    .await?;
    let ids: Vec<i64> = page.rows.iter().map(|row| row.id).collect();
    // Independent reads on separate connections: one round trip of latency, not two.
    let (stats, viewers) = tokio::try_join!(
        async {
            Ok::<_, ApiError>(match stats_period {
                Some(period) => Some((
                    period,
                    issue_search::stats(&state.pool, scope.org_id, &ids, period, now).await?,
                )),
                None => None,
            })
        },
        viewer_states(state, &page.rows, user_id),
    )?;
    Ok(IssueList {
        page,
        stats,
        viewers,
    })
}
