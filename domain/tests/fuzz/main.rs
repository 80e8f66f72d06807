//! Fuzzing the parsers that read untrusted bytes, as property tests.
//!
//! Three targets, each fed its committed seeds (`domain/fuzz/seeds/<target>/`: real SDK
//! payloads, edge cases, and every crasher found so far) and mutations of them:
//!
//! - `envelope`: [`parse_envelope`] on mutated envelope bodies,
//! - `normalize`: [`normalize`] (then `summarize` and `grouping_hash`) on arbitrary
//!   JSON values, mutated seed events and byte-mutated seed events,
//! - `search`: the issue search parser on mutated queries.
//!
//! `cargo test` runs every seed, a fixed, seeded number of mutations (the same cases
//! on every run), and two seconds of fresh random cases per target. The long run is
//! the same tests with more time:
//!
//! ```sh
//! FAULTLINE_FUZZ_SECONDS=600 nice -n 19 cargo test -p faultline-domain --release \
//!     --test fuzz fuzz_envelope_long -- --nocapture
//! ```
//!
//! It runs fresh random cases until the time is up (`FAULTLINE_FUZZ_SEED` replays a
//! run), prints the cases executed, and on a failure writes the shrunk input to
//! `target/fuzz-crashers/<target>/` for you to fix and then commit as a seed.
//!
//! [`parse_envelope`]: faultline_domain::event::parse_envelope
//! [`normalize`]: faultline_domain::event::normalize

mod envelope;
mod harness;
mod normalize;
mod search;
