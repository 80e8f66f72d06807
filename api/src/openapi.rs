//! The REST API's OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! annotations.
//!
//! Every REST route is registered through `utoipa_axum::routes!`, which takes the
//! path and methods from the annotation itself, so the router and the document are
//! built from one source. The schemas below describe bodies the handlers build with
//! `serde_json::json!`: they list the fields Faultline fills from its own data (with
//! their types) and allow the further fields that mirror Sentry's serializers.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

/// The document's frame: info, security scheme, the error responses common to all.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Faultline REST API",
        description = "Sentry's public API (`/api/0/`) as Faultline serves it. \
            Authenticate with `Authorization: Bearer <user auth token>`."
    ),
    modifiers(&Security),
    security(("bearer" = [])),
    components(schemas(ErrorDetail, BadRequestBody))
)]
pub struct ApiDoc;

/// `GET /api/0/openapi.json`: this document (no authentication).
#[utoipa::path(
    get,
    path = "/api/0/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This OpenAPI document", body = Value))
)]
pub async fn openapi_json() -> Json<Value> {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(
        DOCUMENT
            .get_or_init(|| serde_json::to_value(crate::openapi()).unwrap_or(Value::Null))
            .clone(),
    )
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A user auth token (`/api/0/api-tokens/`)."))
                    .build(),
            ),
        );
    }
}

/// Adds the `ApiError` answers every operation can give (unless the operation
/// documents its own): 400 (malformed body, query or field), 401 (bad token), 403
/// (missing scope), 404 (unknown, or another organization's), 503 (database down).
struct CommonErrors;

/// Completes the document once the routes' paths are in it.
pub fn finish(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    CommonErrors.modify(&mut openapi);
    operation_ids(&mut openapi);
    openapi
}

/// Unique operation ids from method and path (handler names repeat across modules):
/// `GET /api/0/teams/{org}/{team}/` is `get_teams_org_team`.
fn operation_ids(openapi: &mut utoipa::openapi::OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let words: Vec<String> = path
            .trim_start_matches("/api/0/")
            .split('/')
            .filter(|part| !part.is_empty())
            .map(|part| part.trim_matches(['{', '}']).replace('-', "_"))
            .collect();
        for (method, operation) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ] {
            if let Some(operation) = operation {
                let mut id = vec![method.to_owned()];
                id.extend(words.iter().cloned());
                operation.operation_id = Some(id.join("_"));
            }
        }
    }
}

fn error_response(description: &str, schema: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        schema,
                    ))))
                    .build(),
            )
            .build(),
    )
}

fn add_errors(operation: &mut Operation) {
    let responses = &mut operation.responses.responses;
    let common = [
        (
            "400",
            "Malformed request or invalid field",
            "BadRequestBody",
        ),
        ("401", "Missing or invalid credentials", "ErrorDetail"),
        ("403", "The token or role lacks the scope", "ErrorDetail"),
        (
            "404",
            "Unknown, or not visible to the caller",
            "ErrorDetail",
        ),
        ("503", "The database is unavailable; retry", "ErrorDetail"),
    ];
    for (status, description, schema) in common {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description, schema));
    }
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_errors(operation);
            }
        }
    }
}

/// Every failure but field validation: `{"detail": "..."}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for a person.
    pub detail: String,
}

/// A 400: `{"detail": ...}`, or DRF-style field errors (`{"slug": ["..."]}`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequestBody {
    /// A request-level problem.
    Detail(ErrorDetail),
    /// Messages per invalid field.
    Fields(BTreeMap<String, Vec<String>>),
}

/// `{"window": seconds, "count": events}`.
#[derive(Serialize, ToSchema)]
pub struct RateLimit {
    /// The window length in seconds (above zero).
    pub window: u32,
    /// Events allowed per window (above zero).
    pub count: u32,
}

/// `GET /api/0/`: who is calling.
#[derive(Serialize, ToSchema)]
pub struct Index {
    /// API version (`"0"`).
    pub version: String,
    /// The token's scopes (`{"scopes": [...]}`), null without a token.
    pub auth: Option<Value>,
    /// The caller, null without a token.
    pub user: Option<Value>,
}

/// An organization (summary in lists; detail adds settings, `access`, `role`...).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// Numeric id as a string.
    pub id: String,
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// Always `[]`.
    pub features: Vec<String>,
    /// `{"id": "active", "name": "active"}`.
    pub status: Value,
}

