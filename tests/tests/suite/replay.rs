//! `faultline verify` and `faultline replay` against a live server after a randomized
//! workload: the rebuilt read models equal the live ones, replaying twice changes
//! nothing, and an interrupted replay resumes to the same tables.

use std::collections::BTreeMap;
use std::process::Output;
use std::time::{Duration, Instant};

use faultline_commands::ingest::{IngestJob, Ingestor};
use faultline_projections::registry;
use futures::future::join_all;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{
    create_user, faultline_bin, fresh_database, project_with_key, Api, TestServer,
};
use crate::issues::{django_error, id, job};

/// A deterministic pseudo-random sequence (a 64-bit LCG): the workload is random in
/// shape but the same on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % sides
    }
}

/// Runs a `faultline` subcommand on the database at `url`, off the async runtime so
/// that the test can keep sending events meanwhile.
pub(crate) async fn faultline(url: &str, args: &[&str]) -> Output {
    let url = url.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(faultline_bin())
            .args(&args)
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run faultline")
    })
    .await
    .unwrap()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every read model's rows as (row count, digest) per table.
async fn read_models(pool: &PgPool) -> BTreeMap<String, (i64, String)> {
    let mut tables = BTreeMap::new();
    for projection in registry::durable() {
        for table in projection.tables() {
            let row: (i64, String) = sqlx::query_as(&format!(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))
                   FROM {table} AS t"
            ))
            .fetch_one(pool)
            .await
            .unwrap();
            tables.insert(table.to_string(), row);
        }
    }
    tables
}

/// Waits (bounded) until every projection has applied every event of its types.
async fn settled(pool: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut pending = 0;
        for projection in registry::durable() {
            let behind: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM log_events e
                   LEFT JOIN projection_checkpoints c
                          ON c.name = $2 AND c.organization_id = e.organization_id
                  WHERE e.aggregate_type = ANY($1)
                    AND (e.tx_id, e.position)
                        > (coalesce(c.last_tx_id, '0'), coalesce(c.last_position, 0))",
            )
            .bind(projection.aggregate_types())
            .bind(projection.name())
            .fetch_one(pool)
            .await
            .unwrap();
            pending += behind;
        }
        if pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} events still unprojected after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `count` events into `kinds` different issues of a project, sent concurrently;
/// returns what was sent.
async fn ingest(
    ingestor: &Ingestor,
    org_id: i64,
    project_id: i64,
    dice: &mut Dice,
    kinds: u64,
    count: usize,
) -> Vec<IngestJob> {
    let jobs: Vec<_> = (0..count)
        .map(|_| {
            let kind = dice.roll(kinds);
            let user = dice.roll(40).to_string();
            let minutes_ago = dice.roll(600) as i64;
            let event_id = uuid::Uuid::new_v4().simple().to_string();
            let mut raw = django_error(
                &event_id,
                minutes_ago,
                &format!("Error{kind}"),
                "boom",
                &user,
            );
            raw["release"] = json!(format!("backend@1.{}.0", dice.roll(3)));
            raw["tags"] = json!({"shard": format!("s{}", dice.roll(5))});
            job(org_id, project_id, raw)
        })
        .collect();
    for chunk in jobs.chunks(200) {
        let sent = join_all(chunk.iter().cloned().map(|job| ingestor.submit(job))).await;
        assert!(sent.iter().all(Result::is_ok));
    }
    jobs
}

/// Sends events again, each twice at once, as an SDK retrying an event it got no
/// answer for: the log holds every copy, the read models count each event once.
async fn resend(ingestor: &Ingestor, jobs: &[IngestJob]) {
    let copies = jobs.iter().flat_map(|job| [job.clone(), job.clone()]);
    let sent = join_all(copies.map(|job| ingestor.submit(job))).await;
    assert!(sent.iter().all(Result::is_ok));
}

