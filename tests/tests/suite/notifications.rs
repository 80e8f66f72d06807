//! Notification delivery (`faultline-notify`) end to end: rows put into the
//! `notifications` outbox with SQL (as the alerting reactor writes them) are sent by
//! real `faultline serve` processes to real receivers on loopback, an HTTP server in
//! the test and Python's aiosmtpd, and their outcome is read from the table, the API
//! and `/metrics`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{create_user, fresh_database, project_with_key, Api, ProjectKey, TestServer};
use crate::issues::wait_for_events;
use crate::metrics::{scrape, value, Sample};
use crate::receivers::{Receiver, Reply, SmtpServer};

/// A server that may send to loopback receivers, with `env` added.
fn server(url: &str, env: &[(&str, &str)]) -> TestServer {
    let mut all = vec![
        ("DATABASE_URL", url),
        ("FAULTLINE_ALLOW_PRIVATE_WEBHOOKS", "1"),
    ];
    all.extend_from_slice(env);
    TestServer::spawn(&all)
}

/// An outbox row as the alerting reactor writes it.
struct Outbox<'a> {
    org_id: i64,
    channel: &'a str,
    target: String,
    secret: Option<&'a str>,
    workflow_id: Option<&'a str>,
    hook_id: Option<&'a str>,
    payload: Value,
}

impl<'a> Outbox<'a> {
    fn new(channel: &'a str, target: String) -> Self {
        Outbox {
            org_id: 1,
            channel,
            target,
            secret: None,
            workflow_id: Some("7"),
            hook_id: None,
            payload: payload("ZeroDivisionError: division by zero"),
        }
    }
}

