//! The web UI's cron pages in a real headless Chromium: a monitor that curl checked in
//! to is listed with its environment's state, its page lists the check-ins, and
//! another organization's monitor is a 404 page; a monitor is muted, disabled and
//! deleted from its page.

use serde_json::json;

use crate::browser::Browser;
use crate::crons::{curl, statuses};
use crate::helpers::{create_user_with_password, project_with_key, Api};
use crate::issue_workflow::wait_for;
use crate::web_ui::{shop, sign_in, EMAIL, PASSWORD};

#[tokio::test]
async fn a_monitor_is_listed_with_its_state_and_its_page_lists_the_check_ins() {
    let shop = shop().await;
    let check_in = shop.server.at(&format!(
        "/api/{}/cron/backup/{}/",
        shop.project.project_id, shop.project.key
    ));
    let upsert = json!({"status": "ok", "monitor_config": {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "timezone": "Europe/Berlin"}});
    curl(&[
        "-X",
        "POST",
        &check_in,
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        &upsert.to_string(),
    ]);
    curl(&[&format!("{check_in}?status=error")]);
    wait_for(
        &shop.api,
        "/api/0/organizations/shop/monitors/backup/checkins/",
        |list| list.is_array() && statuses(list) == ["error", "ok"],
    )
    .await;
    let rival = Api::new(
        &shop.server,
        &create_user_with_password(&shop.url, "rival@example.test", "another secret"),
    );
    let rival_project = project_with_key(&rival, "rival", "jobs").await;
    let rival_check_in = shop.server.at(&format!(
        "/api/{}/cron/secret-job/{}/",
        rival_project.project_id, rival_project.key
    ));
    curl(&[
        "-X",
        "POST",
        &rival_check_in,
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        &upsert.to_string(),
    ]);
    let browser = Browser::start().await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;

    browser
        .goto(&shop.server.at("/organizations/shop/crons/"))
        .await;
    let listed = browser.texts("tr.monitor td a").await;
    let state = browser.text("tr.monitor[data-slug='backup'] .status").await;
    browser.screenshot("crons").await;
    browser
        .click_and_wait("tr.monitor[data-slug='backup'] td a")
        .await;
    let heading = browser.text("h1").await;
    let schedule = browser.text("#schedule").await;
    let runs = browser.texts("tr.check-in td:first-child").await;
    browser.screenshot("cron-monitor").await;
    browser
        .goto(&shop.server.at("/organizations/shop/crons/secret-job/"))
        .await;
    let rival_heading = browser.text("h1").await;

    assert_eq!(listed, ["backup"]);
    assert_eq!(state, "error");
    assert_eq!(heading, "backup");
    assert_eq!(schedule, "0 2 * * * (Europe/Berlin)");
    assert_eq!(runs, ["error", "ok"]);
    assert_eq!(rival_heading, "Not found");
}

#[tokio::test]
async fn a_monitor_is_muted_disabled_and_deleted_from_its_page() {
    let shop = shop().await;
    let check_in = shop.server.at(&format!(
        "/api/{}/cron/backup/{}/",
        shop.project.project_id, shop.project.key
    ));
    let upsert = json!({"status": "ok", "monitor_config": {"schedule": {"type": "interval", "value": 1, "unit": "hour"}}});
    curl(&[
        "-X",
        "POST",
        &check_in,
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        &upsert.to_string(),
    ]);
    wait_for(
        &shop.api,
        "/api/0/organizations/shop/monitors/backup/checkins/",
        |list| list.is_array() && statuses(list) == ["ok"],
    )
    .await;
    let browser = Browser::start().await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;

    browser
        .goto(&shop.server.at("/organizations/shop/crons/backup/"))
        .await;
    browser.click_and_wait("#mute").await;
    browser.click_and_wait("#disable").await;
    let changed = shop
        .api
        .get_ok("/api/0/organizations/shop/monitors/backup/")
        .await;
    let buttons = browser.texts(".actions button").await;
    let (refused, _) = curl(&[&format!("{check_in}?status=ok")]);
    browser.click_and_wait("#delete").await;
    let confirm_heading = browser.text("h1").await;
    let still_there = shop
        .api
        .call("GET", "/api/0/organizations/shop/monitors/backup/", None)
        .await
        .0;
    browser.click_and_wait("#confirm-delete").await;
    let landed = browser.path().await;
    let empty = browser.has("#no-monitors").await;
    let gone = shop
        .api
        .call("GET", "/api/0/organizations/shop/monitors/backup/", None)
        .await
        .0;

    assert_eq!(changed["isMuted"], true, "{changed}");
    assert_eq!(changed["status"], "disabled", "{changed}");
    assert_eq!(buttons, ["Unmute", "Enable", "Delete"]);
    assert_ne!(refused, 202, "a disabled monitor takes no check-ins");
    assert_eq!(confirm_heading, "Delete this monitor?");
    assert_eq!(still_there, 200);
    assert_eq!(landed, "/organizations/shop/crons/");
    assert!(empty);
    assert_eq!(gone, 404);
}
