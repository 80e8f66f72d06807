//! DRF-style field validation errors: `{"slug": ["..."]}`.

use faultline_domain::slug::Slug;
use serde_json::json;

use crate::error::ApiError;

/// A 400 naming one field and what is wrong with it.
pub fn field_error(field: &str, message: &str) -> ApiError {
    ApiError::Fields(json!({ field: [message] }))
}

/// What is wrong with each field of a body, gathered so that one 400 names them all.
#[derive(Debug, Default)]
pub struct FieldErrors(serde_json::Map<String, serde_json::Value>);

impl FieldErrors {
    /// Notes `message` on `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let messages = self.0.entry(field).or_insert_with(|| json!([]));
        if let Some(list) = messages.as_array_mut() {
            list.push(json!(message.into()));
        }
    }

    /// The value of `result`, or `None` with its error noted on `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        result
            .map_err(|error| self.add(field, error.to_string()))
            .ok()
    }

    /// `Ok` when no field is wrong, else the 400 naming every one.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Fields(serde_json::Value::Object(self.0)))
        }
    }
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
