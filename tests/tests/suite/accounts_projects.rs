//! Projects, client keys and API tokens over HTTP, against a real server: Sentry's
//! shapes, status codes, and that nothing of another organization is reachable.

use std::time::{Duration, Instant};

use faultline_commands::ids::{next_id, IdKind};
use faultline_commands::CommandBus;
use faultline_domain::metadata::EventMetadata;
use faultline_domain::organization::{Organization, OrganizationCommand};
use faultline_domain::slug::Slug;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{faultline_bin, fresh_database, TestServer};

/// Fields Sentry's OpenAPI requires on a project summary.
const PROJECT_SUMMARY_FIELDS: &[&str] = &[
    "id",
    "slug",
    "name",
    "platform",
    "dateCreated",
    "isBookmarked",
    "isMember",
    "features",
    "firstEvent",
    "firstTransactionEvent",
    "access",
    "hasAccess",
    "hasFeedbacks",
    "hasFlags",
    "hasMinifiedStackTrace",
    "hasMonitors",
    "hasNewFeedbacks",
    "hasProfiles",
    "hasReplays",
    "hasSessions",
    "hasInsightsHttp",
    "hasInsightsDb",
    "hasInsightsAssets",
    "hasInsightsAppStart",
    "hasInsightsScreenLoad",
    "hasInsightsVitals",
    "hasInsightsCaches",
    "hasInsightsQueues",
    "hasInsightsAgentMonitoring",
    "hasInsightsMCP",
    "hasLogs",
    "hasTraceMetrics",
    "team",
    "teams",
    "platforms",
    "hasUserReports",
    "environments",
    "latestRelease",
];

/// Fields Sentry's OpenAPI requires on a project detail, beyond the summary's.
const PROJECT_DETAIL_FIELDS: &[&str] = &[
    "isInternal",
    "isPublic",
    "avatar",
    "color",
    "status",
    "options",
    "digestsMinDelay",
    "digestsMaxDelay",
    "subjectPrefix",
    "allowedDomains",
    "resolveAge",
    "dataScrubber",
    "dataScrubberDefaults",
    "safeFields",
    "storeCrashReports",
    "sensitiveFields",
    "subjectTemplate",
    "securityToken",
    "securityTokenHeader",
    "verifySSL",
    "scrubIPAddresses",
    "scrapeJavaScript",
    "enableAutoReleaseCreation",
    "highlightTags",
    "highlightContext",
    "highlightPreset",
    "groupingConfig",
    "derivedGroupingEnhancements",
    "groupingEnhancements",
    "secondaryGroupingExpiry",
    "secondaryGroupingConfig",
    "fingerprintingRules",
    "organization",
    "processingIssues",
    "defaultEnvironment",
    "relayPiiConfig",
    "builtinSymbolSources",
    "dynamicSamplingBiases",
    "symbolSources",
    "isDynamicallySampled",
    "tempestFetchScreenshots",
    "autofixAutomationTuning",
    "seerScannerAutomation",
    "seerNightshiftTweaks",
    "scmSourceContextEnabled",
    "debugFilesRole",
];

/// Fields Sentry's OpenAPI requires on a client key.
const KEY_FIELDS: &[&str] = &[
    "id",
    "name",
    "label",
    "public",
    "secret",
    "projectId",
    "isActive",
    "rateLimit",
    "dsn",
    "browserSdkVersion",
    "browserSdk",
    "dateCreated",
    "dynamicSdkLoaderOptions",
    "useCase",
];

fn missing(body: &Value, fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .filter(|field| body.get(**field).is_none())
        .map(|field| field.to_string())
        .collect()
}

/// A server on a fresh database.
struct Instance {
    server: TestServer,
    database_url: String,
    pool: PgPool,
}

impl Instance {
    async fn start() -> Instance {
        let (database_url, pool) = fresh_database().await;
        let server = TestServer::on_database(&database_url);
        Instance {
            server,
            database_url,
            pool,
        }
    }

    /// Creates a user with `faultline user create` and returns a client with its token.
    fn user(&self, email: &str, superuser: bool) -> Client {
        let mut args = vec!["user", "create", "--email", email];
        args.extend(superuser.then_some("--superuser"));
        let output = std::process::Command::new(faultline_bin())
            .args(&args)
            .env("DATABASE_URL", &self.database_url)
            .output()
            .expect("run faultline user create");
        assert!(
            output.status.success(),
            "user create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        Client {
            base: self.server.url.clone(),
            token,
            http: reqwest::Client::new(),
        }
    }