/// A team.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    /// Numeric id as a string.
    pub id: String,
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// Whether the caller is a member.
    pub is_member: bool,
    /// Number of members.
    pub member_count: i64,
    /// The caller's scopes.
    pub access: Vec<String>,
}

/// A project (summary; detail adds settings and `organization`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Numeric id as a string.
    pub id: String,
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// SDK platform, if set.
    pub platform: Option<String>,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// Whether the caller is on one of its teams.
    pub is_member: bool,
    /// Its teams (`id`, `slug`, `name`).
    pub teams: Vec<Value>,
    /// The caller's scopes.
    pub access: Vec<String>,
}

/// An organization member.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Numeric id as a string.
    pub id: String,
    /// The member's email.
    pub email: String,
    /// Name, or the email when none.
    pub name: String,
    /// The user as Sentry's `UserSerializer` renders it.
    pub user: Option<Value>,
    /// `member`, `admin`, `manager` or `owner`.
    pub org_role: String,
    /// Same as `orgRole`.
    pub role: String,
    /// ISO 8601 UTC.
    pub date_created: String,
}

/// A client key (DSN).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientKey {
    /// The public key.
    pub id: String,
    /// Label.
    pub name: String,
    /// The public key.
    pub public: String,
    /// The secret key.
    pub secret: String,
    /// Numeric project id.
    pub project_id: i64,
    /// Whether events sent with it are accepted.
    pub is_active: bool,
    /// Per-key rate limit, null when none.
    pub rate_limit: Option<RateLimit>,
    /// DSNs (`public`, `secret`, `security`, ...).
    pub dsn: Value,
    /// ISO 8601 UTC.
    pub date_created: String,
}

/// An issue (group).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// Numeric id as a string.
    pub id: String,
    /// `PROJECT-1`.
    pub short_id: String,
    /// Title.
    pub title: String,
    /// Culprit.
    pub culprit: Option<String>,
    /// Link to the issue.
    pub permalink: String,
    /// `error`, `warning`, ...
    pub level: String,
    /// `unresolved`, `resolved` or `ignored`.
    pub status: String,
    /// Details of the status (e.g. `inRelease`, `ignoreCount`).
    pub status_details: Value,
    /// `id`, `name`, `slug`, `platform` of its project.
    pub project: Value,
    /// Number of comments.
    pub num_comments: i64,
    /// Events seen, as a string.
    pub count: String,
    /// Distinct users affected.
    pub user_count: i64,
    /// ISO 8601 UTC.
    pub first_seen: String,
    /// ISO 8601 UTC.
    pub last_seen: String,
}

/// A comment (`note` activity) on an issue.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Numeric id as a string.
    pub id: String,
    /// Always `note`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `{"text": ...}`.
    pub data: Value,
    /// The author (`id`, `name`, `email`).
    pub user: Option<Value>,
    /// ISO 8601 UTC.
    pub date_created: String,
}

/// An event (list shape; the detail adds `entries`, `contexts`, `sdk`, ...).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The event id (32 hex digits).
    pub id: String,
    /// The event id.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// Numeric issue id as a string.
    #[serde(rename = "groupID")]
    pub group_id: Option<String>,
    /// Numeric project id as a string.
    #[serde(rename = "projectID")]
    pub project_id: String,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// `[{"key", "value"}]`.
    pub tags: Vec<Value>,
    /// ISO 8601 UTC.
    pub date_created: String,
}

/// A tag value of an issue.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagValue {
    /// Tag key.
    pub key: String,
    /// The value.
    pub value: String,
    /// The value.
    pub name: String,
    /// Events with it.
    pub count: i64,
    /// ISO 8601 UTC.
    pub first_seen: String,
    /// ISO 8601 UTC.
    pub last_seen: String,
}

/// A tag key of an issue, with its most frequent values.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagKey {
    /// Tag key.
    pub key: String,
    /// Human name.
    pub name: String,
    /// Events with the tag.
    pub total_values: i64,
    /// Distinct values.
    pub unique_values: i64,
    /// The most frequent values.
    pub top_values: Vec<TagValue>,
}

/// One page of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditLog {
    /// Entries, newest first.
    pub rows: Vec<AuditLogEntry>,
    /// Every event name that can appear.
    pub options: Vec<String>,
}

