//! A project's grouping rules, in Sentry's syntax: fingerprint rules
//! (`fingerprintingRules`) and stack trace rules (`groupingEnhancements`), parsed and
//! checked when saved, compiled once, applied at ingest.

mod enhancements;
mod fingerprinting;
mod glob;
mod matchers;
mod parse;

pub use enhancements::{Enhancements, FrameState, StackState};
pub use fingerprinting::{FingerprintRule, FingerprintRules};

/// Why rules do not parse: Sentry's message, with the line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    message: String,
}

/// A project's compiled rules.
#[derive(Debug, Clone, Default)]
pub struct ProjectRules {
    /// Fingerprint rules.
    pub fingerprinting: FingerprintRules,
    /// Stack trace rules.
    pub enhancements: Enhancements,
}

impl ProjectRules {
    /// Parses both texts.
    pub fn parse(fingerprinting: &str, enhancements: &str) -> Result<ProjectRules, RuleError> {
        for text in [fingerprinting, enhancements] {
            check_size(text)?;
        }
        Ok(ProjectRules {
            fingerprinting: FingerprintRules::parse(fingerprinting)?,
            enhancements: Enhancements::parse(enhancements)?,
        })
    }
}

/// The longest rule text a project may save: rules run on every event's frames.
pub const MAX_RULES_BYTES: usize = 64 * 1024;

/// Refuses a rule text over [`MAX_RULES_BYTES`].
pub fn check_size(text: &str) -> Result<(), RuleError> {
    if text.len() > MAX_RULES_BYTES {
        return Err(RuleError {
            message: format!("Rules may be at most {MAX_RULES_BYTES} bytes"),
        });
    }
    Ok(())
}
