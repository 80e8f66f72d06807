//! `GET /api/0/`: who the caller is (sentry-cli's `info`).

use axum::Json;
use serde_json::{json, Value};

use crate::auth::MaybeCaller;
use crate::json::date;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The API index route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(index))
}

#[utoipa::path(
    get,
    path = "/api/0/",
    tag = "meta",
    security((), ("bearer" = [])),
    responses((status = 200, description = "The caller (or nulls without a token)", body = crate::openapi::Index))
)]
async fn index(MaybeCaller(caller): MaybeCaller) -> Json<Value> {
    Json(match caller {
        None => json!({ "version": "0", "auth": null, "user": null }),
        Some(caller) => {
            let scopes: Vec<&str> = caller.token_scopes.iter().map(|s| s.as_str()).collect();
            json!({
                "version": "0",
                "auth": { "scopes": scopes },
                "user": {
                    "id": caller.owner.user_id.to_string(),
                    "email": caller.owner.email,
                    "username": caller.owner.email,
                    "name": caller.owner.name,
                    "isSuperuser": caller.owner.is_superuser,
                    "dateJoined": date(caller.owner.date_joined),
                },
            })
        }
    })
}
