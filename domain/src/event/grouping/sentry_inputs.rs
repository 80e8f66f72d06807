//! Table tests over Sentry's own grouping inputs (getsentry/sentry,
//! `tests/sentry/grouping/grouping_inputs/<name>.json`, trimmed to what groups), each
//! with the contributing variant and values of its `newstyle@2023_01_11` snapshot;
//! then, per platform, what a redeploy changes grouping as one and what different code
//! changes grouping apart.

use serde_json::{json, Value};

use super::*;
use crate::event::test_support::event;

fn current(raw: Value) -> Grouping {
    group(&event(raw), Config::Current, &ProjectRules::default())
}

/// Sentry's input, its contributing variant, and the values that contribute, in
/// Sentry's order (frames' module or file, then function; then the type).
fn sentry_case(name: &str, raw: Value, variant: &str, values: &[&str]) {
    let grouping = current(raw);
    assert_eq!(
        grouping.variant, variant,
        "{name}: {:?}",
        grouping.components
    );
    let ours: Vec<&str> = grouping
        .components
        .iter()
        .filter(|c| !matches!(c.as_str(), "message" | "stacktrace" | "default"))
        .map(|c| {
            ["frame:", "function:", "type:", "value:"]
                .iter()
                .find_map(|kind| c.strip_prefix(kind))
                .unwrap_or(c)
        })
        .filter(|v| !v.is_empty())
        .collect();
    let mut sentry: Vec<&str> = values.to_vec();
    sentry.sort_unstable();
    let mut got = ours.clone();
    got.sort_unstable();
    assert_eq!(got, sentry, "{name}: {ours:?}");
}

#[test]
fn sentrys_grouping_inputs_group_by_the_same_values() {
    sentry_case(
        "frame-sanitizes-erb-templates",
        json!({"platform": "ruby", "stacktrace": {"frames": [{"function": "_foo_html_erb__3327151541118998292_70361296749460", "abs_path": "foo.html.erb", "filename": "foo.html.erb"}]}}),
        "system",
        &["foo.html.erb", "_foo_html_erb"],
    );
    sentry_case(
        "frame-ignores-ENHANCED-spring-classes",
        json!({"platform": "java", "stacktrace": {"frames": [{"function": "jipJipManagementApplication", "module": "invalid.gruml.talkytalkyhub.common.config.JipJipConfig$$EnhancerBySpringCGLIB$$1ebdddb0"}]}}),
        "system",
        &[
            "invalid.gruml.talkytalkyhub.common.config.JipJipConfig$$EnhancerBySpringCGLIB$$<auto>",
            "jipJipManagementApplication",
        ],
    );
    sentry_case(
        "frame-ignores-hibernate-classes",
        json!({"platform": "java", "stacktrace": {"frames": [{"function": "jipJipManagementApplication", "module": "com.example.model.User$HibernateProxy$oRWxjAWT"}]}}),
        "system",
        &[
            "com.example.model.User$HibernateProxy$<auto>",
            "jipJipManagementApplication",
        ],
    );
    sentry_case(
        "frame-ignores-sun-java-generated-methods",
        json!({"platform": "java", "stacktrace": {"frames": [
            {"function": "invoke", "module": "sun.reflect.GeneratedMethodAccessor123"},
            {"function": "invoke", "module": "jdk.internal.reflect.GeneratedMethodAccessor45"}]}}),
        "system",
        &[
            "sun.reflect.GeneratedMethodAccessor",
            "invoke",
            "jdk.internal.reflect.GeneratedMethodAccessor",
            "invoke",
        ],
    );
    sentry_case(
        "go-pkg-mod",
        json!({"platform": "go", "exception": {"values": [{"type": "*pq.Error", "value": "pq: cannot cast jsonb null to type integer", "stacktrace": {"frames": [
            {"function": "FuncJob.Run", "module": "github.com/robfig/cron/v3", "abs_path": "/go/pkg/mod/github.com/robfig/cron/v3@v3.0.0/cron.go"},
            {"function": "background.func2", "module": "main", "abs_path": "/my_app/main.go", "in_app": true}]}}]}}),
        "app",
        &["main", "background.func2", "*pq.Error"],
    );
    sentry_case(
        "javascript-polyfills",
        json!({"platform": "javascript", "exception": {"values": [{"type": "Error", "value": "bad", "stacktrace": {"frames": [
            {"function": "e.<anonymous>", "module": "@babel/runtime/helpers/asyncToGenerator"},
            {"function": "listener", "module": "core-js/internals/task"},
            {"function": "_.sent", "module": "tslib/tslib.es6"}]}}]}}),
        "exception",
        &["Error", "bad"],
    );
    sentry_case(
        "frame-ignores-java8-lambda-module",
        json!({"platform": "java", "stacktrace": {"frames": [{"function": "call", "module": "foo.bar.Baz$$Lambda$40/1673859467"}]}}),
        "system",
        &["call"],
    );
    sentry_case(
        "javascript-message-parameterization",
        json!({"platform": "javascript", "logentry": {"formatted": "testing testing 1, 2, 3"}}),
        "message",
        &["testing testing <int>, <int>, <int>"],
    );
}

