//! Contract tests: our responses against Sentry's published OpenAPI document.
//!
//! The document lives outside the repository, at `<repo>/../shared/sentry-openapi.json`
//! (override with `SENTRY_OPENAPI=<path>`); it is never copied in. It is OpenAPI 3.0,
//! so each response schema is converted to a self-contained JSON Schema (draft 2020-12)
//! before validation: `nullable` becomes a `null` alternative, `#/components/schemas/X`
//! references become `#/$defs/X`, and OpenAPI-only keywords are dropped. `format` is an
//! annotation only: Sentry's document uses formats (`double`, `uri`, ...) loosely.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::helpers::{fresh_database, TestServer};

/// Asserts that `body`, answered with `status` by `method path_template`, matches the
/// response schema Sentry documents for that operation.
///
/// `path_template` is written as in the document, e.g.
/// `/api/0/organizations/{organization_id_or_slug}/`. Panics listing every violation
/// (instance path and message), or saying the operation or status is not documented.
pub fn assert_matches_sentry(method: &str, path_template: &str, status: u16, body: &Value) {
    if let Err(errors) = check(method, path_template, status, body) {
        panic!(
            "{} {path_template} ({status}) does not match Sentry's OpenAPI document:\n  {}\nbody: {}",
            method.to_uppercase(),
            errors.join("\n  "),
            serde_json::to_string_pretty(body).unwrap_or_default(),
        );
    }
}

/// Validates `body` against the documented response schema; `Err` holds one readable
/// line per violation. Panics if the operation or status is not documented.
pub fn check(
    method: &str,
    path_template: &str,
    status: u16,
    body: &Value,
) -> Result<(), Vec<String>> {
    let schema = response_schema(method, path_template, status);
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(false)
        .build(&schema)
        .unwrap_or_else(|e| {
            panic!(
                "the converted schema of {method} {path_template} ({status}) does not compile: {e}"
            )
        });
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| {
            let at = e.instance_path().as_str();
            let at = if at.is_empty() { "(root)" } else { at };
            format!("at {at}: {e}")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The document, parsed once.
fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let path = document_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read Sentry's OpenAPI document at {} ({e}). It lives outside the \
                 repository at <repo>/../shared/sentry-openapi.json; set SENTRY_OPENAPI to \
                 its path if it is elsewhere",
                path.display()
            )
        });
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "Sentry's OpenAPI document at {} is not JSON: {e}",
                path.display()
            )
        })
    })
}