/// One audit log entry.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogEntry {
    /// Log position as a string.
    pub id: String,
    /// Who did it (a user, or `{"name": ...}`).
    pub actor: Option<Value>,
    /// Sentry's event name, e.g. `member.edit`.
    pub event: String,
    /// Client address.
    pub ip_address: Option<String>,
    /// Human summary.
    pub note: String,
    /// Id of the changed object.
    pub target_object: Option<i64>,
    /// The user concerned, if any.
    pub target_user: Option<Value>,
    /// Event-specific data.
    pub data: Value,
    /// ISO 8601 UTC.
    pub date_created: String,
}

/// One notification of the outbox (a Faultline extension): where it goes and how
/// its delivery went.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The idempotency key (a UUID): receivers see it as `X-Faultline-Idempotency-Key`.
    pub id: String,
    /// `email`, `webhook`, `slack`, `discord` or `service_hook`.
    pub channel: String,
    /// The email address or URL.
    pub target: String,
    /// `pending`, `delivered`, `failed` (given up) or `dropped` (over the hourly email cap).
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// What went wrong on the last failed attempt (kept after a later success).
    pub last_error: Option<String>,
    /// The last answer's HTTP status (the SMTP reply code for email).
    pub last_status: Option<i32>,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// ISO 8601 UTC, once delivered.
    pub date_delivered: Option<String>,
    /// The workflow that fired, as a string.
    pub workflow_id: Option<String>,
    /// The service hook that fired.
    pub hook_id: Option<String>,
    /// The issue it is about, as a string.
    pub issue_id: Option<String>,
}

/// A user auth token (the token itself only in the creation answer).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    /// Numeric id as a string.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// The bearer token (creation only).
    #[schema(required = false)]
    pub token: Option<String>,
}

/// An alert workflow, in the shape of Sentry's workflows API.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Numeric id as a string.
    pub id: String,
    /// Name.
    pub name: String,
    /// Numeric organization id as a string.
    pub organization_id: String,
    /// The creator's user id as a string.
    pub created_by: Option<String>,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// ISO 8601 UTC.
    pub date_updated: String,
    /// `{id, organizationId, logicType, conditions: [{id, type, comparison,
    /// conditionResult}], actions: []}`.
    pub triggers: Value,
    /// `[{id, organizationId, logicType, conditions, actions: [{id, type,
    /// integrationId, data, config, status}]}]`.
    pub action_filters: Vec<Value>,
    /// Only events of this environment; null: every environment.
    pub environment: Option<String>,
    /// `{"frequency": minutes}`.
    pub config: Value,
    /// The error detectors (project ids as strings) it watches.
    pub detector_ids: Vec<String>,
    /// Whether it is evaluated.
    pub enabled: bool,
    /// Always null for now.
    pub last_triggered: Option<String>,
    /// Always null.
    pub owner: Option<String>,
}

/// A project's error detector, in the shape of Sentry's detectors API.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Detector {
    /// The project's id, as a string.
    pub id: String,
    /// The project's id, as a string.
    pub project_id: String,
    /// `Error Detector`.
    pub name: String,
    /// `error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The workflows attached to it (ids as strings).
    pub workflow_ids: Vec<String>,
    /// Always null.
    pub owner: Option<Value>,
    /// Always null.
    pub created_by: Option<String>,
    /// ISO 8601 UTC (the project's creation).
    pub date_created: String,
    /// ISO 8601 UTC (the project's creation).
    pub date_updated: String,
    /// Always null.
    pub data_sources: Option<Vec<Value>>,
    /// Always null.
    pub condition_group: Option<Value>,
    /// Always `{}`.
    pub config: Value,
    /// Always true.
    pub enabled: bool,
    /// Always null.
    pub latest_group: Option<Value>,
}

/// A service hook.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHook {
    /// 32 hex digits.
    pub id: String,
    /// Where it posts.
    pub url: String,
    /// `event.created`, `event.alert`.
    pub events: Vec<String>,
    /// The HMAC-SHA256 signing secret (64 hex digits).
    pub secret: String,
    /// Always `active`.
    pub status: String,
    /// ISO 8601 UTC.
    pub date_created: String,
}

