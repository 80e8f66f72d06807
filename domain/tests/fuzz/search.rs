//! Target `search`: any query parses or is refused, and what parses prints back to
//! itself. Extends the generated-query property tests in `domain/src/search/proptests.rs`
//! with real queries from the seeds and byte mutations of them.

use chrono::{DateTime, TimeZone, Utc};
use faultline_domain::search::parse;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::harness::{mutated, run_fixed, run_long, seeds};

/// Pieces of the search language for the token edit.
const TOKENS: &[&[u8]] = &[
    b"is:",
    b"!",
    b"assigned:",
    b"bookmarks:",
    b"level:",
    b"tags[",
    b"]",
    b"[",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\\\"",
    b" ",
    b"times_seen:",
    b">",
    b">=",
    b"<",
    b"<=",
    b"=",
    b"-24h",
    b"+7d",
    b"firstSeen:",
    b"lastSeen:",
    b"2026-01-01",
    b"T10:00:00Z",
    b"unresolved",
    b"me",
    b"#team",
    b"a@b.c",
    b"issue.id:",
    b"9999999999999999999999",
    b"-",
    b"\xc3\xa9",
    b"\t",
    b"\xe2\x80\xae",
    b"\xff",
];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap()
}

fn seed_bytes() -> Vec<Vec<u8>> {
    seeds("search")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect()
}

fn check(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let input = String::from_utf8_lossy(&bytes);
    if let Ok(query) = parse(&input, now()) {
        let printed = query.to_string();
        prop_assert_eq!(parse(&printed, now()), Ok(query), "printed as {}", printed);
    }
    Ok(())
}

#[test]
fn fuzz_search_every_seed() {
    for (name, bytes) in seeds("search") {
        check(bytes).unwrap_or_else(|e| panic!("seed {name}: {e}"));
    }
}

#[test]
fn fuzz_search_seed_mutations() {
    run_fixed("search", 2000, mutated(seed_bytes(), TOKENS), check);
}

#[test]
fn fuzz_search_long() {
    run_long("search", mutated(seed_bytes(), TOKENS), Clone::clone, check);
}
