//! Artifact bundle uploads, as sentry-cli sends them: chunks stored content-addressed
//! ([`blobs`]), then assembled into a bundle whose zip is unpacked and checked
//! ([`unpack`]) before the `artifact_bundle` aggregate records it.

pub mod blobs;
pub mod unpack;

/// SHA-1 of `bytes`, as 40 lowercase hex digits.
pub fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    hex::encode(Sha1::digest(bytes))
}

/// Whether `text` is a SHA-1 as sentry-cli writes it: 40 lowercase hex digits.
pub fn is_sha1(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
