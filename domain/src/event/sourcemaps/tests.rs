use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::event::grouping_hash;
use crate::event::test_support::{data, event};

const ORIGINAL: &str = "// orders\nfunction chargeCard(amount) {\n  throw new Error(\"boom \" + amount);\n}\nfunction checkout() {\n  chargeCard(1);\n}\ncheckout();\n";

/// `function a(b){throw new Error("boom "+b)}function c(){a(1)}c();` and its map to
/// `src/orders.js`, built token by token as a minifier would.
fn minified(first: &str, second: &str) -> (String, Vec<u8>) {
    let code = format!(
        "function {first}(b){{throw new Error(\"boom \"+b)}}function {second}(){{{first}(1)}}{second}();"
    );
    let at = |needle: &str| code.find(needle).unwrap() as u32;
    let mut builder = sourcemap::SourceMapBuilder::new(Some("app.min.js"));
    let src = builder.add_source("../src/orders.js");
    builder.set_source_contents(src, Some(ORIGINAL));
    let second_fn = at(&format!("function {second}"));
    builder.add(0, 0, 1, 0, Some("../src/orders.js"), None, false);
    builder.add(
        0,
        9,
        1,
        9,
        Some("../src/orders.js"),
        Some("chargeCard"),
        false,
    );
    builder.add(0, at("throw"), 2, 2, Some("../src/orders.js"), None, false);
    builder.add(0, second_fn, 4, 0, Some("../src/orders.js"), None, false);
    builder.add(
        0,
        second_fn + 9,
        4,
        9,
        Some("../src/orders.js"),
        Some("checkout"),
        false,
    );
    builder.add(
        0,
        at(&format!("{first}(1)")),
        5,
        2,
        Some("../src/orders.js"),
        Some("chargeCard"),
        false,
    );
    let mut map = Vec::new();
    builder.into_sourcemap().to_writer(&mut map).unwrap();
    (code, map)
}

fn js_event(
    code: &str,
    first: &str,
    second: &str,
    debug_id: &str,
) -> crate::event::NormalizedEvent {
    let col = |needle: &str| code.find(needle).unwrap() as u64 + 1;
    event(json!({
        "platform": "node",
        "exception": {"values": [{"type": "Error", "value": "boom 1", "stacktrace": {"frames": [
            {"function": second, "abs_path": "/srv/app/dist/app.min.js", "filename": "/srv/app/dist/app.min.js",
             "module": "app.min", "lineno": 1, "colno": col(&format!("{first}(1)")), "in_app": true},
            {"function": first, "abs_path": "/srv/app/dist/app.min.js", "filename": "/srv/app/dist/app.min.js",
             "module": "app.min", "lineno": 1, "colno": col("throw"), "in_app": true}
        ]}}]},
        "debug_meta": {"images": [{"type": "sourcemap", "code_file": "/srv/app/dist/app.min.js", "debug_id": debug_id}]}
    }))
}

fn found(code: &str, map: &[u8], with_minified: bool) -> HashMap<String, Lookup> {
    let minified = with_minified.then_some(code.as_bytes());
    let loaded = LoadedMap::parse(map, minified, "~/app.min.js.map").unwrap();
    HashMap::from([(
        "/srv/app/dist/app.min.js".to_owned(),
        Lookup::Found(Arc::new(loaded), FoundBy::DebugId),
    )])
}

#[test]
fn given_a_node_event_with_a_debug_image_when_locating_then_its_file_carries_the_debug_id() {
    let (code, _) = minified("a", "c");
    let event = js_event(&code, "a", "c", "6C8A3B1E-0D67-4B5A-9F7E-2E6A5D4C3B2A");
    assert_eq!(
        locations(&event),
        vec![Location {
            abs_path: "/srv/app/dist/app.min.js".into(),
            debug_id: Some("6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a".into()),
        }]
    );
}

#[test]
fn given_a_map_when_applied_then_frames_name_the_original_file_line_function_and_source() {
    let (code, map) = minified("a", "c");
    let mut event = js_event(&code, "a", "c", "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a");
    apply(&mut event, &found(&code, &map, true));
    let data = data(&event);
    let frames = &data["exception"]["values"][0]["stacktrace"]["frames"];
    let crash = &frames[1];
    assert_eq!(crash["function"], "chargeCard");
    assert_eq!(crash["filename"], "src/orders.js");
    assert_eq!(crash["abs_path"], "/srv/app/src/orders.js");
    assert_eq!(crash["lineno"], 3);
    assert_eq!(crash["colno"], 3);
    assert_eq!(
        crash["context_line"],
        "  throw new Error(\"boom \" + amount);"
    );
    assert_eq!(
        crash["pre_context"],
        json!(["// orders", "function chargeCard(amount) {"])
    );
    assert_eq!(crash["post_context"][0], "}");
    assert_eq!(crash["in_app"], true);
    assert_eq!(crash["module"], "src/orders");
    assert_eq!(crash["data"]["resolved_with"], "debug-id");
    assert_eq!(frames[0]["function"], "checkout");
    let raw = &data["exception"]["values"][0]["raw_stacktrace"]["frames"];
    assert_eq!(raw[1]["function"], "a");
    assert_eq!(raw[1]["abs_path"], "/srv/app/dist/app.min.js");
    assert_eq!(
        event.exceptions[0].frames[1].function.as_deref(),
        Some("chargeCard")
    );
}