/// A release, as Sentry's release serializer shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// Numeric id (a number, as Sentry's).
    pub id: i64,
    /// The version.
    pub version: String,
    /// The version without its package; a commit hash cut to 12 characters.
    pub short_version: String,
    /// `package`, `version` (`raw`, and the semver parts when it parses), `description`, `buildHash`.
    pub version_info: Value,
    /// Commit reference.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// A URL pointing at the release.
    pub url: Option<String>,
    /// `open` or `archived`.
    pub status: String,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// When it was finalized, ISO 8601 UTC.
    pub date_released: Option<String>,
    /// Deploys recorded.
    pub deploy_count: i64,
    /// The latest deploy.
    pub last_deploy: Option<Deploy>,
    /// Issues first seen in this release.
    pub new_groups: i64,
    /// The release's first event, ISO 8601 UTC.
    pub first_event: Option<String>,
    /// The release's last event, ISO 8601 UTC.
    pub last_event: Option<String>,
    /// Commits set on it.
    pub commit_count: i64,
    /// The newest of them.
    pub last_commit: Option<Value>,
    /// Their authors (`name`, `email`).
    pub authors: Vec<Value>,
    /// Its projects: `id`, `slug`, `name`, `newGroups`, `platform`, `platforms`.
    pub projects: Vec<Value>,
    /// Always `{}`.
    pub data: Value,
}

/// A deploy of a release.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deploy {
    /// Numeric id as a string.
    pub id: String,
    /// The environment.
    pub environment: String,
    /// Its name.
    pub name: Option<String>,
    /// Its URL.
    pub url: Option<String>,
    /// ISO 8601 UTC.
    pub date_started: Option<String>,
    /// ISO 8601 UTC.
    pub date_finished: String,
}

/// Body of comment creation and edit.
#[derive(Serialize, ToSchema)]
pub struct CommentBody {
    /// The comment's text (non-empty).
    pub text: String,
}