async fn insert(pool: &PgPool, row: Outbox<'_>) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO notifications
             (id, org_id, project_id, issue_id, workflow_id, hook_id, channel, target, secret, payload)
         VALUES ($1, $2, 1, 1, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(row.org_id)
    .bind(row.workflow_id)
    .bind(row.hook_id)
    .bind(row.channel)
    .bind(row.target)
    .bind(row.secret)
    .bind(row.payload)
    .execute(pool)
    .await
    .unwrap();
    id
}

/// What the outbox says of a row.
#[derive(Debug, sqlx::FromRow)]
struct Outcome {
    state: String,
    attempts: i32,
    last_error: Option<String>,
    last_status: Option<i32>,
}

/// Waits (up to `within`) until row `id` is no longer pending.
async fn settled(pool: &PgPool, id: Uuid, within: Duration, server: &TestServer) -> Outcome {
    row_when(pool, id, within, server, |outcome| {
        outcome.state != "pending"
    })
    .await
}

/// Waits (up to `within`) until row `id` satisfies `done`.
async fn row_when(
    pool: &PgPool,
    id: Uuid,
    within: Duration,
    server: &TestServer,
    done: impl Fn(&Outcome) -> bool,
) -> Outcome {
    let deadline = Instant::now() + within;
    loop {
        let outcome: Outcome = sqlx::query_as(
            "SELECT state, attempts, last_error, last_status FROM notifications WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
        if done(&outcome) {
            return outcome;
        }
        assert!(
            Instant::now() < deadline,
            "notification {id} not there after {within:?}: {outcome:?}\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (up to `within`) until `done` holds.
async fn eventually(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const WITHIN: Duration = Duration::from_secs(30);

fn payload(title: &str) -> Value {
    json!({
        "trigger": "first_seen_event",
        "issue": {
            "id": "1", "shortId": "BACKEND-1", "title": title,
            "culprit": "app.views in index", "level": "error", "count": "3", "userCount": 2,
            "firstSeen": "2026-01-01T00:00:00Z", "lastSeen": "2026-01-02T00:00:00Z",
            "permalink": "http://faultline.test/organizations/acme/issues/1/"
        },
        "event": {
            "eventId": "0123456789abcdef0123456789abcdef",
            "tags": [["environment", "production"], ["server_name", "web-1"]],
            "exception": {"values": [{
                "type": "ZeroDivisionError", "value": "division by zero",
                "stacktrace": {"frames": [
                    {"function": "main", "module": "app", "filename": "app.py", "lineno": 3, "in_app": true},
                    {"function": "index", "module": "app.views", "filename": "views.py", "lineno": 42, "in_app": true}
                ]}
            }]}
        },
        "project": {"id": "1", "slug": "backend", "name": "Backend"},
        "organization": {"slug": "acme"},
        "workflow": {"id": "7", "name": "New errors"},
        "url": "http://faultline.test/organizations/acme/issues/1/"
    })
}

/// An organization made through the API by a new owner, with a project `backend`.
struct Organization {
    token: String,
    api: Api,
    id: i64,
    project: ProjectKey,
}

async fn organization(server: &TestServer, url: &str, org: &str) -> Organization {
    let token = create_user(url, &format!("owner@{org}.test"), false);
    let api = Api::new(server, &token);
    let project = project_with_key(&api, org, "backend").await;
    let found = api.get_ok(&format!("/api/0/organizations/{org}/")).await;
    Organization {
        id: found["id"].as_str().unwrap().parse().unwrap(),
        token,
        api,
        project,
    }
}

/// `faultline_notifications_total{channel, outcome}` in `samples`.
fn counted(samples: &[Sample], channel: &str, outcome: &str) -> f64 {
    value(
        samples,
        "faultline_notifications_total",
        &[("channel", channel), ("outcome", outcome)],
    )
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_delivered_once_signed_with_the_rows_secret() {
    let receiver = Receiver::ok().await;
    let (url, pool) = fresh_database().await;
    let server = server(&url, &[]);
    let mut row = Outbox::new("webhook", receiver.url("/hook"));
    row.secret = Some("5e3c0a1b9d");

    let id = insert(&pool, row).await;
    let outcome = settled(&pool, id, WITHIN, &server).await;

    assert_eq!(outcome.state, "delivered", "{outcome:?}");
    assert_eq!((outcome.attempts, outcome.last_status), (1, Some(200)));
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        request.header("x-servicehook-signature"),
        hmac_hex("5e3c0a1b9d", &request.body)
    );
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("sentry-hook-resource"), "event_alert");
    assert_eq!(
        request.header("x-faultline-idempotency-key"),
        id.to_string()
    );
    assert_eq!(request.header("sentry-hook-request-id"), id.to_string());
    assert_eq!(request.header("request-id"), id.to_string());
    let sent_at: i64 = request.header("sentry-hook-timestamp").parse().unwrap();
    assert!((sent_at - chrono::Utc::now().timestamp()).abs() < 60);
    let body = request.json();
    assert_eq!(body["action"], "triggered");
    assert_eq!(
        body["data"]["issue"]["title"],
        "ZeroDivisionError: division by zero"
    );
    assert_eq!(
        body["data"]["event"]["eventId"],
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        body["data"]["workflow"],
        json!({"id": "7", "name": "New errors"})
    );
    assert_eq!(body["data"]["triggered_rule"], "New errors");
    assert_eq!(body["project"]["slug"], "backend");
    assert_eq!(body["organization"]["slug"], "acme");
    let samples = scrape(&server.at("/metrics")).await;
    assert_eq!(counted(&samples, "webhook", "delivered"), 1.0);
    assert_eq!(
        value(
            &samples,
            "faultline_notification_delivery_seconds_count",
            &[("channel", "webhook")]
        ),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_twice_gets_the_notification_once_on_the_third_attempt() {
    let receiver = Receiver::start(|_, n| Reply::Status(if n < 2 { 500 } else { 200 })).await;
    let (url, pool) = fresh_database().await;
    let server = server(&url, &[]);

    let id = insert(&pool, Outbox::new("webhook", receiver.url("/flaky"))).await;
    let outcome = settled(&pool, id, WITHIN, &server).await;

    assert_eq!(outcome.state, "delivered", "{outcome:?}");
    assert_eq!((outcome.attempts, outcome.last_status), (3, Some(200)));
    assert_eq!(
        outcome.last_error.as_deref(),
        Some("receiver answered 500 Internal Server Error")
    );
    let answers: Vec<Option<u16>> = receiver.seen().iter().map(|s| s.answered).collect();
    assert_eq!(answers, vec![Some(500), Some(500), Some(200)]);
    assert_eq!(
        receiver.accepted_keys(),
        HashMap::from([(id.to_string(), 1)])
    );
    let samples = scrape(&server.at("/metrics")).await;
    assert_eq!(counted(&samples, "webhook", "retrying"), 2.0);
    assert_eq!(counted(&samples, "webhook", "delivered"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_times_out_and_is_tried_again() {
    let receiver = Receiver::start(|_, n| {
        if n == 0 {
            Reply::Hang
        } else {
            Reply::Status(204)
        }
    })
    .await;
    let (url, pool) = fresh_database().await;
    let server = server(&url, &[("FAULTLINE_NOTIFICATION_TIMEOUT", "1")]);

    let id = insert(&pool, Outbox::new("webhook", receiver.url("/slow"))).await;
    let outcome = settled(&pool, id, WITHIN, &server).await;

    assert_eq!(outcome.state, "delivered", "{outcome:?}");
    assert_eq!((outcome.attempts, outcome.last_status), (2, Some(204)));
    let error = outcome.last_error.unwrap();
    assert!(error.starts_with("timed out after 1 s"), "{error}");
    let answers: Vec<Option<u16>> = receiver.seen().iter().map(|s| s.answered).collect();
    assert_eq!(answers, vec![None, Some(204)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_gone_is_given_up_at_once() {
    let receiver = Receiver::start(|_, _| Reply::Status(410)).await;
    let (url, pool) = fresh_database().await;
    let server = server(&url, &[]);

    let id = insert(&pool, Outbox::new("webhook", receiver.url("/gone"))).await;
    let outcome = settled(&pool, id, WITHIN, &server).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    assert_eq!(outcome.state, "failed", "{outcome:?}");
    assert_eq!((outcome.attempts, outcome.last_status), (1, Some(410)));
    assert_eq!(
        outcome.last_error.as_deref(),
        Some("receiver answered 410 Gone")
    );
    assert_eq!(receiver.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_unless_allowed() {
    let receiver = Receiver::ok().await;
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let by_address = receiver.url("/internal");
    let by_name = by_address.replace("127.0.0.1", "localhost");

    let address_id = insert(&pool, Outbox::new("webhook", by_address)).await;
    let name_id = insert(&pool, Outbox::new("slack", by_name)).await;
    let scheme_id = insert(&pool, Outbox::new("discord", "file:///etc/passwd".into())).await;
    let by_address = settled(&pool, address_id, WITHIN, &server).await;
    let by_name = settled(&pool, name_id, WITHIN, &server).await;
    let scheme = settled(&pool, scheme_id, WITHIN, &server).await;

    assert_eq!(
        (by_address.state.as_str(), by_address.attempts),
        ("failed", 1)
    );
    assert_eq!(
        by_address.last_error.as_deref(),
        Some("refused: 127.0.0.1 is a loopback address; private receivers need --allow-private-webhooks")
    );
    assert_eq!(by_name.state, "failed");
    let error = by_name.last_error.unwrap();
    assert!(
        error.starts_with("refused: localhost resolves to "),
        "{error}"
    );
    assert!(error.contains("(loopback address)"), "{error}");
    assert_eq!(scheme.state, "failed");
    assert_eq!(
        scheme.last_error.as_deref(),
        Some("refused: only http and https URLs are sent to, not file:")
    );
    assert!(receiver.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_discord_and_service_hooks_get_their_own_bodies() {
    let receiver = Receiver::ok().await;
    let (url, pool) = fresh_database().await;
    let server = server(&url, &[]);
    let hook_id = "0123456789abcdef0123456789abcdef";
    let mut hook = Outbox::new("service_hook", receiver.url("/hook"));
    hook.secret = Some("a1b2c3");
    hook.workflow_id = None;
    hook.hook_id = Some(hook_id);
    hook.payload["trigger"] = json!("event.created");
    hook.payload["workflow"] = Value::Null;

    let ids = [
        insert(&pool, Outbox::new("slack", receiver.url("/slack"))).await,
        insert(&pool, Outbox::new("discord", receiver.url("/discord"))).await,
        insert(&pool, hook).await,
    ];
    for id in ids {
        assert_eq!(settled(&pool, id, WITHIN, &server).await.state, "delivered");
    }

    let slack = receiver.seen_at("/slack")[0].json();
    assert_eq!(
        slack["text"],
        "ERROR: ZeroDivisionError: division by zero (Backend)"
    );
    assert_eq!(
        slack["blocks"][0]["text"]["text"],
        "*<http://faultline.test/organizations/acme/issues/1/|ZeroDivisionError: division by zero>*"
    );
    assert_eq!(slack["blocks"][1]["text"]["text"], "`app.views in index`");
    let fields: Vec<&str> = slack["blocks"][2]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields[..4],
        [
            "*Project*\nBackend",
            "*Level*\nerror",
            "*Events*\n3",
            "*Users*\n2"
        ]
    );
    let discord = receiver.seen_at("/discord")[0].json();
    assert_eq!(
        discord["content"],
        "ERROR: ZeroDivisionError: division by zero"
    );
    let embed = &discord["embeds"][0];
    assert_eq!(embed["title"], "ZeroDivisionError: division by zero");
    assert_eq!(
        embed["url"],
        "http://faultline.test/organizations/acme/issues/1/"
    );
    assert_eq!(
        embed["description"],
        "app.views in index\nZeroDivisionError: division by zero"
    );
    assert_eq!(embed["color"], 0xF55459);
    assert_eq!(
        embed["fields"][0],
        json!({"name": "Project", "value": "Backend", "inline": true})
    );
    let call = &receiver.seen_at("/hook")[0];
    assert_eq!(call.header("x-servicehook-guid"), hook_id);
    assert_eq!(
        call.header("x-servicehook-signature"),
        hmac_hex("a1b2c3", &call.body)
    );
    let sent_at: i64 = call.header("x-servicehook-timestamp").parse().unwrap();
    assert!((sent_at - chrono::Utc::now().timestamp()).abs() < 60);
    let body = call.json();
    assert_eq!(
        body["project"],
        json!({"slug": "backend", "name": "Backend"})
    );
    assert_eq!(body["group"]["shortId"], "BACKEND-1");
    assert_eq!(
        body["group"]["url"],
        "http://faultline.test/organizations/acme/issues/1/"
    );
    assert_eq!(
        body["event"]["url"],
        "http://faultline.test/organizations/acme/issues/1/events/0123456789abcdef0123456789abcdef/"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_deliver_each_of_many_rows_exactly_once() {
    let receiver = Receiver::ok().await;
    let (url, pool) = fresh_database().await;
    let first = server(&url, &[]);
    let _second = server(&url, &[]);
    let rows = 120;

    let mut ids = Vec::new();
    for n in 0..rows {
        ids.push(
            insert(
                &pool,
                Outbox::new("webhook", receiver.url(&format!("/many/{n}"))),
            )
            .await,
        );
    }
    for id in &ids {
        assert_eq!(settled(&pool, *id, WITHIN, &first).await.state, "delivered");
    }

    let accepted = receiver.accepted_keys();
    assert_eq!(receiver.seen().len(), rows);
    assert_eq!(accepted.len(), rows);
    assert!(accepted.values().all(|times| *times == 1), "{accepted:?}");
    let attempts: i64 = sqlx::query_scalar("SELECT sum(attempts) FROM notifications")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, rows as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_delivers_the_rows_it_held_after_a_restart() {
    let hang = Arc::new(AtomicBool::new(true));
    let hanging = hang.clone();
    let receiver = Receiver::start(move |_, _| {
        if hanging.load(Ordering::SeqCst) {
            Reply::Hang
        } else {
            Reply::Status(200)
        }
    })
    .await;
    let (url, pool) = fresh_database().await;
    let timeout = [("FAULTLINE_NOTIFICATION_TIMEOUT", "3")];
    let mut killed = server(&url, &timeout);
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            insert(
                &pool,
                Outbox::new("webhook", receiver.url(&format!("/held/{n}"))),
            )
            .await,
        );
    }
    eventually(WITHIN, "every row in flight", || receiver.seen().len() == 5).await;

    killed.stop_with(Signal::SIGKILL);
    hang.store(false, Ordering::SeqCst);
    let restarted = server(&url, &timeout);

    for id in &ids {
        let outcome = settled(&pool, *id, Duration::from_secs(60), &restarted).await;
        assert_eq!(outcome.state, "delivered", "{outcome:?}");
        assert_eq!(outcome.attempts, 1);
    }
    let accepted = receiver.accepted_keys();
    assert_eq!(accepted.len(), 5);
    assert!(accepted.values().all(|times| *times == 1), "{accepted:?}");
    for id in &ids {
        assert!(accepted.contains_key(&id.to_string()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_email_arrives_with_the_issue_title_both_parts_and_a_working_link() {
    let smtp = SmtpServer::start();
    let (url, pool) = fresh_database().await;
    let server = server(
        &url,
        &[
            ("FAULTLINE_SMTP_URL", &smtp.url()),
            ("FAULTLINE_EMAIL_FROM", "Faultline <alerts@faultline.test>"),
        ],
    );
    let Organization { api, project, .. } = organization(&server, &url, "acme").await;
    let event = json!({
        "event_id": "fedcba9876543210fedcba9876543210",
        "level": "error",
        "exception": {"values": [{"type": "KeyError", "value": "'user_id'",
            "stacktrace": {"frames": [{"function": "load", "module": "app.users", "filename": "users.py", "lineno": 12, "in_app": true}]}}]},
        "tags": {"environment": "production"}
    });
    let sent = reqwest::Client::new()
        .post(server.at(&format!("/api/{}/store/", project.project_id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", project.key),
        )
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let issue = wait_for_events(&api, "acme", 1).await[0].clone();
    let title = issue["title"].as_str().unwrap().to_owned();
    let permalink = issue["permalink"].as_str().unwrap().to_owned();
    let mut row = Outbox::new("email", "dev@acme.test".into());
    row.payload["issue"] = issue.clone();
    row.payload["event"] = json!({"eventId": event["event_id"], "exception": event["exception"], "tags": [["environment", "production"]]});
    row.payload["url"] = json!(permalink);

    let id = insert(&pool, row).await;
    let outcome = settled(&pool, id, WITHIN, &server).await;

    assert_eq!(outcome.state, "delivered", "{outcome:?}");
    assert_eq!((outcome.attempts, outcome.last_status), (1, Some(250)));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let email = &messages[0];
    assert_eq!(email["to"], json!(["dev@acme.test"]));
    assert_eq!(email["from"], "alerts@faultline.test");
    assert_eq!(email["subject"], format!("[Faultline] ERROR: {title}"));
    assert_eq!(email["content_type"], "multipart/alternative");
    assert!(email["message_id"]
        .as_str()
        .unwrap()
        .contains(&id.to_string()));
    let text = email["text"].as_str().unwrap();
    assert!(text.starts_with(&title), "{text}");
    assert!(
        text.contains("Project: Backend\nLevel: error\nEvents: 1"),
        "{text}"
    );
    assert!(text.contains("  at app.users.load (users.py:12)"), "{text}");
    assert!(text.contains("  environment = production"), "{text}");
    assert!(
        text.contains(&format!("Open the issue: {permalink}")),
        "{text}"
    );
    let html = email["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("<a href=\"{permalink}\">")),
        "{html}"
    );
    assert!(
        html.contains("<b>app.users.load</b> (users.py:12)"),
        "{html}"
    );
    // The link leads to the issue: its path is the API's issue path under /api/0.
    let path = permalink.strip_prefix(&server.url).unwrap();
    let linked = api.get_ok(&format!("/api/0{path}")).await;
    assert_eq!(linked["title"], title.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_past_the_hourly_cap_are_dropped_and_counted() {
    let smtp = SmtpServer::start();
    let (url, pool) = fresh_database().await;
    let server = server(
        &url,
        &[
            ("FAULTLINE_SMTP_URL", &smtp.url()),
            ("FAULTLINE_EMAIL_HOURLY_CAP", "2"),
        ],
    );

    let Organization {
        api, id: org_id, ..
    } = organization(&server, &url, "acme").await;
    let email_to = |address: &str| {
        let mut row = Outbox::new("email", address.to_owned());
        row.org_id = org_id;
        row
    };

    let mut capped = Vec::new();
    for n in 0..5 {
        let address = if n % 2 == 0 {
            "dev@acme.test"
        } else {
            "DEV@acme.test"
        };
        capped.push(insert(&pool, email_to(address)).await);
    }
    let other = insert(&pool, email_to("ops@acme.test")).await;
    let mut states = Vec::new();
    for id in &capped {
        states.push(settled(&pool, *id, WITHIN, &server).await);
    }
    let other = settled(&pool, other, WITHIN, &server).await;

    let count = |state: &str| states.iter().filter(|o| o.state == state).count();
    assert_eq!((count("delivered"), count("dropped")), (2, 3), "{states:?}");
    let dropped = states.iter().find(|o| o.state == "dropped").unwrap();
    assert_eq!(dropped.attempts, 0);
    assert_eq!(
        dropped.last_error.as_deref(),
        Some("dropped: 2 emails were sent to this address in the last hour (--email-hourly-cap 2)")
    );
    assert_eq!(other.state, "delivered");
    assert_eq!(smtp.messages().len(), 3);
    let samples = scrape(&server.at("/metrics")).await;
    assert_eq!(counted(&samples, "email", "delivered"), 3.0);
    assert_eq!(counted(&samples, "email", "dropped"), 3.0);
    let listed = api
        .get_ok("/api/0/organizations/acme/notifications/?state=dropped")
        .await;
    let reasons: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["lastError"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 3, "{listed}");
    assert!(reasons.iter().all(|r| r.contains("(--email-hourly-cap 2)")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notifications_list_shows_states_and_only_the_organizations_own_rows() {
    let receiver =
        Receiver::start(|path, _| Reply::Status(if path == "/gone" { 410 } else { 200 })).await;
    let (url, pool) = fresh_database().await;
    let server = server(&url, &[]);
    let Organization {
        token: acme_token,
        api: acme,
        id: acme_id,
        ..
    } = organization(&server, &url, "acme").await;
    let Organization {
        api: globex,
        id: globex_id,
        ..
    } = organization(&server, &url, "globex").await;
    let row = |channel, target: String, workflow| {
        let mut row = Outbox::new(channel, target);
        row.org_id = acme_id;
        row.workflow_id = Some(workflow);
        row
    };

    let delivered = insert(&pool, row("webhook", receiver.url("/ok"), "7")).await;
    let failed = insert(&pool, row("webhook", receiver.url("/gone"), "8")).await;
    // No SMTP server is configured: the email waits and is retried.
    let pending = insert(&pool, row("email", "dev@acme.test".into(), "7")).await;
    let mut elsewhere = Outbox::new("webhook", receiver.url("/ok"));
    elsewhere.org_id = globex_id;
    let elsewhere = insert(&pool, elsewhere).await;
    for id in [delivered, failed, elsewhere] {
        settled(&pool, id, WITHIN, &server).await;
    }
    row_when(&pool, pending, WITHIN, &server, |outcome| {
        outcome.attempts > 0
    })
    .await;

    let listed = acme
        .get_ok("/api/0/organizations/acme/notifications/")
        .await;
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap())
        .collect();
    let expected = [pending, failed, delivered].map(|id| id.to_string());
    assert_eq!(ids, expected);
    let by_id = |id: Uuid| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["id"] == id.to_string())
            .unwrap()
            .clone()
    };
    let gone = by_id(failed);
    assert_eq!(gone["channel"], "webhook");
    assert_eq!(gone["target"], receiver.url("/gone"));
    assert_eq!(gone["state"], "failed");
    assert_eq!(gone["attempts"], 1);
    assert_eq!(gone["lastError"], "receiver answered 410 Gone");
    assert_eq!(gone["lastStatus"], 410);
    assert_eq!(gone["workflowId"], "8");
    assert_eq!(gone["hookId"], Value::Null);
    assert_eq!(gone["issueId"], "1");
    assert_eq!(gone["dateDelivered"], Value::Null);
    assert!(gone["dateCreated"].as_str().unwrap().ends_with('Z'));
    assert!(gone.get("secret").is_none());
    let ok = by_id(delivered);
    assert_eq!(
        (ok["state"].as_str(), ok["lastStatus"].as_i64()),
        (Some("delivered"), Some(200))
    );
    assert!(ok["dateDelivered"].as_str().unwrap().ends_with('Z'));
    let waiting = by_id(pending);
    assert_eq!(
        (waiting["channel"].as_str(), waiting["state"].as_str()),
        (Some("email"), Some("pending"))
    );
    assert_eq!(waiting["target"], "dev@acme.test");
    assert_eq!(
        waiting["lastError"],
        "no SMTP server is configured (--smtp-url)"
    );
    let only = |query: &str| {
        let acme = acme.clone();
        let query = query.to_owned();
        async move {
            acme.get_ok(&format!("/api/0/organizations/acme/notifications/?{query}"))
                .await
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(only("state=failed").await, [failed.to_string()]);
    assert_eq!(only("state=dropped").await, Vec::<String>::new());
    assert_eq!(
        only("workflow=7").await,
        [pending.to_string(), delivered.to_string()]
    );
    assert_eq!(
        only("workflow=7&state=delivered").await,
        [delivered.to_string()]
    );
    assert_eq!(only("per_page=2").await, expected[..2]);
    assert_eq!(only("per_page=2&cursor=0:2:0").await, expected[2..]);
    let first_page = reqwest::Client::new()
        .get(server.at("/api/0/organizations/acme/notifications/?per_page=2"))
        .bearer_auth(&acme_token)
        .send()
        .await
        .unwrap();
    let link = first_page.headers()["link"].to_str().unwrap();
    assert!(
        link.contains("rel=\"next\"; results=\"true\"; cursor=\"0:2:0\""),
        "{link}"
    );
    acme.expect(
        400,
        "GET",
        "/api/0/organizations/acme/notifications/?state=lost",
        None,
    )
    .await;
    globex
        .expect(404, "GET", "/api/0/organizations/acme/notifications/", None)
        .await;
    let theirs = globex
        .get_ok("/api/0/organizations/globex/notifications/")
        .await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["id"], elsewhere.to_string());
}