/// Random workflow changes on the organization's issues: statuses, assignment,
/// bookmarks, comments, then merges and deletions.
async fn shuffle_workflow(owner: &Api, member: &Api, member_user: &str, dice: &mut Dice) {
    let list = owner
        .get_ok("/api/0/organizations/acme/issues/?query=&limit=100")
        .await;
    let issues: Vec<i64> = list.as_array().unwrap().iter().map(id).collect();
    assert!(issues.len() >= 20, "{} issues", issues.len());
    let changes = [
        json!({"status": "resolved"}),
        json!({"status": "unresolved"}),
        json!({"status": "ignored", "statusDetails": {"ignoreCount": 5}}),
        json!({"status": "resolved", "statusDetails": {"inRelease": "backend@1.1.0"}}),
        json!({"assignedTo": format!("user:{member_user}")}),
        json!({"assignedTo": ""}),
        json!({"isBookmarked": true}),
        json!({"hasSeen": true}),
        json!({"isPublic": true}),
    ];
    for _ in 0..60 {
        let issue = issues[dice.roll(issues.len() as u64) as usize];
        let change = &changes[dice.roll(changes.len() as u64) as usize];
        let who = if dice.roll(2) == 0 { owner } else { member };
        who.expect(
            200,
            "PUT",
            &format!("/api/0/organizations/acme/issues/{issue}/"),
            Some(change.clone()),
        )
        .await;
    }
    for n in 0..15 {
        let issue = issues[dice.roll(issues.len() as u64) as usize];
        member
            .expect(
                201,
                "POST",
                &format!("/api/0/organizations/acme/issues/{issue}/comments/"),
                Some(json!({"text": format!("note {n}")})),
            )
            .await;
    }
    // Disjoint pairs merge; two other issues are deleted.
    for pair in issues[..8].chunks(2) {
        owner
            .expect(
                200,
                "PUT",
                &format!(
                    "/api/0/organizations/acme/issues/?id={}&id={}",
                    pair[0], pair[1]
                ),
                Some(json!({"merge": 1})),
            )
            .await;
    }
    for issue in &issues[8..10] {
        owner
            .expect(
                202,
                "DELETE",
                &format!("/api/0/organizations/acme/issues/{issue}/"),
                None,
            )
            .await;
    }
}