/// The converted `components.schemas`, keyed by (unescaped) name, built once.
fn definitions() -> &'static BTreeMap<String, Value> {
    static DEFINITIONS: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    DEFINITIONS.get_or_init(|| {
        document()["components"]["schemas"]
            .as_object()
            .map(|schemas| {
                schemas
                    .iter()
                    .map(|(name, schema)| (name.clone(), convert(schema)))
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn document_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SENTRY_OPENAPI") {
        return PathBuf::from(path);
    }
    crate::helpers::beside_checkout("shared/sentry-openapi.json")
}

/// The self-contained JSON Schema of one documented response.
fn response_schema(method: &str, path_template: &str, status: u16) -> Value {
    let document = document();
    let method = method.to_lowercase();
    let Some(operation) = document["paths"]
        .get(path_template)
        .and_then(|item| item.get(&method))
    else {
        panic!(
            "Sentry's OpenAPI document has no operation {} {path_template}",
            method.to_uppercase()
        );
    };
    let Some(response) = operation["responses"].get(status.to_string()) else {
        let documented: Vec<&String> = operation["responses"]
            .as_object()
            .map(|r| r.keys().collect())
            .unwrap_or_default();
        panic!(
            "Sentry's OpenAPI document has no {status} response for {} {path_template} \
             (documented: {documented:?})",
            method.to_uppercase()
        );
    };
    let response = follow_reference(document, response);
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        panic!(
            "the {status} response of {} {path_template} documents no application/json body",
            method.to_uppercase()
        );
    };
    let mut schema = self_contained(convert(schema), definitions());
    if path_template.contains("/monitors/") {
        correct_monitor_schemas(&mut schema);
    }
    schema
}

/// `schema` or `null`.
fn or_null(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// Where Sentry's document misdescribes what its own Crons endpoints answer, the
/// schema is corrected to the serializers (`src/sentry/monitors/serializers.py`):
/// `environments` is a list of environment objects (typed as one object), `owner`
/// is `null` without an owner, an environment's check-in times are `null` before
/// any is known, an open incident's `resolvingTimestamp` is `null`, a check-in's `expectedTime` is `null` when no run was expected, and
/// an interval `schedule` is `[n, "unit"]` (typed as two integers). Nothing else is
/// loosened.
fn correct_monitor_schemas(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        if let Some(items) = schema.as_array_mut() {
            items.iter_mut().for_each(correct_monitor_schemas);
        }
        return;
    };
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        if properties.contains_key("slug") {
            if let Some(environment) = properties.get_mut("environments") {
                let mut item = environment.take();
                if let Some(times) = item["properties"].as_object_mut() {
                    for time in ["lastCheckIn", "nextCheckIn", "nextCheckInLatest"] {
                        if let Some(field) = times.get_mut(time) {
                            *field = or_null(field.take());
                        }
                    }
                }
                // An open incident has no resolving time yet (`MonitorIncident.resolving_timestamp`).
                if let Some(field) =
                    item.pointer_mut("/properties/activeIncident/properties/resolvingTimestamp")
                {
                    *field = or_null(field.take());
                }
                *environment = json!({ "type": "array", "items": item });
            }
            if let Some(owner) = properties.get_mut("owner") {
                *owner = or_null(owner.take());
            }
        }
        if properties.contains_key("monitorConfig") {
            if let Some(expected) = properties.get_mut("expectedTime") {
                *expected = or_null(expected.take());
            }
        }
        if let Some(choices) = properties
            .get_mut("schedule")
            .and_then(|s| s.get_mut("anyOf"))
            .and_then(Value::as_array_mut)
        {
            for choice in choices.iter_mut().filter(|c| c["type"] == "array") {
                choice["items"] = json!({ "type": ["integer", "string"] });
            }
        }
    }
    object.values_mut().for_each(correct_monitor_schemas);
}

/// A `{"$ref": "#/..."}` object (a response or other component) resolved in `document`.
fn follow_reference<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        value = reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer))
            .unwrap_or_else(|| panic!("unresolvable reference {reference}"));
    }
    panic!("reference chain too long");
}

/// `schema` with the definitions it (transitively) references attached as `$defs`.
fn self_contained(mut schema: Value, definitions: &BTreeMap<String, Value>) -> Value {
    let mut wanted = BTreeSet::new();
    let mut pending = Vec::new();
    collect_definition_refs(&schema, &mut pending);
    while let Some(name) = pending.pop() {
        if !wanted.insert(name.clone()) {
            continue;
        }
        let definition = definitions
            .get(&name)
            .unwrap_or_else(|| panic!("reference to unknown schema #/components/schemas/{name}"));
        collect_definition_refs(definition, &mut pending);
    }
    if !wanted.is_empty() {
        let defs: Map<String, Value> = wanted
            .into_iter()
            .map(|name| {
                let definition = definitions[&name].clone();
                (name, definition)
            })
            .collect();
        schema = json!({ "allOf": [schema], "$defs": defs });
    }
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema
}

/// Pushes the names of every `#/$defs/X` referenced anywhere in `value`.
fn collect_definition_refs(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(name) = object
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            {
                names.push(unescape_pointer(name));
            }
            object
                .values()
                .for_each(|v| collect_definition_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_definition_refs(v, names)),
        _ => {}
    }
}

fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Keywords of OpenAPI 3.0 schema objects that JSON Schema does not have (or that
/// mean something else there).
const OPENAPI_ONLY: [&str; 5] = [
    "nullable",
    "example",
    "xml",
    "discriminator",
    "externalDocs",
];

/// Converts one OpenAPI 3.0 schema object to JSON Schema draft 2020-12.
fn convert(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let nullable = object.get("nullable") == Some(&Value::Bool(true));
    let mut out = Map::new();
    for (key, value) in object {
        if OPENAPI_ONLY.contains(&key.as_str()) {
            continue;
        }
        let converted = match key.as_str() {
            "$ref" => match value.as_str() {
                Some(reference) => match reference.strip_prefix("#/components/schemas/") {
                    Some(name) => json!(format!("#/$defs/{name}")),
                    None => panic!("unsupported schema reference {reference}"),
                },
                None => value.clone(),
            },
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .map(|props| props.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
                    .unwrap_or_default(),
            ),
            "items" | "additionalProperties" | "not" => convert(value),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .map(|all| all.iter().map(convert).collect())
                    .unwrap_or_default(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    // OpenAPI 3.0 writes exclusive bounds as booleans next to minimum/maximum.
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(is_exclusive)) = out.get(exclusive).cloned() {
            out.remove(exclusive);
            if is_exclusive {
                if let Some(limit) = out.remove(bound) {
                    out.insert(exclusive.to_owned(), limit);
                }
            }
        }
    }
    if nullable {
        make_nullable(out)
    } else {
        Value::Object(out)
    }
}

/// `schema` accepting `null` as well.
fn make_nullable(mut schema: Map<String, Value>) -> Value {
    let composed = ["$ref", "allOf", "anyOf", "oneOf", "not"]
        .iter()
        .any(|k| schema.contains_key(*k));
    match schema.get("type").cloned() {
        // The simple, common case keeps error messages short.
        Some(Value::String(kind)) if !composed => {
            schema.insert("type".into(), json!([kind, "null"]));
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                if !values.contains(&Value::Null) {
                    values.push(Value::Null);
                }
            }
            Value::Object(schema)
        }
        // Without a type, composition or enum, the schema already accepts null.
        None if !composed && !schema.contains_key("enum") => Value::Object(schema),
        _ => json!({ "anyOf": [Value::Object(schema), { "type": "null" }] }),
    }
}

/// A valid organization summary, as Sentry documents it.
fn organization_summary() -> Value {
    json!({
        "id": "1",
        "slug": "acme",
        "status": { "id": "active", "name": "active" },
        "name": "Acme",
        "dateCreated": "2026-11-25T08:34:05.738Z",
        "isEarlyAdopter": false,
        "require2FA": false,
        "avatar": { "avatarType": "letter_avatar", "avatarUuid": "c0ffee", "avatarUrl": null },
        "links": {
            "organizationUrl": "https://acme.example.com",
            "regionUrl": "https://example.com",
        },
        "hasAuthProvider": false,
        "allowMemberInvite": true,
        "allowMemberProjectCreation": true,
        "allowSuperuserAccess": true,
        "features": [],
    })
}

const ORG_DETAIL: &str = "/api/0/organizations/{organization_id_or_slug}/";

#[test]
fn a_valid_organization_summary_matches() {
    assert_eq!(
        check("GET", ORG_DETAIL, 200, &organization_summary()),
        Ok(())
    );
}

#[test]
fn a_numeric_id_does_not_match() {
    let mut body = organization_summary();
    body["id"] = json!(1);
    let errors = check("GET", ORG_DETAIL, 200, &body).unwrap_err();
    assert!(
        errors.iter().any(|e| e.starts_with("at /id:")),
        "{errors:?}"
    );
}

#[test]
fn a_null_in_a_nullable_field_matches() {
    let mut body = organization_summary();
    body["avatar"]["avatarUuid"] = Value::Null;
    assert_eq!(check("GET", ORG_DETAIL, 200, &body), Ok(()));
}

#[test]
fn a_null_in_a_non_nullable_field_does_not_match() {
    let mut body = organization_summary();
    body["avatar"]["avatarType"] = Value::Null;
    let errors = check("GET", ORG_DETAIL, 200, &body).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("at /avatar/avatarType:")),
        "{errors:?}"
    );
}

