//! `GET /api/0/projects/{org}/{project}/events/{event_id}/grouping-info/`, as Sentry
//! answers it: the event's grouping variants (a fingerprint, the in-app or all frames,
//! the exception, the message), which one contributed, with which values and which
//! rules. The event is grouped again under the configuration it was recorded with
//! (events stored before grouping was recorded: the legacy one) and the project's
//! rules; `hashMismatch` says when that no longer gives the hash it was grouped by.

use axum::extract::{Path, State};
use axum::Json;
use faultline_domain::event::grouping::rules::ProjectRules;
use faultline_domain::event::grouping::{group, Config, Grouping};
use faultline_domain::event::{normalize, NormalizeContext};
use faultline_projections::issues::queries;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::render::event::occurrence;
use crate::resolve::{resolve_org_project, EVENT_READ};
use crate::state::AppState;

/// The route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(grouping_info))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/events/{event_id}/grouping-info/",
    tag = "events",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("event_id" = String, Path, description = "Event id (32 hex digits)")),
    responses(
        (status = 200, description = "`{grouping_config, variants}`: each variant's hash, whether it contributed, its values and the rules that applied"),
        (status = 404, description = "No such event in the project", body = crate::openapi::ErrorDetail)
    )
)]
async fn grouping_info(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&EVENT_READ)?;
    let event_id =
        faultline_domain::event::normalize_event_id(&event_id).ok_or(ApiError::NotFound)?;
    let row = queries::event_in_project(&state.pool, access.org.id, project.id, &event_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let data = occurrence(&row)?.data;
    let recorded = data.get("grouping").cloned().unwrap_or(Value::Null);
    let config = recorded["config"]
        .as_str()
        .and_then(Config::from_id)
        .unwrap_or(Config::Legacy);
    let context = NormalizeContext {
        received: row.received,
        client_ip: None,
        event_id: Some(event_id),
        sdk_name_version: None,
        platform_hint: None,
    };
    let raw = sonic_rs::from_str(&data.to_string()).map_err(ApiError::internal)?;
    let event = normalize(raw, &context).map_err(ApiError::internal)?;
    let rules = match config {
        Config::Current => state.keys.rules(project.id),
        Config::Legacy => std::sync::Arc::new(ProjectRules::default()),
    };
    let grouping = group(&event, config, &rules);
    let recorded_hash = recorded["hash"].as_str().map(str::to_owned);
    Ok(Json(json!({
        "grouping_config": config.id(),
        "variants": variants(&grouping, recorded_hash.as_deref(), &recorded),
    })))
}

/// Sentry's variants: the fingerprint one when a fingerprint decided, and the
/// component one of the event's own content.
fn variants(grouping: &Grouping, recorded_hash: Option<&str>, recorded: &Value) -> Value {
    let fingerprinted = matches!(grouping.variant, "fingerprint-rule" | "custom-fingerprint");
    let mismatch = recorded_hash.is_some_and(|h| h != grouping.hash);
    let mut variants = serde_json::Map::new();
    let (own_variant, own_components) = if fingerprinted {
        let values: Vec<&str> = grouping.components[1..]
            .iter()
            .map(String::as_str)
            .collect();
        let key = if grouping.variant == "fingerprint-rule" {
            "custom_fingerprint"
        } else {
            "custom-fingerprint"
        };
        variants.insert(
            key.into(),
            json!({
                "key": key,
                "type": "custom_fingerprint",
                "description": if grouping.variant == "fingerprint-rule" { "fingerprint rule" } else { "custom client fingerprint" },
                "hash": grouping.hash,
                "hashMismatch": mismatch,
                "contributes": true,
                "hint": null,
                "values": values,
                "matched_rule": grouping.matched_rule,
            }),
        );
        ("default", Vec::new())
    } else {
        (grouping.variant, grouping.components.clone())
    };
    let description = match own_variant {
        "app" => "in-app frames",
        "system" => "all frames",
        "exception" => "exception type and value",
        "message" => "message",
        _ => "default",
    };
    variants.insert(
        own_variant.into(),
        json!({
            "key": own_variant,
            "type": "component",
            "description": description,
            "hash": if fingerprinted { Value::Null } else { json!(grouping.hash) },
            "hashMismatch": !fingerprinted && mismatch,
            "contributes": !fingerprinted,
            "hint": if fingerprinted { json!("custom fingerprint takes precedence") } else { Value::Null },
            "component": component(&own_components, !fingerprinted),
            "stacktrace_rules": recorded.get("stacktrace_rules").cloned().unwrap_or(json!([])),
            "fallback": recorded.get("fallback").cloned().unwrap_or(Value::Null),
        }),
    );
    Value::Object(variants)
}

/// The hashed values as a component tree: frames as `{module or file, function}`.
fn component(components: &[String], contributes: bool) -> Value {
    let mut values = Vec::new();
    let mut frame: Option<Vec<Value>> = None;
    for part in components {
        let (kind, value) = part.split_once(':').unwrap_or((part.as_str(), ""));
        match kind {
            "frame" => {
                if let Some(done) = frame.take() {
                    values.push(json!({"id": "frame", "contributes": true, "values": done}));
                }
                frame = Some(vec![
                    json!({"id": "location", "contributes": !value.is_empty(), "values": [value]}),
                ]);
            }
            "function" => {
                if let Some(parts) = frame.as_mut() {
                    parts.push(json!({"id": "function", "contributes": !value.is_empty(), "values": [value]}));
                }
            }
            other => {
                if let Some(done) = frame.take() {
                    values.push(json!({"id": "frame", "contributes": true, "values": done}));
                }
                values.push(json!({"id": other, "contributes": true, "values": [value]}));
            }
        }
    }
    if let Some(done) = frame.take() {
        values.push(json!({"id": "frame", "contributes": true, "values": done}));
    }
    json!({"id": "root", "contributes": contributes, "hint": null, "values": values})
}
