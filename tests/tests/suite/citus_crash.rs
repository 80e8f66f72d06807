//! The crash guarantee on Citus: two `serve` processes ingest two organizations (on
//! two workers) at once, one is killed with SIGKILL mid-load, and after a restart every
//! event that got a 200 is in its organization's log exactly once and counted exactly
//! once, and the read models equal a rebuild.

use std::collections::HashSet;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::chaos_load::{envelope_target, ChaosLoad};
use crate::citus_cluster::CitusCluster;
use crate::helpers::{
    create_user, ingest_tally, ingested_per_organization, project_with_key, run_faultline, Api,
    IngestTally, TestServer,
};

// Small: on Citus every node shares this machine's cores with the rest of the suite,
// and the point is what survives the kill, not how fast it goes.
const CLIENTS: usize = 8;
const EVENTS: usize = 400;
const KILL_AFTER: usize = 60;

#[tokio::test]
async fn two_servers_ingesting_two_organizations_one_killed_keep_every_acknowledged_event_once() {
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let mut killed = TestServer::on_database(&cluster.url);
    let survivor = TestServer::on_database(&cluster.url);
    let token = create_user(&cluster.url, "chaos@example.test", false);
    let api = Api::new(&survivor, &token);
    let alpha = project_with_key(&api, "alpha", "web").await;
    let beta = project_with_key(&api, "beta", "api").await;
    // Each client sends to one organization through one server.
    let targets = [
        envelope_target(&killed, &alpha),
        envelope_target(&killed, &beta),
        envelope_target(&survivor, &alpha),
        envelope_target(&survivor, &beta),
    ];
    let load = ChaosLoad::start(&targets, CLIENTS, EVENTS, 60);
    load.sent_at_least(KILL_AFTER).await;
    killed.stop_with(Signal::SIGKILL);
    let sent = load.sent();
    let acknowledged = load.finish().await;
    let restarted = TestServer::on_database(&cluster.url);
    let IngestTally {
        logged_ids,
        counted,
        projected,
    } = ingest_tally(&pool, Duration::from_secs(90)).await;
    let per_organization = ingested_per_organization(&pool).await;
    let verified = run_faultline(&cluster.url, &["verify", "--all"], &[]);
    drop(restarted);

    let unique_logged: HashSet<&String> = logged_ids.iter().collect();
    println!(
        "citus crash: sent {} events, acknowledged {}, killed after {KILL_AFTER} sent; after \
         the restart {} in the log ({} unique, per organization {per_organization:?}), \
         {counted} counted, {projected} projected",
        sent,
        acknowledged.len(),
        logged_ids.len(),
        unique_logged.len(),
    );
    assert!(
        acknowledged.len() >= KILL_AFTER / 3,
        "{} acknowledged",
        acknowledged.len()
    );
    assert_eq!(
        unique_logged.len(),
        logged_ids.len(),
        "no event is in the log twice"
    );
    assert!(
        acknowledged.iter().all(|id| unique_logged.contains(id)),
        "every acknowledged event is in the log"
    );
    assert_eq!(per_organization.len(), 2, "{per_organization:?}");
    assert_eq!(
        counted,
        logged_ids.len() as i64,
        "every logged event is counted once"
    );
    assert_eq!(projected, logged_ids.len() as i64);
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}
