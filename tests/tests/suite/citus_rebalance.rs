//! Operating a Citus cluster under a running server, as the README's "Scale-out"
//! section tells: a worker added and the shards rebalanced onto it, then one
//! organization isolated to a shard of its own and moved to another worker, while
//! both organizations keep sending events. Nothing sent is lost, the read models
//! equal a rebuild, and the organization's part of the log is where it was moved.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use crate::citus_cluster::CitusCluster;
use crate::helpers::{
    create_user, issues_once_counted, project_with_key, run_faultline, send_event, Api, ProjectKey,
    TestServer,
};

#[tokio::test]
async fn a_worker_added_and_an_organization_isolated_while_serving_lose_no_event() {
    let cluster = CitusCluster::start(3);
    let pool = cluster.pool().await;
    let added = cluster.worker_port(3);
    // The third worker joins later, as one added to a running installation.
    sqlx::query("SELECT citus_remove_node('127.0.0.1', $1)")
        .bind(added)
        .execute(&pool)
        .await
        .unwrap();
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let server = TestServer::on_database(&cluster.url);
    let api = Api::new(
        &server,
        &create_user(&cluster.url, "ops@example.test", false),
    );
    let alpha = project_with_key(&api, "alpha", "web").await;
    let beta = project_with_key(&api, "beta", "api").await;
    send_event(&server, &alpha, &checkout_failed()).await;
    send_event(&server, &beta, &checkout_failed()).await;

    let done = AtomicBool::new(false);
    let operate = async {
        sqlx::query("SELECT citus_add_node('127.0.0.1', $1)")
            .bind(added)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("SELECT citus_rebalance_start(shard_transfer_mode => 'block_writes')")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("SELECT citus_rebalance_wait()")
            .execute(&pool)
            .await
            .unwrap();
        let isolated: i64 = sqlx::query_scalar(
            "SELECT isolate_tenant_to_new_shard('events', 1, 'CASCADE',
                                                shard_transfer_mode => 'block_writes')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        // To the first other worker than the one the new shard is on.
        let target: i32 = sqlx::query_scalar(
            "SELECT min(n.nodeport) FROM pg_dist_node n
              WHERE n.groupid > 0 AND n.nodeport <> (SELECT nodeport FROM pg_dist_shard_placement
                                                      WHERE shardid = $1)",
        )
        .bind(isolated)
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query(
            "SELECT citus_move_shard_placement($1, '127.0.0.1',
                        (SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = $1),
                        '127.0.0.1', $2, shard_transfer_mode => 'block_writes')",
        )
        .bind(isolated)
        .bind(target)
        .execute(&pool)
        .await
        .unwrap();
        done.store(true, Ordering::SeqCst);
        (isolated, target)
    };
    let ((isolated, target), alpha_sent, beta_sent) = tokio::join!(
        operate,
        keep_sending(&server, &alpha, &done),
        keep_sending(&server, &beta, &done)
    );
    let alpha_path = "/api/0/projects/alpha/web/issues/";
    let alpha_issues = issues_once_counted(&api, alpha_path, 1 + alpha_sent).await;
    let beta_issues =
        issues_once_counted(&api, "/api/0/projects/beta/api/issues/", 1 + beta_sent).await;
    send_event(&server, &alpha, &checkout_failed()).await;
    let after_move = issues_once_counted(&api, alpha_path, 2 + alpha_sent).await;
    let alpha_shard: i64 =
        sqlx::query_scalar("SELECT get_shard_id_for_distribution_column('events', 1)")
            .fetch_one(&pool)
            .await
            .unwrap();
    let on_added: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_dist_shard_placement WHERE nodeport = $1")
            .bind(added)
            .fetch_one(&pool)
            .await
            .unwrap();
    let verified = run_faultline(&cluster.url, &["verify", "--all"], &[]);

    assert!(
        on_added > 0,
        "the rebalance moved no shard to the added worker"
    );
    assert_eq!(
        alpha_shard, isolated,
        "alpha's events are in the isolated shard"
    );
    assert_eq!(cluster.worker_of(&pool, 1).await, target);
    assert!(
        alpha_sent >= 10 && beta_sent >= 10,
        "{alpha_sent}, {beta_sent}"
    );
    assert_eq!(alpha_issues[0]["count"], (1 + alpha_sent).to_string());
    assert_eq!(beta_issues[0]["count"], (1 + beta_sent).to_string());
    assert_eq!(after_move[0]["count"], (2 + alpha_sent).to_string());
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

/// Sends events to `project`, one after another, until `done`: each is accepted
/// (200), if need be after waiting for a shard move that blocks writes. Returns how
/// many it sent.
async fn keep_sending(server: &TestServer, project: &ProjectKey, done: &AtomicBool) -> u64 {
    let mut sent = 0;
    while !done.load(Ordering::SeqCst) {
        send_event(server, project, &checkout_failed()).await;
        sent += 1;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    sent
}

fn checkout_failed() -> serde_json::Value {
    json!({"message": "checkout failed", "level": "error"})
}
