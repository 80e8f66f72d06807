//! DRF-style field validation errors: `{"slug": ["..."]}`.

use faultline_domain::slug::Slug;
use serde_json::json;

use crate::error::ApiError;

/// A 400 naming one field and what is wrong with it.
pub fn field_error(field: &str, message: &str) -> ApiError {
    ApiError::Fields(json!({ field: [message] }))
}

/// Parses a slug, or a 400 on `field`.
pub fn slug_field(field: &str, value: &str) -> Result<Slug, ApiError> {
    Slug::parse(value).map_err(|error| field_error(field, &error.to_string()))
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value;
/// use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