#[test]
fn given_no_minified_source_when_applied_then_a_function_is_named_by_its_callers_call_site() {
    let (code, map) = minified("a", "c");
    let mut event = js_event(&code, "a", "c", "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a");
    apply(&mut event, &found(&code, &map, false));
    let data = data(&event);
    let frames = &data["exception"]["values"][0]["stacktrace"]["frames"];
    assert_eq!(frames[1]["function"], "chargeCard");
    assert_eq!(frames[0]["function"], "c");
}

#[test]
fn given_two_builds_with_different_minified_names_then_both_group_as_one() {
    let (code1, map1) = minified("a", "c");
    let (code2, map2) = minified("x", "y");
    let mut first = js_event(&code1, "a", "c", "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a");
    let mut second = js_event(&code2, "x", "y", "11111111-0d67-4b5a-9f7e-2e6a5d4c3b2a");
    assert_ne!(grouping_hash(&first), grouping_hash(&second));
    apply(&mut first, &found(&code1, &map1, true));
    apply(&mut second, &found(&code2, &map2, true));
    assert_eq!(grouping_hash(&first), grouping_hash(&second));
}

#[test]
fn given_no_map_when_applied_then_the_frames_stay_and_the_event_says_why() {
    let (code, _) = minified("a", "c");
    let mut event = js_event(&code, "a", "c", "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a");
    let lookups = HashMap::from([(
        "/srv/app/dist/app.min.js".to_owned(),
        Lookup::Missing("js_no_source"),
    )]);
    apply(&mut event, &lookups);
    let data = data(&event);
    assert_eq!(
        data["exception"]["values"][0]["stacktrace"]["frames"][1]["function"],
        "a"
    );
    assert!(data["exception"]["values"][0]
        .get("raw_stacktrace")
        .is_none());
    assert_eq!(
        data["errors"],
        json!([{"type": "js_no_source", "url": "/srv/app/dist/app.min.js"}])
    );
}

#[test]
fn given_a_line_past_the_map_when_applied_then_the_event_says_the_location_is_invalid() {
    let (code, map) = minified("a", "c");
    let mut event = js_event(&code, "a", "c", "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a");
    let mut raw = data(&event);
    raw["exception"]["values"][0]["stacktrace"]["frames"][1]["lineno"] = json!(40);
    event.data = crate::event::test_support::sonic(raw);
    apply(&mut event, &found(&code, &map, true));
    let data = data(&event);
    assert_eq!(data["errors"][0]["type"], "js_invalid_sourcemap_location");
    assert_eq!(data["errors"][0]["row"], 40);
    assert_eq!(
        data["exception"]["values"][0]["stacktrace"]["frames"][0]["function"],
        "checkout"
    );
}

#[test]
fn given_a_python_event_without_columns_then_no_location_is_looked_up() {
    let event = event(json!({
        "platform": "python",
        "exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "f", "abs_path": "/a.py", "lineno": 1}]}}]}
    }));
    assert!(locations(&event).is_empty());
    assert!(!is_javascript(&event));
}

#[test]
fn given_an_event_of_another_platform_with_columns_then_its_frames_are_looked_up() {
    let event = event(json!({
        "platform": "other",
        "exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "f", "abs_path": "http://example.com/app.js", "lineno": 1, "colno": 9}]}}]}
    }));
    assert_eq!(locations(&event).len(), 1);
    assert!(!is_javascript(&event));
}

#[test]
fn given_node_builtin_frames_then_only_the_app_file_is_looked_up() {
    let event = event(json!({
        "platform": "node",
        "exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "Module._compile", "filename": "node:internal/modules/cjs/loader", "lineno": 1, "colno": 1},
            {"function": "a", "filename": "/srv/app/dist/app.min.js", "lineno": 1, "colno": 5}]}}]}
    }));
    let found: Vec<String> = locations(&event).into_iter().map(|l| l.abs_path).collect();
    assert_eq!(found, vec!["/srv/app/dist/app.min.js"]);
}
