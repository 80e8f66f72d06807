//! Target `envelope`: any body either parses into a consistent envelope or is refused.

use faultline_domain::event::{parse_envelope, Envelope, MAX_ENVELOPE_ITEMS};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

use crate::harness::{apply, edits, mutated, run_fixed, run_long, seeds};

/// Pieces of the envelope format for the token edit.
const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"{}",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\",
    b",",
    b":",
    b"null",
    b"{\"type\":\"event\"}\n",
    b"{\"type\":\"attachment\",\"length\":3}\n",
    b"\"length\":",
    b"\"type\":",
    b"0",
    b"-1",
    b"1.5",
    b"1e3",
    b"18446744073709551615",
    b"18446744073709551616",
    b"\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"",
    b"\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b@x.test/1\"",
    b"\xff",
    b"\x00",
    b"\xef\xbb\xbf",
];

fn seed_bytes() -> Vec<Vec<u8>> {
    seeds("envelope")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect()
}

/// One item as an SDK might write it: its type, whether it declares its `length`
/// (a payload without one must not contain a newline), and its payload.
fn item() -> impl Strategy<Value = Vec<u8>> {
    let types = select(vec![
        "event",
        "attachment",
        "session",
        "sessions",
        "client_report",
        "transaction",
        "check_in",
        "user_report",
        "profile_chunk",
        "",
    ]);
    (
        types,
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(item_type, with_length, mut payload)| {
            let mut header = json!({ "type": item_type });
            if with_length {
                header["length"] = json!(payload.len());
            } else {
                payload.retain(|&b| b != b'\n');
            }
            let mut out = header.to_string().into_bytes();
            out.push(b'\n');
            out.extend(payload);
            out.push(b'\n');
            out
        })
}

/// A well-formed envelope of generated items.
fn well_formed() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(item(), 0..12).prop_map(|items| {
        let mut out = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n".to_vec();
        out.extend(items.concat());
        out
    })
}

/// Well-formed envelopes, as they are and with a few edits.
fn generated(tokens: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        well_formed(),
        (well_formed(), edits()).prop_map(move |(body, edits)| apply(&body, &edits, tokens, &[])),
    ]
}

fn inputs() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![mutated(seed_bytes(), TOKENS), generated(TOKENS)]
}

/// The envelope written back with a `length` on every item.
fn serialize(envelope: &Envelope) -> Vec<u8> {
    let mut out = serde_json::to_vec(&envelope.headers).unwrap();
    for item in &envelope.items {
        let mut headers = item.headers.clone();
        headers.insert("length".into(), Value::from(item.payload.len()));
        out.push(b'\n');
        out.extend(serde_json::to_vec(&headers).unwrap());
        out.push(b'\n');
        out.extend(&item.payload);
    }
    out.push(b'\n');
    out
}

/// Never panics; a parsed envelope is consistent and survives being written back.
fn check(body: Vec<u8>) -> Result<(), TestCaseError> {
    let Ok(envelope) = parse_envelope(&body) else {
        return Ok(());
    };
    let _ = (envelope.event_id(), envelope.dsn());
    prop_assert!(envelope.items.len() <= MAX_ENVELOPE_ITEMS);
    for item in &envelope.items {
        prop_assert_eq!(item.headers["type"].as_str(), Some(item.item_type.as_str()));
        if let Some(length) = item.headers.get("length").and_then(Value::as_u64) {
            prop_assert_eq!(item.payload.len() as u64, length);
        }
    }
    let again = parse_envelope(&serialize(&envelope));
    prop_assert!(again.is_ok(), "written back: {:?}", again);
    let again = again.unwrap();
    prop_assert_eq!(again.items.len(), envelope.items.len());
    for (a, b) in again.items.iter().zip(&envelope.items) {
        prop_assert_eq!(&a.item_type, &b.item_type);
        prop_assert_eq!(&a.payload, &b.payload);
    }
    Ok(())
}

#[test]
fn fuzz_envelope_every_seed() {
    for (name, bytes) in seeds("envelope") {
        check(bytes).unwrap_or_else(|e| panic!("seed {name}: {e}"));
    }
}

#[test]
fn fuzz_envelope_seed_mutations() {
    run_fixed("envelope", 2000, inputs(), check);
}

#[test]
fn fuzz_envelope_long() {
    run_long("envelope", inputs(), Clone::clone, check);
}
