//! The monitors' clock, driven with an injected time: a missed run and a timed-out
//! one are recorded, failures past the threshold open the monitor's failure issue
//! (searchable as `issue.category:cron`), successes past the recovery threshold
//! resolve it, and a later incident reopens it. The server runs the projections;
//! the test runs the clock's passes itself through `faultline::monitors::pass`.

use chrono::{DateTime, Duration, Utc};
use faultline::monitors::pass;
use faultline_api::state::AppState;
use serde_json::{json, Value};

use crate::alerts::{first_seen_webhook, received};
use crate::crons::{curl, statuses};
use crate::helpers::{create_user, fresh_database, project_with_key, Api, TestServer};
use crate::issue_workflow::wait_for;
use crate::receivers::Receiver;

const CHECK_INS: &str = "/api/0/organizations/shop/monitors/backup/checkins/";
const FAILURES: &str = "/api/0/organizations/shop/issues/?query=issue.category:cron&statsPeriod=";

struct Clock {
    /// Kept running for the test's length.
    _server: TestServer,
    api: Api,
    state: AppState,
    /// The HTTP check-in URL of monitor `backup`.
    url: String,
    /// The project monitor `backup` checks in to.
    project_id: i64,
}

async fn clock() -> Clock {
    clock_with(&[]).await
}

async fn clock_with(env: &[(&str, &str)]) -> Clock {
    let (url, pool) = fresh_database().await;
    let mut env = env.to_vec();
    env.push(("DATABASE_URL", &url));
    let server = TestServer::spawn(&env);
    let api = Api::new(&server, &create_user(&url, "ops@example.test", false));
    let project = project_with_key(&api, "shop", "backend").await;
    let (state, _ingest) = AppState::detached(pool, &server.url);
    let check_in_url = server.at(&format!(
        "/api/{}/cron/backup/{}/",
        project.project_id, project.key
    ));
    Clock {
        project_id: project.project_id,
        _server: server,
        api,
        state,
        url: check_in_url,
    }
}

impl Clock {
    /// Checks in with a JSON body (which may carry the monitor's config), then waits
    /// until the monitor lists `rows` check-ins.
    async fn post(&self, body: Value, rows: usize) {
        let (status, text) = curl(&[
            "-X",
            "POST",
            &self.url,
            "-H",
            "Content-Type: application/json",
            "--data-raw",
            &body.to_string(),
        ]);
        assert_eq!(status, 202, "{text}");
        self.listed(rows).await;
    }

    /// Checks in by URL, then waits until the monitor lists `rows` check-ins.
    async fn get(&self, query: &str, rows: usize) {
        let (status, text) = curl(&[&format!("{}?{query}", self.url)]);
        assert_eq!(status, 202, "{text}");
        self.listed(rows).await;
    }

    /// Waits until the monitor lists `rows` check-ins (a check-in is answered once
    /// committed; the read model follows).
    async fn listed(&self, rows: usize) {
        wait_for(&self.api, CHECK_INS, |list| {
            list.as_array().is_some_and(|l| l.len() == rows)
        })
        .await;
    }

