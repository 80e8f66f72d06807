//! The web UI: server-rendered pages (maud, checked at compile time, escaped by
//! default) for people who triage in a browser, served by the same binary beside the
//! REST API. Pages read through the same queries and write through the same issue
//! operations ([`crate::issue_ops`]) and commands as the API; a page only turns form
//! fields into those calls and their answers into HTML. Paths follow Sentry's web UI,
//! so permalinks and alert links open here.
//!
//! Signing in makes a server-side session ([`session`], the `ui_sessions` table);
//! every form carries the session's CSRF token; every action is attributed to the
//! signed-in user like an API call with their token.

mod crons;
mod error;
mod event_page;
mod event_view;
mod forms;
mod issue;
mod layout;
mod login;
mod people;
mod session;
mod settings;
mod stream;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use faultline_projections::accounts::queries::{organizations, Page};

pub use error::UiError;
use session::MaybeViewer;

use crate::state::AppState;
use crate::telemetry::REQUEST_ID;

/// Every page of the web UI.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/auth/login/", get(login::show).post(login::submit))
        .route("/auth/logout/", post(login::logout))
        .route("/organizations/{org}/issues/", get(stream::org_stream))
        .route("/organizations/{org}/issues/bulk/", post(stream::bulk))
        .route(
            "/organizations/{org}/issues/{issue_id}/",
            get(issue::show).post(issue::act),
        )
        .route(
            "/organizations/{org}/issues/{issue_id}/events/",
            get(event_page::list),
        )
        .route(
            "/organizations/{org}/issues/{issue_id}/events/{event_id}/",
            get(event_page::show),
        )
        .route("/organizations/{org}/projects/", get(settings::projects))
        .route(
            "/organizations/{org}/projects/{project}/",
            get(stream::project_stream),
        )
        .route(
            "/settings/{org}/projects/{project}/keys/",
            get(settings::keys).post(settings::change_keys),
        )
        .route(
            "/settings/{org}/members/",
            get(settings::members).post(settings::change_members),
        )
        .route(
            "/settings/{org}/teams/",
            get(settings::teams).post(settings::change_teams),
        )
        .route("/settings/{org}/audit-log/", get(settings::audit_log))
        .route(
            "/organizations/{org}/alerts/rules/",
            get(settings::alert_rules),
        )
        .route("/organizations/{org}/crons/", get(crons::list))
        .route(
            "/organizations/{org}/crons/{monitor}/",
            get(crons::detail).post(crons::act),
        )
        .layer(middleware::from_fn(with_request_id))
}

/// Runs a page with its request id at hand, for the error page.
async fn with_request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = error::REQUEST_ID.scope(id, next.run(request)).await;
    // No page of ours belongs in another site's frame (clickjacking of its buttons).
    let headers = response.headers_mut();
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

/// `GET /`: a signed-in person's first organization's issues, else the login page.
async fn home(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
) -> Result<Response, UiError> {
    let Some(viewer) = viewer else {
        return Ok(Redirect::to("/auth/login/").into_response());
    };
    let orgs = organizations::visible_to(
        &state.pool,
        viewer.caller.user_id(),
        viewer.caller.owner.is_superuser,
        Page {
            limit: 1,
            offset: 0,
        },
    )
    .await?;
    Ok(match orgs.rows.first() {
        Some(org) => Redirect::to(&format!("/organizations/{}/issues/", org.slug)).into_response(),
        None => layout::bare_page(
            "No organization",
            maud::html! {
                h1 { "You belong to no organization yet" }
                p { "Ask an owner or manager of one to add " (viewer.caller.owner.email) "." }
                form method="post" action="/auth/logout/" {
                    (layout::csrf_field(&viewer.csrf))
                    button id="logout" type="submit" { "Log out" }
                }
            },
        )
        .into_response(),
    })
}
