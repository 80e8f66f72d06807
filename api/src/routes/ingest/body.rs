//! Request bodies: size limits and `Content-Encoding`.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;

use crate::error::ApiError;
use crate::ingest_limits::Limits;

fn too_large(what: &str) -> ApiError {
    ApiError::PayloadTooLarge(format!("{what} exceeded size limits"))
}

/// Reads the body (at most `limits.compressed` bytes) and decodes it.
pub async fn read(body: Body, headers: &HeaderMap, limits: &Limits) -> Result<Bytes, ApiError> {
    let raw = axum::body::to_bytes(body, limits.compressed)
        .await
        .map_err(|_| too_large("request body"))?;
    let encoding = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let decoded = match encoding.as_str() {
        // sentry-ruby 5 and old sentry-java send these; they mean nothing.
        "" | "identity" | "utf-8" => return Ok(raw),
        "gzip" | "x-gzip" => gunzip(&raw, limits)?,
        "deflate" => match decode(flate2::read::ZlibDecoder::new(&raw[..]), limits) {
            Ok(bytes) => bytes,
            Err(ApiError::BadRequest(_)) => {
                decode(flate2::read::DeflateDecoder::new(&raw[..]), limits)?
            }
            Err(other) => return Err(other),
        },
        "br" => decode(brotli::Decompressor::new(&raw[..], 8192), limits)?,
        "zstd" => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(&raw[..])
                .map_err(|e| ApiError::BadRequest(format!("invalid zstd body: {e}")))?;
            decode(decoder, limits)?
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "unsupported content encoding: {other}"
            )));
        }
    };
    Ok(Bytes::from(decoded))
}

thread_local! {
    static GUNZIP: std::cell::RefCell<libdeflater::Decompressor> =
        std::cell::RefCell::new(libdeflater::Decompressor::new());
}

/// A gzip body as SDKs send it (one member) inflates in one call into a buffer of the
/// size its trailer states, about twice as fast as streaming it. Anything else
/// (several members, a trailer that lies, a size over the limit, garbage) takes the
/// streaming path, which enforces the limit as it goes and names the error.
fn gunzip(raw: &[u8], limits: &Limits) -> Result<Vec<u8>, ApiError> {
    match gunzip_one_member(raw, limits) {
        Some(out) => Ok(out),
        None => decode(flate2::read::MultiGzDecoder::new(raw), limits),
    }
}

fn gunzip_one_member(raw: &[u8], limits: &Limits) -> Option<Vec<u8>> {
    // A gzip member is at least a 10-byte header and an 8-byte trailer.
    if raw.len() < 18 {
        return None;
    }
    let trailer = raw.len() - 8;
    let crc = u32::from_le_bytes(raw[trailer..trailer + 4].try_into().ok()?);
    let size = u32::from_le_bytes(raw[trailer + 4..].try_into().ok()?) as usize;
    if size > limits.decompressed {
        return None;
    }
    let mut out = vec![0; size];
    let written = GUNZIP
        .with(|decompressor| decompressor.borrow_mut().gzip_decompress(raw, &mut out))
        .ok()?;
    // libdeflate checks the first member's own trailer and ignores what follows it;
    // the body's last trailer matching too means that member was the whole body.
    (written == size && libdeflater::crc32(&out) == crc).then_some(out)
}

/// Inflates at most `limits.decompressed` bytes; more is a 413, garbage a 400.
fn decode(reader: impl Read, limits: &Limits) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    reader
        .take(limits.decompressed as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::BadRequest(format!("invalid compressed body: {e}")))?;
    if out.len() > limits.decompressed {
        return Err(too_large("decompressed body"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use axum::http::HeaderValue;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn encoded(name: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-encoding", HeaderValue::from_str(name).unwrap());
        headers
    }

    #[tokio::test]
    async fn a_gzip_body_is_inflated() {
        let body = Body::from(gzip(b"{\"message\":\"hi\"}"));
        let bytes = read(body, &encoded("gzip"), &Limits::default())
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"{\"message\":\"hi\"}");
    }

    #[tokio::test]
    async fn a_decompression_bomb_stops_at_the_limit_with_413() {
        let bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
        let limits = Limits {
            decompressed: 1024 * 1024,
            ..Limits::default()
        };
        let result = read(Body::from(bomb), &encoded("gzip"), &limits).await;
        assert!(matches!(result, Err(ApiError::PayloadTooLarge(_))));
    }

    #[tokio::test]
    async fn a_gzip_body_of_several_members_is_inflated_whole() {
        let mut body = gzip(b"{\"message\":");
        body.extend(gzip(b"\"hi\"}"));
        let bytes = read(Body::from(body), &encoded("gzip"), &Limits::default())
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"{\"message\":\"hi\"}");
    }

    #[tokio::test]
    async fn a_bomb_whose_trailer_claims_a_small_size_still_stops_at_the_limit() {
        let mut bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
        let end = bomb.len();
        bomb[end - 4..].copy_from_slice(&100u32.to_le_bytes());
        let limits = Limits {
            decompressed: 1024 * 1024,
            ..Limits::default()
        };
        let result = read(Body::from(bomb), &encoded("gzip"), &limits).await;
        assert!(matches!(result, Err(ApiError::PayloadTooLarge(_))));
    }

    #[tokio::test]
    async fn a_corrupt_gzip_body_is_a_bad_request() {
        let result = read(
            Body::from(&b"not gzip"[..]),
            &encoded("gzip"),
            &Limits::default(),
        )
        .await;
        assert!(matches!(result, Err(ApiError::BadRequest(_))));
    }
}