    /// When the production environment's next run counts as missed.
    async fn next_latest(&self) -> DateTime<Utc> {
        let monitor = self
            .api
            .get_ok("/api/0/organizations/shop/monitors/backup/")
            .await;
        monitor["environments"][0]["nextCheckInLatest"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn environment_status(&self) -> String {
        let monitor = self
            .api
            .get_ok("/api/0/organizations/shop/monitors/backup/")
            .await;
        monitor["environments"][0]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// One pass of the clock at `now`.
    async fn tick(&self, now: DateTime<Utc>) {
        pass(&self.state, now).await.expect("a clock pass");
    }
}

fn config(extra: Value) -> Value {
    let mut config = json!({"schedule": {"type": "crontab", "value": "*/5 * * * *"}, "checkin_margin": 1, "max_runtime": 5});
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    config
}

/// The failure issues listed once `done` holds for them.
async fn failures(api: &Api, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    wait_for(api, FAILURES, |list| done(list.as_array().unwrap()))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_missed_run_opens_the_failure_issue_a_success_resolves_it_and_a_failure_reopens_it() {
    let clock = clock().await;
    clock
        .post(
            json!({"status": "ok", "monitor_config": config(json!({}))}),
            1,
        )
        .await;
    let missed_at = clock.next_latest().await;

    clock.tick(missed_at - Duration::seconds(1)).await;
    let early = clock.api.get_ok(CHECK_INS).await;
    clock.tick(missed_at).await;
    wait_for(&clock.api, CHECK_INS, |list| {
        statuses(list) == ["missed", "ok"]
    })
    .await;
    clock.tick(missed_at).await;
    let opened = failures(&clock.api, |list| list.len() == 1).await;

    assert_eq!(statuses(&early), ["ok"]);
    let issue = &opened[0];
    assert_eq!(issue["title"], "Monitor failure: backup");
    assert_eq!(issue["issueCategory"], "cron");
    assert_eq!(issue["issueType"], "monitor_check_in_failure");
    assert_eq!(issue["status"], "unresolved");
    assert_eq!(clock.environment_status().await, "error");
    let tagged = clock
        .api
        .get_ok("/api/0/organizations/shop/issues/?query=issue.type:monitor_check_in_failure monitor.slug:backup")
        .await;
    assert_eq!(tagged.as_array().unwrap().len(), 1);
    let errors_only = clock
        .api
        .get_ok("/api/0/organizations/shop/issues/?query=issue.category:error")
        .await;
    assert_eq!(errors_only, json!([]));

    // From here the clock is the real one: at `missed_at` the next run would be missed too.
    clock.get("status=ok", 3).await;
    clock.tick(Utc::now()).await;
    let resolved = failures(&clock.api, |list| {
        list.first().is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(resolved[0]["id"], issue["id"]);
    assert_eq!(clock.environment_status().await, "ok");

    clock.get("status=error", 4).await;
    clock.tick(Utc::now()).await;
    let reopened = failures(&clock.api, |list| {
        list.first().is_some_and(|i| i["status"] == "unresolved")
    })
    .await;
    assert_eq!(reopened.len(), 1, "one issue per monitor environment");
    assert_eq!(reopened[0]["id"], issue["id"]);
    assert_eq!(reopened[0]["count"], "2");
}

#[tokio::test]
async fn an_in_progress_run_past_its_max_runtime_times_out() {
    let clock = clock().await;
    // A yearly schedule: no run is expected while this one is in progress.
    let yearly = json!({"schedule": {"type": "crontab", "value": "0 0 1 1 *"}, "failure_issue_threshold": 2});
    clock
        .post(
            json!({"status": "in_progress", "monitor_config": config(yearly)}),
            1,
        )
        .await;
    let started: DateTime<Utc> = clock.api.get_ok(CHECK_INS).await[0]["dateAdded"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    clock.tick(started + Duration::minutes(4)).await;
    let running = clock.api.get_ok(CHECK_INS).await;
    // The API shows milliseconds; the run started up to 1 ms later.
    clock
        .tick(started + Duration::minutes(5) + Duration::milliseconds(1))
        .await;
    let timed_out = wait_for(&clock.api, CHECK_INS, |list| statuses(list) == ["timeout"]).await;

    assert_eq!(statuses(&running), ["in_progress"]);
    let duration = timed_out[0]["duration"].as_i64().unwrap();
    assert!((300_000..=300_001).contains(&duration), "{duration} ms");
    assert_eq!(
        clock.environment_status().await,
        "active",
        "one failure of two"
    );
}

#[tokio::test]
async fn failures_open_the_issue_only_at_the_threshold_and_successes_resolve_it_only_at_theirs() {
    let clock = clock().await;
    let thresholds = config(json!({"failure_issue_threshold": 2, "recovery_threshold": 2}));
    clock
        .post(json!({"status": "error", "monitor_config": thresholds}), 1)
        .await;
    let after_one = clock.environment_status().await;
    clock.get("status=error", 2).await;
    let after_two = clock.environment_status().await;
    clock.tick(Utc::now()).await;
    let opened = failures(&clock.api, |list| list.len() == 1).await;
    clock.get("status=ok", 3).await;
    let after_one_ok = clock.environment_status().await;
    clock.get("status=ok", 4).await;
    let after_two_ok = clock.environment_status().await;
    clock.tick(Utc::now()).await;
    let resolved = failures(&clock.api, |list| {
        list.first().is_some_and(|i| i["status"] == "resolved")
    })
    .await;

    assert_eq!(after_one, "active");
    assert_eq!(after_two, "error");
    assert_eq!(opened[0]["title"], "Monitor failure: backup");
    assert_eq!(after_one_ok, "error");
    assert_eq!(after_two_ok, "ok");
    assert_eq!(resolved[0]["id"], opened[0]["id"]);
}

#[tokio::test]
async fn a_new_issue_alert_fires_on_the_monitors_failure_issue() {
    let clock = clock_with(&[("FAULTLINE_ALLOW_PRIVATE_WEBHOOKS", "1")]).await;
    let receiver = Receiver::ok().await;
    clock
        .api
        .expect(
            201,
            "POST",
            "/api/0/organizations/shop/workflows/",
            Some(first_seen_webhook(
                "New issues",
                &receiver.url("/hook"),
                clock.project_id,
            )),
        )
        .await;

    clock
        .post(
            json!({"status": "error", "monitor_config": config(json!({}))}),
            1,
        )
        .await;
    clock.tick(Utc::now()).await;
    let alerts = received(&receiver, "/hook", 1).await;

    assert_eq!(alerts.len(), 1);
    let text = alerts[0].to_string();
    assert!(text.contains("Monitor failure: backup"), "{text}");
}
