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
        if has_escaped_nul(&bytes) {
            return Err(ApiError::BadRequest(
                "Null characters are not allowed.".into(),
            ));
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// Whether a JSON text holds a NUL character. A JSON string can only carry one as the
/// escape `\u0000` (raw control characters are invalid), so a scan of the bytes does,
/// without parsing: an escape is a `\` preceded by an even number of `\`.
fn has_escaped_nul(json: &[u8]) -> bool {
    json.windows(6).enumerate().any(|(at, window)| {
        window == b"\\u0000"
            && json[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

/// Formats a time as Sentry does: ISO 8601 UTC with a `Z`.
pub fn date(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::has_escaped_nul;

    #[test]
    fn a_nul_escape_anywhere_in_a_body_is_found() {
        assert!(has_escaped_nul(br#"{"name": "a\u0000b"}"#));
        assert!(has_escaped_nul(br#"{"teams": ["ok", "x\\\u0000"]}"#));
        assert!(has_escaped_nul(br#"{"k\u0000": 1}"#));
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_plain_text() {
        assert!(!has_escaped_nul(
            br#"{"name": "plain \\u0000 text", "n": 1}"#
        ));
        assert!(!has_escaped_nul(br#"{"name": "u0000"}"#));
    }
}