/// Body of issue updates (one issue or many): any of these fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueUpdate {
    /// `resolved`, `resolvedInNextRelease`, `unresolved` or `ignored`.
    #[schema(required = false)]
    pub status: Option<String>,
    /// `inRelease`, `ignoreDuration`, `ignoreCount`, ...
    #[schema(required = false)]
    pub status_details: Option<Value>,
    /// `user:<id>`, an email, a username, or null to unassign.
    #[schema(required = false)]
    pub assigned_to: Option<String>,
    /// Mark seen by the caller.
    #[schema(required = false)]
    pub has_seen: Option<bool>,
    /// Bookmark for the caller.
    #[schema(required = false)]
    pub is_bookmarked: Option<bool>,
    /// Subscribe the caller.
    #[schema(required = false)]
    pub is_subscribed: Option<bool>,
    /// Share publicly.
    #[schema(required = false)]
    pub is_public: Option<bool>,
    /// Merge the selected issues (bulk update only).
    #[schema(required = false)]
    pub merge: Option<bool>,
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }

    /// Every `.rs` file of the crate: its path under `src/` (with `/`) and its text,
    /// for the tests that read the crate's own source.
    pub(crate) fn source_files() -> Vec<(String, String)> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        files
            .iter()
            .map(|file| {
                let relative = file
                    .strip_prefix(&src)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(file).expect("read source");
                (relative, text)
            })
            .collect()
    }

    fn operations(doc: &utoipa::openapi::OpenApi) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (method, operation) in [
                ("get", &item.get),
                ("put", &item.put),
                ("post", &item.post),
                ("delete", &item.delete),
                ("patch", &item.patch),
            ] {
                if operation.is_some() {
                    found.push((method.to_owned(), path.clone()));
                }
            }
        }
        found
    }

    /// Routes outside the document on purpose: not part of the REST API.
    const UNDOCUMENTED_ROUTE_FILES: [&str; 5] = [
        "routes/health.rs",
        "routes/home.rs",
        "routes/ingest/",
        "routes/metrics.rs",
        "ui/",
    ];

    #[test]
    fn every_rest_route_is_registered_from_its_annotation() {
        // `routes!` registers a handler at the path and methods of its annotation, so
        // the document cannot miss a route registered that way. A plain `.route(`
        // (or `nest`) would bypass it: only the non-REST modules may use one.
        let mut bypassing = Vec::new();
        for (relative, text) in source_files() {
            if UNDOCUMENTED_ROUTE_FILES
                .iter()
                .any(|allowed| relative.starts_with(allowed))
                || relative == "lib.rs"
                || relative == "openapi.rs"
            {
                continue;
            }
            for needle in [".route(", ".nest(", ".route_service(", ".fallback("] {
                if text.contains(needle) {
                    bypassing.push(format!("{relative}: {needle}"));
                }
            }
        }
        assert_eq!(bypassing, Vec::<String>::new());
    }

    #[test]
    fn every_annotated_handler_is_in_the_document() {
        let annotated: usize = source_files()
            .iter()
            .map(|(_, text)| {
                text.lines()
                    .filter(|line| line.trim_start().starts_with("#[utoipa::path("))
                    .count()
            })
            .sum();
        let doc = crate::openapi();
        assert_eq!(operations(&doc).len(), annotated);
    }

    #[test]
    fn every_operation_is_under_api_0_with_its_path_parameters_and_errors() {
        let doc = serde_json::to_value(crate::openapi()).expect("serialize");
        for (path, item) in doc["paths"].as_object().expect("paths") {
            assert!(path.starts_with("/api/0/"), "{path}");
            for (method, operation) in item.as_object().expect("path item") {
                let declared: Vec<&str> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                let in_path: Vec<&str> = path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                    .collect();
                assert_eq!(declared, in_path, "{method} {path}");
                for status in ["400", "401", "403", "404"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_document_declares_bearer_auth() {
        let doc = serde_json::to_value(crate::openapi()).expect("serialize");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert_eq!(doc["security"][0]["bearer"], serde_json::json!([]));
        if let Ok(out) = std::env::var("FAULTLINE_OPENAPI_OUT") {
            std::fs::write(out, serde_json::to_string_pretty(&doc).expect("json"))
                .expect("write document");
        }
    }
}

/// A cron monitor, as Sentry's monitor serializer shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Monitor {
    /// A UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Unique in the organization.
    pub slug: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Always `cron_job`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether failures open issues.
    pub is_muted: bool,
    /// Always `false`.
    pub is_upserting: bool,
    /// `schedule_type`, `schedule` (crontab string or `[n, "unit"]`), `checkin_margin`,
    /// `max_runtime`, `timezone`, `failure_issue_threshold`, `recovery_threshold`,
    /// `alert_rule_id` (snake case, as Sentry).
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// ISO 8601 UTC.
    pub date_created: String,
    /// The project its check-ins come to.
    pub project: Project,
    /// One per environment that checked in.
    pub environments: Vec<MonitorEnvironment>,
    /// `{type: user|team, id, name}`, or `null`.
    #[schema(value_type = Option<Object>)]
    pub owner: Option<serde_json::Value>,
}

/// One environment of a monitor.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorEnvironment {
    /// The environment's name.
    pub name: String,
    /// `active` (no verdict yet), `ok` or `error` (an incident is open).
    pub status: String,
    /// The monitor's muting.
    pub is_muted: bool,
    /// Its first check-in, ISO 8601 UTC.
    pub date_created: String,
    /// Its last check-in that was not a missed one.
    pub last_check_in: Option<String>,
    /// When the next check-in is expected.
    pub next_check_in: Option<String>,
    /// When the next check-in counts as missed.
    pub next_check_in_latest: Option<String>,
    /// `{startingTimestamp, resolvingTimestamp, brokenNotice}` while an incident is open.
    #[schema(value_type = Option<Object>)]
    pub active_incident: Option<serde_json::Value>,
}

/// A check-in of a monitor.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorCheckIn {
    /// A UUID.
    pub id: String,
    /// The environment.
    pub environment: String,
    /// `in_progress`, `ok`, `error`, `missed` or `timeout`.
    pub status: String,
    /// Milliseconds.
    pub duration: Option<i64>,
    /// When the run started (ISO 8601 UTC).
    pub date_created: String,
    /// Same as `dateCreated`.
    pub date_added: String,
    /// When it last changed.
    pub date_updated: String,
    /// When it was reported in progress.
    pub date_in_progress: Option<String>,
    /// Same as `dateCreated`.
    pub date_clock: String,
    /// When the run was expected.
    pub expected_time: Option<String>,
    /// The monitor's config at the time.
    #[schema(value_type = Object)]
    pub monitor_config: serde_json::Value,
}
