//! `POST /api/0/organizations/{org}/erasures/` (a Faultline endpoint, org owners and
//! managers): erase one person from the organization's stored events, as `faultline
//! forget user` does (`crate::erasure`). The erasure reads every stored body of the
//! organization, so it runs after the answer (`202`); the audit log records it
//! (`user.erase`) when done.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_domain::erasure::Person;
use faultline_domain::role::Scope;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::field_error;
use crate::json::JsonBody;
use crate::state::AppState;

/// The erasure route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create))
}

/// Who to erase: exactly one of the fields, as an SDK's `user` names them.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ErasureCreate)]
struct ErasureBody {
    /// `user.email`.
    email: Option<String>,
    /// `user.id`.
    id: Option<String>,
    /// `user.ip_address`, or the request's `REMOTE_ADDR`.
    ip: Option<String>,
}

impl ErasureBody {
    fn person(self) -> Result<Person, ApiError> {
        let given =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        match (given(self.email), given(self.id), given(self.ip)) {
            (Some(email), None, None) => Ok(Person::Email(email)),
            (None, Some(id), None) => Ok(Person::Id(id)),
            (None, None, Some(ip)) => Ok(Person::Ip(ip)),
            _ => Err(field_error(
                "non_field_errors",
                "Give exactly one of email, id and ip.",
            )),
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/erasures/",
    tag = "organizations",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = ErasureBody,
    responses(
        (status = 202, description = "The erasure runs; the audit log records it (user.erase) when done"),
        (status = 400, description = "Not exactly one of email, id and ip"),
        (status = 403, description = "Only owners and managers may erase", body = crate::openapi::ErrorDetail),
        (status = 404, description = "No such organization", body = crate::openapi::ErrorDetail)
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    // The organization and the caller's scope first: another organization's route
    // answers 404 whatever the body.
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgAdmin])?;
    let body: ErasureBody = serde_json::from_value(body)
        .map_err(|_| field_error("non_field_errors", "Give exactly one of email, id and ip."))?;
    let person = body.person()?;
    let (pool, bus) = (state.pool.clone(), state.bus.clone());
    let (org_id, metadata) = (access.org.id, access.caller.metadata());
    tokio::spawn(async move {
        match crate::erasure::forget_user(&pool, &bus, org_id, &person, &metadata).await {
            Ok(erased) => {
                tracing::info!(org_id, events = erased.events, "person erased");
                if let Err(error) = crate::erasure::vacuum_after_erasure(&pool).await {
                    tracing::warn!(%error, "vacuum after an erasure failed");
                }
            }
            Err(error) => tracing::error!(org_id, %error, "erasure failed"),
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"detail": "The erasure runs; the audit log records it when done."})),
    ))
}
