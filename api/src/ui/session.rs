//! Who is looking at a page: the signed-in person behind the `fl_session` cookie,
//! as the same [`Caller`] the API builds from a token, so every page checks access
//! with [`OrgAccess`] and every action is attributed to the user.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use faultline_commands::sessions;
use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::auth::owner_of_user;

use super::error::UiError;
use super::forms::{cookie, FormData};
use crate::auth::{request_origin, Caller, OrgAccess};
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fl_session";

/// How long a session lasts without signing in again (Sentry's default: two weeks).
pub const SESSION_DAYS: i64 = 14;

/// The signed-in person.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The user, with every scope a session may hold; an organization's role narrows
    /// them ([`OrgAccess::resolve`]).
    pub caller: Caller,
    /// The session's CSRF token, which every form carries back.
    pub csrf: String,
    /// The session cookie's secret, to end the session.
    pub secret: String,
}

impl Viewer {
    /// Refuses a form without this session's CSRF token.
    pub fn check_csrf(&self, form: &FormData) -> Result<(), UiError> {
        match form.get("csrf") {
            Some(token) if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) => Ok(()),
            _ => Err(UiError::Csrf),
        }
    }

    /// The viewer's access to organization `org` (404 when not a member).
    pub async fn access(&self, state: &AppState, org: &str) -> Result<OrgAccess, UiError> {
        Ok(OrgAccess::resolve(state, self.caller.clone(), org).await?)
    }
}

/// Compares two secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Some(viewer)` when a live session cookie came.
#[derive(Debug, Clone)]
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(MaybeViewer(None));
        };
        let Some(session) = sessions::lookup(&state.pool, secret).await? else {
            return Ok(MaybeViewer(None));
        };
        let Some(owner) = owner_of_user(&state.pool, session.user_id).await? else {
            return Ok(MaybeViewer(None));
        };
        let (request_id, ip_address) = request_origin(parts);
        Ok(MaybeViewer(Some(Viewer {
            caller: Caller {
                owner,
                token_scopes: Scope::all(),
                request_id,
                ip_address,
            },
            csrf: session.csrf,
            secret: secret.to_owned(),
        })))
    }
}

/// Where to return after signing in: the page asked for, or for a form sent after
/// the session ended, the page the form was on (a GET of a form's target would fail).
fn return_path(parts: &Parts) -> String {
    if parts.method == axum::http::Method::GET {
        return parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
    }
    parts
        .headers
        .get(axum::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .and_then(|uri| uri.path_and_query().map(|p| p.as_str().to_owned()))
        .filter(|path| super::forms::is_local_path(path))
        .unwrap_or_else(|| "/".to_owned())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        MaybeViewer::from_request_parts(parts, state)
            .await?
            .0
            .ok_or_else(|| UiError::SignIn {
                next: return_path(parts),
            })
    }
}