    /// Creates team `slug` in organization `org_id` through the command bus (no HTTP
    /// endpoint for teams on this branch) and waits until the read model has it.
    async fn team(&self, org_id: &str, slug: &str) -> i64 {
        let bus = CommandBus::new(self.pool.clone());
        let team_id = next_id(&self.pool, IdKind::Team).await.unwrap();
        bus.execute::<Organization>(
            org_id,
            OrganizationCommand::CreateTeam {
                team_id,
                slug: Slug::parse(slug).unwrap(),
                name: format!("Team {slug}"),
                at: chrono::Utc::now(),
            },
            &EventMetadata::system("test", chrono::Utc::now()),
        )
        .await
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let found: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)")
                    .bind(team_id)
                    .fetch_one(&self.pool)
                    .await
                    .unwrap();
            if found {
                return team_id;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("team {slug} was not projected within 15 s");
    }
}

/// An HTTP client authenticated as one user.
struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// A response's status, `Link` header and JSON body (`null` when empty).
struct Answer {
    status: StatusCode,
    link: String,
    body: Value,
}

impl Client {
    fn with_token(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            token: token.to_owned(),
            http: self.http.clone(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, link, body }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates organization `slug` and returns its id.
    async fn org(&self, slug: &str) -> String {
        let created = self
            .post(
                "/api/0/organizations/",
                json!({ "name": slug, "slug": slug }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        created.body["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn a_project_created_through_a_team_has_sentrys_summary_and_a_default_key() {
    let instance = Instance::start().await;
    let admin = instance.user("admin@example.com", true);
    let org_id = admin.org("acme").await;
    let team_id = instance.team(&org_id, "backend").await;

    let created = admin
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Backend API", "platform": "python" }),
        )
        .await;
    let keys = admin.get("/api/0/projects/acme/backend-api/keys/").await;

    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        missing(&created.body, PROJECT_SUMMARY_FIELDS),
        Vec::<String>::new()
    );
    assert_eq!(created.body["slug"], "backend-api");
    assert_eq!(created.body["name"], "Backend API");
    assert_eq!(created.body["platform"], "python");
    assert_eq!(created.body["platforms"], json!(["python"]));
    assert_eq!(created.body["isBookmarked"], false);
    assert_eq!(created.body["isMember"], false);
    assert_eq!(created.body["hasAccess"], true);
    assert_eq!(created.body["firstEvent"], Value::Null);
    assert_eq!(created.body["latestRelease"], Value::Null);
    assert_eq!(created.body["status"], "active");
    let team = json!({ "id": team_id.to_string(), "slug": "backend", "name": "Team backend" });
    assert_eq!(created.body["team"], team);
    assert_eq!(created.body["teams"], json!([team]));
    assert_eq!(keys.status, StatusCode::OK);
    assert_eq!(keys.body.as_array().unwrap().len(), 1);
    assert_eq!(keys.body[0]["label"], "Default");
    assert_eq!(keys.body[0]["name"], "Default");
    assert_eq!(keys.body[0]["isActive"], true);
    assert_eq!(
        keys.body[0]["projectId"].as_i64().unwrap().to_string(),
        created.body["id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn a_project_slug_taken_in_the_organization_is_a_conflict_but_free_in_another() {
    let instance = Instance::start().await;
    let admin = instance.user("admin@example.com", true);
    let acme = admin.org("acme").await;
    let globex = admin.org("globex").await;
    instance.team(&acme, "backend").await;
    instance.team(&globex, "backend").await;

    let first = admin
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Web", "slug": "web" }),
        )
        .await;
    let again = admin
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Web 2", "slug": "web" }),
        )
        .await;
    let elsewhere = admin
        .post(
            "/api/0/teams/globex/backend/projects/",
            json!({ "name": "Web", "slug": "web" }),
        )
        .await;
    let unknown_team = admin
        .post(
            "/api/0/teams/acme/frontend/projects/",
            json!({ "name": "App" }),
        )
        .await;
    let nameless = admin
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "slug": "nameless" }),
        )
        .await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        again.body,
        json!({ "detail": "A project with this slug already exists." })
    );
    assert_eq!(elsewhere.status, StatusCode::CREATED);
    assert_eq!(elsewhere.body["slug"], "web");
    assert_ne!(elsewhere.body["id"], first.body["id"]);
    assert_eq!(unknown_team.status, StatusCode::NOT_FOUND);
    assert_eq!(nameless.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        nameless.body,
        json!({ "name": ["This field is required."] })
    );
}

