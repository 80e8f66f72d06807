//! `faultline verify` and `faultline replay` narrowed to one organization: only its
//! rows are compared and rebuilt, another organization's stay as they are, and read
//! models that cannot be rebuilt that way are skipped or refused by name.

use crate::alert_rules::new_issue_alert;
use crate::helpers::{create_user, fresh_database, project_with_key, Api, TestServer};
use crate::replay::{faultline, stdout};

#[tokio::test]
async fn one_organizations_alert_rules_are_verified_and_rebuilt_without_touching_anothers() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let acme = project_with_key(&owner, "acme", "backend").await;
    let globex = project_with_key(&owner, "globex", "api").await;
    for (org, project) in [("acme", &acme), ("globex", &globex)] {
        let workflows = format!("/api/0/organizations/{org}/workflows/");
        let alert = new_issue_alert("nightly", project.project_id);
        owner.expect(201, "POST", &workflows, Some(alert)).await;
        owner.get_ok(&workflows).await;
    }
    sqlx::query("UPDATE workflows SET name = 'Tampered'")
        .execute(&pool)
        .await
        .unwrap();

    let verified = faultline(
        &url,
        &[
            "verify",
            "--projection",
            "alert_rules",
            "--organization",
            "acme",
        ],
    )
    .await;
    let replayed = faultline(
        &url,
        &[
            "replay",
            "--projection",
            "alert_rules",
            "--organization",
            "acme",
        ],
    )
    .await;
    let names: Vec<(String, String)> = sqlx::query_as(
        "SELECT o.slug, w.name FROM workflows w JOIN organizations o ON o.id = w.org_id
          ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let everything = faultline(&url, &["verify", "--all", "--organization", "acme"]).await;
    let whole_only = faultline(
        &url,
        &[
            "replay",
            "--projection",
            "audit_log",
            "--organization",
            "acme",
        ],
    )
    .await;
    let unknown = faultline(
        &url,
        &[
            "verify",
            "--projection",
            "alert_rules",
            "--organization",
            "nope",
        ],
    )
    .await;

    let report = stdout(&verified);
    assert_eq!(
        verified.status.code(),
        Some(1),
        "{report}\n{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(
        report.contains("alert_rules.workflows: DIFFERENT (live 1 rows, rebuilt 1 rows"),
        "only acme's rows are compared: {report}"
    );
    assert!(
        report.contains("live only:") && report.contains("Tampered"),
        "{report}"
    );
    assert!(replayed.status.success(), "{}", stdout(&replayed));
    assert_eq!(
        names,
        [
            ("acme".to_owned(), "nightly".to_owned()),
            ("globex".to_owned(), "Tampered".to_owned())
        ]
    );
    let report = stdout(&everything);
    assert!(everything.status.success(), "{report}");
    assert!(
        report.contains("alert_rules.workflows: identical (1 rows)"),
        "{report}"
    );
    assert!(
        report.contains("monitors.monitors: identical (0 rows)"),
        "{report}"
    );
    assert!(report.contains("issues.issues: identical"), "{report}");
    assert!(report.contains("releases.releases: identical"), "{report}");
    assert!(report.contains("audit_log: skipped"), "{report}");
    assert!(!whole_only.status.success());
    assert!(
        String::from_utf8_lossy(&whole_only.stderr)
            .contains("audit_log cannot be rebuilt one organization at a time"),
        "{}",
        String::from_utf8_lossy(&whole_only.stderr)
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no organization \"nope\""));
    drop(server);
}
