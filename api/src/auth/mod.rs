//! Who is calling, and what they may do.
//!
//! [`Caller`] authenticates `Authorization: Bearer <token>` (only the token's SHA-256
//! is stored and looked up). [`OrgAccess`] resolves an organization from the path for
//! that caller: an organization the caller does not belong to is answered exactly
//! like one that does not exist (404), and the caller's scopes there are the token's
//! scopes intersected with the member role's scopes, as in Sentry.

mod access;

use std::collections::BTreeSet;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use faultline_commands::secrets::hash_token;
use faultline_domain::metadata::{Actor, EventMetadata};
use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::auth::{token_owner, TokenOwner};

pub use access::OrgAccess;

use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry::REQUEST_ID;

/// The authenticated user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token and its user.
    pub owner: TokenOwner,
    /// The token's scopes.
    pub token_scopes: BTreeSet<Scope>,
    /// The request id, for event metadata.
    pub request_id: Option<String>,
    /// The client address, for event metadata.
    pub ip_address: Option<String>,
}

impl Caller {
    /// The caller's user id.
    pub fn user_id(&self) -> i64 {
        self.owner.user_id
    }

    /// Metadata for the events this caller's command produces.
    pub fn metadata(&self) -> EventMetadata {
        EventMetadata {
            actor: Actor::User(self.owner.user_id.to_string()),
            request_id: self.request_id.clone(),
            ip_address: self.ip_address.clone(),
            time: chrono::Utc::now(),
        }
    }

    /// Refuses (403) unless the token carries one of `scopes` (for endpoints outside
    /// any organization).
    pub fn require_token_scope(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        if scopes.iter().any(|s| self.token_scopes.contains(s)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// The request's id and the client's address, for the metadata of the events a
/// caller's commands produce.
pub fn request_origin(parts: &Parts) -> (Option<String>, Option<String>) {
    let request_id = parts
        .headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ip_address = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    (request_id, ip_address)
}

/// `Some(caller)` when a valid token came, `None` when none came; a bad token is 401.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Ok(MaybeCaller(None));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::Unauthorized(
                "Invalid token header. No credentials provided.",
            ))?;
        let owner = token_owner(&state.pool, &hash_token(token))
            .await?
            .ok_or(ApiError::Unauthorized("Invalid token"))?;
        let token_scopes = owner.scopes.iter().filter_map(|s| s.parse().ok()).collect();
        let (request_id, ip_address) = request_origin(parts);
        Ok(MaybeCaller(Some(Caller {
            owner,
            token_scopes,
            request_id,
            ip_address,
        })))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        MaybeCaller::from_request_parts(parts, state)
            .await?
            .0
            .ok_or(ApiError::Unauthorized(
                "Authentication credentials were not provided.",
            ))
    }
}