/// Two events that differ only in `first` vs `second` (a frame's field) group as one
/// (`same`) or apart.
fn redeploy(platform: &str, frame_a: Value, frame_b: Value, same: bool) {
    let raw = |frame: Value| {
        json!({"platform": platform, "exception": {"values": [{"type": "Boom", "value": "x",
            "stacktrace": {"frames": [{"function": "main", "module": "app.main", "in_app": true}, frame]}}]}})
    };
    let (a, b) = (current(raw(frame_a.clone())), current(raw(frame_b.clone())));
    assert_eq!(a.hash == b.hash, same, "{platform}: {frame_a} vs {frame_b}");
}

#[test]
fn what_a_redeploy_changes_groups_as_one_and_different_code_groups_apart() {
    let java = |module: &str, function: &str| json!({"module": module, "function": function, "in_app": true});
    redeploy(
        "java",
        java("sun.reflect.GeneratedMethodAccessor123", "invoke"),
        java("sun.reflect.GeneratedMethodAccessor7", "invoke"),
        true,
    );
    redeploy(
        "java",
        java("com.shop.Svc$$EnhancerBySpringCGLIB$$1ebdddb0", "pay"),
        java("com.shop.Svc$$EnhancerBySpringCGLIB$$99aa00ff", "pay"),
        true,
    );
    redeploy(
        "java",
        java("com.shop.Svc$$FastClassBySpringCGLIB$$1ebdddb0", "pay"),
        java("com.shop.Svc$$FastClassBySpringCGLIB$$2f", "pay"),
        true,
    );
    redeploy(
        "java",
        java("com.shop.User$HibernateProxy$oRWxjAWT", "load"),
        java("com.shop.User$HibernateProxy$Zq81", "load"),
        true,
    );
    redeploy(
        "java",
        java("com.shop.Dao_$$_javassist_12", "find"),
        java("com.shop.Dao_$$_javassist_40", "find"),
        true,
    );
    redeploy(
        "java",
        java("com.shop.Api$$Lambda$40/1673859467", "apply"),
        java("com.shop.Api$$Lambda$41/99", "apply"),
        true,
    );
    redeploy(
        "java",
        java("com.shop.Svc", "pay"),
        java("com.shop.Svc", "refund"),
        false,
    );
    let ruby = |function: &str| json!({"function": function, "filename": "app/views/orders/show.html.erb", "in_app": true});
    redeploy(
        "ruby",
        ruby("_app_views_orders_show_html_erb__3327151541118998292_70361296749460"),
        ruby("_app_views_orders_show_html_erb__1111151541118998292_99961296749460"),
        true,
    );
    redeploy(
        "ruby",
        ruby("_app_views_orders_show_html_erb__3327151541118998292_70361296749460"),
        ruby("_app_views_orders_index_html_erb__3327151541118998292_70361296749460"),
        false,
    );
    let php = |function: &str| json!({"function": function, "filename": "src/Handler.php", "in_app": true});
    redeploy(
        "php",
        php("class@anonymous\u{0}/app/src/Handler.php:12$0::handle"),
        php("class@anonymous\u{0}/app/src/Handler.php:14$1::handle"),
        true,
    );
    redeploy("php", php("Handler::handle"), php("Handler::close"), false);
    let js = |function: &str, file: &str| json!({"function": function, "filename": file, "abs_path": format!("https://shop.example/{file}"), "in_app": true});
    redeploy(
        "javascript",
        js("Object.checkout", "app.3f2a9c1b.js"),
        js("n.checkout", "app.77bb0c2d.js"),
        true,
    );
    redeploy(
        "javascript",
        js("checkout", "app.js"),
        js("refund", "app.js"),
        false,
    );
    let dotnet =
        |function: &str| json!({"function": function, "module": "Shop.Orders", "in_app": true});
    redeploy(
        "csharp",
        dotnet("<PlaceOrder>d__12"),
        dotnet("<PlaceOrder>d__12"),
        true,
    );
    redeploy(
        "csharp",
        dotnet("<PlaceOrder>d__12"),
        dotnet("<CancelOrder>d__3"),
        false,
    );
    let go = |function: &str| json!({"function": function, "module": "main", "in_app": true});
    redeploy("go", go("background.func2"), go("background.func2"), true);
    redeploy("go", go("background.func2"), go("worker.func1"), false);
    let python =
        |function: &str| json!({"function": function, "module": "shop.views", "in_app": true});
    redeploy("python", python("<lambda>"), python("<lambda>"), true);
    redeploy("python", python("<lambda>"), python("checkout"), false);
}

