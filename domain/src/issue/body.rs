//! How an ingested event's body (`Occurrence::data`) is stored in the log.
//!
//! Since `EventIngested` 2.0 the body is stored as one string: the compact JSON of the
//! normalized event, compressed with raw DEFLATE and base64-encoded. Sentry keeps
//! event bodies compressed in its node store for the same reason. Measured on a
//! realistic 10 KB event, PostgreSQL 15 spends ~66 µs turning the JSON into `jsonb`
//! (its JSON lexer copies string contents byte by byte) and compressing it for TOAST,
//! against ~16 µs for the 3.8 KB string; the server pays ~22 µs to compress at level 1
//! (10.7 KB of JSON → 2.9 KB), and WAL shrinks by two thirds. The head of the occurrence (everything but `data`) stays plain
//! JSON, so read models still query and project it in SQL.
//!
//! Reading accepts both forms: a string is decoded, anything else (the object of
//! `EventIngested` 1.0, or `null` when a reader left the body out) is taken as it is.

use base64::Engine;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

thread_local! {
    // A compressor's tables cost more to set up than compressing a small event. Level 1:
    // libdeflate's level 0 (its `fastest()`) only wraps the JSON in stored blocks, which
    // left PostgreSQL parsing 14 KB of base64 and LZ4-compressing it for TOAST; levels
    // above 1 cost 50-80 % more time for under 2 % smaller bodies.
    static COMPRESSOR: std::cell::RefCell<libdeflater::Compressor> = std::cell::RefCell::new(
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).expect("level 1 exists")),
    );
    static DECOMPRESSOR: std::cell::RefCell<libdeflater::Decompressor> =
        std::cell::RefCell::new(libdeflater::Decompressor::new());
}

/// Largest body accepted on decode (the ingestion limit is 1 MiB of JSON; normalizing
/// adds a little).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a body could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Not JSON, or not serialisable as JSON.
    #[error("event body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The stored string is not base64.
    #[error("event body is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// DEFLATE refused it.
    #[error("event body does not {0}")]
    Deflate(String),
}

/// The stored string of `body`.
pub fn encode(body: &Value) -> Result<String, BodyError> {
    let json = serde_json::to_vec(body)?;
    let mut deflated = Vec::new();
    let size = COMPRESSOR
        .with(|compressor| {
            let mut compressor = compressor.borrow_mut();
            deflated.resize(compressor.deflate_compress_bound(json.len()), 0);
            compressor.deflate_compress(&json, &mut deflated)
        })
        .map_err(|e| BodyError::Deflate(format!("deflate: {e}")))?;
    deflated.truncate(size);
    Ok(BASE64.encode(deflated))
}

/// The body a stored string holds.
pub fn decode(stored: &str) -> Result<Value, BodyError> {
    let deflated = BASE64.decode(stored)?;
    // DEFLATE expands at most ~1032x; start at 8x and grow on demand.
    let mut capacity = (deflated.len() * 8).max(1024);
    loop {
        let mut json = vec![0; capacity.min(MAX_BODY)];
        let inflated = DECOMPRESSOR.with(|decompressor| {
            decompressor
                .borrow_mut()
                .deflate_decompress(&deflated, &mut json)
        });
        match inflated {
            Ok(size) => {
                json.truncate(size);
                return Ok(serde_json::from_slice(&json)?);
            }
            Err(libdeflater::DecompressionError::InsufficientSpace) if capacity < MAX_BODY => {
                capacity *= 4;
            }
            Err(e) => return Err(BodyError::Deflate(format!("inflate: {e}"))),
        }
    }
}

/// Serde `serialize_with` for `Occurrence::data`: `null` stays `null` (a head).
pub fn serialize<S: Serializer>(body: &Value, serializer: S) -> Result<S::Ok, S::Error> {
    if body.is_null() {
        return serializer.serialize_unit();
    }
    let stored = encode(body).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&stored)
}

/// Serde `deserialize_with` for `Occurrence::data`: both stored forms.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(stored) => decode(&stored).map_err(D::Error::custom),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_body_survives_encoding_and_decoding() {
        let body =
            json!({"message": "boom", "exception": {"values": [{"type": "E", "value": "ü ✓"}]}});
        let stored = encode(&body).unwrap();
        assert!(!stored.contains('{'), "{stored}");
        assert_eq!(decode(&stored).unwrap(), body);
    }

    #[test]
    fn a_stored_body_is_smaller_than_its_json() {
        let frames: Vec<_> = (0..20)
            .map(|i| json!({"filename": format!("app/views/v{i}.py"), "function": "handle", "lineno": i, "context_line": "    return render(request, template, context)"}))
            .collect();
        let body = json!({"exception": {"values": [{"type": "KeyError", "stacktrace": {"frames": frames}}]}});
        let json = serde_json::to_string(&body).unwrap();
        let stored = encode(&body).unwrap();
        assert!(
            stored.len() * 2 < json.len(),
            "{} of {} bytes",
            stored.len(),
            json.len()
        );
    }

    #[test]
    fn a_body_that_compresses_very_well_still_decodes_whole() {
        let body = json!({"extra": {"zeros": "0".repeat(2_000_000)}});
        assert_eq!(decode(&encode(&body).unwrap()).unwrap(), body);
    }

    #[test]
    fn a_stored_string_that_is_not_a_body_is_an_error_not_a_panic() {
        assert!(decode("not base64 !!").is_err());
        assert!(decode(&BASE64.encode(b"not deflate")).is_err());
    }
}
