//! `faultline log show`, `faultline log export` and `faultline state`, run as the real
//! binary against a database a real server wrote: ids resolve, histories list in
//! order with their actors, each export filter selects exactly its events, and state
//! folds to what it was before and after a resolve.

use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use faultline_commands::ingest::Ingestor;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{
    create_user, fresh_database, project_with_key, run_faultline, Api, TestServer,
};
use crate::issues::{django_error, id, job};

/// Runs `faultline ARGS` on the database at `url`; returns its stdout, asserting success.
fn faultline(url: &str, args: &[&str]) -> String {
    run_faultline(url, args, &[])
}

/// The exported lines, parsed (every line must be one JSON object).
fn export(url: &str, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["log", "export"];
    args.extend_from_slice(filters);
    faultline(url, &args)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

fn positions(lines: &[Value]) -> Vec<i64> {
    lines
        .iter()
        .map(|l| l["position"].as_i64().unwrap())
        .collect()
}

/// The positions `sql` (a `WHERE` clause over the log) selects, partition by
/// partition (organization), each in log order.
async fn expected(pool: &PgPool, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(&format!(
        "SELECT position FROM log_events WHERE {sql}
          ORDER BY organization_id, tx_id, position"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Polls the org's issue list (bounded) until it shows `count` issues' worth of
/// `events` events; returns the list.
async fn issues_with(api: &Api, org: &str, events: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    let path = format!("/api/0/organizations/{org}/issues/?query=");
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = api.get_ok(&path).await;
        let total: u64 = last
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["count"].as_str().unwrap().parse::<u64>().unwrap())
            .sum();
        if total == events {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{org} did not show {events} events within 20 s: {last}");
}

/// Organization `acme` (project `backend`, one issue with two events, resolved by
/// the owner at a known time) and `globex` (project `web`, one issue).
struct History {
    _server: TestServer,
    url: String,
    pool: PgPool,
    owner: Api,
    owner_id: i64,
    acme_id: i64,
    backend_id: i64,
    globex_id: i64,
    web_id: i64,
    issue: Value,
    /// acme's workflow and service hook ids.
    acme_alerts: (String, String),
    before_resolve: DateTime<Utc>,
    after_resolve: DateTime<Utc>,
    _task: tokio::task::JoinHandle<()>,
}

impl History {
    async fn new() -> History {
        let (url, pool) = fresh_database().await;
        let server = TestServer::on_database(&url);
        let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
        let backend = project_with_key(&owner, "acme", "backend").await;
        let web = project_with_key(&owner, "globex", "web").await;
        let acme_id = id(&owner.get_ok("/api/0/organizations/acme/").await);
        let globex_id = id(&owner.get_ok("/api/0/organizations/globex/").await);
        let owner_id: i64 = owner.get_ok("/api/0/").await["user"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        // An alert rule and a service hook in each organization: streams of their own.
        let mut alert_streams = Vec::new();
        for (org, project) in [("acme", &backend), ("globex", &web)] {
            let workflow = owner
                .expect(
                    201,
                    "POST",
                    &format!("/api/0/organizations/{org}/workflows/"),
                    Some(json!({"name": "alert", "detectorIds": [project.project_id]})),
                )
                .await;
            let hook = owner
                .expect(
                    201,
                    "POST",
                    &format!("/api/0/projects/{org}/{}/hooks/", project.project_id),
                    Some(json!({"url": "https://example.com/", "events": ["event.created"]})),
                )
                .await;
            alert_streams.push((
                workflow["id"].as_str().unwrap().to_owned(),
                hook["id"].as_str().unwrap().to_owned(),
            ));
        }
        let (ingestor, task) = Ingestor::start(pool.clone(), Default::default());
        for (org, project) in [
            (acme_id, backend.project_id),
            (acme_id, backend.project_id),
            (globex_id, web.project_id),
        ] {
            let event_id = uuid::Uuid::new_v4().simple().to_string();
            let raw = django_error(&event_id, 0, "ValueError", "boom", "1");
            ingestor.submit(job(org, project, raw)).await.unwrap();
        }
        issues_with(&owner, "globex", 1).await;
        let issue = issues_with(&owner, "acme", 2).await[0].clone();
        let before_resolve = Utc::now();
        owner
            .expect(
                200,
                "PUT",
                &format!("/api/0/organizations/acme/issues/{}/", id(&issue)),
                Some(json!({"status": "resolved"})),
            )
            .await;
        let after_resolve = Utc::now();
        History {
            _server: server,
            url,
            pool,
            owner,
            owner_id,
            acme_id,
            backend_id: backend.project_id,
            globex_id,
            web_id: web.project_id,
            issue,
            acme_alerts: alert_streams.swap_remove(0),
            before_resolve,
            after_resolve,
            _task: task,
        }
    }

    async fn issue_stream(&self) -> String {
        sqlx::query_scalar("SELECT stream_id FROM issues WHERE id = $1")
            .bind(id(&self.issue))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn log_show_lists_an_issue_history_in_order_with_actors_by_any_id() {
    let h = History::new().await;
    let short_id = h.issue["shortId"].as_str().unwrap().to_owned();
    let stream = h.issue_stream().await;

    let by_short_id = faultline(&h.url, &["log", "show", "issue", &short_id]);
    let by_number = faultline(&h.url, &["log", "show", "issue", &id(&h.issue).to_string()]);
    let by_stream = faultline(&h.url, &["log", "show", "issue", &stream]);

    assert_eq!(by_short_id, by_number);
    assert_eq!(by_short_id, by_stream);
    let lines: Vec<&str> = by_short_id.lines().collect();
    assert_eq!(lines[0], format!("# issue {stream}"));
    let columns: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields[2].to_owned(), fields[3].to_owned())
        })
        .collect();
    let resolver = format!("user:{}", h.owner_id);
    assert_eq!(
        columns,
        vec![
            ("key:test".to_owned(), "IssueCreated".to_owned()),
            ("key:test".to_owned(), "EventIngested".to_owned()),
            ("key:test".to_owned(), "EventIngested".to_owned()),
            (resolver.clone(), "IssueResolved".to_owned()),
        ]
    );
    assert!(
        lines[4].contains(&format!("actor={resolver}")),
        "{}",
        lines[4]
    );
    let shown: Vec<i64> = lines[1..]
        .iter()
        .map(|line| line.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        shown,
        expected(&h.pool, &format!("aggregate_id = '{stream}'")).await
    );

    let org = faultline(&h.url, &["log", "show", "org", "acme"]);
    let project = faultline(&h.url, &["log", "show", "project", "acme/backend"]);
    assert!(org.starts_with(&format!("# organization {}\n", h.acme_id)));
    assert!(org.contains("OrganizationCreated"));
    assert!(project.starts_with(&format!("# project {}\n", h.backend_id)));
    assert!(project.contains("ProjectCreated"));
}

#[tokio::test]
async fn log_export_writes_exactly_the_filtered_events_as_ndjson() {
    let h = History::new().await;
    let stream = h.issue_stream().await;

    let everything = export(&h.url, &[]);
    let resolves = export(&h.url, &["--types", "IssueResolved"]);
    let creations = export(&h.url, &["--types", "IssueCreated,ProjectCreated"]);
    let issues = export(&h.url, &["--types", "issue"]);
    let since = export(&h.url, &["--since", &rfc3339(h.before_resolve)]);
    let until = export(&h.url, &["--until", &rfc3339(h.before_resolve)]);
    let acme = export(&h.url, &["--org", "acme"]);
    let globex_issues = export(
        &h.url,
        &["--org", &h.globex_id.to_string(), "--types", "issue"],
    );
    let tomorrow = (Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let none = export(&h.url, &["--since", &tomorrow]);

    assert_eq!(positions(&everything), expected(&h.pool, "true").await);
    assert_eq!(
        positions(&resolves),
        expected(&h.pool, "event_type = 'IssueResolved'").await
    );
    assert_eq!(resolves.len(), 1);
    assert_eq!(
        positions(&creations),
        expected(&h.pool, "event_type IN ('IssueCreated', 'ProjectCreated')").await
    );
    assert_eq!(
        positions(&issues),
        expected(&h.pool, "aggregate_type = 'issue'").await
    );
    assert_eq!(positions(&since), positions(&resolves));
    assert_eq!(
        positions(&until),
        expected(&h.pool, "event_type <> 'IssueResolved'").await
    );
    let (workflow, hook) = &h.acme_alerts;
    let acme_streams = format!(
        "(aggregate_type, aggregate_id) IN (('organization', '{}'), ('project', '{}'), ('issue', '{stream}'), ('user', '{}'), ('workflow', '{workflow}'), ('service_hook', '{hook}'))",
        h.acme_id, h.backend_id, h.owner_id
    );
    assert_eq!(positions(&acme), expected(&h.pool, &acme_streams).await);
    assert_eq!(
        positions(&globex_issues),
        expected(
            &h.pool,
            &format!(
                "aggregate_id IN (SELECT stream_id FROM issues WHERE project_id = {})",
                h.web_id
            )
        )
        .await
    );
    assert_eq!(globex_issues.len(), 2);
    assert!(none.is_empty());

    let resolve = &resolves[0];
    let stored: (i64, String, Value, Value, DateTime<Utc>) = sqlx::query_as(
        "SELECT tx_id::text::bigint, aggregate_id, payload, metadata, recorded_at
           FROM events WHERE event_type = 'IssueResolved'",
    )
    .fetch_one(&h.pool)
    .await
    .unwrap();
    assert_eq!(
        *resolve,
        json!({
            "position": resolve["position"],
            "tx_id": stored.0,
            "aggregate_type": "issue",
            "aggregate_id": stored.1,
            "sequence": 4,
            "event_type": "IssueResolved",
            "event_version": "1.0",
            "payload": stored.2,
            "metadata": stored.3,
            "recorded_at": rfc3339(stored.4),
        })
    );
    assert_eq!(
        resolve["metadata"]["actor"],
        json!(format!("user:{}", h.owner_id))
    );
    // An ingested event's body is its row's `body` column, exported beside the payload
    // as the string a 3.0 payload holds in `data`.
    let ingested = everything
        .iter()
        .find(|line| line["event_type"] == "EventIngested")
        .unwrap();
    assert_eq!(ingested["event_version"], json!("4.0"));
    assert_eq!(ingested["payload"]["EventIngested"]["data"], Value::Null);
    let body = faultline_domain::issue::body::decode(ingested["body"].as_str().unwrap());
    assert_eq!(
        body.unwrap()["event_id"],
        ingested["payload"]["EventIngested"]["event_id"]
    );
}

#[tokio::test]
async fn state_as_of_a_time_folds_the_events_recorded_by_then() {
    let h = History::new().await;
    let issue = id(&h.issue).to_string();

    let before: Value = serde_json::from_str(&faultline(
        &h.url,
        &[
            "state",
            "issue",
            &issue,
            "--as-of",
            &rfc3339(h.before_resolve),
        ],
    ))
    .unwrap();
    let after: Value = serde_json::from_str(&faultline(
        &h.url,
        &[
            "state",
            "issue",
            &issue,
            "--as-of",
            &rfc3339(h.after_resolve),
        ],
    ))
    .unwrap();
    let now: Value = serde_json::from_str(&faultline(&h.url, &["state", "issue", &issue])).unwrap();
    let long_ago: Value = serde_json::from_str(&faultline(
        &h.url,
        &["state", "issue", &issue, "--as-of", "2000-01-01"],
    ))
    .unwrap();

    assert_eq!(before["events"], json!(3));
    assert_eq!(before["state"]["status"], json!("unresolved"));
    assert_eq!(before["state"]["times_seen"], json!(2));
    assert_eq!(after["events"], json!(4));
    assert_eq!(after["state"]["status"], json!("resolved"));
    assert_eq!(now["state"], after["state"]);
    assert_eq!(long_ago["events"], json!(0));
    assert_eq!(long_ago["state"]["issue_id"], Value::Null);
    let org: Value = serde_json::from_str(&faultline(&h.url, &["state", "org", "acme"])).unwrap();
    assert_eq!(org["aggregate_id"], json!(h.acme_id.to_string()));
    assert_eq!(org["state"]["slug"], json!("acme"));
}

#[tokio::test]
async fn a_comment_stored_by_an_older_binary_reads_in_the_api_and_the_state() {
    let h = History::new().await;
    let stream = h.issue_stream().await;
    // CommentAdded 1.0, as a binary from before `author_id` wrote it.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,
                             organization_id)
         VALUES ('issue', $1, 5, 'CommentAdded', '1.0',
                 jsonb_build_object('CommentAdded', jsonb_build_object(
                     'comment_id', 900, 'user_id', $2::bigint, 'text', 'seen in prod',
                     'at', '2026-01-10T12:00:00Z')),
                 jsonb_build_object('actor', 'user:' || $2::bigint), $3)",
    )
    .bind(&stream)
    .bind(h.owner_id)
    .bind(h.acme_id)
    .execute(&h.pool)
    .await
    .unwrap();

    let path = format!(
        "/api/0/organizations/acme/issues/{}/comments/",
        id(&h.issue)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut comments = h.owner.get_ok(&path).await;
    while comments.as_array().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        comments = h.owner.get_ok(&path).await;
    }
    let state: Value = serde_json::from_str(&faultline(
        &h.url,
        &["state", "issue", &id(&h.issue).to_string()],
    ))
    .unwrap();
    let exported = export(&h.url, &["--types", "CommentAdded"]);

    assert_eq!(comments[0]["data"]["text"], json!("seen in prod"));
    assert_eq!(comments[0]["user"]["id"], json!(h.owner_id.to_string()));
    assert_eq!(
        state["state"]["comments"]["900"],
        json!({"author": h.owner_id, "text": "seen in prod"})
    );
    // The export is evidence: the row as stored, old shape and version.
    assert_eq!(exported[0]["event_version"], json!("1.0"));
    assert_eq!(
        exported[0]["payload"]["CommentAdded"]["user_id"],
        json!(h.owner_id)
    );
}
