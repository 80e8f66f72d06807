//! Our JSON body extractor: malformed bodies get our `{"detail": ...}` format.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use faultline_domain::event::{check_json_depth, MAX_JSON_DEPTH};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but rejections are [`ApiError::BadRequest`] with a detail that
/// says what is wrong, and bodies nested deeper than [`MAX_JSON_DEPTH`] are refused
/// before they are parsed.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        check_json_depth(&bytes, MAX_JSON_DEPTH).map_err(|e| {
            ApiError::BadRequest(format!("Failed to parse the request body as JSON: {e}"))
        })?;
        // PostgreSQL text cannot hold NUL: refuse it here, as Sentry's serializers do,
        // rather than fail when the value reaches the database.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            if contains_nul(&value) {
                return Err(ApiError::BadRequest(
                    "Null characters are not allowed.".into(),
                ));
            }
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// Whether any string or key of `value` holds a NUL character.
fn contains_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(contains_nul),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || contains_nul(value)),
        _ => false,
    }
}

/// Formats a time as Sentry does: ISO 8601 UTC with a `Z`.
pub fn date(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::contains_nul;
    use serde_json::json;

    #[test]
    fn a_nul_anywhere_in_a_body_is_found() {
        assert!(contains_nul(&json!({"name": "a\u{0}b"})));
        assert!(contains_nul(&json!({"teams": ["ok", "x\u{0}"]})));
        assert!(contains_nul(&json!({"k\u{0}": 1})));
        assert!(!contains_nul(
            &json!({"name": "plain \\u0000 text", "n": 1})
        ));
    }
}
