//! Ingested Sentry events: the pure rules between the HTTP body and an issue.
//!
//! - [`envelope`]: splits an envelope body into headers and items.
//! - [`json_depth`]: the nesting limit checked before any JSON is parsed.
//! - [`normalize`]: turns an event payload into a [`NormalizedEvent`], as Relay does.
//! - [`grouping`]: the grouping hash that decides which issue an event belongs to.
//! - [`summary`]: the issue fields (title, culprit, metadata) derived from an event.

pub mod envelope;
pub mod grouping;
pub mod json_depth;
pub mod normalize;
pub mod sourcemaps;
pub mod summary;
#[cfg(test)]
mod test_support;

pub use envelope::{parse_envelope, Envelope, EnvelopeError, EnvelopeItem, MAX_ENVELOPE_ITEMS};
pub use grouping::{default_hash, group, grouping_hash, legacy_default_hash, legacy_grouping_hash};
pub use json_depth::{check_json_depth, TooDeep, MAX_JSON_DEPTH};
pub use normalize::{
    normalize, payload_event_id, Exception, Frame, NormalizeContext, NormalizeError,
    NormalizedEvent,
};
pub use summary::{summarize, IssueSummary};

/// An event id as 32 lowercase hex digits, from the plain or dashed (UUID) form.
///
/// Returns `None` for anything else.
pub fn normalize_event_id(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let plain: String = if trimmed.len() == 36 {
        let dashes_in_place = [8, 13, 18, 23]
            .iter()
            .all(|&i| trimmed.as_bytes()[i] == b'-');
        if !dashes_in_place {
            return None;
        }
        trimmed.chars().filter(|&c| c != '-').collect()
    } else {
        trimmed.to_string()
    };
    if plain.len() == 32 && plain.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(plain.to_ascii_lowercase())
    } else {
        None
    }
}

/// `s` cut to at most `max` characters, ending in `...` when cut (as Sentry's `truncatechars`).
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(3);
    let mut out: String = s.chars().take(keep).collect();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dashed_uuid_event_id_becomes_32_lowercase_hex() {
        assert_eq!(
            normalize_event_id("9EC79C33-EC99-42AB-8353-589FCB2E04DC"),
            Some("9ec79c33ec9942ab8353589fcb2e04dc".to_string())
        );
    }

    #[test]
    fn an_event_id_that_is_not_hex_is_rejected() {
        assert_eq!(normalize_event_id("not-an-id"), None);
        assert_eq!(normalize_event_id("zzc79c33ec9942ab8353589fcb2e04dc"), None);
        assert_eq!(
            normalize_event_id("9ec79c33ec99-42ab-8353-589fcb2e04dc"),
            None
        );
    }

    #[test]
    fn truncating_a_long_string_keeps_the_limit_including_the_ellipsis() {
        assert_eq!(truncate_chars("abcdefghij", 6), "abc...");
        assert_eq!(truncate_chars("abc", 6), "abc");
        assert_eq!(truncate_chars("ééééé", 4), "é...");
    }
}
