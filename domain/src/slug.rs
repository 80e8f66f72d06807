//! URL slugs for organizations, teams and projects (`acme`, `backend-api`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest slug accepted, in characters.
pub const MAX_SLUG_LEN: usize = 50;

/// A validated slug: 1 to 50 characters from `a-z`, `0-9`, `-` and `_`, not all digits.
///
/// Serialized as a plain JSON string: `"backend-api"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// Why a string is not a valid slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// The slug is empty (or a name had no usable characters).
    #[error("slug must not be empty")]
    Empty,
    /// The slug is longer than [`MAX_SLUG_LEN`].
    #[error("slug must be at most 50 characters long, got {0}")]
    TooLong(usize),
    /// The slug contains a character outside `a-z`, `0-9`, `-`, `_`.
    #[error("slug may contain only lowercase letters, digits, '-' and '_', found {0:?}")]
    InvalidCharacter(char),
    /// The slug is made of digits only, which would be confused with an id.
    #[error("slug must not consist of digits only")]
    AllDigits,
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

impl Slug {
    /// Validates `s` as a slug, unchanged.
    pub fn parse(s: &str) -> Result<Slug, SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        let len = s.chars().count();
        if len > MAX_SLUG_LEN {
            return Err(SlugError::TooLong(len));
        }
        if let Some(c) = s.chars().find(|&c| !is_allowed(c)) {
            return Err(SlugError::InvalidCharacter(c));
        }
        if s.chars().all(|c| c.is_ascii_digit()) {
            return Err(SlugError::AllDigits);
        }
        Ok(Slug(s.to_owned()))
    }

    /// Derives a slug from a display name: `"My Team!"` becomes `my-team`.
    ///
    /// Letters are lowercased, every other disallowed character becomes `-`, runs of `-`
    /// collapse into one, leading and trailing `-` are trimmed, and the result is cut to
    /// 50 characters. A name with nothing usable, or only digits, is an error.
    pub fn from_name(name: &str) -> Result<Slug, SlugError> {
        let mut slug = String::with_capacity(name.len());
        for c in name.chars().map(|c| c.to_ascii_lowercase()) {
            let c = if is_allowed(c) { c } else { '-' };
            if !(c == '-' && slug.ends_with('-')) {
                slug.push(c);
            }
        }
        let trimmed: String = slug.trim_matches('-').chars().take(MAX_SLUG_LEN).collect();
        Slug::parse(trimmed.trim_end_matches('-'))
    }

    /// The slug as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

impl std::str::FromStr for Slug {
    type Err = SlugError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Slug::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lowercase_slug_with_digits_dashes_and_underscores_is_valid() {
        assert_eq!(
            Slug::parse("backend_api-2").unwrap().as_str(),
            "backend_api-2"
        );
    }

    #[test]
    fn an_empty_slug_is_rejected() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
    }

    #[test]
    fn a_slug_of_fifty_characters_is_valid_but_fifty_one_is_too_long() {
        assert!(Slug::parse(&"a".repeat(50)).is_ok());
        assert_eq!(Slug::parse(&"a".repeat(51)), Err(SlugError::TooLong(51)));
    }

    #[test]
    fn uppercase_letters_are_rejected() {
        assert_eq!(Slug::parse("Acme"), Err(SlugError::InvalidCharacter('A')));
    }

    #[test]
    fn spaces_and_non_ascii_letters_are_rejected() {
        assert_eq!(
            Slug::parse("my team"),
            Err(SlugError::InvalidCharacter(' '))
        );
        assert_eq!(Slug::parse("café"), Err(SlugError::InvalidCharacter('é')));
    }

    #[test]
    fn an_all_digit_slug_is_rejected() {
        assert_eq!(Slug::parse("42"), Err(SlugError::AllDigits));
    }

    #[test]
    fn errors_read_as_human_messages() {
        assert_eq!(
            SlugError::AllDigits.to_string(),
            "slug must not consist of digits only"
        );
    }

    #[test]
    fn a_name_is_lowercased_and_punctuation_collapses_into_single_dashes() {
        assert_eq!(
            Slug::from_name("  My Team!! (Backend) ").unwrap().as_str(),
            "my-team-backend"
        );
    }

    #[test]
    fn a_derived_slug_keeps_underscores_and_digits() {
        assert_eq!(Slug::from_name("API_v2").unwrap().as_str(), "api_v2");
    }

    #[test]
    fn a_long_name_is_cut_to_fifty_characters_without_a_trailing_dash() {
        let name = format!("{} {}", "a".repeat(49), "b".repeat(10));
        assert_eq!(Slug::from_name(&name).unwrap().as_str(), "a".repeat(49));
    }

    #[test]
    fn a_name_without_usable_characters_is_rejected() {
        assert_eq!(Slug::from_name("!!! ???"), Err(SlugError::Empty));
    }

    #[test]
    fn a_name_of_digits_only_is_rejected() {
        assert_eq!(Slug::from_name("2024"), Err(SlugError::AllDigits));
    }

    #[test]
    fn a_slug_serializes_as_a_plain_string_and_is_validated_when_read() {
        let slug = Slug::parse("acme").unwrap();
        assert_eq!(serde_json::to_string(&slug).unwrap(), "\"acme\"");
        assert_eq!(serde_json::from_str::<Slug>("\"acme\"").unwrap(), slug);
        assert!(serde_json::from_str::<Slug>("\"ACME\"").is_err());
    }
}