#[tokio::test]
async fn a_project_is_read_by_slug_or_id_listed_renamed_and_deleted() {
    let instance = Instance::start().await;
    let admin = instance.user("admin@example.com", true);
    let org_id = admin.org("acme").await;
    instance.team(&org_id, "backend").await;
    let created = admin
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Web" }),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();

    let by_slug = admin.get("/api/0/projects/acme/web/").await;
    let by_id = admin.get(&format!("/api/0/projects/acme/{id}/")).await;
    let org_list = admin.get("/api/0/organizations/acme/projects/").await;
    let all = admin.get("/api/0/projects/").await;
    let renamed = admin
        .put(
            "/api/0/projects/acme/web/",
            json!({ "name": "Storefront", "slug": "storefront", "platform": "javascript", "isBookmarked": true }),
        )
        .await;
    let old_slug = admin.get("/api/0/projects/acme/web/").await;
    let new_slug = admin.get("/api/0/projects/acme/storefront/").await;
    let cleared = admin
        .put(
            "/api/0/projects/acme/storefront/",
            json!({ "platform": null }),
        )
        .await;
    let bad_slug = admin
        .put(
            "/api/0/projects/acme/storefront/",
            json!({ "slug": "Not A Slug" }),
        )
        .await;
    let deleted = admin.delete(&format!("/api/0/projects/acme/{id}/")).await;
    let gone = admin.get("/api/0/projects/acme/storefront/").await;
    let empty_list = admin.get("/api/0/organizations/acme/projects/").await;

    assert_eq!(by_slug.status, StatusCode::OK);
    assert_eq!(
        missing(&by_slug.body, PROJECT_SUMMARY_FIELDS),
        Vec::<String>::new()
    );
    assert_eq!(
        missing(&by_slug.body, PROJECT_DETAIL_FIELDS),
        Vec::<String>::new()
    );
    assert_eq!(by_slug.body["id"], id.as_str());
    assert_eq!(by_slug.body["platform"], Value::Null);
    assert_eq!(by_slug.body["organization"]["slug"], "acme");
    assert_eq!(by_slug.body["organization"]["id"], org_id.as_str());
    assert_eq!(
        by_slug.body["highlightPreset"],
        json!({ "tags": [], "context": {} })
    );
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body["slug"], "web");
    assert_eq!(org_list.status, StatusCode::OK);
    assert_eq!(org_list.body.as_array().unwrap().len(), 1);
    assert_eq!(org_list.body[0]["slug"], "web");
    assert!(org_list.link.contains("rel=\"next\"; results=\"false\""));
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body.as_array().unwrap().len(), 1);
    assert_eq!(all.body[0]["id"], id.as_str());
    assert!(all.link.contains("rel=\"previous\"; results=\"false\""));
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["id"], id.as_str());
    assert_eq!(renamed.body["name"], "Storefront");
    assert_eq!(renamed.body["slug"], "storefront");
    assert_eq!(renamed.body["platform"], "javascript");
    assert_eq!(old_slug.status, StatusCode::NOT_FOUND);
    assert_eq!(new_slug.status, StatusCode::OK);
    assert_eq!(new_slug.body["name"], "Storefront");
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(cleared.body["platform"], Value::Null);
    assert_eq!(bad_slug.status, StatusCode::BAD_REQUEST);
    assert!(bad_slug.body["slug"].is_array());
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(empty_list.body, json!([]));
}