#[test]
fn a_missing_required_field_does_not_match() {
    let mut body = organization_summary();
    body.as_object_mut().unwrap().remove("slug");
    let errors = check("GET", ORG_DETAIL, 200, &body).unwrap_err();
    assert!(errors.iter().any(|e| e.contains("\"slug\"")), "{errors:?}");
}

#[test]
fn an_undocumented_operation_is_reported() {
    let outcome = std::panic::catch_unwind(|| check("PATCH", ORG_DETAIL, 200, &json!({})));
    let message = *outcome.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("no operation PATCH"), "{message}");
}

#[test]
fn an_undocumented_status_is_reported() {
    let outcome = std::panic::catch_unwind(|| check("GET", ORG_DETAIL, 418, &json!({})));
    let message = *outcome.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("no 418 response"), "{message}");
}

#[test]
fn nullable_converts_next_to_enum_ref_and_all_of() {
    assert_eq!(
        convert(&json!({ "type": "string", "enum": ["a"], "nullable": true })),
        json!({ "type": ["string", "null"], "enum": ["a", null] })
    );
    assert_eq!(
        convert(&json!({ "$ref": "#/components/schemas/Team", "nullable": true })),
        json!({ "anyOf": [{ "$ref": "#/$defs/Team" }, { "type": "null" }] })
    );
    assert_eq!(
        convert(&json!({ "allOf": [{ "type": "object" }], "nullable": true, "example": {} })),
        json!({ "anyOf": [{ "allOf": [{ "type": "object" }] }, { "type": "null" }] })
    );
    assert_eq!(
        convert(&json!({ "enum": ["a"], "nullable": true })),
        json!({ "anyOf": [{ "enum": ["a"] }, { "type": "null" }] })
    );
}

#[test]
fn references_are_embedded_as_defs() {
    let definitions: BTreeMap<String, Value> = [
        (
            "Node".to_owned(),
            convert(&json!({
                "type": "object",
                "properties": {
                    "next": { "$ref": "#/components/schemas/Node", "nullable": true },
                    "tag": { "$ref": "#/components/schemas/Tag" },
                },
                "required": ["next"],
            })),
        ),
        ("Tag".to_owned(), convert(&json!({ "type": "string" }))),
        ("Unused".to_owned(), convert(&json!({ "type": "string" }))),
    ]
    .into();
    let schema = self_contained(
        convert(&json!({ "$ref": "#/components/schemas/Node" })),
        &definitions,
    );
    let defs: Vec<&String> = schema["$defs"].as_object().unwrap().keys().collect();
    assert_eq!(defs, ["Node", "Tag"]);
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    assert!(validator.is_valid(&json!({ "next": { "next": null, "tag": "x" } })));
    assert!(!validator.is_valid(&json!({ "next": { "next": 1 } })));
    assert!(!validator.is_valid(&json!({ "next": null, "tag": 1 })));
}

/// Runs a `faultline` CLI command against `database_url` and returns its stdout.
fn faultline(database_url: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(crate::helpers::faultline_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .expect("run faultline");
    assert!(
        output.status.success(),
        "faultline {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn organization_responses_match_sentry() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = faultline(
        &url,
        &["user", "create", "--email", "a@example.com", "--superuser"],
    );
    let client = reqwest::Client::new();

    let created = client
        .post(server.at("/api/0/organizations/"))
        .bearer_auth(&token)
        .json(&json!({ "name": "Acme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let list = client
        .get(server.at("/api/0/organizations/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_matches_sentry("GET", "/api/0/organizations/", 200, &list);

    let detail = client
        .get(server.at("/api/0/organizations/acme/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(detail.status(), 200);
    let detail: Value = detail.json().await.unwrap();
    assert_matches_sentry("GET", ORG_DETAIL, 200, &detail);
    // The detailed shape is what Sentry's PUT documents; GET answers it too.
    assert_matches_sentry("PUT", ORG_DETAIL, 200, &detail);

    let updated = client
        .put(server.at("/api/0/organizations/acme/"))
        .bearer_auth(&token)
        .json(&json!({ "name": "Acme 2" }))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["name"], "Acme 2");
    assert_matches_sentry("PUT", ORG_DETAIL, 200, &updated);
}
