//! The web UI in a real headless Chromium (issue #26): signing in, a real Python SDK
//! event in the stream, its stack trace, resolving it, search errors, CSRF, another
//! organization's issue, signing out, and accessibility basics. The tests use only the
//! ids, classes and form fields the pages promise (`api/src/ui/`: `#login`, `#email`,
//! `tr.issue`, `#issue-status`, `#resolve`, ...), never their layout. Screenshots of
//! what they saw go to `target/ui-screenshots/`.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::browser::{Browser, SessionHttp};
use crate::helpers::{
    create_user_with_password, fresh_database, project_with_key, send_event, Api, ProjectKey,
    TestServer,
};

pub(crate) const EMAIL: &str = "triager@example.test";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// How long an ingested event may take to show in the issue stream.
const STREAM_TIMEOUT: Duration = Duration::from_secs(15);

/// A server on a fresh database with a user who signs in with [`PASSWORD`], organization
/// `shop` and its project `checkout`.
pub(crate) struct Shop {
    pub(crate) url: String,
    pub(crate) server: TestServer,
    pub(crate) api: Api,
    pub(crate) project: ProjectKey,
}

pub(crate) async fn shop() -> Shop {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user_with_password(&url, EMAIL, PASSWORD);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "shop", "checkout").await;
    Shop {
        url,
        server,
        api,
        project,
    }
}

/// Signs in through the login form; the browser ends on the page it was sent to.
pub(crate) async fn sign_in(browser: &Browser, server: &TestServer, email: &str, password: &str) {
    browser.goto(&server.at("/auth/login/")).await;
    browser.fill("#email", email).await;
    browser.fill("#password", password).await;
    browser.click_and_wait("#login-submit").await;
}

/// A plain event (not from an SDK) of `project`, in the shape the SDKs send.
fn plain_event(message: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "platform": "python",
        "level": "error",
        "exception": {"values": [{
            "type": "KeyError",
            "value": message,
            "stacktrace": {"frames": [{
                "function": "lookup",
                "module": "app.cart",
                "filename": "app/cart.py",
                "lineno": 12,
                "in_app": true,
                "context_line": "    return items[key]"
            }]}
        }]}
    })
}

