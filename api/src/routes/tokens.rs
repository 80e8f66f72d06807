//! `/api/0/api-tokens/`: the calling user's personal API tokens.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_commands::ids::{next_id, IdKind};
use faultline_commands::secrets::new_token;
use faultline_domain::role::Scope;
use faultline_domain::user::{User, UserCommand};
use faultline_projections::accounts::queries::auth::{tokens_of, TokenRow};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::fields::field_error;
use crate::json::{date, JsonBody};
use crate::state::AppState;
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The API token routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create, remove))
}

fn token_json(token: &TokenRow) -> Value {
    json!({
        "id": token.id.to_string(),
        "name": token.name,
        "scopes": token.scopes,
        "application": null,
        "expiresAt": null,
        "state": null,
        "dateCreated": date(token.date_created),
    })
}

#[utoipa::path(
    get,
    path = "/api/0/api-tokens/",
    tag = "tokens",
    responses((status = 200, description = "The caller's tokens", body = Vec<crate::openapi::ApiToken>))
)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let tokens = tokens_of(&state.pool, caller.user_id()).await?;
    Ok(Json(Value::Array(tokens.iter().map(token_json).collect())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ApiTokenCreate)]
struct CreateBody {
    scopes: Option<Vec<String>>,
    name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/0/api-tokens/",
    tag = "tokens",
    request_body = CreateBody,
    responses((status = 201, description = "Created; the only answer that holds the token", body = crate::openapi::ApiToken))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let requested = body
        .scopes
        .filter(|scopes| !scopes.is_empty())
        .ok_or_else(|| field_error("scopes", "This field is required."))?;
    let scopes = requested
        .iter()
        .map(|name| {
            name.parse::<Scope>()
                .map_err(|_| field_error("scopes", &format!("\"{name}\" is not a valid choice.")))
        })
        .collect::<Result<BTreeSet<Scope>, ApiError>>()?;
    // A token must not grant more than the one that created it.
    if !caller.owner.is_superuser && !scopes.is_subset(&caller.token_scopes) {
        return Err(ApiError::Forbidden);
    }
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let token_id = next_id(&state.pool, IdKind::Token).await?;
    let (token, token_hash) = new_token();
    let at = chrono::Utc::now();
    state
        .execute::<User>(
            &caller.user_id().to_string(),
            UserCommand::IssueToken {
                token_id,
                token_hash,
                scopes: scopes.clone(),
                name: name.clone(),
                at,
            },
            &caller.metadata(),
        )
        .await?;
    let mut body = token_json(&TokenRow {
        id: token_id,
        scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        name,
        date_created: at,
    });
    body["token"] = json!(token);
    body["refreshToken"] = Value::Null;
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RemoveQuery {
    #[serde(rename = "tokenId")]
    token_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = ApiTokenRemove)]
struct RemoveParams {
    #[serde(rename = "tokenId")]
    token_id: Option<Value>,
}

/// `tokenId` as a number, whether sent as a JSON number or a string.
fn token_id(value: Option<Value>) -> Result<i64, ApiError> {
    let id = match value {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    id.ok_or_else(|| field_error("tokenId", "A valid integer is required."))
}

#[utoipa::path(
    delete,
    path = "/api/0/api-tokens/",
    tag = "tokens",
    params(RemoveQuery),
    request_body = Option<RemoveParams>,
    responses((status = 204, description = "Revoked"))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<RemoveQuery>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    // The id may come in a JSON body (Sentry's form) or in the query string.
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        RemoveParams::default()
    } else {
        serde_json::from_slice::<RemoveParams>(&body)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?
    };
    let token_id = token_id(from_body.token_id.or(query.token_id.map(Value::String)))?;
    // Executed on the caller's own user: another user's token is simply not found.
    state
        .execute::<User>(
            &caller.user_id().to_string(),
            UserCommand::RevokeToken {
                token_id,
                at: chrono::Utc::now(),
            },
            &caller.metadata(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
