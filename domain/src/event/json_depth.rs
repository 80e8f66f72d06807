//! JSON nesting depth, measured on the raw bytes before anything is parsed.
//!
//! `serde_json` and everything downstream of it (normalisation, grouping, `Drop` of a
//! `Value`, the jsonb conversion in Postgres) recurse once per nesting level, so an
//! attacker-chosen depth is an attacker-chosen stack depth. serde_json stops at 128
//! levels on its own, but that is an implementation detail of one crate with an
//! unhelpful message; this check makes the limit ours, explicit and cheap (one pass,
//! no allocation), and it runs before any recursive code sees the input.

use thiserror::Error;

/// The deepest JSON nesting accepted in ingested events, envelope headers and API bodies.
///
/// A real Sentry event nests about 10 levels to reach a frame's local variables
/// (`exception.values[].stacktrace.frames[].vars`) and SDKs cut databags at a few
/// more (Relay trims `extra`/`contexts`/`vars` at depth 5 below the bag), so 20 levels
/// is a generous real-world maximum. 64 leaves three times that for unusual payloads
/// while staying well below serde_json's own limit of 128, so the refusal always comes
/// from here, with a message that names the problem.
pub const MAX_JSON_DEPTH: usize = 64;

/// The input nests arrays and objects deeper than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("JSON nested deeper than {max} levels")]
pub struct TooDeep {
    /// The limit that was exceeded.
    pub max: usize,
}

/// Checks that no array or object in `bytes` is nested more than `max` levels deep
/// (`{}` and `[]` are depth 1, a scalar is depth 0).
///
/// Brackets inside strings do not count. Malformed JSON is not reported here: the
/// parser that runs afterwards refuses it; this only guarantees that it will not be
/// asked to recurse deeper than `max`. Stops at the first level over the limit.
pub fn check_json_depth(bytes: &[u8], max: usize) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                // Most of an event's bytes are string contents (context lines,
                // variables): jump to the closing quote instead of looking at each byte.
                at += 1;
                loop {
                    let rest = bytes.get(at..).unwrap_or_default();
                    match memchr::memchr2(b'"', b'\\', rest) {
                        None => return Ok(()),
                        Some(offset) if bytes[at + offset] == b'\\' => at += offset + 2,
                        Some(offset) => {
                            at += offset;
                            break;
                        }
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(TooDeep { max });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_arrays(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn an_escape_at_the_very_end_of_the_input_ends_the_scan() {
        assert_eq!(check_json_depth(b"\"\\", 64), Ok(()));
        assert_eq!(check_json_depth(b"[\"a\\\"]]\\", 64), Ok(()));
        assert_eq!(
            check_json_depth(b"[[\"\\\"]]\"]]", 1),
            Err(TooDeep { max: 1 })
        );
    }

    #[test]
    fn nesting_at_the_limit_is_accepted_and_one_more_level_is_refused() {
        assert_eq!(check_json_depth(nested_arrays(63).as_bytes(), 64), Ok(()));
        assert_eq!(check_json_depth(nested_arrays(64).as_bytes(), 64), Ok(()));
        assert_eq!(
            check_json_depth(nested_arrays(65).as_bytes(), 64),
            Err(TooDeep { max: 64 })
        );
    }

    #[test]
    fn scalars_and_flat_containers_are_shallow() {
        assert_eq!(check_json_depth(b"42", 0), Ok(()));
        assert_eq!(check_json_depth(b"{\"a\":1,\"b\":[1,2]}", 2), Ok(()));
        assert_eq!(
            check_json_depth(b"{\"a\":1,\"b\":[1,2]}", 1),
            Err(TooDeep { max: 1 })
        );
    }

    #[test]
    fn brackets_inside_strings_do_not_count_even_after_escaped_quotes() {
        let json = br#"{"a":"[[[[{{{{\"[[[[","b":"\\"}"#;
        assert_eq!(check_json_depth(json, 1), Ok(()));
    }

    #[test]
    fn siblings_do_not_add_up() {
        let json = "[".to_owned() + &vec![nested_arrays(3); 100].join(",") + "]";
        assert_eq!(check_json_depth(json.as_bytes(), 4), Ok(()));
    }

    #[test]
    fn ten_thousand_unclosed_levels_stop_at_the_limit() {
        let json = "{\"a\":".repeat(10_000);
        assert_eq!(
            check_json_depth(json.as_bytes(), MAX_JSON_DEPTH),
            Err(TooDeep { max: 64 })
        );
    }

    #[test]
    fn the_limit_stays_below_serde_json_s_own_recursion_limit() {
        let at_limit = nested_arrays(MAX_JSON_DEPTH);
        assert!(serde_json::from_str::<serde_json::Value>(&at_limit).is_ok());
    }
}