/// Waits until `project` of `org` has an issue through the API; returns its id.
async fn first_issue_id(api: &Api, org: &str, project: &str) -> String {
    let deadline = Instant::now() + STREAM_TIMEOUT;
    loop {
        let issues = api
            .get_ok(&format!("/api/0/projects/{org}/{project}/issues/"))
            .await;
        if let Some(id) = issues[0]["id"].as_str() {
            return id.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no issue in {org}/{project} within {STREAM_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reloads the stream page until it lists an issue (the read model lags the ingest
/// by a moment).
async fn wait_for_issue_row(browser: &Browser) {
    let deadline = Instant::now() + STREAM_TIMEOUT;
    while !browser.has("tr.issue").await {
        assert!(
            Instant::now() < deadline,
            "no tr.issue on {} within {STREAM_TIMEOUT:?}",
            browser.url().await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        browser.reload().await;
    }
}

/// The issue's status as the REST API tells it.
async fn api_status(api: &Api, org: &str, id: &str) -> Value {
    api.get_ok(&format!("/api/0/organizations/{org}/issues/{id}/"))
        .await["status"]
        .clone()
}

/// The fields and controls of the page without a `<label for>` or an `aria-label`.
async fn unlabelled_fields(browser: &Browser) -> Value {
    browser
        .execute(
            "return Array.from(document.querySelectorAll('input, select, textarea'))
               .filter(e => !['hidden', 'submit'].includes((e.getAttribute('type') || '').toLowerCase()))
               .filter(e => !((e.getAttribute('aria-label') || '').trim()
                   || (e.id && document.querySelector('label[for=\"' + CSS.escape(e.id) + '\"]'))))
               .map(e => e.outerHTML);",
        )
        .await
}

#[tokio::test]
async fn a_python_sdk_error_is_triaged_in_the_browser_and_resolved() {
    let python = std::env::var("FAULTLINE_TEST_PYTHON")
        .expect("FAULTLINE_TEST_PYTHON must name a python with sentry-sdk: run scripts/test");
    let shop = shop().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk/python_charge.py");
    let output = Command::new(&python)
        .args([script, &shop.project.dsn])
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let browser = Browser::start().await;

    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;
    let landed = browser.path().await;
    wait_for_issue_row(&browser).await;
    let row_title = browser.text("tr.issue a.issue-title").await;
    let issue_id = browser
        .attr("tr.issue", "data-issue-id")
        .await
        .expect("the row carries its issue id");
    let sparklines = browser.find_all("tr.issue svg.spark").await.len();
    browser.screenshot("stream").await;
    browser.click_and_wait("tr.issue a.issue-title").await;
    let issue_path = browser.path().await;
    let title = browser.text("#issue-title").await;
    let status_before = browser.text("#issue-status").await;
    let exception_type = browser.text("#exception .exception-type").await;
    let exception_value = browser.text("#exception .exception-value").await;
    let in_app_functions = browser.texts(".frame.in-app .function").await;
    let in_app_files = browser.texts(".frame.in-app .filename").await;
    let failing_line = browser.text(".context-line.current").await;
    browser.screenshot("issue").await;
    browser.click_and_wait("#resolve").await;
    let status_after = browser.text("#issue-status").await;
    let api_after = api_status(&shop.api, "shop", &issue_id).await;

    assert_eq!(landed, "/organizations/shop/issues/");
    assert!(row_title.contains("ValueError"), "{row_title}");
    assert_eq!(sparklines, 1);
    assert_eq!(
        issue_path,
        format!("/organizations/shop/issues/{issue_id}/")
    );
    assert!(title.contains("ValueError"), "{title}");
    assert_eq!(status_before, "unresolved");
    assert_eq!(exception_type, "ValueError");
    assert!(
        exception_value.contains("card declined for order 42"),
        "{exception_value}"
    );
    assert!(
        in_app_functions.iter().any(|f| f == "charge_card"),
        "{in_app_functions:?}"
    );
    assert!(
        in_app_files.iter().any(|f| f.ends_with("python_charge.py")),
        "{in_app_files:?}"
    );
    assert!(failing_line.contains("raise ValueError("), "{failing_line}");
    assert_eq!(status_after, "resolved");
    assert_eq!(api_after, "resolved");
}

#[tokio::test]
async fn a_bad_search_query_shows_its_error_in_the_page_not_a_500() {
    let shop = shop().await;
    let browser = Browser::start().await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;
    let session = SessionHttp::new(&browser.session_cookie().await);

    browser
        .goto(&shop.server.at("/organizations/shop/issues/"))
        .await;
    browser.fill("#query", "is:bogus").await;
    browser.press_enter_in("#query").await;
    let error = browser.text("#search-error").await;
    let kept_query = browser
        .find("#query")
        .await
        .prop("value")
        .await
        .expect("the query field's value");
    browser.screenshot("search-error").await;
    let response = session
        .get(
            &shop
                .server
                .at("/organizations/shop/issues/?query=is%3Abogus"),
        )
        .await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();

    assert!(error.contains("bogus"), "{error}");
    assert_eq!(kept_query.as_deref(), Some("is:bogus"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("id=\"search-error\""), "{body}");
}

#[tokio::test]
async fn a_post_without_the_csrf_field_is_refused_and_changes_nothing() {
    let shop = shop().await;
    send_event(&shop.server, &shop.project, &plain_event("'sku-1'")).await;
    let issue_id = first_issue_id(&shop.api, "shop", "checkout").await;
    let browser = Browser::start().await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;
    let session = SessionHttp::new(&browser.session_cookie().await);
    let issue_url = shop
        .server
        .at(&format!("/organizations/shop/issues/{issue_id}/"));

    let without = session
        .post_form(&issue_url, &[("action", "resolve")])
        .await;
    let without_status = without.status().as_u16();
    let without_body = without.text().await.unwrap();
    let forged = session
        .post_form(&issue_url, &[("action", "resolve"), ("csrf", "forged")])
        .await;
    let forged_status = forged.status().as_u16();
    let status = api_status(&shop.api, "shop", &issue_id).await;
    browser.goto(&issue_url).await;
    let shown = browser.text("#issue-status").await;

    assert_eq!(without_status, 403, "{without_body}");
    assert!(without_body.contains("CSRF check failed"), "{without_body}");
    assert_eq!(forged_status, 403);
    assert_eq!(status, "unresolved");
    assert_eq!(shown, "unresolved");
}

#[tokio::test]
async fn another_organizations_issue_is_a_404_page() {
    let shop = shop().await;
    let other_token = create_user_with_password(&shop.url, "other@example.test", "another secret");
    let other_api = Api::new(&shop.server, &other_token);
    let other = project_with_key(&other_api, "rival", "api").await;
    send_event(&shop.server, &other, &plain_event("'rival-secret'")).await;
    let other_id = first_issue_id(&other_api, "rival", "api").await;
    let browser = Browser::start().await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;
    let session = SessionHttp::new(&browser.session_cookie().await);
    let through_own_org = format!("/organizations/shop/issues/{other_id}/");
    let through_their_org = format!("/organizations/rival/issues/{other_id}/");

    browser.goto(&shop.server.at(&through_own_org)).await;
    let own_heading = browser.text("h1").await;
    let own_page = browser.client.source().await.unwrap();
    browser.goto(&shop.server.at(&through_their_org)).await;
    let their_heading = browser.text("h1").await;
    let their_page = browser.client.source().await.unwrap();
    browser.screenshot("not-found").await;
    let own_status = session
        .get(&shop.server.at(&through_own_org))
        .await
        .status()
        .as_u16();
    let their_status = session
        .get(&shop.server.at(&through_their_org))
        .await
        .status()
        .as_u16();

    assert_eq!(own_heading, "Not found");
    assert_eq!(their_heading, "Not found");
    assert!(!own_page.contains("rival-secret"));
    assert!(!their_page.contains("rival-secret"));
    assert_eq!(own_status, 404);
    assert_eq!(their_status, 404);
}

#[tokio::test]
async fn after_logging_out_the_old_session_no_longer_works() {
    let shop = shop().await;
    let browser = Browser::start().await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;
    let cookie = browser
        .cookie("fl_session")
        .await
        .expect("signed in: the session cookie");
    let session = SessionHttp::new(cookie.value());
    let stream_url = shop.server.at("/organizations/shop/issues/");
    let before = session.get(&stream_url).await.status().as_u16();

    browser.click_and_wait("#logout").await;
    let after_logout = browser.path().await;
    let cookie_after = browser.cookie("fl_session").await;
    let response = session.get(&stream_url).await;
    let old_status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    browser.goto(&stream_url).await;
    let landed = browser.path().await;
    let login_form = browser.has("form#login").await;

    assert_eq!(cookie.http_only(), Some(true));
    assert!(cookie.same_site().is_some_and(|s| s.is_lax()), "{cookie:?}");
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(before, 200);
    assert_eq!(after_logout, "/auth/login/");
    assert!(cookie_after.is_none(), "{cookie_after:?}");
    assert!(
        (300..400).contains(&old_status),
        "the old session cookie still answers {old_status}"
    );
    assert!(location.starts_with("/auth/login/"), "{location}");
    assert_eq!(landed, "/auth/login/");
    assert!(login_form);
}

#[tokio::test]
async fn forms_are_labelled_pages_titled_and_resolving_works_by_keyboard() {
    let shop = shop().await;
    send_event(&shop.server, &shop.project, &plain_event("'sku-2'")).await;
    let issue_id = first_issue_id(&shop.api, "shop", "checkout").await;
    let browser = Browser::start().await;

    browser.goto(&shop.server.at("/auth/login/")).await;
    let login_title = browser.title().await;
    let login_unlabelled = unlabelled_fields(&browser).await;
    browser.fill("#email", EMAIL).await;
    browser.fill("#password", PASSWORD).await;
    browser.press_enter_in("#password").await;
    let signed_in = browser.path().await;
    browser
        .goto(&shop.server.at("/organizations/shop/issues/"))
        .await;
    wait_for_issue_row(&browser).await;
    let stream_title = browser.title().await;
    let stream_unlabelled = unlabelled_fields(&browser).await;
    browser
        .goto(
            &shop
                .server
                .at(&format!("/organizations/shop/issues/{issue_id}/")),
        )
        .await;
    let issue_title = browser.title().await;
    let issue_unlabelled = unlabelled_fields(&browser).await;
    let has_main = browser.has("main#main").await;
    let presses = browser.tab_to("resolve", 80).await;
    browser.press_enter_and_wait().await;
    let status_shown = browser.text("#issue-status").await;
    let status = api_status(&shop.api, "shop", &issue_id).await;

    for title in [&login_title, &stream_title, &issue_title] {
        assert!(title.ends_with("Faultline"), "{title:?}");
        assert!(title.trim() != "Faultline", "{title:?}");
    }
    assert_eq!(signed_in, "/organizations/shop/issues/");
    assert_eq!(login_unlabelled, json!([]));
    assert_eq!(stream_unlabelled, json!([]));
    assert_eq!(issue_unlabelled, json!([]));
    assert!(has_main);
    assert!(presses >= 1);
    assert_eq!(status_shown, "resolved");
    assert_eq!(status, "resolved");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_generic_error() {
    let shop = shop().await;
    let browser = Browser::start().await;

    sign_in(&browser, &shop.server, EMAIL, "not the password").await;
    let wrong_password = browser.text("#login-error").await;
    let path_after_wrong = browser.path().await;
    let session_after_wrong = browser.cookie("fl_session").await;
    browser.screenshot("login-error").await;
    sign_in(&browser, &shop.server, "nobody@example.test", PASSWORD).await;
    let unknown_email = browser.text("#login-error").await;
    let session_after_unknown = browser.cookie("fl_session").await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;
    let signed_in = browser.path().await;

    assert_eq!(wrong_password, "Incorrect email or password.");
    assert_eq!(unknown_email, "Incorrect email or password.");
    assert_eq!(path_after_wrong, "/auth/login/");
    assert!(session_after_wrong.is_none());
    assert!(session_after_unknown.is_none());
    assert_eq!(signed_in, "/organizations/shop/issues/");
}

#[tokio::test]
async fn settings_pages_create_and_disable_a_key_add_a_member_and_create_a_team() {
    let shop = shop().await;
    let browser = Browser::start().await;
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;

    browser
        .goto(&shop.server.at("/organizations/shop/projects/"))
        .await;
    let projects = browser.texts("tr.project").await;
    browser
        .goto(&shop.server.at("/settings/shop/projects/checkout/keys/"))
        .await;
    browser.fill("#key-name", "ci").await;
    browser
        .click_and_wait("button[name=action][value=create]")
        .await;
    let key_sections = browser.find_all("section.key").await.len();
    browser
        .click_and_wait("section.key button[name=action][value=disable]")
        .await;
    browser.screenshot("keys").await;
    let keys = shop.api.get_ok("/api/0/projects/shop/checkout/keys/").await;
    browser
        .goto(&shop.server.at("/settings/shop/members/"))
        .await;
    browser.fill("#new-email", "newcomer@example.test").await;
    browser
        .click_and_wait("button[name=action][value=add]")
        .await;
    let members_page = browser.texts("tr.member").await;
    let members = shop.api.get_ok("/api/0/organizations/shop/members/").await;
    browser.goto(&shop.server.at("/settings/shop/teams/")).await;
    browser.fill("#team-name", "Payments").await;
    browser
        .click_and_wait("button[name=action][value=create]")
        .await;
    let teams = shop.api.get_ok("/api/0/organizations/shop/teams/").await;

    assert_eq!(projects.len(), 1);
    assert!(projects[0].contains("checkout"), "{projects:?}");
    assert_eq!(key_sections, 2);
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert_eq!(
        keys.as_array()
            .unwrap()
            .iter()
            .filter(|key| key["isActive"] == json!(false))
            .count(),
        1
    );
    assert!(
        members_page
            .iter()
            .any(|row| row.contains("newcomer@example.test")),
        "{members_page:?}"
    );
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .any(|member| member["email"] == "newcomer@example.test" && member["role"] == "member"));
    assert!(teams
        .as_array()
        .unwrap()
        .iter()
        .any(|team| team["slug"] == "payments"));
}

/// Whether the page is no wider than the window (nothing to scroll sideways).
async fn fits_the_width(browser: &Browser) -> Value {
    browser
        .execute("return document.documentElement.scrollWidth <= window.innerWidth;")
        .await
}

#[tokio::test]
async fn the_stream_issue_and_event_pages_fit_a_phone_width() {
    let shop = shop().await;
    send_event(&shop.server, &shop.project, &plain_event("'sku-1'")).await;
    let issue_id = first_issue_id(&shop.api, "shop", "checkout").await;
    let browser = Browser::start().await;
    browser.client.set_window_size(390, 844).await.unwrap();
    sign_in(&browser, &shop.server, EMAIL, PASSWORD).await;

    browser
        .goto(&shop.server.at("/organizations/shop/issues/"))
        .await;
    let stream = fits_the_width(&browser).await;
    browser.screenshot("stream-phone").await;
    browser
        .goto(
            &shop
                .server
                .at(&format!("/organizations/shop/issues/{issue_id}/")),
        )
        .await;
    let issue = fits_the_width(&browser).await;
    browser.screenshot("issue-phone").await;
    browser
        .goto(&shop.server.at(&format!(
            "/organizations/shop/issues/{issue_id}/events/latest/"
        )))
        .await;
    let event = fits_the_width(&browser).await;

    assert_eq!(stream, json!(true));
    assert_eq!(issue, json!(true));
    assert_eq!(event, json!(true));
}
