//! Source map bundles on a real Citus cluster: their index is distributed by
//! organization, co-located with the log. sentry-cli 3 uploads a bundle to each of two
//! organizations on different workers; each lists its own, a file lookup is planned on
//! one worker, one organization's index verifies on its own, one organization's
//! bundles list while the other's worker is down, and retention deletes both bundles
//! through the log and then their blobs.

use serde_json::Value;

use faultline_projections::artifact_bundles::queries::FILES_SQL;

use crate::citus_cluster::CitusCluster;
use crate::helpers::{create_user, project_with_key, run_faultline, Api, TestServer};
use crate::sourcemap_uploads::upload_source_maps;

/// The bundle index's tables and whether each is co-located with the log.
const BUNDLE_TABLES: &str = "SELECT logicalrelid::text,
                                    colocationid = (SELECT colocationid FROM pg_dist_partition
                                                     WHERE logicalrelid = 'events'::regclass)
                               FROM pg_dist_partition
                              WHERE logicalrelid::text LIKE 'artifact_bundle%' ORDER BY 1";

#[tokio::test]
async fn bundles_of_two_organizations_live_on_their_workers_until_retention_removes_them() {
    let cli = std::env::var("FAULTLINE_TEST_SENTRY_CLI3").expect("run scripts/test");
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let server = TestServer::on_database(&cluster.url);
    let token = create_user(&cluster.url, "ci@example.test", false);
    let api = Api::new(&server, &token);
    project_with_key(&api, "alpha", "web").await;
    project_with_key(&api, "beta", "web").await;
    let alpha_worker = cluster.worker_of(&pool, 1).await;
    let beta_worker = cluster.worker_of(&pool, 2).await;

    upload_source_maps(&cli, &server, &token, "alpha", "first");
    upload_source_maps(&cli, &server, &token, "beta", "second");
    let alpha_bundles = bundles(&api, "alpha").await;
    let beta_bundles = bundles(&api, "beta").await;
    let distributed: Vec<(String, bool)> = sqlx::query_as(BUNDLE_TABLES)
        .fetch_all(&pool)
        .await
        .unwrap();
    let plan = explain_files_by_debug_id(&pool).await;
    let verified = run_faultline(
        &cluster.url,
        &[
            "verify",
            "--projection",
            "artifact_bundles",
            "--organization",
            "alpha",
        ],
        &[],
    );
    cluster.stop_worker(beta_worker);
    let alpha_path = "/api/0/projects/alpha/web/files/artifact-bundles/";
    let (alpha_while_beta_down, _) = api.call("GET", alpha_path, None).await;
    let beta_path = "/api/0/projects/beta/web/files/artifact-bundles/";
    let (beta_down, _) = api.call("GET", beta_path, None).await;
    cluster.start_worker(beta_worker);
    for aged in [
        "UPDATE artifact_bundles SET date_uploaded = now() - interval '3 days'",
        "UPDATE file_blobs SET created_at = now() - interval '3 days'",
    ] {
        sqlx::query(aged).execute(&pool).await.unwrap();
    }
    let expired = run_faultline(
        &cluster.url,
        &["retention", "run", "--event-retention-days", "2"],
        &[],
    );
    let blobs_left: i64 = sqlx::query_scalar("SELECT count(*) FROM file_blobs")
        .fetch_one(&pool)
        .await
        .unwrap();

    assert_ne!(
        alpha_worker, beta_worker,
        "the organizations share a worker"
    );
    assert_eq!(alpha_bundles.as_array().unwrap().len(), 1);
    assert_eq!(beta_bundles.as_array().unwrap().len(), 1);
    assert_ne!(alpha_bundles[0]["bundleId"], beta_bundles[0]["bundleId"]);
    assert_eq!(
        distributed,
        [
            ("artifact_bundle_files".to_owned(), true),
            ("artifact_bundle_projects".to_owned(), true),
            ("artifact_bundles".to_owned(), true),
        ]
    );
    assert!(plan.contains("Task Count: 1"), "{plan}");
    assert!(
        verified.contains("artifact_bundles.artifact_bundle_files: identical (2 rows)"),
        "only alpha's files are compared: {verified}"
    );
    assert_eq!(alpha_while_beta_down, 200);
    assert_eq!(beta_down, 503);
    assert!(
        expired.contains("deleted 2 source map bundle(s) past retention"),
        "{expired}"
    );
    assert_eq!(bundles(&api, "alpha").await, Value::Array(Vec::new()));
    assert_eq!(blobs_left, 0, "the blobs no bundle uses are removed");
}

/// Organization `org`'s bundles of project `web`.
async fn bundles(api: &Api, org: &str) -> Value {
    api.get_ok(&format!(
        "/api/0/projects/{org}/web/files/artifact-bundles/"
    ))
    .await
}

/// The plan of a debug id's lookup among the files of organization 1's project 1.
async fn explain_files_by_debug_id(pool: &sqlx::PgPool) -> String {
    let plan: Vec<String> = sqlx::query_scalar(&format!(
        "EXPLAIN {FILES_SQL} AND f.debug_id = $3 ORDER BY b.date_uploaded DESC LIMIT 20"
    ))
    .bind(1_i64)
    .bind(1_i64)
    .bind("c0ffee")
    .fetch_all(pool)
    .await
    .unwrap();
    plan.join("\n")
}