#[tokio::test]
async fn rebuilt_read_models_equal_the_live_ones_after_a_randomized_workload() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let member = Api::new(&server, &create_user(&url, "member@acme.test", false));
    let outsider = Api::new(&server, &create_user(&url, "owner@globex.test", false));
    let backend = project_with_key(&owner, "acme", "backend").await;
    let globex = project_with_key(&outsider, "globex", "web").await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/members/",
            Some(json!({"email": "member@acme.test", "orgRole": "member", "teams": ["team"]})),
        )
        .await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/teams/acme/team/projects/",
            Some(json!({"name": "Scratch", "slug": "scratch"})),
        )
        .await;
    owner
        .expect(
            200,
            "PUT",
            "/api/0/projects/acme/backend/",
            Some(json!({"name": "Backend API"})),
        )
        .await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/projects/acme/backend/keys/",
            Some(json!({"name": "ci"})),
        )
        .await;
    owner
        .expect(204, "DELETE", "/api/0/projects/acme/scratch/", None)
        .await;
    crate::alert_rules::alert_rule_workload(&owner, backend.project_id).await;
    let members = owner.get_ok("/api/0/organizations/acme/members/").await;
    let member_user = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == json!("member@acme.test"))
        .unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let acme_id = id(&owner.get_ok("/api/0/organizations/acme/").await);
    let globex_id = id(&outsider.get_ok("/api/0/organizations/globex/").await);
    let (ingestor, _task) = Ingestor::start(pool.clone(), Default::default());
    let mut dice = Dice(0x5eed);

    let first = ingest(&ingestor, acme_id, backend.project_id, &mut dice, 40, 3_000).await;
    ingest(&ingestor, globex_id, globex.project_id, &mut dice, 10, 500).await;
    resend(&ingestor, &first[..100]).await;
    settled(&pool).await;
    shuffle_workflow(&owner, &member, &member_user, &mut dice).await;
    // Later events: regressions of resolved issues, events of merged fingerprints.
    ingest(&ingestor, acme_id, backend.project_id, &mut dice, 40, 1_000).await;
    // Resends after merges and deletions: an event of a deleted issue comes back in
    // the new issue its fingerprint opens, any other is still counted once. A
    // rebuild tells them apart in memory, the live read model by its primary key.
    resend(&ingestor, &first[..600]).await;

    // Verify while the server is live and may still be projecting.
    let verified = faultline(&url, &["verify", "--all", "--batch-size", "700"]).await;
    assert_success(&verified, "verify");
    assert!(
        !stdout(&verified).contains("DIFFERENT"),
        "{}",
        stdout(&verified)
    );
    assert!(stdout(&verified).contains("issues.issue_events: identical"));
    assert!(stdout(&verified).contains("alert_rules.workflows: identical (3 rows)"));

    // Replay while events keep arriving: the swap takes them in or leaves them to
    // the live runner, never both.
    let (replayed, _) = tokio::join!(
        faultline(&url, &["replay", "--all", "--batch-size", "700"]),
        ingest(&ingestor, acme_id, backend.project_id, &mut dice, 40, 1_000),
    );
    assert_success(&replayed, "replay");
    settled(&pool).await;
    let reverified = faultline(&url, &["verify", "--all"]).await;
    assert_success(&reverified, "verify after replay");
    let (counted, listed): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT sum(times_seen)::bigint FROM issues), (SELECT count(*) FROM issue_events)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counted, listed, "every event of a live issue counted once");
    assert!(
        listed > 5_000,
        "{listed} events listed (6,500 less two deleted issues)"
    );
    let before = read_models(&pool).await;

    // Twice more: identical tables.
    assert_success(
        &faultline(&url, &["replay", "--all"]).await,
        "second replay",
    );
    settled(&pool).await;
    assert_eq!(read_models(&pool).await, before);

    // Interrupted half-way, then resumed: identical tables.
    let interrupted = faultline(
        &url,
        &[
            "replay",
            "--all",
            "--batch-size",
            "500",
            "--stop-after",
            "3000",
        ],
    )
    .await;
    assert_success(&interrupted, "interrupted replay");
    let halfway: i64 = sqlx::query_scalar(
        "SELECT sum(events_applied)::bigint FROM faultline_replay_issues._replay_checkpoints",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        halfway > 0 && halfway < 6_500,
        "stopped half-way: {halfway}"
    );
    // Half-way, `issue_events` has no primary key yet (resends are told apart in
    // memory); the resumed rebuild loads the ids it holds and adds the key at the end.
    let shadow_keys: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE n.nspname = 'faultline_replay_issues' AND c.conname = 'issue_events_pkey'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(shadow_keys, 0);
    assert_success(
        &faultline(&url, &["replay", "--all"]).await,
        "resumed replay",
    );
    settled(&pool).await;
    assert_eq!(read_models(&pool).await, before);
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT conname::text FROM pg_constraint WHERE conrelid = 'issue_events'::regclass",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(keys, ["issue_events_pkey"]);
    let last = faultline(&url, &["verify", "--all"]).await;
    assert_success(&last, "final verify");
    // A rebuild that skips event types (the audit log skips ingestion) still ends
    // counting every event of its types, as a live runner does.
    for projection in registry::durable() {
        let (applied, in_log): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT sum(events_applied)::bigint FROM projection_checkpoints
                      WHERE name = $2),
                    (SELECT count(*) FROM log_events WHERE aggregate_type = ANY($1))",
        )
        .bind(projection.aggregate_types())
        .bind(projection.name())
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(applied, in_log, "{}", projection.name());
    }
    // The rebuilt issues table carries the live table's storage parameters (migration
    // 0015: its counters are updated in every batch of a rebuild).
    let options: Option<Vec<String>> =
        sqlx::query_scalar("SELECT reloptions FROM pg_class WHERE oid = 'issues'::regclass")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(options, Some(vec!["fillfactor=50".to_owned()]));
    drop(server);
}

#[tokio::test]
async fn verify_names_the_rows_of_a_read_model_that_drifted_from_the_log() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    project_with_key(&owner, "acme", "backend").await;
    settled(&pool).await;
    sqlx::query("UPDATE projects SET name = 'Tampered' WHERE slug = 'backend'")
        .execute(&pool)
        .await
        .unwrap();

    let verified = faultline(&url, &["verify", "--projection", "projects"]).await;

    assert_eq!(verified.status.code(), Some(1));
    let report = stdout(&verified);
    assert!(report.contains("projects.projects: DIFFERENT"), "{report}");
    assert!(
        report.contains("live only:") && report.contains("Tampered"),
        "{report}"
    );
    assert!(
        report.contains("rebuilt only:") && report.contains("\"name\":\"backend\""),
        "{report}"
    );
    let unknown = faultline(&url, &["verify", "--projection", "nope"]).await;
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no read model named \"nope\""));
    drop(server);
}