#[test]
fn messages_differing_only_in_variable_parts_group_as_one() {
    let message = |text: &str| current(json!({"message": text})).hash;
    assert_eq!(
        message("Timeout after 1503 ms"),
        message("Timeout after 1499 ms")
    );
    assert_eq!(
        message("user 6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a from 10.0.0.1 failed"),
        message("user 11111111-0d67-4b5a-9f7e-2e6a5d4c3b2a from 10.0.0.2 failed")
    );
    assert_ne!(
        message("Timeout after 1503 ms"),
        message("Refused after 1503 ms")
    );
    let value = |text: &str| {
        current(json!({"exception": {"values": [{"type": "Timeout", "value": text}]}})).hash
    };
    assert_eq!(
        value("read 2024-06-01T12:00:00Z took 3.5s"),
        value("read 2024-06-02T08:30:00Z took 1.2s")
    );
}

#[test]
fn events_nothing_normalises_keep_their_legacy_hash() {
    let raw = json!({"platform": "python", "exception": {"values": [{"type": "KeyError", "value": "'sku'",
        "stacktrace": {"frames": [{"function": "checkout", "module": "shop.views", "in_app": true}]}}]}});
    assert_eq!(
        grouping_hash(&event(raw.clone())),
        legacy_grouping_hash(&event(raw))
    );
}

#[test]
fn project_rules_fingerprint_title_and_ungroup_frames() {
    let rules = ProjectRules::parse(
        "error.type:DatabaseUnavailable -> system-down title=\"Database down: {{ error.value }}\"",
        "stack.function:log_* -group\nstack.module:vendor.* +app",
    )
    .unwrap();
    let db = |function: &str| {
        event(
            json!({"exception": {"values": [{"type": "DatabaseUnavailable", "value": "primary",
            "stacktrace": {"frames": [{"function": function, "module": "shop.db", "in_app": true}]}}]}}),
        )
    };
    let (a, b) = (
        group(&db("connect"), Config::Current, &rules),
        group(&db("query"), Config::Current, &rules),
    );
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.variant, "fingerprint-rule");
    assert_eq!(a.title.as_deref(), Some("Database down: primary"));
    assert!(a
        .matched_rule
        .as_deref()
        .unwrap()
        .starts_with("error.type:DatabaseUnavailable"));

    let logged = |with_log: bool| {
        let mut frames =
            vec![json!({"function": "checkout", "module": "shop.views", "in_app": true})];
        if with_log {
            frames.push(json!({"function": "log_and_raise", "module": "shop.log", "in_app": true}));
        }
        group(
            &event(
                json!({"exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}}),
            ),
            Config::Current,
            &rules,
        )
    };
    assert_eq!(logged(true).hash, logged(false).hash);
    let vendored = group(
        &event(
            json!({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
        {"function": "pay", "module": "vendor.stripe", "in_app": false}]}}]}}),
        ),
        Config::Current,
        &rules,
    );
    assert_eq!(vendored.variant, "app");
    assert_eq!(
        vendored.marked[0].2.rule.as_deref(),
        Some("stack.module:vendor.* +app")
    );
}

#[test]
fn the_legacy_grouping_hashes_the_variables_it_did_not_know_as_written() {
    let raw = |function: &str| {
        json!({"fingerprint": ["{{ stack.function }}"], "exception": {"values": [{"type": "E",
            "stacktrace": {"frames": [{"function": function, "module": "shop", "in_app": true}]}}]}})
    };
    assert_eq!(
        legacy_grouping_hash(&event(raw("pay"))),
        legacy_grouping_hash(&event(raw("refund")))
    );
    assert_ne!(
        grouping_hash(&event(raw("pay"))),
        grouping_hash(&event(raw("refund")))
    );
}

#[test]
fn rules_too_large_or_with_a_pattern_too_large_to_compile_are_refused() {
    let huge = format!("error.type:{} -> x", "a".repeat(70 * 1024));
    assert!(ProjectRules::parse(&huge, "").is_err());
}