#[tokio::test]
async fn a_token_with_only_project_read_may_read_and_bookmark_but_not_change_a_project() {
    let instance = Instance::start().await;
    let admin = instance.user("admin@example.com", true);
    let org_id = admin.org("acme").await;
    instance.team(&org_id, "backend").await;
    admin
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Web" }),
        )
        .await;
    let issued = admin
        .post(
            "/api/0/api-tokens/",
            json!({ "scopes": ["project:read", "org:read"], "name": "reader" }),
        )
        .await;
    let reader = admin.with_token(issued.body["token"].as_str().unwrap());

    let read = reader.get("/api/0/projects/acme/web/").await;
    let keys = reader.get("/api/0/projects/acme/web/keys/").await;
    let bookmarked = reader
        .put("/api/0/projects/acme/web/", json!({ "isBookmarked": true }))
        .await;
    let renamed = reader
        .put("/api/0/projects/acme/web/", json!({ "name": "Mine" }))
        .await;
    let new_key = reader
        .post("/api/0/projects/acme/web/keys/", json!({}))
        .await;
    let deleted = reader.delete("/api/0/projects/acme/web/").await;
    let created = reader
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Other" }),
        )
        .await;
    let after = admin.get("/api/0/projects/acme/web/").await;

    assert_eq!(issued.status, StatusCode::CREATED);
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["access"], json!(["org:read", "project:read"]));
    assert_eq!(keys.status, StatusCode::OK);
    assert_eq!(bookmarked.status, StatusCode::OK);
    assert_eq!(bookmarked.body["name"], "Web");
    assert_eq!(renamed.status, StatusCode::FORBIDDEN);
    assert_eq!(
        renamed.body,
        json!({ "detail": "You do not have permission to perform this action." })
    );
    assert_eq!(new_key.status, StatusCode::FORBIDDEN);
    assert_eq!(deleted.status, StatusCode::FORBIDDEN);
    assert_eq!(created.status, StatusCode::FORBIDDEN);
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body["name"], "Web");
}

