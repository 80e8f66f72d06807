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
        Ok(ProjectRules {
            fingerprinting: FingerprintRules::parse(fingerprinting)?,
            enhancements: Enhancements::parse(enhancements)?,
        })
    }
}
