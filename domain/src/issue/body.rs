//! How an ingested event's body (`Occurrence::data`) is stored in the log.
//!
//! Since `EventIngested` 2.0 the body is stored as one string: the compact JSON of the
//! normalized event, compressed and base64-encoded. Sentry keeps event bodies
//! compressed in its node store for the same reason. Measured on a realistic 10 KB
//! event, PostgreSQL 15 spends ~66 µs turning the JSON into `jsonb` (its JSON lexer
//! copies string contents byte by byte) and compressing it for TOAST, against a few µs
//! per KB for one base64 string. The head of the occurrence (everything but `data`)
//! stays plain JSON, so read models still query and project it in SQL.
//!
//! The codec is Snappy (raw format) since `EventIngested` 3.0: on the realistic event
//! it compresses 10.7 KB of JSON to 4.0 KB in ~6 µs, where DEFLATE level 1 (2.0) took
//! ~20 µs for 2.9 KB. The server's CPU was the tighter of the two budgets; the extra
//! 1.5 KB of base64 cost PostgreSQL less than the 14 µs saved. [`deflated_to_current`]
//! turns a 2.0 body into the current form for the upcast.
//!
//! Reading accepts both forms: a string is decoded, anything else (the object of
//! `EventIngested` 1.0, or `null` when a reader left the body out) is taken as it is.
//!
//! Since `EventIngested` 4.0 (written by the ingest path) the compressed bytes sit in
//! the row's own `body` column (`bytea`, migration 0017) and the payload's `data` is
//! `null`: PostgreSQL 15 lexes a JSON string byte by byte, so the 5.4 KB of base64 in
//! a 3.0 payload cost it ~13 µs per event, and the server ~4 µs of base64 and
//! escaping. A reader puts the column back with [`rejoin`] and reads a 3.0 payload.

use base64::Engine;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

thread_local! {
    // The encoder keeps its hash table between events instead of allocating one each.
    static ENCODER: std::cell::RefCell<snap::raw::Encoder> =
        std::cell::RefCell::new(snap::raw::Encoder::new());
}

/// Largest body accepted on decode (the ingestion limit is 1 MiB of JSON; normalizing
/// adds a little).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a body could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Not JSON.
    #[error("event body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Not serialisable as JSON.
    #[error("event body is not serialisable: {0}")]
    Serialize(#[from] sonic_rs::Error),
    /// The stored string is not base64.
    #[error("event body is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The compressed bytes are not valid.
    #[error("event body does not {0}")]
    Codec(String),
}

/// The `event_version` of an `EventIngested` row whose body is in its `body` column.
pub const IN_COLUMN_VERSION: &str = "4.0";

/// The version such a row reads as once [`rejoin`] has put its body back.
pub const INLINE_VERSION: &str = "3.0";

/// The stored string of `body` (any JSON value: the ingest path holds its events as
/// sonic-rs values, readers as `serde_json` ones).
pub fn encode<B: Serialize + ?Sized>(body: &B) -> Result<String, BodyError> {
    Ok(BASE64.encode(encode_to_column(body)?))
}

/// The stored bytes of `body` as a 4.0 row's `body` column holds them: the stored
/// string without its base64.
pub fn encode_to_column<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>, BodyError> {
    // sonic-rs escapes strings with SIMD: a third faster than serde_json here.
    compress(&sonic_rs::to_vec(body)?)
}

/// The compressed bytes of a body's JSON text.
fn compress(json: &[u8]) -> Result<Vec<u8>, BodyError> {
    ENCODER
        .with(|encoder| encoder.borrow_mut().compress_vec(json))
        .map_err(|e| BodyError::Codec(format!("compress: {e}")))
}

/// Puts a 4.0 row's `body` column back into its payload's `data`, which makes it the
/// payload of a 3.0 row (read as [`INLINE_VERSION`]).
pub fn rejoin(payload: &mut Value, column: &[u8]) {
    if let Some(fields) = payload
        .get_mut("EventIngested")
        .and_then(Value::as_object_mut)
    {
        fields.insert("data".to_owned(), Value::String(stored_string(column)));
    }
}

/// The stored string (a 3.0 payload's `data`) of a 4.0 row's `body` column.
pub fn stored_string(column: &[u8]) -> String {
    BASE64.encode(column)
}

/// The body a stored string holds.
pub fn decode(stored: &str) -> Result<Value, BodyError> {
    let compressed = BASE64.decode(stored)?;
    let size = snap::raw::decompress_len(&compressed)
        .map_err(|e| BodyError::Codec(format!("decompress: {e}")))?;
    if size > MAX_BODY {
        return Err(BodyError::Codec(format!(
            "decompress: {size} bytes is over the {MAX_BODY} byte limit"
        )));
    }
    let json = snap::raw::Decoder::new()
        .decompress_vec(&compressed)
        .map_err(|e| BodyError::Codec(format!("decompress: {e}")))?;
    Ok(serde_json::from_slice(&json)?)
}

/// The current stored string of a body stored by `EventIngested` 2.0 (raw DEFLATE,
/// base64).
pub fn deflated_to_current(stored: &str) -> Result<String, BodyError> {
    let deflated = BASE64.decode(stored)?;
    let mut decompressor = libdeflater::Decompressor::new();
    // DEFLATE expands at most ~1032x; start at 8x and grow on demand.
    let mut capacity = (deflated.len() * 8).max(1024);
    loop {
        let mut json = vec![0; capacity.min(MAX_BODY)];
        match decompressor.deflate_decompress(&deflated, &mut json) {
            Ok(size) => {
                json.truncate(size);
                return Ok(BASE64.encode(compress(&json)?));
            }
            Err(libdeflater::DecompressionError::InsufficientSpace) if capacity < MAX_BODY => {
                capacity *= 4;
            }
            Err(e) => return Err(BodyError::Codec(format!("inflate: {e}"))),
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
    fn a_body_stored_deflated_by_2_0_reads_the_same_after_transcoding() {
        let body = json!({"message": "boom", "extra": {"n": 1}});
        let json = serde_json::to_vec(&body).unwrap();
        let mut compressor =
            libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).unwrap());
        let mut deflated = vec![0; compressor.deflate_compress_bound(json.len())];
        let size = compressor.deflate_compress(&json, &mut deflated).unwrap();
        deflated.truncate(size);
        let stored_2_0 = BASE64.encode(deflated);
        assert_eq!(
            decode(&deflated_to_current(&stored_2_0).unwrap()).unwrap(),
            body
        );
    }

    #[test]
    fn a_body_that_compresses_very_well_still_decodes_whole() {
        let body = json!({"extra": {"zeros": "0".repeat(2_000_000)}});
        assert_eq!(decode(&encode(&body).unwrap()).unwrap(), body);
    }

    #[test]
    fn a_body_column_rejoined_with_its_payload_reads_as_the_inline_body() {
        let body = json!({"message": "boom", "extra": {"n": 1}});
        let mut payload = json!({"EventIngested": {"event_id": "e1", "data": null}});
        rejoin(&mut payload, &encode_to_column(&body).unwrap());
        let stored = payload
            .pointer("/EventIngested/data")
            .and_then(Value::as_str);
        assert_eq!(stored, Some(encode(&body).unwrap().as_str()));
        assert_eq!(decode(stored.unwrap()).unwrap(), body);
    }

    #[test]
    fn a_stored_string_that_is_not_a_body_is_an_error_not_a_panic() {
        assert!(decode("not base64 !!").is_err());
        assert!(decode(&BASE64.encode(b"not snappy")).is_err());
        assert!(deflated_to_current(&BASE64.encode(b"not deflate")).is_err());
    }
}