#[tokio::test]
async fn client_keys_are_created_listed_updated_and_revoked_with_sentry_dsns() {
    let instance = Instance::start().await;
    let admin = instance.user("admin@example.com", true);
    let org_id = admin.org("acme").await;
    instance.team(&org_id, "backend").await;
    let project = admin
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Web" }),
        )
        .await;
    let project_id: i64 = project.body["id"].as_str().unwrap().parse().unwrap();

    let created = admin
        .post(
            "/api/0/projects/acme/web/keys/",
            json!({ "name": "CI", "rateLimit": { "window": 3600, "count": 100 } }),
        )
        .await;
    let key = created.body["id"].as_str().unwrap().to_owned();
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let path = format!("/api/0/projects/acme/web/keys/{key}/");
    let listed = admin.get("/api/0/projects/acme/web/keys/").await;
    let updated = admin
        .put(
            &path,
            json!({ "name": "CI (off)", "isActive": false, "rateLimit": null }),
        )
        .await;
    let fetched = admin.get(&path).await;
    let by_id = admin
        .get(&format!("/api/0/projects/acme/{project_id}/keys/{key}/"))
        .await;
    let bad_limit = admin
        .post(
            "/api/0/projects/acme/web/keys/",
            json!({ "rateLimit": { "window": 0, "count": 10 } }),
        )
        .await;
    let revoked = admin.delete(&path).await;
    let gone = admin.get(&path).await;
    let revoked_again = admin.delete(&path).await;
    let remaining = admin.get("/api/0/projects/acme/web/keys/").await;

    let host = instance.server.url.trim_start_matches("http://");
    let base = &instance.server.url;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(missing(&created.body, KEY_FIELDS), Vec::<String>::new());
    assert_eq!(key.len(), 32);
    assert_eq!(secret.len(), 32);
    assert_eq!(created.body["public"], key.as_str());
    assert_eq!(created.body["name"], "CI");
    assert_eq!(created.body["label"], "CI");
    assert_eq!(created.body["projectId"], project_id);
    assert_eq!(created.body["isActive"], true);
    assert_eq!(
        created.body["rateLimit"],
        json!({ "window": 3600, "count": 100 })
    );
    assert_eq!(created.body["browserSdkVersion"], "latest");
    assert_eq!(
        created.body["browserSdk"],
        json!({ "choices": [["latest", "latest"]] })
    );
    assert_eq!(created.body["useCase"], "user");
    assert_eq!(
        created.body["dynamicSdkLoaderOptions"],
        json!({ "hasReplay": true, "hasPerformance": true, "hasDebug": false,
                "hasFeedback": false, "hasLogsAndMetrics": false })
    );
    assert_eq!(
        created.body["dsn"],
        json!({
            "public": format!("http://{key}@{host}/{project_id}"),
            "secret": format!("http://{key}:{secret}@{host}/{project_id}"),
            "csp": format!("{base}/api/{project_id}/csp-report/?sentry_key={key}"),
            "security": format!("{base}/api/{project_id}/security/?sentry_key={key}"),
            "minidump": format!("{base}/api/{project_id}/minidump/?sentry_key={key}"),
            "nel": format!("{base}/api/{project_id}/nel/?sentry_key={key}"),
            "unreal": format!("{base}/api/{project_id}/unreal/{key}/"),
            "crons": format!("{base}/api/{project_id}/cron/___MONITOR_SLUG___/{key}/"),
            "cdn": format!("{base}/js-sdk-loader/{key}.min.js"),
            "playstation": format!("{base}/api/{project_id}/playstation/?sentry_key={key}"),
            "integration": format!("{base}/api/{project_id}/integration/"),
            "otlp_traces": format!("{base}/api/{project_id}/integration/otlp/v1/traces"),
            "otlp_logs": format!("{base}/api/{project_id}/integration/otlp/v1/logs"),
        })
    );
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert_eq!(listed.body[1]["id"], key.as_str());
    assert!(listed.link.contains("rel=\"next\"; results=\"false\""));
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["name"], "CI (off)");
    assert_eq!(updated.body["isActive"], false);
    assert_eq!(updated.body["rateLimit"], Value::Null);
    assert_eq!(fetched.body, updated.body);
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body["id"], key.as_str());
    assert_eq!(bad_limit.status, StatusCode::BAD_REQUEST);
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(revoked_again.status, StatusCode::NOT_FOUND);
    assert_eq!(remaining.body.as_array().unwrap().len(), 1);
    assert_eq!(remaining.body[0]["label"], "Default");
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_limited_to_the_callers_scopes_and_revoked() {
    let instance = Instance::start().await;
    let admin = instance.user("admin@example.com", true);
    let user = instance.user("user@example.com", false);
    let admin_tokens = admin.get("/api/0/api-tokens/").await;
    let admin_token_id = admin_tokens.body[0]["id"].as_str().unwrap().to_owned();

    let issued = user
        .post(
            "/api/0/api-tokens/",
            json!({ "scopes": ["project:read", "org:read"], "name": "ci" }),
        )
        .await;
    let token_id = issued.body["id"].as_str().unwrap().to_owned();
    let limited = user.with_token(issued.body["token"].as_str().unwrap());
    let listed = user.get("/api/0/api-tokens/").await;
    let used = limited.get("/api/0/projects/").await;
    let escalated = limited
        .post("/api/0/api-tokens/", json!({ "scopes": ["org:admin"] }))
        .await;
    let narrower = limited
        .post("/api/0/api-tokens/", json!({ "scopes": ["project:read"] }))
        .await;
    let unknown = user
        .post("/api/0/api-tokens/", json!({ "scopes": ["org:billing"] }))
        .await;
    let empty = user
        .post("/api/0/api-tokens/", json!({ "scopes": [] }))
        .await;
    let someone_elses = user
        .call(
            Method::DELETE,
            "/api/0/api-tokens/",
            Some(json!({ "tokenId": admin_token_id })),
        )
        .await;
    let revoked = user
        .call(
            Method::DELETE,
            "/api/0/api-tokens/",
            Some(json!({ "tokenId": token_id })),
        )
        .await;
    let after_revoke = limited.get("/api/0/projects/").await;
    let by_query = user
        .delete(&format!(
            "/api/0/api-tokens/?tokenId={}",
            narrower.body["id"].as_str().unwrap()
        ))
        .await;
    let without_id = user.delete("/api/0/api-tokens/").await;
    let remaining = user.get("/api/0/api-tokens/").await;
    let admin_still = admin.get("/api/0/api-tokens/").await;

    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert!(issued.body["token"]
        .as_str()
        .unwrap()
        .starts_with("sntryu_"));
    assert_eq!(issued.body["scopes"], json!(["org:read", "project:read"]));
    assert_eq!(issued.body["name"], "ci");
    assert!(issued.body["dateCreated"].is_string());
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert_eq!(listed.body[1]["id"], token_id.as_str());
    assert_eq!(listed.body[1]["name"], "ci");
    assert_eq!(
        listed.body[1]["scopes"],
        json!(["org:read", "project:read"])
    );
    assert_eq!(listed.body[1].get("token"), None);
    assert_eq!(listed.body[0].get("token"), None);
    assert_eq!(used.status, StatusCode::OK);
    assert_eq!(used.body, json!([]));
    assert_eq!(escalated.status, StatusCode::FORBIDDEN);
    assert_eq!(narrower.status, StatusCode::CREATED);
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.body,
        json!({ "scopes": ["\"org:billing\" is not a valid choice."] })
    );
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(someone_elses.status, StatusCode::NOT_FOUND);
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(after_revoke.status, StatusCode::UNAUTHORIZED);
    assert_eq!(by_query.status, StatusCode::NO_CONTENT);
    assert_eq!(without_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(remaining.body.as_array().unwrap().len(), 1);
    assert_eq!(remaining.body[0]["name"], "created at the command line");
    assert_eq!(admin_still.body.as_array().unwrap().len(), 1);
    assert_eq!(admin_still.body[0]["id"], admin_token_id.as_str());
}

