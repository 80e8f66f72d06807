//! Seeds, byte mutations and the two run modes shared by every target.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// The committed seeds of `target`, sorted by file name.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = seeds_dir(target);
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn seeds_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target)
}

/// One edit of a mutation fuzzer. Positions are [`Index`]es, so they fit any input.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Flips one bit of one byte.
    Flip(Index, u8),
    /// Inserts a dictionary token (a piece of the format) at a position.
    Token(Index, Index),
    /// Inserts one arbitrary byte.
    Byte(Index, u8),
    /// Deletes up to 16 bytes.
    Delete(Index, u8),
    /// Copies up to 64 bytes from one position to another.
    Duplicate(Index, u8, Index),
    /// Inserts a slice of another seed.
    Splice(Index, Index, Index, u8),
    /// Cuts the input short.
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Edit::Flip(at, bit)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, token)| Edit::Token(at, token)),
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Byte(at, byte)),
        (any::<Index>(), 1u8..16).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<Index>(), 1u8..64, any::<Index>()).prop_map(|(a, n, b)| Edit::Duplicate(a, n, b)),
        (any::<Index>(), any::<Index>(), any::<Index>(), 1u8..128)
            .prop_map(|(at, seed, from, len)| Edit::Splice(at, seed, from, len)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// Up to eight edits.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..8)
}

/// `input` with `edits` applied; `tokens` and `others` (the other seeds) feed the
/// token and splice edits.
pub fn apply(input: &[u8], edits: &[Edit], tokens: &[&[u8]], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for edit in edits {
        // Positions range over the whole input, end included.
        let at = |i: &Index, out: &Vec<u8>| i.index(out.len() + 1);
        match edit {
            Edit::Flip(i, bit) if !out.is_empty() => {
                let i = i.index(out.len());
                out[i] ^= 1 << bit;
            }
            Edit::Flip(..) => {}
            Edit::Token(i, token) => {
                let i = at(i, &out);
                let token = tokens[token.index(tokens.len())];
                out.splice(i..i, token.iter().copied());
            }
            Edit::Byte(i, byte) => {
                let i = at(i, &out);
                out.insert(i, *byte);
            }
            Edit::Delete(i, len) => {
                let i = at(i, &out);
                let end = (i + usize::from(*len)).min(out.len());
                out.drain(i..end);
            }
            Edit::Duplicate(from, len, to) => {
                let from = at(from, &out);
                let end = (from + usize::from(*len)).min(out.len());
                let piece = out[from..end].to_vec();
                let to = at(to, &out);
                out.splice(to..to, piece);
            }
            Edit::Splice(..) if others.is_empty() => {}
            Edit::Splice(i, seed, from, len) => {
                let other = &others[seed.index(others.len())];
                let from = from.index(other.len() + 1);
                let end = (from + usize::from(*len)).min(other.len());
                let i = at(i, &out);
                out.splice(i..i, other[from..end].iter().copied());
            }
            Edit::Truncate(i) => {
                let i = at(i, &out);
                out.truncate(i);
            }
        }
    }
    out
}

/// A seed from `seeds` with edits applied.
pub fn mutated(
    seeds: Vec<Vec<u8>>,
    tokens: &'static [&'static [u8]],
) -> impl Strategy<Value = Vec<u8>> {
    (any::<Index>(), edits()).prop_map(move |(seed, edits)| {
        let input = &seeds[seed.index(seeds.len())];
        apply(input, &edits, tokens, &seeds)
    })
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

/// The deterministic CI pass: `cases` cases from a fixed RNG seed, so every run
/// checks the same inputs. Panics with the shrunk input on a failure.
pub fn run_fixed<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config(cases), rng);
    if let Err(error) = runner.run(&strategy, check) {
        panic!("fuzz target {name} failed: {error}");
    }
}

/// Fresh random cases until `FAULTLINE_FUZZ_SECONDS` are up: 2 by default, so that
/// every `cargo test` explores a little beyond the fixed cases; 600 for a real run. Prints the cases executed; on a failure saves the shrunk input (as bytes, via
/// `to_bytes`) under `target/fuzz-crashers/<name>/` and panics.
pub fn run_long<S: Strategy>(
    name: &str,
    strategy: S,
    to_bytes: impl Fn(&S::Value) -> Vec<u8>,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let seconds: u64 = std::env::var("FAULTLINE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let seed: u64 = std::env::var("FAULTLINE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let batch = 1000;
    let mut cases: u64 = 0;
    let mut round: u64 = 0;
    while Instant::now() < deadline {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&round.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
        let mut runner = TestRunner::new_with_rng(config(batch), rng);
        match runner.run(&strategy, &check) {
            Ok(()) => cases += u64::from(batch),
            Err(TestError::Fail(reason, input)) => {
                let path = save_crasher(name, &to_bytes(&input));
                panic!(
                    "fuzz target {name} failed after {cases} cases (seed {seed}, round {round}): \
                     {reason}\ninput saved to {}\n{input:?}",
                    path.display()
                );
            }
            Err(other) => panic!("fuzz target {name}: {other}"),
        }
        round += 1;
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    println!("fuzz {name}: {cases} cases in {minutes:.1} min, seed {seed}, no failure");
}

fn save_crasher(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/fuzz-crashers")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("crash-{hash:016x}"));
    std::fs::write(&path, bytes).unwrap();
    path
}