#[tokio::test]
async fn another_organizations_projects_keys_and_teams_answer_404() {
    let instance = Instance::start().await;
    let alice = instance.user("alice@example.com", false);
    let bob = instance.user("bob@example.com", false);
    let acme = alice.org("acme").await;
    let globex = bob.org("globex").await;
    instance.team(&acme, "backend").await;
    instance.team(&globex, "ops").await;
    let project = alice
        .post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Web" }),
        )
        .await;
    let project_id = project.body["id"].as_str().unwrap().to_owned();
    let keys = alice.get("/api/0/projects/acme/web/keys/").await;
    let key = keys.body[0]["id"].as_str().unwrap().to_owned();
    bob.post(
        "/api/0/teams/globex/ops/projects/",
        json!({ "name": "Infra" }),
    )
    .await;

    let statuses = [
        bob.get("/api/0/projects/acme/web/").await.status,
        bob.get(&format!("/api/0/projects/acme/{project_id}/"))
            .await
            .status,
        bob.put("/api/0/projects/acme/web/", json!({ "name": "Mine" }))
            .await
            .status,
        bob.delete("/api/0/projects/acme/web/").await.status,
        bob.get("/api/0/organizations/acme/projects/").await.status,
        bob.get("/api/0/projects/acme/web/keys/").await.status,
        bob.post("/api/0/projects/acme/web/keys/", json!({}))
            .await
            .status,
        bob.get(&format!("/api/0/projects/acme/web/keys/{key}/"))
            .await
            .status,
        bob.put(
            &format!("/api/0/projects/acme/web/keys/{key}/"),
            json!({ "isActive": false }),
        )
        .await
        .status,
        bob.delete(&format!("/api/0/projects/acme/web/keys/{key}/"))
            .await
            .status,
        bob.post(
            "/api/0/teams/acme/backend/projects/",
            json!({ "name": "Sneaky" }),
        )
        .await
        .status,
        // Org B's path with org A's project, key or team.
        bob.get("/api/0/projects/globex/web/").await.status,
        bob.get(&format!("/api/0/projects/globex/{project_id}/"))
            .await
            .status,
        bob.get(&format!("/api/0/projects/globex/infra/keys/{key}/"))
            .await
            .status,
        bob.delete(&format!("/api/0/projects/globex/infra/keys/{key}/"))
            .await
            .status,
        bob.post(
            "/api/0/teams/globex/backend/projects/",
            json!({ "name": "Sneaky" }),
        )
        .await
        .status,
    ];
    let bobs_projects = bob.get("/api/0/projects/").await;
    let alices_view = alice.get("/api/0/projects/acme/web/").await;
    let alices_key = alice
        .get(&format!("/api/0/projects/acme/web/keys/{key}/"))
        .await;

    assert_eq!(statuses, [StatusCode::NOT_FOUND; 16]);
    assert_eq!(bobs_projects.body.as_array().unwrap().len(), 1);
    assert_eq!(bobs_projects.body[0]["slug"], "infra");
    assert_eq!(alices_view.status, StatusCode::OK);
    assert_eq!(alices_view.body["name"], "Web");
    assert_eq!(alices_key.status, StatusCode::OK);
    assert_eq!(alices_key.body["isActive"], true);
}
